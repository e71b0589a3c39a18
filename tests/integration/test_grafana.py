"""The Grafana dashboard (conf/grafana/promvip.json, issue 18).

(a) No lab, no root: the JSON has what Grafana needs to import it
(schemaVersion, uid, title; every panel but rows with a type, title,
gridPos, the `${datasource}` datasource and targets with refId and expr),
unique panel ids, only template variables that exist, and only metric names
that agent/endpoint/metrics.c renders (or Prometheus's `up`).

(b) A real Prometheus (prometheus.py) in the lab's client namespace scrapes
two promvipd agents every second through a probe-driven failover: h1
(priority 150) tracks an http probe of its web server's /whoami with weight
-60; /whoami removed, the probe goes DOWN, h1 drops to 90 and h2 (100)
becomes MASTER. Then every panel's every target runs with the dashboard's
variables substituted, as a range query over the test's window and, for
instant panels, as an instant query too: none may fail, each must return
data (a panel whose description says "(may be empty: REASON)" is allowed
none; there are none today), and the state timeline must show h1 MASTER
first and h2 MASTER later; both agents name h2 as the master they see; the
probe panels show nothing for a virtual router that tracks no probe.
"""

import functools
import json
import math
import os
import re
import time
from urllib.parse import urlencode

import pytest

import prometheus
from lab import wait_for
from vrrp import (master_down_interval, API_PORT, LISTEN_ALL, Agent, agent_status, http_probe,
                  probe_config, start_web, vip4, wait_holder)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(REPO, "conf", "grafana", "promvip.json")
METRICS_C = os.path.join(REPO, "agent", "endpoint", "metrics.c")
DS = {"type": "prometheus", "uid": "${datasource}"}
MAY_BE_EMPTY = "(may be empty:"
# Grafana's own variables (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables).
BUILTIN = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
           "__from", "__to", "__all", "__name", "__dashboard", "__user", "__org", "__timeFilter"}

