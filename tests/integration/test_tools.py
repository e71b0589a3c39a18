"""Self-tests of the VRRP test tooling (keepalived.py, packets.py, the tshark
helpers) against Debian's keepalived only: no promvipd here. If these fail,
the interop tests that use the tooling cannot be trusted."""

import importlib.util
import os
import re
import shutil
import time

import pytest

import keepalived
import packets
from lab import has_address, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS_H = os.path.join(HERE, "..", "unit", "keepalived-vectors.h")
ELECTION = 10  # s: Master_Down_Interval is 3.4..3.7 s with advert_int 1


@pytest.fixture(autouse=True)
def tools():
    """keepalived, tshark and scapy are Debian packages the tests need."""
    missing = []
    if keepalived.available():
        missing.append("keepalived")
    if not shutil.which(packets.TSHARK):
        missing.append("tshark")
    if importlib.util.find_spec("scapy") is None:
        missing.append("python3-scapy")
    if missing:
        pytest.fail(f"missing Debian packages: {' '.join(missing)} (apt-get install them)",
                    pytrace=False)


def vip_of(net, host=100):
    return f"10.99.{net.number}.{host}"


# -- crafting: pure, against keepalived's captured packets ------------------
def c_arrays(path):
    """name -> bytes of the `static const uint8_t NAME[] = {...}` arrays."""
    with open(path) as f:
        text = f.read()
    arrays = {}
    for m in re.finditer(r"static const uint8_t (\w+)\[\] = \{([^}]*)\}", text):
        arrays[m[1]] = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", m[2]))
    return arrays


@pytest.mark.parametrize("name,kind,params", [
    ("keepalived_v3_ipv4", "valid",
     dict(vrid=51, prio=150, src="10.99.250.11", addrs=["10.99.250.100"])),
    ("keepalived_v3_ipv4_2vips", "valid",
     dict(vrid=52, prio=100, src="10.99.250.11", addrs=["10.99.250.101", "10.99.250.102"],
          adver_int_cs=50)),
    ("keepalived_v3_ipv4_stop", "valid",
     dict(vrid=51, prio=0, src="10.99.250.11", addrs=["10.99.250.100"], ident=4)),
    ("keepalived_v3_ipv4_unicast", "valid",
     dict(vrid=56, prio=100, src="10.99.250.11", dst="10.99.250.2", addrs=["10.99.250.105"])),
    ("keepalived_v2_ipv4", "v2_valid",
     dict(vrid=53, prio=100, src="10.99.250.11", addrs=["10.99.250.103"])),
    ("keepalived_v2_ipv4_pass", "v2_valid",
     dict(vrid=54, prio=100, src="10.99.250.11", addrs=["10.99.250.104"], auth_pass="secret")),
    ("keepalived_v3_ipv6", "valid",
     dict(vrid=55, prio=100, src="fe80::99:faff:fe00:11", addrs=["2001:db8:250::100"])),
])
def test_crafted_adverts_match_keepalived_vectors(name, kind, params):
    """packets.craft() builds byte for byte what keepalived sent (IPv4: the
    whole datagram; IPv6: the VRRP message); checksum() agrees."""
    expected = c_arrays(VECTORS_H)[name]
    crafted = packets.craft(kind, **params)
    if ":" in params["src"]:
        crafted = packets.vrrp_part(crafted)
        assert packets.checksum(expected, params["src"], packets.MCAST6) == 0
    else:
        vrrp = packets.vrrp_part(expected)
        if expected[20] >> 4 == 3:
            dst = params.get("dst", packets.MCAST4)
            assert packets.checksum(vrrp, params["src"], dst) == 0
            assert packets.checksum(vrrp) != 0
        else:
            assert packets.checksum(vrrp) == 0
    assert crafted.hex() == expected.hex()


