"""Tracking other interfaces and file probes (issue 17; README "How probes
move the VIP", "Draining a host for maintenance"): keepalived's
track_interface with and without a weight, link state from netlink; the
`file` probe (keepalived's track_file), watched with inotify, never
polled; and `promvipctl drain` / `undrain`, which survive a restart of
promvipd. Each case is a pair, h1 (150) and h2 (100), advertising every
0.2 s."""

import os
import time

from lab import wait_for
from vrrp import (Agent, agent_metrics, agent_status, config, instance_status, master_down_interval, promvipctl,
                  reload, vip4, wait_holder)

INTERVAL = 0.2
MARGIN = 1.0


def mdi(priority=100):
    return master_down_interval(priority, INTERVAL)


def add_link(net, host, name):
    """A veth pair inside the host, both ends up: `name` has carrier."""
    net.run(host.ns, ["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"], check=True)
    net.run(host.ns, ["ip", "link", "set", name + "p", "up"], check=True)
    net.run(host.ns, ["ip", "link", "set", name, "up"], check=True)


def link(net, host, name, state):
    net.run(host.ns, ["ip", "link", "set", name, state], check=True)


def start_pair(net, promvipd, h1_extra="", probes=""):
    """h1 (150, with `h1_extra` instance settings and `probes`) and h2 (100)."""
    vips = [f"{vip4(net)}/24"]
    a1 = Agent(net, net.hosts[0], promvipd, probes + config(priority=150, vips=vips, interval=INTERVAL,
                                                             extra=h1_extra))
    a2 = Agent(net, net.hosts[1], promvipd, config(priority=100, vips=vips, interval=INTERVAL))
    return a1, a2


def test_weighted_interface_moves_the_vip(lab, promvipd):
    """A tracked interface with weight -100 going down lowers h1 to 50: h2
    takes over; back up, h1 (preempt) takes the VIP back. Nothing polls:
    each change is a netlink event."""
    net = lab(2)
    h1 = net.hosts[0]
    add_link(net, h1, "eth1")
    a1, a2 = start_pair(net, promvipd, 'track_interfaces = ( { interface = "eth1"; weight = -100; } );')
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN + 2)
    st = instance_status(net, h1)
    assert st["priority"] == {"base": 150, "effective": 150}, st
    assert st["track_interfaces"] == [{"interface": "eth1", "weight": -100, "up": True}], st
    assert st["fault"] is None

    link(net, h1, "eth1", "down")
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    a1.wait_state("BACKUP", 2)
    st = instance_status(net, h1)
    assert st["priority"]["effective"] == 50, st
    assert st["track_interfaces"][0]["up"] is False, st
    assert "tracked interface eth1 is down (weight applies)" in a1.proc.output()
    assert "promvip_instance_track_interface_up{vrrp_instance=\"prom\",interface=\"eth1\"} 0" in \
        agent_metrics(net, h1)

    link(net, h1, "eth1", "up")
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)
    assert instance_status(net, h1)["priority"]["effective"] == 150
    assert a1.stop() == 0


def test_unweighted_interface_faults(lab, promvipd):
    """Without a weight a tracked interface that goes down puts h1 into
    FAULT (the reason in /status); h2 takes over; back up, h1 returns."""
    net = lab(2)
    h1 = net.hosts[0]
    add_link(net, h1, "eth1")
    a1, a2 = start_pair(net, promvipd, 'track_interfaces = ( "eth1" );')
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN + 2)

    link(net, h1, "eth1", "down")
    a1.wait_state("FAULT", 1)
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    st = instance_status(net, h1)
    assert st["state"] == "FAULT" and st["fault"] == "tracked interface eth1 is down", st
    assert "fault: tracked interface eth1 is down" in a1.proc.output()

    link(net, h1, "eth1", "up")
    a1.wait_state("BACKUP", 2)
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)
    assert instance_status(net, h1)["fault"] is None


def test_missing_interface_counts_as_down(lab, promvipd):
    """A tracked interface that does not exist is down (keepalived's
    dynamic interfaces): h1 starts at 50 and h2 is master; when the
    interface appears and comes up, h1 takes over."""
    net = lab(2)
    h1 = net.hosts[0]
    a1, a2 = start_pair(net, promvipd, 'track_interfaces = ( { interface = "late0"; weight = -100; } );')
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN + 2)
    a1.wait_state("BACKUP", 2)
    assert instance_status(net, h1)["priority"]["effective"] == 50
    add_link(net, h1, "late0")
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def file_probes(path, maint):
    return ("probes = (\n"
            f'  {{ name = "drain"; type = "file"; path = "{path}"; weight = -100; }},\n'
            f'  {{ name = "maint"; type = "file"; path = "{maint}"; }}\n'
            ");\n")


