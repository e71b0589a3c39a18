"""The two agents under test, started the same way on the lab's hosts.

Router k is VRID k. Router 1 carries the VIP the client polls
(10.99.<lab>.100/24); router k > 1 carries 10.98.<lab>.k/24. With a check,
every router tracks one HTTP health check of the host's own Prometheus
(/-/ready, every 1 s, timeout 0.5 s, fall 2, rise 2, weight -100): promvipd
runs its in-process `http` probe, keepalived the usual `vrrp_script` curl.
Everything else is each agent's defaults. With `realtime` (the load case),
promvipd gets `realtime_priority = 50; lock_memory = true;` in `global` and
keepalived `vrrp_rt_priority 50` and `vrrp_no_swap` in `global_defs`: real-time
scheduling (SCHED_RR) at priority 50 and memory locked, for each one's
advertisement sender.

Each agent runs in a cgroup of its own (cgroups.Group), so its CPU time
includes every process it starts, and a kill -9 takes all of them at once.
"""

import os
import re
import signal
import subprocess

import cgroups
import keepalived
import vrrp
from lab import wait_for

AGENTS = ("promvipd", "promvipd-rapid", "keepalived")
READY_URL = "http://127.0.0.1:9090/-/ready"
CHECK = dict(interval=1, timeout=0.5, fall=2, rise=2, weight=-100)
CURL = f"/usr/bin/curl -sf -o /dev/null -m {CHECK['timeout']:g} {READY_URL}"
RT_PRIORITY = 50


def vip(net, router):
    """The VIP of `router` (with prefix length)."""
    if router == 1:
        return f"{vrrp.vip4(net)}/24"
    return f"10.98.{net.number}.{router}/24"


def promvipd_config(net, routers, interval, priority, check, rapid=False, realtime=False):
    """promvip.conf text: `routers` instances, one http probe if `check`,
    real-time scheduling and locked memory if `realtime`."""
    extra = "rapid_preemption = true;" if rapid else ""
    if check:
        extra = ('track = ( "ready" );\n  ' + extra).strip()
    groups = [vrrp.instance_group(name=f"r{k}", vrid=k, priority=priority,
                                  vips=[vip(net, k)], interval=interval, extra=extra)
              for k in range(1, routers + 1)]
    probes = [vrrp.http_probe(url=READY_URL, **CHECK)] if check else []
    # No control socket: the hosts of a lab share /run.
    global_ = {"control_socket": ""}
    if realtime:
        global_.update(realtime_priority=RT_PRIORITY, lock_memory=True)
    return vrrp.instances_config(groups, global_=global_, probes=probes)


def keepalived_config(net, host, routers, interval, priority, check, realtime=False):
    """keepalived.conf text: `routers` vrrp_instances, one vrrp_script if
    `check`, the VRRP child real-time and unswappable if `realtime`;
    keepalived's defaults otherwise."""
    lines = ["global_defs {", f"    router_id {host.name}"]
    if realtime:
        lines += [f"    vrrp_rt_priority {RT_PRIORITY}", "    vrrp_no_swap"]
    if check:
        lines += ["    script_user root", "    enable_script_security"]
    lines += ["}"]
    if check:
        lines += ["vrrp_script chk_prometheus {",
                  f'    script "{CURL}"',
                  f"    interval {CHECK['interval']}", "    timeout 1",
                  f"    fall {CHECK['fall']}", f"    rise {CHECK['rise']}",
                  f"    weight {CHECK['weight']}", "}"]
    for k in range(1, routers + 1):
        lines += [f"vrrp_instance r{k} {{", "    state BACKUP", "    interface eth0",
                  "    version 3", f"    virtual_router_id {k}", f"    priority {priority}",
                  f"    advert_int {interval:g}",
                  "    virtual_ipaddress {", f"        {vip(net, k)}", "    }"]
        if check:
            lines += ["    track_script {", "        chk_prometheus", "    }"]
        lines += ["}"]
    return "\n".join(lines) + "\n"


