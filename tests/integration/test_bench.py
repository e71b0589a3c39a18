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
