"""promvipctl against a hostile endpoint (issue 13, defect 11): whatever
the answer holds, no control character reaches the terminal (they come out
as \\xHH, or as \\uXXXX with --json), and counters do not overflow.

The endpoint is a small HTTP server with canned answers: over TCP inside a
lab namespace for `status`, over a Unix socket (no network) for `release`.
"""

import json
import os
import subprocess
import sys

from lab import wait_for

SERVER = r'''
import http.server, json, os, socket, socketserver, sys

ANSWERS = json.load(open(sys.argv[2]))   # "METHOD PATH": [status, body (latin-1)]

class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        code, body = ANSWERS.get(f"{self.command} {self.path}", [404, "{}"])
        data = body.encode("latin-1")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass

where = sys.argv[1]
if where.startswith("/"):
    class Server(socketserver.UnixStreamServer):
        def get_request(self):
            conn, _ = super().get_request()
            return conn, ("local", 0)
    server = Server(where, Handler)
else:
    host, port = where.rsplit(":", 1)
    server = http.server.HTTPServer((host, int(port)), Handler)
print("ready", flush=True)
server.serve_forever()
'''

# A /status whose strings carry terminal controls: an OSC title change, a
# screen clear, C1 CSI (as UTF-8), DEL, a hyperlink; and counters that
# overflow when summed, or are negative.
HOSTILE_STATUS = {
    "router_id": "r\x1b]0;pwned\x07", "version": "1\u009b2J", "start_time": "2026-11-22T00:00:00Z",
    "reloads": 0, "reload_failures": 0, "last_reload": None,
    "instances": [{
        "name": "prom\x1b[2J", "interface": "eth0\x7f", "vrid": 51, "version": 3, "family": "ipv4",
        "state": "MASTER\r", "priority": {"base": 150, "effective": 150},
        "virtual_addresses": ["192.0.2.1/24\n"], "master": "10.0.0.1\u0085", "is_master": True,
        "handover": "none", "released": False, "last_transition": None,
        "split_brain": 0, "dropped": {"bad_auth": 9223372036854775807, "unknown_peer": 9223372036854775807,
                                      "addr_mismatch": -5},
        "hooks": {"run": 0, "failed": 0, "refused": 0, "dropped": 0},
        "tracks": [{"probe": "p\x1b", "weight": -1, "up": True}]}],
    "probes": [{"name": "p\x1b", "type": "exec\t", "state": "UP", "runs": 1,
                "last_latency_seconds": 0.001, "last_result": "ok",
                "last_detail": "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\"}],
    "sockets": [],
}


def terminal_safe(text):
    """No C0 (but newline), DEL or C1 character in `text` (a str)."""
    return not any((ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f for c in text)


class Endpoint:
    """The canned server, started with `argv_prefix` (e.g. a namespace's
    `ip netns exec`) on `where` (HOST:PORT or a socket path)."""

    def __init__(self, tmp_path, where, answers, spawn=None):
        script = tmp_path / "server.py"
        script.write_text(SERVER)
        table = tmp_path / "answers.json"
        table.write_text(json.dumps({k: [c, b] for k, (c, b) in answers.items()}))
        argv = [sys.executable, str(script), where, str(table)]
        if spawn:
            self.proc = spawn(argv)
            wait_for(lambda: "ready" in self.proc.output(), 10, what="the canned server")
        else:
            self.popen = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
            assert self.popen.stdout.readline().strip() == "ready"

    def stop(self):
        if getattr(self, "popen", None):
            self.popen.kill()
            self.popen.wait(timeout=5)


def body(obj):
    """JSON text, as latin-1 code points of its UTF-8 bytes (the server
    sends each code point as one byte)."""
    return json.dumps(obj).encode().decode("latin-1")


def test_status_table_and_json_escape_everything(lab, ctl, tmp_path):
    net = lab(1)
    h1 = net.hosts[0]
    Endpoint(tmp_path, "127.0.0.1:9662", {"GET /status": (200, body(HOSTILE_STATUS))},
             spawn=lambda argv: h1.spawn(argv, name="canned"))

    r = net.run(h1.ns, [ctl, "-a", "127.0.0.1:9662", "status"])
    assert r.returncode == 0, r.stderr
    assert terminal_safe(r.stdout), repr(r.stdout)
    for text in ("router r\\x1b]0;pwned\\x07", "promvipd 1\\xc2\\x9b2J", "prom\\x1b[2J", "MASTER\\x0d",
                 "eth0\\x7f/51", "192.0.2.1/24\\x0a", "10.0.0.1\\xc2\\x85 (this host)",
                 "9223372036854775807+ dropped", "p\\x1b", "exec\\x09",
                 "ok: \\x1b]8;;http://evil/\\x1b\\click\\x1b]8;;\\x1b\\"):
        assert text in r.stdout, (text, r.stdout)
    assert len(r.stdout.splitlines()) == 7, r.stdout

    r = net.run(h1.ns, [ctl, "-a", "127.0.0.1:9662", "status", "--json"])
    assert r.returncode == 0, r.stderr
    assert terminal_safe(r.stdout) and r.stdout.isascii(), repr(r.stdout)
    assert json.loads(r.stdout) == HOSTILE_STATUS          # the same JSON, only escaped


def test_release_messages_escaped(ctl, tmp_path):
    sock = str(tmp_path / "ctl.sock")

    def status(state, master):
        return body({"instances": [{"name": "prom", "state": state, "master": master, "handover": "none"}]})
    cases = [
        # answers, exit code, what it prints (stdout or stderr)
        ({"POST /instances/prom/release": (409, body({"error": "instance 'prom' is \x1b[2JBACKUP"}))},
         1, "promvipctl: instance 'prom' is \\x1b[2JBACKUP\n"),
        ({"POST /instances/prom/release": (500, "\x1b[31mboom\x9b")},
         4, "HTTP 500 \\x1b[31mboom\\x9b\n"),
        ({"POST /instances/prom/release": (202, body({"instance": "prom", "timeout_usec": 2**63 - 1})),
          "GET /status": (200, status("BACKUP", "\x1b]0;x\x07"))},
         0, "instance 'prom' released: BACKUP, the master is now \\x1b]0;x\\x07\n"),
        ({"POST /instances/prom/release": (202, body({"instance": "prom", "timeout_usec": 2**63 - 1})),
          "GET /status": (200, status("\u009bFAULT", None))},
         1, "instance 'prom' went \\xc2\\x9bFAULT during the release\n"),
    ]
    for answers, code, said in cases:
        if os.path.exists(sock):
            os.unlink(sock)
        server = Endpoint(tmp_path, sock, answers)
        try:
            r = subprocess.run([ctl, "-s", sock, "release", "prom"], capture_output=True, text=True,
                               errors="surrogateescape", timeout=20)
        finally:
            server.stop()
        assert r.returncode == code, (answers, r.returncode, r.stdout, r.stderr)
        assert terminal_safe(r.stdout + r.stderr), repr(r.stdout + r.stderr)
        assert (r.stdout + r.stderr).endswith(said), (said, r.stdout, r.stderr)
