"""Event history (issue 18): GET /events (and /status's "events") tells
what happened to each instance, in order, with the reasons.

Two hosts, each with a web server (vrrp.start_web) and promvipd tracking an
http probe `web` of http://127.0.0.1:8080/ready (weight -60, interval 0.3 s,
fall 2, rise 2): h1 has priority 150, h2 100. Removing h1's `ready` file
makes its probe DOWN (HTTP 404), its priority 90, and h2 takes over:

  h1: probe web UP -> DOWN, priority 150 -> 90 (cause names the probe),
      advert sent 90 (was 150), ..., MASTER -> BACKUP (higher priority 100
      from h2, ours 90)
  h2: advert received 90 from h1 (was 150), BACKUP -> MASTER (preempt)

Advertisements every 0.2 s; every bound has a generous margin.
"""

import functools
import json
import os
import re
import shutil
import signal

import pytest

from lab import wait_for
from vrrp import (master_down_interval, API_PORT, LISTEN_ALL, Agent, api_url, control_global, control_socket,
                  hook_config, http_get, http_probe, notify_group, probe_config, promvipctl, release, reload,
                  start_web,
                  vip4, wait_holder)

INTERVAL = 0.2
PROBE_INTERVAL = 0.3
MARGIN = 3.0

mdi = functools.partial(master_down_interval, interval=INTERVAL)
FAILOVER_BOUND = 2 * PROBE_INTERVAL + 0.25 + INTERVAL + mdi(100) + MARGIN


def ready_file(net, host):
    return os.path.join(net.dir, f"www-{host.name}", "ready")


def set_ready(net, host, ready):
    path = ready_file(net, host)
    if ready:
        with open(path, "w") as f:
            f.write("ok\n")
    elif os.path.exists(path):
        os.unlink(path)


def web_probe():
    return http_probe("web", url="http://127.0.0.1:8080/ready", interval=PROBE_INTERVAL, timeout=0.25,
                      fall=2, rise=2, weight=-60)


def agent_config(net, prio, history=None, host=None, **kw):
    g = dict(LISTEN_ALL)
    if host is not None:
        g.update(control_global(net, host))
    if history is not None:
        g["event_history"] = history
    return probe_config(probes=[web_probe()], global_=g, priority=prio, vips=[vip4(net) + "/24"],
                        interval=INTERVAL, **kw)


def get_json(net, host, path, want=200):
    url = f"http://127.0.0.1:{API_PORT}{path}"
    status, ctype, body = http_get(net, host, url)
    assert status == want, f"GET {path} on {host.name}: {status} {body[:500]}"
    assert ctype.startswith("application/json"), ctype
    return json.loads(body)


