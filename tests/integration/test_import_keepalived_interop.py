"""A keepalived.conf for a Prometheus pair (a vrrp_script that curls
/-/ready, weight -60) run as written by keepalived on one host, and as
converted by `promvipctl import-keepalived` by promvipd on the other: both
elect the same master, and fail over the same way when "Prometheus" (a
small HTTP server answering /-/ready) stops on the master and comes back.
Then the same with the roles swapped."""

import os
import time

import pytest

import keepalived
from lab import wait_for
from vrrp import Agent, has_vip, vip4

PROM_PORT = 9090

KEEPALIVED_CONF = """\
! A Prometheus pair as keepalived users write it.
global_defs {
    router_id %(router_id)s
    script_user root
    enable_script_security
}

vrrp_script chk_prometheus {
    script "/usr/bin/curl -sf -m 1 http://127.0.0.1:%(port)d/-/ready"
    interval 1
    fall 2
    rise 1
    weight -60
}

vrrp_instance prom {
    state %(state)s
    interface eth0
    virtual_router_id 51
    priority %(priority)d
    advert_int 1
    virtual_ipaddress {
        %(vip)s/24
    }
    track_script {
        chk_prometheus
    }
}
"""


def keepalived_conf(net, host, priority, state):
    return KEEPALIVED_CONF % dict(router_id=host.name, port=PROM_PORT, priority=priority, state=state,
                                  vip=vip4(net))


class FakeProm:
    """An HTTP server on the host's 127.0.0.1:9090 answering /-/ready (200)."""

    def __init__(self, net, host):
        self.net, self.host = net, host
        self.root = os.path.join(net.dir, f"prom-{host.name}")
        os.makedirs(os.path.join(self.root, "-"), exist_ok=True)
        with open(os.path.join(self.root, "-", "ready"), "w") as f:
            f.write("Prometheus Server is Ready.\n")
        self.proc = None
        self.start()

    def ready(self):
        r = self.net.run(self.host.ns, ["/usr/bin/curl", "-sf", "-m", "1",
                                        f"http://127.0.0.1:{PROM_PORT}/-/ready"])
        return r.returncode == 0

    def start(self):
        self.proc = self.net.spawn(self.host.ns, ["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1",
                                                  "--directory", self.root, str(PROM_PORT)],
                                   name=f"prom-{self.host.name}")
        wait_for(self.ready, 10, what=f"/-/ready on {self.host.name}")

    def stop(self):
        self.proc.stop()
        wait_for(lambda: not self.ready(), 5, what=f"/-/ready gone on {self.host.name}")


def import_config(net, ctl, host, priority, state):
    """keepalived.conf for `host`, converted: the promvip.conf text. The
    conversion is complete (exit 0) and says what it changed."""
    path = net.write(f"{host.name}-keepalived-src.conf", keepalived_conf(net, host, priority, state))
    r = net.run(host.ns, [ctl, "import-keepalived", path], timeout=20)
    assert r.returncode == 0, r.stderr
    assert 'type = "http"; url = "http://127.0.0.1:9090/-/ready";' in r.stdout, r.stdout
    assert "vrid = 51; priority = %d; version = 2;" % priority in r.stdout, r.stdout
    assert "becomes a native http probe" in r.stderr and "'state %s' has no equivalent" % state in r.stderr
    return r.stdout


def start_keepalived(net, host, priority, state):
    ka = keepalived.Keepalived(net, host, keepalived_conf(net, host, priority, state), name="prom")
    return ka


@pytest.mark.parametrize("keepalived_master", [True, False], ids=["keepalived-master", "promvipd-master"])
def test_converted_pair(lab, promvipd, ctl, keepalived_master):
    if keepalived.available():
        pytest.fail(keepalived.available(), pytrace=False)
    net = lab(2)
    h1, h2 = net.hosts  # h1: the master (priority 150); h2: the backup (100)
    vip = vip4(net)
    proms = {h.name: FakeProm(net, h) for h in (h1, h2)}

    if keepalived_master:
        ka = start_keepalived(net, h1, 150, "MASTER")
        agent = Agent(net, h2, promvipd, import_config(net, ctl, h2, 100, "BACKUP"))
    else:
        agent = Agent(net, h1, promvipd, import_config(net, ctl, h1, 150, "MASTER"))
        ka = start_keepalived(net, h2, 100, "BACKUP")

    def expect(master, timeout):
        backup = h2 if master is h1 else h1
        ka_state = "MASTER" if (master is h1) == keepalived_master else "BACKUP"
        pv_state = "BACKUP" if ka_state == "MASTER" else "MASTER"
        ka.wait_state(ka_state, timeout)
        agent.wait_state(pv_state, timeout)
        wait_for(lambda: has_vip(net, master, vip) and not has_vip(net, backup, vip), 5,
                 what=f"VIP on {master.name} only")

    # Both healthy: the higher priority (h1) is master, whichever program it runs.
    expect(h1, 10)
    assert not ka.drops(), ka.drops()

    # Prometheus stops on the master: 150 - 60 = 90 < 100, the backup takes over.
    proms[h1.name].stop()
    expect(h2, 10)

    # It comes back: h1 is 150 again and preempts.
    proms[h1.name].start()
    expect(h1, 10)

    # Prometheus stops on the backup: nothing moves (90 < 150).
    mark = ka.mark()
    proms[h2.name].stop()
    time.sleep(3)  # fall 2 x interval 1 s: the probe is DOWN by now
    if keepalived_master:
        assert agent.counters()["probe chk_prometheus"]["state"] == "DOWN"
    else:
        assert ka.log_has("Changing effective priority from 100 to 40", since=mark), ka.output()
    expect(h1, 5)
    assert "Entering" not in ka.output()[mark:], ka.output()[mark:]
    assert not ka.drops(), ka.drops()
