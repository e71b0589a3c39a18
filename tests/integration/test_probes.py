"""Probes against a real Prometheus (Debian's `prometheus`, see
prometheus.py): the VIP leaves a host whose Prometheus is stopped, hung or
not scraping, and comes back only after `rise` successes; promvipd never
blocks on a probe; weight-0 probes are faults.

Each host runs its own Prometheus on 127.0.0.1:9090 of its namespace and
promvipd with an http probe of /-/ready (interval 0.5 s, timeout 0.25 s,
fall 2, rise 2, weight -60): h1 has priority 150, h2 100, so h1 with a
DOWN probe (90) loses to a healthy h2. Advertisements every 0.2 s keep the
tests short; every bound has a generous margin over the RFC and probe
arithmetic, spelled out next to it.
"""

import functools
import os
import pwd
import shutil
import tempfile
import time

import pytest

import packets
import prometheus
from vrrp import (master_down_interval, Agent, Client, exec_probe, holders, http_probe, log_mark, outage,
                  priority_changes, probe, probe_changes, probe_config, probe_counters,
                  promql_probe, start_web, transitions_since, vip4, wait_holder, wait_probe)

INTERVAL = 0.2        # advertisement interval
PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 0.25
FALL = 2
RISE = 2
READY_WEIGHT = -60
MARGIN = 2.0          # seconds on top of every computed upper bound


mdi = functools.partial(master_down_interval, interval=INTERVAL)


def detect_bound():
    """Latest moment (from the fault) a probe can be DOWN: the next run
    comes within one interval, then `fall` runs in a row fail, each taking
    up to the timeout."""
    return FALL * PROBE_INTERVAL + PROBE_TIMEOUT


def failover_bound(backup_priority=100):
    """Fault -> backup is master: the probe is DOWN, the master's next
    advertisement carries the lower priority, the backup ignores it
    (preempt) and takes over after Master_Down_Interval."""
    return detect_bound() + INTERVAL + mdi(backup_priority) + MARGIN


def rise_bound(priority=150):
    """Healthy again -> master again: `rise` successful runs (the first
    within one interval), then Master_Down_Interval to preempt."""
    return RISE * PROBE_INTERVAL + PROBE_TIMEOUT + INTERVAL + mdi(priority) + MARGIN


@pytest.fixture(autouse=True)
def prometheus_installed():
    if not os.access(prometheus.PROMETHEUS, os.X_OK):
        pytest.fail(f"{prometheus.PROMETHEUS} not found: apt-get install prometheus",
                    pytrace=False)


@pytest.fixture
def proms():
    """Prometheus servers of a test: frozen ones are thawed at teardown so
    that the lab's SIGTERM ends them at once."""
    started = []
    yield started
    for p in started:
        if p.frozen and p.alive():
            p.thaw()


def start_prom(proms, net, host, ready=True, **kw):
    p = prometheus.start(net, host, ready=ready, **kw)
    proms.append(p)
    return p


def ready_config(net, priority, extra_probes=(), track=None, **kw):
    """The ready probe (/-/ready of the local Prometheus, weight -60)."""
    probes = [http_probe(interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT, fall=FALL, rise=RISE,
                         weight=READY_WEIGHT)] + list(extra_probes)
    return probe_config(priority=priority, vips=[vip4(net) + "/24"], interval=INTERVAL,
                        probes=probes, track=track, **kw)


