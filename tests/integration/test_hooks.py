"""Notify hooks (README "notify" group): which hook runs
on which transition, in which order and with which arguments and
environment; one at a time per instance, queued in transition order, hooks
still waiting dropped by a newer transition (test_hook_flood.py floods it); cut at
their timeout without holding up the advertisements; refused when someone
other than root could change them; keepalived notify scripts work
unchanged; scripts/notify-example.sh works as shipped.

Hooks run as `nobody` (global.script_user) from a root-owned 0755 directory
under /tmp (see vrrp.HookDir) and leave records of their runs in 0666 files
(vrrp.record_hook / read_records). Advertisements every 0.2 s keep the tests
short; every bound has a margin over the RFC value.
"""

import functools
import os
import pwd
import re
import shutil
import time

import pytest

import packets
from lab import wait_for
from vrrp import (master_down_interval, Agent, config, config_test, has_vip, hook_config, hook_lines,
                  hooks_done, log_mark, notify_group, read_records, record_hook, run_checked,
                  transitions_since, user_processes, vip4, wait_holder, wait_records)

INTERVAL = 0.2
MARGIN = 2.0
HOOK_TIMEOUT = 2.0
NOBODY = pwd.getpwnam("nobody")
# The environment of a hook: exactly these (the shell adds PWD itself).
HOOK_ENV = {"PATH", "LANG", "HOME", "USER", "LOGNAME", "PROMVIP_INSTANCE", "PROMVIP_STATE",
            "PROMVIP_PREVIOUS_STATE", "PROMVIP_PRIORITY", "PROMVIP_VRID", "PROMVIP_VIPS"}
SHELL_ENV = {"PWD"}
STATES = ("master", "backup", "fault", "stop")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "scripts", "notify-example.sh")


mdi = functools.partial(master_down_interval, interval=INTERVAL)


def read_text(path):
    with open(path) as f:
        return f.read()


def link(net, host, up):
    net.run(host.ns, ["ip", "link", "set", "eth0", "up" if up else "down"], check=True)


def summary(records):
    """[(hook, STATE, PREVIOUS)] of hook records."""
    return [(r["hook"], r["state"], r["prev"]) for r in records]


def assert_one_at_a_time(records):
    """Each run started after the one before it ended."""
    for a, b in zip(records, records[1:]):
        assert b["start"] >= a["end"], ("hooks overlapped", a, b)


def hook_counters(agent, instance="prom"):
    """(hooks_run, hooks_failed, hooks_refused, hooks_dropped) from the SIGUSR1 dump."""
    c = agent.counters()[f"instance {instance}"]
    assert "hooks_run" in c and "hooks_dropped" in c, f"no hook counters in the SIGUSR1 dump: {c}"
    return tuple(int(c[k]) for k in ("hooks_run", "hooks_failed", "hooks_refused", "hooks_dropped"))


def wait_hook_counters(agent, want, timeout=5, instance="prom"):
    got = []

    def check():
        got.append(hook_counters(agent, instance))
        return got[-1] == want
    wait_for(check, timeout, interval=0.2, what=lambda: f"hook counters {want} (got {got[-1:]})")




