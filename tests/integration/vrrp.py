"""Helpers for VRRP scenarios: promvipd configs and processes, VIP checks,
a tiny web server per host and a client that watches who answers on the VIP.
Used by the integration tests and by scripts/demo."""

import os
import re
import signal


from lab import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WEB_PORT = 8080


def master_down_interval(priority, interval):
    """Master_Down_Interval in seconds (RFC 5798, centisecond arithmetic)."""
    cs = round(interval * 100)
    return (3 * cs + (256 - priority) * cs // 256) / 100


def vip4(net):
    return f"10.99.{net.number}.100"


def vip6(net):
    return f"2001:db8:{net.number}::100"


def config(name="prom", vrid=51, priority=100, vips=None, interval=0.2, version=3, extra=""):
    """One instance on eth0; `extra` is more instance settings (libconfig)."""
    vips = ", ".join(f'"{v}"' for v in vips)
    return (f'instances = ( {{ name = "{name}"; interface = "eth0"; vrid = {vrid};\n'
            f"  priority = {priority}; version = {version}; advert_interval = {interval};\n"
            f"  virtual_addresses = ( {vips} );\n"
            f"  {extra}\n}} );\n")


class Agent:
    """promvipd running in one host, with its notify socket."""

    def __init__(self, net, host, promvipd, text, name="promvipd", log_level="debug",
                 cgroup_procs=None):
        self.net, self.host, self.name = net, host, name
        self.path = net.write(f"{host.name}-{name}.conf", text)
        self.sock = net.notify_socket(f"{host.name}-{name}")
        self.proc = net.spawn(host.ns, [promvipd, "-f", self.path, "-l", log_level],
                              env=self.sock.env(), name=f"{name}-{host.name}",
                              cgroup_procs=cgroup_procs)
        self.sock.wait_for("READY=1", 10)

    def transitions(self):
        """[(instance, old, new)] from the log, in order."""
        return re.findall(r"instance '([^']+)': (\w+) -> (\w+) \(", self.proc.output())

    def state(self, instance="prom"):
        t = [new for name, _, new in self.transitions() if name == instance]
        return t[-1] if t else None

    def counters(self, timeout=5):
        """The SIGUSR1 dump as {'instance NAME', 'probe NAME' or 'socket IF
        FAM': {key: value}}. The dump ends with the socket lines."""
        before = len(self.proc.output())
        self.proc.signal(signal.SIGUSR1)
        wait_for(lambda: re.search(r"socket \S+ \S+: received=.*\n", self.proc.output()[before:]),
                 timeout, what="SIGUSR1 dump")
        out = {}
        for line in self.proc.output()[before:].splitlines():
            m = re.search(r"((?:instance|probe) '[^']+'|socket \S+ \S+): (\S+=.*)", line)
            if m:
                out[m.group(1).replace("'", "")] = dict(kv.split("=", 1) for kv in m.group(2).split())
        return out

    def wait_state(self, state, timeout, instance="prom"):
        wait_for(lambda: self.state(instance) == state, timeout,
                 what=f"{self.host.name}: instance {instance} {state}")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.signal(sig)
        return self.proc.wait(timeout)


def addresses(net, host):
    out = net.run(host.ns, ["ip", "-o", "addr", "show", "dev", "eth0"]).stdout
    return set(re.findall(r"inet6? ([0-9a-f.:]+)/", out))


def has_vip(net, host, vip):
    return vip in addresses(net, host)


def holders(net, vip):
    return [h.name for h in net.hosts if has_vip(net, h, vip)]


def wait_holder(net, vip, name, timeout):
    wait_for(lambda: holders(net, vip) == [name], timeout,
             what=f"{vip} held by {name} alone")


def start_web(net, host):
    """A web server on every address of the host, port 8080, answering
    /whoami with the host's name."""
    root = os.path.join(net.dir, f"www-{host.name}")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "whoami"), "w") as f:
        f.write(host.name + "\n")
    proc = net.spawn(host.ns, ["/usr/bin/python3", "-m", "http.server", "--bind", "::",
                               "--directory", root, str(WEB_PORT)], name=f"web-{host.name}")
    wait_for(lambda: net.run(host.ns, ["/usr/bin/python3", "-c",
                                       "import socket; socket.create_connection(('127.0.0.1', %d), 1)" % WEB_PORT]
                             ).returncode == 0, 10, what=f"web server on {host.name}")
    return proc


