#!/usr/bin/python3
"""Renders a bench results.json (schema 1) as report.md and PNG pictures.

It only renders its input: it never measures and never invents numbers.
The report leads with ratios promvipd/keepalived and with the spread
(min/median/max over runs), because absolute times vary with the machine.

Usage: report.py RESULTS.json [OUTDIR] [--readme=README.md]
  OUTDIR defaults to the JSON's folder; --readme also rewrites that file's
  section between <!-- bench:begin --> and <!-- bench:end -->.
"""
import json
import os
import statistics
import sys

KINDS = [
    ("kill9", "kill -9 of the master's agent"),
    ("crash", "host crash (agent killed, link down)"),
    ("stop", "planned stop (SIGTERM)"),
    ("prometheus", "Prometheus stopped on the master"),
]
KIND_LABELS = dict(KINDS)
AGENTS = ["promvipd", "promvipd-rapid", "keepalived"]
SECTIONS = ["failover", "timelines", "idle", "cadence", "flood", "load"]
LOAD_VARIANTS = [("promvipd", False), ("promvipd", True), ("keepalived", False), ("keepalived", True)]
DASH = "—"


# ---------------------------------------------------------------- formatting

def fmt_interval(interval):
    """1.0 -> '1s', 0.1 -> '0.1s'."""
    return f"{float(interval):g}s"


def fmt_num(value):
    """About 3 significant digits; None -> '—'."""
    if value is None:
        return DASH
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.3g}"


def fmt_ms(seconds):
    """Seconds as milliseconds, 3 significant digits."""
    return DASH if seconds is None else fmt_num(seconds * 1000)


def fmt_spread(values, scale=1.0):
    """'min / median / max' of the values times scale, or '—'."""
    if not values:
        return DASH
    return " / ".join(fmt_num(v * scale) for v in
                      (min(values), statistics.median(values), max(values)))


