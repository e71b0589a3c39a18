"""Malformed advertisements injected from another namespace are dropped
and do not disturb the master; a valid one still acts. What the kernel
filter of the raw socket can tell from the headers (version, type,
interval 0, a length that does not fit the address count, VRID) never
reaches the daemon; an advert in the other version than the VRID's, or
with a TTL below 255 (a peer across a router), is passed as a sample (1 in
16); the rest is counted by reason. Counters are
read from the SIGUSR1 dump, polled until they show what is asserted
(bounded), not after a fixed sleep."""

import time

import pytest

import packets
from lab import wait_for
from vrrp import Agent, vip4

# kind crafted by packets.py -> the drop counter it must raise, and where.
EXPECTED = {
    "bad_checksum": ("socket", "drop_bad_checksum"),
}
# Kinds the socket filter drops in the kernel: the daemon never sees them.
KERNEL_DROPPED = ("version_4", "bad_type", "wrong_vrid", "truncated", "zero_interval")
MISMATCH_SAMPLE = 16


def two_instances(net, promvipd):
    """vrid 51 (v3) and vrid 52 (v2 with a password) on h1."""
    text = (f'instances = ( {{ name = "prom"; interface = "eth0"; vrid = 51; priority = 100;\n'
            f'  advert_interval = 0.5; virtual_addresses = ( "{vip4(net)}/24" ); }},\n'
            f'  {{ name = "v2"; interface = "eth0"; vrid = 52; priority = 100; version = 2;\n'
            f'  advert_interval = 1; auth = {{ type = "pass"; password = "secret"; }};\n'
            f'  virtual_addresses = ( "10.99.{net.number}.101/24" ); }} );\n')
    agent = Agent(net, net.hosts[0], promvipd, text)
    agent.wait_state("MASTER", 5, instance="prom")
    agent.wait_state("MASTER", 6, instance="v2")
    return agent


def wait_counters(agent, done, timeout=5, what="counters"):
    """Poll the SIGUSR1 dump until done(counters) holds; returns them."""
    got = []

    def check():
        got.append(agent.counters())
        return done(got[-1])
    wait_for(check, timeout, interval=0.1, what=lambda: f"{what} (got {got[-1:]})")
    return got[-1]


def all_counted(c):
    sock, inst, v2 = (c.get(k, {}) for k in ("socket eth0 IPv4", "instance prom", "instance v2"))
    return (all(int((sock if where == "socket" else inst).get(counter, 0)) >= 1
                for where, counter in EXPECTED.values())
            and int(v2.get("drop_bad_auth", 0)) >= 1)


def test_malformed_counted_and_dropped(lab, promvipd):
    net = lab(2)
    agent = two_instances(net, promvipd)
    h2 = net.hosts[1]
    vip = [vip4(net)]
    for kind in EXPECTED:
        packets.send(net, h2, kind, addrs=vip, vrid=51, prio=200)
    packets.send(net, h2, "v2_bad_auth", addrs=[f"10.99.{net.number}.101"], vrid=52, prio=200,
                 auth_pass="secret", wrong_pass="guess")
    c = wait_counters(agent, all_counted, what="every malformed advert counted")
    sock, inst, v2 = c["socket eth0 IPv4"], c["instance prom"], c["instance v2"]
    for kind, (where, counter) in EXPECTED.items():
        got = sock if where == "socket" else inst
        assert int(got.get(counter, 0)) >= 1, (kind, counter, c)
    assert int(v2.get("drop_bad_auth", 0)) == 1, c
    # Priority 200 in every one of them, yet nothing moved.
    assert agent.state("prom") == "MASTER" and agent.state("v2") == "MASTER"
    assert int(inst["adverts_received"]) == 0

    # The same path does deliver a valid advert: priority 200 takes over.
    packets.send(net, h2, "valid", addrs=vip, vrid=51, prio=200)
    agent.wait_state("BACKUP", 3, instance="prom")


