"""VRRP between promvipd agents in namespaces: election, failover, stop,
preemption, faults and the VIP itself. Advertisements every 0.2 s keep the
tests short; every bound has a generous margin over the RFC value."""

import functools
import signal
import time

import pytest

from lab import wait_for
from vrrp import (master_down_interval, Agent, Client, config, holders, has_vip, outage, start_web, vip4, vip6,
                  wait_holder)

INTERVAL = 0.2


mdi = functools.partial(master_down_interval, interval=INTERVAL)


def agents(net, promvipd, priorities, **kw):
    vip = kw.pop("vip", None) or vip4(net)
    out = []
    for host, prio in zip(net.hosts, priorities):
        out.append(Agent(net, host, promvipd, config(priority=prio, vips=[f"{vip}/24" if "." in vip else f"{vip}/64"],
                                                       **kw)))
    return out


@pytest.mark.parametrize("n", [2, 3])
def test_election_by_priority(lab, promvipd, n):
    net = lab(n)
    prios = [100, 200, 150][:n]
    a = agents(net, promvipd, prios)
    winner = a[prios.index(max(prios))]
    winner.wait_state("MASTER", 5)
    wait_holder(net, vip4(net), winner.host.name, 5)
    time.sleep(3 * INTERVAL)
    for x in a:
        if x is not winner:
            assert x.state() == "BACKUP", x.transitions()
    assert holders(net, vip4(net)) == [winner.host.name]


def partition(net, host, on):
    """Cut `host` off the segment (its bridge port stops forwarding) or
    reconnect it; its own link stays up, as in a real partition."""
    net.run(net.bridge_ns, ["bridge", "link", "set", "dev", f"v-{host.name}",
                            "state", "0" if on else "3"], check=True)


def split_then_heal(net, promvipd, priorities):
    """Both agents become master while apart, then meet."""
    partition(net, net.hosts[1], True)
    a = agents(net, promvipd, priorities)
    for x in a:
        x.wait_state("MASTER", 5)
    partition(net, net.hosts[1], False)
    return a


def test_tie_break_by_address(lab, promvipd):
    net = lab(2)
    a = split_then_heal(net, promvipd, [100, 100])
    # Equal priority: h2 (10.99.n.12) has the higher address and stays.
    a[0].wait_state("BACKUP", 5)
    assert ("prom", "MASTER", "BACKUP") in a[0].transitions()
    assert "equal priority and higher address" in a[0].proc.output()
    wait_holder(net, vip4(net), "h2", 5)
    assert a[1].state() == "MASTER"


def test_kill_master_client_follows(lab, promvipd):
    net = lab(2)
    for h in net.hosts:
        start_web(net, h)
    a = agents(net, promvipd, [150, 100])
    wait_holder(net, vip4(net), "h1", 5)
    client = Client(net, vip4(net))
    client.wait_answer("h1", 5)
    a[0].stop(signal.SIGKILL)
    killed = time.monotonic()
    # The killed agent left the VIP on h1, and h1's web server still answers
    # there: only h2's gratuitous ARP can move the client over.
    client.wait_answer("h2", mdi(100) + 5, after=killed)
    samples = client.stop()
    gap, _ = outage(samples, "h1", "h2")
    # Clients follow at once: no ARP timeout (seconds to minutes) on top of
    # Master_Down_Interval.
    assert gap is not None and gap < mdi(100) + 1.0, (gap, samples[-20:])
    assert a[1].state() == "MASTER"


def test_sigterm_master_hands_over_after_skew(lab, promvipd):
    net = lab(2)
    # A long interval makes Skew_Time and Master_Down_Interval far apart.
    a = agents(net, promvipd, [150, 100], interval=1.0)
    wait_holder(net, vip4(net), "h1", 10)
    a[1].wait_state("BACKUP", 5)
    time.sleep(0.5)
    t0 = time.monotonic()
    assert a[0].stop() == 0
    wait_holder(net, vip4(net), "h2", 5)
    took = time.monotonic() - t0
    # Skew_Time for 100 at 1 s is 0.6 s; Master_Down_Interval would be 3.6 s.
    assert took < 2.0, took
    assert not has_vip(net, net.hosts[0], vip4(net))


@pytest.mark.parametrize("preempt", ["on", "off", "delay"])
def test_returning_master_preemption(lab, promvipd, preempt):
    net = lab(2)
    extra = {"on": "", "off": "preempt = false;", "delay": "preempt_delay = 2.0;"}[preempt]
    b = Agent(net, net.hosts[1], promvipd, config(priority=100, vips=[vip4(net) + "/24"], interval=INTERVAL))
    wait_holder(net, vip4(net), "h2", 5)
    t0 = time.monotonic()
    a = Agent(net, net.hosts[0], promvipd, config(priority=200, vips=[vip4(net) + "/24"], interval=INTERVAL,
                                                   extra=extra))
    if preempt == "off":
        time.sleep(3 * mdi(200))
        assert holders(net, vip4(net)) == ["h2"]
        assert a.state() == "BACKUP"
        return
    wait_holder(net, vip4(net), "h1", 10)
    took = time.monotonic() - t0
    if preempt == "delay":
        assert took >= 2.0, took
    else:
        assert took < 2.0, took
    b.wait_state("BACKUP", 5)


