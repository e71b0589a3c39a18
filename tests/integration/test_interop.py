"""promvipd and Debian's keepalived in one virtual router: the higher
priority is master whichever program it is, and failover (including the
priority-0 hand-over of an orderly stop) works in both directions."""

import pytest

import keepalived
from lab import wait_for
from vrrp import Agent, config, has_vip, vip4, vip6

CASES = {
    "v3-ipv4": dict(version=3),
    "v2-ipv4": dict(version=2),
    "v2-ipv4-pass": dict(version=2, auth_pass="secret"),
    "v3-ipv6": dict(version=3, ipv6=True),
}


@pytest.mark.parametrize("case", CASES)
def test_keepalived_interop(lab, promvipd, case):
    opts = CASES[case]
    net = lab(2)
    h1, h2 = net.hosts
    vip = (vip6(net) + "/64") if opts.get("ipv6") else (vip4(net) + "/24")
    addr = vip.split("/")[0]
    version, auth = opts["version"], opts.get("auth_pass")
    extra = f'auth = {{ type = "pass"; password = "{auth}"; }};' if auth else ""

    def promvip(priority, name="promvipd"):
        return Agent(net, h1, promvipd, config(priority=priority, vips=[vip], version=version,
                                               interval=1, extra=extra), name=name)

    # promvipd (150) is master over keepalived (100).
    p = promvip(150)
    ka = keepalived.start(net, h2, priority=100, version=version, advert_int=1, vips=[vip],
                          auth_pass=auth)
    p.wait_state("MASTER", 6)
    ka.wait_state("BACKUP", 6)
    wait_for(lambda: has_vip(net, h1, addr) and not has_vip(net, h2, addr), 5, what="VIP on h1 only")
    wait_for(lambda: int(p.counters()["instance prom"]["adverts_sent"]) >= 3, 10, what="adverts sent")
    assert not ka.drops(), ka.drops()

    # promvipd stops: its priority-0 advert makes keepalived master at once.
    mark = ka.mark()
    assert p.stop() == 0
    ka.wait_state("MASTER", 3, since=mark)
    assert ka.log_has("priority 0", since=mark), ka.output()[mark:]
    wait_for(lambda: has_vip(net, h2, addr) and not has_vip(net, h1, addr), 5, what="VIP on h2 only")

    # promvipd (50) comes back as backup of keepalived (100) and hears it.
    q = promvip(50, name="promvipd-2")
    q.wait_state("BACKUP", 5)
    wait_for(lambda: int(q.counters()["instance prom"]["adverts_received"]) >= 2, 10,
             what="keepalived's adverts received")
    counters = q.counters()
    drops = {k: v for c in counters.values() for k, v in c.items() if k.startswith("drop_")}
    assert not drops, counters

    # keepalived stops: promvipd takes over after Skew_Time, not Master_Down_Interval.
    ka.stop()
    q.wait_state("MASTER", 2.5)
    wait_for(lambda: has_vip(net, h1, addr) and not has_vip(net, h2, addr), 5, what="VIP back on h1")
