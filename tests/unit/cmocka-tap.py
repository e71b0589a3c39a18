#!/usr/bin/python3
"""Runs a cmocka test program (argv) and passes its TAP output on, with one
fix: cmocka 1.1 (Debian 12 ships 1.1.5) prints a skipped test as
"not ok N # SKIP NAME", which meson 1.0's TAP parser counts as a failure;
TAP says "ok N - NAME # SKIP", which meson counts as skipped (and
scripts/lib/count-results.py as failed: in CI every test must run). The
exit status is the program's (128 + N when signal N killed it)."""

import re
import subprocess
import sys

SKIP = re.compile(rb"^not ok (\d+) # SKIP ?(.*)$")


def main(argv):
    if not argv:
        sys.stderr.write("usage: cmocka-tap.py PROGRAM [ARG...]\n")
        return 2
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    for line in proc.stdout:
        sys.stdout.buffer.write(SKIP.sub(rb"ok \1 - \2 # SKIP", line.rstrip(b"\n")) + b"\n")
        sys.stdout.buffer.flush()
    code = proc.wait()
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