def ratio(ours, theirs):
    """ours/theirs formatted, '—' when a side is missing or zero."""
    if ours is None or theirs is None or ours == 0 or theirs == 0:
        return DASH
    return fmt_num(ours / theirs)


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def md_table(header, rows):
    """A markdown table from a header list and a list of row lists."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def kind_order(kinds):
    """Known kinds in the documented order, then any others."""
    known = [k for k, _ in KINDS if k in kinds]
    return known + sorted(k for k in kinds if k not in KIND_LABELS)


def agent_rank(agent):
    """Sort key: promvipd, promvipd-rapid, keepalived, then others."""
    return (AGENTS.index(agent) if agent in AGENTS else len(AGENTS), str(agent))


def agent_order(agents):
    return sorted(agents, key=agent_rank)


def intervals_of(rows):
    """Distinct intervals, longest (the default) first."""
    return sorted({r.get("interval") for r in rows}, reverse=True)


def section(results, name):
    """The rows of a section, [] when missing or not a list."""
    rows = results.get(name)
    return rows if isinstance(rows, list) else []


def cpu_percents(row):
    """CPU % of one core for every window of an idle row."""
    window = row.get("window_s") or 0
    if window <= 0:
        return []
    return [cpu / window * 100 for cpu in row.get("cpu_s") or []]


# ---------------------------------------------------------------- grouping

def failover_outages(rows, kind, interval, agent):
    """Measured outages (seconds) of one kind/interval/agent."""
    return [r["outage_s"] for r in rows
            if r.get("kind") == kind and r.get("interval") == interval
            and r.get("agent") == agent and r.get("outage_s") is not None]


def failover_bound(rows, kind, interval):
    bounds = [r.get("bound_s") for r in rows
              if r.get("kind") == kind and r.get("interval") == interval
              and r.get("bound_s") is not None]
    return max(bounds) if bounds else None


def idle_groups(rows):
    """Idle rows merged by (interval, routers, check, role, agent).

    Returns {key: {"cpu": [% of one core per window], "cpu_s": [seconds per
    window], "rss": [MiB], "pss": [MiB], "processes": [n], "checks": total}}.
    """
    merged = {}
    for row in rows:
        key = (row.get("interval"), row.get("routers"), bool(row.get("check")),
               row.get("role"), row.get("agent"))
        group = merged.setdefault(key, {"cpu": [], "cpu_s": [], "rss": [],
                                        "pss": [], "processes": [], "checks": 0})
        group["cpu"].extend(cpu_percents(row))
        group["cpu_s"].extend(row.get("cpu_s") or [])
        for field in ("rss", "pss"):
            if row.get(field + "_kib") is not None:
                group[field].append(row[field + "_kib"] / 1024)
        if row.get("processes") is not None:
            group["processes"].append(row["processes"])
        group["checks"] += row.get("checks") or 0
    return merged


def role_rank(role):
    """Sort key: master, backup, then others."""
    return (role != "master", role != "backup", str(role))


def group_median(groups, key, field):
    """Median of one field of an idle group, None when absent."""
    return median_or_none(groups.get(key, {}).get(field) or [])


# ---------------------------------------------------------------- headline

def headline_rows(results):
    """Rows [measure, promvipd, keepalived, ratio, bound] of the headline."""
    rows = []
    failover = section(results, "failover")
    for kind in kind_order({r.get("kind") for r in failover}):
        for interval in intervals_of([r for r in failover if r.get("kind") == kind]):
            theirs = median_or_none(failover_outages(failover, kind, interval, "keepalived"))
            bound = failover_bound(failover, kind, interval)
            ours_agents = ["promvipd"] + (["promvipd-rapid"] if kind == "prometheus" else [])
            for agent in ours_agents:
                ours = median_or_none(failover_outages(failover, kind, interval, agent))
                label = f"Failover outage (ms): {KIND_LABELS.get(kind, kind)}, {fmt_interval(interval)} adverts"
                if agent != "promvipd":
                    label += f" ({agent})"
                rows.append([label, fmt_ms(ours), fmt_ms(theirs), ratio(ours, theirs), fmt_ms(bound)])

    groups = idle_groups(section(results, "idle"))
    plain = [k for k in groups if not k[2]]
    if plain:
        top = max(k[1] for k in plain)
        for interval in sorted({k[0] for k in plain}, reverse=True):
            for role in sorted({k[3] for k in plain if k[0] == interval and k[1] == top}, key=role_rank):
                ours = group_median(groups, (interval, top, False, role, "promvipd"), "cpu")
                theirs = group_median(groups, (interval, top, False, role, "keepalived"), "cpu")
                rows.append([f"Idle CPU (% of one core): {top} routers, {role}, {fmt_interval(interval)} adverts",
                             fmt_num(ours), fmt_num(theirs), ratio(ours, theirs), DASH])
        interval = max(k[0] for k in plain if k[1] == top)
        ours = group_median(groups, (interval, top, False, "master", "promvipd"), "pss")
        theirs = group_median(groups, (interval, top, False, "master", "keepalived"), "pss")
        if ours is not None or theirs is not None:
            rows.append([f"PSS (MiB): {top} routers, master, {fmt_interval(interval)} adverts",
                         fmt_num(ours), fmt_num(theirs), ratio(ours, theirs), DASH])
    checked = [k for k in groups if k[2] and k[3] == "master"]
    if checked:
        interval = max(k[0] for k in checked)
        routers = min(k[1] for k in checked if k[0] == interval)
        costs = [check_cost(groups, (interval, routers, True, "master", agent))
                 for agent in ("promvipd", "keepalived")]
        ours, theirs = [c[3] if c else None for c in costs]
        rows.append([f"CPU per health check (ms): master, {routers} router(s), "
                     f"{fmt_interval(interval)} adverts", fmt_num(ours), fmt_num(theirs),
                     ratio(ours, theirs) if (ours or 0) > 0 and (theirs or 0) > 0 else DASH, DASH])

    flood = section(results, "flood")
    for rate, interval in sorted({(r.get("rate"), r.get("interval")) for r in flood}):
        def pick(agent):
            return [r for r in flood if r.get("rate") == rate
                    and r.get("interval") == interval and r.get("agent") == agent]
        ours, theirs = pick("promvipd"), pick("keepalived")
        flaps_ours = sum(r.get("flaps") or 0 for r in ours) if ours else None
        flaps_theirs = sum(r.get("flaps") or 0 for r in theirs) if theirs else None
        where = f"junk flood {rate} pps, {fmt_interval(interval)} adverts"
        rows.append([f"Flaps (total over runs): {where}", fmt_num(flaps_ours),
                     fmt_num(flaps_theirs), ratio(flaps_ours, flaps_theirs), DASH])
        for role in ("master", "backup"):
            cpu_ours = median_or_none([r.get(f"cpu_{role}_s") for r in ours])
            cpu_theirs = median_or_none([r.get(f"cpu_{role}_s") for r in theirs])
            rows.append([f"CPU of the {role} (s): {where}", fmt_num(cpu_ours),
                         fmt_num(cpu_theirs), ratio(cpu_ours, cpu_theirs), DASH])

    load = section(results, "load")
    for interval in intervals_of(load):
        for realtime in (False, True):
            ours = load_rows(load, interval, "promvipd", realtime)
            theirs = load_rows(load, interval, "keepalived", realtime)
            if not ours and not theirs:
                continue
            where = f"stress-ng on all cores, {fmt_interval(interval)} adverts" + (
                ", real-time" if realtime else "")
            skip_ours = DASH if ours or not load_skipped(load, interval, "promvipd", realtime) else "skipped"
            skip_theirs = DASH if theirs or not load_skipped(load, interval, "keepalived", realtime) else "skipped"
            ff_ours, ff_theirs = load_total(ours, "false_failovers"), load_total(theirs, "false_failovers")
            rows.append([f"Load: false failovers (total): {where}",
                         fmt_num(ff_ours) if ours else skip_ours,
                         fmt_num(ff_theirs) if theirs else skip_theirs, ratio(ff_ours, ff_theirs), DASH])
            p_ours, p_theirs = load_lateness(ours, "p999_s"), load_lateness(theirs, "p999_s")
            risk = median_or_none([(r.get("lateness") or {}).get("risk_s") for r in ours + theirs])
            rows.append([f"Load: advert lateness p99.9 (ms): {where}",
                         fmt_ms(p_ours) if ours else skip_ours,
                         fmt_ms(p_theirs) if theirs else skip_theirs, ratio(p_ours, p_theirs), fmt_ms(risk)])
    return rows


def headline(results):
    """The headline markdown table, with a note on how to read it."""
    rows = headline_rows(results)
    if not rows:
        return "No measurements in this results file."
    table = md_table(["measure", "promvipd median", "keepalived median",
                      "ratio promvipd/keepalived", "RFC bound (ms)"], rows)
    return (table + "\n\nLower ratio = promvipd better (ratio 0.5: promvipd takes half"
            " the time or CPU of keepalived). Failover medians are over the runs that"
            " measured an outage; \"—\" means a side is missing or zero."
            + (" For the lateness under load the bound is Master_Down_Interval − interval:"
               " an advert that late lets the backup take over." if section(results, "load") else ""))


# ---------------------------------------------------------------- sections

def intro(results):
    """Title and the paragraph describing the run."""
    meta = results.get("meta") or {}
    machine = meta.get("machine") or {}
    versions = meta.get("versions") or {}
    load = meta.get("load") or {}
    duration = meta.get("duration_s")
    if duration is None:
        took = "unknown duration"
    else:
        took = f"{duration / 60:.0f} min" if duration >= 120 else f"{duration:.0f} s"

    def loads(key):
        values = load.get(key)
        return "/".join(f"{v:g}" for v in values) if values else "?"

    version_text = ", ".join(f"{name} {versions[name]}" for name in sorted(versions)) or "unknown"
    runs = meta.get("runs") or "?"
    text = (f"# promvipd against keepalived: {(meta.get('started') or '?')[:10]}\n\n"
            f"Measured from {meta.get('started', '?')} to {meta.get('finished', '?')} ({took}) by "
            f"`{meta.get('command', '?')}`{' (quick)' if meta.get('quick') else ''} on "
            f"{machine.get('cpu', '?')} ({machine.get('cores', '?')} cores, "
            f"{machine.get('memory_gib', '?')} GiB, {machine.get('os', '?')}, "
            f"kernel {machine.get('kernel', '?')}); versions: {version_text}. "
            f"Load average (1/5/15 min) {loads('before')} before, {loads('after')} after. "
            f"Absolute times vary with the machine, so read the ratios and the spread "
            f"(min / median / max over {runs} runs per measure).")
    missing = [name for name in SECTIONS if not section(results, name)]
    if missing:
        text += "\n\nNot run in this measurement: " + ", ".join(missing) + "."
    if meta.get("errors"):
        text += "\n\nCases that failed:\n\n" + "\n".join(f"- {e}" for e in meta["errors"])
    if meta.get("skipped"):
        text += "\n\nSkipped:\n\n" + "\n".join(f"- skipped: {e}" for e in meta["skipped"])
    return text


def failover_section(results):
    rows = section(results, "failover")
    parts = ["## Failover",
             "Outage: from the fault to the first answer of the new master, as seen"
             " by a client asking every ~10 ms. Failed requests: client requests that"
             " failed in between (for a stopped Prometheus also the answers of the old"
             " master, whose Prometheus is down). The RFC bound is when the protocol"
             " moves the VIP; the client sees it on its next request, so \"within bound\""
             " allows the client's slack (one request timeout plus one polling interval)."]
    for kind in kind_order({r.get("kind") for r in rows}):
        of_kind = [r for r in rows if r.get("kind") == kind]
        table = []
        for interval in intervals_of(of_kind):
            theirs = median_or_none(failover_outages(rows, kind, interval, "keepalived"))
            bound = failover_bound(rows, kind, interval)
            for agent in agent_order({r.get("agent") for r in of_kind if r.get("interval") == interval}):
                runs = [r for r in of_kind if r.get("interval") == interval and r.get("agent") == agent]
                outages = failover_outages(rows, kind, interval, agent)
                failed = [r["failed"] for r in runs
                          if r.get("failed") is not None and r.get("outage_s") is not None]
                within = sum(1 for r in runs if r.get("outage_s") is not None
                             and r.get("bound_s") is not None
                             and r["outage_s"] <= r["bound_s"] + (r.get("client_slack_s") or 0))
                compare = "" if agent == "keepalived" else ratio(median_or_none(outages), theirs)
                table.append([fmt_interval(interval), agent, f"{len(outages)}/{len(runs)}",
                              fmt_spread(outages, 1000), fmt_spread(failed), fmt_ms(bound),
                              f"{within}/{len(outages)}", compare])
        parts.append(f"### {KIND_LABELS.get(kind, kind)}")
        parts.append(md_table(["interval", "agent", "runs (measured/total)",
                               "outage min / median / max (ms)", "failed requests min / median / max",
                               "RFC bound (ms)", "within bound + slack / measured", "ratio of medians vs keepalived"], table))
        errors = [r for r in of_kind if r.get("error") or r.get("outage_s") is None]
        if errors:
            lines = [f"- {fmt_interval(r.get('interval'))}, {r.get('agent')}, run {r.get('run', '?')}: "
                     f"{r.get('error') or 'no outage measured'}" for r in errors]
            parts.append("Run errors:\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def idle_section(results, picture):
    groups = idle_groups(section(results, "idle"))
    parts = ["## Idle cost",
             "CPU of the agent's processes while idle, as % of one core: median of the"
             " windows (min–max in brackets). Ratio: promvipd/keepalived at the same settings."]
    for interval in sorted({k[0] for k in groups}, reverse=True):
        table = []
        keys = sorted((k for k in groups if k[0] == interval),
                      key=lambda k: (k[1], k[2], role_rank(k[3]), agent_rank(k[4])))
        for key in keys:
            group = groups[key]
            cpu = group["cpu"]
            spread = f"{fmt_num(median_or_none(cpu))} ({fmt_num(min(cpu))}–{fmt_num(max(cpu))})" if cpu else DASH
            compare = ""
            if key[4] != "keepalived":
                compare = ratio(median_or_none(cpu), group_median(groups, key[:4] + ("keepalived",), "cpu"))
            table.append([key[1], "yes" if key[2] else "no", key[3], key[4], spread,
                          fmt_num(median_or_none(group["rss"])), fmt_num(median_or_none(group["pss"])),
                          fmt_num(median_or_none(group["processes"])), compare])
        parts.append(f"### {fmt_interval(interval)} adverts")
        parts.append(md_table(["routers", "check", "role", "agent", "CPU % of one core",
                               "RSS MiB", "PSS MiB", "processes", "ratio CPU promvipd/keepalived"], table))
    if picture:
        parts.append(f"![Idle CPU per router count]({picture})")
    return "\n\n".join(parts)


def check_cost(groups, key):
    """(mean CPU s per window without, with, checks per window, CPU ms per
    check or None) for an idle group with check, or None without a pair."""
    interval, routers, _, role, agent = key
    without = groups.get((interval, routers, False, role, agent))
    with_check = groups.get(key)
    if not without or not with_check or not without["cpu_s"] or not with_check["cpu_s"]:
        return None
    mean_without = statistics.mean(without["cpu_s"])
    mean_with = statistics.mean(with_check["cpu_s"])
    per_window = with_check["checks"] / len(with_check["cpu_s"])
    cost = (mean_with - mean_without) * 1000 / per_window if per_window else None
    return mean_without, mean_with, per_window, cost


def check_cost_section(results):
    groups = idle_groups(section(results, "idle"))
    table = []
    for key in sorted((k for k in groups if k[2]),
                      key=lambda k: (agent_rank(k[4]), -k[0], role_rank(k[3]), k[1])):
        cost = check_cost(groups, key)
        if cost is None:
            continue
        interval, routers, _, role, agent = key
        mean_without, mean_with, per_window, per_check = cost
        table.append([agent, fmt_interval(interval), role, routers, fmt_num(mean_without * 1000),
                      fmt_num(mean_with * 1000), fmt_num(per_window), fmt_num(per_check)])
    parts = ["## CPU per health check",
             "(mean CPU per window with check − without) / (checks per window). promvipd"
             " runs an in-process HTTP probe; keepalived forks curl through vrrp_script."
             " Small differences are within the noise and can come out negative."]
    if table:
        parts.append(md_table(["agent", "interval", "role", "routers", "CPU per window without (ms)",
                               "with (ms)", "checks per window", "CPU per check (ms)"], table))
    else:
        parts.append("No idle measurement both with and without check at the same settings.")
    return "\n\n".join(parts)


def cadence_section(results):
    rows = sorted(section(results, "cadence"),
                  key=lambda r: (agent_rank(r.get("agent")),
                                 -(r.get("interval") or 0), r.get("routers") or 0, bool(r.get("check"))))
    table = []
    for r in rows:
        late = None
        if r.get("max_s") is not None and r.get("interval") is not None:
            late = r["max_s"] - r["interval"]
        table.append([r.get("agent"), fmt_interval(r.get("interval")), r.get("routers"),
                      "yes" if r.get("check") else "no", r.get("n"), fmt_ms(r.get("mean_s")),
                      fmt_ms(r.get("stdev_s")), fmt_ms(r.get("max_s")), fmt_ms(late)])
    return ("## Advertisement cadence\n\nTime between consecutive adverts of one router.\n\n"
            + md_table(["agent", "interval", "routers", "check", "n", "mean (ms)", "stdev (ms)",
                        "max (ms)", "max − interval (ms)"], table))


def flood_section(results):
    rows = section(results, "flood")
    parts = ["## Junk flood",
             "Invalid VRRP packets sent at both hosts. Flaps: state transitions on either"
             " host during the flood. CPU %: CPU seconds / flood duration."]
    for rate, interval in sorted({(r.get("rate"), r.get("interval")) for r in rows}):
        table = []
        medians = {}
        of_rate = [r for r in rows if r.get("rate") == rate and r.get("interval") == interval]
        for agent in agent_order({r.get("agent") for r in of_rate}):
            runs = [r for r in of_rate if r.get("agent") == agent]
            master = median_or_none([r.get("cpu_master_s") for r in runs])
            backup = median_or_none([r.get("cpu_backup_s") for r in runs])
            duration = median_or_none([r.get("duration_s") for r in runs])
            medians[agent] = (master, backup)
            share = DASH
            if duration:
                share = " / ".join(DASH if v is None else fmt_num(v / duration * 100) for v in (master, backup))
            table.append([agent, len(runs), fmt_num(median_or_none([r.get("achieved_rate") for r in runs])),
                          sum(r.get("flaps") or 0 for r in runs), sum(1 for r in runs if r.get("vip_moved")),
                          fmt_num(master), fmt_num(backup), share])
        for row in table:
            if row[0] == "keepalived" or "keepalived" not in medians:
                row.append("")
                continue
            ours, theirs = medians[row[0]], medians["keepalived"]
            row.append(f"{ratio(ours[0], theirs[0])} / {ratio(ours[1], theirs[1])}")
        kinds = sorted({k for r in of_rate for k in r.get("kinds") or []})
        parts.append(f"### {rate} pps, {fmt_interval(interval)} adverts")
        parts.append(md_table(["agent", "runs", "achieved pps (median)", "flaps (total)",
                               "VIP moved (runs)", "CPU master s (median)", "CPU backup s (median)",
                               "CPU % of one core master / backup",
                               "ratio CPU medians master / backup"], table))
        if kinds:
            parts.append("Junk kinds: " + ", ".join(kinds) + ".")
    return "\n\n".join(parts)


def load_rows(rows, interval, agent, realtime):
    """The measured load rows of one interval, agent and real-time setting."""
    return [r for r in rows if r.get("interval") == interval and r.get("agent") == agent
            and bool(r.get("realtime")) == realtime and not r.get("skipped")
            and not r.get("error") and r.get("lateness") is not None]


def load_skipped(rows, interval, agent, realtime):
    """Why that setting was skipped or failed, or None."""
    for r in rows:
        if (r.get("interval") == interval and r.get("agent") == agent
                and bool(r.get("realtime")) == realtime and (r.get("skipped") or r.get("error"))):
            return f"skipped: {r['skipped']}" if r.get("skipped") else f"failed: {r['error']}"
    return None


def load_total(rows, field):
    """Sum of a count over rows, None without rows."""
    return sum(r.get(field) or 0 for r in rows) if rows else None


def load_lateness(rows, field):
    """Median over rows of one lateness figure (max_s: the largest)."""
    values = [(r.get("lateness") or {}).get(field) for r in rows]
    values = [v for v in values if v is not None]
    if not values:
        return None
    return max(values) if field == "max_s" else statistics.median(values)


def load_realtime_text(rows):
    """How the master's processes were scheduled: 'SCHED_RR 50, 2.1 MiB
    locked' for each real-time one, 'no' when none was."""
    parts = []
    for r in rows[:1]:
        for p in (r.get("sched") or {}).get("master") or []:
            if p.get("policy") in ("SCHED_RR", "SCHED_FIFO"):
                locked = p.get("locked_kib") or 0
                parts.append(f"{p.get('comm')}: {p['policy']} {p.get('priority')}"
                             + (f", {fmt_num(locked / 1024)} MiB locked" if locked else ""))
    return "; ".join(parts) if parts else ("no" if rows else DASH)


