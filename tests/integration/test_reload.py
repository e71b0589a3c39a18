"""Reload (SIGHUP) without flapping: an unchanged instance keeps its state,
its VIPs and its advertisement rhythm, runs no hook; a changed priority or
track weight applies at the next advertisement without restarting the
instance (a transition only when the election result changes); a removed
instance stops as on SIGTERM and a new one starts; a changed VIP list
changes only the difference; unchanged probes keep their state; a broken
file changes nothing and says so.

Hooks (as in test_hooks.py) record their runs, so "no hook ran" is checked
from the files they would have written. Advertisements every 0.2 s.
"""

import functools
import itertools
import re
import signal
import time

import pytest

import packets
from lab import wait_for
from vrrp import (master_down_interval, WEB_PORT, AddrMonitor, Agent, Client, config, exec_probe,
                  fast_addresses, hook_config, hook_lines, http_probe, instance_group,
                  instances_config, log_mark, notify_group, priority_changes, probe_changes,
                  probe_config, probe_counters, read_records, record_hook, reload, start_web,
                  transitions_since, vip4, wait_holder, wait_probe, wait_records,
                  watch_addresses)

INTERVAL = 0.2
MARGIN = 2.0
HOOK_TIMEOUT = 2.0
STATES = ("master", "backup", "fault", "stop")


mdi = functools.partial(master_down_interval, interval=INTERVAL)


def recording_notify(hooks, tag):
    """A notify group whose every hook (any too) appends a record to
    <tag>.log; returns (notify text, records path)."""
    out = hooks.output(f"{tag}.log")
    paths = {s: record_hook(hooks, f"{tag}-{s}.sh", out) for s in STATES + ("any",)}
    return notify_group(timeout=HOOK_TIMEOUT, **paths), out


def summary(records, instance=None):
    """[(instance, STATE, PREVIOUS)] of the state hooks' records (not `any`)."""
    return [(r["instance"], r["state"], r["prev"]) for r in records
            if not r["hook"].endswith("-any.sh") and (instance is None or r["instance"] == instance)]


def assert_reloaded(status):
    assert status and "reloaded" in status and "failed" not in status.lower(), status


def agent_pair(net, promvipd, hooks, priorities=(150, 100), **kw):
    """h1 and h2 with recording hooks, h1 master; returns (agents, record files)."""
    agents, outs = [], []
    for host, prio in zip(net.hosts, priorities):
        notify, out = recording_notify(hooks, host.name)
        agents.append(Agent(net, host, promvipd, hook_config(notify, priority=prio,
                                                             vips=[vip4(net) + "/24"],
                                                             interval=INTERVAL, **kw)))
        outs.append(out)
    wait_holder(net, vip4(net), net.hosts[priorities.index(max(priorities))].name,
                mdi(min(priorities)) + MARGIN)
    for a in agents:
        a.wait_state("MASTER" if a is agents[priorities.index(max(priorities))] else "BACKUP", 5)
    # Start-up runs: backup (+ any) everywhere, master (+ any) on the master.
    for a, out in zip(agents, outs):
        wait_records(out, 4 if a.state() == "MASTER" else 2, 5)
    return agents, outs


def pair_text(net, hooks_notify, priority, **kw):
    return hook_config(hooks_notify, priority=priority, vips=[vip4(net) + "/24"],
                       interval=INTERVAL, **kw)


def advert_gaps(pkts, src, start, end):
    mine = [p for p in pkts if p["src"] == src and start <= p["time"] <= end]
    return mine, [round(b["time"] - a["time"], 4) for a, b in zip(mine, mine[1:])]


