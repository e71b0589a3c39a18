"""Network-namespace labs for promvip's integration tests and demo.

A lab is N host namespaces (h1..hN) and a client namespace, each with an
`eth0` veth whose peer end sits in a bridge that lives in a namespace of its
own. Veth pairs are created directly inside namespaces, so nothing is ever
attached to the root namespace. Addresses: 10.99.<lab>.0/24 and
2001:db8:<lab>::/64, configured only inside the lab's namespaces.

Stdlib only: used by pytest (tests/integration) and by scripts/demo.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PREFIXES = ("pvt-", "pvd-", "pvs-", "pvb-")  # tests, demo, system tests, benchmarks:
                                            # every namespace name starts so
# Variables a caller's environment may hold that would change the daemon's
# behaviour (journal logging, readiness protocol, socket activation).
_SCRUB_ENV = ("NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID",
              "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "INVOCATION_ID")

# Who owns which lab: /run/promvip-labs/<prefix><number> holds the PID of the
# test run that built it, so that concurrent runs neither reuse a number in
# use nor remove each other's labs as "stale".
OWNERS = "/run/promvip-labs"


def _owner_alive(base):
    try:
        with open(os.path.join(OWNERS, base)) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return False
    return pid != os.getpid() and pid > 0 and _running(pid)


def _claim_number(prefix):
    """The lowest lab number free on this machine, claimed for this process."""
    os.makedirs(OWNERS, exist_ok=True)
    used = {ns.split("-")[1] for ns in list_namespaces(prefix)}
    for n in range(1, 256):
        base = f"{prefix}{n}"
        if str(n) in used or _owner_alive(base):
            continue
        path = os.path.join(OWNERS, base)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return n
    raise RuntimeError(f"no free lab number for {prefix}")


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value, which is returned.
    Bounded in time and in count; raises AssertionError naming `what`
    (a text, or a function returning one, called only on time-out)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    what = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def _run(argv, timeout=10, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def list_namespaces(prefix):
    out = _run(["ip", "netns", "list"]).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n.startswith(prefix)]


def namespace_pids(ns):
    r = _run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def _running(pid):
    """Whether `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _kill_pids(pids, grace=2.0):
    """SIGTERM the given PIDs, then SIGKILL those still there after `grace`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if _running(p)]
            time.sleep(0.05)
        if not pids:
            return


def delete_namespace(ns):
    """Kill every process still inside `ns` (by PID), then delete it."""
    assert ns.startswith(PREFIXES), ns
    _kill_pids(namespace_pids(ns))
    _run(["ip", "netns", "del", ns], check=False)


def cleanup_stale(prefix):
    """Remove namespaces left by a crashed run; returns their names."""
    assert prefix in PREFIXES, prefix
    stale = [ns for ns in list_namespaces(prefix)
             if not _owner_alive(ns.rsplit("-", 1)[0])]
    for ns in stale:
        delete_namespace(ns)
    return stale


def check_environment():
    """Why labs cannot be built here, or None when they can."""
    if os.geteuid() != 0:
        return "integration tests need root (network namespaces): run them as root"
    for cmd in ("ip",):
        if shutil.which(cmd) is None:
            return f"required command '{cmd}' not found (Debian package iproute2)"
    return None


class Proc:
    """A process started inside a namespace; stdout and stderr go to a log."""

    def __init__(self, ns, argv, log_path, env=None, name=None, cgroup_procs=None):
        """cgroup_procs: the cgroup.procs file of a cgroup to start the
        process in (so its children are in it from their first instant);
        written before `ip netns exec`, which hides the cgroup file system."""
        self.ns, self.argv, self.log_path = ns, list(argv), log_path
        self.name = name or os.path.basename(argv[0])
        full_env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
        full_env.update(env or {})
        argv = ["ip", "netns", "exec", ns] + self.argv
        if cgroup_procs:
            argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', cgroup_procs] + argv
        with open(log_path, "wb") as log:
            # sh and `ip netns exec` exec the program, so self.pid is its PID.
            self.popen = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, env=full_env,
                start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout):
        """Exit code (negative: killed by that signal); AssertionError if
        still running after `timeout` seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} in {self.ns} still running after {timeout:g}s")

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` seconds; reaps the process."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)

    def __repr__(self):
        return f"<Proc {self.name} pid={self.pid} ns={self.ns}>"


