"""promvipd's process contract: readiness, stop, reload, config errors."""

import os
import re
import signal

import pytest

from lab import wait_for

START = 10  # seconds: generous bounds, the daemon needs far less


def config(host, name="prometheus", vrid=51, broken=False):
    """A valid config for `host`, one setting per line so that errors have
    known line numbers. broken=True puts in two errors: a bad value
    (vrid 300) and an unknown key ('priorty')."""
    vip = f"10.99.{host.lab.number}.100/24"
    lines = [
        "# promvip integration test config",
        "global = {",
        f'  router_id = "{host.name}";',
        '  listen = "127.0.0.1:9662";',
        "};",
        "probes = (",
        '  { name = "ready"; type = "http"; url = "http://127.0.0.1:9090/-/ready";',
        "    interval = 1.0; timeout = 0.5; fall = 3; rise = 2; }",
        ");",
        "instances = (",
        "  {",
        f'    name = "{name}";',
        '    interface = "eth0";',
        f"    vrid = {300 if broken else vrid};",
        "    priority = 150;",
        *(["    priorty = 150;"] if broken else []),
        f'    virtual_addresses = ( "{vip}" );',
        '    track = ( { probe = "ready"; weight = -60; } );',
        "  }",
        ");",
    ]
    return "\n".join(lines) + "\n"


def line_of(text, needle):
    """1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise ValueError(needle)


def error_lines(output, path, line):
    """Lines of `output` that report an error at path:line."""
    tag = f"{os.path.basename(path)}:{line}:"
    return [entry for entry in output.splitlines() if tag in entry]


def start(net, host, promvipd, conf_text, name="promvipd"):
    """Write conf, start promvipd in `host`, wait for READY=1."""
    path = net.write(f"{host.name}.conf", conf_text)
    sock = net.notify_socket(f"{host.name}-{name}")
    proc = net.spawn(host.ns, [promvipd, "-f", path, "-l", "debug"],
                     env=sock.env(), name=name)
    sock.wait_for("READY=1", START)
    return proc, sock, path


def test_ready_with_status(lab, promvipd):
    net = lab(1)
    proc, sock, _ = start(net, net.hosts[0], promvipd, config(net.hosts[0]))
    status = wait_for(sock.status, START, what="STATUS=")
    assert status.startswith("Running:"), status
    assert "prometheus" in status, status
    assert proc.alive()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_on_signal(lab, promvipd, sig):
    net = lab(1)
    proc, sock, _ = start(net, net.hosts[0], promvipd, config(net.hosts[0]))
    mark = len(sock.messages())
    proc.signal(sig)
    sock.wait_for("STOPPING=1", START, since=mark)
    assert proc.wait(START) == 0


def test_reload_keeps_old_config_on_errors(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    proc, sock, path = start(net, h1, promvipd, config(h1, name="prometheus"))

    # A broken file: the old config stays in force, the errors are logged.
    broken = config(h1, name="grafana", broken=True)
    net.write(os.path.basename(path), broken)
    mark = len(sock.messages())
    proc.signal(signal.SIGHUP)
    sock.wait_for("RELOADING=1", START, since=mark)
    sock.wait_for("READY=1", START, since=mark)
    status = wait_for(lambda: "Reload failed" in (sock.status() or "") and sock.status(),
                      START, what="STATUS=Reload failed")
    assert "(2 errors)" in status, status
    assert "still running" in status and "prometheus" in status, status
    assert "grafana" not in status, status
    assert proc.alive()
    out = proc.output()
    for needle in ("vrid = 300", "priorty"):
        assert error_lines(out, path, line_of(broken, needle)), \
            f"no {path}:LINE: error for {needle!r} in:\n{out}"
    assert any("priorty" in e for e in error_lines(out, path, line_of(broken, "priorty")))
    assert re.search(r"(?i)reload\b.*\bfailed", out), out

    # A different valid file: it replaces the old config.
    net.write(os.path.basename(path), config(h1, name="alertmanager", vrid=52))
    mark = len(sock.messages())
    proc.signal(signal.SIGHUP)
    sock.wait_for("RELOADING=1", START, since=mark)
    sock.wait_for("READY=1", START, since=mark)
    status = wait_for(lambda: "alertmanager" in (sock.status() or "") and sock.status(),
                      START, what="STATUS naming the new instance")
    assert status.startswith("Running:") and "(reloaded)" in status, status
    assert "prometheus" not in status, status
    assert proc.alive()


def test_broken_config_at_start(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    text = config(h1, broken=True)
    path = net.write("broken.conf", text)
    sock = net.notify_socket()
    r = net.run(h1.ns, [promvipd, "-f", path], env=sock.env(), timeout=START)
    assert r.returncode == 1, r.stdout + r.stderr
    for needle in ("vrid = 300", "priorty"):
        assert error_lines(r.stderr, path, line_of(text, needle)), \
            f"no {path}:LINE: error for {needle!r} in stderr:\n{r.stderr}"
    assert not sock.has("READY=1"), sock.messages()


@pytest.mark.parametrize("flag", ["--config-test", "-t"])
def test_config_test(lab, promvipd, flag):
    net = lab(1)
    h1 = net.hosts[0]
    good = net.write("good.conf", config(h1, name="prometheus"))
    r = net.run(h1.ns, [promvipd, flag, "-f", good], timeout=START)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = r.stdout.strip().splitlines()
    assert len(summary) == 1 and "prometheus" in summary[0], r.stdout

    text = config(h1, broken=True)
    bad = net.write("bad.conf", text)
    r = net.run(h1.ns, [promvipd, flag, "-f", bad], timeout=START)
    assert r.returncode == 1, r.stdout + r.stderr
    for needle in ("vrid = 300", "priorty"):
        assert error_lines(r.stderr, bad, line_of(text, needle)), r.stderr


def test_version_and_help(lab, promvipd):
    net = lab(1)
    h1 = net.hosts[0]
    r = net.run(h1.ns, [promvipd, "--version"], timeout=START)
    assert r.returncode == 0, r.stderr
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout
    r = net.run(h1.ns, [promvipd, "--help"], timeout=START)
    assert r.returncode == 0, r.stderr
    assert "--config-test" in r.stdout, r.stdout


def test_watchdog_pings(lab, promvipd):
    """With WATCHDOG_USEC set (as systemd does for WatchdogSec=), the daemon
    sends WATCHDOG=1 at about half that interval; without it, never."""
    net = lab(1)
    host = net.hosts[0]
    path = net.write("h1.conf", config(host))
    sock = net.notify_socket("h1-watchdog")
    env = dict(sock.env(), WATCHDOG_USEC="200000")
    net.spawn(host.ns, [promvipd, "-f", path], env=env, name="promvipd")
    sock.wait_for("READY=1", START)
    wait_for(lambda: len([m for m in sock.messages() if "WATCHDOG=1" in m.splitlines()]) >= 3,
             START, what="three WATCHDOG=1 pings")

    quiet = net.notify_socket("h1-nowatchdog")
    proc = net.spawn(host.ns, [promvipd, "-f", path], env=quiet.env(), name="promvipd-2")
    quiet.wait_for("READY=1", START)
    proc.signal(signal.SIGTERM)
    assert proc.wait(START) == 0
    assert not any("WATCHDOG=1" in m.splitlines() for m in quiet.messages())