def load_section(results):
    rows = section(results, "load")
    argv = next((r.get("stress_argv") for r in rows if r.get("stress_argv")), None)
    seconds = median_or_none([r.get("load_s") for r in rows])
    parts = ["## Load",
             f"`{' '.join(argv) if argv else 'stress-ng'}` in the root namespace for"
             f" {fmt_num(seconds)} s per agent and setting (one window each: its adverts are the"
             " samples), while h1 (master, priority 150) and h2 (backup, 100) run one router."
             " The window runs from stress-ng's start to its exit (its memory worker can take"
             " seconds past --timeout to stop)."
             " RT: promvipd with `realtime_priority = 50; lock_memory = true;`, keepalived with"
             " `vrrp_rt_priority 50` and `vrrp_no_swap`; \"RT in effect\" is what the master's"
             " processes ran with. False failovers: the backup entering MASTER plus the master"
             " entering any other state (the agents' logs); h2's adverts on the wire cross-check"
             " them (only a master advertises). Lateness: each gap between h1's successive"
             " adverts, from a capture in the client's namespace, minus the interval (negative:"
             " sooner than one interval). Late > 1 interval: gaps over two intervals; risk: gaps"
             " over Master_Down_Interval, where the backup takes over. CPU: the agent's cgroup"
             " over the window, % of one core. Load: stress-ng's CPU over the window, % of all"
             " cores. Ratios: promvipd/keepalived at the same RT setting."]
    for interval in intervals_of(rows):
        table = []
        medians = {}
        for agent, realtime in LOAD_VARIANTS:
            measured = load_rows(rows, interval, agent, realtime)
            name = f"{agent} RT" if realtime else agent
            if not measured:
                why = load_skipped(rows, interval, agent, realtime)
                if why or any(r.get("agent") == agent and bool(r.get("realtime")) == realtime
                              and r.get("interval") == interval for r in rows):
                    table.append([name, why or "no measurement"] + [DASH] * 9)
                continue
            window = sum(r.get("window_s") or 0 for r in measured)
            cpu = [sum(r.get(f"cpu_{role}_s") or 0 for r in measured) for role in ("master", "backup")]
            p99 = load_lateness(measured, "p99_s")
            medians[(agent, realtime)] = (p99, cpu[0])
            load_share = DASH
            cores = median_or_none([r.get("cores") for r in measured])
            if window and cores:
                load_share = fmt_num(sum(r.get("stress_cpu_s") or 0 for r in measured)
                                     / window / cores * 100)
            dropped = load_total(measured, "capture_dropped")
            adverts = f"{load_total(measured, 'adverts')}" + (f" ({dropped} dropped)" if dropped else "")
            table.append([
                name, load_realtime_text(measured), fmt_num(window), adverts,
                f"{load_total(measured, 'false_failovers')} ({load_total(measured, 'backup_adverts')})",
                " / ".join(fmt_ms(load_lateness(measured, f)) for f in ("p50_s", "p99_s", "p999_s", "max_s")),
                sum((r.get("lateness") or {}).get("late_interval") or 0 for r in measured),
                sum((r.get("lateness") or {}).get("late_risk") or 0 for r in measured),
                " / ".join(fmt_num(c / window * 100) if window else DASH for c in cpu),
                load_share])
        for row in table:
            key = (row[0].split()[0], row[0].endswith(" RT"))
            theirs = medians.get(("keepalived", key[1]))
            if key[0] == "keepalived" or key not in medians or not theirs:
                row.append("")
                continue
            ours = medians[key]
            row.append(f"{ratio(ours[0], theirs[0])} / {ratio(ours[1], theirs[1])}")
        risk = median_or_none([(r.get("lateness") or {}).get("risk_s") for r in rows
                               if r.get("interval") == interval])
        parts.append(f"### {fmt_interval(interval)} adverts")
        parts.append(md_table(["agent", "RT in effect", "window (s)", "adverts of h1",
                               "false failovers (h2 adverts)",
                               "lateness p50 / p99 / p99.9 / max (ms)", "late > 1 interval",
                               f"late > MDI − interval ({fmt_ms(risk)} ms)",
                               "CPU % master / backup", "load % of all cores",
                               "ratio p99 / CPU master vs keepalived"], table))
        notes = [f"- {r.get('agent')}{' RT' if r.get('realtime') else ''}: {r['detail']}"
                 for r in rows if r.get("interval") == interval and r.get("detail")]
        if notes:
            parts.append("Why:\n\n" + "\n".join(notes))
        parts.append(load_histogram_table(rows, interval))
    return "\n\n".join(p for p in parts if p)