# -- unchanged ----------------------------------------------------------------
def test_reload_unchanged_no_gap(hooks, lab, promvipd):
    """Reloads of an unchanged file (re-read: only a comment differs) while
    a client polls the VIP every 20 ms: no failed request, the VIP never
    deleted, no transition, no hook run, advertisements in rhythm."""
    net = lab(2)
    for h in net.hosts:
        start_web(net, h)
    (a1, a2), outs = agent_pair(net, promvipd, hooks)
    before = [read_records(o) for o in outs]
    client = Client(net, vip4(net), duration=30)
    client.wait_answer("h1", 5)
    mon = AddrMonitor(net, net.hosts[0])
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    time.sleep(3 * INTERVAL)           # tshark says it captures a little early
    marks = [log_mark(a) for a in (a1, a2)]
    texts = [open(a.path).read() for a in (a1, a2)]
    t0, w0 = time.monotonic(), time.time()
    for i in range(3):
        for a, text in zip((a1, a2), texts):
            assert_reloaded(reload(a, text + f"# reload {i}\n"))
        time.sleep(0.3)
    time.sleep(1.0)
    t1, w1 = time.monotonic(), time.time()
    pkts = cap.stop()
    samples = [(t, ans) for t, ans in client.samples() if t0 <= t <= t1]
    client.stop()
    assert len(samples) >= 30 and {ans for _, ans in samples} == {"h1"}, samples
    assert mon.deleted(vip4(net)) == [], mon.proc.output()
    for a, m in zip((a1, a2), marks):
        assert transitions_since(a, m) == [], a.proc.output()[m:]
        assert hook_lines(a, since=m) == []
    assert [read_records(o) for o in outs] == before
    mine, gaps = advert_gaps(pkts, net.hosts[0].addr4, w0 - INTERVAL, w1)
    assert len(mine) >= 10 and all(abs(g - INTERVAL) <= 0.05 for g in gaps), gaps
    assert {p["prio"] for p in mine} == {150}
    assert not [p for p in pkts if p["src"] == net.hosts[1].addr4 and p["time"] >= w0]


# -- priority -------------------------------------------------------------------
def test_reload_higher_priority_backup_takes_over(hooks, lab, promvipd):
    """The backup reloaded with priority 200 (preempt on): it takes over
    within its Master_Down_Interval, in place: only BACKUP -> MASTER (no
    INIT or STOP), only the master hook runs (with priority 200), and its
    counters go on (no new instance)."""
    net = lab(2)
    (a1, a2), outs = agent_pair(net, promvipd, hooks)
    wait_for(lambda: int(a2.counters()["instance prom"]["adverts_received"]) >= 5, 5,
             what="h2 hears h1")
    c_before = a2.counters()["instance prom"]
    n_before = len(read_records(outs[1]))
    marks = [log_mark(a) for a in (a1, a2)]
    notify = re.search(r"notify = \{.*\};", open(a2.path).read()).group(0)
    t0 = time.monotonic()
    assert_reloaded(reload(a2, pair_text(net, notify, 200)))
    wait_holder(net, vip4(net), "h2", mdi(200) + MARGIN)
    took = time.monotonic() - t0
    a1.wait_state("BACKUP", 5)
    assert transitions_since(a2, marks[1]) == [("BACKUP", "MASTER")], a2.proc.output()[marks[1]:]
    assert transitions_since(a1, marks[0]) == [("MASTER", "BACKUP")]
    new = wait_records(outs[1], n_before + 2, 5)[n_before:]
    time.sleep(0.3)
    assert len(read_records(outs[1])) == n_before + 2, read_records(outs[1])[n_before:]
    assert [(r["hook"], r["state"], r["prev"], r["priority"]) for r in new] == [
        ("h2-master.sh", "MASTER", "BACKUP", "200"), ("h2-any.sh", "MASTER", "BACKUP", "200")], new
    c = a2.counters()["instance prom"]
    assert (c["priority"], c["base_priority"]) == ("200", "200"), c
    assert int(c["transitions"]) == int(c_before["transitions"]) + 1, (c_before, c)
    assert int(c["adverts_received"]) >= int(c_before["adverts_received"]), (c_before, c)
    assert took < mdi(200) + 1.0, took
    print(f"h2 master {took:.2f}s after the reload (Master_Down_Interval {mdi(200):.2f}s)")


