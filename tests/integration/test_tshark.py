"""tshark (Wireshark's dissector) decodes promvipd's advertisements as valid
VRRP with correct checksums, for every version and family."""

import pytest

import packets
from vrrp import Agent, config, vip4, vip6

CASES = {
    "v3-ipv4": dict(version=3, extra=""),
    "v3-ipv4-rfc9568": dict(version=3, extra="checksum_pseudo_header = false;", pseudo=False),
    "v2-ipv4-pass": dict(version=2, extra='auth = { type = "pass"; password = "secret"; };'),
    "v3-ipv6": dict(version=3, extra="", ipv6=True),
    "v3-ipv4-source": dict(version=3, source="192.0.2.7"),
}


@pytest.mark.parametrize("case", CASES)
def test_tshark_decodes(lab, promvipd, case):
    opts = CASES[case]
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip6(net) + "/64" if opts.get("ipv6") else vip4(net) + "/24"
    extra = opts.get("extra", "")
    if opts.get("source"):
        net.run(h1.ns, ["ip", "addr", "add", opts["source"] + "/24", "dev", "eth0"], check=True)
        extra = f'source_address = "{opts["source"]}";'
    cap = packets.Capture(net, net.client, count=4, duration=15)
    Agent(net, h1, promvipd, config(priority=150, vips=[vip], version=opts["version"],
                                    interval=0.5 if opts["version"] == 3 else 1, extra=extra))
    got = cap.wait(pseudo_header=opts.get("pseudo", True))
    assert len(got) == 4, got
    # The advertisements keep their rhythm (on the multiples of the
    # interval, timers at a thousandth of it); the first gap follows the
    # advert of becoming master, off that grid, and may be shorter. The
    # margin is generous for a loaded CI machine.
    period = 0.5 if opts["version"] == 3 else 1.0
    gaps = [b["time"] - a["time"] for a, b in zip(got, got[1:])]
    assert all(abs(g - period) < 0.05 for g in gaps[1:]), gaps
    assert all(g < period + 0.05 for g in gaps), gaps
    for p in got:
        assert p["checksum_status"] == "good", p
        assert p["version"] == opts["version"] and p["type"] == 1 and p["vrid"] == 51, p
        assert p["prio"] == 150 and p["ttl"] == 255 and p["naddr"] == 1, p
        assert p["addrs"] == [vip.split("/")[0]], p
        if opts.get("ipv6"):
            assert p["src"].startswith("fe80::") and p["dst"] == "ff02::12", p
        else:
            assert p["src"] == opts.get("source", h1.addr4) and p["dst"] == "224.0.0.18", p
        if opts["version"] == 2:
            assert p["auth_type"] == 1 and p["auth_string"] == "secret", p
            assert p["adver_int_cs"] == 100, p
        else:
            assert p["adver_int_cs"] == 50, p
