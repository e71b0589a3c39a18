"""Debian's keepalived as a VRRP peer in a lab host namespace.

    ka = keepalived.start(net, h1, vrid=51, priority=150, vips=["10.99.1.100/24"])
    ka.wait_state("MASTER", 10)
    mark = ka.mark()                 # a log position: later checks look after it
    ...
    ka.wait_state("BACKUP", 5, since=mark)
    ka.drops(since=mark)             # log lines about adverts it refused
    ka.stop()                        # SIGTERM: a master sends priority 0, drops its VIPs
    ka.kill()                        # SIGKILL: a crash, nothing sent, VIPs stay
    has_vip(net, h1, "10.99.1.100")

render_config() writes the keepalived.conf (one instance; every line
commented); start() checks it with `keepalived --config-test` in the
namespace, then runs keepalived in the foreground (--dont-fork) with only
its VRRP child (--vrrp), its own config and pid files in the lab's work dir,
logging to stdout (the lab's log file of the process, shown in failure
reports) and not to syslog. Without --dont-fork it would daemonize and
escape the lab's process tracking. The lab stops it on close.

State changes are read from its log. The wording of Debian 12's keepalived
(v2.2.7), one line per change, "<date>: (<instance>) <text>":
    (VI_1) Entering BACKUP STATE (init)      at start-up
    (VI_1) Entering MASTER STATE
    (VI_1) Entering BACKUP STATE             after a higher-priority advert, or FAULT ends
    (VI_1) Entering FAULT STATE              after "Netlink reports eth0 down"
and around them:
    (VI_1) Receive advertisement timeout     Master_Down_Interval expired
    (VI_1) Master received advert from 10.99.1.12 with higher priority 200, ours 150
    (VI_1) Backup received priority 0 advertisement
    (VI_1) sent 0 priority                   on SIGTERM as master, and entering FAULT
    (VI_1) setting VIPs. / (VI_1) removing VIPs.
Refused adverts are logged too (DROP_PATTERNS).
"""

import os
import re
import signal

from lab import _running, has_address, wait_for

KEEPALIVED = "/usr/sbin/keepalived"

# "(VI_1) Entering MASTER STATE" / "(VI_1) Entering BACKUP STATE (init)"
STATE_RE = re.compile(r"\((?P<instance>[^)\s]+)\) Entering (?P<state>[A-Z]+) STATE")
# Log lines of keepalived v2.2.7 about received advertisements it drops
# (each "(<instance>) " + text), as seen with packets.py's kinds:
DROP_PATTERNS = (
    "Invalid VRRPv3 checksum",          # bad_checksum, valid_no_pseudo (IPv4; IPv6: the
                                        # kernel drops bad checksums, nothing is logged)
    "Invalid VRRPv2 checksum",          # v2_bad_checksum
    "invalid TTL/HL",                   # "invalid TTL/HL. Received 254 and expect 255"
    "wrong version",                    # "wrong version. Received 4 and expect 3"
    "Invalid packet type",              # "Invalid packet type. 2 and expect 1"
    "packet too short",                 # "vrrp packet too short, length 32 and expect 36"
    "received an invalid passwd",       # v2_bad_auth
    "advertisement interval mismatch",  # v2: "mine=1 sec rcv'd=2 sec"
    "ip number count",                  # "received an unexpected ip number count 2, expected 1!"
    "not present in MASTER advert",     # another VIP list
    "not a unicast peer",               # unicast mode, unknown source
)
# Dropped without a log line: another VRID (wrong_vrid), and over IPv6 a bad
# checksum (the kernel checks it). Accepted: Max Adver Int 0 (zero_interval:
# keepalived adopts it and flaps BACKUP -> MASTER at once), and in unicast
# mode any TTL and, without check_unicast_src, any source.


def available():
    """Why keepalived cannot run here, or None when it can."""
    if not os.access(KEEPALIVED, os.X_OK):
        return f"{KEEPALIVED} not found: apt-get install keepalived"
    return None


