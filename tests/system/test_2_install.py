"""As installed: the Ansible role, run over SSH with the example playbook,
installs the .deb on both hosts, installs the hook and the exec probe,
writes a validated config, enables and starts promvipd; a second run
changes nothing. Under the shipped unit, promvipd runs with its sandbox in
force, and its hook and exec probe run as promvip. realtime_priority and
lock_memory: refused with a clear error under the unit as shipped, in force
with the role's real-time drop-in."""

import re

from lab import wait_for
from pair import HOOK, completions, exec_probe

ROLE_TASKS = ["Copy promvip_0.1.0_amd64.deb", "Install promvip from promvip_0.1.0_amd64.deb",
              "Install hook and probe scripts", "Write promvip.conf (checked by promvipd --config-test)",
              "Enable and start promvipd"]
# The unit's bounding set: CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
CAPS = "0000000000003000"
NONE = "0000000000000000"
# The README's drop-in for hooks that need root.
ROOT_DROPIN = "/etc/systemd/system/promvipd.service.d/root.conf"
ROOT_DROPIN_TEXT = """[Service]
User=root
Group=root
AmbientCapabilities=
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_KILL
SystemCallFilter=@setuid
"""


def proc_status(text):
    return dict(re.findall(r"^(\w+):\s*(.*?)\s*$", text, re.M))


def test_role_installs_both_hosts(system):
    run = system.first_run
    assert run.returncode == 0, run.output[-6000:]
    # The pair check ran once, over both hosts' configs, and found no error
    # (a warning: the exec probe, weight 0, failing everywhere leaves no master).
    assert re.search(r"2 hosts, 1 router: 0 errors, \d+ warnings?", run.output), run.output[-6000:]
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
        # The kernel filter of the VRRP sockets and their receive buffer are
        # set inside the sandbox too (a refusal is logged as a warning).
        journal = system.journal(name)
        assert "socket filter was not attached" not in journal, journal[-3000:]


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

        # The PromQL probe runs every 5 s and rises after 2 successes: it can
        # still be DOWN when the VIP has settled (ready rises in 2 s).
        def probes_up(name=name):
            probes = {p["name"]: p for p in system.status(name)["probes"]}
            return all(probes[p]["state"] == "UP" for p in ("ready", "fresh"))
        wait_for(probes_up, 30, interval=0.5,
                 what=lambda name=name: f"ready and fresh UP on {name}: {system.status(name)['probes']}")


def hook_users(system, name, cursor):
    return re.findall(r"hook: \w+ as (\w+);", system.journal(name, cursor))


def test_hooks_as_root_need_the_readme_dropin(system):
    """script_user = "root" on the backup: under the shipped unit promvipd
    says it cannot and refuses the runs; with the README's drop-in it runs
    as root, and so do its hooks and exec probes. Then back to the unit as
    shipped."""
    system.settle("h1")
    h2 = system.m["h2"]
    try:
        cursor = system.cursor("h2")
        system.host_vars["h2"] = {"promvip_script_user": "root", "promvip_extra_probes": [exec_probe("root")]}
        run = system.playbook()
        assert run.returncode == 0, run.output[-4000:]
        wait_for(lambda: re.search(r"global.script_user: cannot run as user root: promvipd runs as uid \d+, and only "
                                   r"root can switch users: hooks and exec probes will be refused", system.journal("h2", cursor)),
                 10, what=lambda: "the warning in:\n" + system.journal("h2", cursor))
        def user_probe():
            return {p["name"]: p for p in system.status("h2")["probes"]}["user"]
        # A changed probe starts anew, DOWN: FAULT at once, refused at its first run.
        wait_for(lambda: user_probe()["last_detail"], 10, what="the new exec probe's first run")
        assert system.state("h2") == "FAULT"
        assert re.match(r"cannot run as user root: promvipd runs as uid \d+, and only root can switch users",
                        user_probe()["last_detail"]), user_probe()

        h2.write(ROOT_DROPIN, ROOT_DROPIN_TEXT)
        h2.run(["systemctl", "daemon-reload"], check=True)
        cursor = system.cursor("h2")
        h2.run(["systemctl", "restart", "promvipd"], check=True, timeout=60)
        system.settle("h1")
        status = proc_status(h2.run(["cat", f"/proc/{system.main_pid('h2')}/status"], check=True).stdout)
        assert status["Uid"].split() == ["0"] * 4 and status["CapBnd"] == "00000000000030e0", status
        wait_for(lambda: hook_users(system, "h2", cursor), 10, what="h2's backup hook")
        assert hook_users(system, "h2", cursor) == ["root"]
    finally:
        # Back as the README says: without the drop-in, a restart (a reload
        # would be sent by promvip to a promvipd running as root).
        h2.run(["rm", "-f", ROOT_DROPIN], check=True)
        h2.run(["systemctl", "daemon-reload"], check=True)
        h2.run(["systemctl", "restart", "promvipd"], check=True, timeout=60)
        cursor = system.cursor("h2")
        system.host_vars.pop("h2", None)
        run = system.playbook()
    assert run.returncode == 0, run.output[-4000:]
    system.settle("h1")
    uid = h2.run(["id", "-u", "promvip"], check=True).stdout.strip()
    status = proc_status(h2.run(["cat", f"/proc/{system.main_pid('h2')}/status"], check=True).stdout)
    assert status["Uid"].split() == [uid] * 4 and status["CapBnd"] == CAPS, status
    wait_for(lambda: hook_users(system, "h2", cursor), 10, what="h2's backup hook")
    assert hook_users(system, "h2", cursor) == ["promvip"]