def load_histogram_table(rows, interval):
    """Cumulative lateness buckets: the wire's for every agent, promvipd's
    own histogram (promvip_advert_lateness_seconds, the change over the
    window) next to its wire's."""
    columns, buckets = [], []
    for agent, realtime in LOAD_VARIANTS:
        name = f"{agent} RT" if realtime else agent
        for r in load_rows(rows, interval, agent, realtime)[:1]:
            wire = r["lateness"]
            buckets = buckets or wire.get("buckets") or []
            columns.append((f"{name} wire", dict(zip(wire.get("buckets") or [], wire.get("cumulative") or []))))
            own = r.get("daemon_lateness")
            if agent == "promvipd":
                columns.append((f"{name} own", dict(zip(own.get("buckets") or [], own.get("cumulative") or []))
                                if own else {}))
    if not columns or not buckets:
        return ""
    table = [[("≤ " + fmt_ms(float(le))) if le != "+Inf" else "all"]
             + [str(col.get(le, DASH)) for _, col in columns] for le in buckets]
    return (f"Lateness at {fmt_interval(interval)} adverts, cumulative counts per bucket (ms): the wire's"
            " (gap − interval) and promvipd's own histogram (how late its advert timer fired; the"
            " change of promvip_advert_lateness_seconds over the window).\n\n"
            + md_table(["lateness"] + [name for name, _ in columns], table))


