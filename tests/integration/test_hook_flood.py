"""A flapping router and slow hooks (issue 13, defect 2; README "Notify
hooks"): about a thousand transitions in a few seconds, while every state
hook sleeps half a second. A transition drops the hooks still waiting for
earlier ones, so promvipd's memory stays bounded, the hooks that run are in
transition order, the last ones match the final state, and the dropped
counter accounts for every hook that did not run.

The instance flaps between BACKUP and FAULT: its interface is set down and
up in the host's namespace by a shell loop there (bounded in count and
time), until the log shows 1,000 transitions; at the end it stays up and
the lone host becomes MASTER. The `any` hook carries a 64 KiB argv, so
that hooks piling up in the queue would show in VmRSS (1,000 of them: 64
MiB), where a bounded queue holds at most three.
"""

import functools
import os
import re
import time

from lab import wait_for
from vrrp import (master_down_interval, Agent, agent_metrics, agent_status, hook_config,
                  notify_group, read_records, record_hook, transitions_since, vip4)

INTERVAL = 1.0          # Master_Down_Interval 3.6 s: no MASTER while flapping
MARGIN = 2.0
HOOK_SLEEP = 0.5
TARGET = 1000           # transitions
CHUNK = 50              # down/up pairs per shell loop
MAX_CHUNKS = 40         # at most 2,000 pairs
FLOOD_MAX_SECONDS = 40.0
PAYLOAD = ["x" * 4096] * 16
RSS_GROWTH_MAX_KIB = 16 * 1024

mdi = functools.partial(master_down_interval, interval=INTERVAL)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def hook_counters(agent):
    c = agent.counters()["instance prom"]
    return {k: int(c[f"hooks_{k}"]) for k in ("run", "failed", "refused", "dropped")}, \
        int(c["transitions"])


def expected_runs(steps):
    """(hook, STATE, PREVIOUS) of every hook the transitions would run
    without coalescing: the state's hook, then `any`."""
    out = []
    for old, new in steps:
        out += [(f"{new.lower()}.sh", new, old), ("any.sh", new, old)]
    return out


def is_subsequence(part, whole):
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


def test_thousand_transitions_with_slow_hooks(hooks, lab, promvipd, monkeypatch):
    # ASan's quarantine (256 MB) keeps freed memory resident, so that VmRSS
    # would measure churn rather than what promvipd holds; keep it small.
    asan = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (asan + ":" if asan else "") + "quarantine_size_mb=1")
    net = lab(1)
    h1 = net.hosts[0]
    out = hooks.output("runs.log")
    paths = {s: record_hook(hooks, f"{s}.sh", out, sleep=HOOK_SLEEP) for s in ("master", "backup", "fault")}
    any_hook = record_hook(hooks, "any.sh", out)
    notify = notify_group(timeout=10.0, any=[any_hook] + PAYLOAD, **paths)
    a = Agent(net, h1, promvipd, hook_config(notify, priority=100, vips=[vip4(net) + "/24"],
                                             interval=INTERVAL))
    wait_for(lambda: len(read_records(out)) >= 2, 5, what="the INIT -> BACKUP hooks")
    rss_before = vm_rss_kib(a.proc.pid)

    # The flood: chunks of down/up pairs until TARGET transitions are logged.
    loop = (f"i=0; while [ $i -lt {CHUNK} ]; do ip link set eth0 down; ip link set eth0 up; "
            f"i=$((i + 1)); done")
    start = time.monotonic()
    chunks = 0
    while (len(transitions_since(a, 0)) < TARGET and chunks < MAX_CHUNKS
           and time.monotonic() - start < FLOOD_MAX_SECONDS):
        net.run(h1.ns, ["sh", "-c", loop], timeout=30, check=True)
        chunks += 1
    took = time.monotonic() - start
    rss_after = vm_rss_kib(a.proc.pid)
    flood = len(transitions_since(a, 0))
    assert flood >= TARGET, f"only {flood} transitions after {chunks} chunks in {took:.1f}s"

    # The hooks still queued are the running one and the last transition's.
    assert rss_after - rss_before < RSS_GROWTH_MAX_KIB, (rss_before, rss_after)

    a.wait_state("MASTER", mdi(100) + MARGIN)
    steps = transitions_since(a, 0)
    assert steps[-1] == ("BACKUP", "MASTER"), steps[-3:]
    assert all(s in {("INIT", "BACKUP"), ("BACKUP", "FAULT"), ("FAULT", "BACKUP")}
               for s in steps[:-1]), set(steps)
    total = 2 * len(steps)              # a state hook and `any` per transition
    got = []

    def settled():
        got.append(hook_counters(a))
        c, transitions = got[-1]
        return transitions == len(steps) and c["run"] + c["dropped"] == total
    wait_for(settled, 3 * HOOK_SLEEP + MARGIN, interval=0.2,
             what=lambda: f"hooks run + dropped = {total} (got {got[-1:]})")
    counters = got[-1][0]
    assert counters["failed"] == 0 and counters["refused"] == 0, counters

    records = read_records(out)
    runs = [(r["hook"], r["state"], r["prev"]) for r in records]
    assert len(runs) == counters["run"], (runs, counters)
    assert is_subsequence(runs, expected_runs(steps)), runs
    assert runs[-2:] == [("master.sh", "MASTER", "BACKUP"), ("any.sh", "MASTER", "BACKUP")], runs
    assert all(r["args"].split()[-4:] == ["INSTANCE", "prom", r["state"], "100"]
               for r in records if r["hook"] == "any.sh"), [r["args"][-40:] for r in records]
    for x, y in zip(records, records[1:]):
        assert y["start"] >= x["end"], ("hooks overlapped", x, y)
    # Slow hooks: only a few ran while about 2,000 were asked for.
    assert counters["run"] <= 2 * (took + mdi(100) + MARGIN) / HOOK_SLEEP + 4, counters

    # Each drop logged, one line per transition that dropped something.
    dropped = [int(n) for n in re.findall(r"instance 'prom': dropped (\d+) waiting hooks? for "
                                          r"(?:BACKUP|FAULT|MASTER): superseded by the transition "
                                          r"to (?:BACKUP|FAULT|MASTER)\n", a.proc.output())]
    assert sum(dropped) == counters["dropped"], (len(dropped), sum(dropped), counters)
    assert len(dropped) <= len(steps)

    # The same numbers in /metrics and /status.
    metrics = agent_metrics(net, h1)
    for name, key in (("runs", "run"), ("failures", "failed"), ("refused", "refused"),
                      ("dropped", "dropped")):
        line = f'promvip_instance_hook_{name}_total{{vrrp_instance="prom"}} {counters[key]}'
        assert line in metrics.splitlines(), (line, metrics)
    assert agent_status(net, h1)["instances"][0]["hooks"] == counters
    print(f"{len(steps)} transitions ({chunks} x {CHUNK} link flaps in {took:.1f}s): "
          f"{counters['run']} hooks ran, {counters['dropped']} dropped; "
          f"VmRSS {rss_before} -> {rss_after} kB")
