"""The demo run by scripts/demo: promvipd in a lab of network namespaces.

Two hosts (namespaces pvd-1-h1, pvd-1-h2) on a bridge; each runs promvipd
with a config adapted from conf/promvip.conf. The demo
shows each daemon's readiness, a reload (SIGHUP) and a clean stop (SIGTERM).
Usage: demo.py [--promvipd PATH] | demo.py --cleanup
"""

import argparse
import os
import re
import signal
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import lab as labmod  # noqa: E402

TIME_LIMIT = 60  # seconds for the whole demo
STEP = 10        # seconds for any one step

def say(text):
    print(f"[demo] {text}", flush=True)


def adapt(text, host):
    """Fit an example config to a lab host: its router_id, eth0, the lab's
    10.99.<lab>.0/24 in place of other IPv4 addresses, priority 150 on h1
    and 100 on the others, no hooks and no script_user (the demo runs no
    scripts)."""
    net = f"10.99.{host.lab.number}"
    priority = 150 if host is host.lab.hosts[0] else 100
    text = re.sub(r'\bpriority\s*=\s*\d+', f"priority = {priority}", text)
    text = re.sub(r'router_id\s*=\s*"[^"]*"', f'router_id = "{host.name}"', text)
    text = re.sub(r'interface\s*=\s*"[^"]*"', 'interface = "eth0"', text)
    text = re.sub(r'"(?!127\.)\d+\.\d+\.\d+\.(\d+)(/\d+)?"',
                  lambda m: f'"{net}.{m.group(1)}{m.group(2) or ""}"', text)
    text = re.sub(r'(?m)^\s*script_user\s*=.*;[ \t]*(#.*)?$', "", text)
    return re.sub(r'notify\s*=\s*\{[^{}]*\}\s*;', "", text)


def config_for(net, host, promvipd):
    """Path of conf/promvip.conf adapted to `host`; it must pass --config-test."""
    with open(os.path.join(REPO, "conf", "promvip.conf")) as f:
        path = net.write(f"{host.name}.conf", adapt(f.read(), host))
    r = net.run(host.ns, [promvipd, "--config-test", "-f", path], timeout=STEP)
    if r.returncode != 0:
        raise RuntimeError(f"conf/promvip.conf adapted for {host.name} fails --config-test:\n"
                           + r.stderr.rstrip())
    say(f"{host.name}: {r.stdout.strip()}")
    return path


def demo(promvipd):
    with labmod.Lab(2, prefix="pvd-", number=1) as net:
        try:
            run_daemons(net, promvipd)
        finally:
            for name, out in net.logs():
                print(f"----- output of {name} -----\n{out.rstrip()}", flush=True)


def run_daemons(net, promvipd):
    say(f"lab: bridge in {net.bridge_ns}, client {net.client.ns} {net.client.addr4}")
    for h in net.hosts:
        say(f"  {h.name}: namespace {h.ns}, eth0 {h.addr4}/24 {h.addr6}/64")
    daemons = []
    for h in net.hosts:
        path = config_for(net, h, promvipd)
        sock = net.notify_socket(h.name)
        proc = net.spawn(h.ns, [promvipd, "-f", path], env=sock.env(), name="promvipd")
        daemons.append((h, proc, sock))
        say(f"{h.name}: started promvipd (pid {proc.pid}) in {h.ns}")
    for h, proc, sock in daemons:
        sock.wait_for("READY=1", STEP)
        say(f"{h.name}: READY=1, STATUS={sock.status()}")

    for h, proc, sock in daemons:
        mark = len(sock.messages())
        say(f"{h.name}: sending SIGHUP (reload)")
        proc.signal(signal.SIGHUP)
        sock.wait_for("RELOADING=1", STEP, since=mark)
        sock.wait_for("READY=1", STEP, since=mark)
        labmod.wait_for(lambda: "(reloaded)" in (sock.status() or ""), STEP,
                        what=f"{h.name}: STATUS with (reloaded)")
        say(f"{h.name}: RELOADING=1 then READY=1, STATUS={sock.status()}")

    for h, proc, sock in daemons:
        mark = len(sock.messages())
        say(f"{h.name}: sending SIGTERM")
        proc.signal(signal.SIGTERM)
        sock.wait_for("STOPPING=1", STEP, since=mark)
        code = proc.wait(STEP)
        say(f"{h.name}: STOPPING=1, exit code {code}")
        if code != 0:
            raise RuntimeError(f"{h.name}: promvipd exited with {code}, expected 0")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--promvipd", default=os.environ.get("PROMVIPD")
                    or os.path.join(REPO, "build", "agent", "promvipd"))
    ap.add_argument("--cleanup", action="store_true",
                    help="only remove pvd- namespaces and their processes")
    args = ap.parse_args()
    problem = labmod.check_environment()
    if problem:
        sys.exit(f"error: {problem}")
    if args.cleanup:
        for ns in labmod.cleanup_stale("pvd-"):
            say(f"removed leftover namespace {ns}")
        return 0
    args.promvipd = os.path.abspath(args.promvipd)
    if not os.access(args.promvipd, os.X_OK):
        sys.exit(f"error: {args.promvipd} not found: build first")

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def too_long(_signum, _frame):
        raise TimeoutError(f"demo took longer than {TIME_LIMIT}s")
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(TIME_LIMIT)
    for ns in labmod.cleanup_stale("pvd-"):
        say(f"removed leftover namespace {ns}")
    started = time.monotonic()
    try:
        demo(args.promvipd)
    except (Exception, KeyboardInterrupt) as e:
        say(f"FAILED: {type(e).__name__}: {e}")
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        signal.alarm(0)
        leftover = labmod.list_namespaces("pvd-")
        if leftover:
            say(f"leftover namespaces: {leftover}")
    say(f"all steps passed in {time.monotonic() - started:.1f}s; lab removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
