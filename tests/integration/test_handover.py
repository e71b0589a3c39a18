"""Hitless hand-over (issue 8): a stopping or released master keeps its VIP
until it hears the new master, so a client polling the VIP every 10 ms sees
no failed request (but the one in flight at the switch, at most);
`promvipctl release`; rapid preemption.

A master that stops (SIGTERM, or its instance removed by a reload) sends
priority 0 and keeps its VIPs until an advertisement of the new master
arrives (at most Master_Down_Interval), then removes them and stops. A
released master (`promvipctl release prom`) does the same and then stays
BACKUP, even with the higher priority and preempt on. With
`rapid_preemption`, a backup takes over at once from a master that
advertises a lower priority, instead of waiting for Master_Down_Interval.

Every host runs a web server answering its name (vrrp.start_web); the
client asks the VIP every 10 ms. Hitless is checked twice: no failed
request except at most one whose connection was open at the very instant
the client's ARP entry moved (no agent can save that one; see IN_FLIGHT),
and, from timed `ip monitor` on both hosts, the new master had the VIP
before the old one removed it, which it did only after the new master's
advertisement. Bounds have generous margins (these run under
AddressSanitizer on 2 cores), spelled out next to them.
"""

import os
import signal
import time

import pytest

import keepalived
import packets
import prometheus
from lab import wait_for
from vrrp import (HANDED_OVER, NO_NEW_MASTER, RAPID_PREEMPTION, RELEASE_FAILED, RELEASED, AddrMonitor,
                  Agent, Client, TimedAddrMonitor, answer_switch, config, control_global, fast_addresses,
                  handing_over, has_vip, holders, http_probe, instance_group, instance_status,
                  instances_config, log_mark, log_position, master_down_interval, priority_changes,
                  probe_config, promvipctl, release, reload, skew_time, start_web,
                  transitions_since, vip4, wait_holder, wait_probe)

MARGIN = 2.0           # seconds on top of every computed upper bound
POLL = 0.01            # the client's request interval
CLIENT_TIMEOUT = 0.2   # the client's timeout per request
# A request whose TCP connection spans the instant the client's ARP entry
# moves to the new master fails whatever the agents do: the new host resets
# it, or the old host answers after it dropped the VIP and its answer
# cannot leave. At most one such request, strictly between the last answer
# of the old host and the first of the new one; none anywhere else.
IN_FLIGHT = 1
SWITCH_GAP = CLIENT_TIMEOUT + 0.3  # last old answer -> first new answer
CLOCK_SLACK = 0.005    # between events seen by different processes (ip monitor, tshark)
PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 0.25
FALL = 2
RISE = 2


def vip_text(net):
    return vip4(net) + "/24"


def agent(net, host, promvipd, priority, interval, extra="", probes=(), track=None, name="promvipd"):
    """promvipd on `host` with one instance `prom` holding the lab's VIP and
    its own control socket."""
    return Agent(net, host, promvipd,
                 probe_config(priority=priority, vips=[vip_text(net)], interval=interval, extra=extra,
                              probes=probes, track=track, global_=control_global(net, host, name)),
                 name=name)


def web_everywhere(net):
    for h in net.hosts:
        start_web(net, h)


def watched_pair(net, promvipd, interval, priorities=(150, 100), extra=""):
    """h1 master and h2 backup (web servers on both); returns the agents."""
    web_everywhere(net)
    a = [agent(net, h, promvipd, p, interval, extra=extra) for h, p in zip(net.hosts, priorities)]
    wait_holder(net, vip4(net), "h1", master_down_interval(min(priorities), interval) + MARGIN + 2)
    a[0].wait_state("MASTER", 5)
    a[1].wait_state("BACKUP", 5)
    return a


def start_client(net, old, duration=30):
    """The client polling the VIP every 10 ms, once it gets answers from
    `old`; returns (client, the monotonic time the watch starts)."""
    client = Client(net, vip4(net), interval=POLL, timeout=CLIENT_TIMEOUT, duration=duration)
    client.wait_answer(old, 10)
    start = max(t for t, a in client.samples() if a == old)
    return client, start


