#!/usr/bin/python3
"""Counts test results over all suites and prints 'N passed, N failed'.

Arguments are result files, each LABEL=PATH:
  - meson's testlog.json (unit tests speaking TAP): every 'ok'/'not ok' line
    is one test, and an 'ok ... # SKIP' (a test that did not run, see
    tests/unit/cmocka-tap.py) a failed one; a binary that died before
    finishing its plan counts the missing tests as failed (at least one).
  - a JUnit XML file (pytest --junitxml).
A missing file counts as one failure: the suite did not run.
Exit status 0 only if something passed and nothing failed.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def count_meson(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            test = json.loads(line)
            out = test.get("stdout") or ""
            ok = len(re.findall(r"^ok \d+", out, re.M))
            bad = len(re.findall(r"^not ok \d+", out, re.M))
            # A skip did not test anything: in CI every test must run.
            skipped = len(re.findall(r"^ok \d+[^\n]*#\s*SKIP", out, re.M | re.I))
            plan = re.search(r"^1\.\.(\d+)", out, re.M)
            missing = int(plan.group(1)) - ok - bad if plan else 0
            ok -= skipped
            bad += skipped
            if test["result"] not in ("OK", "EXPECTEDFAIL") and bad + missing == 0:
                missing = 1
            passed += ok
            failed += bad + max(missing, 0)
    return passed, failed


def count_junit(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    # A skip is a test that did not run: in CI every test must run.
    return passed, failed + skipped


def main(args):
    total_p = total_f = 0
    for arg in args:
        label, path = arg.split("=", 1)
        try:
            p, f = count_meson(path) if path.endswith(".json") else count_junit(path)
        except (OSError, ValueError, ET.ParseError) as e:
            print(f"{label}: no results ({e})")
            p, f = 0, 1
        print(f"{label}: {p} passed, {f} failed")
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_p > 0 and total_f == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
