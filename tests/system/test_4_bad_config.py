"""A broken configuration never costs the VIP: the role refuses it
(`validate:`) and changes nothing; written by hand and reloaded, the old
configuration keeps running and `systemctl status` says why; restarted
with it, the start fails at the unit's config test and the other host
keeps the VIP. The role puts the good configuration back."""

import re
import time

from pair import failures, hosts_seen, now, runs

CONF = "/etc/promvip/promvip.conf"


def checksum(system, name):
    return system.m[name].run(["sha256sum", CONF], check=True).stdout.split()[0]


def break_config(system, name):
    """What a hand edit can do: a typo'd key, and a priority out of range."""
    system.m[name].sh(f"cp {CONF} /root/promvip.conf.good && "
                      f"sed -i -e 's/priority = 150;/priority = 300;/' -e 's/vrid = 51;/vrid = 51; priorty = 120;/' {CONF}",
                      check=True)
    r = system.m[name].run(["grep", "-n", "priorty", CONF], check=True)
    return int(r.stdout.split(":", 1)[0])


def test_role_refuses_a_broken_config(system):
    system.settle("h1")
    sums = {n: checksum(system, n) for n in system.m}
    before = {n: system.status(n) for n in system.m}
    run = system.playbook(promvip_vip="not-an-address")
    assert run.returncode != 0
    assert {n: c["failed"] for n, c in run.recap.items()} == {"h1": 1, "h2": 1}, run.output[-4000:]
    # The role's pair check finds it first (check-pair exits 2: a config
    # that does not load), before anything changes; validate: stands behind.
    assert "promvipctl check-pair exited 2" in run.output and "not-an-address" in run.output, run.output[-4000:]
    assert not run.changed_tasks(), run.changed_tasks()
    for n in system.m:
        assert checksum(system, n) == sums[n]
        after = system.status(n)
        assert (after["reloads"], after["reload_failures"]) == (before[n]["reloads"], before[n]["reload_failures"])
    system.settle("h1", timeout=5)


def test_hand_written_broken_config_reload(system):
    system.settle("h1")
    before = system.status("h1")
    line = break_config(system, "h1")
    system.m["h1"].run(["systemctl", "reload", "promvipd"], check=True)
    text = ""
    for _ in range(50):
        text = system.m["h1"].run(["systemctl", "status", "--no-pager", "-n", "20", "promvipd"]).stdout
        if "Reload failed" in text:
            break
        time.sleep(0.1)
    assert re.search(r'Status: "Reload failed \(2 errors\), still running: ', text), text
    assert f"{CONF}:{line}: instance 'prometheus': unknown setting 'priorty' (did you mean 'priority'?)" in text, text
    after = system.status("h1")
    assert after["reload_failures"] == before["reload_failures"] + 1 and after["reloads"] == before["reloads"]
    assert after["instances"][0]["priority"]["base"] == 150
    system.settle("h1", timeout=5)


DROPIN = "/etc/systemd/system/promvipd.service.d/zz-test-restart.conf"


def test_restart_with_broken_config_fails(system):
    """The config is still broken by hand on h1 (test above). A long
    RestartSec keeps the failed unit waiting in "activating (auto-restart)"
    while the role runs: the state in which a reload cannot work and the
    role's handler must start it (it used to fail there, now and then,
    when the playbook met systemd's 2 s restart delay)."""
    system.settle("h1")
    client = system.client()
    cursor = system.cursor("h1")
    system.m["h1"].sh(f"mkdir -p {DROPIN.rsplit('/', 1)[0]} && "
                      f"printf '[Service]\\nRestartSec=120s\\n' > {DROPIN} && systemctl daemon-reload",
                      check=True)
    t0 = now()
    r = system.m["h1"].run(["systemctl", "restart", "promvipd"], timeout=60)
    assert r.returncode != 0 and "promvipd.service failed because the control process exited" in r.stderr, r.stderr
    status = system.m["h1"].run(["systemctl", "status", "--no-pager", "promvipd"]).stdout
    assert re.search(r"ExecStartPre=/usr/sbin/promvipd --config-test .*status=1/FAILURE", status), status
    text = system.journal("h1", cursor)
    assert f"{CONF}: configuration test failed (2 errors)" in text, text
    assert re.search(rf"{CONF}:\d+: instance 'prometheus': unknown setting 'priorty'", text), text
    # Its hand-over went to h2, which keeps the VIP while h1 cannot start.
    assert system.holders() == ["h2"] and system.state("h2") == "MASTER"
    time.sleep(5)
    assert system.holders() == ["h2"] and system.state("h2") == "MASTER"
    t1 = now()

    assert system.unit("h1", "ActiveState", "SubState") == {"ActiveState": "activating",
                                                              "SubState": "auto-restart"}

    # The role writes the good config again and starts promvipd.
    try:
        run = system.playbook()
    finally:
        system.m["h1"].sh(f"rm -f {DROPIN} && systemctl daemon-reload", check=True)
    assert run.returncode == 0, run.output[-4000:]
    assert "h1: Write promvip.conf (checked by promvipd --config-test)" in run.changed_tasks(), run.output
    system.settle("h1", timeout=60)
    samples = system.finish(client)
    assert hosts_seen(samples) == ["h1", "h2", "h1"], runs(samples)
    assert failures(samples, t0, t1) <= 1 and failures(samples, t1) <= 1, runs(samples, t0)
