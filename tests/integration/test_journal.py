"""Under systemd, promvipd logs to the journal with structured fields.

The test stands in for journald: in a private mount namespace of the daemon
(unshare -m), a tmpfs over /run holds /run/systemd/journal bound to a
directory of the test's, where a datagram socket named `socket` receives
what sd_journal_send() writes (journald's native protocol: KEY=value lines).
JOURNAL_STREAM names the daemon's stderr, as systemd sets it, which is how
promvipd knows that the journal is there."""

import os
import signal

from lab import NotifySocket, wait_for
from test_daemon import config, line_of

START = 10


def entries(sock):
    """Journal entries received so far, each a dict of its fields."""
    out = []
    for msg in sock.messages():
        fields = {}
        for line in msg.splitlines():
            k, sep, v = line.partition("=")
            if sep:
                fields[k] = v
        out.append(fields)
    return out


def find(sock, text):
    return [e for e in entries(sock) if text in e.get("MESSAGE", "")]


def test_journal_structured_fields(lab, promvipd, tmp_path):
    net = lab(1)
    host = net.hosts[0]
    text = config(host)
    path = net.write("h1.conf", text)
    jdir = tmp_path / "journal"
    jdir.mkdir()
    journal = NotifySocket(str(jdir / "socket"))
    stderr_path = tmp_path / "stderr"
    stderr_path.touch()
    st = os.stat(stderr_path)
    notify = net.notify_socket("h1")
    script = ("mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && "
              f"mount --bind {jdir} /run/systemd/journal && "
              f'exec "$0" -f {path} 2>>{stderr_path}')
    env = dict(notify.env(), JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    proc = net.spawn(host.ns, ["unshare", "-m", "--propagation", "private",
                               "sh", "-c", script, promvipd], env=env, name="promvipd")
    notify.wait_for("READY=1", START)

    started = wait_for(lambda: find(journal, "started with"), START,
                       what="'started with' in the journal")[0]
    assert started["PRIORITY"] == "6"
    assert started["SYSLOG_IDENTIFIER"] == "promvipd"
    assert started["CODE_FUNC"] and started["CODE_FILE"] and started["CODE_LINE"]

    # A broken reload: each error carries the file and line as fields.
    with open(path, "w") as f:
        f.write(config(host, broken=True))
    mark = len(notify.messages())
    proc.signal(signal.SIGHUP)
    notify.wait_for("READY=1", START, since=mark)
    errors = wait_for(lambda: [e for e in entries(journal) if "CONFIG_LINE" in e], START,
                      what="config errors in the journal")
    lines = {e["CONFIG_LINE"] for e in errors}
    broken = config(host, broken=True)
    assert str(line_of(broken, "vrid = 300")) in lines
    assert str(line_of(broken, "priorty")) in lines
    assert all(e["CONFIG_FILE"] == path and e["PRIORITY"] == "3" for e in errors)
    assert find(journal, "keeping the running configuration")

    proc.signal(signal.SIGTERM)
    assert proc.wait(START) == 0
    # Everything went to the journal, nothing to stderr.
    assert stderr_path.read_text() == ""