# ---------------------------------------------------------------- pictures

def timeline_name(kind, interval):
    return f"timeline-{kind}-{fmt_interval(interval)}.png"


def timeline_keys(results):
    """(kind, interval) of every timeline picture, in report order."""
    timelines = section(results, "timelines")
    keys = []
    for kind in kind_order({t.get("kind") for t in timelines}):
        for interval in intervals_of([t for t in timelines if t.get("kind") == kind]):
            keys.append((kind, interval))
    return keys


# ---------------------------------------------------------------- outputs

def report_markdown(results, pictures):
    """The whole report.md text; pictures are the PNG file names written."""
    parts = [intro(results), "## Headline", headline(results)]
    if section(results, "failover"):
        parts.append(failover_section(results))
    if section(results, "idle"):
        parts.append(idle_section(results, "idle-cpu.png" if "idle-cpu.png" in pictures else None))
        parts.append(check_cost_section(results))
    if section(results, "cadence"):
        parts.append(cadence_section(results))
    if section(results, "flood"):
        parts.append(flood_section(results))
    if section(results, "load"):
        parts.append(load_section(results))
    if pictures:
        parts.append("## Pictures\n\n" + "\n\n".join(f"[{name}]({name})\n\n![{name}]({name})"
                                                     for name in pictures))
    return "\n\n".join(parts) + "\n"