def events(net, host, instance="prom"):
    """The instance's events from /events?instance=NAME (checked against
    the document's shape)."""
    doc = get_json(net, host, f"/events?instance={instance}")
    assert set(doc) == {"router_id", "now", "event_history", "instances"}, doc.keys()
    assert [i["name"] for i in doc["instances"]] == [instance]
    evs = doc["instances"][0]["events"]
    seqs = [e["seq"] for e in evs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    for e in evs:
        assert e["time"].endswith("Z") and len(e["time"]) == len("2026-12-02T19:30:01.123Z"), e
    return evs


def find(evs, start, pred, what):
    """Index of the first event from `start` on that matches `pred`."""
    for k in range(start, len(evs)):
        if pred(evs[k]):
            return k
    raise AssertionError(f"no {what} after event {start}:\n" + "\n".join(json.dumps(e) for e in evs))


def table_rows(net, host, ctl):
    """`promvipctl events prom` on `host`: the table's rows."""
    r = promvipctl(net, host, ctl, "-a", f"127.0.0.1:{API_PORT}", "events", "prom")
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    rows = r.stdout.splitlines()
    assert re.match(r"INSTANCE\s+AGE\s+EVENT\s+DETAIL$", rows[0]), rows
    return rows[1:]


def in_order(rows, patterns):
    """Each pattern matches a row, each after the previous one's."""
    k = 0
    for p in patterns:
        while k < len(rows) and not re.search(p, rows[k]):
            k += 1
        assert k < len(rows), f"no row matching {p!r} in order:\n" + "\n".join(rows)
        k += 1


def two_agents(net, promvipd, history=None):
    for h in net.hosts:
        start_web(net, h)
        set_ready(net, h, True)
    agents = [Agent(net, h, promvipd, agent_config(net, p, history, host=h))
              for h, p in zip(net.hosts, (150, 100))]
    agents[0].wait_state("MASTER", 10)
    agents[1].wait_state("BACKUP", 10)
    wait_holder(net, vip4(net), "h1", 5)
    return agents


def fail_over(net, agents):
    h1, h2 = net.hosts
    set_ready(net, h1, False)
    agents[1].wait_state("MASTER", FAILOVER_BOUND)
    agents[0].wait_state("BACKUP", FAILOVER_BOUND)
    wait_holder(net, vip4(net), "h2", 5)


def test_failover_chain(lab, promvipd, ctl):
    if not shutil.which("curl"):
        pytest.fail("curl not found (asks the control socket): apt-get install curl", pytrace=False)
    net = lab(2)
    h1, h2 = net.hosts
    agents = two_agents(net, promvipd)
    # The probe must have been UP before it goes DOWN.
    wait_for(lambda: any(e["type"] == "probe" and e["probe"] == "web" and e["to"] == "UP"
                         for e in events(net, h1)), 10, what="h1: probe web UP")
    fail_over(net, agents)

    # The old master: probe DOWN -> priority (the probe) -> advert sent 90 ->
    # MASTER -> BACKUP for h2's higher priority.
    def h1_done():
        evs = events(net, h1)
        return any(e["type"] == "transition" and e["from"] == "MASTER" and e["to"] == "BACKUP"
                   for e in evs) and evs
    evs = wait_for(h1_done, 5, what="h1: MASTER -> BACKUP event")
    k = find(evs, 0, lambda e: e["type"] == "probe" and e["probe"] == "web" and e["from"] == "UP"
             and e["to"] == "DOWN", "probe web UP -> DOWN")
    assert evs[k]["detail"] and "404" in evs[k]["detail"], evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "priority" and e["from"] == 150 and e["to"] == 90,
             "priority 150 -> 90")
    assert "probe 'web' DOWN" in evs[k]["cause"] and "-60" in evs[k]["cause"], evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "advert" and e["direction"] == "sent" and e["priority"] == 90,
             "advert sent 90")
    assert evs[k]["previous"] == 150 and evs[k]["address"] is None, evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "transition" and e["from"] == "MASTER" and e["to"] == "BACKUP",
             "MASTER -> BACKUP")
    assert evs[k]["reason"] == f"higher priority 100 from {h2.addr4} (ours 90)", evs[k]
    # It heard h2's 100 before it gave way, and sees h2 as master after.
    assert any(e["type"] == "advert" and e["direction"] == "received" and e["priority"] == 100
               and e["address"] == h2.addr4 for e in evs[:k]), evs
    assert any(e["type"] == "master" and e["to"] == h2.addr4 for e in evs[k:]), evs
    # Adverts are events only when their priority changes: a handful, not one per advert.
    assert sum(e["type"] == "advert" for e in evs) <= 6, evs

    # The new master: advert received 90 (was 150) -> BACKUP -> MASTER (preempt).
    evs = events(net, h2)
    k = find(evs, 0, lambda e: e["type"] == "advert" and e["direction"] == "received" and e["priority"] == 90
             and e["address"] == h1.addr4, "advert received 90 from h1")
    assert evs[k]["previous"] == 150, evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "transition" and e["from"] == "BACKUP" and e["to"] == "MASTER",
             "BACKUP -> MASTER")
    reason = evs[k]["reason"]
    assert reason.startswith(f"preempt: {h1.addr4} advertised priority 90, ours 100") \
        or "master down" in reason, reason
    # Its start is there too, first of all.
    assert evs[0]["type"] in ("priority", "transition", "probe"), evs[0]
    assert any(e["type"] == "transition" and e["from"] == "INIT" and e["to"] == "BACKUP"
               and e["reason"] == "startup" for e in evs), evs

    # promvipctl events shows both chains, in the same order, as a table.
    table = {h.name: table_rows(net, h, ctl) for h in (h1, h2)}
    print("\n" + "\n\n".join(f"{n}:\n" + "\n".join(r) for n, r in table.items()))
    in_order(table["h1"], [r"prom\s+\S+ ago\s+probe\s+web UP -> DOWN: .*404",
                           r"prom\s+\S+ ago\s+priority\s+150 -> 90: probe 'web' DOWN \(weight -60\)",
                           r"prom\s+\S+ ago\s+advert\s+sent priority 90 \(was 150\)",
                           rf"prom\s+\S+ ago\s+transition\s+MASTER -> BACKUP: higher priority 100 from "
                           rf"{re.escape(h2.addr4)} \(ours 90\)"])
    in_order(table["h2"], [rf"prom\s+\S+ ago\s+advert\s+received priority 90 from {re.escape(h1.addr4)}"
                           r" \(was 150\)",
                           r"prom\s+\S+ ago\s+transition\s+BACKUP -> MASTER: (preempt|.*master down)"])

    # /status carries the same list per instance, and "now".
    status = get_json(net, h2, "/status")
    assert "now" in status and status["now"].endswith("Z"), status.get("now")
    inst = [i for i in status["instances"] if i["name"] == "prom"][0]
    assert [e["seq"] for e in inst["events"]][:len(evs)] == [e["seq"] for e in evs]
    for key in ("name", "state", "priority", "master", "tracks", "fault", "last_transition"):
        assert key in inst, key  # the keys /status had stay

    # /events without a filter: every instance; an unknown one is a 404 with an error.
    doc = get_json(net, h2, "/events")
    assert doc["event_history"] == 100 and [i["name"] for i in doc["instances"]] == ["prom"]
    err = get_json(net, h2, "/events?instance=unknown", want=404)
    assert "unknown" in err["error"], err

    # A reload keeps the history (by instance name) and says so.
    before = events(net, h2)
    reload(agents[1])
    after = events(net, h2)
    assert [e["seq"] for e in after[:len(before)]] == [e["seq"] for e in before]
    assert after[-1]["type"] == "reload" and after[-1]["detail"] == "settings unchanged", after[-1]
    assert after[-1]["seq"] > before[-1]["seq"]

    # A changed router (another VRID) is a new instance of the same name:
    # it keeps the history too.
    reload(agents[1], agent_config(net, 100, host=h2, vrid=52))
    replaced = events(net, h2)
    assert [e["seq"] for e in replaced[:len(after)]] == [e["seq"] for e in after], (after, replaced)
    assert any(e["type"] == "reload" and e["detail"] == "the virtual router changed: restarted"
               for e in replaced), replaced

    # A reload with a smaller event_history trims the oldest.
    reload(agents[1], agent_config(net, 100, history=3, host=h2, vrid=52))
    trimmed = events(net, h2)
    # The newest three stay: the reload's event, and maybe what the router
    # replaced above still records (its hand-over ends now and then).
    assert len(trimmed) == 3 and len(replaced) > 3, (replaced, trimmed)
    assert trimmed[0]["seq"] >= replaced[-2]["seq"] and trimmed[-1]["seq"] > replaced[-1]["seq"], trimmed
    assert get_json(net, h2, "/events")["event_history"] == 3

    # Asked from the other host, and on the control socket: the same.
    status, _, body = http_get(net, h1, api_url(h2, "/events?instance=prom"))
    assert status == 200 and json.loads(body)["instances"][0]["name"] == "prom"
    r = net.run(h2.ns, ["curl", "-sS", "-w", "\n%{http_code}", "--unix-socket", control_socket(net, h2),
                        "http://localhost/events?instance=prom"], timeout=10)
    body, _, code = r.stdout.rpartition("\n")
    assert r.returncode == 0 and code == "200", (r.returncode, r.stdout, r.stderr)
    doc = json.loads(body)
    assert doc["event_history"] == 3 and [i["name"] for i in doc["instances"]] == ["prom"], doc
    assert 1 <= len(doc["instances"][0]["events"]) <= 3, doc
    assert doc["instances"][0]["events"][-1]["seq"] >= trimmed[-1]["seq"], (doc, trimmed)
    r = net.run(h2.ns, ["curl", "-sS", "-w", "\n%{http_code}", "--unix-socket", control_socket(net, h2),
                        "http://localhost/events?instance=nope"], timeout=10)
    assert r.stdout.rpartition("\n")[2] == "404" and "nope" in json.loads(r.stdout.rpartition("\n")[0])["error"]


