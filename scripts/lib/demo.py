"""The demo run by scripts/demo: promvipd in a lab of network namespaces.

Two hosts (namespaces pvd-1-h1, pvd-1-h2) and a client on a bridge; each
host runs a small web server, a real Prometheus (Debian's package, on :9090
of its namespace) and promvipd with a config adapted from
conf/promvip.conf, whose probes (ready, fresh) check that Prometheus. A
client keeps asking who answers on the VIP while the master's promvipd is
killed and comes back, while the master's Prometheus is stopped (its probe
goes DOWN, its priority drops, the VIP moves at once with rapid preemption)
and started again (the VIP comes back after `rise` successes), and while
mastership is handed over on purpose: `promvipctl release`, then SIGTERM of
the master (hitless planned stop).
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
import prometheus  # noqa: E402
import vrrp  # noqa: E402

TIME_LIMIT = 120  # seconds for the whole demo
STEP = 10         # seconds for any one step
# conf/promvip.conf's probes: ready (every 1 s, fall 3, rise 2, weight -60)
# and fresh (every 5 s, fall 2, rise 2, weight -60): a probe is UP within
# rise intervals of a healthy start; fresh needs Prometheus's first scrape
# (up to ~6 s after it starts) and then two runs 5 s apart.
PROBE_STEP = 20
INSTANCE = "prometheus"  # the instance of conf/promvip.conf

def say(text):
    print(f"[demo] {text}", flush=True)


def adapt(text, host):
    """Fit an example config to a lab host: its router_id, eth0, the lab's
    10.99.<lab>.0/24 in place of other IPv4 addresses, priority 150 on h1
    and 100 on the others, a control socket in the lab's directory, rapid
    preemption on, no hooks and no script_user (the demo runs no
    scripts)."""
    net = f"10.99.{host.lab.number}"
    priority = 150 if host is host.lab.hosts[0] else 100
    text = re.sub(r'\bpriority\s*=\s*\d+', f"priority = {priority}", text)
    text = re.sub(r'router_id\s*=\s*"[^"]*"', f'router_id = "{host.name}"', text)
    text = re.sub(r'interface\s*=\s*"[^"]*"', 'interface = "eth0"', text)
    text = re.sub(r'"(?!127\.)\d+\.\d+\.\d+\.(\d+)(/\d+)?"',
                  lambda m: f'"{net}.{m.group(1)}{m.group(2) or ""}"', text)
    text = re.sub(r'(?m)^\s*script_user\s*=.*;[ \t]*(#.*)?$', "", text)
    sock = os.path.join(host.lab.dir, f"{host.name}.sock")
    text = re.sub(r'control_socket\s*=\s*"[^"]*"', f'control_socket = "{sock}"', text)
    text = re.sub(r'#\s*rapid_preemption\s*=\s*true;', "rapid_preemption = true;", text)
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


def promvipctl_status(net, agents, title):
    """`promvipctl -f CONFIG status` in each host's namespace, asking that
    host's promvipd (global.listen of its config); prints the tables."""
    ctl = vrrp.promvipctl_path(agents["h1"].proc.argv[0])
    say(title)
    for h in net.hosts:
        a = agents[h.name]
        r = vrrp.promvipctl(net, h, ctl, "-f", a.path, "status", timeout=STEP)
        say(f"{h.name}$ promvipctl -f {os.path.basename(a.path)} status   (exit {r.returncode})")
        for line in (r.stdout + r.stderr).rstrip().splitlines():
            print(f"    {line}", flush=True)
        if r.returncode != 0:
            raise RuntimeError(f"{h.name}: promvipctl status exited with {r.returncode}")


def promvipctl_events(net, agents, title, last=8):
    """`promvipctl -f CONFIG events INSTANCE` in each host's namespace: the
    table's header and its `last` rows (the newest)."""
    ctl = vrrp.promvipctl_path(agents["h1"].proc.argv[0])
    say(title)
    for h in net.hosts:
        a = agents[h.name]
        r = vrrp.promvipctl(net, h, ctl, "-f", a.path, "events", INSTANCE, timeout=STEP)
        say(f"{h.name}$ promvipctl -f {os.path.basename(a.path)} events {INSTANCE} | tail   (exit {r.returncode})")
        lines = r.stdout.rstrip().splitlines()
        for line in lines[:1] + lines[1:][-last:] + r.stderr.rstrip().splitlines():
            print(f"    {line}", flush=True)
        if r.returncode != 0:
            raise RuntimeError(f"{h.name}: promvipctl events exited with {r.returncode}")


def show_holder(net):
    who = vrrp.holders(net, vrrp.vip4(net))
    say(f"VIP {vrrp.vip4(net)} is on: {', '.join(who) or 'nobody'}")


def priorities(agent):
    """(effective, base) priority of the instance from the SIGUSR1 dump."""
    c = vrrp.probe_counters(agent).get(f"instance {INSTANCE}", {})
    return c.get("priority", "?"), c.get("base_priority", "?")