def test_malformed_kinds_differ_from_valid_as_named():
    base = dict(vrid=51, prio=200, src="10.99.250.2", addrs=["10.99.250.100"])
    valid = packets.vrrp_part(packets.craft("valid", **base))
    src, dst = base["src"], packets.MCAST4
    assert packets.checksum(valid, src, dst) == 0

    def vrrp(kind, **kw):
        return packets.vrrp_part(packets.craft(kind, **{**base, **kw}))
    bad = vrrp("bad_checksum")
    assert packets.checksum(bad, src, dst) != 0 and packets.checksum(bad) != 0
    assert bad[:6] + bad[8:] == valid[:6] + valid[8:]
    no_pseudo = vrrp("valid_no_pseudo")
    assert packets.checksum(no_pseudo) == 0 and packets.checksum(no_pseudo, src, dst) != 0
    assert packets.craft("ttl_254", **base)[8] == 254
    assert vrrp("version_4")[0] == 0x41 and packets.checksum(vrrp("version_4"), src, dst) == 0
    assert vrrp("bad_type")[0] == 0x32
    assert vrrp("wrong_vrid")[1] == 52
    assert vrrp("wrong_vrid", vrid=255)[1] == 1
    truncated = vrrp("truncated")
    assert truncated[3] == 2 and len(truncated) == 12
    assert packets.checksum(truncated, src, dst) == 0
    assert vrrp("zero_interval")[4:6] == b"\0\0"
    v2 = vrrp("version_2")
    assert v2[0] == 0x21 and len(v2) == 20 and packets.checksum(v2) == 0
    auth = vrrp("v2_bad_auth", auth_pass="secret", wrong_pass="nope")
    assert auth[4] == 1 and auth[-8:] == b"nope\0\0\0\0" and packets.checksum(auth) == 0
    assert vrrp("v2_valid", auth_pass="secret")[-8:] == b"secret\0\0"
    assert packets.checksum(vrrp("v2_bad_checksum", auth_pass="secret")) != 0


# -- keepalived peers --------------------------------------------------------
@pytest.mark.parametrize("how", ["kill", "stop", "unicast-kill"])
def test_keepalived_election_and_failover(lab, how):
    """Two keepalived peers elect the higher priority as master (it holds
    the VIP), and the other takes over when the master dies (kill: after
    Master_Down_Interval; stop: its priority-0 advert, after Skew_Time)."""
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip_of(net)
    unicast = how.startswith("unicast")
    peers = {h1: [h2.addr4], h2: [h1.addr4]} if unicast else {h1: [], h2: []}
    ka1 = keepalived.start(net, h1, priority=100, vips=[vip + "/24"], unicast_src=h1.addr4,
                           unicast_peers=peers[h1])
    ka2 = keepalived.start(net, h2, priority=150, vips=[vip + "/24"], unicast_src=h2.addr4,
                           unicast_peers=peers[h2])
    ka2.wait_state("MASTER", ELECTION)
    wait_for(lambda: has_address(net, h2, vip), 5, what=f"{vip} on h2")
    assert ka1.state() == "BACKUP", ka1.output()
    assert not has_address(net, h1, vip)

    mark = ka1.mark()
    t0 = time.monotonic()
    if how.endswith("kill"):
        ka2.kill()
    else:
        assert ka2.stop() == 0
    ka1.wait_state("MASTER", ELECTION, since=mark)
    elapsed = time.monotonic() - t0
    wait_for(lambda: has_address(net, h1, vip), 5, what=f"{vip} on h1")
    if how == "stop":
        assert ka1.log_has("Backup received priority 0 advertisement", since=mark), ka1.output()
        # Skew_Time = (256 - 100) / 256 s = 0.61 s, far below Master_Down_Interval (3.6 s)
        assert elapsed < 2.5, f"takeover after a priority-0 advert took {elapsed:.2f}s"
        assert "sent 0 priority" in ka2.output()
        assert not has_address(net, h2, vip), "a stopped keepalived removes its VIP"
    else:
        # Master_Down_Interval (3.6 s) after the last advert, at most 1 s before the kill
        assert elapsed > 2.0, f"takeover after a crash took only {elapsed:.2f}s"
        assert has_address(net, h2, vip), "a killed keepalived leaves its VIP behind"
        assert "sent 0 priority" not in ka2.output()


def test_render_config_options_accepted(lab):
    """Every option of render_config() passes keepalived --config-test."""
    net = lab(1)
    h1 = net.hosts[0]
    variants = [
        dict(),
        dict(version=2, auth_pass="secret", nopreempt=True),
        dict(advert_int=0.25, vips=[vip_of(net) + "/24", vip_of(net, 101) + "/24"]),
        dict(unicast_src=h1.addr4, unicast_peers=["10.99.%d.12" % net.number],
             check_unicast_src=True),
        dict(vips=["2001:db8:%d::100/64" % net.number]),
    ]
    for i, kw in enumerate(variants):
        kw.setdefault("vips", [vip_of(net) + "/24"])
        text = keepalived.render_config(**kw)
        path = net.write(f"variant{i}.conf", text)
        r = net.run(h1.ns, [keepalived.KEEPALIVED, "--config-test", f"--use-file={path}"])
        assert r.returncode == 0, f"{kw}:\n{r.stdout}{r.stderr}\n{text}"
    # and a broken one is refused, so the check means something
    bad = net.write("bad.conf", keepalived.render_config(vips=[vip_of(net) + "/24"])
                    .replace("priority 100", "priority 300"))
    assert net.run(h1.ns, [keepalived.KEEPALIVED, "--config-test", f"--use-file={bad}"]).returncode