# The role's real-time drop-in, as the package ships it.
REALTIME_DROPIN = "/etc/systemd/system/promvipd.service.d/realtime.conf"
SHIPPED_DROPIN = "/usr/share/promvip/systemd/promvipd-realtime.conf"
SCHED_OTHER, SCHED_RR = 0, 2
# Only where the hosts' systemd cannot grant the drop-in's limits (see
# test_realtime_and_locked_memory): capabilities in their place.
LIMITS_STAND_IN = "/etc/systemd/system/promvipd.service.d/zz-test-limits.conf"
LIMITS_STAND_IN_TEXT = """[Service]
AmbientCapabilities=CAP_SYS_NICE CAP_IPC_LOCK
CapabilityBoundingSet=CAP_SYS_NICE CAP_IPC_LOCK
"""
# CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_IPC_LOCK (14), CAP_SYS_NICE (23).
STAND_IN_CAPS = "0000000000807000"


def host_can_raise_limits(m):
    """Whether the host's systemd has CAP_SYS_RESOURCE (bit 24), so that a
    unit's Limit*= may exceed its own hard limits (a real host's does)."""
    eff = proc_status(m.run(["cat", "/proc/1/status"], check=True).stdout)["CapEff"]
    return bool(int(eff, 16) & (1 << 24))


def sched(m, pid):
    """(policy, rt_priority) of a process, from /proc/PID/stat (fields 41, 40)."""
    fields = m.run(["cat", f"/proc/{pid}/stat"], check=True).stdout.rsplit(")", 1)[1].split()
    return int(fields[38]), int(fields[37])