# -- order, arguments, environment --------------------------------------------
def test_hooks_order_and_arguments(hooks, lab, promvipd):
    """One agent (h1, 150) with every hook, driven through start (INIT ->
    BACKUP -> MASTER), preemption by h2 (200), h2's stop, interface down
    (FAULT) and up, and SIGTERM (STOP): for each transition the state's hook
    and then `any` run, in order, one at a time, as nobody with exactly the
    documented environment (PROMVIP_VIPS: both VIPs, space-separated);
    `any` gets its own argv plus keepalived's INSTANCE <name> <STATE>
    <priority>."""
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    vips = [f"{vip}/24", f"10.99.{net.number}.101/24"]
    out = hooks.output("runs.log")
    paths = {s: record_hook(hooks, f"{s}.sh", out) for s in STATES + ("any",)}
    notify = notify_group(master=paths["master"], backup=paths["backup"], fault=paths["fault"],
                          stop=paths["stop"], any=[paths["any"], "--from-promvip"],
                          timeout=HOOK_TIMEOUT)
    a = Agent(net, h1, promvipd, hook_config(notify, priority=150, vips=vips, interval=INTERVAL))
    a.wait_state("MASTER", mdi(150) + MARGIN)
    wait_holder(net, vip, "h1", 5)
    wait_records(out, 4, 5)                       # BACKUP (start), MASTER

    b = Agent(net, h2, promvipd, config(priority=200, vips=vips, interval=INTERVAL))
    wait_holder(net, vip, "h2", mdi(200) + MARGIN)
    a.wait_state("BACKUP", 5)
    wait_records(out, 6, 5)                       # preempted: BACKUP

    assert b.stop() == 0
    a.wait_state("MASTER", 5)                     # h2 sent priority 0: Skew_Time
    wait_records(out, 8, 5)

    link(net, h1, False)
    a.wait_state("FAULT", 5)
    wait_records(out, 10, 5)
    link(net, h1, True)
    wait_for(lambda: transitions_since(a, 0)[-2:] == [("FAULT", "BACKUP"), ("BACKUP", "MASTER")],
             mdi(150) + MARGIN + 2, what="FAULT -> BACKUP -> MASTER")
    wait_records(out, 14, 5)
    wait_hook_counters(a, (14, 0, 0, 0))

    assert a.stop() == 0
    wait_records(out, 16, 5)                      # STOP
    assert not has_vip(net, h1, vip)

    steps = [("INIT", "BACKUP"), ("BACKUP", "MASTER"), ("MASTER", "BACKUP"), ("BACKUP", "MASTER"),
             ("MASTER", "FAULT"), ("FAULT", "BACKUP"), ("BACKUP", "MASTER"), ("MASTER", "STOP")]
    assert transitions_since(a, 0) == steps       # the daemon's own account first
    records = read_records(out)
    want = []
    for old, new in steps:
        want.append((f"{new.lower()}.sh", new, old, "", "0"))
        want.append(("any.sh", new, old, f"--from-promvip INSTANCE prom {new} 150", "5"))
    assert [(r["hook"], r["state"], r["prev"], r["args"], r["argc"]) for r in records] == want, \
        summary(records)
    for r in records:
        assert (r["instance"], r["priority"], r["vrid"], r["vips"]) == \
            ("prom", "150", "51", " ".join(vips)), r
        assert (r["uid"], r["user"], r["logname"], r["home"]) == \
            (str(NOBODY.pw_uid), "nobody", "nobody", NOBODY.pw_dir), r
        assert r["path"] and r["lang"], r
        assert set(r["env"].split()) - SHELL_ENV == HOOK_ENV, r["env"]
    assert_one_at_a_time(records)
    # Every run logged as finished, the stop hooks too (the daemon waited
    # for them before it exited).
    assert len(hooks_done(a, "prom")) == 16, hook_lines(a)


