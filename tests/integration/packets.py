#!/usr/bin/python3
"""VRRP packets for promvip's integration tests: craft them with scapy, send
them from a lab namespace, and capture and decode them with tshark.

Crafting (pure, no network; scapy is imported on first use):
    craft(kind, vrid=51, prio=100, src=..., addrs=[...]) -> bytes
        the whole IP datagram (IPv4 or IPv6 header included); KINDS lists
        the kinds: a valid advert and malformed variants.
    vrrp_part(datagram) -> bytes: the VRRP message of a datagram.
    checksum(vrrp, src=None, dst=None) -> int: the Internet checksum of a
        VRRP message, with the pseudo-header when src and dst are given.

Sending: scapy must run inside the namespace, so this file is also a CLI
that the test process runs there (lab.run / lab.spawn):
    /usr/bin/python3 tests/integration/packets.py send --iface eth0 \\
        --kind bad_checksum --vrid 51 --prio 200 --addr 10.99.1.100 \\
        [--src 10.99.1.2] [--dst 224.0.0.18] [--count 3 --interval 0.5]
    /usr/bin/python3 tests/integration/packets.py hex --kind valid ...
    /usr/bin/python3 tests/integration/packets.py kinds
`send` writes each datagram as an Ethernet frame on the interface (scapy
sendp), so the bytes on the wire are exactly the crafted ones (the kernel
fills in nothing), and prints "sent <kind> <i>/<count> <hex>" per packet.
Wrappers for tests: send(lab, node, ...) (blocking) and
spawn_sender(lab, node, ...) (in the background, e.g. to play a master).
    /usr/bin/python3 tests/integration/packets.py flood --rate 1000 \
        --duration 5 --kind valid --prio 50 --addr 10.99.1.100 [--src ...]
sends one crafted frame again and again at a steady rate (a raw
AF_PACKET socket, not scapy per packet) and prints "flooded N"; wrapper
spawn_flood(lab, node, ...).

Capturing: Capture(lab, node, count, duration) starts tshark in a namespace
and returns once it captures; .wait() returns the decoded packets;
capture_vrrp() does both. read_pcap(path) decodes a capture file: one dict
per VRRP packet (see read_pcap).
"""

import argparse
import ipaddress
import math
import os
import struct
import subprocess
import sys
import time

from lab import wait_for

VRRP_PROTO = 112
MCAST4 = "224.0.0.18"
MCAST6 = "ff02::12"
SCRIPT = os.path.abspath(__file__)
PYTHON = "/usr/bin/python3"  # Debian's: it has python3-scapy

KINDS = {
    "valid": "a valid advert: v3, TTL 255, checksum with the pseudo-header "
             "(RFC 5798, as keepalived sends it)",
    "valid_no_pseudo": "a v3 IPv4 advert whose checksum leaves out the pseudo-header "
                       "(as some other implementations send it)",
    "bad_checksum": "a v3 advert whose checksum is wrong with and without the pseudo-header",
    "ttl_254": "a valid v3 advert with TTL / hop limit 254",
    "version_4": "version field 4 (checksum correct for these bytes)",
    "version_2": "a valid v2 advert (no authentication): the wrong version for a v3 router",
    "bad_type": "type 2 instead of 1 (advertisement), checksum correct",
    "wrong_vrid": "a valid v3 advert for VRID vrid+1 (255 -> 1)",
    "truncated": "address count one more than the addresses present, checksum correct",
    "zero_interval": "a v3 advert with Max Adver Int 0, checksum correct",
    "v2_valid": "a valid v2 advert, with PASS authentication when auth_pass is given",
    "v2_bad_auth": "a v2 advert with PASS authentication and a wrong password (wrong_pass)",
    "v2_bad_checksum": "a v2 advert (PASS when auth_pass is given) with a wrong checksum",
}


def _scapy():
    """The scapy names used here; imported lazily (slow, and needed only
    for crafting and sending, not for capturing)."""
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.layers.vrrp import VRRP, VRRPv3
    from scapy.packet import Raw
    return IP, IPv6, Ether, VRRP, VRRPv3, Raw


