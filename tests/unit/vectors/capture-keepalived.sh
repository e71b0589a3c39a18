#!/usr/bin/env bash
# Captures the VRRP advertisements of Debian's keepalived and prints them as
# C test data: the committed tests/unit/keepalived-vectors.h is this script's
# output. Regenerate (as root, Debian 12) with
#
#   tests/unit/vectors/capture-keepalived.sh > tests/unit/keepalived-vectors.h
#
# Needs keepalived, tcpdump, tshark (cross-check of the checksums) and
# /usr/bin/python3 (stdlib only). Set PVK_KEEP=1 to keep the work directory
# (configs, keepalived logs, pcap files) and print its path on stderr.
#
# Network safety: everything happens in three namespaces of its own,
# pvk-<pid>-br (a bridge), pvk-<pid>-ka (keepalived) and pvk-<pid>-cap
# (tcpdump), joined by veth pairs created inside them; nothing touches the
# root namespace. Addresses: 10.99.250.0/24 and 2001:db8:250::/64. The
# namespaces and every process started here (killed by PID) are removed on
# exit, also on errors and Ctrl-C. Every wait is bounded.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
        echo "error: run as root (network namespaces)" >&2
        exit 1
fi
for cmd in keepalived tcpdump tshark ip timeout; do
        command -v "$cmd" >/dev/null || { echo "error: $cmd not found" >&2; exit 1; }
done

NS=pvk-$$
WORK=$(mktemp -d /tmp/pvk-capture.XXXXXX)
KA_PID=
CAP_PID=

