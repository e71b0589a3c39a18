"""As installed: the Ansible role, run over SSH with the example playbook,
installs the .deb on both hosts, installs the hook and the exec probe,
writes a validated config, enables and starts promvipd; a second run
changes nothing. Under the shipped unit, promvipd runs with its sandbox in
force, and its hook and exec probe run as promvip."""

import re

from pair import HOOK

ROLE_TASKS = ["Copy promvip_0.1.0_amd64.deb", "Install promvip from promvip_0.1.0_amd64.deb",
              "Install hook and probe scripts", "Write promvip.conf (checked by promvipd --config-test)",
              "Enable and start promvipd"]
# The unit's bounding set: CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
CAPS = "0000000000003000"
NONE = "0000000000000000"


def proc_status(text):
    return dict(re.findall(r"^(\w+):\s*(.*?)\s*$", text, re.M))


def test_role_installs_both_hosts(system):
    run = system.first_run
    assert run.returncode == 0, run.output[-6000:]
    changed = run.changed_tasks()
    for name in sorted(system.m):
        assert run.recap[name]["failed"] == 0 and run.recap[name]["unreachable"] == 0, run.recap
        for task in ROLE_TASKS:
            assert f"{name}: {task}" in changed, changed
        r = system.m[name].run(["dpkg-query", "-W", "-f", "${Status} ${Version}", "promvip"], check=True)
        assert r.stdout == "install ok installed 0.1.0", r.stdout
        r = system.m[name].run(["stat", "-c", "%U:%G %a", "/etc/promvip/promvip.conf", HOOK], check=True)
        assert r.stdout.split("\n")[:2] == ["root:promvip 640", "root:root 755"], r.stdout


def test_second_run_changes_nothing(system):
    run = system.playbook()
    assert run.returncode == 0, run.output[-6000:]
    assert run.changed() == {"h1": 0, "h2": 0}, run.changed_tasks()


def test_one_master(system):
    """Probes start DOWN: once they are UP, h1 (150) is master."""
    system.settle("h1", timeout=90)


def test_sandbox_in_force(system):
    for name, m in sorted(system.m.items()):
        unit = system.unit(name, "ActiveState", "SubState", "NRestarts", "StatusText", "MainPID")
        assert (unit["ActiveState"], unit["SubState"]) == ("active", "running"), unit
        assert unit["NRestarts"] == "0", unit
        assert unit["StatusText"].startswith("Running: "), unit
        status = proc_status(m.run(["cat", f"/proc/{unit['MainPID']}/status"], check=True).stdout)
        uid = m.run(["id", "-u", "promvip"], check=True).stdout.strip()
        gid = m.run(["id", "-g", "promvip"], check=True).stdout.strip()
        assert status["Uid"].split() == [uid] * 4 and status["Gid"].split() == [gid] * 4, status
        assert (status["CapBnd"], status["CapPrm"], status["CapEff"], status["CapAmb"]) == (CAPS,) * 4, status
        assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", status


def test_hook_and_exec_probe_run_as_promvip(system):
    system.settle("h1")
    for name, state in (("h1", "MASTER"), ("h2", "BACKUP")):
        lines = [line for line in system.journal(name).splitlines() if f"hook: {state} as " in line]
        assert lines, system.journal(name)
        out = lines[-1]
        assert f"hook {HOOK} ({state}) done" in out and f"hook: {state} as promvip;" in out, out
        seen = dict(re.findall(r"(\w+):([0-9a-f]+)", out.split("as promvip;", 1)[1]))
        # No capability, no signal ignored or blocked, no way to gain privileges.
        assert seen == {"SigBlk": NONE, "SigIgn": NONE, "CapPrm": NONE, "CapEff": NONE, "CapAmb": NONE,
                        "NoNewPrivs": "1"}, out
        probes = {p["name"]: p for p in system.status(name)["probes"]}
        assert probes["user"]["state"] == "UP" and probes["user"]["last_result"] == "ok", probes["user"]
        assert probes["ready"]["state"] == "UP" and probes["fresh"]["state"] == "UP", probes
