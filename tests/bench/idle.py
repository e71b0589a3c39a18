"""Idle cost: with h1 master and h2 backup of every router, the CPU time of
each host's agent (its cgroup: every process it starts) over consecutive
windows, and the memory of its processes; meanwhile a capture of router 1's
adverts gives the master's cadence.

The count of health checks per window is the check's rate (one check of
the host's Prometheus per second, whatever the number of routers: promvipd
runs one probe, keepalived one vrrp_script for all the instances that track
it), so CPU per check = (CPU with check - CPU without) / checks.
"""

import os
import statistics
import subprocess
import time

import agents
import packets
from lab import wait_for

WINDOW = 2.0
SETTLE = 6.0   # past the start-up gratuitous ARP bursts (keepalived repeats its after 5 s)


class CadenceCapture:
    """tcpdump of router 1's adverts in the client's namespace."""

    def __init__(self, net):
        self.path = os.path.join(net.dir, f"cadence-{len(net.procs)}.pcap")
        # VRID is the second byte of the VRRP header (IPv4, no options).
        self.proc = net.spawn(net.client.ns, ["tcpdump", "-n", "-U", "-i", "eth0", "-w", self.path,
                                              "ip proto 112 and ip[21] = 1"], name="tcpdump")
        wait_for(lambda: "listening on" in self.proc.output() or not self.proc.alive(), 10,
                 what=lambda: f"tcpdump: {self.proc.output()}")

    def gaps(self, source):
        """Seconds between consecutive adverts from `source`."""
        self.proc.stop()
        times = [p["time"] for p in packets.read_pcap(self.path)
                 if p["src"] == source and p["prio"]]
        return [b - a for a, b in zip(times, times[1:])]


def cadence_row(agent, interval, routers, check, gaps):
    if len(gaps) < 2:
        return None
    return {"agent": agent, "interval": interval, "routers": routers, "check": check,
            "n": len(gaps), "mean_s": statistics.fmean(gaps), "stdev_s": statistics.stdev(gaps),
            "max_s": max(gaps)}


def measure(net, agent, promvipd, routers, interval, check, windows):
    """Idle rows (master and backup) and a cadence row for one setting."""
    pair = agents.start_pair(net, agent, promvipd, routers, interval, check)
    try:
        time.sleep(SETTLE)
        capture = CadenceCapture(net)
        cpu = {"master": [], "backup": []}
        before = [r.cpu_seconds() for r in pair]
        for _ in range(windows):
            time.sleep(WINDOW)
            now = [r.cpu_seconds() for r in pair]
            cpu["master"].append(now[0] - before[0])
            cpu["backup"].append(now[1] - before[1])
            before = now
        gaps = capture.gaps(net.hosts[0].addr4)
        roles = [r.state(1) for r in pair]
        if roles != ["MASTER", "BACKUP"]:
            raise RuntimeError(f"roles changed while idle: {roles}")
        rows = []
        for role, r in zip(("master", "backup"), pair):
            rss, pss, n = r.memory_kib()
            rows.append({"agent": agent, "routers": routers, "check": check,
                         "interval": interval, "role": role, "window_s": WINDOW,
                         "cpu_s": [round(c, 6) for c in cpu[role]], "rss_kib": rss,
                         "pss_kib": pss, "processes": n,
                         "checks": round(windows * WINDOW / agents.CHECK["interval"]) if check
                         else 0})
        return rows, cadence_row(agent, interval, routers, check, gaps)
    finally:
        agents.stop_pair(net, pair)


def run_case(net, interval, routers, checks, windows, promvipd, progress):
    """Both agents, without and with the check; returns (idle rows, cadence
    rows, errors)."""
    idle, cadence, errors = [], [], []
    for check in checks:
        for agent in ("promvipd", "keepalived"):
            what = f"{agent}, {'with' if check else 'without'} check"
            progress(f"{what}: {windows} windows of {WINDOW:g} s")
            try:
                rows, cad = measure(net, agent, promvipd, routers, interval, check, windows)
            except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
                errors.append(f"{what}: {str(e).splitlines()[0][:300] if str(e) else type(e).__name__}")
                progress(f"FAILED: {errors[-1]}")
                continue
            idle += rows
            if cad:
                cadence.append(cad)
    return idle, cadence, errors