def finish_client(client, old, new, start, settle=0.5):
    """Let the client run `settle` more seconds, stop it and check its
    answers since `start`: `old`, then `new`, no failed request but at
    most IN_FLIGHT in flight at the switch (vrrp.answer_switch), and the
    answers from `new` follow those from `old` within SWITCH_GAP. Returns
    (samples in the window, last old, first new, failed at the switch)."""
    client.wait_answer(new, 5, after=start)
    time.sleep(settle)
    samples = client.stop()
    window = [(t, a) for t, a in samples if t >= start]
    last_old, first_new, at_switch = answer_switch(samples, old, new, start, in_flight=IN_FLIGHT)
    assert first_new - last_old <= SWITCH_GAP, (
        f"{1000 * (first_new - last_old):.0f} ms between the last answer from {old} and the first "
        f"from {new}: {[(t, a) for t, a in window if last_old - 0.05 <= t <= first_new + 0.05]}")
    after = [a for t, a in window if t > first_new]
    assert len(after) >= int(settle / POLL / 4), f"too few answers after the switch: {len(after)}"
    return window, last_old, first_new, at_switch


def client_summary(window, last_old, first_new, at_switch):
    return (f"client: {len(window)} requests, {len(at_switch)} failed {[a for _, a in at_switch]} "
            f"(in flight at the switch), {1000 * (first_new - last_old):.0f} ms between the last "
            f"old and the first new answer")


def check_overlap(mons, vip, old, new, pkts=None, new_addr=None, since=None):
    """The VIP was added on `new` before it left `old` (timed `ip monitor`
    of both hosts: at no moment did nobody hold it), and `old` removed it
    only after `new`'s first advertisement as master (priority > 0, from
    the capture `pkts`). Returns (t_add on new, t_del on old, t_advert)."""
    added = [t for t in mons[new].added(vip) if since is None or t >= since]
    deleted = [t for t in mons[old].deleted(vip) if since is None or t >= since]
    assert added, f"{new}: no VIP added: {mons[new].events()}"
    assert len(deleted) == 1, f"{old}: VIP deleted {len(deleted)} times: {mons[old].events()}"
    # Each time is when that host's `ip monitor` printed the event: up to
    # a few ms late (scheduling), so the slack. Without the hand-over the
    # old master would drop the VIP a Skew_Time (>= 0.12 s) before.
    assert added[0] <= deleted[0] + CLOCK_SLACK, (
        f"{new} added the VIP {added[0] - deleted[0]:.4f}s after {old} removed it: nobody held it "
        "in between")
    t_adv = None
    if pkts is not None:
        adverts = [p["time"] for p in pkts
                   if p["src"] == new_addr and (p["prio"] or 0) > 0 and (since is None or p["time"] >= since)]
        assert adverts, f"no advertisement from {new_addr} in the capture: {pkts[-10:]}"
        t_adv = adverts[0]
        # old can only react to the advertisement (slack: when tshark and
        # ip monitor saw their events).
        assert deleted[0] >= t_adv - CLOCK_SLACK, (f"{old} removed the VIP {t_adv - deleted[0]:.4f}s before "
                                             f"{new}'s first advertisement as master")
    return added[0], deleted[0], t_adv


def assert_handover_logged(a, since, interval, priority, outcome=HANDED_OVER):
    """The hand-over line (with "at most" Master_Down_Interval), then `outcome`."""
    h = handing_over(a, since=since)
    assert len(h) == 1, a.proc.output()[since:]
    pos, at_most = h[0]
    mdi = master_down_interval(priority, interval)
    assert abs(at_most - mdi) <= 0.051, (at_most, mdi)
    end = log_position(a, outcome, since=since)
    assert end is not None and end > pos, a.proc.output()[since:]
    return pos, end


def sigterm_handing_over(a, interval, backup_priority=100):
    """SIGTERM to the master `a`: the backup takes over Skew_Time after the
    priority 0 and `a` then exits 0 at once. Returns (log mark before the
    signal, epoch time of the signal, seconds until the exit)."""
    mark = log_mark(a)
    w0, t0 = time.time(), time.monotonic()
    a.proc.signal(signal.SIGTERM)
    code = a.proc.wait(skew_time(backup_priority, interval) + MARGIN + 3)
    took = time.monotonic() - t0
    assert code == 0, a.proc.output()[mark:]
    assert took < skew_time(backup_priority, interval) + MARGIN, took
    return mark, w0, took