# -- crafting ---------------------------------------------------------------
def checksum(vrrp, src=None, dst=None):
    """Internet checksum of the VRRP message `vrrp` (its checksum field
    included: 0 when it is valid), with the IPv4 or IPv6 pseudo-header when
    src and dst are given."""
    data = bytes(vrrp)
    if src is not None:
        s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        if s.version == 4:
            data = s.packed + d.packed + struct.pack("!BBH", 0, VRRP_PROTO, len(vrrp)) + data
        else:
            data = s.packed + d.packed + struct.pack("!IxxxB", len(vrrp), VRRP_PROTO) + data
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _with_checksum(vrrp, value):
    return vrrp[:6] + struct.pack("!H", value) + vrrp[8:]


def _auth_data(password):
    data = password.encode()
    assert len(data) <= 8, "VRRPv2 passwords have at most 8 bytes"
    return data.ljust(8, b"\0")


def _family(src, dst, addrs):
    for a in (src, dst, *addrs):
        if a:
            return ipaddress.ip_address(a).version
    return 4


def default_source(iface="eth0", family=4):
    """The address a peer on `iface` sends from: its first global IPv4
    address, or its IPv6 link-local address (RFC 5798 5.1.2.1)."""
    argv = ["ip", f"-{family}", "-o", "addr", "show", "dev", iface]
    argv += ["scope", "global" if family == 4 else "link"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=10).stdout
    for line in out.splitlines():
        words = line.split()
        if "inet" in words or "inet6" in words:
            i = words.index("inet" if family == 4 else "inet6")
            return words[i + 1].split("/")[0]
    raise RuntimeError(f"no IPv{family} source address on {iface}")