def received(agent):
    return int(agent.counters()["socket eth0 IPv4"]["received"])


def test_kernel_filter_drops_junk_before_the_daemon(lab, promvipd):
    """A flood of adverts for a VRID nobody runs here, and of the other
    kinds the filter knows, leaves the socket's receive counter where it
    was; a valid advert right after it still gets through and acts."""
    net = lab(2)
    agent = two_instances(net, promvipd)
    h2 = net.hosts[1]
    vip = [vip4(net)]
    before = received(agent)
    # wrong_vrid adds one to the VRID: 99 -> 100, which nobody here runs;
    # the others carry VRID 51, which h1 runs.
    for vrid, kinds in ((99, ["wrong_vrid"]), (51, [k for k in KERNEL_DROPPED if k != "wrong_vrid"])):
        flood = packets.spawn_flood(net, h2, addrs=vip, vrid=vrid, prio=200, rate=2000,
                                    duration=1.0, mix=kinds)
        assert flood.wait(15) == 0, flood.output()
        assert packets.flooded_count(flood) >= 1000, flood.output()
    time.sleep(0.2)
    assert received(agent) == before, agent.counters()
    assert agent.state("prom") == "MASTER" and agent.state("v2") == "MASTER"

    packets.send(net, h2, "valid", addrs=vip, vrid=51, prio=200)
    agent.wait_state("BACKUP", 3, instance="prom")
    assert received(agent) == before + 1, agent.counters()


@pytest.mark.parametrize("kind, where, counter", [
    ("version_2", "instance prom", "drop_version_mismatch"),
    ("ttl_254", "socket eth0 IPv4", "drop_bad_ttl"),
])
def test_sampled(lab, promvipd, kind, where, counter):
    """VRRPv2 adverts for the v3 router, and adverts whose TTL is 254 (a
    peer across a router without unicast_min_ttl), reach the daemon as a
    sample: a misconfigured peer still shows as version_mismatch or
    bad_ttl, a flood of them costs about 1/16."""
    net = lab(2)
    agent = two_instances(net, promvipd)
    before = received(agent)
    flood = packets.spawn_flood(net, net.hosts[1], kind, addrs=[vip4(net)], vrid=51, prio=200,
                                rate=2000, duration=1.0)
    assert flood.wait(15) == 0, flood.output()
    sent = packets.flooded_count(flood)
    assert sent >= 1000, flood.output()
    # Binomial(sent, 1/16): at least a quarter and at most four times the mean.
    c = wait_counters(agent, lambda c: int(c[where].get(counter, 0))
                      >= sent // MISMATCH_SAMPLE // 4, what="a sample counted")
    got = int(c[where][counter])
    assert got <= 4 * sent // MISMATCH_SAMPLE, (sent, c)
    assert received(agent) - before == got, c
    assert agent.state("prom") == "MASTER"


def test_split_brain_and_rfc9568_checksum(lab, promvipd):
    """Another master of lower priority (that did not hear us) is counted as
    split brain; we stay master and advertise at once. Its checksum leaves
    out the pseudo-header (RFC 9568): accepted and counted."""
    net = lab(2)
    agent = two_instances(net, promvipd)
    sender = packets.spawn_sender(net, net.hosts[1], "valid_no_pseudo", addrs=[vip4(net)],
                                  vrid=51, prio=50, count=3, interval=0.3)
    wait_for(lambda: packets.sent_count(sender) == 3, 10, what="3 adverts sent")
    c = wait_counters(agent, lambda c: int(c.get("instance prom", {}).get("split_brain", 0)) >= 3
                      and int(c.get("instance prom", {}).get("rfc9568_checksums", 0)) >= 3,
                      what="3 split brains and 3 RFC 9568 checksums")["instance prom"]
    assert int(c["split_brain"]) >= 3, c
    assert int(c["rfc9568_checksums"]) >= 3, c
    assert agent.state("prom") == "MASTER"
    assert "split brain" in agent.proc.output()