# -- a) SIGTERM of the master, promvipd backup ----------------------------------
@pytest.mark.parametrize("interval", [0.2, 1.0])
def test_sigterm_master_hitless_to_promvipd_backup(lab, promvipd, interval):
    """SIGTERM to the master (150): priority 0 sent, the VIP kept until the
    backup (100) advertises as master after its Skew_Time, then removed;
    promvipd exits 0. No client request fails; the answers move h1 -> h2;
    the VIP was on h2 before it left h1, and left h1 only after h2's
    advertisement."""
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    a1, a2 = watched_pair(net, promvipd, interval)
    mons = {h.name: TimedAddrMonitor(net, h) for h in net.hosts}
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    client, start = start_client(net, "h1")
    time.sleep(max(0.5, interval))

    mark, w0, took = sigterm_handing_over(a1, interval)
    assert holders(net, vip) == ["h2"]
    a2.wait_state("MASTER", 2)
    assert_handover_logged(a1, mark, interval, 150, HANDED_OVER)
    assert NO_NEW_MASTER not in a1.proc.output()

    result = finish_client(client, "h1", "h2", start)
    time.sleep(0.2)
    pkts = cap.stop()
    t_add, t_del, t_adv = check_overlap(mons, vip, "h1", "h2", pkts, h2.addr4, since=w0)
    print(f"interval {interval}: h1 exited {took:.3f}s after SIGTERM; h2 added the VIP "
          f"{1000 * (t_del - t_add):.1f} ms before h1 removed it; {client_summary(*result)}")


# -- b) SIGTERM of the master, keepalived backup --------------------------------
def test_sigterm_master_hitless_to_keepalived_backup(lab, promvipd):
    """As above with Debian's keepalived (100) as the backup: it takes over
    after the priority-0 advertisement, and promvipd keeps the VIP until
    keepalived's advertisement arrives."""
    problem = keepalived.available()
    if problem:
        pytest.fail(f"keepalived is needed as the backup of this test: {problem}", pytrace=False)
    interval = 1.0
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    web_everywhere(net)
    a1 = agent(net, h1, promvipd, 150, interval)
    ka = keepalived.start(net, h2, priority=100, version=3, advert_int=interval, vips=[vip_text(net)])
    a1.wait_state("MASTER", master_down_interval(150, interval) + MARGIN + 2)
    ka.wait_state("BACKUP", 6)
    wait_for(lambda: has_vip(net, h1, vip) and not has_vip(net, h2, vip), 5, what="VIP on h1 only")
    mons = {h.name: TimedAddrMonitor(net, h) for h in net.hosts}
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    client, start = start_client(net, "h1")
    time.sleep(interval)

    ka_mark = ka.mark()
    mark, w0, took = sigterm_handing_over(a1, interval)
    ka.wait_state("MASTER", 2, since=ka_mark)
    assert ka.log_has("priority 0", since=ka_mark), ka.output()[ka_mark:]
    wait_for(lambda: holders(net, vip) == ["h2"], 2, what="VIP on h2 only")
    assert_handover_logged(a1, mark, interval, 150, HANDED_OVER)

    result = finish_client(client, "h1", "h2", start)
    time.sleep(0.2)
    pkts = cap.stop()
    t_add, t_del, t_adv = check_overlap(mons, vip, "h1", "h2", pkts, h2.addr4, since=w0)
    assert not ka.drops(), ka.drops()
    print(f"promvipd exited {took:.3f}s after SIGTERM; keepalived added the VIP "
          f"{1000 * (t_del - t_add):.1f} ms before promvipd removed it; {client_summary(*result)}")


