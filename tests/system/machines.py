"""Real Debian 12 hosts, booted with systemd 252 as PID 1 by systemd-nspawn,
for the system tests.

- The root file system is built once with mmdebstrap (minbase plus what
  the hosts need) and cached under CACHE, keyed by its package list, the
  apt sources and the customisation below; a test never changes it.
- Each Machine boots from a copy-on-write overlay of it, in a network
  namespace of a lab (lab.py) that nspawn is handed as it is
  (--network-namespace-path): nspawn makes no link of its own, so nothing
  touches the machine's own interfaces.
- Each nspawn runs in a cgroup of its own named after the machine (with
  --keep-unit from the root cgroup, nspawn would otherwise put its
  payload/ and supervisor/ at the top of the hierarchy, shared by all).
- Commands run inside with nsenter into the container's init.

Everything is named with the lab's prefix and removed by close(), or by
cleanup_stale() after a run that died. Every wait is bounded.
Stdlib only.
"""

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time

CACHE = "/var/cache/promvip-tests"
WORK = "/var/tmp/promvip-system-tests"
SUITE = "bookworm"
# What every host has, beyond minbase: systemd as init, sshd and python3
# for Ansible (python3-apt for its apt module, sudo for `become`), the
# Prometheus the probes check, kill (ExecReload=) and ip.
PACKAGES = ["systemd", "systemd-sysv", "dbus", "procps", "iproute2", "openssh-server",
            "python3", "python3-apt", "sudo", "prometheus"]
DEPLOY_USER = "deploy"   # Ansible logs in as this user and becomes root with sudo
PROMETHEUS_PORT = 9090
CG_ROOT = "/sys/fs/cgroup"

# Files added to the cached tree (path: (mode, text)); part of the cache key.
_TREE_FILES = {
    # Only the key each host gets generated for it (see Machine.prepare).
    "/etc/ssh/sshd_config.d/pvs.conf": (0o644, "HostKey /etc/ssh/ssh_host_ed25519_key\n"),
    f"/etc/sudoers.d/{DEPLOY_USER}": (0o440, f"{DEPLOY_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n"),
    # No apt timers: the hosts have no network beyond the lab.
    "/etc/systemd/system/apt-daily.timer": (None, "/dev/null"),
    "/etc/systemd/system/apt-daily-upgrade.timer": (None, "/dev/null"),
}
_CUSTOMIZE = [
    ["useradd", "--create-home", "--shell", "/bin/bash", DEPLOY_USER],
]
# Each host's own Prometheus configuration (see Machine.prepare).
PROMETHEUS_CONFIG = """\
# Each host's Prometheus (system tests): itself as its only target.
global:
  scrape_interval: 5s
  evaluation_interval: 15s
  external_labels:
    host: {host}
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
"""