INTERVAL = 0.2          # advertisement interval
SCRAPE = 1.0            # Prometheus scrape interval of the promvip job
RATE_INTERVAL = "5s"    # what Grafana's $__rate_interval is at a 1 s scrape: at least 4 scrapes
STEADY = 6.0            # seconds scraped before the failover and after it
MARGIN = 2.0
FIRST_SCRAPE = 15.0     # a new Prometheus's first scrape comes after ~5-6 s (prometheus.py)
mdi = functools.partial(master_down_interval, interval=INTERVAL)


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def all_panels(dash):
    """Every panel, rows included, with the panels of collapsed rows."""
    out = []
    for p in dash["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def query_panels(dash):
    return [p for p in all_panels(dash) if p["type"] != "row"]


def rendered_metrics():
    """The metric names metrics.c renders: its "promvip_..." strings, and a
    histogram family's _bucket, _sum and _count series."""
    with open(METRICS_C) as f:
        src = f.read()
    names = set(re.findall(r'"(promvip_[a-z_]+)"', src))
    histograms = set(re.findall(r'const char \*name = "(promvip_[a-z_]+)";[^}]*?"histogram"', src, re.S))
    assert histograms, "no histogram family found in metrics.c"
    for h in histograms:
        for suffix in ("_bucket", "_sum", "_count"):
            assert f'"%s{suffix}"' in src, suffix
            names.add(h + suffix)
    return names


def metric_names(expr):
    """The metric names in a PromQL expression: every name right before a
    label selector, and every promvip_ name."""
    return set(re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{", expr)) | set(re.findall(r"\bpromvip_\w+", expr))


# --- (a) the JSON ------------------------------------------------------------

def test_dashboard_imports():
    dash = load()
    assert isinstance(dash["schemaVersion"], int) and dash["schemaVersion"] >= 36, dash["schemaVersion"]
    assert dash["uid"] == "promvip"
    assert dash["title"]
    assert dash.get("id") is None  # an import creates a new dashboard
    panels = all_panels(dash)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert all(isinstance(i, int) for i in ids), ids
    rows = [p for p in panels if p["type"] == "row"]
    assert len(rows) >= 5, [r["title"] for r in rows]
    for p in panels:
        assert p["title"], p
        g = p["gridPos"]
        assert all(isinstance(g[k], int) for k in "hwxy"), p["title"]
        assert g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24, (p["title"], g)
        if p["type"] == "row":
            continue
        assert p["type"] in {"stat", "table", "timeseries", "state-timeline"}, (p["title"], p["type"])
        assert p["datasource"] == DS, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), (p["title"], refs)
        for t in p["targets"]:
            assert t["refId"] and t["expr"].strip(), (p["title"], t)
            assert t["datasource"] == DS, (p["title"], t)
    # No two panels overlap.
    cells = {}
    for p in panels:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, (p["title"], cells.get((x, y)))
                cells[(x, y)] = p["title"]
    may_be_empty = [p["title"] for p in query_panels(dash) if MAY_BE_EMPTY in p.get("description", "")]
    assert len(may_be_empty) <= 2, may_be_empty


def test_dashboard_variables():
    dash = load()
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert set(variables) == {"datasource", "job", "vrrp_instance"}, sorted(variables)
    ds = variables["datasource"]
    assert (ds["type"], ds["query"]) == ("datasource", "prometheus"), ds
    job = variables["job"]
    assert job["query"] == "promvip" and job["current"]["value"] == "promvip", job
    vi = variables["vrrp_instance"]
    assert vi["type"] == "query" and vi["datasource"] == DS, vi
    assert vi["query"]["query"] == 'label_values(promvip_instance_priority{job="$job"}, vrrp_instance)', vi
    assert vi["multi"] and vi["includeAll"], vi
    # Every $var, ${var}, ${var:format} and [[var]] is a variable of the dashboard.
    text = json.dumps(dash)
    used = set(re.findall(r"\$\{?([A-Za-z_]\w*)", text)) | set(re.findall(r"\[\[([A-Za-z_]\w*)", text))
    unknown = {u for u in used if u not in variables and u not in BUILTIN}
    assert not unknown, sorted(unknown)
    assert {"datasource", "job", "vrrp_instance", "__rate_interval"} <= used, used


def test_dashboard_metrics_exist():
    dash = load()
    rendered = rendered_metrics() | {"up"}
    seen = set()
    for p in query_panels(dash):
        for t in p["targets"]:
            names = metric_names(t["expr"])
            assert names, (p["title"], t["expr"])
            assert names <= rendered, (p["title"], sorted(names - rendered))
            seen |= names
            # Every selector is scoped to the job.
            for sel in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*\s*\{([^}]*)\}", t["expr"]):
                assert 'job="$job"' in sel, (p["title"], t["expr"])
    # The families the issue asks for are all on the dashboard.
    for name in ["up", "promvip_instance_state", "promvip_instance_priority",
                 "promvip_instance_base_priority", "promvip_instance_master_changes_total",
                 "promvip_instance_transitions_total", "promvip_probe_up", "promvip_probe_latency_seconds",
                 "promvip_instance_packets_dropped_total", "promvip_socket_packets_dropped_total",
                 "promvip_instance_split_brain_total", "promvip_instance_split_brain_answers_total",
                 "promvip_instance_hook_runs_total", "promvip_instance_hook_failures_total",
                 "promvip_instance_hook_refused_total", "promvip_instance_hook_dropped_total",
                 "promvip_instance_adverts_sent_total", "promvip_instance_adverts_received_total",
                 "promvip_advert_lateness_seconds_bucket", "promvip_reloads_total",
                 "promvip_reload_failures_total"]:
        assert name in seen, name


# --- (b) against a real Prometheus -------------------------------------------

def substitute(expr, values):
    """Grafana's interpolation of the variables the dashboard uses."""
    def repl(m):
        name = m.group(1) or m.group(2)
        assert name in values, (name, expr)
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def get_json(prom, path, what):
    status, body = prom.get(path, timeout=5.0)
    assert status is not None, f"{what}: {body}"
    try:
        answer = json.loads(body)
    except ValueError:
        raise AssertionError(f"{what}: HTTP {status}, not JSON: {body[:300]!r}")
    assert status == 200 and answer.get("status") == "success", f"{what}: HTTP {status}: {answer}"
    assert not answer.get("warnings"), f"{what}: {answer['warnings']}"
    return answer["data"]


def query_range(prom, expr, start, end, step):
    q = urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"})
    data = get_json(prom, "/api/v1/query_range?" + q, f"range query {expr!r}")
    assert data["resultType"] == "matrix", data
    return data["result"]


def query_instant(prom, expr, at):
    q = urlencode({"query": expr, "time": f"{at:.3f}"})
    data = get_json(prom, "/api/v1/query?" + q, f"instant query {expr!r}")
    assert data["resultType"] in ("vector", "scalar"), data
    return data["result"] if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]