# -- c) promvipctl release -------------------------------------------------------
def test_release_hands_over_and_stays_backup(lab, promvipd, ctl):
    """`promvipctl release prom` on the master (200, preempt on) over a
    backup (100): exit 0 with "released ... BACKUP", no failed request,
    the VIP on h2; h1 stays BACKUP although its priority is higher (for
    well over its Master_Down_Interval) and /status says released. When h2
    stops later, h1 becomes master again (no longer released)."""
    interval = 0.2
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    a1, a2 = watched_pair(net, promvipd, interval, priorities=(200, 100))
    st = instance_status(net, h1)
    assert (st["state"], st.get("handover"), st.get("released")) == ("MASTER", "none", False), st
    mons = {h.name: TimedAddrMonitor(net, h) for h in net.hosts}
    client, start = start_client(net, "h1")
    time.sleep(0.5)

    marks = [log_mark(a) for a in (a1, a2)]
    w0, t0 = time.time(), time.monotonic()
    r = release(net, h1, ctl, a1.path, timeout=master_down_interval(200, interval) + MARGIN + 10)
    took = time.monotonic() - t0
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert "released" in r.stdout and "BACKUP" in r.stdout, r.stdout
    assert took < skew_time(100, interval) + MARGIN, took
    # It returns once the hand-over is over: h2 holds the VIP, h1 not.
    assert holders(net, vip) == ["h2"], holders(net, vip)
    assert transitions_since(a1, marks[0]) == [("MASTER", "BACKUP")], a1.proc.output()[marks[0]:]
    assert log_position(a1, RELEASED, since=marks[0]) is not None, a1.proc.output()[marks[0]:]
    h = handing_over(a1, since=marks[0])
    assert len(h) == 1 and h[0][0] < log_position(a1, RELEASED, since=marks[0]), a1.proc.output()[marks[0]:]
    a2.wait_state("MASTER", 2)

    # Released: BACKUP, no preemption, for 10 advertisement intervals
    # (3x its Master_Down_Interval of 0.64 s), polled every 20 ms.
    t_end = time.monotonic() + 10 * interval
    for _ in range(1000):
        if time.monotonic() >= t_end:
            break
        assert holders(net, vip) == ["h2"], f"VIP on {holders(net, vip)} after the release"
        time.sleep(0.02)
    assert transitions_since(a1, marks[0]) == [("MASTER", "BACKUP")], a1.proc.output()[marks[0]:]
    st1, st2 = instance_status(net, h1), instance_status(net, h2)
    assert (st1["state"], st1.get("handover"), st1.get("released")) == ("BACKUP", "none", True), st1
    assert (st2["state"], st2.get("released")) == ("MASTER", False), st2

    result = finish_client(client, "h1", "h2", start, settle=0.2)
    check_overlap(mons, vip, "h1", "h2", since=w0)

    # No master heard (h2 stops): h1 takes over and is no longer released.
    client2, start2 = start_client(net, "h2")
    time.sleep(0.3)
    mark1 = log_mark(a1)
    w1 = time.time()
    assert a2.stop(timeout=master_down_interval(100, interval) + MARGIN + 5) == 0
    wait_holder(net, vip, "h1", 2)
    a1.wait_state("MASTER", 2)
    assert log_position(a2, HANDED_OVER) is not None, a2.proc.output()
    st1 = instance_status(net, h1)
    assert (st1["state"], st1.get("released")) == ("MASTER", False), st1
    assert transitions_since(a1, mark1) == [("BACKUP", "MASTER")], a1.proc.output()[mark1:]
    result2 = finish_client(client2, "h2", "h1", start2, settle=0.2)
    check_overlap(mons, vip, "h2", "h1", since=w1)
    print(f"release took {took:.3f}s; {client_summary(*result)}; h2 stopped after: "
          f"{client_summary(*result2)}")


def test_release_refused(lab, promvipd, ctl):
    """Release of a BACKUP instance, of an unknown instance: exit 1 with a
    message, nothing changes; no control socket: exit 3."""
    interval = 0.2
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    a1, a2 = watched_pair(net, promvipd, interval)
    marks = [log_mark(a) for a in (a1, a2)]

    r = release(net, h2, ctl, a2.path)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "BACKUP" in r.stderr and "not MASTER" in r.stderr, r.stderr

    r = release(net, h1, ctl, a1.path, instance="nosuch")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "nosuch" in r.stderr, r.stderr

    missing = os.path.join(net.sockdir, "missing.sock")
    r = promvipctl(net, h1, ctl, "-s", missing, "release", "prom")
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), r

    time.sleep(5 * interval)
    for a, m in zip((a1, a2), marks):
        assert transitions_since(a, m) == [], a.proc.output()[m:]
        assert handing_over(a, since=m) == [], a.proc.output()[m:]
    assert holders(net, vip) == ["h1"]
    for h, state in ((h1, "MASTER"), (h2, "BACKUP")):
        st = instance_status(net, h)
        assert (st["state"], st.get("handover"), st.get("released")) == (state, "none", False), st