def test_history_bounded(lab, promvipd):
    """event_history = 5: never more than 5 kept, seq keeps rising, the
    oldest go first."""
    net = lab(2)
    h1 = net.hosts[0]
    start_web(net, h1)
    set_ready(net, h1, True)
    agent = Agent(net, h1, promvipd, agent_config(net, 150, history=5))
    agent.wait_state("MASTER", 10)
    last = 0
    first_seqs = []
    for k in range(4):
        want = "UP" if k % 2 == 1 else "DOWN"
        set_ready(net, h1, want == "UP")

        def changed():
            evs = events(net, h1)
            return any(e["type"] == "probe" and e["to"] == want and e["seq"] > last for e in evs) and evs
        evs = wait_for(changed, 10, what=f"probe web {want}")
        assert len(evs) <= 5, evs
        assert evs[-1]["seq"] > last, (last, evs)   # seq keeps rising
        last = evs[-1]["seq"]
        first_seqs.append(evs[0]["seq"])
    assert first_seqs == sorted(first_seqs) and first_seqs[-1] > first_seqs[0], first_seqs
    evs = events(net, h1)
    assert len(evs) == 5, evs
    assert evs[-1]["seq"] > 5 and evs[0]["seq"] > 1, evs   # the oldest were dropped
    assert get_json(net, h1, "/events")["event_history"] == 5


