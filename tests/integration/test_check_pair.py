"""promvipctl check-pair (issue 17): the real binary on configuration files,
one per host. A good pair exits 0 with its table; each error exits 1 and
says why; a warning alone exits 0 (1 with --strict); a configuration that
does not load exits 2 with its FILE:LINE errors, as promvipd --config-test
prints them. Nothing runs: no namespaces needed."""

import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "conf", "promvip.conf")

PROBES = """
probes = (
  { name = "ready"; type = "http"; url = "http://127.0.0.1:9090/-/ready";
    interval = 1.0; timeout = 0.5; fall = 3; rise = 2; weight = -60; },
  { name = "fresh"; type = "promql"; url = "http://127.0.0.1:9090";
    query = "time() - max(timestamp(up))"; max = 60.0;
    interval = 5.0; timeout = 2.0; fall = 2; rise = 2; weight = -60; }
);
"""

# keepalived guides' Prometheus check, as promvip writes it.
GUIDE_PROBES = """
probes = (
  { name = "chk_prometheus"; type = "http"; url = "http://127.0.0.1:9090/-/healthy";
    interval = 2.0; fall = 2; rise = 2; weight = -2; }
);
"""


def conf(router_id, priority=100, vrid=51, track='"ready", "fresh"', vips='"192.0.2.100/24"',
         extra="rapid_preemption = true;", probes=PROBES):
    rid = f'global = {{ router_id = "{router_id}"; }};\n' if router_id else ""
    return (rid + probes + f"""
instances = (
  {{ name = "prometheus"; interface = "eth0"; vrid = {vrid}; priority = {priority};
    virtual_addresses = ( {vips} ); track = ( {track} ); {extra} }}
);
""")


def check_pair(ctl, tmp_path, *texts, args=()):
    paths = []
    for i, text in enumerate(texts):
        p = tmp_path / f"host{i}.conf"
        p.write_text(text)
        paths.append(str(p))
    r = subprocess.run([ctl, "check-pair", *args, *paths], capture_output=True, text=True, timeout=30)
    return r, paths