def test_release_without_peer_stays_master(lab, promvipd, ctl):
    """Release with nobody to take over: promvipctl waits about
    Master_Down_Interval (/status says handover "release" meanwhile), then
    exits 1; the instance is still MASTER and the VIP never left."""
    interval = 1.0
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip4(net)
    a1 = agent(net, h1, promvipd, 200, interval)
    a1.wait_state("MASTER", master_down_interval(200, interval) + MARGIN)
    wait_holder(net, vip, "h1", 2)
    mon = AddrMonitor(net, h1)
    mark = log_mark(a1)
    mdi = master_down_interval(200, interval)

    t0 = time.monotonic()
    proc = net.spawn(h1.ns, [ctl, "-f", a1.path, "release", "prom"], name="promvipctl-release")
    seen = wait_for(lambda: (instance_status(net, h1) or {}).get("handover") == "release", mdi / 2,
                    interval=0.1, what="/status handover 'release'")
    assert seen
    for _ in range(int((mdi + MARGIN + 5) / 0.02) + 1):
        if not proc.alive() or time.monotonic() - t0 > mdi + MARGIN + 5:
            break
        assert vip in fast_addresses(h1), f"VIP gone {time.monotonic() - t0:.2f}s into the release"
        time.sleep(0.02)
    code = proc.wait(5)
    took = time.monotonic() - t0
    out = proc.output()
    assert code == 1, (code, out)
    assert out.strip(), "no message"
    assert mdi - 0.3 <= took <= mdi + MARGIN, (took, mdi)
    assert log_position(a1, RELEASE_FAILED, since=mark) is not None, a1.proc.output()[mark:]
    assert len(handing_over(a1, since=mark)) == 1, a1.proc.output()[mark:]
    assert mon.deleted(vip) == [], mon.proc.output()
    assert has_vip(net, h1, vip)
    assert ("MASTER", "BACKUP") not in transitions_since(a1, mark), a1.proc.output()[mark:]
    st = instance_status(net, h1)
    assert (st["state"], st.get("handover"), st.get("released")) == ("MASTER", "none", False), st
    print(f"release without a peer failed after {took:.2f}s (Master_Down_Interval {mdi:.2f}s)")


# -- d) rapid preemption -----------------------------------------------------------
def start_proms(net):
    if not os.access(prometheus.PROMETHEUS, os.X_OK):
        pytest.fail(f"{prometheus.PROMETHEUS} not found: apt-get install prometheus", pytrace=False)
    proms = [prometheus.start(net, h) for h in net.hosts]
    for p in proms:
        p.wait_ready(30)
    return proms


@pytest.mark.parametrize("rapid", [True, False], ids=["rapid", "rfc"])
def test_prometheus_stopped_rapid_preemption(lab, promvipd, rapid):
    """Each host's Prometheus probed on /-/ready (weight -100): h1 150
    (50 when DOWN), h2 100. Prometheus stopped on h1: its priority drops
    and it advertises the new priority at once. With rapid_preemption, h2
    takes over at once (within fall x probe interval + one advertisement
    interval + 1 s of the stop); without, it waits for its
    Master_Down_Interval timer (RFC 5798), so the move comes at least
    Master_Down_Interval - one interval after the drop. No client request
    fails either way."""
    interval = 1.0
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    web_everywhere(net)
    proms = start_proms(net)
    extra = "rapid_preemption = true;" if rapid else ""
    ready = http_probe(interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT, fall=FALL, rise=RISE, weight=-100)
    a1 = agent(net, h1, promvipd, 150, interval, extra=extra, probes=[ready])
    a2 = agent(net, h2, promvipd, 100, interval, extra=extra, probes=[ready])
    for a in (a1, a2):
        wait_probe(a, "ready", "UP", RISE * PROBE_INTERVAL + PROBE_INTERVAL + MARGIN)
    wait_holder(net, vip, "h1", 2 * master_down_interval(100, interval) + MARGIN)
    a1.wait_state("MASTER", 2)
    a2.wait_state("BACKUP", 5)
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    client, start = start_client(net, "h1")
    time.sleep(interval)

    marks = [log_mark(a) for a in (a1, a2)]
    t_stop = time.monotonic()
    proms[0].stop()
    t_drop = w_drop = t_move = None
    limit = FALL * PROBE_INTERVAL + PROBE_TIMEOUT + master_down_interval(100, interval) + 2 * MARGIN
    for _ in range(int(limit / 0.01) + 1):
        now = time.monotonic()
        if now - t_stop > limit or (t_drop is not None and t_move is not None):
            break
        if t_drop is None and (150, 50) in priority_changes(a1, since=marks[0]):
            t_drop, w_drop = now, time.time()
        if t_move is None and vip in fast_addresses(h2) and vip not in fast_addresses(h1):
            t_move = now
        time.sleep(0.01)
    assert t_drop is not None, f"no priority drop 150 -> 50 logged: {a1.proc.output()[marks[0]:]}"
    assert t_move is not None, f"VIP not moved to h2 within {limit:.1f}s: {holders(net, vip)}"
    a1.wait_state("BACKUP", 2)
    a2.wait_state("MASTER", 2)
    rapid_bound = FALL * PROBE_INTERVAL + PROBE_TIMEOUT + interval + 1.0
    mdi = master_down_interval(100, interval)
    if rapid:
        assert t_move - t_stop <= rapid_bound, (t_move - t_stop, rapid_bound)
        assert t_move - t_drop <= 1.0, t_move - t_drop
        assert log_position(a2, RAPID_PREEMPTION, since=marks[1]) is not None, a2.proc.output()[marks[1]:]
    else:
        # The backup's timer was last reset by the master's advertisement
        # before the drop (at most one interval before it).
        assert t_move - t_drop >= mdi - interval - 0.2, (t_move - t_drop, mdi)
        assert log_position(a2, RAPID_PREEMPTION) is None, a2.proc.output()
    assert transitions_since(a1, marks[0]) == [("MASTER", "BACKUP")], a1.proc.output()[marks[0]:]
    assert handing_over(a1, since=marks[0]) == [], a1.proc.output()[marks[0]:]

    result = finish_client(client, "h1", "h2", start)
    pkts = cap.stop()
    # The new priority went out at once, not at the next regular advert.
    fifty = [p for p in pkts if p["src"] == h1.addr4 and p["prio"] == 50]
    assert fifty, [p for p in pkts if p["src"] == h1.addr4][-5:]
    assert fifty[0]["time"] - w_drop <= 0.25, (fifty[0]["time"] - w_drop, "priority 50 advertised late")
    print(f"rapid={rapid}: priority dropped {t_drop - t_stop:.2f}s after Prometheus stopped, VIP on "
          f"h2 {t_move - t_drop:.2f}s later (rapid bound from the stop {rapid_bound:.2f}s, "
          f"Master_Down_Interval {mdi:.2f}s); {client_summary(*result)}")


