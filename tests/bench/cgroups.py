"""One cgroup (v2) per agent under test: every process the agent starts
(keepalived's VRRP child, its forked health-check curls; promvipd's hooks)
is counted in its CPU time, and the whole group is killed at once.

The unified hierarchy is found in /proc/mounts (/sys/fs/cgroup on a
systemd host, /sys/fs/cgroup/unified on a hybrid one); groups are made
under <root>/promvip-bench/, named by the caller, and removed by close().
"""

import os
import time

PARENT = "promvip-bench"


def unified_root():
    """The mount point of the cgroup v2 hierarchy, or None."""
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    return None


def check_environment():
    """Why per-agent cgroups cannot be used here, or None."""
    root = unified_root()
    if root is None:
        return "no cgroup v2 hierarchy mounted (needed to count an agent's CPU with its children)"
    if not os.path.exists(os.path.join(root, "cgroup.procs")):
        return f"{root} is not a usable cgroup v2 hierarchy"
    return None


def groups():
    """The names of the agents' groups that exist now."""
    root = unified_root()
    parent = os.path.join(root, PARENT) if root else None
    if not parent or not os.path.isdir(parent):
        return []
    return sorted(name for name in os.listdir(parent)
                  if os.path.isdir(os.path.join(parent, name)))


def remove_empty():
    """Remove the empty groups a killed run left behind."""
    for name in groups():
        path = os.path.join(unified_root(), PARENT, name)
        if not _read_pids(os.path.join(path, "cgroup.procs")):
            try:
                os.rmdir(path)
            except OSError:
                pass


def _read_pids(path):
    try:
        with open(path) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


class Group:
    """A cgroup for one agent: `procs_file` is what lab.spawn(cgroup_procs=)
    takes."""

    def __init__(self, name):
        root = unified_root()
        assert root is not None, "no cgroup v2 hierarchy"
        parent = os.path.join(root, PARENT)
        os.makedirs(parent, exist_ok=True)
        self.path = os.path.join(parent, name)
        self.procs_file = os.path.join(self.path, "cgroup.procs")
        if os.path.isdir(self.path):  # left by a run that was killed
            self.close()
        os.mkdir(self.path)

    def pids(self):
        return _read_pids(self.procs_file)

    def cpu_seconds(self):
        """CPU time (user + system) of every process that ever ran in it."""
        with open(os.path.join(self.path, "cpu.stat")) as f:
            for line in f:
                key, value = line.split()
                if key == "usage_usec":
                    return int(value) / 1e6
        raise RuntimeError(f"no usage_usec in {self.path}/cpu.stat")

    def memory_kib(self):
        """(RSS, PSS) in KiB summed over the processes now in the group, and
        how many processes there are (from /proc/PID/smaps_rollup)."""
        rss = pss = n = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    text = f.read()
            except (FileNotFoundError, ProcessLookupError):
                continue
            n += 1
            for line in text.splitlines():
                key, _, rest = line.partition(":")
                if key == "Rss":
                    rss += int(rest.split()[0])
                elif key == "Pss":
                    pss += int(rest.split()[0])
        return rss, pss, n

    def kill(self, timeout=5.0):
        """SIGKILL every process in it at once (cgroup.kill) and wait until
        they are gone; bounded by `timeout`."""
        kill_file = os.path.join(self.path, "cgroup.kill")
        if os.path.exists(kill_file):
            with open(kill_file, "w") as f:
                f.write("1")
        else:
            for pid in self.pids():
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.pids():
            raise RuntimeError(f"processes {self.pids()} survive in {self.path}")

    def close(self):
        """Kill what is left and remove the group."""
        if not os.path.isdir(self.path):
            return
        self.kill()
        for _ in range(100):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.02)
        os.rmdir(self.path)