def finite(values):
    return [float(v) for _, v in values if not math.isnan(float(v))]


@pytest.fixture(autouse=False)
def prometheus_installed():
    if not os.access(prometheus.PROMETHEUS, os.X_OK):
        pytest.fail(f"{prometheus.PROMETHEUS} not found: apt-get install prometheus", pytrace=False)


def test_dashboard_queries_through_failover(lab, promvipd, prometheus_installed):
    net = lab(2)
    h1, h2 = net.hosts
    for h in net.hosts:
        start_web(net, h)
    probes = [http_probe("web", url="http://127.0.0.1:8080/whoami", weight=-60)]
    agents = []
    for h, prio in zip(net.hosts, (150, 100)):
        agents.append(Agent(net, h, promvipd,
                            probe_config(probes=probes, global_=LISTEN_ALL, priority=prio,
                                         vips=[vip4(net) + "/24"], interval=INTERVAL)))
    agents[0].wait_state("MASTER", 5)
    agents[1].wait_state("BACKUP", 5)
    wait_holder(net, vip4(net), "h1", 5)
    for h in net.hosts:
        wait_for(lambda: agent_status(net, h, via=net.client)["probes"][0]["state"] == "UP", 5,
                 what=f"{h.name}'s probe UP")

    targets = {h.name: f"{h.addr4}:{API_PORT}" for h in net.hosts}
    prom = prometheus.start(net, net.client, jobs={"promvip": sorted(targets.values())},
                            job_interval=SCRAPE)
    prom.wait_ready(20)

    def both_up():
        got = {m["instance"]: v for m, v in prom.query('up{job="promvip"}')}
        return got == {t: 1.0 for t in targets.values()}
    wait_for(both_up, FIRST_SCRAPE, interval=0.2, what="both agents scraped")
    start = time.time()
    time.sleep(STEADY)

    # The failover: h1's probe DOWN (404), 150 - 60 = 90 < 100.
    os.unlink(os.path.join(net.dir, f"www-{h1.name}", "whoami"))
    agents[1].wait_state("MASTER", 2 * 0.5 + 0.25 + INTERVAL + mdi(100) + MARGIN)
    agents[0].wait_state("BACKUP", 5)
    wait_holder(net, vip4(net), "h2", 5)
    time.sleep(STEADY)
    end = time.time()

    # The vrrp_instance variable's query (label_values) as Grafana runs it.
    q = urlencode({"match[]": 'promvip_instance_priority{job="promvip"}',
                   "start": f"{start:.3f}", "end": f"{end:.3f}"})
    assert get_json(prom, "/api/v1/label/vrrp_instance/values?" + q, "label_values") == ["prom"]

    dash = load()
    window = int(math.ceil(end - start))
    empty_ok = set()
    results = {}
    for vrrp_instance in ("prom", ".*"):       # one virtual router picked, and "All" (allValue)
        values = {"job": "promvip", "vrrp_instance": vrrp_instance, "datasource": "prometheus",
                  "__rate_interval": RATE_INTERVAL, "__interval": "1s", "__range": f"{window}s"}
        for p in query_panels(dash):
            if MAY_BE_EMPTY in p.get("description", ""):
                empty_ok.add(p["title"])
            for t in p["targets"]:
                expr = substitute(t["expr"], values)
                what = f"{p['title']!r} {t['refId']} ({vrrp_instance}): {expr}"
                series = query_range(prom, expr, start, end, 1)
                if p["title"] not in empty_ok:
                    assert series, f"no series: {what}"
                    assert any(finite(s["values"]) for s in series), f"only NaN: {what}: {series}"
                results[(p["title"], t["refId"], vrrp_instance)] = series
                if t.get("instant"):
                    vec = query_instant(prom, expr, end)
                    if p["title"] not in empty_ok:
                        assert vec, f"no series (instant): {what}"

    # Which host is MASTER over time: h1 first, h2 later (2 is MASTER in
    # the state timeline's value mappings).
    (timeline,) = [p for p in query_panels(dash) if p["type"] == "state-timeline"
                   and "MASTER" in p["title"]]
    mappings = timeline["fieldConfig"]["defaults"]["mappings"][0]["options"]
    master_value = float(next(v for v, m in mappings.items() if m["text"] == "MASTER"))
    backup_value = float(next(v for v, m in mappings.items() if m["text"] == "BACKUP"))
    for vrrp_instance in ("prom", ".*"):
        series = results[(timeline["title"], "A", vrrp_instance)]
        by_host = {s["metric"]["instance"]: s["values"] for s in series}
        assert sorted(by_host) == sorted(targets.values()), by_host
        masters = {}
        for name, t in targets.items():
            masters[name] = [ts for ts, v in by_host[t] if float(v) == master_value]
            assert masters[name], f"{name} never MASTER in the timeline: {by_host[t]}"
        # At the hand-over both can be MASTER for up to an advertisement
        # interval, which a scrape (and so a step or two) may catch.
        assert min(masters["h1"]) < min(masters["h2"]) and max(masters["h1"]) < max(masters["h2"]), masters
        assert max(masters["h1"]) - min(masters["h2"]) <= 2, masters
        # h1 ended BACKUP, h2 was BACKUP before.
        assert float(by_host[targets["h1"]][-1][1]) == backup_value, by_host
        assert float(by_host[targets["h2"]][0][1]) == backup_value, by_host

    # The probe panels: h1's probe DOWN after having been UP, h2's always UP.
    (probe_panel,) = [p for p in query_panels(dash) if p["title"] == "Probe state per host"]
    series = results[(probe_panel["title"], "A", "prom")]
    by_host = {s["metric"]["instance"]: [float(v) for _, v in s["values"]] for s in series}
    assert 1.0 in by_host[targets["h1"]] and by_host[targets["h1"]][-1] == 0.0, by_host
    assert set(by_host[targets["h2"]]) == {1.0}, by_host

    # Effective vs base priority: h1's effective priority went 150 -> 90,
    # its base stayed 150.
    (prio_panel,) = [p for p in query_panels(dash) if p["title"] == "Effective vs base priority"]
    refs = {re.search(r"(promvip_\w+)", t["expr"]).group(1): t["refId"] for t in prio_panel["targets"]}
    eff = {s["metric"]["instance"]: [float(v) for _, v in s["values"]]
           for s in results[(prio_panel["title"], refs["promvip_instance_priority"], "prom")]}
    base = {s["metric"]["instance"]: {float(v) for _, v in s["values"]}
            for s in results[(prio_panel["title"], refs["promvip_instance_base_priority"], "prom")]}
    assert eff[targets["h1"]][0] == 150.0 and eff[targets["h1"]][-1] == 90.0, eff
    assert base == {targets["h1"]: {150.0}, targets["h2"]: {100.0}}, base

    # The overview's current master, at the end: h2.
    (current,) = [p for p in query_panels(dash) if p["title"] == "Current master"]
    vec = query_instant(prom, substitute(current["targets"][0]["expr"],
                                         {"job": "promvip", "vrrp_instance": "prom"}), end)
    assert [(e["metric"]["vrrp_instance"], e["metric"]["instance"]) for e in vec] == [("prom", targets["h2"])], vec

    # The master each agent sees, at the end: h2's address on both.
    (seen,) = [p for p in query_panels(dash) if p["title"] == "Master as each agent sees it"]
    vec = query_instant(prom, substitute(seen["targets"][0]["expr"],
                                         {"job": "promvip", "vrrp_instance": "prom"}), end)
    assert sorted((e["metric"]["instance"], e["metric"]["master"]) for e in vec) == \
        sorted((t, h2.addr4) for t in targets.values()), vec

    # The probe panels show only the probes the selected routers track: a
    # router that tracks none (here, one that does not exist) shows none.
    for p in query_panels(dash):
        if p["title"].startswith("Probe "):
            for t in p["targets"]:
                expr = substitute(t["expr"], {"job": "promvip", "vrrp_instance": "none-such",
                                              "__rate_interval": RATE_INTERVAL})
                assert "promvip_instance_track_weight" in expr, (p["title"], expr)
                assert query_range(prom, expr, start, end, 1) == [], (p["title"], expr)