def craft(kind="valid", *, vrid=51, prio=100, src, addrs, dst=None, adver_int_cs=100,
          auth_pass=None, wrong_pass="wrongpw", ident=1):
    """The datagram (IP header included) of one advert of `kind` (see KINDS).

    src: the sender (IPv4, or IPv6 link-local); dst: default 224.0.0.18 or
    ff02::12; addrs: the VIPs, of the same family. adver_int_cs: the
    interval in centiseconds (v3 field; v2 sends whole seconds, at least 1).
    auth_pass: v2 PASS password (v2_valid; v2_bad_auth sends wrong_pass).
    Every variant is valid except in what its kind names."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    IP, IPv6, _, VRRP, VRRPv3, _ = _scapy()
    addrs = [str(ipaddress.ip_address(a.split("/")[0])) for a in addrs]
    family = _family(src, dst, addrs)
    dst = dst or (MCAST4 if family == 4 else MCAST6)
    ttl = 254 if kind == "ttl_254" else 255
    if kind == "wrong_vrid":
        vrid = vrid % 255 + 1
    v2 = kind in ("version_2", "v2_valid", "v2_bad_auth", "v2_bad_checksum")
    if family == 6 and (v2 or kind == "valid_no_pseudo"):
        raise ValueError(f"{kind} is IPv4 only (VRRPv2 and the pseudo-header choice)")

    if family == 4:
        ip = IP(src=src, dst=dst, ttl=ttl, tos=0xC0, id=ident, proto=VRRP_PROTO)
    else:
        ip = IPv6(src=src, dst=dst, hlim=ttl, tc=0xC0, nh=VRRP_PROTO)

    if v2:
        password = {"v2_valid": auth_pass, "v2_bad_checksum": auth_pass,
                    "v2_bad_auth": wrong_pass}.get(kind)
        if kind == "v2_bad_auth":
            assert wrong_pass and wrong_pass != auth_pass, "v2_bad_auth needs a different password"
        auth = _auth_data(password) if password else b"\0" * 8
        msg = VRRP(vrid=vrid, priority=prio, authtype=1 if password else 0,
                   adv=max(1, round(adver_int_cs / 100)), addrlist=addrs,
                   auth1=struct.unpack("!I", auth[:4])[0], auth2=struct.unpack("!I", auth[4:])[0])
        datagram = bytes(ip / msg)  # scapy: checksum over the VRRP message
        if kind == "v2_bad_checksum":
            vrrp = vrrp_part(datagram)
            good = struct.unpack("!H", vrrp[6:8])[0]
            datagram = datagram[:-len(vrrp)] + _with_checksum(vrrp, good ^ 0x0101)
        return datagram

    fields = dict(vrid=vrid, priority=prio, adv=0 if kind == "zero_interval" else adver_int_cs,
                  addrlist=addrs)
    if kind == "version_4":
        fields["version"] = 4
    if kind == "bad_type":
        fields["type"] = 2
    if kind == "truncated":
        fields["ipcount"] = len(addrs) + 1
    datagram = bytes(ip / VRRPv3(**fields))  # scapy: checksum with the pseudo-header
    if kind not in ("valid_no_pseudo", "bad_checksum"):
        return datagram
    head, vrrp = datagram[:-len(vrrp_part(datagram))], vrrp_part(datagram)
    plain = _with_checksum(vrrp, 0)
    if kind == "valid_no_pseudo":
        return head + _with_checksum(plain, checksum(plain))
    good = struct.unpack("!H", vrrp[6:8])[0]
    for flip in (0x0101, 0x0202, 0x0404, 0x0808):
        bad = _with_checksum(vrrp, good ^ flip)
        if checksum(bad, src, dst) and checksum(bad):
            return head + bad
    raise AssertionError("no bad checksum found")  # cannot happen


def vrrp_part(datagram):
    """The VRRP message of an IPv4 or IPv6 datagram (no extension headers)."""
    if datagram[0] >> 4 == 4:
        total = struct.unpack("!H", datagram[2:4])[0]
        return datagram[(datagram[0] & 0xF) * 4:total]
    return datagram[40:40 + struct.unpack("!H", datagram[4:6])[0]]


# -- sending (inside the namespace) -----------------------------------------
def _multicast_mac(dst):
    a = ipaddress.ip_address(dst)
    if a.version == 4:
        b = a.packed
        return "01:00:5e:%02x:%02x:%02x" % (b[1] & 0x7F, b[2], b[3])
    b = a.packed
    return "33:33:%02x:%02x:%02x:%02x" % tuple(b[12:16])


def _neighbour_mac(dst, iface):
    """The MAC of a unicast destination, from the kernel's neighbour table
    (one ping fills it in)."""
    subprocess.run(["ping", "-c1", "-W1", "-I", iface, dst], capture_output=True, timeout=5)
    out = subprocess.run(["ip", "neigh", "show", "to", dst, "dev", iface],
                         capture_output=True, text=True, timeout=5).stdout.split()
    if "lladdr" in out:
        return out[out.index("lladdr") + 1]
    raise RuntimeError(f"no neighbour entry for {dst} on {iface}")


def send_datagram(datagram, iface="eth0", dst_mac=None):
    """Send one datagram as an Ethernet frame out of `iface` (in the
    current network namespace; needs root)."""
    from scapy.sendrecv import sendp
    sendp(_ether(datagram, iface, dst_mac), iface=iface, verbose=False)


def _ether(datagram, iface, dst_mac=None):
    """`datagram` in an Ethernet frame from `iface` to the group's MAC, or
    to the neighbour's (or `dst_mac`), as a scapy packet."""
    _, _, Ether, _, _, Raw = _scapy()
    from scapy.arch import get_if_hwaddr
    version = datagram[0] >> 4
    dst = ipaddress.ip_address(datagram[16:20] if version == 4 else datagram[24:40])
    if dst_mac is None:
        dst_mac = _multicast_mac(str(dst)) if dst.is_multicast else _neighbour_mac(str(dst), iface)
    frame = Ether(dst=dst_mac, src=get_if_hwaddr(iface), type=0x0800 if version == 4 else 0x86DD)
    return frame / Raw(load=datagram)


def _frame(datagram, iface, dst_mac=None):
    """The Ethernet frame send_datagram() would send, as bytes."""
    return bytes(_ether(datagram, iface, dst_mac))


