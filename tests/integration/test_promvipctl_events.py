"""promvipctl events and promvipctl status --watch (issue 18), against a
small HTTP server with canned /events and /status answers inside a lab
namespace (promvipd's own /events is tested end to end elsewhere).

The server re-reads its answers at each request, so a test changes what
"promvipd" says by rewriting a file, and it logs each request's path, so
a test sees the URL promvipctl asked for.
"""

import json
import os
import pty
import select
import signal
import subprocess
import time

from lab import wait_for

SERVER = r'''
import http.server, json, sys

where, answers_path, log_path = sys.argv[1:4]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log_path, "a") as log:
            log.write(self.path + "\n")
        with open(answers_path) as f:
            answers = json.load(f)
        code, body = answers.get(self.path, [404, json.dumps({"error": "not found"})])
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass

host, port = where.rsplit(":", 1)
http.server.HTTPServer.allow_reuse_address = True
server = http.server.HTTPServer((host, int(port)), Handler)
print("ready", flush=True)
server.serve_forever()
'''

ADDRESS = "127.0.0.1:9662"

EVENTS = {
    "router_id": "prom-a", "now": "2026-12-02T19:30:00.500Z", "event_history": 100,
    "instances": [
        {"name": "prometheus", "events": [
            {"seq": 1, "time": "2026-12-02T17:30:00.500Z", "type": "transition", "from": "INIT",
             "to": "BACKUP", "reason": "startup"},
            {"seq": 4, "time": "2026-12-02T19:29:47.700Z", "type": "priority", "from": 150, "to": 90,
             "cause": "probe 'ready' DOWN (weight -60)"},
            {"seq": 5, "time": "2026-12-02T19:29:47.700Z", "type": "advert", "direction": "sent",
             "priority": 90, "address": None, "previous": 150},
            {"seq": 6, "time": "2026-12-02T19:29:48.000Z", "type": "transition", "from": "MASTER",
             "to": "BACKUP", "reason": "higher priority 100 from 10.96.0.2 (ours 90)"},
            {"seq": 8, "time": "2026-12-02T19:30:00.100Z", "type": "future_type", "answer": 42}]},
        {"name": "alertmanager", "events": [
            {"seq": 2, "time": "2026-12-02T19:25:00.000Z", "type": "probe", "probe": "ready",
             "from": "UP", "to": "DOWN", "detail": "connect: Connection refused"},
            {"seq": 3, "time": "2026-12-02T19:25:00.000Z", "type": "hook", "hook": "backup",
             "result": "failed", "detail": "exit 3"},
            {"seq": 7, "time": "2026-12-02T19:29:48.000Z", "type": "advert", "direction": "received",
             "priority": 100, "address": "10.96.0.2", "previous": None}]},
    ],
}

# The instance "web/a b": its name needs URL escaping.
ONE = {"router_id": "prom-a", "now": "2026-12-02T19:30:00.500Z", "event_history": 100,
       "instances": [{"name": "web/a b", "events": [
           {"seq": 9, "time": "2026-12-02T19:30:00.000Z", "type": "track_interface", "interface": "eth1",
            "up": False}]}]}


def status(state, prio):
    """A /status without times that move (no start_time, no transition),
    so that its table changes only when the answer does."""
    return {"router_id": "prom-a", "version": "0.1.0", "instances": [{
        "name": "prometheus", "interface": "eth0", "vrid": 51, "state": state,
        "priority": {"base": 150, "effective": prio}, "virtual_addresses": ["192.0.2.100/24"],
        "master": None, "is_master": state == "MASTER", "handover": "none", "last_transition": None,
        "events": []}], "probes": []}


class Canned:
    """The canned server in `node`'s namespace, on ADDRESS."""

    def __init__(self, node, tmp_path, answers):
        self.node, self.tmp_path = node, tmp_path
        self.script = tmp_path / "server.py"
        self.script.write_text(SERVER)
        self.answers_path = tmp_path / "answers.json"
        self.log_path = tmp_path / "requests.log"
        self.log_path.write_text("")
        self.set(answers)
        self.proc = None
        self.start()

    def set(self, answers):
        """answers: {path: (code, object or text)}."""
        table = {p: [c, b if isinstance(b, str) else json.dumps(b)] for p, (c, b) in answers.items()}
        tmp = self.answers_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(table))
        tmp.rename(self.answers_path)   # the server never reads half a file

    def start(self):
        self.proc = self.node.spawn(["python3", str(self.script), ADDRESS, str(self.answers_path),
                                     str(self.log_path)], name="canned")
        wait_for(lambda: "ready" in self.proc.output(), 10, what="the canned server")

    def stop(self):
        self.proc.stop()

    def requests(self):
        return self.log_path.read_text().splitlines()


