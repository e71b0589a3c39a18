"""promvipd and keepalived measured side by side (run by scripts/bench).

One lab (pvb-N: two hosts with a real Prometheus and a web server each, a
client, the bridge in its own namespace); every case runs both agents back
to back with the same parameters, run k of each agent before run k+1 of
any. Writes results.json, then report.md and the pictures (report.py).
"""

import argparse
import datetime
import fnmatch
import json
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import agents    # noqa: E402
import cgroups   # noqa: E402
import failover  # noqa: E402
import flood     # noqa: E402
import idle      # noqa: E402
import lab       # noqa: E402
import load      # noqa: E402
import prometheus  # noqa: E402
import report    # noqa: E402
import vrrp      # noqa: E402

INTERVALS = (1.0, 0.1)
FAST = 0.01                 # 10 ms adverts: kill -9 and planned stop only
ROUTERS = (1, 50, 200)
RATES = (20000, 50000, 100000)
LOAD_INTERVALS = (0.1, FAST)  # stress-ng on every core, without and with real-time
QUICK = ("failover-kill9-1s", "failover-kill9-0.1s", "failover-stop-0.1s",
         "failover-prometheus-1s", "idle-0.1s-1", "idle-0.1s-200", "flood-20000")


def fmt_interval(interval):
    return f"{interval:g}s"


def all_cases(quick):
    """[(name, section, parameters)] in running order; --quick: fewer."""
    cases = []
    for kind in failover.KINDS:
        for interval in INTERVALS + ((FAST,) if kind in ("kill9", "stop") else ()):
            cases.append((f"failover-{kind}-{fmt_interval(interval)}", "failover",
                          {"kind": kind, "interval": interval}))
    for interval in INTERVALS:
        for routers in ROUTERS:
            cases.append((f"idle-{fmt_interval(interval)}-{routers}", "idle",
                          {"interval": interval, "routers": routers,
                           "checks": (False,) if quick and routers > 1 else (False, True)}))
    for rate in RATES:
        cases.append((f"flood-{rate}", "flood", {"rate": rate}))
    for interval in LOAD_INTERVALS:
        cases.append((f"load-{fmt_interval(interval)}", "load", {"interval": interval}))
    if quick:
        cases = [c for c in cases if c[0] in QUICK]
    return cases


def select(cases, only):
    if not only:
        return cases
    patterns = [p for p in only.split(",") if p]
    return [c for c in cases if any(fnmatch.fnmatchcase(c[0], p) for p in patterns)]


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    os_name = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except FileNotFoundError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "kernel": platform.release(), "os": os_name}


def versions(promvipd):
    ka = subprocess.run(["/usr/sbin/keepalived", "--version"], capture_output=True, text=True,
                        timeout=10)
    ka_text = (ka.stdout + ka.stderr).split()
    prom = subprocess.run([prometheus.PROMETHEUS, "--version"], capture_output=True, text=True,
                          timeout=10)
    prom_text = (prom.stdout + prom.stderr).split()
    return {"promvipd": agents.version(promvipd).split()[-1],
            "keepalived": ka_text[1].lstrip("v") if len(ka_text) > 1 else "?",
            "prometheus": prom_text[2] if len(prom_text) > 2 else "?"}


class Progress:
    def __init__(self, total):
        self.total, self.index, self.case, self.t0 = total, 0, "", time.monotonic()

    def start(self, case):
        self.index += 1
        self.case = case

    def __call__(self, what):
        elapsed = int(time.monotonic() - self.t0)
        print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] case {self.index}/{self.total} "
              f"{self.case}: {what}", flush=True)


def run(args, cases, results):
    progress = Progress(len(cases))
    with lab.Lab(2, prefix="pvb-") as net:
        proms = [prometheus.start(net, h, ready=False) for h in net.hosts]
        for h in net.hosts:
            vrrp.start_web(net, h)
        for p in proms:
            p.wait_ready(60)
        for name, section, params in cases:
            progress.start(name)
            started = time.monotonic()
            try:
                if section == "failover":
                    rows, timelines = failover.run_case(net, params["kind"], params["interval"],
                                                        args.runs, args.promvipd, proms, progress)
                    results["failover"] += rows
                    results["timelines"] += timelines
                elif section == "idle":
                    rows, cadence, errors = idle.run_case(
                        net, params["interval"], params["routers"], params["checks"], args.runs,
                        args.promvipd, progress)
                    results["idle"] += rows
                    results["cadence"] += cadence
                    results["meta"]["errors"] += [f"{name}: {e}" for e in errors]
                elif section == "flood":
                    rows, errors = flood.run_case(net, params["rate"], args.runs, args.promvipd,
                                                  progress)
                    results["flood"] += rows
                    results["meta"]["errors"] += [f"{name}: {e}" for e in errors]
                else:
                    rows, skipped, errors = load.run_case(net, params["interval"],
                                                          args.load_seconds, args.promvipd,
                                                          progress)
                    results["load"] += rows
                    results["meta"]["skipped"] += [f"{name}: {s}" for s in skipped]
                    results["meta"]["errors"] += [f"{name}: {e}" for e in errors]
            except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError) as e:
                message = f"{name}: {str(e).splitlines()[0][:300] if str(e) else type(e).__name__}"
                results["meta"]["errors"].append(message)
                progress(f"FAILED: {message}")
            progress(f"done in {time.monotonic() - started:.0f} s")


