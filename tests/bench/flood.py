"""Junk flood: while h1 is master and h2 backup of one router at 0.1 s
adverts, the client floods every malformed or foreign kind of VRRP packet
in turn (priority 50, as a misconfigured neighbour) at a target rate for a
fixed time. Measured: state changes on either host (flaps), whether the
VIP left h1, the CPU time of each agent, and the rate the sender reached.

The sender is trafgen (Debian's netsniff-ng, one process on one core):
the frames are crafted by packets.py and written into its configuration,
sent in turn at the target rate. It shares the machine's cores with the
agents, so the achieved rate is reported, not assumed. It never tunes
the host's socket memory (--no-sock-mem).
"""

import os
import re
import subprocess
import time

import agents
import packets
import vrrp

TRAFGEN = "/usr/sbin/trafgen"
INTERVAL = 0.1
DURATION = 10.0
PRIORITY = 50
KINDS = ("bad_checksum", "ttl_254", "version_4", "version_2", "bad_type", "wrong_vrid",
         "truncated", "zero_interval", "v2_bad_auth", "v2_bad_checksum")
VRRP_MAC = bytes.fromhex("01005e000012")  # 224.0.0.18


def trafgen_config(net):
    """A trafgen configuration: one Ethernet frame per kind, from the client."""
    mac = bytes.fromhex(net.run(net.client.ns, ["cat", "/sys/class/net/eth0/address"])
                        .stdout.strip().replace(":", ""))
    lines = []
    for kind in KINDS:
        datagram = packets.craft(kind, vrid=1, prio=PRIORITY, src=net.client.addr4,
                                 addrs=[vrrp.vip4(net)], auth_pass="bench")
        frame = VRRP_MAC + mac + b"\x08\x00" + datagram
        lines.append("{ " + ", ".join(f"0x{b:02x}" for b in frame) + " }")
    return net.write("flood.trafgen", "\n".join(lines) + "\n")


def sent(proc):
    """Packets trafgen reports as sent ("N packets outgoing")."""
    m = re.search(r"(\d+) packets outgoing", proc.output())
    return int(m.group(1)) if m else 0


def one_run(net, agent, promvipd, rate, run, config):
    pair = agents.start_pair(net, agent, promvipd, 1, INTERVAL, check=False)
    try:
        time.sleep(1.0)
        states_before = [len(r.states(1)) for r in pair]
        moves_before = pair[1].states(1).count("MASTER")
        cpu_before = [r.cpu_seconds() for r in pair]
        started = time.monotonic()
        proc = net.spawn(net.client.ns, [TRAFGEN, "--dev", "eth0", "--conf", config,
                                         "--rate", f"{rate}pps", "--num", str(int(rate * DURATION)),
                                         "--cpus", "1", "--no-sock-mem"], name="trafgen")
        code = proc.wait(DURATION * 3 + 30)
        elapsed = time.monotonic() - started
        if code != 0:
            raise RuntimeError(f"trafgen exited {code}: {proc.output()[-500:]}")
        time.sleep(3 * INTERVAL)
        cpu = [r.cpu_seconds() - b for r, b in zip(pair, cpu_before)]
        flaps = sum(len(r.states(1)) - b for r, b in zip(pair, states_before))
        return {"agent": agent, "rate": rate, "achieved_rate": round(sent(proc) / elapsed),
                "run": run, "duration_s": round(elapsed, 2), "interval": INTERVAL,
                "kinds": list(KINDS), "sender": "trafgen", "flaps": flaps,
                "vip_moved": pair[1].states(1).count("MASTER") > moves_before,
                "cpu_master_s": round(cpu[0], 4), "cpu_backup_s": round(cpu[1], 4)}
    finally:
        agents.stop_pair(net, pair)


def run_case(net, rate, runs, promvipd, progress):
    """`runs` floods at `rate` for each agent, interleaved; returns (rows, errors)."""
    rows, errors = [], []
    config = trafgen_config(net)
    for run in range(runs):
        for agent in ("promvipd", "keepalived"):
            progress(f"{agent}: run {run + 1} of {runs}")
            try:
                rows.append(one_run(net, agent, promvipd, rate, run, config))
            except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
                errors.append(f"{agent} run {run + 1}: {str(e).splitlines()[0][:300]}")
                progress(f"FAILED: {errors[-1]}")
    return rows, errors


def available():
    """Why the flood cannot run, or None."""
    return None if os.access(TRAFGEN, os.X_OK) else f"{TRAFGEN} not found: apt-get install netsniff-ng"