def test_interface_down_faults_master(lab, promvipd):
    net = lab(2)
    a = agents(net, promvipd, [150, 100])
    wait_holder(net, vip4(net), "h1", 5)
    net.run(net.hosts[0].ns, ["ip", "link", "set", "eth0", "down"], check=True)
    a[0].wait_state("FAULT", 5)
    assert not has_vip(net, net.hosts[0], vip4(net))
    wait_holder(net, vip4(net), "h2", 5)
    net.run(net.hosts[0].ns, ["ip", "link", "set", "eth0", "up"], check=True)
    # Back through INIT: BACKUP first, then it preempts with its higher priority.
    wait_for(lambda: ("prom", "FAULT", "BACKUP") in a[0].transitions(), 5, what="FAULT -> BACKUP")
    wait_holder(net, vip4(net), "h1", 5)


def test_vip_deleted_by_hand_comes_back(lab, promvipd):
    net = lab(1)
    a = agents(net, promvipd, [150])
    wait_holder(net, vip4(net), "h1", 5)
    net.run(net.hosts[0].ns, ["ip", "addr", "del", vip4(net) + "/24", "dev", "eth0"], check=True)
    wait_for(lambda: has_vip(net, net.hosts[0], vip4(net)), 5, what="VIP back")
    assert "was removed from eth0 by someone else" in a[0].proc.output()
    assert a[0].state() == "MASTER"


def test_stale_vip_removed_on_backup_start(lab, promvipd):
    net = lab(2)
    agents(net, promvipd, [150])
    wait_holder(net, vip4(net), "h1", 5)
    # A VIP left behind on h2 by a crashed agent.
    net.run(net.hosts[1].ns, ["ip", "addr", "add", vip4(net) + "/24", "dev", "eth0"], check=True)
    b = Agent(net, net.hosts[1], promvipd, config(priority=100, vips=[vip4(net) + "/24"], interval=INTERVAL))
    wait_for(lambda: not has_vip(net, net.hosts[1], vip4(net)), 5, what="stale VIP removed")
    b.wait_state("BACKUP", 5)
    assert holders(net, vip4(net)) == ["h1"]
    assert f"removing virtual address {vip4(net)}/24 that a previous run left on eth0" in b.proc.output()


@pytest.mark.parametrize("kind", ["ipv6", "unicast", "version2"])
def test_pair_variants(lab, promvipd, kind):
    net = lab(2)
    vip = vip6(net) if kind == "ipv6" else vip4(net)
    a = []
    for i, (host, prio) in enumerate(zip(net.hosts, (150, 100))):
        extra, version, interval = "", 3, INTERVAL
        if kind == "unicast":
            other = net.hosts[1 - i]
            extra = f'unicast_peers = ( "{other.addr4}" );'
        if kind == "version2":
            version, interval = 2, 1
        prefix = "/64" if kind == "ipv6" else "/24"
        a.append(Agent(net, host, promvipd, config(priority=prio, vips=[vip + prefix], version=version,
                                                    interval=interval, extra=extra)))
    wait_holder(net, vip, "h1", 10)
    a[1].wait_state("BACKUP", 5)
    # The backup hears the master (no drops for the wrong reasons).
    wait_for(lambda: int(a[1].counters()["instance prom"]["adverts_received"]) >= 2, 10,
             what="backup receives adverts")
    assert a[0].stop(signal.SIGKILL) == -signal.SIGKILL
    wait_for(lambda: has_vip(net, net.hosts[1], vip), (3 if kind == "version2" else 1) * 4 + 2,
             what="VIP on h2 after the master was killed")


def test_no_address_is_a_fault_until_one_appears(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    net.run(h1.ns, ["ip", "-4", "addr", "flush", "dev", "eth0"], check=True)
    a = Agent(net, h1, promvipd, config(priority=150, vips=[vip4(net) + "/24"], interval=INTERVAL))
    a.wait_state("FAULT", 5)
    assert "interface has no IPv4 address" in a.proc.output()
    assert not has_vip(net, h1, vip4(net))
    net.run(h1.ns, ["ip", "addr", "add", h1.addr4 + "/24", "dev", "eth0"], check=True)
    a.wait_state("MASTER", 5)
    wait_holder(net, vip4(net), "h1", 5)


def test_reload_keeps_unchanged_and_updates_changed_in_place(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    a = Agent(net, h1, promvipd, config(priority=150, vips=[vip4(net) + "/24"], interval=INTERVAL))
    a.wait_state("MASTER", 5)
    before = list(a.transitions())
    mark = len(a.sock.messages())
    a.proc.signal(signal.SIGHUP)
    a.sock.wait_for("READY=1", 5, since=mark)
    time.sleep(3 * INTERVAL)
    assert a.transitions() == before  # unchanged: no transition, VIP kept
    assert has_vip(net, h1, vip4(net))

    with open(a.path, "w") as f:
        f.write(config(priority=150, vips=[f"10.99.{net.number}.101/24"], interval=INTERVAL))
    mark = len(a.sock.messages())
    a.proc.signal(signal.SIGHUP)
    a.sock.wait_for("READY=1", 5, since=mark)
    wait_for(lambda: has_vip(net, h1, f"10.99.{net.number}.101"), 5, what="new VIP")
    assert not has_vip(net, h1, vip4(net))
    assert a.transitions() == before  # same virtual router: updated, not restarted