# -- tshark ------------------------------------------------------------------
@pytest.mark.parametrize("case", ["v3-ipv4", "v2-ipv4-pass", "v3-ipv6"])
def test_tshark_decodes_keepalived_adverts(lab, case):
    net = lab(1)
    h1, client = net.hosts[0], net.client
    if case == "v3-ipv6":
        vip, kw = f"2001:db8:{net.number}::100", dict(version=3)
    elif case == "v2-ipv4-pass":
        vip, kw = vip_of(net), dict(version=2, auth_pass="secret")
    else:
        vip, kw = vip_of(net), dict(version=3)
    cap = packets.Capture(net, client, count=2, duration=ELECTION + 3)
    prefix = "/64" if ":" in vip else "/24"
    ka = keepalived.start(net, h1, vrid=42, priority=150, vips=[vip + prefix], **kw)
    got = cap.wait()
    assert len(got) == 2, (got, ka.output())
    for p in got:
        assert p["checksum_status"] == "good", p
        assert (p["version"], p["type"], p["vrid"], p["prio"]) == (kw["version"], 1, 42, 150), p
        assert p["naddr"] == 1 and p["addrs"] == [vip], p
        assert p["ttl"] == 255 and p["adver_int_cs"] == 100, p
        if case == "v3-ipv6":
            assert p["family"] == 6 and p["dst"] == "ff02::12", p
            assert p["src"].startswith("fe80:"), p
        else:
            assert p["family"] == 4 and (p["src"], p["dst"]) == (h1.addr4, "224.0.0.18"), p
    if case == "v2-ipv4-pass":
        assert [p["auth_type"] for p in got] == [1, 1]
        assert [p["auth_string"] for p in got] == ["secret", "secret"]
    if case == "v3-ipv4":
        # keepalived's v3 IPv4 checksum includes the pseudo-header: without it
        # tshark finds it bad.
        again = packets.read_pcap(cap.path, pseudo_header=False)
        assert [p["checksum_status"] for p in again] == ["bad", "bad"], again


def test_tshark_checks_crafted_checksums(lab):
    """Crafted packets as tshark sees them on the wire: checksums as named."""
    net = lab(1)
    h1, client = net.hosts[0], net.client
    cap = packets.Capture(net, h1, count=4, duration=15)
    common = dict(vrid=7, prio=200, addrs=[vip_of(net)])
    for kind in ("valid", "bad_checksum", "valid_no_pseudo"):
        packets.send(net, client, kind, **common)
    packets.send(net, client, "valid", vrid=7, prio=200, addrs=[f"2001:db8:{net.number}::100"],
                 src=None, dst="ff02::12")
    got = cap.wait()
    assert [p["checksum_status"] for p in got] == ["good", "bad", "bad", "good"], got
    assert [p["checksum_status"] for p in packets.read_pcap(cap.path, pseudo_header=False)][:3] \
        == ["bad", "bad", "good"]
    assert [(p["family"], p["vrid"], p["prio"], p["src"]) for p in got] == \
        [(4, 7, 200, client.addr4)] * 3 + [(6, 7, 200, got[3]["src"])]
    assert got[3]["src"].startswith("fe80:") and got[3]["addrs"] == [f"2001:db8:{net.number}::100"]


# -- crafted adverts against keepalived ---------------------------------------
def master(net, **kw):
    """keepalived alone in h1 with priority 100, waited for as MASTER."""
    h1 = net.hosts[0]
    ka = keepalived.start(net, h1, priority=100, **kw)
    ka.wait_state("MASTER", ELECTION)
    wait_for(lambda: has_address(net, h1, vip_of(net)), 5, what="VIP on h1")
    return ka