def test_file_probe(lab, promvipd):
    """Writing the file moves the VIP at once (inotify: no interval to wait
    for): 1 x -100 lowers h1 to 50, h2 takes over; the file removed is the
    `missing` value (0) again. A weight-0 file probe with a non-zero value
    is FAULT; a value that is not a number is 0, as keepalived reads it."""
    net = lab(2)
    h1 = net.hosts[0]
    state = os.path.join(net.dir, "h1-state")
    os.makedirs(state)
    drain, maint = os.path.join(state, "drain"), os.path.join(state, "maint")
    a1, a2 = start_pair(net, promvipd, 'track = ( "drain", "maint" );', file_probes(drain, maint))
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN + 2)
    probes = {p["name"]: p for p in agent_status(net, h1)["probes"]}
    assert probes["drain"]["type"] == "file" and probes["drain"]["value"] == 0, probes
    assert probes["drain"]["state"] == "UP" and probes["drain"]["last_detail"] == "no file: value 0 (missing)"

    t0 = time.monotonic()
    write_atomic(drain, "1\n")
    wait_for(lambda: "probe 'drain': value 0 -> 1" in a1.proc.output(), 0.5, what="h1 reads the file")
    wait_for(lambda: "effective priority 150 -> 50" in a1.proc.output(), 0.5, what="h1 at 50")
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    took = time.monotonic() - t0
    print(f"\nfile written -> VIP on h2 in {took:.2f} s (Master_Down_Interval of h2 {mdi(100):.2f} s)")
    st = instance_status(net, h1)
    assert st["priority"]["effective"] == 50
    assert [t for t in st["tracks"] if t["probe"] == "drain"] == [
        {"probe": "drain", "weight": -100, "up": False, "value": 1}], st

    os.unlink(drain)
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)

    # Weight 0: any non-zero value is FAULT; "0" clears it.
    write_atomic(maint, "3\n")
    a1.wait_state("FAULT", 1)
    st = instance_status(net, h1)
    assert st["fault"] == "file probe 'maint' has value 3 (weight 0: FAULT unless 0)", st
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    with open(maint, "w") as f:  # written in place: read on close
        f.write("0\n")
    a1.wait_state("BACKUP", 1)
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)

    # Not a number: 0, counted as a bad answer.
    write_atomic(drain, "drained\n")
    wait_for(lambda: {p["name"]: p for p in agent_status(net, h1)["probes"]}["drain"]["failures"]
             .get("bad_answer") == 1, 2, what="bad_answer counted")
    assert instance_status(net, h1)["priority"]["effective"] == 150
    assert a1.stop() == 0


def test_drain_survives_restart(lab, promvipd, ctl):
    """`promvipctl drain` writes the flag (its directory made on the way);
    h1 leaves MASTER, stays BACKUP across a restart of promvipd, and
    `undrain` brings the VIP back (preempt)."""
    net = lab(2)
    h1 = net.hosts[0]
    drain = os.path.join(net.dir, "h1-state", "drain", "prom")  # the directory does not exist yet
    maint = os.path.join(net.dir, "h1-state", "maint")
    a1, a2 = start_pair(net, promvipd, 'track = ( "drain" );', file_probes(drain, maint))
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN + 2)
    assert "the directory of" in a1.proc.output() and "does not exist yet: watching for it" in a1.proc.output()

    r = promvipctl(net, h1, ctl, "-f", a1.path, "drain", "prom")
    assert r.returncode == 0, r.stderr
    assert f"instance 'prom' drained: wrote 1 to {drain}" in r.stdout
    with open(drain) as f:
        assert f.read() == "1\n"
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    a1.wait_state("BACKUP", 2)

    # Restarted, h1 reads the flag at once and stays BACKUP.
    assert a1.stop() == 0
    a1 = Agent(net, h1, promvipd, open(a1.path).read(), name="promvipd-again")
    a1.wait_state("BACKUP", 3)
    time.sleep(3 * mdi(150))
    assert instance_status(net, h1)["priority"]["effective"] == 50
    assert [new for _, _, new in a1.transitions()] == ["BACKUP"], a1.transitions()
    wait_holder(net, vip4(net), "h2", 0.1)

    r = promvipctl(net, h1, ctl, "-f", a1.path, "undrain", "prom")
    assert r.returncode == 0, r.stderr
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)
    a1.wait_state("MASTER", 1)

    # Without a file probe to use: the hint, exit 1.
    r = promvipctl(net, net.hosts[1], ctl, "-f", a2.path, "drain", "prom")
    assert r.returncode == 1 and "tracks no file probe" in r.stderr and 'type = "file"' in r.stderr, r


def test_reload_changes_tracks(lab, promvipd):
    """A reload applies changed track_interfaces in place (no restart): a
    smaller weight gives h1 the VIP back; a file probe added by the reload
    is read at once, one removed stops counting."""
    net = lab(2)
    h1 = net.hosts[0]
    add_link(net, h1, "eth1")
    link(net, h1, "eth1", "down")
    vips = [f"{vip4(net)}/24"]
    a1, a2 = start_pair(net, promvipd, 'track_interfaces = ( { interface = "eth1"; weight = -100; } );')
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN + 2)
    assert instance_status(net, h1)["priority"]["effective"] == 50

    status = reload(a1, config(priority=150, vips=vips, interval=INTERVAL,
                               extra='track_interfaces = ( { interface = "eth1"; weight = -10; } );'))
    assert status.startswith("Running"), status
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)
    assert instance_status(net, h1)["priority"]["effective"] == 140
    assert "settings changed: applied without a restart" in a1.proc.output()

    drain = os.path.join(net.dir, "h1-drain")
    write_atomic(drain, "1\n")
    status = reload(a1, file_probes(drain, drain + "-maint") +
                    config(priority=150, vips=vips, interval=INTERVAL, extra='track = ( "drain" );'))
    assert status.startswith("Running"), status
    wait_holder(net, vip4(net), "h2", mdi(100) + MARGIN)
    assert instance_status(net, h1)["priority"]["effective"] == 50

    reload(a1, config(priority=150, vips=vips, interval=INTERVAL))
    wait_holder(net, vip4(net), "h1", mdi(150) + MARGIN)
    assert instance_status(net, h1)["track_interfaces"] == []
    assert a1.stop() == 0  # an orderly stop (and no leak under the sanitizers)