def test_reload_lower_priority_on_master(hooks, lab, promvipd):
    """The master reloaded with a lower priority that still wins (150 ->
    120 against 100): it advertises 120 at once and keeps its rhythm (one
    shorter gap back to its grid), no transition, no hook, the VIP stays. Reloaded below the backup (90):
    the backup takes over; on h1 only MASTER -> BACKUP and its backup hook."""
    net = lab(2)
    (a1, a2), outs = agent_pair(net, promvipd, hooks)
    notify = re.search(r"notify = \{.*\};", open(a1.path).read()).group(0)
    n_before = len(read_records(outs[0]))
    mon = AddrMonitor(net, net.hosts[0])
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    time.sleep(3 * INTERVAL)
    marks = [log_mark(a) for a in (a1, a2)]
    w_sig = time.time()
    assert_reloaded(reload(a1, pair_text(net, notify, 120)))
    w_ready = time.time()
    time.sleep(5 * INTERVAL)
    pkts = cap.stop()
    mine, gaps = advert_gaps(pkts, net.hosts[0].addr4, w_sig - 5 * INTERVAL, time.time())
    assert all(p["prio"] == 150 for p in mine if p["time"] < w_sig), mine
    assert all(p["prio"] == 120 for p in mine if p["time"] > w_ready + 0.002), mine
    assert [p["prio"] for p in mine].count(120) >= 4, mine
    # The advert of the change is off the grid of multiples of the interval
    # the periodic ones are on: the gap after it may be shorter, once.
    pairs = list(zip(gaps, mine, mine[1:]))
    change = [k for k, (g, a, b) in enumerate(pairs) if a["prio"] != b["prio"]]
    assert len(change) == 1 and pairs[change[0]][0] <= INTERVAL + 0.05, gaps
    steady = [g for k, (g, a, b) in enumerate(pairs) if k not in (change[0], change[0] + 1)]
    assert all(abs(g - INTERVAL) <= 0.05 for g in steady), gaps
    assert all(g <= INTERVAL + 0.05 for g in gaps), gaps
    for a, m in zip((a1, a2), marks):
        assert transitions_since(a, m) == [], a.proc.output()[m:]
        assert hook_lines(a, since=m) == []
    assert priority_changes(a1, since=marks[0]) in ([], [(150, 120)])
    assert len(read_records(outs[0])) == n_before
    assert mon.deleted(vip4(net)) == []
    assert a1.counters()["instance prom"]["priority"] == "120"

    marks = [log_mark(a) for a in (a1, a2)]
    assert_reloaded(reload(a1, pair_text(net, notify, 90)))
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    a1.wait_state("BACKUP", 5)
    assert transitions_since(a1, marks[0]) == [("MASTER", "BACKUP")]
    assert transitions_since(a2, marks[1]) == [("BACKUP", "MASTER")]
    new = wait_records(outs[0], n_before + 2, 5)[n_before:]
    time.sleep(0.3)
    assert [(r["hook"], r["state"], r["prev"], r["priority"]) for r in read_records(outs[0])[n_before:]] \
        == [("h1-backup.sh", "BACKUP", "MASTER", "90"), ("h1-any.sh", "BACKUP", "MASTER", "90")], new


# -- instances added and removed ------------------------------------------------
def test_reload_removes_and_adds_instances(hooks, lab, promvipd):
    """Removing an instance stops it as SIGTERM would: it hands over
    (priority 0, its VIP kept while it waits for a new master; with no peer
    at most Master_Down_Interval, then released, its stop hook run); adding
    one starts it (BACKUP, then MASTER with its hooks); the instance kept
    meanwhile is untouched."""
    net = lab(1)
    h1 = net.hosts[0]
    n = net.number
    notify, out = recording_notify(hooks, "h1")
    vips = {"prom": f"10.99.{n}.100", "other": f"10.99.{n}.101", "third": f"10.99.{n}.102"}
    vrids = {"prom": 51, "other": 52, "third": 53}

    def text(names):
        return instances_config([instance_group(name, vrids[name], 150, [vips[name] + "/24"],
                                                INTERVAL, extra=notify) for name in names],
                                global_={"script_user": "nobody"})
    a = Agent(net, h1, promvipd, text(["prom", "other"]))
    for name in ("prom", "other"):
        a.wait_state("MASTER", mdi(150) + MARGIN, instance=name)
    wait_records(out, 8, 5)
    mon = AddrMonitor(net, h1)
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    time.sleep(3 * INTERVAL)           # tshark says it captures a little early
    mark = log_mark(a)
    n_rec = len(read_records(out))
    w0 = time.time()
    t0 = time.monotonic()
    assert_reloaded(reload(a, text(["prom"])))
    wait_for(lambda: vips["other"] not in fast_addresses(h1), mdi(150) + MARGIN, interval=0.01,
             what="other's VIP released")
    held = time.monotonic() - t0
    assert held >= mdi(150) - 0.1, held  # kept while waiting for a new master
    assert transitions_since(a, mark, "other") == [("MASTER", "STOP")]
    assert "MASTER -> STOP (no new master within Master_Down_Interval)" in a.proc.output()[mark:]
    recs = wait_records(out, n_rec + 2, 5)[n_rec:]
    assert summary(recs) == [("other", "STOP", "MASTER")], recs
    time.sleep(3 * INTERVAL)
    pkts = cap.stop()
    gone = [p for p in pkts if p["src"] == h1.addr4 and p["vrid"] == 52 and p["time"] >= w0]
    prios = [p["prio"] for p in gone]
    # Priority 0 every interval while it waited (never its own priority), then silence.
    assert len(prios) >= 3 and set(prios) == {0}, gone

    mark2 = log_mark(a)
    n_rec = len(read_records(out))
    assert_reloaded(reload(a, text(["prom", "third"])))
    wait_for(lambda: vips["third"] in fast_addresses(h1), mdi(150) + MARGIN, what="third's VIP")
    a.wait_state("MASTER", 5, instance="third")
    assert transitions_since(a, mark2, "third") == [("INIT", "BACKUP"), ("BACKUP", "MASTER")]
    recs = wait_records(out, n_rec + 4, 5)[n_rec:]
    assert summary(recs) == [("third", "BACKUP", "INIT"), ("third", "MASTER", "BACKUP")], recs

    # prom, in the file all along, saw none of it.
    assert transitions_since(a, mark, "prom") == []
    assert all(r["instance"] != "prom" for r in read_records(out)[8:]), read_records(out)
    assert mon.deleted(vips["prom"]) == [] and mon.added(vips["prom"]) == []
    assert fast_addresses(h1) >= {vips["prom"], vips["third"]}
    assert vips["other"] not in fast_addresses(h1)