def test_quick_flaps_keep_order_and_coalesce(hooks, lab, promvipd):
    """BACKUP -> MASTER -> BACKUP -> MASTER in quick succession while the
    first hook (INIT -> BACKUP) is still running: each transition drops the
    hook still waiting for the one before (counted, logged), so after the
    running hook only the last transition's runs, with its own
    PROMVIP_STATE / PREVIOUS_STATE, one after the other; the transitions
    themselves do not wait for the hooks."""
    net = lab(2)
    h1, h2 = net.hosts
    vip = vip4(net)
    out = hooks.output("runs.log")
    gate = hooks.join("gate")          # the hooks wait while it exists (root's, 0644)
    with open(gate, "w"):
        pass
    master = record_hook(hooks, "master.sh", out, sleep=0.3, gate=gate)
    backup = record_hook(hooks, "backup.sh", out, sleep=0.3, gate=gate)
    notify = notify_group(master=master, backup=backup, timeout=10.0)
    a = Agent(net, h1, promvipd, hook_config(notify, priority=150, vips=[vip + "/24"],
                                             interval=INTERVAL))
    a.wait_state("MASTER", mdi(150) + MARGIN)
    b = Agent(net, h2, promvipd, config(priority=200, vips=[vip + "/24"], interval=INTERVAL))
    wait_holder(net, vip, "h2", mdi(200) + MARGIN)
    assert b.stop() == 0
    wait_holder(net, vip, "h1", 5)
    steps = [("INIT", "BACKUP"), ("BACKUP", "MASTER"), ("MASTER", "BACKUP"), ("BACKUP", "MASTER")]
    wait_for(lambda: transitions_since(a, 0) == steps, 2,
             what=lambda: f"transitions {steps} (got {transitions_since(a, 0)})")
    # Four transitions done, the first hook still waits at the gate: one
    # hook process (a forked shell may show up for a moment), no record yet.
    running = []

    def one_hook():
        running[:] = [p for p in user_processes(net, h1) if hooks.path in p[1]]
        return len(running) == 1
    wait_for(one_hook, 1, interval=0.02, what=lambda: f"one hook running: {running}")
    assert running[0][1].endswith("backup.sh"), running
    assert read_records(out) == []
    t_open = time.time()
    os.unlink(gate)
    wait_records(out, 2, 2 * 0.3 + MARGIN)
    wait_hook_counters(a, (2, 0, 0, 2))
    records = read_records(out)
    assert summary(records) == [("backup.sh", "BACKUP", "INIT"),
                                ("master.sh", "MASTER", "BACKUP")], summary(records)
    assert_one_at_a_time(records)
    for r in records[1:]:
        assert r["start"] >= t_open - 0.05, ("queued run started before the first ended", r)
    assert all(r["end"] - r["start"] >= 0.3 for r in records), records
    out_log = a.proc.output()
    for line in ("dropped 1 waiting hook for MASTER: superseded by the transition to BACKUP",
                 "dropped 1 waiting hook for BACKUP: superseded by the transition to MASTER"):
        assert f"instance 'prom': {line}\n" in out_log, line