def show_priorities(agents):
    for name, a in agents.items():
        eff, base = priorities(a)
        probes = ", ".join(f"{p} {vrrp.probe_state(a, p)}" for p in ("ready", "fresh"))
        say(f"{name}: {a.state(INSTANCE)}, effective priority {eff} (base {base}); probes: {probes}")


LOG_LINES = re.compile(r"(probe '[^']+': \w+ -> \w+ .*|instance '[^']+': effective priority .*"
                       r"|instance '[^']+': \w+ -> \w+ \(.*|instance '[^']+': handing over: .*)")


def show_log(name, agent, since):
    """The probe, priority and state lines `agent` logged from `since` on."""
    for m in LOG_LINES.finditer(agent.proc.output()[since:]):
        say(f"  {name} log: {m.group(1)}")


def start_prometheus(net):
    """A Prometheus on every host, each scraping itself every second."""
    proms = {h.name: prometheus.start(net, h) for h in net.hosts}
    for name, p in proms.items():
        took = p.wait_ready(STEP)
        say(f"{name}: Prometheus running (pid {p.pid}), /-/ready answered 200 "
            f"{1000 * took:.0f} ms after its start")
    return proms


def wait_probes_up(agents, timeout):
    """Wait until every probe of every agent is UP (bounded)."""
    def all_up():
        return all(vrrp.probe_state(a, p) == "UP" for a in agents.values()
                   for p in ("ready", "fresh"))
    labmod.wait_for(all_up, timeout, interval=0.2,
                    what=lambda: "every probe UP: " + "; ".join(
                        f"{n}: " + ", ".join(f"{p} {vrrp.probe_state(a, p)}"
                                             for p in ("ready", "fresh"))
                        for n, a in agents.items()))


def failover(net, promvipd):
    h1, h2 = net.hosts
    vip = vrrp.vip4(net)
    say(f"lab: bridge in {net.bridge_ns}, client {net.client.ns} {net.client.addr4}")
    for h in net.hosts:
        say(f"  {h.name}: namespace {h.ns}, eth0 {h.addr4}/24; a web server on :{vrrp.WEB_PORT} "
            f"answers /whoami with '{h.name}'")
        vrrp.start_web(net, h)

    proms = start_prometheus(net)

    agents = {}
    for h in net.hosts:
        path = config_for(net, h, promvipd)
        with open(path) as f:
            agents[h.name] = vrrp.Agent(net, h, promvipd, f.read())
        say(f"{h.name}: promvipd running (pid {agents[h.name].proc.pid}), "
            f"STATUS={agents[h.name].sock.status()}")
    say("probes start DOWN: each agent competes with its weights applied until "
        "its probes pass (ready: 2 successes 1 s apart)")
    for name, a in agents.items():
        vrrp.wait_probe(a, "ready", "UP", STEP)
    agents["h1"].wait_state("MASTER", STEP, instance=INSTANCE)
    agents["h2"].wait_state("BACKUP", STEP, instance=INSTANCE)
    for name, a in agents.items():
        show_log(name, a, 0)
    show_priorities(agents)
    say("h1 is MASTER (base priority 150), h2 is BACKUP (base priority 100)")
    show_holder(net)
    promvipctl_status(net, agents, "promvipctl status on each host (its promvipd's /status "
                      "on 127.0.0.1:9662 of the host's namespace)")

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

    say("promvipd on h1 starts again: it removes the stale VIP; its probes start DOWN, "
        "and once 'ready' and 'fresh' are UP (150 > 100) it preempts")
    back = time.monotonic()
    with open(agents["h1"].path) as f:
        agents["h1"] = vrrp.Agent(net, h1, promvipd, f.read(), name="promvipd-2")
    agents["h1"].wait_state("MASTER", PROBE_STEP, instance=INSTANCE)
    client.wait_answer("h1", STEP, after=back)
    gap, failed = vrrp.outage(client.samples(), "h2", "h1")
    show_log("h1", agents["h1"], 0)
    say(f"h1 is MASTER again {time.monotonic() - back:.1f}s after its start; client moved back "
        f"with {1000 * gap:.0f} ms between answers, {failed} failed requests")
    show_holder(net)

    prometheus_failover(net, agents, proms, client)
    planned_switchover(net, agents, client)
    client.stop()

    t = time.monotonic()
    code = agents["h1"].stop()
    say(f"h1: SIGTERM with no peer left: it waited for a new master at most its "
        f"Master_Down_Interval, then released the VIP; exit code {code} after {time.monotonic() - t:.1f}s")
    if code != 0:
        raise RuntimeError(f"h1: promvipd exited with {code}, expected 0")
    show_holder(net)


