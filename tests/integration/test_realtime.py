"""global.realtime_priority and global.lock_memory (see README, "Real-time
scheduling and locked memory"): promvipd's main thread runs SCHED_RR at the
configured priority with its memory locked; the processes it starts (an
exec probe here) run SCHED_OTHER; a reload turns both off and on again; a
kernel that refuses them leaves promvipd running, with one clear error each.

The policy and priority are read from /proc/PID/stat (rt_priority and
policy, fields 40 and 41: 0 SCHED_OTHER, 2 SCHED_RR), locked memory from
VmLck in /proc/PID/status. A sanitizer build intercepts mlockall() and locks
nothing (AddressSanitizer's shadow memory is terabytes of address space), so
there VmLck is not checked; the plain build checks it.
"""

import re

from lab import wait_for
from vrrp import Agent, agent_metrics, exec_probe, log_mark, probe_config, reload, vip4

SCHED_OTHER, SCHED_RR = 0, 2
PRIORITY = 42


def sched(pid):
    """(policy, rt_priority) of a process or thread, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): rt_priority is field 40, policy field 41.
    return int(fields[38]), int(fields[37])


def vmlck_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmLck:\s+(\d+) kB", f.read(), re.M).group(1))


def sanitized(promvipd):
    with open(promvipd, "rb") as f:
        return b"__asan_init" in f.read()


def metric(net, host, name):
    m = re.search(rf"^{name} (\S+)$", agent_metrics(net, host), re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


def sched_probe(hooks, out):
    """An exec probe whose command appends "POLICY RT_PRIORITY" of its own
    process to `out`."""
    script = hooks.script("sched-probe.sh", (
        "#!/bin/sh\n"
        "# promvip integration test probe: records its own scheduling policy\n"
        "set -- $(/usr/bin/sed 's/.*) //' /proc/$$/stat)\n"
        "shift 37\n"
        f'echo "$2 $1" >> "{out}"\n'))
    return exec_probe("sched", script, interval=0.3, timeout=0.25, fall=1, rise=1, weight=0)


def text(net, probe, **global_):
    g = {"script_user": "nobody"}
    g.update(global_)
    return probe_config(probes=[probe], global_=g, vips=[vip4(net) + "/24"])


def probe_runs(out):
    with open(out) as f:
        return [tuple(int(x) for x in line.split()) for line in f.read().splitlines()]


def test_realtime_and_locked_memory_on_off_on(lab, hooks, promvipd):
    net = lab(1)
    host = net.hosts[0]
    out = hooks.output("sched.log")
    probe = sched_probe(hooks, out)
    agent = Agent(net, host, promvipd, text(net, probe, realtime_priority=PRIORITY, lock_memory=True))
    pid = agent.proc.pid
    check_lock = not sanitized(promvipd)

    assert sched(pid) == (SCHED_RR, PRIORITY)
    if check_lock:
        assert vmlck_kib(pid) > 0
    assert f"realtime_priority {PRIORITY}: the main thread runs SCHED_RR" in agent.proc.output()
    assert "lock_memory: all of promvipd's memory is locked" in agent.proc.output()
    assert metric(net, host, "promvip_realtime_priority") == PRIORITY
    assert metric(net, host, "promvip_memory_locked") == 1
    # The probe's process never inherits the real-time policy.
    runs = wait_for(lambda: probe_runs(out) if len(probe_runs(out)) >= 2 else None, 5,
                    what="two runs of the exec probe")
    assert set(runs) == {(SCHED_OTHER, 0)}, runs
    agent.wait_state("MASTER", 5)
    with open(f"/proc/{pid}/status") as f:
        print("VmSize/VmLck while locked:",
              " ".join(re.findall(r"^(Vm(?:Size|Lck|RSS):\s+\d+ kB)", f.read(), re.M)))

    # Reload without them: SCHED_OTHER and nothing locked.
    mark = log_mark(agent)
    status = reload(agent, text(net, probe))
    assert status and "reloaded" in status, status
    assert sched(pid) == (SCHED_OTHER, 0)
    assert vmlck_kib(pid) == 0
    assert "realtime_priority off: back to SCHED_OTHER" in agent.proc.output()[mark:]
    assert "lock_memory off: memory unlocked" in agent.proc.output()[mark:]
    assert metric(net, host, "promvip_realtime_priority") == 0
    assert metric(net, host, "promvip_memory_locked") == 0

    # And on again, at another priority.
    status = reload(agent, text(net, probe, realtime_priority=7, lock_memory=True))
    assert status and "reloaded" in status, status
    assert sched(pid) == (SCHED_RR, 7)
    if check_lock:
        assert vmlck_kib(pid) > 0
    assert metric(net, host, "promvip_realtime_priority") == 7
    n = len(probe_runs(out))
    wait_for(lambda: len(probe_runs(out)) >= n + 2, 5, what="two more probe runs")
    assert set(probe_runs(out)) == {(SCHED_OTHER, 0)}
    assert "sched_setscheduler:" not in agent.proc.output()
    assert "mlockall:" not in agent.proc.output()
    assert agent.stop() == 0


def test_refused_by_the_kernel_keeps_running(lab, hooks, promvipd):
    """Without CAP_SYS_NICE and CAP_IPC_LOCK, RLIMIT_RTPRIO 0 and a 64 KiB
    RLIMIT_MEMLOCK (an unprivileged user's defaults): one error for each,
    saying what to do, and promvipd runs on as usual."""
    net = lab(1)
    host = net.hosts[0]
    wrapper = hooks.script("unprivileged-promvipd", (
        "#!/bin/sh\n"
        "exec /usr/bin/setpriv --bounding-set=-sys_nice,-ipc_lock -- "
        f'/usr/bin/prlimit --rtprio=0 --memlock=65536 -- "{promvipd}" "$@"\n'))
    g = {"realtime_priority": 50, "lock_memory": True}
    agent = Agent(net, host, wrapper, probe_config(global_=g, vips=[vip4(net) + "/24"]))
    pid = agent.proc.pid

    agent.wait_state("MASTER", 5)
    log = agent.proc.output()
    errors = [line for line in log.splitlines() if "realtime_priority 50:" in line]
    assert len(errors) == 1, log
    assert ("realtime_priority 50: sched_setscheduler: Operation not permitted (RLIMIT_RTPRIO 0); "
            "running without it: under systemd install the real-time drop-in") in errors[0]
    assert sched(pid) == (SCHED_OTHER, 0)
    assert metric(net, host, "promvip_realtime_priority") == 0
    if not sanitized(promvipd):
        errors = [line for line in log.splitlines() if "lock_memory:" in line]
        assert len(errors) == 1, log
        assert "lock_memory: mlockall: Cannot allocate memory (RLIMIT_MEMLOCK 65536 bytes)" in errors[0]
        assert vmlck_kib(pid) == 0
        assert metric(net, host, "promvip_memory_locked") == 0
    # A reload tries again, and says so again (once).
    mark = log_mark(agent)
    status = reload(agent)
    assert status and "reloaded" in status, status
    assert agent.proc.output()[mark:].count("realtime_priority 50: sched_setscheduler") == 1
    assert agent.proc.alive()
    assert agent.stop() == 0
