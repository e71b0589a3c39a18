"""Sync groups (README "Sync groups"): a dual-stack pair whose IPv4
instance (eth0) and IPv6 instance (eth1, a second bridge) form one group on
each host. The two VIPs stay on one host: on kill -9 of the master's
promvipd, on a probe failure that only the IPv4 instance tracks, and on the
link of eth1 going down on the master; and they come back together. A
release of one member releases the group; a reload forms or dissolves a
group under running instances; keepalived's vrrp_sync_group on the other
host plays the same game. The group's hooks run once per group transition
with keepalived's arguments (GROUP <name> <STATE> 0). Advertisements every 0.2 s keep it short; bounds
have a margin over the RFC's."""

import functools
import json
import os
import re
import signal
import time

import keepalived
import pytest
from lab import wait_for
from vrrp import (Agent, master_down_interval, notify_group, record_hook, release, reload, transitions_since,
                  wait_records)

INTERVAL = 0.2
MARGIN = 2.0
mdi = functools.partial(master_down_interval, interval=INTERVAL)
NOBODY_ENV = {"PATH", "LANG", "HOME", "USER", "LOGNAME", "PWD"}


def vip4(net):
    return f"10.99.{net.number}.100"


def vip6(net):
    return f"2001:db8:{net.number}:1::100"