def test_hook_results(hooks, lab, promvipd):
    """Hook results are events: a backup hook that exits 0 is ok, a master
    hook that exits 3 failed, with the exit status as detail."""
    net = lab(2)
    h1 = net.hosts[0]
    backup = hooks.script("backup.sh", "#!/bin/sh\nexit 0\n")
    master = hooks.script("master.sh", "#!/bin/sh\nexit 3\n")
    agent = Agent(net, h1, promvipd,
                  hook_config(notify_group(master=master, backup=backup), global_=dict(LISTEN_ALL),
                              priority=150, vips=[vip4(net) + "/24"], interval=INTERVAL))
    agent.wait_state("MASTER", 10)

    def both():
        evs = [e for e in events(net, h1) if e["type"] == "hook"]
        return len(evs) >= 2 and evs
    evs = wait_for(both, 10, what="two hook events")
    assert evs[0]["hook"] == "backup" and evs[0]["result"] == "ok", evs
    assert evs[1]["hook"] == "master" and evs[1]["result"] == "failed", evs
    assert "3" in evs[1]["detail"], evs[1]
    # Hook events follow the transitions that queued them.
    all_evs = events(net, h1)
    to_master = [e["seq"] for e in all_evs if e["type"] == "transition" and e["to"] == "MASTER"]
    assert to_master and to_master[0] < evs[1]["seq"], all_evs