def healthy_pair(net, promvipd, proms, priorities=(150, 100), web=False):
    """Prometheus ready on both hosts, then promvipd on both; returns the
    agents once both ready probes are UP and h1 alone holds the VIP."""
    if web:
        for h in net.hosts:
            start_web(net, h)
    for h in net.hosts:
        start_prom(proms, net, h, ready=False)
    for p in proms:
        p.wait_ready(30)
    agents = [Agent(net, h, promvipd, ready_config(net, prio))
              for h, prio in zip(net.hosts, priorities)]
    for a in agents:
        wait_probe(a, "ready", "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    wait_holder(net, vip4(net), "h1", mdi(min(priorities)) + MARGIN)
    agents[1].wait_state("BACKUP", 5)
    return agents


def assert_priorities(agent, effective, base):
    c = probe_counters(agent)["instance prom"]
    assert (c.get("priority"), c.get("base_priority")) == (str(effective), str(base)), c


def check_takes_back(net, agent, other, recover, instance_priority=150):
    """Make the probe healthy again with `recover()` (thaw or restart) and
    check that `agent` takes the VIP back only after RISE successes.

    The probe cannot be UP before (RISE - 1) * PROBE_INTERVAL after
    Prometheus answers again, less PROBE_TIMEOUT: the first success can be a
    run that started up to a timeout before (a thawed Prometheus answers the
    requests queued while it was frozen), each further one an interval
    later; Prometheus answers no earlier than `recover()` was called. The
    agent then preempts only after its
    Master_Down_Interval, less at most one advertisement interval since it
    last accepted the other master's advertisement. So until `quiet_until`
    (a margin short of those bounds) the probe must still be DOWN and the
    VIP still on the other host: polled every few milliseconds."""
    mark = log_mark(agent)
    t_back = time.monotonic()
    recover()
    no_up_until = t_back + (RISE - 1) * PROBE_INTERVAL - PROBE_TIMEOUT - 0.05
    quiet_until = no_up_until + mdi(instance_priority) - INTERVAL - 0.1
    checks = 0
    for _ in range(10000):
        now = time.monotonic()
        if now >= quiet_until:
            break
        if now < no_up_until:
            assert not probe_changes(agent, "ready", since=mark), (
                f"probe UP {now - t_back:.3f}s after Prometheus came back, before "
                f"{RISE} successes at {PROBE_INTERVAL}s were possible: "
                f"{probe_changes(agent, 'ready', since=mark)}")
        assert ("BACKUP", "MASTER") not in transitions_since(agent, mark), (
            f"{agent.host.name} master {now - t_back:.3f}s after Prometheus came back")
        assert holders(net, vip4(net)) == [other.host.name], (
            f"VIP on {holders(net, vip4(net))} {now - t_back:.3f}s after Prometheus came back")
        checks += 1
        time.sleep(0.01)
    assert checks >= 5, checks  # the window was really watched
    up = wait_probe(agent, "ready", "UP", rise_bound(instance_priority), since=mark)
    assert up[3] == RISE, up  # "after 2 successes"
    wait_holder(net, vip4(net), agent.host.name, rise_bound(instance_priority))
    took = time.monotonic() - t_back
    # In the log: UP, then the effective priority back up, then MASTER.
    log = agent.proc.output()[mark:]
    i_up = log.index("probe 'ready': DOWN -> UP")
    i_prio = log.index(f"effective priority {instance_priority + READY_WEIGHT} -> {instance_priority}")
    i_master = log.index("instance 'prom': BACKUP -> MASTER")
    assert i_up < i_prio < i_master, log
    other.wait_state("BACKUP", 5)
    return took


# -- the tooling itself -------------------------------------------------------
def test_prometheus_tooling(lab, proms):
    """prometheus.py: a real Prometheus starts and gets ready within
    seconds, answers queries, and its failure modes look as the probe tests
    expect: frozen -> requests time out, stopped -> connection refused,
    restarted on the same storage -> ready again."""
    net = lab(1)
    h1 = net.hosts[0]
    p = start_prom(proms, net, h1, ready=False)
    took = p.wait_ready(30)
    assert took < 10, took
    assert p.get("/-/ready") == (200, "Prometheus Server is Ready.\n")
    assert p.query("vector(5)") == [({}, 5.0)]
    assert p.query("scalar(vector(2))") == 2.0
    p.freeze()
    status, err = p.get("/-/ready", timeout=0.3)
    assert status is None and err.startswith("timeout"), (status, err)
    p.thaw()
    assert p.is_ready()
    assert p.stop() == 0
    status, err = p.get("/-/ready")
    assert status is None and err.startswith("connect"), (status, err)
    p.restart()
    assert p.wait_ready(30) < 10
    assert os.path.isdir(os.path.join(p.storage, "wal"))
    print(f"Prometheus ready {1000 * took:.0f} ms after its start")


# -- Prometheus stopped, frozen, back ----------------------------------------
def test_prometheus_stopped_on_master_moves_vip(lab, promvipd, proms):
    """Prometheus stopped on the master: its probe fails with connect
    errors, the VIP moves to h2 within fall*interval + Master_Down_Interval
    (+ margin) and the client keeps its answers; Prometheus restarted, h1
    takes the VIP back after `rise` successes."""
    net = lab(2)
    a1, a2 = healthy_pair(net, promvipd, proms, web=True)
    assert_priorities(a1, 150, 150)
    client = Client(net, vip4(net), duration=40)
    client.wait_answer("h1", 5)

    mark = log_mark(a1)
    t0 = time.monotonic()
    proms[0].stop()
    down = wait_probe(a1, "ready", "DOWN", detect_bound() + MARGIN, since=mark)
    assert down[3] == FALL and down[4] == "connect", down
    wait_holder(net, vip4(net), "h2", failover_bound())
    took = time.monotonic() - t0
    assert (150, 90) in priority_changes(a1, since=mark), a1.proc.output()[mark:]
    a1.wait_state("BACKUP", 5)
    assert_priorities(a1, 90, 150)

    client.wait_answer("h2", 5, after=t0)
    time.sleep(1.5)
    samples = client.samples()
    first_h2 = min(t for t, a in samples if a == "h2" and t > t0)
    after = [a for t, a in samples if t > first_h2 + 0.2]
    assert len(after) > 20 and set(after) == {"h2"}, after  # keeps getting answers, from h2
    gap, failed = outage(samples, "h1", "h2")
    assert gap is not None and gap < mdi(100) + 1.0, (gap, failed)
    print(f"VIP moved {took:.2f}s after Prometheus stopped (bound {failover_bound():.2f}s); "
          f"client: {1000 * gap:.0f} ms between answers, {failed} failed")

    back = check_takes_back(net, a1, a2, lambda: proms[0].restart())
    print(f"h1 master again {back:.2f}s after Prometheus restarted")
    c = probe_counters(a1)["ready"]
    assert c["state"] == "UP" and int(c.get("failures_connect", 0)) >= FALL, c
    client.stop()


def test_prometheus_frozen_on_master_timeouts_no_blocking(lab, promvipd, proms):
    """Prometheus frozen (SIGSTOP): connections are accepted but never
    answered, so runs time out; the VIP moves; promvipd's advertisements
    keep their rhythm meanwhile (nothing blocks the event loop); thawed,
    h1 takes the VIP back after `rise` successes."""
    net = lab(2)
    a1, a2 = healthy_pair(net, promvipd, proms)
    h1 = net.hosts[0]
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    time.sleep(3 * INTERVAL)

    mark = log_mark(a1)
    t_freeze = time.time()
    t0 = time.monotonic()
    proms[0].freeze()
    down = wait_probe(a1, "ready", "DOWN", detect_bound() + MARGIN, since=mark)
    assert down[3] == FALL and down[4] == "timeout", down
    wait_holder(net, vip4(net), "h2", failover_bound())
    took = time.monotonic() - t0
    a1.wait_state("BACKUP", 5)
    time.sleep(3 * INTERVAL)
    got = cap.stop()
    c = probe_counters(a1)["ready"]
    assert c["state"] == "DOWN" and int(c.get("failures_timeout", 0)) >= FALL, c

    mine = [p for p in got if p["src"] == h1.addr4 and p["time"] >= t_freeze - INTERVAL]
    assert len(mine) >= 4, mine
    # h1 advertised 150 in rhythm, then (probe DOWN) 90 at once, not at its
    # next timer, and in rhythm from there (one shorter gap back to its grid
    # of multiples of the interval), until h2 (100) took over and h1 fell
    # silent as a backup.
    prios = [p["prio"] for p in mine]
    assert prios[0] == 150 and prios[-1] == 90 and sorted(prios, reverse=True) == prios, prios
    gaps = [round(b["time"] - a["time"], 4) for a, b in zip(mine, mine[1:])]
    pairs = list(zip(gaps, mine, mine[1:]))
    change = [k for k, (g, a, b) in enumerate(pairs) if a["prio"] != b["prio"]]
    assert len(change) == 1 and pairs[change[0]][0] <= INTERVAL + 0.05, gaps
    steady = [g for k, (g, a, b) in enumerate(pairs) if k not in (change[0], change[0] + 1)]
    assert all(abs(g - INTERVAL) <= 0.05 for g in steady), gaps
    assert all(g <= INTERVAL + 0.05 for g in gaps), gaps
    # h1 yielded: nothing from it after h2's first advertisement as master.
    first_h2 = min(p["time"] for p in got if p["src"] == net.hosts[1].addr4 and p["prio"] == 100)
    assert all(p["time"] < first_h2 + 0.05 for p in mine), (first_h2, mine[-3:])
    print(f"VIP moved {took:.2f}s after the freeze; h1's advertisement gaps while frozen: "
          f"{min(gaps):.3f}..{max(gaps):.3f}s")

    back = check_takes_back(net, a1, a2, lambda: proms[0].thaw())
    print(f"h1 master again {back:.2f}s after Prometheus was thawed")


# -- promql -------------------------------------------------------------------
def test_promql_scrape_freshness(lab, promvipd, proms):
    """A promql probe on a real query, scrape freshness
    `time() - max(timestamp(up))` <= 3: UP while Prometheus scrapes; the
    scrape job removed (config reload), `up` gets stale (an empty result)
    or old (out of range) and the probe fails: the VIP moves to h2; the job
    back, the VIP comes back."""
    net = lab(2)
    h1, h2 = net.hosts
    p1 = start_prom(proms, net, h1)
    # Prometheus applies scrape targets up to 5 s after start or reload.
    p1.wait_scraped(20)
    fresh = promql_probe(query="time() - max(timestamp(up))", max=3.0,
                         interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT, fall=FALL, rise=RISE,
                         weight=-60)
    a1 = Agent(net, h1, promvipd, probe_config(priority=150, vips=[vip4(net) + "/24"],
                                               interval=INTERVAL, probes=[fresh]))
    a2 = Agent(net, h2, promvipd, probe_config(priority=100, vips=[vip4(net) + "/24"],
                                               interval=INTERVAL))
    wait_probe(a1, "fresh", "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    wait_holder(net, vip4(net), "h1", mdi(100) + MARGIN)
    c = probe_counters(a1)["fresh"]
    assert c["state"] == "UP" and c["last"] == "ok", c

    mark = log_mark(a1)
    p1.set_scrape(False)
    # Targets dropped within 5 s (staleness markers: empty) or the newest
    # sample older than 3 s (out of range), then `fall` failures.
    down = wait_probe(a1, "fresh", "DOWN", 5 + 3 + detect_bound() + MARGIN, since=mark)
    assert down[4] in ("empty", "out_of_range"), down
    wait_holder(net, vip4(net), "h2", failover_bound())
    assert p1.is_ready()  # Prometheus itself is fine: only the query says otherwise
    c = probe_counters(a1)["fresh"]
    assert c["state"] == "DOWN" and c["last"] in ("empty", "out_of_range"), c

    mark = log_mark(a1)
    p1.set_scrape(True)
    up = wait_probe(a1, "fresh", "UP", 5 + 1 + rise_bound(), since=mark)
    assert up[3] == RISE, up
    wait_holder(net, vip4(net), "h1", rise_bound())
    a2.wait_state("BACKUP", 5)


def test_promql_answers_by_reason(lab, promvipd, proms):
    """Queries whose answers are known: each probe ends UP or DOWN with
    the failure counted under its reason, and the effective priority is
    the base plus the weights of the DOWN negative and UP positive probes."""
    net = lab(1)
    h1 = net.hosts[0]
    start_prom(proms, net, h1)
    two = ('label_replace(vector(1), "k", "a", "", "") or '
           'label_replace(vector(9), "k", "b", "", "")')
    common = dict(url="http://127.0.0.1:9090", interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT,
                  fall=FALL, rise=RISE)
    cases = {  # name: (query, min, max, weight, expected state, reason)
        "in_range": ("vector(5)", 4.0, 6.0, 10, "UP", None),
        "scalar_ok": ("scalar(vector(2))", 1.0, 3.0, -1, "UP", None),
        "too_big": ("vector(5)", None, 1.0, -20, "DOWN", "out_of_range"),
        "one_too_big": (two, None, 5.0, -2, "DOWN", "out_of_range"),
        "nan": ("vector(NaN)", 0.0, 1.0, -4, "DOWN", "out_of_range"),
        "empty": ('up{job="nothing-here"}', None, 1.0, -8, "DOWN", "empty"),
    }
    probes = [probe(name, "promql", query=q, min=lo, max=hi, weight=w, **common)
              for name, (q, lo, hi, w, _, _) in cases.items()]
    probes.append(probe("refused", "promql", query="vector(1)", weight=-16,
                        **dict(common, url="http://127.0.0.1:9091")))
    probes.append(probe("not_found", "http", url="http://127.0.0.1:9090/no-such-page",
                        weight=-32, **{k: v for k, v in common.items() if k != "url"}))
    a = Agent(net, h1, promvipd, probe_config(priority=150, vips=[vip4(net) + "/24"],
                                              interval=INTERVAL, probes=probes))
    a.wait_state("MASTER", 5)
    for name in ("in_range", "scalar_ok"):
        wait_probe(a, name, "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    # Let every probe run at least fall + rise times.
    time.sleep((FALL + RISE) * PROBE_INTERVAL + PROBE_TIMEOUT)
    got = probe_counters(a)
    expected = dict((n, (c[4], c[5])) for n, c in cases.items())
    expected["refused"] = ("DOWN", "connect")
    expected["not_found"] = ("DOWN", "http_status")
    for name, (state, reason) in expected.items():
        c = got.get(name)
        assert c is not None, (name, got)
        assert c["state"] == state and int(c["runs"]) >= FALL + RISE, (name, c)
        if reason is None:
            assert c["last"] == "ok" and not any(k.startswith("failures_") for k in c), (name, c)
        else:
            assert c["last"] == reason and int(c.get(f"failures_{reason}", 0)) >= FALL, (name, c)
            others = {k for k in c if k.startswith("failures_") and k != f"failures_{reason}"}
            assert not others, (name, c)
    # 150 + 10 (in_range UP) - 20 - 2 - 4 - 8 - 16 - 32 (the DOWN ones) = 78
    assert (got["instance prom"]["priority"], got["instance prom"]["base_priority"]) == \
        ("78", "150"), got["instance prom"]
    # Probes start DOWN: the failing ones never changed, the others once.
    for name, (state, _) in expected.items():
        want = [] if state == "DOWN" else [(name, "DOWN", "UP", RISE, None, None)]
        assert probe_changes(a, name) == want, probe_changes(a, name)
    assert a.state() == "MASTER"


# -- both down, starting agents ----------------------------------------------
def test_both_prometheus_down_no_flapping(lab, promvipd, proms):
    """Both Prometheus servers stopped: both agents lose 60 (90 and 40), the
    VIP ends on h1 alone and stays there: no transition in either agent
    over several seconds."""
    net = lab(2)
    a1, a2 = healthy_pair(net, promvipd, proms)
    marks = [log_mark(a) for a in (a1, a2)]
    for p in proms:
        p.stop()
    for a, m in zip((a1, a2), marks):
        wait_probe(a, "ready", "DOWN", detect_bound() + MARGIN, since=m)
    wait_holder(net, vip4(net), "h1", failover_bound(150))
    time.sleep(mdi(100) + INTERVAL)
    assert_priorities(a1, 90, 150)
    assert_priorities(a2, 40, 100)

    marks = [log_mark(a) for a in (a1, a2)]
    seen = []
    deadline = time.monotonic() + 4.0
    for _ in range(200):
        if time.monotonic() >= deadline:
            break
        seen.append(tuple(holders(net, vip4(net))))
        time.sleep(0.05)
    assert len(seen) >= 20 and set(seen) == {("h1",)}, set(seen)
    for a, m in zip((a1, a2), marks):
        assert transitions_since(a, m) == [], (a.host.name, transitions_since(a, m))
    assert a1.state() == "MASTER" and a2.state() == "BACKUP"


def test_starting_agent_waits_for_its_probes(lab, promvipd, proms):
    """h2 (priority 200) starts next to a healthy master h1 (150) before its
    own Prometheus: its ready probe starts DOWN, so it competes with 140 and
    stays BACKUP; once its Prometheus is ready and `rise` successes passed,
    it preempts."""
    net = lab(2)
    h1, h2 = net.hosts
    start_prom(proms, net, h1)
    a1 = Agent(net, h1, promvipd, ready_config(net, 150))
    wait_probe(a1, "ready", "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)

    a2 = Agent(net, h2, promvipd, ready_config(net, 200))
    t_start = time.monotonic()
    # Much longer than its Master_Down_Interval (0.64 s at 200): it would
    # have preempted by now if it competed with 200.
    seen = []
    for _ in range(200):
        if time.monotonic() >= t_start + 5 * mdi(200):
            break
        seen.append(tuple(holders(net, vip4(net))))
        time.sleep(0.05)
    assert set(seen) == {("h1",)}, set(seen)
    assert "MASTER" not in [new for _, new in transitions_since(a2, 0)], a2.transitions()
    assert a2.state() == "BACKUP"
    assert_priorities(a2, 140, 200)
    c = probe_counters(a2)["ready"]
    assert c["state"] == "DOWN" and int(c.get("failures_connect", 0)) >= 1, c

    # Its Prometheus starts (and is ready ~0.1 s later): h2 preempts after
    # `rise` successes and its Master_Down_Interval.
    check_takes_back(net, a2, a1, lambda: start_prom(proms, net, h2, ready=False),
                     instance_priority=200)
    assert proms[-1].is_ready()
    assert_priorities(a2, 200, 200)


# -- exec, weight 0 ----------------------------------------------------------
@pytest.fixture
def flag_dir():
    """A directory `nobody` can look into (the test's tmp_path cannot)."""
    d = tempfile.mkdtemp(prefix="pvt-flag-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_exec_probe_weight_zero_faults(lab, promvipd, flag_dir):
    """An exec probe with weight 0, run as script_user `nobody`: DOWN puts
    the instance into FAULT (VIP released, h2 takes over), UP brings it
    back (BACKUP, then it preempts)."""
    net = lab(2)
    h1, h2 = net.hosts
    flag = os.path.join(flag_dir, "ok.flag")
    open(flag, "w").close()
    uid = pwd.getpwnam("nobody").pw_uid
    # Succeeds only while the flag exists, and only when run as nobody.
    command = ["/bin/sh", "-c", f'test -f "{flag}" && test "$(/usr/bin/id -u)" = {uid}']
    flagp = exec_probe("flag", command, interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT,
                       fall=FALL, rise=RISE, weight=0)
    a1 = Agent(net, h1, promvipd, probe_config(priority=150, vips=[vip4(net) + "/24"],
                                               interval=INTERVAL, probes=[flagp],
                                               global_={"script_user": "nobody"}))
    a2 = Agent(net, h2, promvipd, probe_config(priority=100, vips=[vip4(net) + "/24"],
                                               interval=INTERVAL))
    wait_probe(a1, "flag", "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN + 1)
    a2.wait_state("BACKUP", 5)

    mark = log_mark(a1)
    t0 = time.monotonic()
    os.unlink(flag)
    down = wait_probe(a1, "flag", "DOWN", detect_bound() + MARGIN, since=mark)
    assert down[4] == "exit_status", down
    a1.wait_state("FAULT", 2)
    assert ("MASTER", "FAULT") in transitions_since(a1, mark), a1.transitions()
    # A master going to FAULT sends priority 0: h2 takes over after Skew_Time.
    wait_holder(net, vip4(net), "h2", detect_bound() + mdi(100) + MARGIN)
    print(f"VIP on h2 {time.monotonic() - t0:.2f}s after the flag was removed")
    c = probe_counters(a1)["flag"]
    assert c["state"] == "DOWN" and int(c.get("failures_exit_status", 0)) >= FALL, c
    time.sleep(3 * INTERVAL)
    assert holders(net, vip4(net)) == ["h2"] and a1.state() == "FAULT"

    mark = log_mark(a1)
    open(flag, "w").close()
    up = wait_probe(a1, "flag", "UP", rise_bound(), since=mark)
    assert up[3] == RISE, up
    wait_holder(net, vip4(net), "h1", rise_bound())
    assert transitions_since(a1, mark)[:1] == [("FAULT", "BACKUP")], transitions_since(a1, mark)
    assert a1.state() == "MASTER"
    a2.wait_state("BACKUP", 5)
