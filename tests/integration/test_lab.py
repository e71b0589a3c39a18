"""Self-test of the lab harness: connectivity, isolation, cleanup."""

import shutil
import signal
import subprocess

from lab import list_namespaces, wait_for


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                         text=True, check=True).stdout
    return sorted(line.split(":")[1].strip() for line in out.splitlines())


def test_hosts_and_client_reach_each_other(lab):
    assert shutil.which("ping"), "ping not found: install Debian's iputils-ping"
    before = root_links()
    net = lab(2)
    assert root_links() == before, "the lab touched the root namespace"
    h1, h2 = net.hosts
    assert net.run(h1.ns, ["ip", "-o", "link", "show", "eth0"]).returncode == 0
    for src, dst in ((h1, h2.addr4), (h2, h1.addr4), (h1, net.client.addr4),
                     (net.client, h2.addr4), (h1, h2.addr6)):
        r = net.run(src.ns, ["ping", "-c1", "-W1", dst])
        assert r.returncode == 0, f"{src.name} -> {dst}: {r.stdout}{r.stderr}"
    # The root namespace cannot reach the lab's addresses.
    assert h1.addr4 not in subprocess.run(["ip", "-o", "addr"], capture_output=True,
                                          text=True).stdout


def test_spawn_and_teardown(lab):
    net = lab(1)
    h1 = net.hosts[0]
    proc = net.spawn(h1.ns, ["sh", "-c", "echo started; ip -o addr show eth0; exec sleep 30"],
                     name="sleeper")
    wait_for(lambda: "started" in proc.output(), 5, what="sleeper output")
    wait_for(lambda: h1.addr4 in proc.output(), 5, what="sleeper sees eth0")
    assert proc.alive()
    proc.signal(signal.SIGTERM)
    assert proc.wait(5) == -signal.SIGTERM
    stray = net.spawn(h1.ns, ["sleep", "30"], name="stray")
    namespaces = list(net.namespaces)
    net.close()
    assert not stray.alive()
    assert not set(namespaces) & set(list_namespaces("pvt-"))