def test_release_events(lab, promvipd, ctl):
    """promvipctl release: a hand-over that begins and ends, and the
    transition it makes, on the old master; the new master's reason."""
    net = lab(2)
    h1, h2 = net.hosts
    agents = two_agents(net, promvipd)
    r = release(net, h1, ctl, agents[0].path)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    agents[1].wait_state("MASTER", 10)

    def done():
        evs = events(net, h1)
        return any(e["type"] == "handover" and e["phase"] == "end" for e in evs) and evs
    evs = wait_for(done, 10, what="h1: hand-over ended")
    k = find(evs, 0, lambda e: e["type"] == "handover" and e["kind"] == "release" and e["phase"] == "begin",
             "hand-over begins")
    assert evs[k]["detail"].startswith("sent priority 0"), evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "handover" and e["kind"] == "release" and e["phase"] == "end",
             "hand-over ends")
    assert evs[k]["detail"] == f"released to the new master {h2.addr4}", evs[k]
    k = find(evs, k + 1, lambda e: e["type"] == "transition" and e["from"] == "MASTER" and e["to"] == "BACKUP",
             "MASTER -> BACKUP")
    assert evs[k]["reason"] == f"released to the new master {h2.addr4} (priority 100)", evs[k]
    evs2 = events(net, h2)
    k = find(evs2, 0, lambda e: e["type"] == "advert" and e["direction"] == "received" and e["priority"] == 0,
             "h2: priority 0 received")
    k = find(evs2, k + 1, lambda e: e["type"] == "transition" and e["to"] == "MASTER", "h2: BACKUP -> MASTER")
    assert evs2[k]["reason"].startswith(f"master {h1.addr4} gave up (priority 0)"), evs2[k]


def ctl_supports_events(net, host, ctl):
    """`promvipctl events --help` exits 0 and its help names `events` (a
    promvipctl without the subcommand prints its general help for --help
    anywhere, exit 0 too)."""
    r = promvipctl(net, host, ctl, "events", "--help")
    return r.returncode == 0 and re.search(r"^\s*(promvipctl .*)?\bevents\b", r.stdout, re.M) is not None


def test_status_watch_sees_the_failover(lab, promvipd, ctl):
    """`promvipctl status --watch` on the old master, its output a pipe:
    the table with h1 MASTER, then, after the failover, one with h1 BACKUP;
    a table is printed again only when it changed; SIGTERM ends it with 0."""
    net = lab(2)
    h1 = net.hosts[0]
    agents = two_agents(net, promvipd)
    watch = net.spawn(h1.ns, [ctl, "-a", f"127.0.0.1:{API_PORT}", "status", "--watch", "--interval", "0.2"],
                      name="watch")

    def tables():
        return [t for t in re.split(r"^(?=router )", watch.output(), flags=re.M) if t.strip()]

    def first(state):
        return next((k for k, t in enumerate(tables()) if re.search(rf"^prom\s+{state}\s", t, re.M)), None)
    wait_for(lambda: first("MASTER") is not None, 10, what="a table with prom MASTER")
    fail_over(net, agents)
    wait_for(lambda: first("BACKUP") is not None, 10, what="a table with prom BACKUP")
    watch.signal(signal.SIGTERM)
    assert watch.wait(5) == 0, watch.output()
    shown = tables()
    assert first("MASTER") < first("BACKUP"), shown
    assert all(a != b for a, b in zip(shown, shown[1:])), shown


def test_promvipctl_events(lab, promvipd, ctl):
    """promvipctl events renders the same history (skipped until
    promvipctl has the `events` subcommand)."""
    net = lab(2)
    h1 = net.hosts[0]
    if not ctl_supports_events(net, h1, ctl):
        pytest.skip("promvipctl events not built yet")
    start_web(net, h1)
    set_ready(net, h1, True)
    agent = Agent(net, h1, promvipd, agent_config(net, 150))
    agent.wait_state("MASTER", 10)
    wait_for(lambda: any(e["type"] == "probe" and e["to"] == "UP" for e in events(net, h1)), 10,
             what="probe web UP")
    addr = f"127.0.0.1:{API_PORT}"
    r = promvipctl(net, h1, ctl, "-a", addr, "events", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [i["name"] for i in doc["instances"]] == ["prom"]
    r = promvipctl(net, h1, ctl, "-a", addr, "events")
    assert r.returncode == 0, r.stderr
    assert "INSTANCE" in r.stdout and "EVENT" in r.stdout and "ago" in r.stdout, r.stdout
    assert "INIT -> BACKUP" in r.stdout or "-> MASTER" in r.stdout, r.stdout
    assert "web DOWN -> UP" in r.stdout, r.stdout
    r = promvipctl(net, h1, ctl, "-a", addr, "events", "prom")
    assert r.returncode == 0 and "prom" in r.stdout, r.stdout
    r = promvipctl(net, h1, ctl, "-a", addr, "events", "unknown")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