class Client:
    """vipclient.py in the client namespace, polling the VIP."""

    def __init__(self, net, vip, interval=0.02, timeout=0.2, duration=30, url=None, pattern=None):
        """Polls `url` (default: the web server's /whoami on the VIP); with
        `pattern`, a host's answer is its first group (see vipclient.py)."""
        host = f"[{vip}]" if ":" in vip else vip
        self.out = os.path.join(net.dir, f"client-{len(net.procs)}.log")
        argv = ["/usr/bin/python3", os.path.join(HERE, "vipclient.py"),
                "--url", url or f"http://{host}:{WEB_PORT}/whoami", "--out", self.out,
                "--interval", str(interval), "--timeout", str(timeout), "--duration", str(duration)]
        if pattern:
            argv += ["--pattern", pattern]
        self.proc = net.spawn(net.client.ns, argv, name="client")

    def samples(self):
        try:
            with open(self.out) as f:
                rows = [line.split(" ", 1) for line in f.read().splitlines()]
        except FileNotFoundError:
            return []
        return [(float(t), a) for t, a in rows if len(rows) and a]

    def wait_answer(self, name, timeout, after=0.0):
        wait_for(lambda: any(a == name and t > after for t, a in self.samples()), timeout,
                 what=f"client answered by {name}")

    def stop(self):
        self.proc.signal(signal.SIGTERM)
        self.proc.wait(10)
        return self.samples()


def outage(samples, old, new):
    """(seconds without an answer between the last answer from `old` and
    the first from `new` after it, failed requests in between)."""
    last_old = max((t for t, a in samples if a == old), default=None)
    first_new = min((t for t, a in samples if a == new and (last_old is None or t > last_old)), default=None)
    if last_old is None or first_new is None:
        return None, None
    failed = sum(1 for t, a in samples if last_old < t < first_new and a.startswith("ERR"))
    return first_new - last_old, failed


# -- probes (tests/integration/test_probes.py, scripts/lib/demo.py) --------
# Log lines of the probe engine (see the README's "Priority and probes"):
#   probe 'NAME': DOWN -> UP after N successes
#   probe 'NAME': UP -> DOWN after N failures (REASON: DETAIL)
#   instance 'NAME': effective priority OLD -> NEW
PROBE_CHANGE = re.compile(r"probe '([^']+)': (UP|DOWN) -> (UP|DOWN) after (\d+) "
                          r"(?:successes|success|failures|failure)(?: \((\w+): ?(.*)\))?[ \t]*$",
                          re.M)
PRIORITY_CHANGE = re.compile(r"instance '([^']+)': effective priority (\d+) -> (\d+)")


def _libconfig_value(v):
    """A Python value as libconfig text: str -> "..." (escaped), bool,
    int, float (always with a decimal point), list/tuple -> ( ... )."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return text if any(c in text for c in ".eEn") else text + ".0"
    if isinstance(v, (list, tuple)):
        return "( " + ", ".join(_libconfig_value(x) for x in v) + " )"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def probe(name, type, **keys):
    """One element of `probes` as libconfig text; keys as in the README
    (url, query, min, max, command, interval, timeout, fall, rise, weight,
    ...), values as Python values (None: left out)."""
    body = f'name = "{name}"; type = "{type}"; '
    body += " ".join(f"{k} = {_libconfig_value(v)};" for k, v in keys.items() if v is not None)
    return "{ " + body + " }"


def http_probe(name="ready", url="http://127.0.0.1:9090/-/ready", interval=0.5, timeout=0.25,
               fall=2, rise=2, weight=-60, **keys):
    """The http probe of a local Prometheus's /-/ready (libconfig text)."""
    return probe(name, "http", url=url, interval=interval, timeout=timeout, fall=fall,
                 rise=rise, weight=weight, **keys)


def promql_probe(name="fresh", query="time() - max(timestamp(up))", url="http://127.0.0.1:9090",
                 min=None, max=10.0, interval=1.0, timeout=0.5, fall=2, rise=2, weight=-20, **keys):
    """A promql probe against a local Prometheus (libconfig text)."""
    return probe(name, "promql", url=url, query=query, min=min, max=max, interval=interval,
                 timeout=timeout, fall=fall, rise=rise, weight=weight, **keys)