def _run(argv, timeout=60, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r


def _apt_sources():
    """The machine's apt sources files, given to mmdebstrap as its mirrors so
    that the hosts see exactly the machine's Debian."""
    files = []
    if os.path.isfile("/etc/apt/sources.list") and os.path.getsize("/etc/apt/sources.list"):
        files.append("/etc/apt/sources.list")
    d = "/etc/apt/sources.list.d"
    if os.path.isdir(d):
        files += [os.path.join(d, n) for n in sorted(os.listdir(d))
                  if n.endswith((".list", ".sources"))]
    if not files:
        raise RuntimeError("no apt sources on this machine for mmdebstrap")
    return files


def rootfs(extra_packages=(), log=None):
    """The cached root file system with PACKAGES and `extra_packages`,
    built when missing (about a minute); returns its path."""
    packages = sorted(set(PACKAGES) | set(extra_packages))
    sources = _apt_sources()
    key_src = json.dumps({"suite": SUITE, "packages": packages,
                          "sources": [open(f).read() for f in sources],
                          "files": _TREE_FILES, "customize": _CUSTOMIZE}, sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"rootfs-{key}")
    with open(os.path.join(CACHE, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # one build at a time; the others reuse it
        if os.path.isdir(path):
            return path
        tmp = f"{path}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            r = _run(["mmdebstrap", "--variant=minbase", "--include=" + ",".join(packages),
                      SUITE, tmp] + sources, timeout=900, check=False)
            if log:
                with open(log, "w") as f:
                    f.write(r.stdout + r.stderr)
            if r.returncode != 0:
                raise RuntimeError(f"mmdebstrap failed ({r.returncode}):\n{r.stderr[-3000:]}")
            _customize(tmp)
            os.rename(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # Older trees are of no use any more, unless a host of another run
        # boots from one right now.
        with open("/proc/self/mounts") as f:
            mounts = f.read()
        for name in os.listdir(CACHE):
            old = os.path.join(CACHE, name)
            if name.startswith("rootfs-") and old != path and f"lowerdir={old}," not in mounts:
                shutil.rmtree(old, ignore_errors=True)
    return path


def _customize(tree):
    for argv in _CUSTOMIZE:
        _run(["chroot", tree] + argv)
    for path, (mode, text) in _TREE_FILES.items():
        full = tree + path
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if mode is None:
            os.symlink(text, full)
        else:
            with open(full, "w") as f:
                f.write(text)
            os.chmod(full, mode)
    # Each boot makes its own machine id; each host gets its own host key.
    open(tree + "/etc/machine-id", "w").close()
    for name in os.listdir(tree + "/etc/ssh"):
        if name.startswith("ssh_host_"):
            os.unlink(os.path.join(tree + "/etc/ssh", name))


# -- cgroups ---------------------------------------------------------------

def _cgroup_roots():
    """The hierarchies nspawn uses: name=systemd and the unified one on a
    hybrid machine (as here), the one unified hierarchy otherwise."""
    if os.path.isdir(f"{CG_ROOT}/systemd") and os.path.isdir(f"{CG_ROOT}/unified"):
        return [f"{CG_ROOT}/systemd", f"{CG_ROOT}/unified"]
    return [CG_ROOT]


def _cgroup_pids(path):
    pids = []
    for d, _, files in os.walk(path):
        if "cgroup.procs" in files:
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
    return pids


def _remove_cgroup(path, grace=10.0):
    """SIGKILL whatever is left in it, then remove it, deepest first."""
    if not os.path.isdir(path):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        pids = _cgroup_pids(path)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    for d, _, _ in sorted(os.walk(path), key=lambda w: -w[0].count("/")):
        try:
            os.rmdir(d)
        except OSError:
            pass


class Machine:
    """One host: `name` (the lab's namespace name, e.g. pvs-1-h1, also the
    machine and cgroup name), `hostname` (h1), booted in namespace `ns`."""

    def __init__(self, name, hostname, ns, tree, workdir):
        self.name, self.hostname, self.ns, self.tree = name, hostname, ns, tree
        self.dir = os.path.join(workdir, hostname)
        self.root = os.path.join(self.dir, "root")
        self.proc = None
        self.boots = 0
        self.mounted = False
        self.cgroups = [os.path.join(r, name) for r in _cgroup_roots()]

    # -- the file system ---------------------------------------------------
    def prepare(self, files=()):
        """Mounts the overlay and writes this host's files: its name, host
        key, Prometheus's config, and `files` ({path: (mode, text)})."""
        for d in ("upper", "work", "root"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        _run(["mount", "-t", "overlay", "overlay", "-o",
              f"lowerdir={self.tree},upperdir={self.dir}/upper,workdir={self.dir}/work", self.root])
        self.mounted = True
        self.write("/etc/hostname", self.hostname + "\n")
        self.write("/etc/hosts", f"127.0.0.1 localhost\n127.0.1.1 {self.hostname}\n")
        # Prometheus says which host it is (an external label, which its
        # /api/v1/status/config shows): who holds the VIP, as a client sees it.
        self.write("/etc/prometheus/prometheus.yml", PROMETHEUS_CONFIG.format(host=self.hostname))
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{self.hostname}",
              "-f", self.root + "/etc/ssh/ssh_host_ed25519_key"])
        for path, (mode, text) in dict(files).items():
            self.write(path, text, mode)

    def write(self, path, text, mode=0o644, uid=0, gid=0):
        full = self.root + path
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chown(full, uid, gid)
        os.chmod(full, mode)

    def host_key(self):
        with open(self.root + "/etc/ssh/ssh_host_ed25519_key.pub") as f:
            return " ".join(f.read().split()[:2])

    # -- boot and power off ------------------------------------------------
    def _join_cgroups(self):   # in the forked nspawn, before exec
        for cg in self.cgroups:
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def boot(self, timeout=90):
        """Boots and waits for `systemctl is-system-running` to say running
        (degraded: AssertionError naming the failed units)."""
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is running"
        for cg in self.cgroups:
            _remove_cgroup(cg)
            os.makedirs(cg)
        self.boots += 1
        self.log_path = os.path.join(self.dir, f"console-{self.boots}.log")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit",
                 f"--directory={self.root}", f"--machine={self.name}",
                 f"--network-namespace-path=/run/netns/{self.ns}",
                 # A namespace of its own means no CAP_NET_ADMIN unless given.
                 "--capability=CAP_NET_ADMIN",
                 # As on a real host, whose systemd has every capability:
                 # without CAP_SYS_RESOURCE it silently clamps a unit's
                 # LimitRTPRIO=/LimitMEMLOCK= to its own hard limits, and
                 # without CAP_IPC_LOCK nspawn's system call filter refuses
                 # mlockall() to everyone (the real-time drop-in needs both).
                 # The units' own bounding sets still apply (promvipd's is
                 # CAP_NET_ADMIN CAP_NET_RAW).
                 "--capability=CAP_SYS_RESOURCE,CAP_IPC_LOCK",
                 "--link-journal=no", "--console=pipe"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                preexec_fn=self._join_cgroups, start_new_session=True)
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name}: systemd-nspawn exited {self.proc.returncode}:\n"
                                     + self.console())
            if self.init_pid():
                try:
                    state = self.run(["systemctl", "is-system-running", "--wait"],
                                     timeout=max(1, deadline - time.monotonic())).stdout.strip()
                except subprocess.TimeoutExpired:
                    state = "still starting"
                if state in ("running", "degraded", "still starting"):
                    break
            time.sleep(0.1)
        if state != "running":
            failed = self.run(["systemctl", "--failed", "--no-legend"], check=False).stdout \
                if self.init_pid() else ""
            raise AssertionError(f"{self.name} did not boot to 'running' within {timeout} s "
                                 f"(state {state!r}); failed units:\n{failed}")

    def init_pid(self):
        """PID (in our namespace) of the container's systemd, or None."""
        path = os.path.join(self.cgroups[0], "payload", "init.scope", "cgroup.procs")
        try:
            with open(path) as f:
                pids = f.read().split()
        except OSError:
            return None
        return int(pids[0]) if pids else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name}: still running {timeout} s after power off")
        for cg in self.cgroups:
            _remove_cgroup(cg)

    def poweroff(self, timeout=60):
        """`systemctl poweroff` inside, as an operator would; waits for it."""
        self.run(["systemctl", "poweroff"], check=True)
        self.wait_exit(timeout)

    def halt(self, timeout=30):
        """Stops the container from outside (SIGTERM to nspawn: an orderly
        shutdown), SIGKILL if it takes too long."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for cg in self.cgroups:
            _remove_cgroup(cg)

    def close(self):
        self.halt()
        if self.mounted:
            _run(["umount", self.root], check=False)
            self.mounted = False
        shutil.rmtree(f"/run/systemd/nspawn/propagate/{self.name}", ignore_errors=True)

    # -- inside -----------------------------------------------------------
    def run(self, argv, timeout=30, check=False, input=None):
        """Runs argv inside the container (all of its namespaces, root) with a
        clean environment; text output captured."""
        pid = self.init_pid()
        if not pid:
            raise AssertionError(f"{self.name} is not running")
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LANG": "C.UTF-8", "HOME": "/root", "TERM": "dumb", "SYSTEMD_PAGER": "",
               "SYSTEMD_COLORS": "0"}
        r = subprocess.run(["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
                            "--"] + list(argv), input=input, capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"{argv} on {self.hostname} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r

    def sh(self, script, **kw):
        return self.run(["/bin/sh", "-c", script], **kw)

    def console(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except (OSError, AttributeError):
            return ""


def cleanup_stale(prefix, owner_alive):
    """What a run that died left behind for labs whose owner is gone
    (`owner_alive(base)` is lab.py's): nspawn cgroups and their processes,
    overlays under WORK, nspawn's leftovers in /run. Returns what went."""
    gone = []
    for root in _cgroup_roots():
        for name in os.listdir(root) if os.path.isdir(root) else []:
            path = os.path.join(root, name)
            if name.startswith(prefix) and os.path.isdir(path) and not owner_alive(name.rsplit("-", 1)[0]):
                _remove_cgroup(path)
                gone.append(path)
    with open("/proc/self/mounts") as f:
        mounts = [line.split()[1] for line in f]
    for mnt in mounts:
        rel = os.path.relpath(mnt, WORK)
        if not rel.startswith("..") and rel.startswith(prefix) and not owner_alive(rel.split("/")[0]):
            _run(["umount", "-l", mnt], check=False)
            gone.append(mnt)
    for d in (WORK, "/run/systemd/nspawn/propagate"):
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name.startswith(prefix) and not owner_alive(name if d == WORK else name.rsplit("-", 1)[0]):
                shutil.rmtree(os.path.join(d, name), ignore_errors=True)
                gone.append(os.path.join(d, name))
    return gone
