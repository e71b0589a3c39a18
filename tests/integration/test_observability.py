"""Observability (issue 6): promvipd's /metrics scraped by a real Prometheus
(see prometheus.py), `promtool check metrics` on its output, /status, and
`promvipctl status` inside each host's namespace.

The contract (metric names and labels, /status keys) is the one in the
README's observability section: the virtual router is the label
`vrrp_instance`, never `instance` (Prometheus's scrape target). h1 has
priority 150, h2 100; advertisements every 0.2 s keep the tests short and
every bound has a generous margin over the RFC and probe arithmetic.
"""

import functools
import calendar
import json
import os
import re
import signal
import time

import pytest

import packets
import prometheus
from lab import wait_for
from vrrp import (master_down_interval, API_PORT, LISTEN_ALL, Agent, agent_metrics, agent_status, exec_probe,
                  http_probe, probe_config, promvipctl, start_web, vip4,
                  wait_holder)

INTERVAL = 0.2          # advertisement interval
SCRAPE = 0.5            # Prometheus scrape interval for the promvip job
MARGIN = 2.0            # seconds on top of every computed upper bound
# Prometheus applies a new scrape job's targets on a 5 s tick and the first
# scrape of a fresh server comes ~5-6 s after its start (prometheus.py).
FIRST_SCRAPE = 15.0
MASTER_SUM = 'sum by (vrrp_instance) (promvip_instance_state{state="MASTER"})'
MASTER_SERIES = 'promvip_instance_state{job="promvip",state="MASTER"} == 1'


mdi = functools.partial(master_down_interval, interval=INTERVAL)


def target(host):
    return f"{host.addr4}:{API_PORT}"


def two_agents(net, promvipd, probes=(), global_=None, listen=(LISTEN_ALL, LISTEN_ALL),
               prios=(150, 100)):
    """promvipd on h1 (150) and h2 (100), h1 MASTER and h2 BACKUP."""
    agents = []
    for host, prio, lst in zip(net.hosts, prios, listen):
        g = dict(global_ or {})
        g.update(lst or {})
        agents.append(Agent(net, host, promvipd,
                            probe_config(probes=probes, global_=g or None, priority=prio,
                                         vips=[vip4(net) + "/24"], interval=INTERVAL)))
    agents[0].wait_state("MASTER", 5)
    agents[1].wait_state("BACKUP", 5)
    wait_holder(net, vip4(net), "h1", 5)
    return agents


def scraping_prometheus(net):
    """Prometheus in the client namespace with a `promvip` job on h1 and
    h2's :9662, every 0.5 s; returns once it is ready."""
    prom = prometheus.start(net, net.client, jobs={"promvip": [target(h) for h in net.hosts]},
                            job_interval=SCRAPE)
    prom.wait_ready(20)
    return prom


def up_by_target(prom):
    """{"HOST:PORT": value of up} for the promvip job."""
    return {m["instance"]: v for m, v in prom.query('up{job="promvip"}')}


def wait_up(prom, net, want, timeout):
    """Wait until up{job="promvip"} is `want` ({target: 0 or 1})."""
    def ok():
        got = up_by_target(prom)
        return all(got.get(t) == v for t, v in want.items()) and got
    return wait_for(ok, timeout, interval=0.2,
                    what=lambda: f"up{{job=\"promvip\"}} == {want} (got {up_by_target(prom)})")


def masters(prom):
    """(sum by vrrp_instance of the MASTER series, [targets whose MASTER
    series is 1])."""
    sums = {m.get("vrrp_instance"): v for m, v in prom.query(MASTER_SUM)}
    who = sorted(m["instance"] for m, _ in prom.query(MASTER_SERIES))
    return sums, who


