"""What a new master tells the segment about its VIPs: gratuitous ARPs
(IPv4) or unsolicited neighbour advertisements (IPv6), in bursts of
garp_master_repeat rounds garp_interval apart, a second burst
garp_master_delay after the first, then one round every
garp_master_refresh; a VIP put back while master starts over. Captured on
the client; the gaps between frames have a margin for a loaded machine."""

import subprocess
import time

import pytest

from lab import wait_for
from packets import TSHARK, Capture
from vrrp import Agent, config, has_vip, vip4, vip6

SLACK = 0.08  # s


def frame_times(path, display_filter):
    r = subprocess.run([TSHARK, "-n", "-r", path, "-Y", display_filter, "-T", "fields", "-e", "frame.time_epoch"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [float(t) for t in r.stdout.split()]


def gaps(times):
    return [b - a for a, b in zip(times, times[1:])]


class Master:
    """One agent on h1 that becomes master alone, with the client capturing
    its announcements of the VIP."""

    def __init__(self, net, promvipd, family, extra, seconds):
        self.net = net
        self.vip = vip4(net) if family == 4 else vip6(net)
        if family == 4:
            bpf, self.what = "arp", f"arp.src.proto_ipv4 == {self.vip} and arp.dst.proto_ipv4 == {self.vip}"
        else:
            bpf, self.what = "icmp6", f"icmpv6.type == 136 and icmpv6.nd.na.target_address == {self.vip}"
        self.cap = Capture(net, net.client, count=1000, duration=seconds + 10, bpf=bpf, name="announce")
        prefix = "/24" if family == 4 else "/64"
        self.agent = Agent(net, net.hosts[0], promvipd, config(priority=150, vips=[self.vip + prefix], extra=extra))
        self.agent.wait_state("MASTER", 5)

    def times(self):
        self.cap.stop()
        return frame_times(self.cap.path, self.what)


@pytest.mark.parametrize("family", [4, 6])
def test_bursts_then_refresh(lab, promvipd, family):
    net = lab(1)
    m = Master(net, promvipd, family, "garp_master_repeat = 3; garp_interval = 0.1; garp_master_delay = 1.0; "
               "garp_master_refresh = 1.5;", 5.0)
    time.sleep(5.0)
    times = m.times()
    # Three rounds 0.1 s apart, three more 1 s after the last, then one every 1.5 s.
    want = [0.1, 0.1, 1.0, 0.1, 0.1, 1.5, 1.5]
    assert len(times) >= len(want) + 1, times
    got = gaps(times)[:len(want)]
    assert all(abs(g - w) < SLACK for g, w in zip(got, want)), (got, want)


def test_defaults(lab, promvipd):
    net = lab(1)
    m = Master(net, promvipd, 4, "", 7.0)
    time.sleep(7.0)
    times = m.times()
    # Five at once, five more 5 s later, and nothing after.
    assert len(times) == 10, times
    assert times[4] - times[0] < SLACK and times[9] - times[5] < SLACK, times
    assert abs(times[5] - times[4] - 5.0) < SLACK, times


def test_vip_put_back_starts_over(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    m = Master(net, promvipd, 4, "garp_master_repeat = 2; garp_interval = 0.1; garp_master_delay = 0;", 3.0)
    time.sleep(1.0)
    net.run(h1.ns, ["ip", "addr", "del", f"{m.vip}/24", "dev", "eth0"], check=True)
    wait_for(lambda: has_vip(net, h1, m.vip), 5, what="VIP put back")
    time.sleep(1.0)
    times = m.times()
    # Two rounds 0.1 s apart on becoming master, two more when put back.
    assert len(times) == 4, times
    assert abs(times[1] - times[0] - 0.1) < SLACK and abs(times[3] - times[2] - 0.1) < SLACK, times
    assert times[2] - times[1] > 0.5, times
