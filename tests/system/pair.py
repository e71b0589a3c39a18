"""The system under test: two Prometheus hosts (h1, h2) booted with systemd
in a lab (lab.py), promvip installed on both by the Ansible role from the
.deb built from this tree, and a client that polls Prometheus on the VIP.
Helpers to act on the hosts as an operator would (systemctl, journalctl,
promvipctl) and to check what the client saw. Stdlib only."""

import json
import os
import re
import time

from lab import wait_for
from machines import PROMETHEUS_PORT
from vrrp import Client, holders, master_down_interval

PRIORITY = {"h1": 150, "h2": 100}
ADVERT_INTERVAL = 1.0
READY_FALL = 3          # the role's default `ready` probe: interval 1 s, fall 3, rise 2
PROBE_INTERVAL = 1.0
HOOK = "/etc/promvip/notify.sh"
CHECK = "/etc/promvip/check-user.sh"

# The hook the inventory installs: its output (logged by promvipd, so in the
# journal) says which user runs it, with which capabilities and signals.
HOOK_SCRIPT = """#!/bin/sh
# promvip hook (system tests): reports who runs it, to the journal
echo "hook: $PROMVIP_STATE as $(id -un);" $(grep -E '^(Cap(Eff|Prm|Amb)|Sig(Ign|Blk)|NoNewPrivs):' /proc/self/status | tr -d '\\t')
"""
# The exec probe: tracked with weight 0, so a host whose exec probes cannot
# run as the expected user is in FAULT and never master.
CHECK_SCRIPT = """#!/bin/sh
# promvip exec probe (system tests): succeeds only when run as user $1
user=$(id -un)
[ "$user" = "$1" ] || { echo "runs as $user, not $1"; exit 1; }
"""


def exec_probe(user="promvip"):
    """The inventory's exec probe, expecting to run as `user`."""
    return {"name": "user", "type": "exec", "command": [CHECK, user], "interval": PROBE_INTERVAL, "weight": 0}