def add_second_link(net):
    """eth1 on every host, on a second bridge: 2001:db8:N:1::1X/64."""
    br = net.bridge_ns
    net.run(br, ["ip", "link", "add", "br1", "type", "bridge", "stp_state", "0", "forward_delay", "0",
                 "mcast_snooping", "0"], check=True)
    net.run(br, ["ip", "link", "set", "br1", "up"], check=True)
    for h in net.hosts:
        port = f"w-{h.name}"
        net.run(h.ns, ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", port, "netns", br], check=True)
        net.run(br, ["ip", "link", "set", port, "master", "br1", "up"], check=True)
        net.run(h.ns, ["ip", "addr", "add", f"2001:db8:{net.number}:1::{h.addr4.rsplit('.', 1)[1]}/64", "dev", "eth1", "nodad"],
                check=True)
        net.run(h.ns, ["ip", "link", "set", "eth1", "up"], check=True)


def group_config(net, host, priority, drain=None, notify="", grouped=True, weight=0, both=False):
    """prom4 (IPv4 VIP on eth0) and prom6 (IPv6 VIP on eth1) in sync group
    'prom'; with `drain`, prom4 (and prom6 if `both`) tracks an exec probe
    of that weight that fails while that file exists."""
    probes, track, track6 = "", "", ""
    if drain:
        probes = (f'probes = ( {{ name = "drain"; type = "exec"; interval = 0.2; timeout = 0.1; weight = {weight};\n'
                  f'  command = ( "/usr/bin/test", "!", "-e", "{drain}" ); }} );\n')
        track = 'track = ( "drain" );'
        track6 = track if both else ""
    ctl_socket = os.path.join(net.sockdir, f"{host.name}-ctl.sock")
    return (f'global = {{ router_id = "{host.name}"; script_user = "nobody"; control_socket = "{ctl_socket}"; }};\n'
            + probes +
            "instances = (\n"
            f'  {{ name = "prom4"; interface = "eth0"; vrid = 51; priority = {priority}; advert_interval = {INTERVAL};\n'
            f'    virtual_addresses = ( "{vip4(net)}/24" ); {track} }},\n'
            f'  {{ name = "prom6"; interface = "eth1"; vrid = 52; priority = {priority}; advert_interval = {INTERVAL};\n'
            f'    virtual_addresses = ( "{vip6(net)}/64" ); {track6} }}\n'
            ");\n"
            + (f'sync_groups = ( {{ name = "prom"; instances = ( "prom4", "prom6" ); {notify} }} );\n'
               if grouped else ""))


def vips_on(net, host):
    """Which of the two VIPs are on host (on any interface)."""
    out = net.run(host.ns, ["ip", "-o", "addr", "show"], check=True).stdout
    have = {w.split("/")[0] for line in out.splitlines() for w in line.split()[3:4]}
    return {v for v in (vip4(net), vip6(net)) if v in have}


def together_on(net, agents, name, timeout, dead=()):
    """Both VIPs on `name` alone (hosts in `dead` are ignored: a killed
    promvipd leaves its VIPs), both of its instances MASTER, the others'
    BACKUP or FAULT."""
    def check():
        for a in agents:
            if a.host.name in dead:
                continue
            want = {vip4(net), vip6(net)} if a.host.name == name else set()
            if vips_on(net, a.host) != want:
                return False
            states = {a.state("prom4"), a.state("prom6")}
            if a.host.name == name and states != {"MASTER"}:
                return False
            if a.host.name != name and not states <= {"BACKUP", "FAULT"}:
                return False
        return True
    wait_for(check, timeout, what=lambda: f"both VIPs on {name}: " + ", ".join(
        f"{a.host.name} {sorted(vips_on(net, a.host))} {a.state('prom4')}/{a.state('prom6')}" for a in agents))


def pair(net, promvipd, drain_dir=None, notify="", **kw):
    """h1 (150) master of both, h2 (100); with drain_dir, each host's
    probe fails while <drain_dir>/drain-<host> exists."""
    add_second_link(net)
    h1, h2 = net.hosts
    drain = {h.name: os.path.join(drain_dir, f"drain-{h.name}") if drain_dir else None for h in net.hosts}
    a = [Agent(net, h1, promvipd, group_config(net, h1, 150, drain=drain["h1"], notify=notify, **kw)),
         Agent(net, h2, promvipd, group_config(net, h2, 100, drain=drain["h2"], **kw))]
    together_on(net, a, "h1", mdi(100) + MARGIN + 3)
    return a


def test_kill9_master_moves_both(lab, promvipd):
    """kill -9 of h1's promvipd: h2 takes both VIPs (its members wait for
    each other), and a restarted h1 takes both back (preempt)."""
    net = lab(2)
    a = pair(net, promvipd)
    a[0].stop(signal.SIGKILL)
    together_on(net, a, "h2", mdi(100) + MARGIN, dead=("h1",))
    # The group went MASTER as one: neither member went MASTER alone.
    log = a[1].proc.output()
    assert "sync group 'prom': BACKUP -> MASTER" in log, log
    with open(a[0].path) as f:
        a[0] = Agent(net, net.hosts[0], promvipd, f.read(), name="promvipd2")
    together_on(net, a, "h1", mdi(150) + MARGIN + 2)
    assert transitions_since(a[1], 0, "prom6")[-1] == ("MASTER", "BACKUP")


def test_probe_failure_of_one_member_moves_both(hooks, lab, promvipd):
    """A weight-0 probe that only prom4 tracks fails on h1: prom4 faults,
    prom6 follows into FAULT ("sync group"), h2 takes both; the probe
    recovers and both come back."""
    net = lab(2)
    drain = hooks.join("drain-h1")  # a directory the probe (as nobody) can look into
    a = pair(net, promvipd, drain_dir=hooks.path)
    mark = len(a[0].proc.output())
    open(drain, "w").close()
    together_on(net, a, "h2", mdi(100) + MARGIN)
    assert a[0].state("prom4") == "FAULT" and a[0].state("prom6") == "FAULT"
    assert re.search(r"instance 'prom6': MASTER -> FAULT \(sync group\)", a[0].proc.output()[mark:])
    assert "instance 'prom6': fault: sync group 'prom' (instance 'prom4' is FAULT)" in a[0].proc.output()[mark:]
    status = json.loads(net.run(net.hosts[0].ns, ["curl", "-sf", "http://127.0.0.1:9662/status"], check=True).stdout)
    faults = {i["name"]: i["fault"] for i in status["instances"]}
    assert faults["prom6"] == "sync group 'prom' (instance 'prom4' is FAULT)", faults
    assert faults["prom4"] and "drain" in faults["prom4"], faults
    os.unlink(drain)
    together_on(net, a, "h1", mdi(150) + MARGIN + 2)


def test_weighted_probe_moves_the_group_only_from_every_member(hooks, lab, promvipd):
    """A probe with weight -60 that both members track: its failure on h1
    (150 -> 90) lets h2 (100) preempt both, together. Tracked by prom4
    alone, it moves nothing: h2's prom6 still hears a better master, so
    h2's group does not want MASTER (keepalived's rule), and both VIPs stay
    on h1."""
    net = lab(2)
    drain = hooks.join("drain-h1")
    a = pair(net, promvipd, drain_dir=hooks.path, weight=-60, both=True)
    open(drain, "w").close()
    together_on(net, a, "h2", 2 * mdi(100) + MARGIN)
    os.unlink(drain)
    together_on(net, a, "h1", 2 * mdi(150) + MARGIN + 2)

    net2 = lab(2)
    drain = hooks.join("b", "drain-h1")
    b = pair(net2, promvipd, drain_dir=hooks.subdir("b"), weight=-60, both=False)
    open(drain, "w").close()
    wait_for(lambda: "effective priority 150 -> 90" in b[0].proc.output(), 3, what="prom4 at 90")
    time.sleep(3 * mdi(100))
    together_on(net2, b, "h1", 1)
    assert "would be master; the group stays BACKUP" in b[1].proc.output()
    # Said at load, before anything failed.
    assert re.search(r"sync group '\w+': probe 'drain' \(weight -60\) moves instance 'prom4' but not 'prom6'",
                     b[0].proc.output()), b[0].proc.output()[-2000:]
    assert "moves instance" not in a[0].proc.output()
    os.unlink(drain)


def test_link_down_of_one_interface_moves_both(lab, promvipd):
    """eth1 (prom6's) goes down on h1: both fault there and h2 takes both
    VIPs; eth1 up again: both back on h1."""
    net = lab(2)
    a = pair(net, promvipd)
    h1 = net.hosts[0]
    net.run(h1.ns, ["ip", "link", "set", "eth1", "down"], check=True)
    together_on(net, a, "h2", mdi(100) + MARGIN)
    assert re.search(r"instance 'prom4': MASTER -> FAULT \(sync group\)", a[0].proc.output())
    net.run(h1.ns, ["ip", "link", "set", "eth1", "up"], check=True)
    together_on(net, a, "h1", mdi(150) + MARGIN + 2)


def test_release_takes_the_group(lab, promvipd, ctl):
    """`promvipctl release prom4` on h1 releases prom6 too: h2 takes both
    (its members each hear priority 0), and h1, released, stays BACKUP."""
    net = lab(2)
    a = pair(net, promvipd)
    r = release(net, net.hosts[0], ctl, a[0].path, instance="prom4", timeout=mdi(150) + MARGIN + 10)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    together_on(net, a, "h2", 5)
    assert "instance 'prom6': release requested" in a[0].proc.output()
    time.sleep(2 * mdi(150))
    together_on(net, a, "h2", 1)


def group_hooks_in_events(net, host, ctl, states):
    """Each member's event history records the group's hooks, each state's
    then `any`, with sync_group set; `promvipctl events` shows them."""
    doc = json.loads(net.run(host.ns, [ctl, "-a", "127.0.0.1:9662", "events", "--json"], check=True).stdout)
    want = [(h, "ok") for s in states for h in (s, "any")]
    for inst in doc["instances"]:
        got = [(e["hook"], e["result"]) for e in inst["events"]
               if e["type"] == "hook" and e["sync_group"] == "prom"]
        assert got == want, (inst["name"], got)
    assert [i["name"] for i in doc["instances"]] == ["prom4", "prom6"]
    table = net.run(host.ns, [ctl, "-a", "127.0.0.1:9662", "events", "prom6"], check=True).stdout
    assert "sync group 'prom' master hook ok" in table, table


def test_group_hooks_and_status(hooks, lab, promvipd, ctl):
    """h1's group hooks: one run per group transition (not per member), the
    state's hook then `any` with GROUP prom <STATE> 0, PROMVIP_SYNC_GROUP
    and PROMVIP_INSTANCES in the environment; /status and /metrics show the
    group, and each member's event history its hooks."""
    out = hooks.output("group.log")
    paths = {s: record_hook(hooks, f"{s}.sh", out) for s in ("master", "backup", "fault", "stop")}
    env_out = hooks.output("env.log")
    env_hook = hooks.script("env.sh", "#!/bin/sh\nprintf '%s|%s|%s\\n' \"$PROMVIP_SYNC_GROUP\" "
                            f"\"$PROMVIP_INSTANCES\" \"$*\" >> \"{env_out}\"\n")
    notify = notify_group(master=paths["master"], backup=paths["backup"], fault=paths["fault"],
                          stop=paths["stop"], any=[env_hook, "--x"], timeout=5)
    net = lab(2)
    a = pair(net, promvipd, notify=notify)
    h1 = net.hosts[0]
    wait_records(out, 2, 5)                                        # BACKUP, MASTER

    status = json.loads(net.run(h1.ns, [ctl, "-a", "127.0.0.1:9662", "status", "--json"], check=True).stdout)
    assert status["sync_groups"] == [{"name": "prom", "state": "MASTER", "instances": ["prom4", "prom6"]}]
    assert {i["name"]: i["sync_group"] for i in status["instances"]} == {"prom4": "prom", "prom6": "prom"}
    metrics = net.run(h1.ns, ["curl", "-sf", "http://127.0.0.1:9662/metrics"], check=True).stdout
    assert 'promvip_sync_group_state{sync_group="prom",state="MASTER"} 1' in metrics

    net.run(h1.ns, ["ip", "link", "set", "eth1", "down"], check=True)
    together_on(net, a, "h2", mdi(100) + MARGIN)
    wait_records(out, 3, 5)                                        # FAULT
    net.run(h1.ns, ["ip", "link", "set", "eth1", "up"], check=True)
    together_on(net, a, "h1", mdi(150) + MARGIN + 2)
    wait_records(out, 5, 5)                                        # BACKUP, MASTER
    wait_for(lambda: len(open(env_out).read().splitlines()) == 5, 5, what="5 runs of any")
    group_hooks_in_events(net, h1, ctl, ["backup", "master", "fault", "backup", "master"])
    assert a[0].stop() == 0
    records = wait_records(out, 6, 5)                              # STOP

    steps = [("BACKUP", "INIT"), ("MASTER", "BACKUP"), ("FAULT", "MASTER"), ("BACKUP", "FAULT"),
             ("MASTER", "BACKUP"), ("STOP", "MASTER")]
    assert [(r["hook"], r["state"], r["prev"]) for r in records] == \
        [(f"{s.lower()}.sh", s, p) for s, p in steps], records
    for r in records:
        assert r["instance"] == "" and r["args"] == "" and r["user"] == "nobody", r
        assert set(r["env"].split()) - NOBODY_ENV == {"PROMVIP_SYNC_GROUP", "PROMVIP_STATE",
                                                      "PROMVIP_PREVIOUS_STATE", "PROMVIP_INSTANCES"}, r
    wait_for(lambda: len(open(env_out).read().splitlines()) == len(steps), 5, what="6 runs of any")
    assert open(env_out).read().splitlines() == [f"prom|prom4 prom6|--x GROUP prom {s} 0" for s, _ in steps]


def test_reload_changes_membership(lab, promvipd, ctl):
    """A reload that forms the group applies to the running instances
    without a transition (the group is MASTER on h1 at once), and eth1 down
    then moves both; a reload that dissolves it lets prom4 stay where it is
    while prom6 moves alone."""
    net = lab(2)
    add_second_link(net)
    h1, h2 = net.hosts
    a = [Agent(net, h1, promvipd, group_config(net, h1, 150, grouped=False)),
         Agent(net, h2, promvipd, group_config(net, h2, 100, grouped=False))]
    together_on(net, a, "h1", mdi(100) + MARGIN + 3)
    before = [len(transitions_since(x, 0, "prom4")) + len(transitions_since(x, 0, "prom6")) for x in a]
    for x, prio in zip(a, (150, 100)):
        reload(x, group_config(net, x.host, prio))
    status = json.loads(net.run(h1.ns, [ctl, "-a", "127.0.0.1:9662", "status", "--json"], check=True).stdout)
    assert status["sync_groups"] == [{"name": "prom", "state": "MASTER", "instances": ["prom4", "prom6"]}]
    assert [len(transitions_since(x, 0, "prom4")) + len(transitions_since(x, 0, "prom6")) for x in a] == before

    net.run(h1.ns, ["ip", "link", "set", "eth1", "down"], check=True)
    together_on(net, a, "h2", mdi(100) + MARGIN)
    net.run(h1.ns, ["ip", "link", "set", "eth1", "up"], check=True)
    together_on(net, a, "h1", mdi(150) + MARGIN + 2)

    for x, prio in zip(a, (150, 100)):
        reload(x, group_config(net, x.host, prio, grouped=False))
    status = json.loads(net.run(h1.ns, [ctl, "-a", "127.0.0.1:9662", "status", "--json"], check=True).stdout)
    assert status["sync_groups"] == []
    net.run(h1.ns, ["ip", "link", "set", "eth1", "down"], check=True)
    wait_for(lambda: vips_on(net, h2) == {vip6(net)} and vips_on(net, h1) == {vip4(net)}, mdi(100) + MARGIN,
             what=lambda: f"prom6 alone on h2: h1 {vips_on(net, h1)}, h2 {vips_on(net, h2)}")
    assert a[0].state("prom4") == "MASTER" and a[0].state("prom6") == "FAULT"


def keepalived_group_config(net, priority):
    """keepalived's side of the pair: the same two virtual routers in a
    vrrp_sync_group."""
    return f"""# keepalived.conf for test_sync_groups.py: two instances in one vrrp_sync_group
global_defs {{
    router_id ka-h2
    vrrp_garp_master_repeat 1
    vrrp_garp_master_delay 0
}}
vrrp_sync_group prom {{
    group {{
        VI_4
        VI_6
    }}
}}
vrrp_instance VI_4 {{
    state BACKUP
    interface eth0
    version 3
    virtual_router_id 51
    priority {priority}
    advert_int {INTERVAL}
    virtual_ipaddress {{
        {vip4(net)}/24
    }}
}}
vrrp_instance VI_6 {{
    state BACKUP
    interface eth1
    version 3
    virtual_router_id 52
    priority {priority}
    advert_int {INTERVAL}
    virtual_ipaddress {{
        {vip6(net)}/64
    }}
}}
"""


def test_keepalived_sync_group_peer(lab, promvipd):
    """promvipd's group (h1, 150) and keepalived's vrrp_sync_group (h2,
    100) over the same two virtual routers: eth1 down on h1 moves both VIPs
    to keepalived, eth1 up brings both back."""
    why = keepalived.available()
    if why:
        pytest.fail(why, pytrace=False)
    net = lab(2)
    add_second_link(net)
    h1, h2 = net.hosts
    p = Agent(net, h1, promvipd, group_config(net, h1, 150))
    ka = keepalived.Keepalived(net, h2, keepalived_group_config(net, 100), name="VI_4")

    def ka_wait(state, since):
        """Both of keepalived's instances entered `state` after `since` and are in it."""
        def check():
            seen = {}
            for m in keepalived.STATE_RE.finditer(ka.output()[since:]):
                seen[m["instance"]] = m["state"]
            return seen.get("VI_4") == state and seen.get("VI_6") == state
        wait_for(check, 3, what=lambda: f"keepalived's VI_4 and VI_6 {state}:\n{ka.output()[since:][-3000:]}")

    def on(name):
        want = {name: {vip4(net), vip6(net)}}
        return lambda: all(vips_on(net, h) == want.get(h.name, set()) for h in net.hosts)
    wait_for(on("h1"), mdi(100) + MARGIN + 3, what=lambda: f"both VIPs on h1: {vips_on(net, h1)} {vips_on(net, h2)}")
    ka_wait("BACKUP", 0)

    mark = ka.mark()
    net.run(h1.ns, ["ip", "link", "set", "eth1", "down"], check=True)
    wait_for(on("h2"), mdi(100) + MARGIN + 2, what=lambda: f"both VIPs on h2: {vips_on(net, h1)} {vips_on(net, h2)}")
    ka_wait("MASTER", mark)
    assert p.state("prom4") == "FAULT" and p.state("prom6") == "FAULT"

    mark = ka.mark()
    net.run(h1.ns, ["ip", "link", "set", "eth1", "up"], check=True)
    wait_for(on("h1"), mdi(150) + MARGIN + 3, what=lambda: f"both VIPs back on h1: {vips_on(net, h1)} {vips_on(net, h2)}")
    ka_wait("BACKUP", mark)