def test_crafted_higher_priority_advert_demotes_keepalived(lab):
    """A valid crafted advert with priority 200 turns keepalived (master,
    priority 100) into a backup without its VIP; when the crafted master
    falls silent, keepalived takes over again after Master_Down_Interval."""
    net = lab(1)
    h1 = net.hosts[0]
    ka = master(net, vrid=51)
    mark = ka.mark()
    sender = packets.spawn_sender(net, net.client, "valid", vrid=51, prio=200,
                                  addrs=[vip_of(net)], count=3, interval=1.0)
    ka.wait_state("BACKUP", 5, since=mark)
    assert ka.log_has(f"Master received advert from {net.client.addr4} with higher priority 200, "
                      "ours 100", since=mark), ka.output()
    wait_for(lambda: not has_address(net, h1, vip_of(net)), 5, what="VIP removed from h1")
    assert sender.wait(10) == 0 and packets.sent_count(sender) == 3
    assert ka.states(since=mark) == ["BACKUP"], "stayed backup while the crafted master spoke"
    ka.wait_state("MASTER", ELECTION, since=mark)
    wait_for(lambda: has_address(net, h1, vip_of(net)), 5, what="VIP back on h1")


# kind -> keepalived's log line for it (None: dropped without a word)
IGNORED_V3 = {
    "bad_checksum": "Invalid VRRPv3 checksum",
    "valid_no_pseudo": "Invalid VRRPv3 checksum",
    "ttl_254": "invalid TTL/HL. Received 254 and expect 255",
    "version_4": "wrong version. Received 4 and expect 3",
    "version_2": "wrong version. Received 2 and expect 3",
    "bad_type": "Invalid packet type. 2 and expect 1",
    "wrong_vrid": None,
    "truncated": "vrrp packet too short",
}
IGNORED_V2 = {
    "v2_bad_auth": "received an invalid passwd!",
    "v2_bad_checksum": "Invalid VRRPv2 checksum",
}


@pytest.mark.parametrize("kind", list(IGNORED_V3) + list(IGNORED_V2))
def test_malformed_advert_is_ignored_by_keepalived(lab, kind):
    """A malformed advert with priority 200 leaves keepalived (master,
    priority 100) master with its VIP; the same advert made valid then
    demotes it, so the bad one did arrive and was refused."""
    net = lab(1)
    h1, client = net.hosts[0], net.client
    v2 = kind in IGNORED_V2
    auth = dict(version=2, auth_pass="secret") if v2 else {}
    ka = master(net, vrid=51, **auth)
    common = dict(vrid=51, prio=200, addrs=[vip_of(net)],
                  **({"auth_pass": "secret"} if v2 else {}))
    expected = (IGNORED_V2 if v2 else IGNORED_V3)[kind]

    mark = ka.mark()
    packets.send(net, client, kind, count=2, interval=0.2, **common)
    if expected:
        wait_for(lambda: ka.output()[mark:].count(expected) >= 2, 5,
                 what=lambda: f"{expected!r} twice in:\n{ka.output()[mark:]}")
        assert all(expected in line for line in ka.drops(since=mark)), ka.output()[mark:]
    else:
        time.sleep(1.0)  # nothing to wait for: keepalived says nothing
    assert ka.states(since=mark) == [], ka.output()[mark:]
    assert has_address(net, h1, vip_of(net))

    mark = ka.mark()
    packets.send(net, client, "v2_valid" if v2 else "valid", **common)
    ka.wait_state("BACKUP", 5, since=mark)
    wait_for(lambda: not has_address(net, h1, vip_of(net)), 5, what="VIP removed from h1")


def test_crafted_unicast_advert_from_peer_only(lab):
    """keepalived in unicast mode with vrrp_check_unicast_src: a valid
    advert sent to its address by a host not in unicast_peer is dropped,
    the same from the listed peer (the client) demotes it."""
    net = lab(2)
    h1, h2, client = net.hosts[0], net.hosts[1], net.client
    ka = master(net, vrid=51, unicast_src=h1.addr4, unicast_peers=[client.addr4],
                check_unicast_src=True)
    common = dict(vrid=51, prio=200, addrs=[vip_of(net)], dst=h1.addr4)
    mark = ka.mark()
    packets.send(net, h2, "valid", **common)
    wait_for(lambda: ka.log_has(f"unicast source address {h2.addr4} not a unicast peer", mark),
             5, what=lambda: f"the drop logged:\n{ka.output()[mark:]}")
    assert ka.states(since=mark) == [] and has_address(net, h1, vip_of(net))
    packets.send(net, client, "valid", **common)
    ka.wait_state("BACKUP", 5, since=mark)
    assert ka.log_has(f"Master received advert from {client.addr4}", mark), ka.output()[mark:]
