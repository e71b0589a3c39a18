"""Load: every core of the machine kept busy by stress-ng (CPU, memory and
I/O stressors) for a fixed time while a pair advertises: one router,
version 3, h1 master (priority 150), h2 backup (100), no health check, at
0.1 s or 0.01 s, each agent without and with its real-time option
(agents.py: promvipd's realtime_priority and lock_memory, keepalived's
vrrp_rt_priority and vrrp_no_swap). One window per agent and setting: its
thousands of adverts are the samples.

Measured over the window (from stress-ng's start to its exit), the same
way for both agents:
  false failovers  states entered by either agent (their logs): the backup
                   becoming master, the master leaving master; and on the
                   wire, adverts from h2 (only a master advertises)
  lateness         from a capture of router 1's adverts in the client's
                   namespace: each gap between successive adverts of h1
                   minus the interval; percentiles, the gaps more than one
                   interval late, and those later than Master_Down_Interval
                   - interval (h2's timer runs out: a false failover)
  CPU              of each agent's cgroup
and for promvipd the change of its own promvip_advert_lateness_seconds
histogram (h1's /metrics), next to the wire's lateness in the same buckets.

stress-ng runs in the root namespace (it uses no network) in a cgroup of
its own, so that it is killed as a whole; its I/O stressors write under a
folder in /var/tmp (a disk, where /tmp may be memory) removed afterwards.
"""

import glob
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

import agents
import cgroups
import idle
import packets
import vrrp

STRESS_NG = "/usr/bin/stress-ng"
STRESS_DIR = "/var/tmp"
VARIANTS = (("promvipd", False), ("promvipd", True), ("keepalived", False), ("keepalived", True))
SETTLE = 2.0
MASTER_PRIORITY, BACKUP_PRIORITY = 150, 100
PERCENTILES = (("p50_s", 50), ("p90_s", 90), ("p99_s", 99), ("p999_s", 99.9))
# promvipd's promvip_advert_lateness_seconds buckets (agent/shared/lateness.c), so
# that the wire's lateness and the daemon's own can be set side by side.
BUCKETS = ("0.0001", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.05", "0.1", "0.5", "1",
           "+Inf")
RT_SKIP = "promvipd does not accept realtime_priority (promvipd --config-test failed)"
POLICIES = {os.SCHED_OTHER: "SCHED_OTHER", os.SCHED_FIFO: "SCHED_FIFO", os.SCHED_RR: "SCHED_RR",
            os.SCHED_BATCH: "SCHED_BATCH", os.SCHED_IDLE: "SCHED_IDLE"}


def label(agent, realtime):
    return f"{agent} RT" if realtime else agent


def stress_argv(seconds, folder, cores=None):
    """stress-ng on all cores: 2 CPU workers per core, one memory worker
    (a quarter of the memory), one sync() worker, one disk writer."""
    cores = cores or os.cpu_count() or 1
    return [STRESS_NG, "--cpu", str(2 * cores), "--vm", "1", "--vm-bytes", "25%",
            "--io", "1", "--hdd", "1", "--hdd-bytes", "256M", "--temp-path", folder,
            "--timeout", f"{seconds}s", "--metrics-brief"]


