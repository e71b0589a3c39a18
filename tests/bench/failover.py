"""Failover as a client sees it: a client polls the VIP every 10 ms; the
master (h1) suffers a fault; the outage is the time from the fault to the
first answer from h2, and the failed requests are those in between.

Kinds of fault, each with its RFC 5798 bound (h2 has priority 100):
  kill9       kill -9 of h1's agent (its cgroup)      Master_Down_Interval
  crash       h1's link down, then kill -9             Master_Down_Interval
  stop        SIGTERM to h1's agent (priority 0 sent)  Skew_Time
  prometheus  h1's Prometheus stopped; the check       fall x check interval
              fails, h1's priority drops below h2's    + check timeout
                                                       + Master_Down_Interval
For `prometheus` the client's requests answered by h1 after the fault count
as failed too: that host's Prometheus is down.

Each run starts both agents afresh and waits a random delay, uniform over
one advert interval, before the fault, so that the fault lands at a uniform
phase of the advert cycle. One run per kind, agent and interval also
captures the adverts and ARP on the wire for the timeline picture.
"""

import os
import random
import subprocess
import time

import agents
import packets
import vrrp
from lab import wait_for

KINDS = ("kill9", "crash", "stop", "prometheus")
CLIENT_INTERVAL = 0.01
CLIENT_TIMEOUT = 0.1
BACKUP_PRIORITY = 100


def agents_for(kind):
    if kind == "prometheus":
        return ("promvipd", "promvipd-rapid", "keepalived")
    return ("promvipd", "keepalived")


def bound(kind, interval):
    """The RFC 5798 bound of the outage, in seconds."""
    mdi = vrrp.master_down_interval(BACKUP_PRIORITY, interval)
    if kind == "stop":
        return vrrp.skew_time(BACKUP_PRIORITY, interval)
    if kind == "prometheus":
        check = agents.CHECK
        return check["fall"] * check["interval"] + check["timeout"] + mdi
    return mdi


class WireCapture:
    """tcpdump in the client's namespace: VRRP and ARP, for a timeline."""

    def __init__(self, net):
        self.net = net
        self.path = os.path.join(net.dir, f"timeline-{len(net.procs)}.pcap")
        self.proc = net.spawn(net.client.ns, ["tcpdump", "-n", "-U", "-i", "eth0", "-w",
                                              self.path, "ip proto 112 or arp"], name="tcpdump")
        wait_for(lambda: "listening on" in self.proc.output() or not self.proc.alive(), 10,
                 what=lambda: f"tcpdump: {self.proc.output()}")
        # The monotonic clock of the client's samples vs the capture's epoch times.
        self.offset = time.time() - time.monotonic()

    def stop(self):
        self.proc.stop()

    def adverts(self, hosts):
        """[(monotonic t, host name, priority)] of router 1's adverts."""
        by_addr = {h.addr4: h.name for h in hosts}
        return [(p["time"] - self.offset, by_addr.get(p["src"], p["src"]), p["prio"])
                for p in packets.read_pcap(self.path) if p["vrid"] == 1]

    def first_garp(self, vip, mac, after):
        """Monotonic time of the first ARP for `vip` sent from `mac` after
        `after`, or None."""
        r = subprocess.run(["tshark", "-n", "-r", self.path, "-Y", f"arp.src.proto_ipv4 == {vip}",
                            "-T", "fields", "-e", "frame.time_epoch", "-e", "eth.src"],
                           capture_output=True, text=True, timeout=30)
        for line in r.stdout.splitlines():
            t, src = line.split("\t")
            t = float(t) - self.offset
            if src.lower() == mac and t > after:
                return t
        return None


def mac_of(net, host):
    out = net.run(host.ns, ["cat", "/sys/class/net/eth0/address"]).stdout
    return out.strip().lower()