def test_events(lab, ctl, tmp_path):
    net = lab(1)
    h1 = net.hosts[0]
    server = Canned(h1, tmp_path, {
        "/events": (200, EVENTS),
        "/events?instance=web%2Fa%20b": (200, ONE),
        "/events?instance=nosuch": (404, {"error": "no instance 'nosuch'"}),
    })

    def ctl_run(*args):
        return net.run(h1.ns, [ctl, "-a", ADDRESS] + list(args))

    # The table: every instance together, oldest first by seq, ages from "now".
    r = ctl_run("events")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "INSTANCE      AGE        EVENT        DETAIL\n"
        "prometheus    2h ago     transition   INIT -> BACKUP: startup\n"
        "alertmanager  5m ago     probe        ready UP -> DOWN: connect: Connection refused\n"
        "alertmanager  5m ago     hook         backup hook failed: exit 3\n"
        "prometheus    12.8s ago  priority     150 -> 90: probe 'ready' DOWN (weight -60)\n"
        "prometheus    12.8s ago  advert       sent priority 90 (was 150)\n"
        "prometheus    12.5s ago  transition   MASTER -> BACKUP: higher priority 100 from 10.96.0.2 (ours 90)\n"
        "alertmanager  12.5s ago  advert       received priority 100 from 10.96.0.2\n"
        "prometheus    0.4s ago   future_type  answer=42\n"), r.stdout
    assert server.requests()[-1] == "/events"

    # One instance: its name URL-escaped in the query.
    r = ctl_run("events", "web/a b")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("INSTANCE  AGE       EVENT            DETAIL\n"
                        "web/a b   0.5s ago  track_interface  eth1 down\n"), r.stdout
    assert server.requests()[-1] == "/events?instance=web%2Fa%20b"

    # An instance promvipd does not know: 404, exit 1, said clearly.
    r = ctl_run("events", "nosuch")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "has no instance 'nosuch'" in r.stderr, r.stderr

    # --json: the answer, pretty-printed (before or after the instance).
    for args in (["events", "--json"], ["--json", "events"]):
        r = ctl_run(*args)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == EVENTS
        assert r.stdout.startswith('{\n  "router_id": "prom-a",\n'), r.stdout
    r = ctl_run("events", "web/a b", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == ONE, r.stderr

    # Not the expected JSON: 4; a /events missing (an older promvipd): 4.
    server.set({"/events": (200, "<html>no</html>")})
    r = ctl_run("events")
    assert r.returncode == 4 and "unexpected /events answer" in r.stderr, (r.returncode, r.stderr)
    server.set({"/events": (200, {"instances": {}})})
    assert ctl_run("events").returncode == 4
    server.set({})
    r = ctl_run("events")
    assert r.returncode == 4 and "does not serve /events" in r.stderr, (r.returncode, r.stderr)

    # Nobody answering: 3.
    server.stop()
    r = ctl_run("events")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "promvipd is not answering on 127.0.0.1:9662" in r.stderr, r.stderr

    # Bad usage: 2, before asking anything.
    for args in (["events", "a", "b"], ["events", "--watch"], ["events", "--interval", "1"]):
        r = ctl_run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
    r = net.run(h1.ns, [ctl, "-s", "/nonexistent", "events"])
    assert r.returncode == 2, r.stderr


def count(text, needle):
    return text.count(needle)


def test_status_watch(lab, ctl, tmp_path):
    net = lab(1)
    h1 = net.hosts[0]
    server = Canned(h1, tmp_path, {"/status": (200, status("MASTER", 150))})
    watch = h1.spawn([ctl, "-a", ADDRESS, "status", "--watch", "--interval", "0.2"], name="watch")

    # The first table, then nothing while the answer stays the same.
    wait_for(lambda: "prometheus  MASTER" in watch.output(), 10, what="the first table")
    polls = len(server.requests())
    wait_for(lambda: len(server.requests()) >= polls + 5, 10, what="five more polls")
    out = watch.output()
    assert count(out, "router prom-a") == 1, out
    assert out.startswith("router prom-a  promvipd 0.1.0  up ?  1 instance, 0 probes\n\nINSTANCE"), out
    assert out.endswith("this host  never            -\n\n"), repr(out)   # a blank line after the table
    assert "\033[" not in out    # not a terminal: no screen clearing

    # The answer changes: the table again, once.
    server.set({"/status": (200, status("BACKUP", 90))})
    wait_for(lambda: "prometheus  BACKUP" in watch.output(), 10, what="the changed table")
    polls = len(server.requests())
    wait_for(lambda: len(server.requests()) >= polls + 5, 10, what="five more polls")
    out = watch.output()
    assert count(out, "router prom-a") == 2, out
    assert "90/150" in out.split("prometheus  BACKUP")[1], out

    # promvipd goes away: one line saying so, however long it lasts.
    server.stop()
    wait_for(lambda: "is not answering" in watch.output(), 10, what="the not-answering line")
    time.sleep(1.5)   # several more polls
    out = watch.output()
    assert count(out, "is not answering") == 1, out
    assert "promvipd is not answering on 127.0.0.1:9662: connection refused" in out, out

    # It comes back: the table again.
    server.start()
    wait_for(lambda: count(watch.output(), "router prom-a") == 3, 10, what="the table after the outage")
    assert count(watch.output(), "is not answering") == 1

    # SIGTERM ends it, exit 0; so does SIGINT.
    watch.signal(signal.SIGTERM)
    assert watch.wait(5) == 0, watch.output()
    watch2 = h1.spawn([ctl, "-a", ADDRESS, "status", "--watch"], name="watch2")
    wait_for(lambda: "prometheus  BACKUP" in watch2.output(), 10, what="the table (watch2)")
    watch2.signal(signal.SIGINT)
    assert watch2.wait(5) == 0, watch2.output()

    # A waiting watch ends at once: with --interval 60 it is asleep.
    watch3 = h1.spawn([ctl, "-a", ADDRESS, "status", "--watch", "--interval", "60"], name="watch3")
    wait_for(lambda: "prometheus  BACKUP" in watch3.output(), 10, what="the table (watch3)")
    time.sleep(0.3)
    start = time.monotonic()
    watch3.signal(signal.SIGTERM)
    assert watch3.wait(5) == 0, watch3.output()
    assert time.monotonic() - start < 2


def test_status_watch_silent_endpoint(lab, ctl):
    """An endpoint that accepts and never answers: each poll lasts the
    request timeout (2 s), longer than the interval; SIGTERM still ends it."""
    net = lab(1)
    h1 = net.hosts[0]
    silent = h1.spawn(["python3", "-c", "import socket, time\n"
                       "s = socket.socket(); s.bind(('127.0.0.1', 9662)); s.listen(64)\n"
                       "print('ready', flush=True); time.sleep(600)"], name="silent")
    wait_for(lambda: "ready" in silent.output(), 10, what="the silent server")
    watch = h1.spawn([ctl, "-a", ADDRESS, "status", "--watch", "--interval", "0.1"], name="watch")
    wait_for(lambda: "is not answering" in watch.output(), 10, what="the not-answering line")
    assert "no answer within 2 s" in watch.output(), watch.output()
    time.sleep(2.5)    # into the next request
    watch.signal(signal.SIGTERM)
    assert watch.wait(4) == 0, watch.output()
    assert watch.output().count("is not answering") == 1, watch.output()


def test_status_watch_terminal(lab, ctl, tmp_path):
    """On a terminal each draw clears the screen first."""
    net = lab(1)
    h1 = net.hosts[0]
    server = Canned(h1, tmp_path, {"/status": (200, status("MASTER", 150))})
    master, slave = pty.openpty()
    p = subprocess.Popen(["ip", "netns", "exec", h1.ns, ctl, "-a", ADDRESS, "status", "--watch", "--interval",
                          "0.2"], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""

    def read_until(needle, timeout=10):
        nonlocal out
        deadline = time.monotonic() + timeout
        while needle not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                out += os.read(master, 65536)
        assert needle in out, out

    try:
        read_until(b"prometheus  MASTER")
        assert out.startswith(b"\033[H\033[2Jrouter prom-a"), out
        server.set({"/status": (200, status("BACKUP", 90))})
        read_until(b"prometheus  BACKUP")
        assert out.count(b"\033[H\033[2J") == 2, out
        assert b"\n\n\033[H" not in out and b"\r\n\r\n\033[H" not in out   # no blank line between draws
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=5) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)


def test_status_watch_usage(lab, ctl):
    net = lab(1)
    h1 = net.hosts[0]
    for args in (["--interval", "0.05"], ["--interval", "61"], ["--interval", "abc"], ["--interval", ""],
                 ["--interval", "-1"], ["--interval", "1e1"], ["--interval", "nan"], ["--json"]):
        r = net.run(h1.ns, [ctl, "-a", ADDRESS, "status", "--watch"] + args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    r = net.run(h1.ns, [ctl, "-a", ADDRESS, "status", "--interval", "2"])
    assert r.returncode == 2 and "--interval goes with --watch" in r.stderr, r.stderr
    r = net.run(h1.ns, [ctl, "--help"])
    assert r.returncode == 0
    for text in ("status --watch [--interval SECONDS]", "events [--json] [INSTANCE]"):
        assert text in r.stdout, text