def exec_probe(name, command, interval=0.5, timeout=0.25, fall=2, rise=2, weight=0, **keys):
    """An exec probe (libconfig text); `command` a string or an argv list."""
    return probe(name, "exec", command=command, interval=interval, timeout=timeout,
                 fall=fall, rise=rise, weight=weight, **keys)


def track_list(track):
    """`track = ( ... );` from names and (name, weight) pairs."""
    items = []
    for t in track:
        if isinstance(t, str):
            items.append(f'"{t}"')
        else:
            items.append(f'{{ probe = "{t[0]}"; weight = {int(t[1])}; }}')
    return f"track = ( {', '.join(items)} );"


def probe_config(probes=(), track=None, global_=None, extra="", **kw):
    """config() (same keyword arguments) plus a `global` group (a dict,
    e.g. {"script_user": "nobody"}), a `probes` list (texts from probe(),
    http_probe(), ...) and the instance's `track` (names or (name, weight);
    default: every probe by name, with the probe's own weight)."""
    names = [re.search(r'name = "([^"]+)"', p).group(1) for p in probes]
    if track is None:
        track = names
    inst_extra = (track_list(track) + "\n  " if track else "") + extra
    text = ""
    if global_:
        text += "global = { " + " ".join(f"{k} = {_libconfig_value(v)};"
                                          for k, v in global_.items()) + " };\n"
    if probes:
        text += "probes = (\n  " + ",\n  ".join(probes) + "\n);\n"
    return text + config(extra=inst_extra, **kw)


def log_mark(agent):
    """A position in the agent's log, for the `since` of the helpers below."""
    return len(agent.proc.output())


def probe_changes(agent, name=None, since=0):
    """[(probe, old, new, count, reason, detail)] logged from `since` on
    (reason and detail are None for DOWN -> UP)."""
    out = []
    for m in PROBE_CHANGE.finditer(agent.proc.output()[since:]):
        if name is None or m.group(1) == name:
            out.append((m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5),
                        m.group(6)))
    return out


def probe_state(agent, name):
    """UP or DOWN after the latest change logged, "DOWN" before any (probes
    start DOWN)."""
    changes = probe_changes(agent, name)
    return changes[-1][2] if changes else "DOWN"


def wait_probe(agent, name, state, timeout, since=0):
    """Wait for `probe 'name': ... -> state` logged from `since` on;
    returns that change (see probe_changes)."""
    def found():
        c = [x for x in probe_changes(agent, name, since) if x[2] == state]
        return c[0] if c else None
    return wait_for(found, timeout, what=lambda: f"{agent.host.name}: probe {name} {state} "
                    f"(changes: {probe_changes(agent, name)})")


def priority_changes(agent, instance="prom", since=0):
    """[(old, new)] effective priority changes logged from `since` on."""
    return [(int(m.group(2)), int(m.group(3)))
            for m in PRIORITY_CHANGE.finditer(agent.proc.output()[since:])
            if m.group(1) == instance]


def transitions_since(agent, since, instance="prom"):
    """[(old, new)] state changes of `instance` logged from `since` on."""
    return [(old, new) for name, old, new in
            re.findall(r"instance '([^']+)': (\w+) -> (\w+) \(", agent.proc.output()[since:])
            if name == instance]


def probe_counters(agent, timeout=5):
    """The probe lines of the SIGUSR1 dump: {name: {key: value}}, e.g.
    {"ready": {"state": "UP", "runs": "12", "last": "ok", "latency_ms": "1",
    "failures_timeout": "3"}}; also the instance lines, under
    "instance NAME" (as Agent.counters())."""
    before = log_mark(agent)
    agent.proc.signal(signal.SIGUSR1)
    wait_for(lambda: "state=" in agent.proc.output()[before:], timeout, what="SIGUSR1 dump")
    # The dump is written in one go and ends with the socket lines; with
    # busy debug logging the log may never pause, so those are the sign.
    sizes = []

    def ended():
        text = agent.proc.output()[before:]
        start = text.find("state=")
        sizes.append(len(text))
        return (re.search(r"(?m)^.*socket \S+ \S+: \S+=", text[start:]) is not None
                or sizes[-2:] == sizes[-1:] * 2)
    wait_for(ended, timeout, interval=0.1, what="the end of the SIGUSR1 dump")
    out = {}
    for line in agent.proc.output()[before:].splitlines():
        m = re.search(r"(probe|instance) '([^']+)': (\S+=.*)", line)
        if m:
            key = m.group(2) if m.group(1) == "probe" else f"instance {m.group(2)}"
            out[key] = dict(kv.split("=", 1) for kv in m.group(3).split() if "=" in kv)
    return out