def write(results, outdir):
    """Writes report.md and the PNGs into outdir; returns the paths written."""
    import pictures as draw  # matplotlib only where pictures are drawn

    os.makedirs(outdir, exist_ok=True)
    pictures = []
    for kind, interval in timeline_keys(results):
        name = timeline_name(kind, interval)
        draw.timeline_picture(results, kind, interval, os.path.join(outdir, name))
        pictures.append(name)
    if section(results, "idle"):
        draw.idle_picture(results, os.path.join(outdir, "idle-cpu.png"))
        pictures.append("idle-cpu.png")
    report = os.path.join(outdir, "report.md")
    with open(report, "w") as f:
        f.write(report_markdown(results, pictures))
    return [report] + [os.path.join(outdir, name) for name in pictures]


def readme_section(results, report_dir):
    """Markdown for the README: one sentence, the headline, one picture."""
    meta = results.get("meta") or {}
    machine = meta.get("machine") or {}
    versions = meta.get("versions") or {}
    report_dir = report_dir.rstrip("/")
    sentence = (f"Measured on {(meta.get('started') or '?')[:10]} by `{meta.get('command', '?')}` on "
                f"{machine.get('cpu', '?')} ({machine.get('cores', '?')} cores, "
                f"{machine.get('memory_gib', '?')} GiB, kernel {machine.get('kernel', '?')}); "
                f"keepalived {versions.get('keepalived', '?')}, promvipd {versions.get('promvipd', '?')}. "
                f"Full report: [{report_dir}/report.md]({report_dir}/report.md).")
    parts = [sentence, headline(results)]
    keys = timeline_keys(results)
    if keys:
        kind, interval = ("kill9", 1.0) if ("kill9", 1.0) in keys else keys[0]
        name = timeline_name(kind, interval)
        parts.append(f"![{KIND_LABELS.get(kind, kind)} at {fmt_interval(interval)} adverts]"
                     f"({report_dir}/{name})\n\n"
                     f"*{KIND_LABELS.get(kind, kind)} at {fmt_interval(interval)} adverts: each tick"
                     " on the client row is one request, coloured by the host that answered (red: failed);"
                     " black line: fault, blue: first answer from h2, grey dotted: RFC bound.*")
    return "\n\n".join(parts) + "\n"