def inject(kind, net, pair, prom_h1):
    """Cause the fault on h1; returns its time (monotonic)."""
    master = pair[0]
    if kind == "kill9":
        t = time.monotonic()
        master.kill9()
    elif kind == "crash":
        t = time.monotonic()
        subprocess.run(["ip", "-n", net.hosts[0].ns, "link", "set", "eth0", "down"],
                       check=True, timeout=10)
        master.kill9()
    elif kind == "stop":
        t = time.monotonic()
        master.stop()
    else:
        t = time.monotonic()
        prom_h1.stop()
    return t


def measure(samples, kind, fault):
    """(outage s or None, failed requests) from the client's samples."""
    after = [(t, a) for t, a in samples if t >= fault]
    first_h2 = next((t for t, a in after if a == "h2"), None)
    if first_h2 is None:
        return None, sum(1 for _, a in after if a != "h2")
    before = [a for t, a in after if t < first_h2]
    failed = sum(1 for a in before if a.startswith("ERR") or (kind == "prometheus" and a == "h1"))
    return first_h2 - fault, failed


def one_run(net, kind, agent, interval, run, promvipd, proms, timeline=False):
    """One failover; returns (result row, timeline or None)."""
    row = {"kind": kind, "agent": agent, "interval": interval, "run": run, "phase": None,
           "outage_s": None, "failed": None, "bound_s": bound(kind, interval),
           "client_slack_s": CLIENT_TIMEOUT + CLIENT_INTERVAL, "error": None}
    pair, client, capture = [], None, None
    check = kind == "prometheus"
    try:
        pair = agents.start_pair(net, agent, promvipd, 1, interval, check)
        if check:  # both checks past their first `rise` successes
            time.sleep(agents.CHECK["rise"] * agents.CHECK["interval"] + 0.5)
        client = vrrp.Client(net, vrrp.vip4(net), interval=CLIENT_INTERVAL,
                             timeout=CLIENT_TIMEOUT, duration=120)
        start = time.monotonic()
        client.wait_answer("h1", 10, after=start)
        if timeline:
            capture = WireCapture(net)
        phase = random.random()
        row["phase"] = round(phase, 3)
        time.sleep(0.3 + phase * interval)
        fault = inject(kind, net, pair, proms[0])
        limit = row["bound_s"] + 10
        wait_for(lambda: any(a == "h2" and t > fault for t, a in client.samples()), limit,
                 interval=0.02, what=f"{kind} {agent}: client answered by h2")
        # The timeline shows a second past the first answer and the bound.
        time.sleep(max(1.0, row["bound_s"] - (time.monotonic() - fault) + 1) if timeline else 0.1)
        samples = client.stop()
        client = None
        row["outage_s"], row["failed"] = measure(samples, kind, fault)
        tl = None
        if capture:
            capture.stop()
            end = fault + max(row["outage_s"], row["bound_s"]) + 1
            tl = {"kind": kind, "agent": agent, "interval": interval, "fault": fault,
                  "samples": [[round(t, 4), a] for t, a in samples
                              if fault - 2 * interval - 1 <= t <= end],
                  "adverts": [[round(t, 4), h, p] for t, h, p in capture.adverts(net.hosts)],
                  "vip_moved": capture.first_garp(vrrp.vip4(net), mac_of(net, net.hosts[1]),
                                                  fault),
                  "bound_s": row["bound_s"]}
        return row, tl
    except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
        row["error"] = str(e).splitlines()[0][:300]
        return row, None
    finally:
        if client:
            client.stop()
        if capture:
            capture.stop()
        agents.stop_pair(net, pair)
        if kind == "prometheus" and not proms[0].alive():
            proms[0].start()
            proms[0].wait_ready(60)


def run_case(net, kind, interval, runs, promvipd, proms, progress):
    """`runs` failovers of `kind` at `interval` for each agent, interleaved
    (run k of every agent, then run k+1); returns (rows, timelines)."""
    rows, timelines = [], []
    for run in range(runs):
        for agent in agents_for(kind):
            progress(f"{agent}: run {run + 1} of {runs}")
            row, tl = one_run(net, kind, agent, interval, run, promvipd, proms,
                              timeline=run == 0)
            rows.append(row)
            if tl:
                timelines.append(tl)
    return rows, timelines