# -- timeout --------------------------------------------------------------------
@pytest.mark.parametrize("ignores_term", [False, True], ids=["dies_on_term", "ignores_term"])
def test_hanging_hook_is_killed_adverts_on_time(hooks, lab, promvipd, ignores_term):
    """A master hook that hangs (sleep 60) is cut at its timeout: SIGTERM at
    the timeout, SIGKILL 0.5 s later when it ignores SIGTERM, its whole
    process group (the sleep too); it is logged and counted as failed.
    Meanwhile the agent advertises on time (gaps within 50 ms of the
    interval, captured on the client), and later hooks still run."""
    net = lab(1)
    h1 = net.hosts[0]
    timeout = 1.0
    out = hooks.output("hang.log")
    body = "#!/bin/sh\n"
    if ignores_term:
        body += "trap '' TERM\n"
    body += f'echo "start $(/usr/bin/date +%s.%N)" >> "{out}"\n/usr/bin/sleep 60\n'
    body += f'echo end >> "{out}"\n'
    hang = hooks.script("hang.sh", body)
    stop_out = hooks.output("stop.log")
    stop = record_hook(hooks, "stop.sh", stop_out)
    cap = packets.Capture(net, net.client, count=100000, duration=30)
    a = Agent(net, h1, promvipd, hook_config(notify_group(master=hang, stop=stop, timeout=timeout),
                                             priority=150, vips=[vip4(net) + "/24"],
                                             interval=INTERVAL))
    a.wait_state("MASTER", mdi(150) + MARGIN)
    started = wait_for(lambda: re.search(r"^start (\S+)$", read_text(out), re.M), 5,
                       what="the hanging hook started")
    t_start = float(started.group(1))
    wait_for(lambda: any("sleep 60" in c for _, c in user_processes(net, h1)), 2,
             what="sleep 60 running")
    gone = None
    for _ in range(1000):
        if not user_processes(net, h1):
            gone = time.time()
            break
        if time.time() > t_start + timeout + 0.5 + MARGIN:
            break
        time.sleep(0.01)
    assert gone is not None, ("hook processes still there", user_processes(net, h1))
    took = gone - t_start
    if ignores_term:   # SIGTERM ignored: SIGKILL 0.5 s after the timeout
        assert timeout + 0.4 <= took <= timeout + 0.5 + 0.4, took
    else:
        assert timeout - 0.05 <= took <= timeout + 0.4, took
    time.sleep(2 * INTERVAL)
    got = cap.stop()
    assert "end" not in read_text(out).split()

    mine = [p for p in got if p["src"] == h1.addr4 and t_start - INTERVAL <= p["time"] <= gone + INTERVAL]
    assert len(mine) >= int(took / INTERVAL) - 1, mine
    gaps = [round(y["time"] - x["time"], 4) for x, y in zip(mine, mine[1:])]
    # The first may follow the advert of becoming master, off the grid of
    # multiples of the interval that the periodic ones are on: shorter.
    assert all(abs(g - INTERVAL) <= 0.05 for g in gaps[1:]), gaps
    assert all(g <= INTERVAL + 0.05 for g in gaps), gaps
    assert all(p["prio"] == 150 for p in mine), mine
    failed = [t for _, t in hook_lines(a) if re.search(r"tim(ed |e)?out|kill", t)]
    assert len(failed) == 1 and "hang.sh" in failed[0], hook_lines(a)
    wait_hook_counters(a, (1, 1, 0, 0))
    print(f"hook gone {took:.3f}s after it started; advert gaps meanwhile "
          f"{min(gaps):.3f}..{max(gaps):.3f}s")

    assert a.stop() == 0            # the queue still works: the stop hook runs
    assert summary(wait_records(stop_out, 1, 5)) == [("stop.sh", "STOP", "MASTER")]


# -- script security --------------------------------------------------------------
UNSAFE = {  # case: (where the script goes, how it is made unsafe, what is named, reason)
    "world_writable": "writable by everyone",
    "group_writable": "writable by group",
    "not_root_owned": "not root",
    "open_directory": "writable by everyone",
}


def unsafe_hook(hooks, case):
    """(the hook path, the path the error names) for one UNSAFE case."""
    body = "#!/bin/sh\nexit 0\n"
    if case == "world_writable":
        p = hooks.script("hook.sh", body, mode=0o777)
        return p, p
    if case == "group_writable":
        p = hooks.script("hook.sh", body, mode=0o775, gid=NOBODY.pw_gid)
        return p, p
    if case == "not_root_owned":
        p = hooks.script("hook.sh", body, uid=NOBODY.pw_uid)
        return p, p
    d = hooks.subdir("open", 0o777)          # others may write, no sticky bit
    return hooks.script("open/hook.sh", body), d


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_hook_refused_at_config_test_and_start(hooks, lab, promvipd, case):
    """A hook someone other than root could change or replace is refused:
    --config-test and start both exit 1 with FILE:LINE naming the path and
    the reason; nothing is started (no VIP)."""
    net = lab(1)
    h1 = net.hosts[0]
    path, named = unsafe_hook(hooks, case)
    text = hook_config(notify_group(master=path, timeout=HOOK_TIMEOUT), priority=150,
                       vips=[vip4(net) + "/24"], interval=INTERVAL)
    line = 1 + text.splitlines().index(next(x for x in text.splitlines() if "notify = {" in x))
    code, output, conf = config_test(net, h1, promvipd, text)
    assert code == 1, output
    # FILE:LINE (the notify line), the path itself (not a path below it), the reason
    error = re.compile(rf"{re.escape(conf)}:{line}: .*{re.escape(named)}(?![/\w]).*{UNSAFE[case]}")
    assert error.search(output), (line, output)
    proc = net.spawn(h1.ns, [promvipd, "-f", conf], name="promvipd-unsafe")
    assert proc.wait(10) == 1, proc.output()
    assert error.search(proc.output()), proc.output()
    assert not has_vip(net, h1, vip4(net))