class Pair:
    def __init__(self, lab, machines, controller, deb, workdir):
        self.lab, self.m, self.ctl, self.deb, self.dir = lab, machines, controller, deb, workdir
        self.vip = f"10.99.{lab.number}.100"
        self.addr = {h.name: h.addr4 for h in lab.hosts}
        self.nodes = {h.name: h for h in lab.hosts}
        self.hook_src = self._write("notify.sh", HOOK_SCRIPT)
        self.check_src = self._write("check-user.sh", CHECK_SCRIPT)
        self.clients = []
        self.last_run = None
        self.overrides = {}   # inventory variables changed by a test, kept for the next runs
        self.host_vars = {}   # the same per host: {name: {variable: value}}

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    # -- Ansible -------------------------------------------------------------
    def group_vars(self, **overrides):
        """The variables of the inventory: the README's recommended set-up
        (the role's default probes), rapid preemption, a hook for master and
        backup, an exec probe tracked with weight 0."""
        v = {
            "ansible_python_interpreter": "/usr/bin/python3",
            "promvip_vip": f"{self.vip}/24",
            "promvip_deb": self.deb,
            "promvip_rapid_preemption": True,
            "promvip_scripts": [{"src": self.hook_src, "dest": HOOK},
                                {"src": self.check_src, "dest": CHECK}],
            "promvip_notify": {"master": HOOK, "backup": HOOK},
            "promvip_extra_probes": [exec_probe()],
        }
        v.update(self.overrides)
        v.update(overrides)
        return {k: x for k, x in v.items() if x is not None}

    def inventory(self, **overrides):
        hosts = {name: {"ansible_host": self.addr[name], "promvip_priority": PRIORITY[name],
                        **self.host_vars.get(name, {})}
                 for name in sorted(self.m)}
        return {"all": {"children": {"prometheus": {"hosts": hosts, "vars": self.group_vars(**overrides)}}}}

    def playbook(self, extra=(), **overrides):
        self.last_run = self.ctl.run(self.inventory(**overrides), extra)
        return self.last_run

    # -- inside the hosts -------------------------------------------------------
    def status(self, name):
        """promvipctl status --json on host `name`, parsed; None when it
        cannot answer (promvipd not running)."""
        # --address: promvipctl would otherwise read `listen` from the config,
        # which some tests break on purpose.
        r = self.m[name].run(["promvipctl", "--address", "127.0.0.1:9662", "status", "--json"], check=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def state(self, name):
        s = self.status(name)
        return s["instances"][0]["state"] if s else None

    def unit(self, name, *props):
        """systemctl show promvipd: {property: value}."""
        r = self.m[name].run(["systemctl", "show", "promvipd", "-p", ",".join(props)], check=True)
        return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

    def main_pid(self, name):
        return int(self.unit(name, "MainPID")["MainPID"])

    def journal(self, name, cursor=None):
        """promvipd's journal on host `name`, after `cursor` (see cursor())."""
        argv = ["journalctl", "--no-pager", "-o", "cat", "-u", "promvipd"]
        if cursor:
            argv += ["--after-cursor", cursor]
        return self.m[name].run(argv, check=False).stdout

    def cursor(self, name):
        r = self.m[name].run(["journalctl", "-n", "0", "--show-cursor", "--no-pager", "-o", "cat"], check=True)
        m = re.search(r"^-- cursor: (\S+)", r.stdout, re.M)
        return m.group(1) if m else None

    def holders(self):
        return holders(self.lab, self.vip)

    def probes_up(self, name):
        s = self.status(name)
        return bool(s) and all(p["state"] == "UP" for p in s["probes"])

    def settle(self, master="h1", timeout=60):
        """Waits for the steady state: `master` MASTER holding the VIP, the
        other BACKUP without it, and every probe UP on both (a host whose
        promvipd restarted has its probes rise one by one; each probe's
        failure alone moves the VIP, which check-pair requires, so a master
        taken while one was still DOWN is not yet the steady one)."""
        backup = next(n for n in self.m if n != master)

        def steady():
            return (self.holders() == [master] and self.state(master) == "MASTER"
                    and self.state(backup) == "BACKUP" and all(self.probes_up(n) for n in self.m))
        wait_for(steady, timeout, interval=0.2,
                 what=lambda: f"{master} MASTER with the VIP and {backup} BACKUP (holders "
                              f"{self.holders()}, states {self.state(master)}/{self.state(backup)}, probes UP "
                              f"{[self.probes_up(n) for n in sorted(self.m)]})")

    def master_down(self, name):
        return master_down_interval(PRIORITY[name], ADVERT_INTERVAL)

    # -- the client -------------------------------------------------------------
    def client(self, duration=180):
        """A client in the client namespace that asks Prometheus on the VIP
        every 10 ms which host it is (its external label `host`)."""
        c = Client(self.lab, self.vip, interval=0.01, timeout=0.2, duration=duration,
                   url=f"http://{self.vip}:{PROMETHEUS_PORT}/api/v1/status/config", pattern=r"host: (\w+)")
        self.clients.append(c)
        wait_for(lambda: c.samples(), 10, what="the client's first answer")
        return c

    @staticmethod
    def finish(client):
        """The client's answers, after half a second more."""
        time.sleep(0.5)
        return client.stop()

    def stop_clients(self):
        for c in self.clients:
            if c.proc.alive():
                c.stop()
        self.clients = []


def runs(samples, since=0.0):
    """The answers after `since` collapsed into runs: [(answer, count,
    first time, last time)], failures as 'ERR'."""
    out = []
    for t, a in samples:
        if t < since:
            continue
        a = "ERR" if a.startswith("ERR") else a
        if out and out[-1][0] == a:
            out[-1] = (a, out[-1][1] + 1, out[-1][2], t)
        else:
            out.append((a, 1, t, t))
    return out


def hosts_seen(samples, since=0.0):
    """The sequence of hosts that answered, failures left out, e.g.
    ['h1', 'h2', 'h1']: a client that saw two masters at once would see
    them alternate."""
    seq = []
    for a, _, _, _ in runs(samples, since):
        if a != "ERR" and (not seq or seq[-1] != a):
            seq.append(a)
    return seq


def failures(samples, since=0.0, until=None):
    return sum(1 for t, a in samples if t >= since and (until is None or t <= until) and a.startswith("ERR"))


COMPLETE = r"""
. /usr/share/bash-completion/completions/promvipctl
for line in "$@"; do
    COMP_LINE=$line COMP_POINT=${#line}
    read -ra COMP_WORDS <<<"$line"
    [ "${line: -1}" = " " ] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMPREPLY=()
    _promvipctl promvipctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$line| ${COMPREPLY[*]}"
done
"""


def completions(machine, *lines):
    """{line: [candidates]}: what the packaged bash completion offers on
    `machine` at the end of each command line (as root, with the role's
    configuration)."""
    out = machine.run(["bash", "--norc", "--noprofile", "-c", COMPLETE, "bash", *lines], check=True).stdout
    return {k: v.split() for k, v in (line.split("| ", 1) for line in out.splitlines())}


def now():
    return time.monotonic()