def test_prometheus_scrapes_every_agent(lab, promvipd):
    net = lab(2)
    two_agents(net, promvipd)
    prom = scraping_prometheus(net)
    want = {target(h): 1.0 for h in net.hosts}
    wait_up(prom, net, want, FIRST_SCRAPE)
    assert up_by_target(prom) == want
    # The agents' own series came with the scrapes, labelled by target,
    # and the virtual router is `vrrp_instance`, not `instance`.
    info = prom.query('promvip_build_info{job="promvip"}')
    assert sorted(m["instance"] for m, _ in info) == sorted(want), info
    states = prom.query('promvip_instance_state{job="promvip"} == 1')
    got = {m["instance"]: (m["vrrp_instance"], m["state"], m["interface"], m["vrid"])
           for m, _ in states}
    assert got == {target(net.hosts[0]): ("prom", "MASTER", "eth0", "51"),
                   target(net.hosts[1]): ("prom", "BACKUP", "eth0", "51")}, states
    # Every state of the instance is a series of its own (0 or 1).
    series = prom.query(f'promvip_instance_state{{instance="{target(net.hosts[0])}"}}')
    assert sorted(m["state"] for m, _ in series) == sorted(
        ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"]), series
    assert sum(v for _, v in series) == 1.0, series


def test_one_master_in_promql_across_kill9_failover(lab, promvipd):
    net = lab(2)
    h1, h2 = net.hosts
    a = two_agents(net, promvipd)
    prom = scraping_prometheus(net)
    wait_up(prom, net, {target(h1): 1.0, target(h2): 1.0}, FIRST_SCRAPE)
    # h2's BACKUP is scraped too, so the sum covers both agents.
    wait_for(lambda: prom.query(f'promvip_instance_state{{instance="{target(h2)}",'
                                f'state="BACKUP"}} == 1'), 5, interval=0.2,
             what="h2's BACKUP series in Prometheus")
    sums, who = masters(prom)
    assert sums == {"prom": 1.0}, sums
    assert who == [target(h1)], who

    a[0].stop(signal.SIGKILL)
    killed = time.monotonic()
    a[1].wait_state("MASTER", mdi(100) + MARGIN)
    # h1's scrape fails: `up` is 0 and its series are marked stale at once
    # (otherwise they would linger for the lookback delta).
    wait_up(prom, net, {target(h1): 0.0, target(h2): 1.0}, 3 * SCRAPE + MARGIN)

    def h2_alone():
        sums, who = masters(prom)
        return sums == {"prom": 1.0} and who == [target(h2)] and (sums, who)
    wait_for(h2_alone, 3 * SCRAPE + MARGIN, interval=0.1,
             what=lambda: f"h2 the only master in Prometheus (got {masters(prom)})")
    # ... and it stays so: never two masters, nor none, in the next scrapes.
    for _ in range(6):
        time.sleep(SCRAPE / 2)
        sums, who = masters(prom)
        assert sums == {"prom": 1.0} and who == [target(h2)], (sums, who)
    assert time.monotonic() - killed < 20
    transitions = prom.query(f'promvip_instance_transitions_total{{instance="{target(h2)}",'
                             f'from="BACKUP",to="MASTER"}}')
    assert [v for _, v in transitions] == [1.0], transitions


# Every family of the contract; those in OPTIONAL appear only once there is
# something to say (a known master, a transition).
FAMILIES = {
    "promvip_build_info": "gauge", "promvip_start_time_seconds": "gauge",
    "promvip_reloads_total": "counter", "promvip_reload_failures_total": "counter",
    "promvip_instance_state": "gauge", "promvip_sync_group_state": "gauge", "promvip_instance_priority": "gauge",
    "promvip_instance_base_priority": "gauge", "promvip_instance_master_info": "gauge",
    "promvip_instance_transitions_total": "counter",
    "promvip_instance_last_transition_timestamp_seconds": "gauge",
    "promvip_instance_adverts_sent_total": "counter",
    "promvip_instance_adverts_received_total": "counter",
    "promvip_instance_master_changes_total": "counter",
    "promvip_instance_split_brain_total": "counter",
    "promvip_instance_split_brain_answers_total": "counter",
    "promvip_instance_vip_failures_total": "counter",
    "promvip_instance_packets_dropped_total": "counter",
    "promvip_socket_packets_received_total": "counter",
    "promvip_socket_packets_dropped_total": "counter",
    "promvip_advert_lateness_seconds": "histogram",
    "promvip_instance_hook_runs_total": "counter",
    "promvip_instance_hook_failures_total": "counter",
    "promvip_instance_hook_refused_total": "counter",
    "promvip_instance_hook_dropped_total": "counter",
    "promvip_probe_up": "gauge", "promvip_probe_runs_total": "counter",
    "promvip_probe_latency_seconds": "gauge", "promvip_probe_failures_total": "counter",
    "promvip_instance_track_weight": "gauge",
    "promvip_instance_track_interface_up": "gauge", "promvip_instance_track_interface_weight": "gauge",
    "promvip_probe_value": "gauge",
    "promvip_realtime_priority": "gauge", "promvip_memory_locked": "gauge",
}
INSTANCE_DROPS = ["bad_auth", "version_mismatch", "interval_mismatch", "addr_mismatch", "address_owner",
                  "unknown_peer", "bad_ttl"]
SOCKET_DROPS = ["too_short", "truncated", "bad_ip_header", "bad_ttl", "bad_version", "bad_type",
                "bad_checksum", "bad_addr_count", "bad_adver_int", "unknown_vrid", "own_address"]
PROBE_FAILURES = ["timeout", "connect", "http_status", "bad_answer", "empty", "out_of_range",
                  "exit_status", "error"]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """({family: type}, {family: help}, [(name, {labels}, value)])."""
    types, helps, samples = {}, {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line.startswith("# HELP "):
            _, _, name, text_ = line.split(" ", 3)
            helps[name] = text_
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            samples.append((m.group(1), dict(LABEL.findall(m.group(2) or "")),
                            float(m.group(3))))
    return types, helps, samples


def values(samples, name, **labels):
    return {tuple(sorted(l.items())): v for n, l, v in samples
            if n == name and all(l.get(k) == w for k, w in labels.items())}


def test_promtool_accepts_metrics(lab, promvipd):
    net = lab(2)
    h1 = net.hosts[0]
    start_web(net, h1)
    probes = [exec_probe("true", "/bin/true", weight=-10),
              http_probe("web", url="http://127.0.0.1:8080/whoami", weight=-20)]
    agent = Agent(net, h1, promvipd,
                  probe_config(probes=probes, global_={"script_user": "nobody"}, priority=150,
                               vips=[vip4(net) + "/24"], interval=INTERVAL))
    agent.wait_state("MASTER", 5)
    # Some drops: at the socket (bad checksum) and at the instance (other
    # virtual addresses).
    packets.send(net, net.client, "bad_checksum", addrs=[vip4(net)], vrid=51, prio=200)
    packets.send(net, net.client, "valid", addrs=[f"10.99.{net.number}.77"], vrid=51, prio=200)

    def ready():
        text = agent_metrics(net, h1)
        s = parse_metrics(text)[2]
        ups = values(s, "promvip_probe_up")
        dropped = (values(s, "promvip_socket_packets_dropped_total", reason="bad_checksum"),
                   values(s, "promvip_instance_packets_dropped_total", reason="addr_mismatch"))
        return (len(ups) == 2 and all(v == 1.0 for v in ups.values())
                and all(d and all(v >= 1 for v in d.values()) for d in dropped) and text)
    text = wait_for(ready, 10, interval=0.2,
                    what=lambda: "both probes UP and the drops counted:\n" + agent_metrics(net, h1))

    r = net.run(h1.ns, ["promtool", "check", "metrics"], input=text, timeout=20)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), \
        f"promtool check metrics: exit {r.returncode}\n{r.stdout}{r.stderr}\n---\n{text}"

    types, helps, samples = parse_metrics(text)
    assert types == FAMILIES, (set(types) ^ set(FAMILIES))
    assert set(helps) == set(types)
    for name, labels, _ in samples:
        assert "instance" not in labels, (name, labels)
    assert values(samples, "promvip_instance_state", vrrp_instance="prom", state="MASTER",
                  interface="eth0", vrid="51")
    # The master's advert timer: every firing counted, none later than 1 s.
    lateness = {l["le"]: v for n, l, v in samples
                if n == "promvip_advert_lateness_seconds_bucket" and l["vrrp_instance"] == "prom"}
    count = values(samples, "promvip_advert_lateness_seconds_count", vrrp_instance="prom")
    assert list(count.values())[0] >= 1 and lateness["+Inf"] == list(count.values())[0], lateness
    assert lateness["1"] == lateness["+Inf"] and len(lateness) == 11, lateness
    assert sorted(l["reason"] for n, l, _ in samples
                  if n == "promvip_instance_packets_dropped_total") == sorted(INSTANCE_DROPS)
    assert sorted(l["reason"] for n, l, _ in samples
                  if n == "promvip_socket_packets_dropped_total"
                  and l["family"] == "ipv4") == sorted(SOCKET_DROPS)
    for p in ("true", "web"):
        assert sorted(l["reason"] for n, l, _ in samples
                      if n == "promvip_probe_failures_total" and l["probe"] == p) \
            == sorted(PROBE_FAILURES), p
    assert values(samples, "promvip_probe_up", probe="true", type="exec")
    assert values(samples, "promvip_probe_up", probe="web", type="http")
    weights = {l["probe"]: v for n, l, v in samples if n == "promvip_instance_track_weight"}
    assert weights == {"true": -10.0, "web": -20.0}, weights


# /status keys of the contract.
STATUS_KEYS = {"router_id", "version", "start_time", "reloads", "reload_failures",
               "last_reload", "instances", "probes", "sockets"}
INSTANCE_KEYS = {"name", "interface", "vrid", "version", "family", "state", "priority",
                 "virtual_addresses", "master", "is_master", "last_transition", "adverts",
                 "master_changes", "split_brain", "dropped", "hooks", "tracks"}
PROBE_KEYS = {"name", "type", "state", "runs", "last_latency_seconds", "last_result",
              "last_detail", "failures"}
SOCKET_KEYS = {"interface", "family", "received", "dropped"}


def table_row(out, name="prom"):
    """The words of the instances table's row for `name`."""
    for line in out.splitlines():
        if line.split()[:1] == [name]:
            return line
    raise AssertionError(f"no row for {name} in:\n{out}")


def test_promvipctl_status(lab, promvipd, ctl):
    net = lab(2)
    h1, h2 = net.hosts
    # h1 on the default listen address (127.0.0.1:9662), h2 on all.
    a = two_agents(net, promvipd, probes=[exec_probe("true", "/bin/true", weight=-10)],
                   global_={"script_user": "nobody"}, listen=(None, LISTEN_ALL))
    wait_for(lambda: agent_status(net, h2)["instances"][0]["master"] == h1.addr4, 5,
             what="h2 knows h1 as master")

    r1 = promvipctl(net, h1, ctl, "-f", a[0].path, "status")
    assert r1.returncode == 0, r1.stderr
    row = table_row(r1.stdout)
    assert re.search(rf"\bMASTER\b.*\b{re.escape(h1.addr4)} \(this host\)", row), r1.stdout
    assert vip4(net) in row, r1.stdout

    r2 = promvipctl(net, h2, ctl, "-f", a[1].path, "status")
    assert r2.returncode == 0, r2.stderr
    row = table_row(r2.stdout)
    assert re.search(rf"\bBACKUP\b.*\b{re.escape(h1.addr4)}\b", row), r2.stdout
    assert "this host" not in row, r2.stdout

    # The same answer through -a from another namespace.
    r = promvipctl(net, net.client, ctl, "-a", target(h2), "status")
    assert r.returncode == 0 and "BACKUP" in table_row(r.stdout), r.stdout + r.stderr

    r = promvipctl(net, h1, ctl, "-f", a[0].path, "status", "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert STATUS_KEYS <= set(st), set(st)
    (inst,) = st["instances"]
    assert INSTANCE_KEYS <= set(inst), set(inst)
    assert (inst["name"], inst["state"], inst["is_master"], inst["master"]) == \
        ("prom", "MASTER", True, h1.addr4), inst
    assert inst["priority"] == {"base": 150, "effective": 150}, inst
    assert inst["virtual_addresses"] == [vip4(net) + "/24"], inst
    assert (inst["interface"], inst["vrid"], inst["version"], inst["family"]) == \
        ("eth0", 51, 3, "ipv4"), inst
    assert inst["tracks"] == [{"probe": "true", "weight": -10, "up": True}], inst
    (p,) = st["probes"]
    assert PROBE_KEYS <= set(p) and (p["name"], p["type"], p["state"]) == ("true", "exec", "UP"), p
    assert st["sockets"] and all(SOCKET_KEYS <= set(s) for s in st["sockets"]), st["sockets"]

    # h1 stops: h2 takes over at once (priority 0), and promvipctl on h1
    # says plainly that nobody answers (exit 3).
    assert a[0].stop() == 0
    a[1].wait_state("MASTER", mdi(100) + MARGIN)
    r = promvipctl(net, h1, ctl, "-f", a[0].path, "status")
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert "not answering" in r.stderr and "127.0.0.1:9662" in r.stderr, r.stderr
    assert not r.stdout.strip(), r.stdout
    r = promvipctl(net, h1, ctl, "-f", a[0].path, "status", "--json")
    assert r.returncode == 3 and "not answering" in r.stderr, (r.returncode, r.stderr)

    wait_for(lambda: "(this host)" in table_row(
        promvipctl(net, h2, ctl, "-f", a[1].path, "status").stdout), 5,
        what="promvipctl on h2 showing h2 as master")
    row = table_row(promvipctl(net, h2, ctl, "-f", a[1].path, "status").stdout)
    assert re.search(rf"\bMASTER\b.*\b{re.escape(h2.addr4)} \(this host\)", row), row


def rfc3339(text):
    """Seconds since the epoch of an RFC 3339 UTC time ("...Z")."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", text), text
    return calendar.timegm(time.strptime(text.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S"))


def test_status_agrees_after_failover(lab, promvipd):
    net = lab(2)
    h1, h2 = net.hosts
    for h in net.hosts:
        start_web(net, h)
    # Each host tracks its web server's /whoami: h1 with it DOWN has
    # 150 - 60 = 90 < 100.
    probes = [http_probe("web", url="http://127.0.0.1:8080/whoami", weight=-60)]
    a = two_agents(net, promvipd, probes=probes)
    for h in net.hosts:
        wait_for(lambda: agent_status(net, h, via=net.client)["probes"][0]["state"] == "UP", 5,
                 what=f"{h.name}'s probe UP")
    before = {h.name: agent_status(net, h, via=net.client)["instances"][0] for h in net.hosts}
    assert before["h1"]["master"] == before["h2"]["master"] == h1.addr4, before

    t0 = time.time()
    os.unlink(os.path.join(net.dir, f"www-{h1.name}", "whoami"))   # now a 404
    # fall 2 at 0.5 s (each up to 0.25 s), one advert, then h2's MDI.
    a[1].wait_state("MASTER", 2 * 0.5 + 0.25 + INTERVAL + mdi(100) + MARGIN)
    a[0].wait_state("BACKUP", 5)
    wait_holder(net, vip4(net), "h2", 5)

    def agreed():
        st = {h.name: agent_status(net, h, via=net.client) for h in net.hosts}
        i = {k: v["instances"][0] for k, v in st.items()}
        return i["h1"]["master"] == i["h2"]["master"] == h2.addr4 and st
    st = wait_for(agreed, 5, interval=0.2,
                  what=lambda: "both agents agreeing on h2 as master: " + json.dumps(
                      {h.name: agent_status(net, h, via=net.client)["instances"] for h in net.hosts}))
    i1, i2 = st["h1"]["instances"][0], st["h2"]["instances"][0]
    assert (i2["state"], i2["is_master"]) == ("MASTER", True), i2
    assert (i1["state"], i1["is_master"]) == ("BACKUP", False), i1
    lt = i2["last_transition"]
    assert (lt["from"], lt["to"]) == ("BACKUP", "MASTER"), lt
    assert t0 - 2 <= rfc3339(lt["time"]) <= time.time() + 2, (lt, t0)
    lt = i1["last_transition"]
    assert (lt["from"], lt["to"]) == ("MASTER", "BACKUP"), lt
    assert i1["priority"] == {"base": 150, "effective": 90}, i1
    assert i1["tracks"] == [{"probe": "web", "weight": -60, "up": False}], i1
    (p,) = st["h1"]["probes"]
    assert p["state"] == "DOWN" and p["last_result"] == "http_status", p
    assert p["failures"].get("http_status", 0) >= 2, p
    assert i2["priority"] == {"base": 100, "effective": 100}, i2
    assert i2["master_changes"] >= 1 and i1["master_changes"] >= 1, (i1, i2)