class Stress:
    """stress-ng in a cgroup of its own (cgroups.Group), in the root
    namespace, writing under a temporary folder; close() kills the whole
    group and removes the folder."""

    def __init__(self, net, seconds):
        base = f"{net.prefix}{net.number}"
        self.folder, self.popen = None, None
        self.group = cgroups.Group(f"{base}-stress")
        try:
            # Left by a run of this lab number that was killed (the number is ours now).
            for stale in glob.glob(os.path.join(STRESS_DIR, f"{base}-stress-*")):
                shutil.rmtree(stale, ignore_errors=True)
            self.folder = tempfile.mkdtemp(prefix=f"{base}-stress-", dir=STRESS_DIR)
            self.argv = stress_argv(seconds, self.folder)
            self.log_path = os.path.join(net.dir, f"stress-ng-{time.monotonic_ns()}.log")
            with open(self.log_path, "wb") as log:
                # Into the cgroup before exec, so every worker is in it from the start.
                self.popen = subprocess.Popen(
                    ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', self.group.procs_file]
                    + self.argv, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
        except BaseException:
            self.close()
            raise

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait(self, timeout):
        """stress-ng's exit code, or None if it was still running after
        `timeout` seconds (then the group is killed)."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.group.kill()
            self.popen.wait(timeout=10)
            return None

    def cpu_seconds(self):
        return self.group.cpu_seconds()

    def close(self):
        try:
            self.group.close()
        finally:
            if self.popen is not None and self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait(timeout=10)
            if self.folder:
                shutil.rmtree(self.folder, ignore_errors=True)


class AdvertCapture(idle.CadenceCapture):
    """Router 1's adverts in the client's namespace (idle's capture), read
    as (epoch time, source, priority)."""

    def stop(self):
        """Stop tcpdump; the packets it reports dropped by the kernel."""
        self.proc.stop()
        m = re.search(r"(\d+) packets? dropped by kernel", self.proc.output())
        return int(m.group(1)) if m else None

    def adverts(self, timeout=300):
        return [(p["time"], p["src"], p["prio"])
                for p in packets.read_pcap(self.path, timeout=timeout)]


def percentile(ordered, p):
    """Nearest-rank percentile of an ascending list (p99.9 of fewer than
    1000 values is the maximum)."""
    k = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[k - 1]


def lateness(gaps, interval, mdi):
    """Lateness figures from the master's gaps (seconds): gap - interval."""
    late = sorted(g - interval for g in gaps)
    if not late:
        return None
    stats = {key: round(percentile(late, p), 6) for key, p in PERCENTILES}
    risk = mdi - interval
    stats.update(n=len(late), mean_s=round(sum(late) / len(late), 6), max_s=round(late[-1], 6),
                 min_s=round(late[0], 6), late_interval=sum(1 for x in late if x > interval),
                 late_risk=sum(1 for x in late if x > risk), risk_s=round(risk, 4),
                 buckets=list(BUCKETS),
                 cumulative=[sum(1 for x in late if x <= float(le)) for le in BUCKETS[:-1]]
                 + [len(late)])
    return stats


METRIC = re.compile(r"^promvip_advert_lateness_seconds_(bucket|sum|count)\{([^}]*)\}\s+(\S+)\s*$",
                    re.M)


def daemon_histogram(text, instance="r1"):
    """{"le": count} cumulative buckets, "sum", "count" of one instance's
    promvip_advert_lateness_seconds in a /metrics text."""
    found = {"buckets": {}, "sum": None, "count": None}
    for kind, labels, value in METRIC.findall(text):
        keys = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if keys.get("vrrp_instance") != instance:
            continue
        if kind == "bucket":
            found["buckets"][keys.get("le")] = float(value)
        else:
            found[kind] = float(value)
    return found


def histogram_delta(before, after):
    """The histogram's change over the window, in the wire's bucket order."""
    if not after["buckets"] or after["count"] is None:
        return None
    return {"buckets": [le for le in BUCKETS if le in after["buckets"]],
            "cumulative": [int(after["buckets"][le] - before["buckets"].get(le, 0))
                           for le in BUCKETS if le in after["buckets"]],
            "count": int(after["count"] - (before["count"] or 0)),
            "sum_s": round((after["sum"] or 0) - (before["sum"] or 0), 6)}


def scrape(net, host):
    """(histogram, error) from promvipd's /metrics on `host`."""
    try:
        return daemon_histogram(vrrp.agent_metrics(net, host, timeout=5)), None
    except (AssertionError, OSError, subprocess.SubprocessError) as e:
        return None, str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def scheduling(group):
    """How the group's processes are scheduled: [{comm, policy, priority,
    locked_kib}] (locked_kib: VmLck, memory locked by mlock/mlockall)."""
    found = []
    for pid in group.pids():
        try:
            # Without SCHED_RESET_ON_FORK (keepalived sets it with its real-time policy).
            policy = os.sched_getscheduler(pid) & ~getattr(os, "SCHED_RESET_ON_FORK", 0x40000000)
            priority = os.sched_getparam(pid).sched_priority
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        m = re.search(r"^VmLck:\s+(\d+)", status, re.M)
        found.append({"comm": comm, "policy": POLICIES.get(policy, str(policy)),
                      "priority": priority, "locked_kib": int(m.group(1)) if m else 0})
    return found


def realtime_problem(net, promvipd, interval):
    """None if promvipd accepts the real-time keys, else (reason, detail)."""
    text = agents.promvipd_config(net, 1, interval, MASTER_PRIORITY, False, realtime=True)
    code, out, path = vrrp.config_test(net, net.hosts[0], promvipd, text, name="rt-check")
    if code == 0:
        return None
    # "FILE:LINE: global: unknown setting 'realtime_priority'", ..., "FILE: ... failed"
    lines = [line.replace(path, "promvip.conf") for line in out.strip().splitlines()
             if line.strip()]
    return RT_SKIP, ("; ".join(lines)[:300] if lines else f"exit {code}")


def one_window(net, agent, realtime, interval, seconds, promvipd, progress):
    """One load window for one agent and setting; returns the row."""
    mdi = vrrp.master_down_interval(BACKUP_PRIORITY, interval)
    row = {"agent": agent, "realtime": realtime, "interval": interval, "load_s": seconds,
           "mdi_s": mdi, "skipped": None, "error": None}
    pair = agents.start_pair(net, agent, promvipd, 1, interval, check=False,
                             realtime=realtime)
    stress = capture = None
    try:
        time.sleep(SETTLE)
        h1, h2 = net.hosts[0], net.hosts[1]
        row["sched"] = {"master": scheduling(pair[0].group), "backup": scheduling(pair[1].group)}
        before_hist = scrape(net, h1)[0] if pair[0].promvipd else None
        states_before = [len(r.states(1)) for r in pair]
        capture = AdvertCapture(net)
        cpu_before = [r.cpu_seconds() for r in pair]
        start_epoch, started = time.time(), time.monotonic()
        stress = Stress(net, seconds)
        row["stress_argv"] = [os.path.basename(stress.argv[0])] + [
            "DIR" if a == stress.folder else a for a in stress.argv[1:]]
        progress(f"{label(agent, realtime)}: {seconds} s of {' '.join(row['stress_argv'])}")
        code = stress.wait(seconds + 60)
        elapsed, end_epoch = time.monotonic() - started, time.time()
        cpu = [r.cpu_seconds() - b for r, b in zip(pair, cpu_before)]
        row["stress_cpu_s"] = round(stress.cpu_seconds(), 3)
        tail = " ".join(stress.output().strip().splitlines()[-2:])[-300:]
        stress.close()
        stress = None
        if code != 0:
            raise RuntimeError(f"stress-ng exited {code if code is not None else 'late (killed)'}"
                               f": {tail}")
        row["capture_dropped"] = capture.stop()
        adverts = [(t, src) for t, src, prio in capture.adverts()
                   if start_epoch <= t <= end_epoch and prio]
        capture = None
        times = [t for t, src in adverts if src == h1.addr4]
        new = [r.states(1)[b:] for r, b in zip(pair, states_before)]
        row.update(
            window_s=round(elapsed, 3), cores=os.cpu_count(),
            adverts=len(times), expected_adverts=int(elapsed / interval),
            backup_became_master=new[1].count("MASTER"),
            master_left_master=sum(1 for s in new[0] if s != "MASTER"),
            states_entered=[new[0], new[1]],
            backup_adverts=sum(1 for _, src in adverts if src == h2.addr4),
            vip_holders_after=vrrp.holders(net, vrrp.vip4(net)),
            cpu_master_s=round(cpu[0], 4), cpu_backup_s=round(cpu[1], 4),
            lateness=lateness([b - a for a, b in zip(times, times[1:])], interval, mdi))
        row["false_failovers"] = row["backup_became_master"] + row["master_left_master"]
        row["vip_moved"] = (row["backup_became_master"] > 0 or row["backup_adverts"] > 0
                            or row["vip_holders_after"] != ["h1"])
        if pair[0].promvipd:
            after_hist, problem = scrape(net, h1)
            row["daemon_lateness"] = (histogram_delta(before_hist, after_hist)
                                      if before_hist and after_hist else None)
            row["daemon_error"] = problem
        return row
    finally:
        if capture:
            capture.stop()
        if stress:
            stress.close()
        agents.stop_pair(net, pair)


def run_case(net, interval, seconds, promvipd, progress):
    """Each agent without and with its real-time option under `seconds` of
    stress-ng at `interval`; returns (rows, skipped, errors)."""
    rows, skipped, errors = [], [], []
    rt_problem = realtime_problem(net, promvipd, interval)
    for agent, realtime in VARIANTS:
        what = label(agent, realtime)
        if agent == "promvipd" and realtime and rt_problem:
            rows.append({"agent": agent, "realtime": True, "interval": interval,
                         "load_s": seconds, "skipped": rt_problem[0], "detail": rt_problem[1],
                         "error": None})
            skipped.append(f"{what}: {rt_problem[0]}")
            progress(f"{what}: skipped: {rt_problem[0]}: {rt_problem[1]}")
            continue
        try:
            rows.append(one_window(net, agent, realtime, interval, seconds, promvipd, progress))
        except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
            message = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            rows.append({"agent": agent, "realtime": realtime, "interval": interval,
                         "load_s": seconds, "skipped": None, "error": message})
            errors.append(f"{what}: {message}")
            progress(f"FAILED: {errors[-1]}")
    return rows, skipped, errors


def available():
    """Why the load case cannot run, or None."""
    if not os.access(STRESS_NG, os.X_OK):
        return f"{STRESS_NG} not found: apt-get install stress-ng"
    return None