def rows(out):
    """The scenario table's rows, cells split on two or more blanks."""
    lines = out.split("\n  scenario", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


def test_good_pair(ctl, tmp_path):
    r, paths = check_pair(ctl, tmp_path, conf("prom-a", 150), conf("prom-b", 100))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert r.stderr == ""
    assert "'prometheus' (vrid 51, IPv4): 192.0.2.100/24\n" in out, out
    assert re.search(rf"\n  prom-a\s+{re.escape(paths[0])}\s+150\s+yes\s+yes\s+ready -60, fresh -60\n", out), out
    assert rows(out) == [
        ["all is well", "150", "100", "prom-a"],
        ["'ready' fails on prom-a (3.5 s)", "90", "100", "prom-b", "prom-a"],
        ["'fresh' fails on prom-a (12 s)", "90", "100", "prom-b", "prom-a"],
        ["prom-a is down", "down", "100", "prom-b", "prom-a"],
        ["'ready' fails everywhere", "90", "40", "prom-a"],
        ["'fresh' fails everywhere", "90", "40", "prom-a"],
    ], out
    assert out.endswith("\n2 hosts, 1 router: 0 errors, 0 warnings\n"), out
    assert "error" not in out.replace("0 errors", "")


def test_shipped_example_as_a_pair(ctl, tmp_path):
    """conf/promvip.conf on two hosts (priority 150 and 100): no error;
    the warning that rapid preemption is off."""
    text = open(EXAMPLE).read()
    b = text.replace('router_id = "prom-a"', 'router_id = "prom-b"').replace("priority = 150;", "priority = 100;")
    assert b != text and "priority = 100;" in b
    r, _ = check_pair(ctl, tmp_path, text, b)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning: 'prometheus' (vrid 51, IPv4): rapid_preemption is off on every host" in r.stdout
    assert "\n2 hosts, 1 router: 0 errors, 1 warning\n" in r.stdout
    r, _ = check_pair(ctl, tmp_path, text, b, args=["--strict"])
    assert r.returncode == 1, r.stdout + r.stderr


@pytest.mark.parametrize("a, b, message", [
    # The guides' pair: 150/100 and a check with weight -2 that never moves the VIP.
    (conf("a", 150, track='"chk_prometheus"', probes=GUIDE_PROBES),
     conf("b", 100, track='"chk_prometheus"', probes=GUIDE_PROBES),
     "error: 'prometheus' (vrid 51, IPv4): 'chk_prometheus' failing on a (priority 150 -> 148) does not move "
     "the VIP: b (100) takes over only from a lower priority than its own; give 'chk_prometheus' a weight of "
     "-51 or lower on a, or 0 (FAULT)"),
    # 100 on both: the master is the higher address's, whatever the checks say.
    (conf("a", 100, track='"chk_prometheus"', probes=GUIDE_PROBES),
     conf("b", 100, track='"chk_prometheus"', probes=GUIDE_PROBES),
     "error: 'prometheus' (vrid 51, IPv4): a and b tie at priority 100 when all is well"),
    # nopreempt on the backup: only a FAULT moves the VIP.
    (conf("a", 150), conf("b", 100, extra="preempt = false;"),
     "'ready' failing on a (priority 150 -> 90) does not move the VIP: b (100) does not preempt"),
    (conf("a", 150), conf("b", 100, vrid=52),
     "error: the VRID differs between hosts: virtual address 192.0.2.100/24 has vrid 51 on a and vrid 52 on b"),
    (conf("a", 150, extra="rapid_preemption = true; version = 2;"), conf("b", 100),
     "VRRP versions differ between hosts (a 2, b 3)"),
    (conf("a", 150, extra="rapid_preemption = true; advert_interval = 0.5;"), conf("b", 100),
     "advert_interval values differ between hosts (a 0.5 s, b 1 s)"),
    (conf("a", 150, vips='"192.0.2.100/24", "192.0.2.101/24"'), conf("b", 100),
     "virtual_addresses differ between hosts (a 192.0.2.100/24 192.0.2.101/24, b 192.0.2.100/24)"),
    (conf("a", 150, extra='version = 2; auth = { type = "pass"; password = "s3cret"; };'),
     conf("b", 100, extra='version = 2; auth = { type = "pass"; password = "other"; };'),
     "the auth password differs between hosts (a, b)"),
    (conf("a", 255, track='{ probe = "ready"; weight = 0; }'), conf("b", 255, track='{ probe = "ready"; weight = 0; }'),
     "priority 255 (the address owner) on more than one host (a, b)"),
])
def test_errors(ctl, tmp_path, a, b, message):
    r, _ = check_pair(ctl, tmp_path, a, b)
    assert r.returncode == 1, r.stdout + r.stderr
    assert message in r.stdout, r.stdout
    assert "s3cret" not in r.stdout
    assert re.search(r"\n2 hosts, \d routers?: [1-9]\d* errors?, \d+ warnings?\n$", r.stdout), r.stdout


@pytest.mark.parametrize("a, b, args, message", [
    (conf("a", 150), conf("b", 100, extra="rapid_preemption = true; preempt_delay = 5;"), [],
     "warning: 'prometheus' (vrid 51, IPv4): preempt settings differ between hosts "
     "(a preempt = true, b preempt_delay 5 s)"),
    (conf("a", 150), conf("b", 100, extra=""), [],
     "rapid_preemption is off on b (on on a)"),
    (conf("a", 150), conf("b", 100), ["--target", "5"],
     "probe 'fresh' on a: fall 2 x interval 5 s + timeout 2 s = 12 s to detect a failure, more than the target 5 s"),
    (conf("a", 150), conf("b", 100).replace('name = "prometheus"', 'name = "prom"'), [],
     "instance names differ between hosts (a 'prometheus', b 'prom')"),
])
def test_warnings(ctl, tmp_path, a, b, args, message):
    r, _ = check_pair(ctl, tmp_path, a, b, args=args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert message in r.stdout, r.stdout
    assert "\nerror:" not in r.stdout
    r, _ = check_pair(ctl, tmp_path, a, b, args=["--strict", *args])
    assert r.returncode == 1, r.stdout + r.stderr


def test_unloadable_config(ctl, tmp_path):
    bad = conf("b", 100).replace("priority = 100;", "priorty = 100;")
    r, paths = check_pair(ctl, tmp_path, conf("a", 150), bad)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    line = bad.splitlines().index(next(x for x in bad.splitlines() if "priorty" in x)) + 1
    assert f"{paths[1]}:{line}: instance 'prometheus': unknown setting 'priorty' (did you mean 'priority'?)" \
        in r.stderr, r.stderr
    assert f"{paths[1]}: configuration test failed (1 error)" in r.stderr, r.stderr
    missing = str(tmp_path / "missing.conf")
    r = subprocess.run([ctl, "check-pair", paths[0], missing], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and f"{missing}: cannot open" in r.stderr, r.stderr


def test_usage_and_labels(ctl, tmp_path):
    r = subprocess.run([ctl, "check-pair"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "needs the configuration of every host" in r.stderr, r.stderr
    r = subprocess.run([ctl, "check-pair", "--target", "soon", "x.conf"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "bad --target 'soon'" in r.stderr, r.stderr
    r = subprocess.run([ctl, "--help"], capture_output=True, text=True, timeout=30)
    assert "promvipctl check-pair [--target SECONDS] [--strict] CONFIG..." in r.stdout
    # Without router_id both are this machine's name: the paths tell them apart.
    r, paths = check_pair(ctl, tmp_path, conf(None, 150), conf(None, 100))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{paths[0]} is down" in r.stdout, r.stdout