# -- e) stop without a peer, stop of a backup -------------------------------------
def test_stop_without_peer_gives_up_after_master_down_interval(lab, promvipd):
    """SIGTERM to a master with no peer: it keeps the VIP while waiting for
    a new master, gives up after at most Master_Down_Interval, removes the
    VIP and exits 0."""
    interval = 1.0
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip4(net)
    a1 = agent(net, h1, promvipd, 150, interval)
    a1.wait_state("MASTER", master_down_interval(150, interval) + MARGIN)
    wait_holder(net, vip, "h1", 2)
    mdi = master_down_interval(150, interval)
    mark = log_mark(a1)
    t0 = time.monotonic()
    a1.proc.signal(signal.SIGTERM)
    wait_for(lambda: handing_over(a1, since=mark), 2, what="the hand-over line")
    code = a1.proc.wait(mdi + MARGIN + 5)
    took = time.monotonic() - t0
    assert code == 0, a1.proc.output()[mark:]
    assert took <= mdi + MARGIN, (took, mdi)
    assert not has_vip(net, h1, vip)
    assert_handover_logged(a1, mark, interval, 150, NO_NEW_MASTER)
    print(f"stop without a peer took {took:.2f}s (Master_Down_Interval {mdi:.2f}s)")


def test_second_sigterm_during_handover_stops_at_once(lab, promvipd):
    """A second SIGTERM while the stopping master waits for a new master
    ends the wait: promvipd exits at once and the VIP is gone."""
    interval = 1.0
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip4(net)
    a1 = agent(net, h1, promvipd, 150, interval)
    a1.wait_state("MASTER", master_down_interval(150, interval) + MARGIN)
    wait_holder(net, vip, "h1", 2)
    mark = log_mark(a1)
    t0 = time.monotonic()
    a1.proc.signal(signal.SIGTERM)
    wait_for(lambda: handing_over(a1, since=mark), 2, what="the hand-over line")
    assert a1.proc.alive() and has_vip(net, h1, vip)
    t1 = time.monotonic()
    a1.proc.signal(signal.SIGTERM)
    code = a1.proc.wait(master_down_interval(150, interval) + MARGIN + 5)
    took = time.monotonic() - t1
    assert code == 0, a1.proc.output()[mark:]
    assert took < 1.0, took  # Master_Down_Interval would be 3.41 s
    assert time.monotonic() - t0 < master_down_interval(150, interval), time.monotonic() - t0
    assert not has_vip(net, h1, vip)
    assert log_position(a1, NO_NEW_MASTER, since=mark) is None
    assert log_position(a1, HANDED_OVER, since=mark) is None