# -- hooks and reload (tests/integration/test_hooks.py, test_reload.py) ------
# Hooks (README "notify" group) run as global.script_user with a clean
# environment and must pass keepalived-style script security: the file and
# every directory above it changeable by root only. A test's tmp_path
# (0700, under a 0700 dir) is neither reachable by `nobody` nor checked as
# safe, so hook scripts live in a HookDir: a root-owned 0755 directory
# directly under /tmp (1777, sticky: accepted), root-owned 0755 files, and
# pre-created 0666 files that the hooks (running as nobody) append to.
import pwd  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import lab as _labmod  # noqa: E402

SCRIPT_USER = "nobody"
HOOK_GLOBAL = {"script_user": SCRIPT_USER}
# Hook runs logged by promvipd (the wording may still move: keep the
# patterns here, in one place):
#   instance 'NAME': hook ... exited 0 after N ms               (info)
#   instance 'NAME': hook ... <failure: exit status, timed out, killed> (warning)
#   instance 'NAME': hook ... refused: <reason>                 (error)
#   instance 'NAME': hook PATH (STATE) done in 0.012 s        (info; the wording
#                                                             as implemented)
HOOK_LINE = re.compile(r"(?m)^.*instance '([^']+)': (?:\w+ )?hook\b(.*)$")
HOOK_OK = re.compile(r"\bexited 0\b|\bdone in\b")


class HookDir:
    """A directory for hook scripts that promvipd accepts and `nobody` can
    read: /tmp/pvt-hooks-XXXX, root-owned, 0755. close() removes it."""

    def __init__(self, prefix="pvt-hooks-"):
        self.path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        os.chown(self.path, 0, 0)
        os.chmod(self.path, 0o755)

    def join(self, *names):
        return os.path.join(self.path, *names)

    def subdir(self, name, mode=0o755):
        path = self.join(name)
        os.makedirs(path, exist_ok=True)
        os.chown(path, 0, 0)
        os.chmod(path, mode)
        return path

    def script(self, name, body, mode=0o755, uid=0, gid=0):
        """Write an executable (root-owned, 0755 unless told otherwise);
        `name` may name a file in a subdir(). Returns its path."""
        path = self.join(name)
        with open(path, "w") as f:
            f.write(body)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def output(self, name):
        """An empty 0666 file that hooks running as nobody can append to."""
        path = self.join(name)
        with open(path, "w"):
            pass
        os.chmod(path, 0o666)
        return path

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


_RECORD_FIELDS = ("hook", "args", "argc", "instance", "state", "prev", "priority", "vrid", "vips",
                  "uid", "user", "logname", "home", "path", "lang", "env", "start", "end")


def record_hook(hooks, name, out, sleep=0.0, gate=None, trap_term=False):
    """A hook script (POSIX sh) that appends one record of its run to `out`
    (an output() file): its name, arguments, PROMVIP_* environment, user,
    the names of its environment variables, and start / end times (epoch
    seconds). With `gate` (a path), it first waits while that file exists
    (at most 10 s); then it sleeps `sleep` seconds. Read the records with
    read_records()."""
    wait = ""
    if gate:
        wait = (f'i=0\nwhile [ -e "{gate}" ] && [ "$i" -lt 200 ]; do /usr/bin/sleep 0.05; '
                f'i=$((i + 1)); done\n')
    nap = f"/usr/bin/sleep {sleep}\n" if sleep else ""
    trap = "trap '' TERM\n" if trap_term else ""
    body = ("#!/bin/sh\n# promvip integration test hook: records its run\n" + trap +
            "start=$(/usr/bin/date +%s.%N)\n" + wait + nap +
            "envnames=$(/usr/bin/env | /usr/bin/sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p' "
            "| /usr/bin/sort | /usr/bin/tr '\\n' ' ')\n"
            "end=$(/usr/bin/date +%s.%N)\n"
            "printf '%s\\n' \"hook=${0##*/}|args=$*|argc=$#|instance=${PROMVIP_INSTANCE-}"
            "|state=${PROMVIP_STATE-}|prev=${PROMVIP_PREVIOUS_STATE-}|priority=${PROMVIP_PRIORITY-}"
            "|vrid=${PROMVIP_VRID-}|vips=${PROMVIP_VIPS-}|uid=$(/usr/bin/id -u)|user=${USER-}"
            "|logname=${LOGNAME-}|home=${HOME-}|path=${PATH-}|lang=${LANG-}|env=${envnames% }"
            f"|start=$start|end=$end\" >> \"{out}\"\n")
    return hooks.script(name, body)