cleanup() {
        set +e
        for pid in $KA_PID $CAP_PID; do
                kill -KILL "$pid" 2>/dev/null
        done
        for n in ka cap br; do
                if ip netns list | grep -qw "$NS-$n"; then
                        for pid in $(ip netns pids "$NS-$n"); do
                                kill -KILL "$pid" 2>/dev/null
                        done
                        ip netns del "$NS-$n"
                fi
        done
        if [ "${PVK_KEEP:-0}" = 1 ]; then
                echo "work directory kept: $WORK" >&2
        else
                rm -rf "$WORK"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- the lab: keepalived's namespace and a capturing one on a bridge --------
for n in br ka cap; do
        ip netns add "$NS-$n"
        ip -n "$NS-$n" link set lo up
done
ip -n "$NS-br" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$NS-br" link set br0 up
# Fixed MACs, so that the IPv6 link-local source (EUI-64) is reproducible.
declare -A MAC=([ka]=02:99:fa:00:00:11 [cap]=02:99:fa:00:00:02)
declare -A OCTET=([ka]=11 [cap]=2)
for n in ka cap; do
        ip netns exec "$NS-$n" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
                net.ipv6.conf.default.accept_dad=0
        ip -n "$NS-$n" link add eth0 address "${MAC[$n]}" type veth peer name "v-$n" netns "$NS-br"
        ip -n "$NS-br" link set "v-$n" master br0 up
        ip -n "$NS-$n" addr add "10.99.250.${OCTET[$n]}/24" dev eth0
        ip -n "$NS-$n" addr add "2001:db8:250::${OCTET[$n]}/64" dev eth0 nodad
        ip -n "$NS-$n" link set eth0 up
done

# -- the cases --------------------------------------------------------------
# conf NAME VERSION VRID PRIORITY ADVERT_INT AUTH PEER VIP...: a minimal
# keepalived.conf with one instance; AUTH is "-" or a PASS password, PEER
# "-" (multicast) or the address of a unicast peer.
conf() {
        local name=$1 version=$2 vrid=$3 prio=$4 adv=$5 auth=$6 peer=$7
        shift 7
        {
                echo "global_defs {"
                echo "    router_id pvk-capture"
                echo "    vrrp_garp_master_delay 0"
                echo "}"
                echo "vrrp_instance $name {"
                echo "    state BACKUP"
                echo "    interface eth0"
                echo "    version $version"
                echo "    virtual_router_id $vrid"
                echo "    priority $prio"
                echo "    advert_int $adv"
                if [ "$auth" != - ]; then
                        echo "    authentication {"
                        echo "        auth_type PASS"
                        echo "        auth_pass $auth"
                        echo "    }"
                fi
                if [ "$peer" != - ]; then
                        echo "    unicast_src_ip 10.99.250.${OCTET[ka]}"
                        echo "    unicast_peer {"
                        echo "        $peer"
                        echo "    }"
                fi
                echo "    virtual_ipaddress {"
                for vip in "$@"; do
                        echo "        $vip"
                done
                echo "    }"
                echo "}"
        } >"$WORK/$name.conf"
}

# capture NAME: runs keepalived with $WORK/NAME.conf until it has been master
# for a few advertisements, stops it with SIGTERM (so that it sends its
# priority-0 advertisement) and leaves every VRRP packet it sent, as seen
# from the other namespace, in $WORK/NAME.pcap.
capture() {
        local name=$1 i
        timeout -s INT 60 ip netns exec "$NS-cap" tcpdump -Z root -U -i eth0 -w "$WORK/$name.pcap" \
                'ip proto 112 or ip6 proto 112' >"$WORK/$name.tcpdump.log" 2>&1 &
        CAP_PID=$!
        for i in $(seq 50); do
                grep -q "listening on" "$WORK/$name.tcpdump.log" && break
                sleep 0.1
        done
        ip netns exec "$NS-ka" keepalived --dont-fork --log-console --log-detail --no-syslog \
                --vrrp --use-file="$WORK/$name.conf" \
                --pid="$WORK/$name.pid" --vrrp_pid="$WORK/$name.vrrp.pid" \
                --checkers_pid="$WORK/$name.checkers.pid" --bfd_pid="$WORK/$name.bfd.pid" \
                >"$WORK/$name.keepalived.log" 2>&1 &
        KA_PID=$!
        for i in $(seq 100); do
                grep -q "Entering MASTER STATE" "$WORK/$name.keepalived.log" && break
                sleep 0.1
        done
        grep -q "Entering MASTER STATE" "$WORK/$name.keepalived.log" || {
                cat "$WORK/$name.keepalived.log" >&2
                echo "error: keepalived ($name) did not become master within 10 s" >&2
                exit 1
        }
        sleep 2.5 # a few advertisements as master
        kill -TERM "$KA_PID"
        for i in $(seq 50); do
                kill -0 "$KA_PID" 2>/dev/null || break
                sleep 0.1
        done
        wait "$KA_PID" || true
        KA_PID=
        sleep 0.5
        kill -INT "$CAP_PID" 2>/dev/null || true
        wait "$CAP_PID" || true
        CAP_PID=
        echo "== $name" >&2
        grep -E "Entering|sent 0 priority|WARNING|error" "$WORK/$name.keepalived.log" >&2 || true
}

conf VI_A 3 51 150 1 - - 10.99.250.100/24
conf VI_B 3 52 100 0.5 - - 10.99.250.101/24 10.99.250.102/24
conf VI_C 2 53 100 1 - - 10.99.250.103/24
conf VI_D 2 54 100 1 secret - 10.99.250.104/24
conf VI_E 3 55 100 1 - - 2001:db8:250::100/64
conf VI_G 3 56 100 1 - "10.99.250.${OCTET[cap]}" 10.99.250.105/24
CASES="VI_A VI_B VI_C VI_D VI_E VI_G"
for name in $CASES; do
        capture "$name"
done

# -- tshark's view, to cross-check the checksums ----------------------------
for name in $CASES; do
        tshark -r "$WORK/$name.pcap" -o vrrp.v3_checksum_as_in_v2:FALSE -T fields \
                -e frame.number -e vrrp.version -e vrrp.virt_rtr_id -e vrrp.prio \
                -e vrrp.checksum.status >"$WORK/$name.tshark" 2>/dev/null
        tshark -r "$WORK/$name.pcap" -o vrrp.v3_checksum_as_in_v2:TRUE -T fields \
                -e frame.number -e vrrp.version -e vrrp.virt_rtr_id -e vrrp.prio \
                -e vrrp.checksum.status >"$WORK/$name.tshark-as-v2" 2>/dev/null
done

/usr/bin/python3 - "$WORK" "$(keepalived --version 2>&1 | head -n1)" \
        "$(tshark --version 2>/dev/null | head -n1)" "$(tcpdump --version 2>&1 | head -n1)" <<'EOF'
import ipaddress
import os
import struct
import sys

work, ka_version, tshark_version, tcpdump_version = sys.argv[1:5]


def frames(path):
    """(number, ethernet frame) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = {0xA1B2C3D4: "<", 0xD4C3B2A1: ">", 0xA1B23C4D: "<", 0x4D3CB2A1: ">"}[magic]
    assert struct.unpack(endian + "I", data[20:24])[0] == 1, "not Ethernet"
    off, number = 24, 0
    while off < len(data):
        _, _, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        assert caplen == wirelen, "truncated capture"
        number += 1
        yield number, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tshark_status(name, suffix=".tshark"):
    """frame number -> tshark's vrrp.checksum.status (1 = good, 0 = bad)."""
    out = {}
    with open(os.path.join(work, name + suffix)) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            out[int(cols[0])] = cols[4]
    return out


def decode(frame):
    """The parts of one captured advertisement."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800:
        ip = frame[14:]
        ihl = (ip[0] & 0xF) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        assert ip[0] >> 4 == 4 and ihl == 20 and ip[9] == 112, ip[:20].hex()
        ip = ip[:total]
        assert csum(ip[:ihl]) == 0, "bad IPv4 header checksum"
        src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
        vrrp, ttl, datagram = ip[ihl:], ip[8], ip
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 112, len(vrrp))
        family, alen = "AF_INET", 4
    elif ethertype == 0x86DD:
        ip = frame[14:]
        plen = struct.unpack("!H", ip[4:6])[0]
        assert ip[6] == 112, "IPv6 extension headers"
        src, dst = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
        vrrp, ttl = ip[40:40 + plen], ip[7]
        datagram = vrrp
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(vrrp), 112)
        family, alen = "AF_INET6", 16
    else:
        raise AssertionError(f"ethertype {ethertype:#x}")
    version, vtype = vrrp[0] >> 4, vrrp[0] & 0xF
    assert vtype == 1, "not an advertisement"
    vrid, prio, naddr = vrrp[1], vrrp[2], vrrp[3]
    if version == 3:
        adv_cs = struct.unpack("!H", vrrp[4:6])[0] & 0x0FFF
        auth_type, auth_data = None, b""
        addr_off = 8
    else:
        auth_type, adv_cs = vrrp[4], vrrp[5] * 100
        addr_off = 8
        auth_data = vrrp[addr_off + naddr * alen:addr_off + naddr * alen + 8]
    addrs = [str(ipaddress.ip_address(vrrp[addr_off + i * alen:addr_off + (i + 1) * alen]))
             for i in range(naddr)]
    expected_len = addr_off + naddr * alen + (8 if version == 2 else 0)
    assert len(vrrp) == expected_len, (len(vrrp), expected_len)
    plain_ok = csum(vrrp) == 0
    pseudo_ok = csum(pseudo + vrrp) == 0
    if version == 2:
        assert plain_ok, "v2 checksum"
        pseudo_header = False
    elif family == "AF_INET6":
        assert pseudo_ok, "v3 IPv6 checksum"
        pseudo_header = True
    else:
        # Exactly one variant must match. Older keepalived versions put
        # 224.0.0.18 into the pseudo-header even when sending unicast
        # (old_unicast_checksum): rule that out too.
        mcast = src.packed + bytes([224, 0, 0, 18]) + pseudo[8:]
        assert not (dst.packed != mcast[4:8] and csum(mcast + vrrp) == 0), \
            "pseudo-header with 224.0.0.18 for a unicast destination"
        assert plain_ok != pseudo_ok, "v3 IPv4 checksum: exactly one variant must match"
        pseudo_header = pseudo_ok
    assert ttl == 255, f"TTL / hop limit {ttl}"
    return dict(family=family, datagram=datagram, vrrp=vrrp, src=str(src), dst=str(dst),
                ttl=ttl, version=version, vrid=vrid, prio=prio, naddr=naddr,
                adv_cs=adv_cs, addrs=addrs, auth_type=auth_type, auth_data=auth_data,
                pseudo_header=pseudo_header)


def pick(name, stop):
    """The first advertisement of the capture (stop: the priority-0 one)."""
    status = tshark_status(name)
    status_as_v2 = tshark_status(name, ".tshark-as-v2")
    for number, frame in frames(os.path.join(work, name + ".pcap")):
        v = decode(frame)
        if (v["prio"] == 0) == stop:
            assert status.get(number) == "1", f"tshark: checksum of {name} #{number} not good"
            if v["version"] == 3 and v["family"] == "AF_INET":
                # tshark agrees on which variant keepalived used
                want = "0" if v["pseudo_header"] else "1"
                assert status_as_v2.get(number) == want, f"tshark as-in-v2: {name} #{number}"
            return v
    raise AssertionError(f"no {'priority-0 ' if stop else ''}advertisement in {name}")


cases = [
    ("v3-ipv4", "VI_A", False,
     "version 3, vrid 51, priority 150, advert_int 1, VIP 10.99.250.100/24"),
    ("v3-ipv4-2vips", "VI_B", False,
     "version 3, vrid 52, priority 100, advert_int 0.5, VIPs 10.99.250.101/24 10.99.250.102/24"),
    ("v2-ipv4", "VI_C", False,
     "version 2, vrid 53, priority 100, advert_int 1, no authentication, VIP 10.99.250.103/24"),
    ("v2-ipv4-pass", "VI_D", False,
     "version 2, vrid 54, priority 100, advert_int 1, auth_type PASS, auth_pass secret, "
     "VIP 10.99.250.104/24"),
    ("v3-ipv6", "VI_E", False,
     "version 3, vrid 55, priority 100, advert_int 1, VIP 2001:db8:250::100/64"),
    ("v3-ipv4-unicast", "VI_G", False,
     "version 3, vrid 56, priority 100, advert_int 1, VIP 10.99.250.105/24, "
     "unicast_src_ip 10.99.250.11, unicast_peer 10.99.250.2 (the capturing namespace)"),
    ("v3-ipv4-stop", "VI_A", True,
     "the priority-0 advertisement of case v3-ipv4's keepalived on SIGTERM as master"),
]

vectors = []
for vname, inst, stop, summary in cases:
    vectors.append((vname, summary, pick(inst, stop)))


def ident(vname):
    return "keepalived_" + vname.replace("-", "_")


def c_array(data):
    lines = []
    for i in range(0, len(data), 12):
        lines.append("        " + " ".join(f"0x{b:02x}," for b in data[i:i + 12]))
    return "\n".join(lines)


def q(s):
    return "NULL" if s is None else '"' + s + '"'


v3v4 = [v for _, _, v in vectors if v["version"] == 3 and v["family"] == "AF_INET"]
pseudo = {v["pseudo_header"] for v in v3v4}
assert len(pseudo) == 1
pseudo = pseudo.pop()

out = []
w = out.append
w(f"""/* VRRP advertisements captured from Debian's keepalived: committed test data
 * for the packet codec's unit tests. Generated by
 * tests/unit/vectors/capture-keepalived.sh (as root: it builds throw-away pvk-
 * network namespaces); regenerate with
 *   tests/unit/vectors/capture-keepalived.sh > tests/unit/keepalived-vectors.h
 * (same bytes again: fixed MACs, IPv4 identification counting from 1).
 *
 * How they were captured:
 *   {ka_version} (Debian 12 package), run in a namespace of its own as
 *     keepalived --dont-fork --log-console --log-detail --no-syslog --vrrp
 *       --use-file=CONF --pid=F --vrrp_pid=F --checkers_pid=F --bfd_pid=F
 *   on eth0 = 10.99.250.11/24, 2001:db8:250::11/64, MAC 02:99:fa:00:00:11
 *   (link-local fe80::99:faff:fe00:11), a veth into a bridge namespace.
 *   Each case ran its own keepalived with one vrrp_instance (state BACKUP,
 *   interface eth0; global_defs: router_id, vrrp_garp_master_delay 0; no
 *   vrrp_strict). Alone on the link, it became master after
 *   Master_Down_Interval and advertised; after 2.5 s as master it got SIGTERM.
 *   Captured in a second namespace on the same bridge with
 *     tcpdump -Z root -U -i eth0 -w CASE.pcap 'ip proto 112 or ip6 proto 112'
 *   ({tcpdump_version}); the first advertisement of each run is kept
 *   (for v3-ipv4-stop, the priority-0 one). Cases:""")
for vname, summary, _ in vectors:
    w(f" *     {vname}: {summary}")
w(f""" *
 * Verified when generated: IPv4 header checksum, TTL / hop limit 255, the
 * address count against the length, and the VRRP checksum: v2 over the VRRP
 * message only; v3 over IPv6 with the IPv6 pseudo-header; v3 over IPv4
 * {"WITH" if pseudo else "WITHOUT"} the IPv4 pseudo-header (src, dst, 0, 112, VRRP length): it
 * matches {"only with" if pseudo else "only without"} it. RFC 5798 section 5.2.8 includes the
 * pseudo-header; RFC 9568 peers leave it out (checksum_pseudo_header = false).
 * Unicast (v3-ipv4-unicast): the pseudo-header holds the real unicast
 * destination, not 224.0.0.18 (which old keepalived versions used, and
 * which keepalived's old_unicast_checksum option brings back).
 * Cross-checked with tshark {tshark_version.split()[2]}: vrrp.checksum.status is 1 (good) for every
 * vector with -o vrrp.v3_checksum_as_in_v2:FALSE (the default), and 0 (bad)
 * for the v3 IPv4 ones with -o vrrp.v3_checksum_as_in_v2:TRUE.
 *
 * Other facts of keepalived's packets: IPv4 TOS 0xc0, no DF, no IP options,
 * identification counting from 1 per instance; IPv6 traffic class 0xc0, no
 * extension headers, sent from the interface's link-local address.
 *
 * data: IPv4: the whole datagram as a raw IPv4 socket delivers it (IP
 * header included); IPv6: the VRRP message only (a raw IPv6 socket delivers
 * no IP header), with src, dst and hop_limit of its datagram. For IPv4,
 * src, dst and hop_limit repeat the header's addresses and TTL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct KeepalivedVector {{
        const char *name;       /* "v3-ipv4", ... */
        int family;             /* AF_INET / AF_INET6 */
        const uint8_t *data;    /* IPv4: whole datagram incl. IP header; IPv6: VRRP part only */
        size_t len;
        const char *src, *dst;  /* IPv6: addresses of the datagram (IPv4: in the header) */
        int hop_limit;          /* IPv6 (IPv4: the header's TTL) */
        uint8_t version, vrid, priority, naddr;
        uint16_t adver_int_cs;  /* v3: centiseconds; v2: seconds x 100 */
        const char *addrs[4];   /* the VIPs, as text */
        uint8_t auth_type;      /* v2: 0 none, 1 PASS */
        const char *auth_pass;  /* v2 PASS */
        bool pseudo_header;     /* v3 IPv4: checksum includes the pseudo-header */
}} KeepalivedVector;
""")
for vname, summary, v in vectors:
    w(f"/* {vname}: {summary}. */")
    w(f"static const uint8_t {ident(vname)}[] = {{")
    w(c_array(v["datagram"]))
    w("};")
    w("")
w("static const KeepalivedVector keepalived_vectors[] = {")
for vname, summary, v in vectors:
    assert v["naddr"] <= 4
    auth_pass = None
    if v["auth_type"] == 1:
        auth_pass = v["auth_data"].rstrip(b"\0").decode()
    addrs = ", ".join(q(a) for a in v["addrs"])
    w("        {")
    w(f"                .name = {q(vname)},")
    w(f"                .family = {v['family']},")
    w(f"                .data = {ident(vname)},")
    w(f"                .len = sizeof({ident(vname)}),")
    w(f"                .src = {q(v['src'])},")
    w(f"                .dst = {q(v['dst'])},")
    w(f"                .hop_limit = {v['ttl']},")
    w(f"                .version = {v['version']},")
    w(f"                .vrid = {v['vrid']},")
    w(f"                .priority = {v['prio']},")
    w(f"                .naddr = {v['naddr']},")
    w(f"                .adver_int_cs = {v['adv_cs']},")
    w(f"                .addrs = {{ {addrs} }},")
    w(f"                .auth_type = {v['auth_type'] or 0},")
    w(f"                .auth_pass = {q(auth_pass)},")
    w(f"                .pseudo_header = {'true' if v['pseudo_header'] else 'false'},")
    w("        },")
w("};")
print("\n".join(out))
EOF