def render_config(name="VI_1", vrid=51, priority=100, version=3, advert_int=1.0,
                  vips=(), interface="eth0", auth_pass=None, unicast_src=None,
                  unicast_peers=(), nopreempt=False, check_unicast_src=False,
                  router_id=None):
    """A minimal keepalived.conf with one vrrp_instance, every line commented.

    vips: addresses with prefix length ("10.99.1.100/24"), all of one family
    (IPv6 VIPs make it an IPv6 instance: version 3 only, adverts from the
    link-local address to ff02::12). advert_int in seconds (version 3:
    multiples of 0.01; version 2: whole seconds). auth_pass: version 2 PASS
    authentication with that password (at most 8 characters). unicast_peers:
    send to these addresses instead of multicast (and accept only them);
    unicast_src: the source address for that. check_unicast_src: drop
    adverts from sources not in unicast_peers (keepalived's default, off,
    accepts any source, and in unicast mode it does not check the TTL
    either). nopreempt: a higher-priority backup does not take over from a
    running master."""
    assert vips, "keepalived needs at least one virtual address"
    assert version in (2, 3), version
    assert auth_pass is None or (version == 2 and 0 < len(auth_pass) <= 8), auth_pass
    interval = f"{advert_int:g}"
    lines = [
        "# keepalived.conf for promvip's integration tests (tests/integration/keepalived.py)",
        "# vrrp_strict is left out on purpose (default off): strict mode adds",
        "# firewall rules and refuses authentication and more than 20 VIPs.",
        "global_defs {",
        "    # name in its logs (the default, the host name, is shared by every namespace)",
        f"    router_id {router_id or name}",
        "    # gratuitous ARPs / NAs on becoming master: one burst, one per VIP,",
        "    # no second burst 5 s later (the default) that lands in the next test step",
        "    vrrp_garp_master_repeat 1",
        "    vrrp_garp_master_delay 0",
        *(["    # unicast mode: drop adverts whose source is not a unicast_peer",
           "    vrrp_check_unicast_src"] if check_unicast_src else []),
        "}",
        f"vrrp_instance {name} {{",
        "    # start as backup and let the election decide (state MASTER would claim",
        "    # the VIPs at once; nopreempt requires BACKUP)",
        "    state BACKUP",
        "    # the lab's link",
        f"    interface {interface}",
        "    # VRRP version 2 (RFC 3768) or 3 (RFC 5798)",
        f"    version {version}",
        "    # VRID: the virtual router, shared by all peers of one VIP",
        f"    virtual_router_id {vrid}",
        "    # election priority 1..255 (255: address owner)",
        f"    priority {priority}",
        "    # advertisement interval in seconds",
        f"    advert_int {interval}",
    ]
    if nopreempt:
        lines += ["    # a higher priority does not take over from a running master",
                  "    nopreempt"]
    if auth_pass is not None:
        lines += ["    # VRRPv2 simple text password (RFC 3768 type 1)",
                  "    authentication {",
                  "        auth_type PASS",
                  f"        auth_pass {auth_pass}",
                  "    }"]
    if unicast_peers:
        if unicast_src:
            lines += ["    # source address of the unicast adverts",
                      f"    unicast_src_ip {unicast_src}"]
        lines += ["    # send adverts to these peers instead of multicast; accept only them",
                  "    unicast_peer {"]
        lines += [f"        {peer}" for peer in unicast_peers]
        lines += ["    }"]
    lines += ["    # the VIPs, added to the interface while master",
              "    virtual_ipaddress {"]
    lines += [f"        {vip}" for vip in vips]
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