def read_records(path):
    """The records written by record_hook() scripts, oldest first, each a
    dict of _RECORD_FIELDS (start and end as floats)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        rec = dict(part.split("=", 1) for part in line.split("|") if "=" in part)
        for key in ("start", "end"):
            try:
                rec[key] = float(rec[key])
            except (KeyError, ValueError):
                rec[key] = None
        out.append(rec)
    return out


def wait_records(path, n, timeout, what=None):
    """Wait until `path` holds at least n records; returns them all."""
    return wait_for(lambda: read_records(path) if len(read_records(path)) >= n else None,
                    timeout, what=what or (lambda: f"{n} hook records in {path}: "
                                                   f"{read_records(path)}"))


def notify_group(timeout=None, **hooks):
    """`notify = { ... };` (libconfig text) from master=, backup=, fault=,
    stop=, any= (a path, or an argv list) and the timeout in seconds."""
    items = [f"{k} = {_libconfig_value(v)};" for k, v in hooks.items() if v is not None]
    if timeout is not None:
        items.append(f"timeout = {_libconfig_value(float(timeout))};")
    return "notify = { " + " ".join(items) + " };"


def hook_config(notify, global_=None, extra="", **kw):
    """probe_config() (same keyword arguments) with `notify` (the text of
    notify_group()) in the instance and script_user nobody."""
    g = dict(HOOK_GLOBAL)
    g.update(global_ or {})
    return probe_config(global_=g, extra=(notify + "\n  " + extra).strip(), **kw)


def instance_group(name="prom", vrid=51, priority=100, vips=None, interval=0.2, version=3,
                   extra=""):
    """One element of `instances` (libconfig text), as config() writes it."""
    vips = ", ".join(f'"{v}"' for v in vips)
    return (f'{{ name = "{name}"; interface = "eth0"; vrid = {vrid};\n'
            f"  priority = {priority}; version = {version}; advert_interval = {interval};\n"
            f"  virtual_addresses = ( {vips} );\n"
            f"  {extra}\n}}")


def instances_config(groups, global_=None, probes=()):
    """A whole file: `global` (a dict), `probes` (texts) and several
    instances (texts from instance_group())."""
    text = ""
    if global_:
        text += "global = { " + " ".join(f"{k} = {_libconfig_value(v)};"
                                          for k, v in global_.items()) + " };\n"
    if probes:
        text += "probes = (\n  " + ",\n  ".join(probes) + "\n);\n"
    return text + "instances = (\n" + ",\n".join(groups) + "\n);\n"


def hook_lines(agent, instance=None, since=0):
    """[(instance, text after 'hook')] of the hook lines logged from `since` on."""
    return [(m.group(1), m.group(2)) for m in HOOK_LINE.finditer(agent.proc.output()[since:])
            if instance is None or m.group(1) == instance]


def hooks_done(agent, instance=None, since=0):
    """The hook lines (see hook_lines) that say a hook ended well (exit 0)."""
    return [t for _, t in hook_lines(agent, instance, since) if HOOK_OK.search(t)]


def reload(agent, text=None, timeout=5):
    """SIGHUP (after writing `text` to the agent's config file, if given);
    waits for the READY=1 that ends the reload and returns its STATUS."""
    if text is not None:
        with open(agent.path, "w") as f:
            f.write(text)
    mark = len(agent.sock.messages())
    agent.proc.signal(signal.SIGHUP)
    msg = agent.sock.wait_for("READY=1", timeout, since=mark)
    for line in msg.splitlines():
        if line.startswith("STATUS="):
            return line[len("STATUS="):]
    return None


def config_test(net, host, promvipd, text, name="check"):
    """promvipd --config-test on `text` (written into the lab's directory),
    run in `host`'s namespace: (exit code, output, config path)."""
    path = net.write(f"{host.name}-{name}.conf", text)
    r = net.run(host.ns, [promvipd, "--config-test", "-f", path], timeout=20)
    return r.returncode, r.stdout + r.stderr, path


def fast_addresses(host):
    """The addresses on `host`'s eth0 (`ip -n`: no exec, about 2 ms)."""
    out = _labmod._run(["ip", "-n", host.ns, "-o", "addr", "show", "dev", "eth0"]).stdout
    return set(re.findall(r"inet6? ([0-9a-f.:]+)/", out))


def watch_addresses(host, duration, action=None, at=0.3, interval=0.01, until=None):
    """Poll `host`'s addresses every `interval` for `duration` seconds
    (bounded in count), calling action() once `at` seconds in; with
    `until` (a predicate on the address set), stop 0.3 s after it first
    holds after the action. Returns [(seconds since the start, addresses)]."""
    samples, t0, acted, done_at = [], time.monotonic(), action is None, None
    for _ in range(int(duration / interval) + 2):
        now = time.monotonic() - t0
        if now >= duration or (done_at is not None and now >= done_at):
            break
        if not acted and now >= at:
            action()
            acted = True
            continue
        addrs = fast_addresses(host)
        samples.append((now, addrs))
        if acted and until is not None and done_at is None and until(addrs):
            done_at = now + 0.3
        time.sleep(interval)
    return samples


class AddrMonitor:
    """`ip -o monitor address` in a host's namespace: every address added
    or deleted while it runs, to catch gaps too short for polling."""

    def __init__(self, net, host):
        self.proc = net.spawn(host.ns, ["ip", "-o", "monitor", "address"], name="ipmon")
        time.sleep(0.3)  # it subscribes at once; leave it time to start

    def deleted(self, addr):
        return [line for line in self.proc.output().splitlines()
                if line.startswith("Deleted") and f" {addr}/" in line]

    def added(self, addr):
        return [line for line in self.proc.output().splitlines()
                if not line.startswith("Deleted") and f" {addr}/" in line]

    def stop(self):
        self.proc.stop()


def user_processes(net, host, user=SCRIPT_USER):
    """[(pid, command line)] of the processes in `host`'s namespace whose
    real uid is `user`'s (hooks and exec probes run as that user)."""
    uid = pwd.getpwnam(user).pw_uid
    out = []
    for pid in _labmod.namespace_pids(host.ns):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        m = re.search(r"^Uid:\s+(\d+)", status, re.M)
        st = re.search(r"^State:\s+(\S)", status, re.M)
        if m and int(m.group(1)) == uid and not (st and st.group(1) == "Z"):
            out.append((pid, cmd))
    return out


def run_checked(argv, timeout=20):
    """subprocess.run with text output (not in a namespace: for tools such
    as shellcheck that touch no network)."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


# -- the HTTP endpoint (tests/integration/test_observability.py, demo) -------
# promvipd serves /metrics and /status on global.listen (default
# 127.0.0.1:9662; every lab host is a namespace of its own, so each agent
# can use the default, or LISTEN_ALL to be reachable from other namespaces).
API_PORT = 9662
LISTEN_ALL = {"listen": f"0.0.0.0:{API_PORT}"}

# Runs inside a namespace: one GET, bounded. Prints "STATUS <code>" and the
# body, or "ERROR <text>".
_HTTP_GET = r"""
import sys, urllib.error, urllib.request
url, timeout = sys.argv[1], float(sys.argv[2])
try:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        code, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
except urllib.error.HTTPError as e:
    code, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
except Exception as e:
    print("ERROR", e); sys.exit(0)
sys.stdout.write("STATUS %d %s\n" % (code, ctype))
sys.stdout.write(body.decode(errors="replace"))
"""


def http_get(net, node, url, timeout=2.0):
    """GET `url` inside `node`'s namespace: (status, content type, body),
    or (None, None, error text)."""
    r = net.run(node.ns, ["/usr/bin/python3", "-c", _HTTP_GET, url, str(timeout)],
                timeout=timeout + 10)
    if r.stdout.startswith("STATUS "):
        head, _, body = r.stdout.partition("\n")
        parts = head.split(" ", 2)
        return int(parts[1]), (parts[2] if len(parts) > 2 else ""), body
    return None, None, (r.stdout + r.stderr).strip()


def api_url(host=None, path="/status"):
    """http://ADDRESS:9662<path>: `host`'s IPv4 address, 127.0.0.1 without."""
    return f"http://{host.addr4 if host else '127.0.0.1'}:{API_PORT}{path}"


def agent_status(net, host, via=None, timeout=2.0):
    """promvipd's /status on `host` as a dict, asked from `via` (a Node,
    default `host` itself on 127.0.0.1)."""
    import json
    url = api_url(None if via is None else host, "/status")
    status, ctype, body = http_get(net, via or host, url, timeout)
    assert status == 200, f"GET {url} in {(via or host).name}: {status} {body[:300]}"
    return json.loads(body)


def agent_metrics(net, host, via=None, timeout=2.0):
    """promvipd's /metrics on `host` (text), asked as agent_status() does."""
    url = api_url(None if via is None else host, "/metrics")
    status, ctype, body = http_get(net, via or host, url, timeout)
    assert status == 200, f"GET {url} in {(via or host).name}: {status} {body[:300]}"
    return body


def promvipctl_path(promvipd=None):
    """promvipctl: $PROMVIPCTL, else next to `promvipd` (or $PROMVIPD), else
    <repo>/build/agent/promvipctl."""
    path = os.environ.get("PROMVIPCTL")
    if path:
        return path
    daemon = promvipd or os.environ.get("PROMVIPD")
    if daemon:
        return os.path.join(os.path.dirname(os.path.abspath(daemon)), "promvipctl")
    return os.path.join(HERE, "..", "..", "build", "agent", "promvipctl")


def promvipctl(net, host, ctl, *args, timeout=10):
    """Run `ctl` (promvipctl's path) with `args` in `host`'s namespace:
    the CompletedProcess (returncode, stdout, stderr)."""
    return net.run(host.ns, [ctl] + list(args), timeout=timeout)


# -- hand-over, release, rapid preemption (tests/integration/test_handover.py) --
# A master that stops (SIGTERM, or its instance removed by a reload) or is
# released (`promvipctl release INSTANCE`) sends priority 0 but keeps its
# VIPs until it hears the new master's advertisement, at most its
# Master_Down_Interval. Log lines of promvipd (keep the patterns here):
#   instance 'NAME': handing over: sent priority 0, keeping the virtual
#       addresses until a new master is heard (at most 0.7 s)
#   instance 'NAME': MASTER -> STOP (handed over to the new master)
#   instance 'NAME': MASTER -> STOP (no new master within Master_Down_Interval)
#   instance 'NAME': MASTER -> BACKUP (released to the new master)
#   instance 'NAME': release failed: no other router took over within
#       Master_Down_Interval; staying MASTER
#   instance 'NAME': BACKUP -> MASTER (rapid preemption: the master's priority is lower)
HANDING_OVER = re.compile(r"instance '([^']+)': handing over: sent priority 0, keeping the virtual "
                          r"addresses until a new master is heard \(at most ([0-9.]+) s\)")
HANDED_OVER = "MASTER -> STOP (handed over to the new master)"
NO_NEW_MASTER = "MASTER -> STOP (no new master within Master_Down_Interval)"
RELEASED = "MASTER -> BACKUP (released to the new master)"
RELEASE_FAILED = "release failed: no other router took over within Master_Down_Interval; staying MASTER"
RAPID_PREEMPTION = "BACKUP -> MASTER (rapid preemption: the master's priority is lower)"


def skew_time(priority, interval):
    """Skew_Time in seconds (RFC 5798, centisecond arithmetic)."""
    cs = round(interval * 100)
    return ((256 - priority) * cs // 256) / 100


def control_socket(net, host, name="promvipd"):
    """A control socket path for one agent of the lab (global.control_socket);
    in the lab's short socket directory (paths must stay under 108 bytes)."""
    return os.path.join(net.sockdir, f"{host.name}-{name}-ctl.sock")


def control_global(net, host, name="promvipd", **more):
    """The `global_` of probe_config() with the agent's own control socket."""
    g = {"control_socket": control_socket(net, host, name)}
    g.update(more)
    return g


def handing_over(agent, instance="prom", since=0):
    """[(position in the log, "at most" seconds)] of the hand-over lines."""
    text = agent.proc.output()
    return [(since + m.start(), float(m.group(2))) for m in HANDING_OVER.finditer(text[since:])
            if m.group(1) == instance]


def log_position(agent, line, instance="prom", since=0):
    """Position of "instance 'NAME': <line>" in the agent's log from `since`
    on, or None."""
    i = agent.proc.output().find(f"instance '{instance}': {line}", since)
    return None if i < 0 else i


def release(net, host, ctl, config_path, instance="prom", timeout=20):
    """`promvipctl -f CONFIG release INSTANCE` in `host`'s namespace: the
    CompletedProcess (it returns once the hand-over is over)."""
    return promvipctl(net, host, ctl, "-f", config_path, "release", instance, timeout=timeout)


def instance_status(net, host, instance="prom", via=None):
    """The /status entry of one instance (a dict), or None."""
    for inst in agent_status(net, host, via=via)["instances"]:
        if inst.get("name") == instance:
            return inst
    return None


class TimedAddrMonitor:
    """`ip -ts -o monitor address` in a host's namespace: every address
    added or deleted while it runs, with the time ip saw it (epoch
    seconds, comparable with packets.Capture's times)."""

    LINE = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?\d+: \S+\s+inet6? "
                      r"([0-9a-f.:]+)/")

    def __init__(self, net, host):
        self.host = host
        self.proc = net.spawn(host.ns, ["ip", "-ts", "-o", "monitor", "address"], name="ipmon-ts")
        time.sleep(0.3)  # it subscribes at once; leave it time to start

    def events(self, addr=None):
        """[(epoch seconds, "add" or "del", address)], oldest first."""
        import datetime
        out = []
        for line in self.proc.output().splitlines():
            m = self.LINE.match(line)
            if m and (addr is None or m.group(3) == addr):
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                out.append((t, "del" if m.group(2) else "add", m.group(3)))
        return out

    def added(self, addr):
        return [t for t, kind, _ in self.events(addr) if kind == "add"]

    def deleted(self, addr):
        return [t for t, kind, _ in self.events(addr) if kind == "del"]

    def stop(self):
        self.proc.stop()


def failed_samples(samples, start=None, end=None):
    """The client samples (time, answer) between `start` and `end`
    (monotonic seconds; None: open) whose answer is an error."""
    return [(t, a) for t, a in samples
            if (start is None or t >= start) and (end is None or t <= end) and a.startswith("ERR")]


def answer_switch(samples, old, new, start=None, in_flight=0):
    """Check the client's answers from `start` on: only `old` then only
    `new` (one switch, no going back, nothing else), and no failed request
    except at most `in_flight` of them strictly between the last answer
    from `old` and the first from `new`: a request whose connection spans
    the instant the client's ARP entry moves (reset by the new host, or
    answered by the old host after it dropped the VIP) fails whatever the
    agents do. Returns (time of the last `old`, time of the first `new`,
    the failed requests at the switch); AssertionError with the samples
    around the trouble otherwise."""
    window = [(t, a) for t, a in samples if start is None or t >= start]
    assert window, "no client samples"
    first_new = next((t for t, a in window if a == new), None)
    assert first_new is not None, f"never answered by {new}: {window[-20:]}"
    back = [(t, a) for t, a in window if a == old and t > first_new]
    assert not back, f"answered by {old} again after {new}: {back[:10]}"
    last_old = max((t for t, a in window if a == old), default=None)
    others = [(t, a) for t, a in window if a not in (old, new) and not a.startswith("ERR")]
    assert not others, f"answered by another host: {others[:20]}"
    failed = [(t, a) for t, a in window if a.startswith("ERR")]
    at_switch = [(t, a) for t, a in failed if last_old is not None and last_old < t < first_new]
    assert len(failed) == len(at_switch) and len(at_switch) <= in_flight, (
        f"{len(failed)} of {len(window)} requests failed ({len(at_switch)} in flight at the switch, "
        f"{in_flight} allowed; last {old} {last_old}, first {new} {first_new}): {failed[:20]}")
    return last_old, first_new, at_switch