# -- VIP list ---------------------------------------------------------------------
def test_reload_changed_vip_list_by_difference(lab, promvipd):
    """VIPs .100 and .101 reloaded as .100 and .102: .102 appears (and
    answers the client), .101 goes, .100 is never absent (polled every
    10 ms across the reload, and not even briefly deleted per `ip monitor`);
    no transition."""
    net = lab(1)
    h1 = net.hosts[0]
    n = net.number
    keep, drop, add = f"10.99.{n}.100", f"10.99.{n}.101", f"10.99.{n}.102"
    a = Agent(net, h1, promvipd, config(priority=150, vips=[keep + "/24", drop + "/24"],
                                        interval=INTERVAL))
    wait_for(lambda: {keep, drop} <= fast_addresses(h1), mdi(150) + MARGIN, what="both VIPs")
    mon = AddrMonitor(net, h1)
    mark = log_mark(a)
    with open(a.path, "w") as f:
        f.write(config(priority=150, vips=[keep + "/24", add + "/24"], interval=INTERVAL))
    sock_mark = len(a.sock.messages())
    samples = watch_addresses(h1, 4.0, action=lambda: a.proc.signal(signal.SIGHUP), at=0.3,
                              until=lambda s: add in s and drop not in s)
    msg = a.sock.wait_for("READY=1", 5, since=sock_mark)
    assert_reloaded(re.search(r"(?m)^STATUS=(.*)$", msg).group(1))
    # Dense enough to see a gap (on a loaded machine a poll takes ~20 ms);
    # `ip monitor` below catches shorter ones.
    spacing = max(b[0] - a[0] for a, b in zip(samples, samples[1:]))
    assert samples[-1][0] - samples[0][0] >= 0.5 and spacing < 0.2, (len(samples), spacing)
    missing = [t for t, s in samples if keep not in s]
    assert missing == [], f"{keep} absent at {missing}"
    assert drop in samples[0][1] and add not in samples[0][1]
    assert add in samples[-1][1] and drop not in samples[-1][1], samples[-1]
    assert mon.deleted(keep) == [] and mon.added(keep) == [], mon.proc.output()
    assert mon.deleted(drop) and mon.added(add), mon.proc.output()
    assert transitions_since(a, mark) == []
    assert a.state() == "MASTER"
    r = net.run(net.client.ns, ["ping", "-c", "1", "-W", "2", add])
    assert r.returncode == 0, r.stdout + r.stderr