README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def readme_markers(text):
    """(begin, end) of the README's bench markers, or None."""
    begin, end = text.find(README_BEGIN), text.find(README_END)
    return (begin, end) if 0 <= begin < end else None


def update_readme(results, outdir, readme):
    """Replace the text between the markers of `readme` with
    readme_section(), pointing at `outdir` relative to the README."""
    with open(readme) as f:
        text = f.read()
    markers = readme_markers(text)
    if markers is None:
        raise ValueError(f"{readme} has no {README_BEGIN} ... {README_END} section")
    begin, end = markers
    relative = os.path.relpath(outdir, os.path.dirname(os.path.abspath(readme)))
    section_text = readme_section(results, relative).strip()
    text = text[:begin + len(README_BEGIN)] + "\n" + section_text + "\n" + text[end:]
    with open(readme, "w") as f:
        f.write(text)
    return readme


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--readme=")]
    readme = [a.split("=", 1)[1] for a in argv[1:] if a.startswith("--readme=")]
    if len(args) not in (1, 2):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(args[0]) as f:
        results = json.load(f)
    outdir = args[1] if len(args) == 2 else os.path.dirname(os.path.abspath(args[0]))
    paths = write(results, outdir)
    for path in readme:
        paths.append(update_readme(results, outdir, path))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
