"""Draining a host for maintenance, as installed (README, "Draining a host
for maintenance"): the role adds a `drain` file probe (weight -100), tracked
by the instance; `promvipctl drain prometheus` on the master moves the VIP
to the other host, a `systemctl restart promvipd` there keeps it BACKUP
(the flag survives, read before the first advertisement), and
`promvipctl undrain prometheus` brings it back. This proves the unit's
StateDirectory= and sandbox (ProtectSystem=strict) let promvipd read the
flag root wrote and watch it with inotify. The probe stays in the
inventory for the tests after this one (undrained, it changes nothing)."""

import re
import time

from lab import wait_for
from pair import ADVERT_INTERVAL, completions, exec_probe, failures, hosts_seen, now, runs

FLAG = "/var/lib/promvip/drain"
DRAIN = {"name": "drain", "type": "file", "path": FLAG, "weight": -100}
MARGIN = 2.0
PROBES_RISE = 60.0   # as in test_3_failover: probes UP again after a start
HOLD = 3 * ADVERT_INTERVAL + MARGIN


def probe(status, name):
    return next(p for p in status["probes"] if p["name"] == name)


def others_up(system, name):
    """Every probe but `drain` UP on host `name` (promvipd answering)."""
    s = system.status(name)
    return bool(s) and all(p["state"] == "UP" for p in s["probes"] if p["name"] != "drain")


def test_drain_restart_undrain(system):
    system.settle("h1")
    system.overrides["promvip_extra_probes"] = [exec_probe(), DRAIN]
    run = system.playbook()
    assert run.returncode == 0, run.output[-4000:]
    assert sorted(run.changed_tasks()) == sorted(
        f"{n}: {task}" for n in system.m
        for task in ("Write promvip.conf (checked by promvipd --config-test)", "Reload promvipd")), run.output
    conf = system.m["h1"].run(["cat", "/etc/promvip/promvip.conf"], check=True).stdout
    assert f'{{ name = "drain"; type = "file"; path = "{FLAG}"; weight = -100; }}' in conf, conf
    assert re.search(r'track = \( .*"drain" \);', conf), conf
    got = completions(system.m["h1"], "promvipctl drain --probe ", "promvipctl drain prometheus --probe ")
    assert all(v == ["drain"] for v in got.values()) and len(got) == 2, got  # the packaged completion
    system.settle("h1")
    # No flag yet: the probe reads `missing` (0) and the priority is the base.
    s = system.status("h1")
    assert probe(s, "drain")["value"] == 0 and s["instances"][0]["priority"]["effective"] == 150, s

    client = system.client()
    t0 = now()
    r = system.m["h1"].run(["promvipctl", "drain", "prometheus"], check=True)
    assert f"instance 'prometheus' drained: wrote 1 to {FLAG}" in r.stdout, r.stdout + r.stderr
    bound = system.master_down("h2") + MARGIN
    wait_for(lambda: system.holders() == ["h2"] and system.state("h2") == "MASTER", bound, interval=0.02,
             what="the VIP on h2 after the drain")
    print(f"\ndrain: the VIP moved after {now() - t0:.2f} s (bound {bound:.1f} s)")
    wait_for(lambda: system.state("h1") == "BACKUP", MARGIN, what="h1 BACKUP")
    s = system.status("h1")
    assert probe(s, "drain")["value"] == 1 and s["instances"][0]["priority"]["effective"] == 50, s
    owner = system.m["h1"].run(["stat", "-c", "%U %a", "/var/lib/promvip", FLAG], check=True).stdout.split("\n")
    assert owner[:2] == ["promvip 755", "root 644"], owner

    # Restarted while drained: back as BACKUP with its other probes UP, and
    # it stays there.
    t1 = now()
    cursor = system.cursor("h1")
    system.m["h1"].run(["systemctl", "restart", "promvipd"], check=True, timeout=60)
    wait_for(lambda: others_up(system, "h1") and system.state("h1") == "BACKUP", PROBES_RISE, interval=0.2,
             what="h1's promvipd restarted, BACKUP with its other probes UP")
    end = now() + HOLD
    while now() < end:
        assert system.holders() == ["h2"] and system.state("h2") == "MASTER", system.holders()
        assert system.state("h1") == "BACKUP"
        time.sleep(0.2)
    s = system.status("h1")
    assert probe(s, "drain")["value"] == 1 and s["instances"][0]["priority"]["effective"] == 50, s
    text = system.journal("h1", cursor)
    assert "Starting promvipd.service" in text and "-> MASTER" not in text, text

    t2 = now()
    r = system.m["h1"].run(["promvipctl", "undrain", "prometheus"], check=True)
    assert f"instance 'prometheus' undrained: wrote 0 to {FLAG}" in r.stdout, r.stdout + r.stderr
    system.settle("h1", timeout=system.master_down("h1") + 10)
    print(f"undrain: h1 master again after {now() - t2:.2f} s")
    samples = system.finish(client)
    print(f"drain, restart, undrain: hosts {hosts_seen(samples)}, {failures(samples)} failed requests")
    assert hosts_seen(samples) == ["h1", "h2", "h1"], runs(samples)
    # A switch costs at most its in-flight request; none while h1 restarts.
    assert failures(samples, t0, t1) <= 1 and failures(samples, t1, t2) == 0 and failures(samples, t2) <= 1, \
        runs(samples)