def _cli_flood(args):
    import socket
    family = 6 if any(":" in a for a in args.addr + [args.src or "", args.dst or ""]) else 4
    src = args.src or default_source(args.iface, family)
    kinds = args.mix.split(",") if args.mix else [args.kind]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SystemExit(f"unknown kinds in --mix: {', '.join(unknown)}")
    datagrams = [craft(kind, vrid=args.vrid, prio=args.prio, src=src, addrs=args.addr, dst=args.dst,
                       adver_int_cs=args.adver_int_cs, auth_pass=args.auth_pass,
                       wrong_pass=args.wrong_pass) for kind in kinds]
    datagram = datagrams[0]
    rate = max(1.0, min(args.rate, 100000.0))
    duration = max(0.1, min(args.duration, 120.0))
    sent = 0
    if args.ip:
        # Through the host's own IP stack (header included), e.g. to one of
        # its own addresses: what a router hears when it sends to itself.
        sock = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, socket.SOCK_RAW,
                             socket.IPPROTO_RAW)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.iface.encode())
        frames = datagrams
        dst = str(ipaddress.ip_address(datagram[16:20] if family == 4 else datagram[24:40]))
        sock.connect((dst, 0))
    else:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        sock.bind((args.iface, 0))
        frames = [_frame(d, args.iface, args.dst_mac) for d in datagrams]
    with sock:
        start = time.monotonic()
        for _ in range(int(rate * duration) + 1):
            now = time.monotonic()
            if now - start >= duration:
                break
            due = start + sent / rate
            if due > now:
                time.sleep(due - now)
            sock.send(frames[sent % len(frames)])
            sent += 1
    print(f"flooded {sent} {datagram.hex()}", flush=True)


