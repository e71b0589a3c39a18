"""The demo run by scripts/demo: promvipd in a lab of network namespaces.

Two hosts (namespaces pvd-1-h1, pvd-1-h2) and a client on a bridge; each
host runs a small web server and promvipd with a config adapted from
conf/promvip.conf. A client keeps asking who answers on the VIP while the
master's promvipd is killed and comes back.
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
import vrrp  # noqa: E402

TIME_LIMIT = 60  # seconds for the whole demo
STEP = 10        # seconds for any one step
INSTANCE = "prometheus"  # the instance of conf/promvip.conf

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
            failover(net, promvipd)
        finally:
            for name, out in net.logs():
                if name.startswith("promvipd"):
                    print(f"----- log of {name} -----\n{out.rstrip()}", flush=True)


def show_holder(net):
    who = vrrp.holders(net, vrrp.vip4(net))
    say(f"VIP {vrrp.vip4(net)} is on: {', '.join(who) or 'nobody'}")


def failover(net, promvipd):
    h1, h2 = net.hosts
    vip = vrrp.vip4(net)
    say(f"lab: bridge in {net.bridge_ns}, client {net.client.ns} {net.client.addr4}")
    for h in net.hosts:
        say(f"  {h.name}: namespace {h.ns}, eth0 {h.addr4}/24; a web server on :{vrrp.WEB_PORT} "
            f"answers /whoami with '{h.name}'")
        vrrp.start_web(net, h)

    agents = {}
    for h in net.hosts:
        path = config_for(net, h, promvipd)
        with open(path) as f:
            agents[h.name] = vrrp.Agent(net, h, promvipd, f.read())
        say(f"{h.name}: promvipd running (pid {agents[h.name].proc.pid}), "
            f"STATUS={agents[h.name].sock.status()}")
    agents["h1"].wait_state("MASTER", STEP, instance=INSTANCE)
    agents["h2"].wait_state("BACKUP", STEP, instance=INSTANCE)
    say("h1 is MASTER (priority 150), h2 is BACKUP (priority 100)")
    show_holder(net)

    client = vrrp.Client(net, vip, interval=0.02, timeout=0.2, duration=TIME_LIMIT)
    client.wait_answer("h1", STEP)
    say(f"client polls http://{vip}:{vrrp.WEB_PORT}/whoami every 20 ms: h1 answers")

    say("kill -9 of promvipd on h1 (its VIP and web server stay, as after a crash)")
    killed = time.monotonic()
    agents["h1"].stop(signal.SIGKILL)
    agents["h2"].wait_state("MASTER", STEP, instance=INSTANCE)
    say(f"h2 became MASTER after {1000 * (time.monotonic() - killed):.0f} ms "
        "(Master_Down_Interval 3.6 s at 1 s adverts, less the time since the last advert)")
    client.wait_answer("h2", STEP, after=killed)
    gap, failed = vrrp.outage(client.samples(), "h1", "h2")
    say(f"client now answered by h2 (gratuitous ARP moved it): "
        f"{1000 * gap:.0f} ms from h1's last answer, {failed} failed requests")

    say("promvipd on h1 starts again: it removes the stale VIP, and preempts with priority 150")
    back = time.monotonic()
    with open(agents["h1"].path) as f:
        agents["h1"] = vrrp.Agent(net, h1, promvipd, f.read(), name="promvipd-2")
    agents["h1"].wait_state("MASTER", STEP, instance=INSTANCE)
    client.wait_answer("h1", STEP, after=back)
    gap, failed = vrrp.outage(client.samples(), "h2", "h1")
    say(f"h1 is MASTER again; client moved back with {1000 * gap:.0f} ms between answers, "
        f"{failed} failed requests")
    show_holder(net)
    client.stop()

    for name in ("h1", "h2"):
        code = agents[name].stop()
        say(f"{name}: SIGTERM, exit code {code}")
        if code != 0:
            raise RuntimeError(f"{name}: promvipd exited with {code}, expected 0")
    show_holder(net)


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