class Keepalived:
    """One keepalived (parent and VRRP child) running in a lab namespace."""

    def __init__(self, lab, node, conf_text, name="VI_1", tag=None, cgroup_procs=None):
        self.lab, self.node, self.name = lab, node, name
        tag = tag or f"{node.name}-keepalived-{len(lab.procs)}"
        self.conf_path = lab.write(f"{tag}.conf", conf_text)
        self.pid_file = os.path.join(lab.dir, f"{tag}.pid")
        self.vrrp_pid_file = os.path.join(lab.dir, f"{tag}.vrrp.pid")
        argv = [KEEPALIVED,
                "--dont-fork",        # stay in the foreground: the lab tracks and reaps it
                "--log-console",      # log to stdout: the lab's log file of the process
                "--log-detail",
                "--no-syslog",        # keep the machine's syslog out of it
                "--vrrp",             # VRRP only: no checker, no BFD child
                "--dont-respawn",     # a dead VRRP child is a failure, not restarted
                f"--use-file={self.conf_path}",
                f"--pid={self.pid_file}",
                f"--vrrp_pid={self.vrrp_pid_file}",
                f"--checkers_pid={os.path.join(lab.dir, tag + '.checkers.pid')}",
                f"--bfd_pid={os.path.join(lab.dir, tag + '.bfd.pid')}"]
        self.proc = lab.spawn(node.ns, argv, name="keepalived", cgroup_procs=cgroup_procs)

    # -- log and state ----------------------------------------------------
    def output(self):
        return self.proc.output()

    def mark(self):
        """A position in the log, for the `since` arguments."""
        return len(self.output())

    def states(self, since=0):
        """The states entered by this instance, oldest first ("BACKUP", ...)."""
        return [m["state"] for m in STATE_RE.finditer(self.output()[since:])
                if m["instance"] == self.name]

    def state(self):
        """The latest state entered, or None before the first."""
        states = self.states()
        return states[-1] if states else None

    def wait_state(self, state, timeout, since=0):
        """Wait until the instance has entered `state` after log position
        `since` and is still in it."""
        def check():
            entered = self.states(since)
            return bool(entered) and entered[-1] == state
        wait_for(check, timeout, what=lambda: f"keepalived {self.name} in {self.node.ns} "
                 f"entering {state} (states: {self.states()}):\n{self.output()[-3000:]}")

    def log_has(self, text, since=0):
        return text in self.output()[since:]

    def drops(self, since=0):
        """Log lines about received packets that keepalived rejected."""
        return [line for line in self.output()[since:].splitlines()
                if any(p.lower() in line.lower() for p in DROP_PATTERNS)]

    # -- process ----------------------------------------------------------
    def alive(self):
        return self.proc.alive()

    def vrrp_pid(self, timeout=5):
        """PID of the VRRP child (it sends and receives the adverts)."""
        def read():
            try:
                with open(self.vrrp_pid_file) as f:
                    text = f.read().strip()
            except FileNotFoundError:
                return None
            return int(text) if text.isdigit() else None
        return wait_for(read, timeout, what=f"{self.vrrp_pid_file}")

    def stop(self, timeout=5):
        """SIGTERM: a master sends an advert with priority 0 and removes its
        VIPs. Returns keepalived's exit code."""
        self.proc.signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self, timeout=5):
        """A crash: SIGKILL to both processes, so that no priority-0 advert
        is sent and the VIPs stay on the interface. The parent is stopped
        first: it must neither restart the child nor pass it a SIGTERM."""
        child = self.vrrp_pid()
        self.proc.signal(signal.SIGSTOP)
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.signal(signal.SIGKILL)
        code = self.proc.wait(timeout)
        wait_for(lambda: not _running(child), timeout, what=f"VRRP child {child} gone")
        return code

    def __repr__(self):
        return f"<Keepalived {self.name} pid={self.proc.pid} ns={self.node.ns}>"


def start(lab, node, name="VI_1", vrid=51, priority=100, version=3, advert_int=1.0,
          vips=None, auth_pass=None, unicast_src=None, unicast_peers=(),
          nopreempt=False, check_unicast_src=False, check=True):
    """Render a config (see render_config) and start keepalived in `node`'s
    namespace. vips defaults to 10.99.<lab>.100/24. With check (default),
    the config is first validated with `keepalived --config-test` in the
    namespace, so that a typo fails here and not as a silent non-election."""
    if vips is None:
        vips = [f"10.99.{lab.number}.100/24"]
    text = render_config(name=name, vrid=vrid, priority=priority, version=version,
                         advert_int=advert_int, vips=vips, auth_pass=auth_pass,
                         unicast_src=unicast_src, unicast_peers=unicast_peers,
                         nopreempt=nopreempt, check_unicast_src=check_unicast_src,
                         router_id=f"{node.name}-{name}")
    ka = Keepalived(lab, node, text, name=name)
    if check:
        r = lab.run(node.ns, [KEEPALIVED, "--config-test", f"--use-file={ka.conf_path}"])
        if r.returncode != 0:
            ka.proc.stop()
            raise AssertionError(f"keepalived rejects {ka.conf_path}:\n"
                                 f"{r.stdout}{r.stderr}\n{text}")
    # Started, with its VRRP child running (the first state line comes from it).
    wait_for(lambda: ka.state() is not None or not ka.alive(), 10,
             what=lambda: f"keepalived start-up in {node.ns}:\n{ka.output()}")
    if not ka.alive():
        raise AssertionError(f"keepalived exited {ka.proc.popen.returncode} in {node.ns}:\n"
                             f"{ka.output()}")
    return ka


def has_vip(lab, node, vip, iface="eth0"):
    """Whether `vip` ("10.99.1.100" or "10.99.1.100/24") is on `node`'s iface."""
    return has_address(lab, node.ns, vip, iface)
