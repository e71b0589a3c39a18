"""Junk flood: while h1 is master and h2 backup of one router at 0.1 s
adverts, the client floods every malformed or foreign kind of VRRP packet
in turn (priority 50, as a misconfigured neighbour) at a target rate for a
fixed time. Measured: state changes on either host (flaps), whether the
VIP left h1, the CPU time of each agent, and the rate the senders reached
(they share the machine's cores with the agents: the achieved rate is
reported, not assumed).
"""

import subprocess
import time

import agents
import packets
import vrrp

INTERVAL = 0.1
DURATION = 10.0
PRIORITY = 50
KINDS = ("bad_checksum", "ttl_254", "version_4", "version_2", "bad_type", "wrong_vrid",
         "truncated", "zero_interval", "v2_bad_auth", "v2_bad_checksum")
PER_SENDER = 25000  # packets per second one Python sender keeps up with


def one_run(net, agent, promvipd, rate, run):
    pair = agents.start_pair(net, agent, promvipd, 1, INTERVAL, check=False)
    try:
        time.sleep(1.0)
        states_before = [len(r.states(1)) for r in pair]
        moves_before = pair[1].states(1).count("MASTER")
        cpu_before = [r.cpu_seconds() for r in pair]
        senders = max(1, -(-rate // PER_SENDER))
        procs = [packets.spawn_flood(net, net.client, addrs=[vrrp.vip4(net)], vrid=1,
                                     prio=PRIORITY, rate=rate / senders, duration=DURATION,
                                     mix=KINDS, auth_pass="bench")
                 for _ in range(senders)]
        started = time.monotonic()
        for p in procs:
            p.wait(DURATION + 30)
        elapsed = time.monotonic() - started
        time.sleep(3 * INTERVAL)
        cpu = [r.cpu_seconds() - b for r, b in zip(pair, cpu_before)]
        sent = sum(packets.flooded_count(p) for p in procs)
        flaps = sum(len(r.states(1)) - b for r, b in zip(pair, states_before))
        return {"agent": agent, "rate": rate, "achieved_rate": round(sent / DURATION),
                "run": run, "duration_s": DURATION, "elapsed_s": round(elapsed, 2),
                "interval": INTERVAL, "kinds": list(KINDS), "senders": senders,
                "flaps": flaps, "vip_moved": pair[1].states(1).count("MASTER") > moves_before,
                "cpu_master_s": round(cpu[0], 4), "cpu_backup_s": round(cpu[1], 4)}
    finally:
        agents.stop_pair(net, pair)


def run_case(net, rate, runs, promvipd, progress):
    """`runs` floods at `rate` for each agent, interleaved; returns (rows, errors)."""
    rows, errors = [], []
    for run in range(runs):
        for agent in ("promvipd", "keepalived"):
            progress(f"{agent}: run {run + 1} of {runs}")
            try:
                rows.append(one_run(net, agent, promvipd, rate, run))
            except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
                errors.append(f"{agent} run {run + 1}: {str(e).splitlines()[0][:300]}")
                progress(f"FAILED: {errors[-1]}")
    return rows, errors