def test_sticky_world_writable_directory_is_fine(hooks, lab, promvipd):
    """The control case: a world-writable directory with the sticky bit
    (like /tmp) above a root-owned 0755 hook is accepted."""
    net = lab(1)
    hooks.subdir("sticky", 0o1777)
    path = hooks.script("sticky/hook.sh", "#!/bin/sh\nexit 0\n")
    code, output, _ = config_test(net, net.hosts[0], promvipd,
                                  hook_config(notify_group(master=path), priority=150,
                                              vips=[vip4(net) + "/24"], interval=INTERVAL))
    assert code == 0, output


def test_hook_made_unsafe_after_start_is_refused(hooks, lab, promvipd):
    """The check runs again before each run: a master hook made
    world-writable after start is not run (an error naming it, counted as
    refused) while the other hooks still run; made safe again, it runs."""
    net = lab(1)
    h1 = net.hosts[0]
    out = hooks.output("runs.log")
    paths = {s: record_hook(hooks, f"{s}.sh", out) for s in ("master", "backup", "fault")}
    a = Agent(net, h1, promvipd, hook_config(notify_group(timeout=HOOK_TIMEOUT, **paths),
                                             priority=150, vips=[vip4(net) + "/24"],
                                             interval=INTERVAL))
    a.wait_state("MASTER", mdi(150) + MARGIN)
    wait_records(out, 2, 5)
    os.chmod(paths["master"], 0o757)              # chmod o+w
    mark = log_mark(a)
    link(net, h1, False)
    a.wait_state("FAULT", 5)
    link(net, h1, True)
    wait_for(lambda: transitions_since(a, mark) == [("MASTER", "FAULT"), ("FAULT", "BACKUP"),
                                                    ("BACKUP", "MASTER")],
             mdi(150) + MARGIN + 2, what="MASTER -> FAULT -> BACKUP -> MASTER")
    refused = wait_for(lambda: [t for _, t in hook_lines(a, since=mark) if "refused" in t], 5,
                       what=lambda: f"a refused hook logged: {hook_lines(a, since=mark)}")
    assert len(refused) == 1 and paths["master"] in refused[0] and "writable" in refused[0], refused
    assert re.search(r"(?m)^promvipd: error: .*refused", a.proc.output()[mark:]), \
        a.proc.output()[mark:]
    time.sleep(0.5)
    assert summary(read_records(out)) == [("backup.sh", "BACKUP", "INIT"),
                                          ("master.sh", "MASTER", "BACKUP"),
                                          ("fault.sh", "FAULT", "MASTER"),
                                          ("backup.sh", "BACKUP", "FAULT")], read_records(out)
    wait_hook_counters(a, (4, 0, 1, 0))

    os.chmod(paths["master"], 0o755)
    link(net, h1, False)
    a.wait_state("FAULT", 5)
    link(net, h1, True)
    a.wait_state("MASTER", mdi(150) + MARGIN + 2)
    records = wait_records(out, 7, 5)
    assert summary(records)[4:] == [("fault.sh", "FAULT", "MASTER"), ("backup.sh", "BACKUP", "FAULT"),
                                    ("master.sh", "MASTER", "BACKUP")], summary(records)