class Running:
    """One agent on one host, in its own cgroup."""

    def __init__(self, net, host, agent, promvipd, routers, interval, priority, check,
                 realtime=False):
        assert agent in AGENTS, agent
        self.net, self.host, self.agent = net, host, agent
        self.group = cgroups.Group(f"{net.prefix}{net.number}-{host.name}")
        try:
            if agent == "keepalived":
                text = keepalived_config(net, host, routers, interval, priority, check,
                                         realtime)
                self.ka = keepalived.Keepalived(net, host, text, name="r1",
                                                cgroup_procs=self.group.procs_file)
                self.proc, self.promvipd = self.ka.proc, None
                self._check_keepalived_config()
            else:
                text = promvipd_config(net, routers, interval, priority, check,
                                       rapid=agent == "promvipd-rapid", realtime=realtime)
                self.promvipd = vrrp.Agent(net, host, promvipd, text, log_level="info",
                                           name=f"promvipd{len(net.procs)}",
                                           cgroup_procs=self.group.procs_file)
                self.proc, self.ka = self.promvipd.proc, None
        except BaseException:
            self.group.close()
            raise

    def _check_keepalived_config(self):
        r = self.net.run(self.host.ns, [keepalived.KEEPALIVED, "--config-test",
                                        f"--use-file={self.ka.conf_path}"])
        if r.returncode != 0:
            raise RuntimeError(f"keepalived rejects {self.ka.conf_path}: {r.stdout}{r.stderr}")

    def states(self, router=1):
        """The states router `router` entered, oldest first."""
        name = f"r{router}"
        if self.ka:
            return [m["state"] for m in keepalived.STATE_RE.finditer(self.ka.output())
                    if m["instance"] == name]
        return [new for inst, _, new in self.promvipd.transitions() if inst == name]

    def state(self, router=1):
        s = self.states(router)
        return s[-1] if s else None

    def transitions(self):
        """How many state changes all routers have made so far."""
        if self.ka:
            return len(keepalived.STATE_RE.findall(self.ka.output()))
        return len(self.promvipd.transitions())

    def alive(self):
        return self.proc.alive()

    def kill9(self):
        """kill -9 of the agent and everything it started, at once."""
        self.group.kill()
        self.proc.wait(5)

    def stop(self):
        """A planned stop: SIGTERM to the main process (keepalived passes it
        to its VRRP child), as systemd does."""
        self.proc.signal(signal.SIGTERM)

    def cpu_seconds(self):
        return self.group.cpu_seconds()

    def memory_kib(self):
        return self.group.memory_kib()

    def close(self):
        self.group.close()
        if self.promvipd:
            self.promvipd.sock.close()
        try:
            self.proc.wait(5)
        except AssertionError:
            pass


def start_pair(net, agent, promvipd, routers, interval, check, priorities=(150, 100),
               realtime=False):
    """The agent on h1 (priority 150) and h2 (100); returns the two Running
    once h1 is master and h2 backup of every router."""
    pair = []
    try:
        for host, prio in zip(net.hosts, priorities):
            pair.append(Running(net, host, agent, promvipd, routers, interval, prio, check,
                                realtime))
        wait_steady(net, pair, routers, timeout=30 + routers * 0.1)
    except BaseException:
        for r in pair:
            r.close()
        raise
    return pair


def wait_steady(net, pair, routers, timeout):
    """Wait until h1 is MASTER and h2 BACKUP of every router and only h1
    holds the client's VIP."""
    vip1 = vrrp.vip4(net)

    def steady():
        for k in (1, routers):
            if pair[0].state(k) != "MASTER" or pair[1].state(k) != "BACKUP":
                return False
        return vrrp.holders(net, vip1) == ["h1"]
    wait_for(steady, timeout, interval=0.1, what=lambda: (
        f"h1 MASTER and h2 BACKUP ({pair[0].agent}, {routers} routers): "
        f"h1 {pair[0].state(1)}, h2 {pair[1].state(1)}, VIP on {vrrp.holders(net, vip1)}"))


def stop_pair(net, pair):
    """Kill both agents and take their VIPs off the hosts (a killed agent
    leaves them), so the next case starts clean."""
    for r in pair:
        r.close()
    for host in net.hosts:
        net.run(host.ns, ["ip", "link", "set", "eth0", "up"])
        out = net.run(host.ns, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout
        own = host.addr4
        for addr in re.findall(r"inet ([0-9.]+/\d+)", out):
            if not addr.startswith(own + "/"):
                net.run(host.ns, ["ip", "addr", "del", addr, "dev", "eth0"])


def version(agent_path):
    """The version an agent binary prints."""
    r = subprocess.run([agent_path, "--version"], capture_output=True, text=True, timeout=10)
    text = (r.stdout + r.stderr).strip().splitlines()
    return text[0] if text else "?"


def available(promvipd):
    """Why the agents cannot run, or None."""
    if not os.access(promvipd, os.X_OK):
        return f"{promvipd} not found or not executable"
    return keepalived.available() or cgroups.check_environment()