# -- probes -------------------------------------------------------------------------
def test_reload_keeps_probe_state(lab, promvipd):
    """Two probes UP (exec /bin/true as nobody, weight +10; http against
    the host's web server, weight -50): a reload that changes only the
    instance's track weight (+10 -> +20) leaves both probes as they are (no
    DOWN -> UP again, runs counted on) and moves the effective priority
    160 -> 170 at once, without a transition. A reload that changes the
    http probe's definition may restart that probe, never the other."""
    net = lab(1)
    h1 = net.hosts[0]
    start_web(net, h1)

    def text(ok_weight, web_interval=0.3):
        probes = [exec_probe("ok", "/bin/true", interval=0.3, timeout=0.2, fall=2, rise=2,
                             weight=10),
                  http_probe("web", url=f"http://127.0.0.1:{WEB_PORT}/whoami",
                             interval=web_interval, timeout=0.2, fall=2, rise=2, weight=-50)]
        return probe_config(probes=probes, track=[("ok", ok_weight), ("web", -50)],
                            global_={"script_user": "nobody"}, priority=150,
                            vips=[vip4(net) + "/24"], interval=INTERVAL)
    a = Agent(net, h1, promvipd, text(10))
    for name in ("ok", "web"):
        wait_probe(a, name, "UP", 0.3 * 3 + MARGIN)
    wait_for(lambda: a.counters()["instance prom"]["priority"] == "160", 2, what="priority 160")
    a.wait_state("MASTER", 5)
    before = probe_counters(a)
    mark = log_mark(a)
    assert_reloaded(reload(a, text(20)))
    wait_for(lambda: (160, 170) in priority_changes(a, since=mark), 2,
             what=lambda: f"160 -> 170: {a.proc.output()[mark:]}")
    time.sleep(4 * 0.3)
    after = probe_counters(a)
    assert probe_changes(a, since=mark) == [], a.proc.output()[mark:]
    assert priority_changes(a, since=mark) == [(160, 170)]
    for name in ("ok", "web"):
        assert after[name]["state"] == "UP", after[name]
        assert int(after[name]["runs"]) > int(before[name]["runs"]), (before[name], after[name])
    assert (after["instance prom"]["priority"], after["instance prom"]["base_priority"]) == \
        ("170", "150")
    assert transitions_since(a, mark) == []

    mark = log_mark(a)
    assert_reloaded(reload(a, text(20, web_interval=0.4)))
    time.sleep(4 * 0.4)
    wait_for(lambda: probe_counters(a)["web"]["state"] == "UP", 0.4 * 3 + MARGIN,
             what="web UP after its definition changed")
    assert probe_changes(a, "ok", since=mark) == [], a.proc.output()[mark:]
    assert a.state() == "MASTER"


# -- broken file ------------------------------------------------------------------------
BROKEN = ("syntax", "invalid_value", "unsafe_hook")


@pytest.mark.parametrize("kind", BROKEN)
def test_reload_broken_config_keeps_running(hooks, lab, promvipd, kind):
    """A reload of a broken file (libconfig syntax error, a value out of
    range, a hook anyone may change) logs FILE:LINE, keeps the running
    configuration (priority, VIP, hooks: nothing runs, nothing moves) and
    says so in STATUS; a later good reload applies."""
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip4(net)
    notify, out = recording_notify(hooks, "h1")
    good = hook_config(notify, priority=150, vips=[vip + "/24"], interval=INTERVAL)
    a = Agent(net, h1, promvipd, good)
    a.wait_state("MASTER", mdi(150) + MARGIN)
    wait_records(out, 4, 5)
    n_rec = len(read_records(out))
    if kind == "syntax":
        broken = good + "instances = ( { name = \"x\" \n"
    elif kind == "invalid_value":
        broken = hook_config(notify, priority=300, vips=[vip + "/24"], interval=INTERVAL)
    else:
        unsafe = hooks.script("unsafe.sh", "#!/bin/sh\nexit 0\n", mode=0o777)
        broken = hook_config(re.sub(r'master = "[^"]*";', f'master = "{unsafe}";', notify),
                             priority=150, vips=[vip + "/24"], interval=INTERVAL)
        assert unsafe in broken
    mon = AddrMonitor(net, h1)
    sent_before = int(a.counters()["instance prom"]["adverts_sent"])
    mark = log_mark(a)
    status = reload(a, broken)
    assert status.startswith("Reload failed (") and "still running" in status, status
    assert re.search(rf"(?m){re.escape(a.path)}:\d+: ", a.proc.output()[mark:]), a.proc.output()[mark:]
    time.sleep(5 * INTERVAL)
    assert a.proc.alive()
    c = a.counters()["instance prom"]
    assert (c["state"], c["priority"], c["base_priority"]) == ("MASTER", "150", "150"), c
    assert int(c["adverts_sent"]) >= sent_before + 3, (sent_before, c)
    assert transitions_since(a, mark) == []
    assert hook_lines(a, since=mark) == []
    assert len(read_records(out)) == n_rec
    assert mon.deleted(vip) == [] and vip in fast_addresses(h1)

    mark = log_mark(a)
    second = f"10.99.{net.number}.101"
    status = reload(a, hook_config(notify, priority=160, vips=[vip + "/24", second + "/24"],
                                   interval=INTERVAL))
    assert_reloaded(status)
    wait_for(lambda: second in fast_addresses(h1), 2, what="the second VIP of the good reload")
    assert a.counters()["instance prom"]["priority"] == "160"
    assert transitions_since(a, mark) == []
    assert mon.deleted(vip) == []