def metric(m, name):
    """A gauge without labels from promvipd's /metrics on the host."""
    text = m.run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                  "'http://127.0.0.1:9662/metrics').read().decode())"], check=True).stdout
    return int(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


def test_realtime_and_locked_memory(system):
    """On the backup: realtime_priority and lock_memory without the
    drop-in (the unit as shipped refuses both; promvipd runs on and says
    what to do), then with the role's drop-in (SCHED_RR, memory locked, the
    rest of the sandbox unchanged, no error), then both off again."""
    system.settle("h1")
    h2 = system.m["h2"]
    on = {"promvip_realtime_priority": 50, "promvip_lock_memory": True}
    try:
        cursor = system.cursor("h2")
        system.host_vars["h2"] = dict(on, promvip_realtime_dropin=False)
        run = system.playbook()
        assert run.returncode == 0, run.output[-4000:]
        assert "h2: Restart promvipd" not in run.changed_tasks(), run.changed_tasks()
        wait_for(lambda: "lock_memory: mlockall:" in system.journal("h2", cursor), 10,
                 what=lambda: "the errors in:\n" + system.journal("h2", cursor))
        text = system.journal("h2", cursor)
        assert re.search(r"realtime_priority 50: sched_setscheduler: Operation not permitted \(RLIMIT_RTPRIO 0\); "
                         r"running without it: under systemd install the real-time drop-in", text), text
        assert re.search(r"lock_memory: mlockall: \S.*; running with memory that can be swapped out: "
                         r"under systemd install the real-time drop-in", text), text
        pid = system.main_pid("h2")
        assert sched(h2, pid) == (SCHED_OTHER, 0)
        assert proc_status(h2.run(["cat", f"/proc/{pid}/status"], check=True).stdout)["VmLck"] == "0 kB"
        assert metric(h2, "promvip_realtime_priority") == 0 and metric(h2, "promvip_memory_locked") == 0
        assert system.unit("h2", "ActiveState")["ActiveState"] == "active"
        assert system.state("h2") == "BACKUP"

        cursor = system.cursor("h2")
        system.host_vars["h2"] = dict(on)
        run = system.playbook()
        assert run.returncode == 0, run.output[-4000:]
        changed = run.changed_tasks()
        # (the directory may be there already: test_hooks_as_root_need_the_readme_dropin)
        for task in ("Install the real-time drop-in", "Reload systemd for the real-time drop-in",
                     "Restart promvipd"):
            assert f"h2: {task}" in changed, changed
        assert not [t for t in changed if t.startswith("h1: ")], changed
        assert h2.run(["cmp", SHIPPED_DROPIN, REALTIME_DROPIN], check=False).returncode == 0
        unit = system.unit("h2", "DropInPaths", "RestrictRealtime", "LimitRTPRIO", "LimitMEMLOCK")
        assert unit == {"DropInPaths": REALTIME_DROPIN, "RestrictRealtime": "no", "LimitRTPRIO": "99",
                        "LimitMEMLOCK": "infinity"}, unit
        caps = CAPS
        if not host_can_raise_limits(h2):
            # This machine's own hard limits (RLIMIT_RTPRIO 0, RLIMIT_MEMLOCK
            # 8 MiB) bind the hosts, whose systemd cannot raise them without
            # CAP_SYS_RESOURCE: the drop-in's limits are clamped and promvipd
            # says so. CAP_SYS_NICE and CAP_IPC_LOCK then stand in for the two
            # limits; RestrictRealtime= and the system call filter stay the
            # drop-in's, which is what this checks.
            text = system.journal("h2", cursor)
            assert "sched_setscheduler: Operation not permitted (RLIMIT_RTPRIO 0)" in text, text
            print("\nno CAP_SYS_RESOURCE on this machine: CAP_SYS_NICE and CAP_IPC_LOCK stand in for the limits")
            h2.write(LIMITS_STAND_IN, LIMITS_STAND_IN_TEXT)
            h2.run(["systemctl", "daemon-reload"], check=True)
            cursor = system.cursor("h2")
            h2.run(["systemctl", "restart", "promvipd"], check=True, timeout=60)
            caps = STAND_IN_CAPS
        system.settle("h1")
        pid = system.main_pid("h2")
        assert sched(h2, pid) == (SCHED_RR, 50)
        status = proc_status(h2.run(["cat", f"/proc/{pid}/status"], check=True).stdout)
        assert int(status["VmLck"].split()[0]) > 0, status
        print(f"\nlocked under the unit: VmLck {status['VmLck']}, VmSize {status['VmSize']}")
        assert (status["CapBnd"], status["CapEff"], status["CapAmb"]) == (caps,) * 3, status
        assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", status
        assert metric(h2, "promvip_realtime_priority") == 50 and metric(h2, "promvip_memory_locked") == 1
        text = system.journal("h2", cursor)
        assert "realtime_priority 50: the main thread runs SCHED_RR" in text, text
        assert "sched_setscheduler:" not in text and "mlockall:" not in text, text
        # The exec probe and the hooks keep running (as promvip, SCHED_OTHER:
        # tests/integration/test_realtime.py checks the policy).
        probes = {p["name"]: p for p in system.status("h2")["probes"]}
        assert probes["user"]["state"] == "UP", probes["user"]
    finally:
        h2.run(["rm", "-f", LIMITS_STAND_IN], check=True)
        cursor = system.cursor("h2")
        system.host_vars.pop("h2", None)
        run = system.playbook()
    assert run.returncode == 0, run.output[-4000:]
    for task in ("Remove the real-time drop-in", "Reload systemd for the real-time drop-in", "Restart promvipd"):
        assert f"h2: {task}" in run.changed_tasks(), run.changed_tasks()
    assert h2.run(["test", "-e", REALTIME_DROPIN], check=False).returncode != 0
    system.settle("h1")
    pid = system.main_pid("h2")
    assert sched(h2, pid) == (SCHED_OTHER, 0)
    assert proc_status(h2.run(["cat", f"/proc/{pid}/status"], check=True).stdout)["VmLck"] == "0 kB"
    assert "realtime_priority" not in h2.run(["cat", "/etc/promvip/promvip.conf"], check=True).stdout


def test_completion_with_the_roles_config(system):
    """The packaged bash completion offers the instance names of the
    configuration the role wrote (root reads it: 0640 root:promvip), and
    for drain --probe only file probes: none yet (test_3b_drain adds one)."""
    got = completions(system.m["h1"], "promvipctl ", "promvipctl release ", "promvipctl drain --probe ",
                      "promvipctl list ")
    assert {"status", "events", "release", "drain", "list"} <= set(got["promvipctl "]), got
    assert got["promvipctl release "] == ["prometheus"], got
    assert got["promvipctl drain --probe "] == [], got
    assert "file-probes" in got["promvipctl list "], got