def _cli_send(args, emit):
    family = 6 if any(":" in a for a in args.addr + [args.src or "", args.dst or ""]) else 4
    src = args.src or default_source(args.iface, family)
    count = max(1, min(args.count, 10000))
    interval = max(0.001, min(args.interval, 60.0))
    deadline = time.monotonic() + count * interval + 30
    for i in range(count):
        datagram = craft(args.kind, vrid=args.vrid, prio=args.prio, src=src, addrs=args.addr,
                         dst=args.dst, adver_int_cs=args.adver_int_cs, auth_pass=args.auth_pass,
                         wrong_pass=args.wrong_pass, ident=i + 1)
        if emit:
            send_datagram(datagram, args.iface, args.dst_mac)
        print(f"{'sent' if emit else 'crafted'} {args.kind} {i + 1}/{count} {datagram.hex()}",
              flush=True)
        if not emit or i + 1 == count or time.monotonic() > deadline:
            break
        time.sleep(interval)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("kinds", help="list the packet kinds")
    for name, text in (("send", "craft and send out of --iface"),
                       ("hex", "craft and print, do not send"),
                       ("flood", "send one crafted frame at --rate per second for --duration s")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--iface", default="eth0")
        p.add_argument("--kind", default="valid", choices=sorted(KINDS))
        p.add_argument("--vrid", type=int, default=51)
        p.add_argument("--prio", type=int, default=100)
        p.add_argument("--src", help="source address (default: the interface's)")
        p.add_argument("--dst", help="destination (default: 224.0.0.18 / ff02::12)")
        p.add_argument("--dst-mac", help="Ethernet destination (default: multicast MAC, "
                       "or the neighbour's for a unicast --dst)")
        p.add_argument("--addr", action="append", default=[], required=True,
                       help="a virtual address (repeat for more)")
        p.add_argument("--adver-int-cs", type=int, default=100)
        p.add_argument("--auth-pass", help="v2 PASS password")
        p.add_argument("--wrong-pass", default="wrongpw", help="v2_bad_auth's password")
        p.add_argument("--count", type=int, default=1, help="how many (at most 10000)")
        p.add_argument("--interval", type=float, default=1.0, help="seconds between them")
        p.add_argument("--rate", type=float, default=1000.0, help="flood: packets per second")
        p.add_argument("--duration", type=float, default=5.0, help="flood: seconds (at most 120)")
        p.add_argument("--ip", action="store_true",
                       help="flood: through this host's IP stack, not as Ethernet frames")
        p.add_argument("--mix", help="flood: kinds sent in turn, comma-separated (instead of --kind)")
    args = parser.parse_args(argv)
    if args.cmd == "kinds":
        for kind, text in KINDS.items():
            print(f"{kind:16} {text}")
        return 0
    if args.cmd == "hex" and not args.src:
        parser.error("hex needs --src")
    if args.cmd == "flood":
        _cli_flood(args)
    else:
        _cli_send(args, emit=args.cmd == "send")
    return 0


# -- wrappers for the tests (run in the test process) -----------------------
def command(kind="valid", *, vrid=51, prio=100, addrs, src=None, dst=None, iface="eth0",
            count=1, interval=1.0, adver_int_cs=100, auth_pass=None, wrong_pass=None,
            dst_mac=None):
    """The argv of `packets.py send` with these parameters."""
    argv = [PYTHON, SCRIPT, "send", "--iface", iface, "--kind", kind, "--vrid", str(vrid),
            "--prio", str(prio), "--count", str(count), "--interval", f"{interval:g}",
            "--adver-int-cs", str(adver_int_cs)]
    for a in addrs:
        argv += ["--addr", a.split("/")[0]]
    for opt, value in (("--src", src), ("--dst", dst), ("--auth-pass", auth_pass),
                       ("--wrong-pass", wrong_pass), ("--dst-mac", dst_mac)):
        if value is not None:
            argv += [opt, value]
    return argv


def send(lab, node, kind="valid", *, addrs, count=1, interval=1.0, **kw):
    """Send `count` adverts of `kind` from `node`'s eth0; blocks until they
    are sent. Returns the datagrams sent (bytes). Parameters: see craft()."""
    argv = command(kind, addrs=addrs, count=count, interval=interval, **kw)
    r = lab.run(node.ns, argv, timeout=count * interval + 30, check=True)
    return [bytes.fromhex(line.split()[-1]) for line in r.stdout.splitlines()
            if line.startswith("sent ")]


def spawn_sender(lab, node, kind="valid", *, addrs, count=10, interval=1.0, **kw):
    """Send adverts of `kind` in the background (a lab process, stopped with
    the lab or by .stop()), e.g. to play a master for count*interval s."""
    argv = command(kind, addrs=addrs, count=count, interval=interval, **kw)
    return lab.spawn(node.ns, argv, name=f"packets-{kind}")


def spawn_flood(lab, node, kind="valid", *, addrs, rate=1000, duration=5.0, ip=False, mix=(),
                **kw):
    """Flood adverts of `kind` (or of every kind in `mix`, in turn) from
    `node` at `rate` per second for `duration` s in the background (through
    its IP stack with `ip`); flooded_count(proc) after it ended."""
    argv = command(kind, addrs=addrs, **kw)
    argv[2] = "flood"
    argv += ["--rate", f"{rate:g}", "--duration", f"{duration:g}"] + (["--ip"] if ip else [])
    if mix:
        argv += ["--mix", ",".join(mix)]
    return lab.spawn(node.ns, argv, name=f"flood-{kind}")


def flooded_count(proc):
    """How many packets a finished spawn_flood() process sent."""
    for line in proc.output().splitlines():
        if line.startswith("flooded "):
            return int(line.split()[1])
    return 0


def sent_count(proc):
    """How many packets a spawn_sender() process has sent so far."""
    return sum(1 for line in proc.output().splitlines() if line.startswith("sent "))


# -- capturing with tshark --------------------------------------------------
TSHARK = "/usr/bin/tshark"
VRRP_FILTER = "ip proto 112 or ip6 proto 112"
# tshark's (Wireshark 4.0) VRRP dissector: field names, and the preference
# that decides how it verifies v3 checksums over IPv4: FALSE (the default)
# with the pseudo-header, TRUE without (like v2).
V3_CHECKSUM_PREF = "vrrp.v3_checksum_as_in_v2"
FIELDS = (
    ("number", "frame.number", int),
    ("time", "frame.time_epoch", float),
    ("src4", "ip.src", str), ("dst4", "ip.dst", str), ("ttl4", "ip.ttl", int),
    ("src6", "ipv6.src", str), ("dst6", "ipv6.dst", str), ("ttl6", "ipv6.hlim", int),
    ("version", "vrrp.version", int),
    ("type", "vrrp.type", int),
    ("vrid", "vrrp.virt_rtr_id", int),
    ("prio", "vrrp.prio", int),
    ("naddr", "vrrp.addr_count", int),
    ("checksum", "vrrp.checksum", lambda v: int(v, 16)),
    ("checksum_status", "vrrp.checksum.status", int),
    ("auth_type", "vrrp.auth_type", int),
    ("auth_string", "vrrp.auth_string", str),
    ("adver_int_s", "vrrp.adver_int", int),          # v2: seconds
    ("adver_int_cs", "vrrp.short_adver_int", int),  # v3: centiseconds
    ("addrs4", "vrrp.ip_addr", lambda v: v.split(",")),
    ("addrs6", "vrrp.ipv6_addr", lambda v: v.split(",")),
)
CHECKSUM_STATUS = {0: "bad", 1: "good", 2: "unverified", 3: "not present", 4: "illegal"}


def read_pcap(path, pseudo_header=True, timeout=30):
    """Decode the VRRP packets of a capture file with tshark. pseudo_header:
    verify v3 IPv4 checksums with the pseudo-header (RFC 5798, keepalived)
    or without. One dict per packet, keys:
      number, time (epoch s), family (4 / 6), src, dst, ttl (TTL / hop
      limit), version, type, vrid, prio, naddr, checksum (int),
      checksum_status ("good", "bad", "unverified", ...), auth_type,
      auth_string (v2), adver_int_cs (v3 as is; v2: seconds x 100), addrs
      (list of text); None where tshark gives no value."""
    argv = [TSHARK, "-n", "-r", path, "-Y", "vrrp",
            "-o", f"{V3_CHECKSUM_PREF}:{'FALSE' if pseudo_header else 'TRUE'}",
            "-T", "fields", "-E", "header=n", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for _, field, _ in FIELDS:
        argv += ["-e", field]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"tshark -r {path} failed ({r.returncode}): {r.stderr.strip()}")
    packets = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        raw = {}
        for (key, _, conv), value in zip(FIELDS, cols):
            raw[key] = conv(value) if value != "" else None
        family = 6 if raw["src6"] else 4
        v2_int = raw["adver_int_s"]
        packets.append({
            "number": raw["number"], "time": raw["time"], "family": family,
            "src": raw[f"src{family}"], "dst": raw[f"dst{family}"], "ttl": raw[f"ttl{family}"],
            "version": raw["version"], "type": raw["type"], "vrid": raw["vrid"],
            "prio": raw["prio"], "naddr": raw["naddr"], "checksum": raw["checksum"],
            "checksum_status": CHECKSUM_STATUS.get(raw["checksum_status"], raw["checksum_status"]),
            "auth_type": raw["auth_type"], "auth_string": raw["auth_string"],
            "adver_int_cs": raw["adver_int_cs"] if raw["adver_int_cs"] is not None
            else (v2_int * 100 if v2_int is not None else None),
            "addrs": raw[f"addrs{family}"] or [],
        })
    return packets


class Capture:
    """tshark capturing VRRP in a lab namespace: `count` packets, for at most
    `duration` seconds. Returns from __init__ once tshark captures."""

    def __init__(self, lab, node, count=3, duration=10, iface="eth0", bpf=VRRP_FILTER,
                 name="vrrp"):
        assert 1 <= count <= 100000 and 0 < duration <= 600, (count, duration)
        self.lab, self.node, self.duration = lab, node, duration
        self.path = os.path.join(lab.dir, f"{node.name}-{name}-{len(lab.procs)}.pcapng")
        argv = [TSHARK, "-n", "-i", iface, "-f", bpf, "-c", str(count),
                "-a", f"duration:{math.ceil(duration)}", "-w", self.path]
        self.proc = lab.spawn(node.ns, argv, name="tshark")
        wait_for(lambda: "Capturing on" in self.proc.output() or not self.proc.alive(), 15,
                 what=lambda: f"tshark capturing in {node.ns}: {self.proc.output()}")
        if not self.proc.alive() and "Capturing on" not in self.proc.output():
            raise RuntimeError(f"tshark failed in {node.ns}: {self.proc.output()}")

    def wait(self, timeout=None, pseudo_header=True):
        """Wait for tshark to end (count packets or duration reached) and
        return the decoded packets (see read_pcap)."""
        self.proc.wait(timeout if timeout is not None else self.duration + 10)
        return self.packets(pseudo_header)

    def stop(self, pseudo_header=True):
        """End the capture now; returns the packets captured so far."""
        self.proc.stop()
        return self.packets(pseudo_header)

    def packets(self, pseudo_header=True):
        if not os.path.exists(self.path):
            return []
        return read_pcap(self.path, pseudo_header)


def capture_vrrp(lab, node, count=3, duration=10, **kw):
    """Capture up to `count` VRRP packets in `node`'s namespace for at most
    `duration` seconds; returns them decoded (see read_pcap)."""
    return Capture(lab, node, count, duration, **kw).wait()


if __name__ == "__main__":
    sys.exit(main())
