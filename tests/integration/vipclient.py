"""A client that keeps asking who answers on a URL (the VIP): run inside the
client namespace, it GETs the URL every --interval seconds for --duration
seconds (bounded), each with --timeout, and writes one line per attempt:
`<monotonic seconds> <answer or ERR:reason>`. The answer is the start of the
body, or with --pattern the first group of that regular expression in the
body (ERR:NoMatch when it is not there). Stops early on SIGTERM.

Usage: vipclient.py --url http://10.99.1.100:8080/whoami --out FILE
                    [--interval 0.02] [--timeout 0.2] [--duration 30]
                    [--pattern REGEX]
"""

import argparse
import re
import signal
import sys
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--timeout", type=float, default=0.2)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--pattern")
    args = ap.parse_args()
    pattern = re.compile(args.pattern) if args.pattern else None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + args.duration
    max_attempts = int(args.duration / max(args.interval, 0.001)) + 1
    with open(args.out, "w", buffering=1) as out:
        for _ in range(max_attempts):
            now = time.monotonic()
            if stop or now >= end:
                break
            try:
                with urllib.request.urlopen(args.url, timeout=args.timeout) as r:
                    if pattern:
                        m = pattern.search(r.read(65536).decode(errors="replace"))
                        answer = m.group(1) if m else "ERR:NoMatch"
                    else:
                        answer = r.read(64).decode(errors="replace").strip() or "EMPTY"
            except Exception as e:  # any failure is an outage sample
                answer = "ERR:" + type(e).__name__
            out.write(f"{now:.4f} {answer}\n")
            time.sleep(max(0.0, args.interval - (time.monotonic() - now)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