# -- reloads that replace an instance or change a version 2 interval ---------

def watched_master_pair(net, promvipd, version=3, interval=INTERVAL, name="prom"):
    """h1 (150) master and h2 (100) backup with web servers and a client
    polling the VIP every 10 ms; returns (agents, client)."""
    for h in net.hosts:
        start_web(net, h)
    agents = [Agent(net, h, promvipd, config(name=name, priority=p, vips=[vip4(net) + "/24"],
                                             interval=interval, version=version))
              for h, p in zip(net.hosts, (150, 100))]
    wait_holder(net, vip4(net), "h1", master_down_interval(100, interval) + MARGIN)
    agents[0].wait_state("MASTER", 5)
    agents[1].wait_state("BACKUP", 5)
    client = Client(net, vip4(net), interval=0.01, duration=30)
    client.wait_answer("h1", 5)
    return agents, client


def holders_sample(net, h1, h2):
    """(h1 holds the VIP, h2 holds it), read h1, h2, h1: the two reads are
    milliseconds apart on a loaded host, and a hand-over between them
    (either way: the new holder adds before the old one deletes) must not
    look like a gap. A gap longer than the three reads still shows."""
    first = vip4(net) in fast_addresses(h1)
    second = vip4(net) in fast_addresses(h2)
    return (first or vip4(net) in fast_addresses(h1), second)


@pytest.mark.parametrize("change", ["renamed", "version"])
def test_reload_replacing_the_master_instance_is_hitless(lab, promvipd, change):
    """A reload that replaces the master's instance (renamed, or another
    version): the retired instance hands over with its VIP kept until h2
    holds it, and the replacement's start does not take the VIP away from
    under it: polled every few milliseconds, some host always holds it.
    Renamed, the replacement (150, 0.2 s) then preempts h2 (100) within
    the window; the version 2 one (1 s) does not. The whole window is
    sampled, so how fast a sample is (a loaded CI host) does not matter."""
    net = lab(2)
    (a1, a2), client = watched_master_pair(net, promvipd)
    h1, h2 = net.hosts
    new = config(name="prom2" if change == "renamed" else "prom", priority=150, vips=[vip4(net) + "/24"],
                 interval=1 if change == "version" else INTERVAL, version=2 if change == "version" else 3)
    assert_reloaded(reload(a1, new))
    held = []
    deadline = time.monotonic() + mdi(100) + MARGIN
    for _ in range(5000):
        if time.monotonic() > deadline:
            break
        held.append(holders_sample(net, h1, h2))
        time.sleep(0.002)
    client.stop()
    story = [k for k, _ in itertools.groupby(held)]
    gaps = sum(1 for x in held if x == (False, False))
    print(f"\n{change}: {len(held)} samples, holders {story}, {gaps} without the VIP anywhere")
    assert (False, True) in story, f"h2 never held the VIP alone: {story}"
    assert gaps == 0, f"{gaps} samples without the VIP anywhere:\n{a1.proc.output()[-3000:]}"
    if change == "renamed":
        assert story[-1] == (True, False) and a1.state("prom2") == "MASTER", story
    else:
        assert story[-1] == (False, True) and a2.state() == "MASTER", story


def test_reload_v2_interval_backup_keeps_up(lab, promvipd):
    """Version 2: both routers reloaded from a 1 s to a 4 s interval. The
    backup takes the new interval (it cannot learn it from packets) and
    does not time out between the master's slower adverts."""
    net = lab(2)
    (a1, a2), client = watched_master_pair(net, promvipd, version=2, interval=1)
    for agent, prio in ((a2, 100), (a1, 150)):
        assert_reloaded(reload(agent, config(priority=prio, vips=[vip4(net) + "/24"], interval=4, version=2)))
    mark = log_mark(a2)
    time.sleep(3 * 4 + 2)
    assert ("BACKUP", "MASTER") not in transitions_since(a2, mark), a2.proc.output()[-2000:]
    assert a1.state() == "MASTER" and a2.state() == "BACKUP"
    client.stop()