# -- keepalived compatibility, the shipped example -----------------------------------
KEEPALIVED_NOTIFY = """#!/bin/sh
# A keepalived notify script as found on many hosts:
#   vrrp_instance VI_1 { notify "/etc/keepalived/notify.sh" }
TYPE=$1
NAME=$2
STATE=$3
PRIORITY=$4
case $STATE in
    "MASTER") what="is master now" ;;
    "BACKUP") what="is backup now" ;;
    "FAULT")  what="is in fault" ;;
    "STOP")   what="stopped" ;;
    *)        what="unknown state" ;;
esac
echo "$# $TYPE $NAME $STATE $PRIORITY $what" >> "@OUT@"
exit 0
"""


def test_keepalived_notify_script_gets_its_arguments(hooks, lab, promvipd):
    """A keepalived notify script as the `any` hook (a string: no argv of
    its own) reads $1..$4 as TYPE NAME STATE PRIORITY, on every transition
    including STOP."""
    net = lab(1)
    out = hooks.output("keepalived.log")
    script = hooks.script("notify.sh", KEEPALIVED_NOTIFY.replace("@OUT@", out))
    a = Agent(net, net.hosts[0], promvipd,
              hook_config(notify_group(any=script, timeout=HOOK_TIMEOUT), priority=150,
                          vips=[vip4(net) + "/24"], interval=INTERVAL))
    a.wait_state("MASTER", mdi(150) + MARGIN)
    wait_for(lambda: len(read_text(out).splitlines()) >= 2, 5, what="two notify runs")
    assert a.stop() == 0
    wait_for(lambda: len(read_text(out).splitlines()) >= 3, 5, what="the STOP run")
    assert read_text(out).splitlines() == [
        "4 INSTANCE prom BACKUP 150 is backup now",
        "4 INSTANCE prom MASTER 150 is master now",
        "4 INSTANCE prom STOP 150 stopped",
    ]


def test_notify_example_is_valid_sh():
    """scripts/notify-example.sh: executable, POSIX sh (dash parses it;
    shellcheck finds nothing when it is installed)."""
    assert os.access(EXAMPLE, os.X_OK), f"{EXAMPLE} is not executable"
    with open(EXAMPLE) as f:
        assert f.readline().strip() == "#!/bin/sh"
    r = run_checked(["/bin/sh", "-n", EXAMPLE])
    assert r.returncode == 0, r.stderr
    if shutil.which("shellcheck"):
        r = run_checked(["shellcheck", "-s", "sh", EXAMPLE])
        assert r.returncode == 0, r.stdout + r.stderr


def test_notify_example_runs_as_any_hook(hooks, lab, promvipd):
    """Installed root-owned 0755 the example passes --config-test, and as
    the `any` hook it logs each transition (its output lands in promvipd's
    log) and exits 0."""
    net = lab(1)
    h1 = net.hosts[0]
    vip = vip4(net)
    installed = hooks.join("notify.sh")
    shutil.copyfile(EXAMPLE, installed)
    os.chown(installed, 0, 0)
    os.chmod(installed, 0o755)
    text = hook_config(notify_group(any=installed, timeout=HOOK_TIMEOUT), priority=150,
                       vips=[vip + "/24"], interval=INTERVAL)
    code, output, _ = config_test(net, h1, promvipd, text)
    assert code == 0, output
    a = Agent(net, h1, promvipd, text)
    a.wait_state("MASTER", mdi(150) + MARGIN)
    line = f"instance 'prom' (vrid 51) BACKUP -> MASTER, priority 150, VIPs: {vip}/24"
    wait_for(lambda: line in a.proc.output(), 5,
             what=lambda: f"{line!r} in the log: {hook_lines(a)}")
    assert f"instance 'prom' (vrid 51) INIT -> BACKUP, priority 150, VIPs: {vip}/24" in \
        a.proc.output()
    wait_for(lambda: len(hooks_done(a, "prom")) == 2, 5, what=lambda: f"two runs exited 0: {hook_lines(a)}")
    wait_hook_counters(a, (2, 0, 0, 0))