class NotifySocket:
    """The receiving end of sd_notify: a unix datagram socket bound at a path
    (not abstract: abstract sockets are per network namespace). Pass `.path`
    as NOTIFY_SOCKET; `.env()` gives exactly that."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self._messages = []

    def env(self):
        return {"NOTIFY_SOCKET": self.path}

    def messages(self):
        """Every datagram received so far, each a text of KEY=VALUE lines."""
        for _ in range(10000):
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            self._messages.append(data.decode(errors="replace"))
        return list(self._messages)

    def values(self, key, since=0):
        """Every value sent for `key`, oldest first, from message `since` on."""
        found = []
        for msg in self.messages()[since:]:
            for line in msg.splitlines():
                k, sep, v = line.partition("=")
                if sep and k == key:
                    found.append(v)
        return found

    def status(self):
        """The latest STATUS= value, or None."""
        v = self.values("STATUS")
        return v[-1] if v else None

    def has(self, entry, since=0):
        """Whether a message from index `since` on has the line `entry`."""
        return any(entry in msg.splitlines() for msg in self.messages()[since:])

    def wait_for(self, entry, timeout, since=0):
        """Wait for a message (index >= since) holding the line `entry`,
        e.g. "READY=1"; returns that message."""
        def find():
            for msg in self.messages()[since:]:
                if entry in msg.splitlines():
                    return msg
            return None
        return wait_for(find, timeout, what=lambda: f"{entry!r} on {self.path} "
                        f"(got {self.messages()[since:]!r})")

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class Node:
    """One namespace of a lab: a host (h1..hN) or the client."""

    def __init__(self, lab, name, ns, octet):
        self.lab, self.name, self.ns = lab, name, ns
        self.ifname = "eth0"
        self.addr4 = f"10.99.{lab.number}.{octet}"
        self.addr6 = f"2001:db8:{lab.number}::{octet}"

    def run(self, argv, **kw):
        return self.lab.run(self.ns, argv, **kw)

    def spawn(self, argv, **kw):
        return self.lab.spawn(self.ns, argv, **kw)

    def __repr__(self):
        return f"<{self.name} {self.ns} {self.addr4}>"


class Lab:
    """N hosts and a client on one bridge. Use as a context manager, or call
    close(); close() kills what the lab started and deletes its namespaces."""

    def __init__(self, n_hosts, prefix="pvt-", workdir=None, number=None):
        assert prefix in PREFIXES, prefix
        assert 1 <= n_hosts <= 50, n_hosts
        self.number = number if number is not None else _claim_number(prefix)
        assert 1 <= self.number <= 255, self.number
        self.prefix = prefix
        base = f"{prefix}{self.number}"
        self.bridge_ns = f"{base}-br"
        self.hosts = [Node(self, f"h{i}", f"{base}-h{i}", 10 + i)
                      for i in range(1, n_hosts + 1)]
        self.client = Node(self, "client", f"{base}-c", 2)
        self.procs = []
        self.namespaces = []
        self._sockets = []
        self._own_workdir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix=f"{base}-")
        # Socket paths must stay under 108 bytes: keep them apart, short.
        self.sockdir = tempfile.mkdtemp(prefix=f"{base}-s", dir="/tmp")
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    # -- building ---------------------------------------------------------
    def _add_ns(self, ns):
        if ns in list_namespaces(self.prefix):
            delete_namespace(ns)
        _run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])

    def _build(self):
        br = self.bridge_ns
        self._add_ns(br)
        _run(["ip", "-n", br, "link", "add", "br0", "type", "bridge",
              "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"])
        _run(["ip", "-n", br, "link", "set", "br0", "up"])
        for node in self.hosts + [self.client]:
            self._add_ns(node.ns)
            for key in ("all", "default"):
                self.run(node.ns, ["sysctl", "-q", "-w",
                                   f"net.ipv6.conf.{key}.accept_dad=0"], check=True)
            port = f"v-{node.name}"
            _run(["ip", "-n", node.ns, "link", "add", "eth0", "type", "veth",
                  "peer", "name", port, "netns", br])
            _run(["ip", "-n", br, "link", "set", port, "master", "br0", "up"])
            _run(["ip", "-n", node.ns, "addr", "add", f"{node.addr4}/24", "dev", "eth0"])
            _run(["ip", "-n", node.ns, "addr", "add", f"{node.addr6}/64",
                  "dev", "eth0", "nodad"])
            _run(["ip", "-n", node.ns, "link", "set", "eth0", "up"])

    # -- running ----------------------------------------------------------
    def _check_ns(self, ns):
        assert ns in self.namespaces, f"{ns} is not a namespace of this lab"

    def run(self, ns, argv, timeout=10, check=False, input=None, env=None):
        """subprocess.run inside `ns`; text output captured."""
        self._check_ns(ns)
        full_env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
        full_env.update(env or {})
        r = subprocess.run(["ip", "netns", "exec", ns] + list(argv), input=input,
                           capture_output=True, text=True, timeout=timeout,
                           env=full_env)
        if check and r.returncode != 0:
            raise AssertionError(f"{argv} in {ns} exited {r.returncode}:\n"
                                 f"{r.stdout}{r.stderr}")
        return r

    def spawn(self, ns, argv, env=None, name=None, cgroup_procs=None):
        """Start a long-running process inside `ns`; see Proc."""
        self._check_ns(ns)
        name = name or os.path.basename(argv[0])
        log = os.path.join(self.dir, f"{ns}-{name}-{len(self.procs)}.log")
        proc = Proc(ns, argv, log, env=env, name=f"{name}@{ns}", cgroup_procs=cgroup_procs)
        self.procs.append(proc)
        return proc

    def notify_socket(self, name="notify"):
        sock = NotifySocket(os.path.join(self.sockdir, f"{name}.sock"))
        self._sockets.append(sock)
        return sock

    def write(self, filename, text):
        """Write a file into the lab's work dir; returns its path."""
        path = os.path.join(self.dir, filename)
        with open(path, "w") as f:
            f.write(text)
        return path

    def logs(self):
        """(name, output) of every process the lab started."""
        return [(p.name, p.output()) for p in self.procs]

    # -- teardown ---------------------------------------------------------
    def close(self):
        # Everything gets SIGTERM at once, and a second one shortly after:
        # a stopping promvipd master would otherwise hand over, waiting up to
        # its Master_Down_Interval for a new master that is stopping too.
        alive = [p for p in self.procs if p.alive()]
        for again in (False, True):
            if again:
                time.sleep(0.05)
            for proc in alive:
                try:
                    proc.signal(signal.SIGTERM)
                except Exception:
                    pass
        for proc in self.procs:
            try:
                proc.stop()
            except Exception:
                pass
        for ns in reversed(self.namespaces):
            delete_namespace(ns)
        self.namespaces = []
        try:
            os.unlink(os.path.join(OWNERS, f"{self.prefix}{self.number}"))
        except FileNotFoundError:
            pass
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        shutil.rmtree(self.sockdir, ignore_errors=True)
        if self._own_workdir and os.environ.get("PROMVIP_KEEP_LOGS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- helpers for the VRRP tests (keepalived.py, packets.py, test_tools.py) --
def addresses(net, ns, iface="eth0"):
    """The addresses on `iface` in namespace `ns` (a name or a Node) of lab
    `net`, as text without prefix length, e.g. ["10.99.1.11", "10.99.1.100",
    "2001:db8:1::11", "fe80::..."]."""
    ns = getattr(ns, "ns", ns)
    out = net.run(ns, ["ip", "-o", "addr", "show", "dev", iface], check=True).stdout
    found = []
    for line in out.splitlines():
        words = line.split()
        for i, word in enumerate(words[:-1]):
            if word in ("inet", "inet6"):
                found.append(words[i + 1].split("/")[0])
    return found


def has_address(net, ns, addr, iface="eth0"):
    """Whether `addr` ("10.99.1.100" or "10.99.1.100/24") is on `iface` in
    namespace `ns` (a name or a Node) of lab `net`."""
    return addr.split("/")[0] in addresses(net, ns, iface)


class RoutedLab(Lab):
    """Hosts on subnets of their own, joined by a router namespace: host
    h<i> (`<base>-h<i>`) has `eth0` on 10.96.<i>.0/24 and 2001:db8:96:<i>::/64
    (address .1<i> / ::1<i>), the router (`<base>-r`) a leg `r-h<i>` on each
    (.1 / ::1) and forwards (ip_forward set inside the router namespace
    only); each host routes everything else via its leg. A packet between
    hosts crosses one router: its TTL / hop limit drops by one. There is no
    client namespace (`client` is None). Addresses are the same in every
    routed lab: they live only inside its namespaces."""

    def __init__(self, n_hosts=2, prefix="pvt-", workdir=None, number=None):
        assert 2 <= n_hosts <= 9, n_hosts
        super().__init__(n_hosts, prefix=prefix, workdir=workdir, number=number)

    def _build(self):
        self.client = None
        self.router_ns = f"{self.prefix}{self.number}-r"
        r = self.router_ns
        self._add_ns(r)
        for key in ("all", "default"):
            self.run(r, ["sysctl", "-q", "-w", f"net.ipv6.conf.{key}.accept_dad=0"], check=True)
        self.run(r, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], check=True)
        self.run(r, ["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"], check=True)
        for i, node in enumerate(self.hosts, 1):
            node.addr4, node.addr6 = f"10.96.{i}.1{i}", f"2001:db8:96:{i}::1{i}"
            node.gateway4, node.gateway6 = f"10.96.{i}.1", f"2001:db8:96:{i}::1"
            self._add_ns(node.ns)
            for key in ("all", "default"):
                self.run(node.ns, ["sysctl", "-q", "-w", f"net.ipv6.conf.{key}.accept_dad=0"],
                         check=True)
            leg = f"r-{node.name}"
            _run(["ip", "-n", node.ns, "link", "add", "eth0", "type", "veth",
                  "peer", "name", leg, "netns", r])
            _run(["ip", "-n", r, "addr", "add", f"{node.gateway4}/24", "dev", leg])
            _run(["ip", "-n", r, "addr", "add", f"{node.gateway6}/64", "dev", leg, "nodad"])
            _run(["ip", "-n", r, "link", "set", leg, "up"])
            _run(["ip", "-n", node.ns, "addr", "add", f"{node.addr4}/24", "dev", "eth0"])
            _run(["ip", "-n", node.ns, "addr", "add", f"{node.addr6}/64", "dev", "eth0", "nodad"])
            _run(["ip", "-n", node.ns, "link", "set", "eth0", "up"])
            _run(["ip", "-n", node.ns, "route", "add", "default", "via", node.gateway4])
            _run(["ip", "-n", node.ns, "-6", "route", "add", "default", "via", node.gateway6])
