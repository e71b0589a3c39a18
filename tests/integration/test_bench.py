"""scripts/bench still works: a tiny case set (kill -9 at 0.1 s adverts,
idle with one router), one run each, into a temporary folder. Its figures
are not asserted (absolute times belong to benchmarks, not tests); only that
every measure was taken, the report and pictures were written, and nothing
was left behind."""

import json
import os
import subprocess
import sys

import lab as labmod
from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "bench"))
import cgroups  # noqa: E402

CASES = "failover-kill9-0.1s,idle-0.1s-1"


def test_bench_quick_tiny_case_set(tmp_path):
    problem = labmod.check_environment()
    assert problem is None, problem
    out = tmp_path / "bench"
    r = subprocess.run([os.path.join(REPO, "scripts", "bench"), "--quick", "--runs", "1",
                        "--only", CASES, "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=REPO)
    log = f"stdout:\n{r.stdout[-4000:]}\nstderr:\n{r.stderr[-4000:]}"
    assert r.returncode == 0, log
    # A progress line per case and run: case, run k of n, elapsed.
    assert "] case 1/2 failover-kill9-0.1s: promvipd: run 1 of 1" in r.stdout, log
    assert "] case 2/2 idle-0.1s-1: keepalived, with check: 1 windows of 2 s" in r.stdout, log

    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["errors"] == [], results["meta"]["errors"]
    failover = {row["agent"]: row for row in results["failover"]}
    assert set(failover) == {"promvipd", "keepalived"}
    assert all(row["outage_s"] is not None and row["error"] is None for row in failover.values())
    assert {t["agent"] for t in results["timelines"]} == {"promvipd", "keepalived"}
    assert all(t["adverts"] and t["samples"] for t in results["timelines"])
    idle = {(row["agent"], row["check"], row["role"]) for row in results["idle"]}
    assert len(idle) == 8, idle
    assert all(row["pss_kib"] > 0 and len(row["cpu_s"]) == 1 for row in results["idle"])
    assert {c["agent"] for c in results["cadence"]} == {"promvipd", "keepalived"}

    report = (out / "report.md").read_text()
    assert "## Headline" in report and "kill -9 of the master's agent" in report
    for picture in ("timeline-kill9-0.1s.png", "idle-cpu.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture
        assert f"]({picture})" in report, picture

    assert labmod.list_namespaces("pvb-") == []
    assert cgroups.groups() == []


def test_bench_load_short(tmp_path):
    """The load case at 0.1 s adverts with 5 s of stress-ng per window:
    every setting measured (or promvipd's real-time one skipped with its
    reason, while the daemon lacks the option), the report's Load section
    written, and stress-ng, its folder and its cgroup gone afterwards."""
    out = tmp_path / "bench"
    r = subprocess.run([os.path.join(REPO, "scripts", "bench"), "--only", "load-0.1s",
                        "--load-seconds", "5", "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=REPO)
    log = f"stdout:\n{r.stdout[-4000:]}\nstderr:\n{r.stderr[-4000:]}"
    assert r.returncode == 0, log
    assert "] case 1/1 load-0.1s: keepalived RT: 5 s of stress-ng --cpu" in r.stdout, log

    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["errors"] == [], results["meta"]["errors"]
    rows = {(row["agent"], row["realtime"]): row for row in results["load"]}
    assert set(rows) == {("promvipd", False), ("promvipd", True),
                         ("keepalived", False), ("keepalived", True)}, rows.keys()
    for key, row in rows.items():
        if row["skipped"]:
            assert key == ("promvipd", True), row
            assert row["skipped"] == ("promvipd does not accept realtime_priority "
                                      "(promvipd --config-test failed)"), row
            continue
        assert row["error"] is None, row
        assert row["window_s"] >= 5 and row["adverts"] > 20, row
        assert row["lateness"]["n"] == row["adverts"] - 1, row
        assert row["lateness"]["cumulative"][-1] == row["lateness"]["n"], row
        assert row["cpu_master_s"] > 0 and row["stress_cpu_s"] > 0, row
        assert row["false_failovers"] >= 0 and row["sched"]["master"], row
        if key[0] == "promvipd":
            assert row["daemon_lateness"]["count"] > 0, row
        rt = [p for p in row["sched"]["master"] if p["policy"] in ("SCHED_RR", "SCHED_FIFO")]
        assert bool(rt) == key[1], row["sched"]
    assert "skipped" not in results["meta"] or all(
        "promvipd RT" in s for s in results["meta"]["skipped"])

    report = (out / "report.md").read_text()
    assert "## Load" in report and "| keepalived RT |" in report, report
    assert "Load: advert lateness p99.9 (ms)" in report, report

    assert labmod.list_namespaces("pvb-") == []
    assert cgroups.groups() == []
    assert not [d for d in os.listdir("/var/tmp") if d.startswith("pvb-") and "-stress-" in d]