def switch_report(client, old, new, since):
    client.wait_answer(new, STEP, after=since)
    gap, failed = vrrp.outage(client.samples(), old, new)
    say(f"client now answered by {new}: {1000 * gap:.0f} ms between {old}'s last answer and "
        f"{new}'s first, {failed} failed requests")


def planned_switchover(net, agents, client):
    """promvipctl release on the master, then SIGTERM of the new master: both
    hand over without a failed request."""
    a1, a2 = agents["h1"], agents["h2"]
    ctl = vrrp.promvipctl_path(a1.proc.argv[0])
    mark = vrrp.log_mark(a1)
    say("planned switchover: h1$ promvipctl release prometheus (h1 says priority 0, keeps "
        "the VIP until h2 is master, then stays BACKUP)")
    t = time.monotonic()
    r = vrrp.promvipctl(net, net.hosts[0], ctl, "-f", a1.path, "release", INSTANCE, timeout=STEP)
    for line in (r.stdout + r.stderr).rstrip().splitlines():
        print(f"    {line}", flush=True)
    if r.returncode != 0:
        raise RuntimeError(f"promvipctl release exited with {r.returncode}")
    say(f"release done in {1000 * (time.monotonic() - t):.0f} ms")
    show_log("h1", a1, mark)
    switch_report(client, "h1", "h2", t)
    time.sleep(3)
    say(f"3 s later h1 is still {a1.state(INSTANCE)} although its priority is higher: "
        "a released instance does not preempt")
    show_holder(net)

    say("planned stop: SIGTERM to h2's promvipd (as systemctl stop): it keeps the VIP "
        "until h1 is master, then releases it and exits")
    mark = vrrp.log_mark(a2)
    t = time.monotonic()
    code = a2.stop()
    say(f"h2: exit code {code} after {1000 * (time.monotonic() - t):.0f} ms")
    if code != 0:
        raise RuntimeError(f"h2: promvipd exited with {code}, expected 0")
    a1.wait_state("MASTER", STEP, instance=INSTANCE)
    switch_report(client, "h2", "h1", t)
    show_log("h2", a2, mark)
    show_holder(net)


def prometheus_failover(net, agents, proms, client):
    """Stop Prometheus on the master: the VIP moves; start it: it comes back."""
    a1 = agents["h1"]
    say("waiting until every probe is UP on both hosts "
        "(fresh: the newest scrape of `up` is under 60 s old, checked every 5 s)")
    wait_probes_up(agents, PROBE_STEP)
    show_priorities(agents)

    say("Prometheus on h1 stops (SIGTERM); promvipd and the web server keep running")
    mark = vrrp.log_mark(a1)
    t0 = time.monotonic()
    proms["h1"].stop()
    down = vrrp.wait_probe(a1, "ready", "DOWN", STEP, since=mark)
    say(f"h1: probe 'ready' DOWN {time.monotonic() - t0:.1f}s later, after {down[3]} failures "
        f"({down[4]}: {down[5]})")
    labmod.wait_for(lambda: vrrp.priority_changes(a1, INSTANCE, since=mark), STEP,
                    what="h1's effective priority to drop")
    old, new = vrrp.priority_changes(a1, INSTANCE, since=mark)[0]
    say(f"h1: effective priority {old} -> {new}, advertised at once; h2 (100) has "
        "rapid_preemption on and takes over at once instead of after its Master_Down_Interval (3.6 s)")
    agents["h2"].wait_state("MASTER", STEP, instance=INSTANCE)
    say(f"h2 became MASTER {time.monotonic() - t0:.1f}s after Prometheus stopped on h1")
    switch_report(client, "h1", "h2", t0)
    agents["h1"].wait_state("BACKUP", STEP, instance=INSTANCE)
    show_log("h1", a1, mark)
    show_holder(net)
    promvipctl_status(net, agents, "promvipctl status now: h2 is MASTER, h1 BACKUP with its "
                      "'ready' probe DOWN")
    promvipctl_events(net, agents, "promvipctl events: why, in order, as each host saw it")

    say("Prometheus on h1 starts again, on the same storage")
    mark = vrrp.log_mark(a1)
    t1 = time.monotonic()
    proms["h1"].restart()
    took = proms["h1"].wait_ready(STEP)
    say(f"h1: Prometheus ready after {1000 * took:.0f} ms")
    up = vrrp.wait_probe(a1, "ready", "UP", STEP, since=mark)
    say(f"h1: probe 'ready' UP after {up[3]} successes, {time.monotonic() - t1:.1f}s after "
        "Prometheus started; with rapid preemption h1 takes over at h2's next advertisement "
        "once all its probes are UP")
    a1.wait_state("MASTER", PROBE_STEP, instance=INSTANCE)
    say(f"h1 is MASTER again {time.monotonic() - t1:.1f}s after Prometheus started")
    switch_report(client, "h2", "h1", t1)
    agents["h2"].wait_state("BACKUP", STEP, instance=INSTANCE)
    show_log("h1", a1, mark)
    show_priorities(agents)
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