def test_backup_stop_is_immediate(lab, promvipd):
    """SIGTERM to a BACKUP: no hand-over, it exits at once (well under one
    advertisement interval + margin); the master keeps the VIP, untouched."""
    interval = 1.0
    net = lab(2)
    vip = vip4(net)
    web_everywhere(net)
    a1 = agent(net, net.hosts[0], promvipd, 150, interval)
    a2 = agent(net, net.hosts[1], promvipd, 100, interval)
    wait_holder(net, vip, "h1", master_down_interval(100, interval) + MARGIN + 2)
    a2.wait_state("BACKUP", 5)
    client, start = start_client(net, "h1")
    marks = [log_mark(a) for a in (a1, a2)]
    t0 = time.monotonic()
    a2.proc.signal(signal.SIGTERM)
    code = a2.proc.wait(master_down_interval(100, interval) + MARGIN + 5)
    took = time.monotonic() - t0
    assert code == 0, a2.proc.output()[marks[1]:]
    assert took < interval + 0.5, took
    assert transitions_since(a2, marks[1]) == [("BACKUP", "STOP")], a2.proc.output()[marks[1]:]
    assert handing_over(a2, since=marks[1]) == [], a2.proc.output()[marks[1]:]
    time.sleep(3 * interval)
    assert transitions_since(a1, marks[0]) == [], a1.proc.output()[marks[0]:]
    assert holders(net, vip) == ["h1"]
    samples = client.stop()
    window = [(t, a) for t, a in samples if t >= start]
    assert len(window) > 50 and {a for _, a in window} == {"h1"}, window[-20:]
    print(f"backup stopped in {took:.3f}s")


# -- f) reload that removes the master instance ------------------------------------
def test_reload_removing_master_instance_hands_over(lab, promvipd):
    """A reload that removes the master's instance `prom` hands it over as
    SIGTERM does: priority 0, the VIP kept until h2 advertises, no failed
    request. promvipd keeps running; its other instance is untouched."""
    interval = 0.2
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    other = f"10.99.{net.number}.101"
    web_everywhere(net)
    g = control_global(net, h1)

    def h1_text(names):
        groups = {"prom": instance_group("prom", 51, 150, [vip_text(net)], interval),
                  "other": instance_group("other", 52, 150, [other + "/24"], interval)}
        return instances_config([groups[n] for n in names], global_=g)

    a1 = Agent(net, h1, promvipd, h1_text(["prom", "other"]))
    a2 = Agent(net, h2, promvipd, config(priority=100, vips=[vip_text(net)], interval=interval))
    wait_holder(net, vip, "h1", master_down_interval(100, interval) + MARGIN + 2)
    a1.wait_state("MASTER", 5, instance="other")
    a2.wait_state("BACKUP", 5)
    mons = {h.name: TimedAddrMonitor(net, h) for h in net.hosts}
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    client, start = start_client(net, "h1")
    time.sleep(0.5)

    mark = log_mark(a1)
    w0 = time.time()
    status = reload(a1, h1_text(["other"]))
    assert status and "reloaded" in status and "failed" not in status.lower(), status
    wait_holder(net, vip, "h2", skew_time(100, interval) + MARGIN)
    a2.wait_state("MASTER", 2)
    wait_for(lambda: log_position(a1, HANDED_OVER, since=mark) is not None,
             master_down_interval(150, interval) + MARGIN, what="prom handed over")
    assert_handover_logged(a1, mark, interval, 150, HANDED_OVER)
    assert transitions_since(a1, mark) == [("MASTER", "STOP")], a1.proc.output()[mark:]
    assert transitions_since(a1, mark, "other") == [], a1.proc.output()[mark:]
    assert a1.proc.alive()
    assert other in fast_addresses(h1)

    result = finish_client(client, "h1", "h2", start)
    time.sleep(0.2)
    pkts = cap.stop()
    check_overlap(mons, vip, "h1", "h2", [p for p in pkts if p["vrid"] == 51], h2.addr4, since=w0)
    assert mons["h1"].deleted(other) == [], mons["h1"].events(other)
    print(f"reload hand-over: {client_summary(*result)}")