README = os.path.join(ROOT, "README.md")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs and fewer cases (about 6 min)")
    ap.add_argument("--runs", type=int, help="runs per case and agent (default 10; --quick 3)")
    ap.add_argument("--only", help="comma-separated patterns of case names (see --list)")
    ap.add_argument("--load-seconds", type=int, default=300, metavar="N",
                    help="seconds of stress-ng per agent and setting in the load-* cases "
                         "(default 300; one window each, --runs does not apply)")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--out", help="output folder (default bench-results/DATE)")
    ap.add_argument("--promvipd", default=os.path.join(ROOT, "build-release/agent/promvipd"))
    ap.add_argument("--readme", action="store_true",
                    help="rewrite the README's Performance section from this run")
    ap.add_argument("--command", default="scripts/bench", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    runs_default = 3 if args.quick else 10
    args.runs = max(1, min(args.runs or runs_default, 100))
    if not 1 <= args.load_seconds <= 3600:
        ap.error("--load-seconds: 1 to 3600")
    cases = select(all_cases(args.quick), args.only)
    if args.list:
        print("\n".join(name for name, _, _ in all_cases(args.quick)))
        return 0
    if not cases:
        ap.error(f"no case matches --only {args.only!r} (see --list)")
    if args.readme:
        with open(README) as f:
            if report.readme_markers(f.read()) is None:
                ap.error(f"--readme: README.md has no {report.README_BEGIN} ... "
                         f"{report.README_END} section")
    problem = (lab.check_environment() or agents.available(args.promvipd)
               or (flood.available() if any(c[1] == "flood" for c in cases) else None)
               or (load.available() if any(c[1] == "load" for c in cases) else None))
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    outdir = os.path.abspath(args.out or os.path.join(
        ROOT, "bench-results", datetime.date.today().isoformat()))
    os.makedirs(outdir, exist_ok=True)
    lab.cleanup_stale("pvb-")
    cgroups.remove_empty()
    # Ctrl-C and SIGTERM unwind through every `finally`: labs, cgroups, processes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    now = datetime.datetime.now(datetime.timezone.utc)
    results = {"schema": 1,
               "meta": {"started": now.isoformat(timespec="seconds"), "command": args.command,
                        "quick": args.quick, "runs": args.runs, "load_s": args.load_seconds,
                        "cases": [name for name, _, _ in cases], "machine": machine(),
                        "versions": versions(args.promvipd),
                        "load": {"before": [round(x, 2) for x in os.getloadavg()]},
                        "errors": [], "skipped": []},
               "failover": [], "timelines": [], "idle": [], "cadence": [], "flood": [],
               "load": []}
    t0 = time.monotonic()
    try:
        run(args, cases, results)
    except KeyboardInterrupt:
        print("interrupted: labs and agents cleaned up; nothing written", file=sys.stderr)
        return 130
    meta = results["meta"]
    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta["duration_s"] = round(time.monotonic() - t0, 1)
    meta["load"]["after"] = [round(x, 2) for x in os.getloadavg()]
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    paths = [os.path.join(outdir, "results.json")] + report.write(results, outdir)
    if args.readme:
        paths.append(report.update_readme(results, outdir, README))
    for p in paths:
        print(f"wrote {os.path.relpath(p)}")
    if meta["skipped"]:
        print(f"{len(meta['skipped'])} skipped: " + "; ".join(meta["skipped"]), file=sys.stderr)
    meta["errors"] += [f"failover-{r['kind']}-{fmt_interval(r['interval'])} {r['agent']} "
                       f"run {r['run'] + 1}: {r['error']}"
                       for r in results["failover"] if r["error"]]
    if meta["errors"]:
        print(f"{len(meta['errors'])} case(s) failed: " + "; ".join(meta["errors"]),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
