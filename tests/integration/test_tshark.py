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
}


@pytest.mark.parametrize("case", CASES)
def test_tshark_decodes(lab, promvipd, case):
    opts = CASES[case]
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip6(net) + "/64" if opts.get("ipv6") else vip4(net) + "/24"
    cap = packets.Capture(net, net.client, count=3, duration=15)
    Agent(net, h1, promvipd, config(priority=150, vips=[vip], version=opts["version"],
                                    interval=0.5 if opts["version"] == 3 else 1, extra=opts["extra"]))
    got = cap.wait(pseudo_header=opts.get("pseudo", True))
    assert len(got) == 3, got
    for p in got:
        assert p["checksum_status"] == "good", p
        assert p["version"] == opts["version"] and p["type"] == 1 and p["vrid"] == 51, p
        assert p["prio"] == 150 and p["ttl"] == 255 and p["naddr"] == 1, p
        assert p["addrs"] == [vip.split("/")[0]], p
        if opts.get("ipv6"):
            assert p["src"].startswith("fe80::") and p["dst"] == "ff02::12", p
        else:
            assert p["src"] == h1.addr4 and p["dst"] == "224.0.0.18", p
        if opts["version"] == 2:
            assert p["auth_type"] == 1 and p["auth_string"] == "secret", p
            assert p["adver_int_cs"] == 100, p
        else:
            assert p["adver_int_cs"] == 50, p
