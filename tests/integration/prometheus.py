"""A real Prometheus (Debian's `prometheus` package) inside a lab host's
namespace, for promvip's probe tests and the demo.

    prom = prometheus.start(net, host)      # spawned, not yet ready
    prom.wait_ready(30)                     # /-/ready answers 200
    prom.query("time() - max(timestamp(up))")   # -> [(labels, value)] or a float
    prom.freeze(); prom.thaw()              # SIGSTOP / SIGCONT
    prom.stop(); prom.restart()             # SIGTERM + wait; again on the same storage
    prom.kill()                             # SIGKILL + wait
    prom.set_scrape(False)                  # reload without scrape targets: `up` goes stale
    prometheus.start(net, host, jobs={"promvip": ["10.99.1.11:9662"]}, job_interval=0.5)
                                            # more scrape jobs (e.g. promvipd's /metrics)

Prometheus listens on 0.0.0.0:9090 in the host's namespace (each namespace
has its own port space) and keeps its TSDB in <lab dir>/prom-<host>. It
scrapes only itself, every second, and evaluates every second, so `up` and
`timestamp(up)` stay fresh; nothing remote, short retention. Every request
runs inside the namespace (`ip netns exec` + /usr/bin/python3 and urllib),
every wait is bounded.

Measured here (2-core VM, Debian's Prometheus 2.42, a lab namespace):
/-/ready answers 200 about 55-75 ms after the start, fresh or restarted on
the same storage (a short test's WAL replays in milliseconds); SIGTERM to
exit takes about 10 ms; about 45 MB resident. The first scrape comes about
5-6 s after the start, and a scrape job added by a reload also takes up to
5 s (Prometheus's scrape manager applies target changes on a 5 s tick):
wait_scraped() waits for it. A removed job stops being scraped at once,
its series get staleness markers about two scrape intervals later.
`python3 prometheus.py` (as root) measures the start again in a
throw-away lab.
"""

import json
import os
import shutil
import signal
import time

from lab import wait_for

PROMETHEUS = "/usr/bin/prometheus"
PYTHON = "/usr/bin/python3"
PORT = 9090
LOCAL = f"http://127.0.0.1:{PORT}"

_SCRAPE = f"""scrape_configs:
  - job_name: prometheus
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:{PORT}"]
"""


def _job_text(name, targets, interval):
    """One more scrape job: `targets` ("HOST:PORT" texts) every `interval`
    seconds, the timeout as long as the interval."""
    ms = max(100, int(round(interval * 1000)))
    return (f"  - job_name: {name}\n"
            f"    scrape_interval: {ms}ms\n"
            f"    scrape_timeout: {ms}ms\n"
            f"    static_configs:\n"
            f"      - targets: [{', '.join(json.dumps(t) for t in targets)}]\n")


def config_text(scrape=True, jobs=None, job_interval=1.0):
    """prometheus.yml: evaluation every second, and (with `scrape`) one
    scrape job for Prometheus itself every second, plus `jobs` (a dict: job
    name -> list of "HOST:PORT" targets, each scraped every `job_interval`
    seconds); no rules, no alerting, no remote storage."""
    head = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
    if not scrape:
        return head + "scrape_configs: []\n"
    return head + _SCRAPE + "".join(_job_text(name, targets, job_interval)
                                    for name, targets in (jobs or {}).items())


# Runs inside the namespace: one GET, bounded. Prints "STATUS <code>" then
# the body, or "ERROR <kind> <text>" (kind: timeout, connect, other).
_GET = r"""
import socket, sys, urllib.error, urllib.request
url, timeout = sys.argv[1], float(sys.argv[2])
try:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except (socket.timeout, TimeoutError) as e:
    print("ERROR timeout", e); sys.exit(0)
except urllib.error.URLError as e:
    kind = "timeout" if isinstance(e.reason, (socket.timeout, TimeoutError)) else "connect"
    print("ERROR", kind, e.reason); sys.exit(0)
except OSError as e:
    print("ERROR other", e); sys.exit(0)
sys.stdout.write("STATUS %d\n" % code)
sys.stdout.write(body.decode(errors="replace"))
"""

# Runs inside the namespace: polls /-/ready until it answers 200 (at most
# `count` tries, each with its own short timeout); prints "READY <seconds>"
# (time since this poller started) or "NOTREADY <last status or error>".
_POLL_READY = r"""
import sys, time, urllib.error, urllib.request
url, count, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0, last = time.monotonic(), "no try"
for _ in range(count):
    try:
        with urllib.request.urlopen(url, timeout=0.5) as r:
            if r.status == 200:
                print("READY %.3f" % (time.monotonic() - t0)); sys.exit(0)
            last = "HTTP %d" % r.status
    except urllib.error.HTTPError as e:
        last = "HTTP %d" % e.code
    except OSError as e:
        last = str(getattr(e, "reason", e))
    time.sleep(pause)
print("NOTREADY", last)
"""


class PromError(AssertionError):
    pass


class Prom:
    """One Prometheus server in `host` (a lab Node) of lab `net`."""

    def __init__(self, net, host, scrape=True, retention="1h", extra_args=(), jobs=None,
                 job_interval=1.0):
        self.net, self.host = net, host
        self.jobs, self.job_interval = dict(jobs or {}), job_interval
        self.storage = os.path.join(net.dir, f"prom-{host.name}")
        self.config_path = net.write(f"prom-{host.name}.yml",
                                     config_text(scrape, self.jobs, job_interval))
        self.retention = retention
        self.extra_args = list(extra_args)
        self.proc = None
        self.procs = []          # every process started, oldest first
        self.started = None      # time.monotonic() of the latest start
        self.ready_at = None     # time.monotonic() when wait_ready() last saw 200
        self.frozen = False

    # -- the process ----------------------------------------------------------
    def argv(self):
        return [PROMETHEUS, f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.storage}",
                f"--storage.tsdb.retention.time={self.retention}",
                f"--web.listen-address=0.0.0.0:{PORT}",
                "--query.lookback-delta=1m",
                "--log.level=info"] + self.extra_args

    def start(self):
        """Spawn Prometheus (not waiting for it: see wait_ready)."""
        assert self.proc is None or not self.proc.alive(), "Prometheus already running"
        os.makedirs(self.storage, exist_ok=True)
        # GOMAXPROCS=1: a small, steady footprint next to the agents under test.
        self.proc = self.net.spawn(self.host.ns, self.argv(), env={"GOMAXPROCS": "1"},
                                   name=f"prometheus-{self.host.name}")
        self.procs.append(self.proc)
        self.started, self.ready_at, self.frozen = time.monotonic(), None, False
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, grace=10.0):
        """SIGTERM (after SIGCONT if frozen) and wait for the exit; SIGKILL
        after `grace` seconds. Returns the exit code."""
        if not self.alive():
            return self.proc.popen.returncode if self.proc else None
        if self.frozen:
            self.thaw()
        self.proc.stop(grace)
        return self.proc.popen.returncode

    def kill(self):
        """SIGKILL and reap; returns the exit code (-9)."""
        if self.alive():
            self.proc.signal(signal.SIGKILL)
            self.proc.wait(10)
        self.frozen = False
        return self.proc.popen.returncode if self.proc else None

    def freeze(self):
        """SIGSTOP: the listening socket stays, so requests connect and
        then get no answer (a hung Prometheus)."""
        assert self.alive(), "Prometheus not running"
        self.proc.signal(signal.SIGSTOP)
        self.frozen = True
        wait_for(lambda: _proc_state(self.proc.pid) in ("T", "t"), 5,
                 what=f"{self.proc} stopped")

    def thaw(self):
        """SIGCONT after freeze()."""
        assert self.alive(), "Prometheus not running"
        self.proc.signal(signal.SIGCONT)
        self.frozen = False
        wait_for(lambda: _proc_state(self.proc.pid) not in ("T", "t"), 5,
                 what=f"{self.proc} running again")

    def restart(self, wipe=False):
        """Start again (stopping first if needed) on the same storage dir,
        or an empty one with `wipe`. Does not wait for readiness."""
        self.stop()
        if wipe:
            shutil.rmtree(self.storage, ignore_errors=True)
        return self.start()

    def reload(self):
        """SIGHUP: read the config file again (waits until it is applied)."""
        assert self.alive(), "Prometheus not running"
        before = self.proc.output().count("Completed loading of configuration file")
        self.proc.signal(signal.SIGHUP)
        wait_for(lambda: self.proc.output().count("Completed loading of configuration file") > before
                 or not self.alive(), 10, what=f"{self.proc} reloaded its config")

    def set_scrape(self, on):
        """Rewrite the config with or without the scrape job and reload.
        Without it, the target's series get staleness markers at once:
        `up` and `timestamp(up)` have no value any more (an empty result).
        The extra `jobs` go and come back with it."""
        with open(self.config_path, "w") as f:
            f.write(config_text(on, self.jobs, self.job_interval))
        self.reload()

    # -- requests from inside the namespace -----------------------------------
    def get(self, path, timeout=2.0):
        """GET http://127.0.0.1:9090<path> inside the namespace: (status, body)
        or (None, "timeout: ..." / "connect: ..." / "other: ...")."""
        r = self.net.run(self.host.ns, [PYTHON, "-c", _GET, LOCAL + path, str(timeout)],
                         timeout=timeout + 10)
        out = r.stdout
        if out.startswith("STATUS "):
            head, _, body = out.partition("\n")
            return int(head.split()[1]), body
        if out.startswith("ERROR "):
            kind, _, text = out[6:].partition(" ")
            return None, f"{kind}: {text.strip()}"
        return None, f"other: exit {r.returncode}: {out}{r.stderr}"

    def is_ready(self, timeout=1.0):
        status, _ = self.get("/-/ready", timeout)
        return status == 200

    def wait_ready(self, timeout=30):
        """Wait until /-/ready answers 200 (polled every 50 ms inside the
        namespace); returns the seconds since the latest start()."""
        assert self.proc is not None, "Prometheus never started"
        deadline = time.monotonic() + timeout
        last = "no try"
        for _ in range(int(timeout) + 2):  # a poller run covers ~1 s each
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not self.alive():
                raise PromError(f"{self.proc} exited ({self.proc.popen.returncode}):\n"
                                f"{self.proc.output()[-3000:]}")
            count = max(1, min(20, int(remaining / 0.05)))
            r = self.net.run(self.host.ns, [PYTHON, "-c", _POLL_READY, LOCAL + "/-/ready",
                                            str(count), "0.05"], timeout=count * 0.6 + 10)
            if r.stdout.startswith("READY"):
                self.ready_at = time.monotonic()
                return self.ready_at - self.started
            last = r.stdout.strip() or r.stderr.strip()
        raise PromError(f"{self.proc} not ready after {timeout:g}s "
                        f"(last: {last}):\n"
                        f"{self.proc.output()[-3000:]}")

    def api(self, expr, timeout=2.0):
        """The JSON answer of an instant query (/api/v1/query) as a dict."""
        from urllib.parse import quote
        status, body = self.get("/api/v1/query?query=" + quote(expr, safe=""), timeout)
        if status is None:
            raise PromError(f"query {expr!r}: {body}")
        try:
            answer = json.loads(body)
        except ValueError:
            raise PromError(f"query {expr!r}: HTTP {status}, not JSON: {body[:200]!r}")
        if answer.get("status") != "success":
            raise PromError(f"query {expr!r}: HTTP {status}: {answer}")
        return answer["data"]

    def query(self, expr, timeout=2.0):
        """An instant query: a float for a scalar, else a list of
        (labels dict, float) for a vector (empty when nothing matches)."""
        data = self.api(expr, timeout)
        if data["resultType"] == "scalar":
            return float(data["result"][1])
        if data["resultType"] == "vector":
            return [(e["metric"], float(e["value"][1])) for e in data["result"]]
        raise PromError(f"query {expr!r}: result type {data['resultType']}")

    def wait_scraped(self, timeout=15, max_age=3.0):
        """Wait until `time() - max(timestamp(up))` is at most `max_age`
        seconds (scrapes are fresh); returns that age."""
        def fresh():
            try:
                v = self.query("time() - max(timestamp(up))")
            except PromError:
                return None
            return v and v[0][1] <= max_age and (v[0][1] if v[0][1] > 0 else 1e-9)
        return wait_for(fresh, timeout, interval=0.2,
                        what=lambda: f"fresh scrapes on {self.host.name}")

    def output(self):
        return "".join(p.output() for p in self.procs)

    def __repr__(self):
        return f"<Prom {self.host.name} pid={self.pid}>"


def _proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def start(net, host, ready=False, timeout=30, **kw):
    """A Prom on `host`, started; with `ready`, waits until /-/ready is 200."""
    prom = Prom(net, host, **kw).start()
    if ready:
        prom.wait_ready(timeout)
    return prom


def measure(rounds=3):
    """Seconds from start to ready, fresh and restarted, in a throw-away lab
    (run this file as root)."""
    import lab as labmod
    with labmod.Lab(1, prefix="pvt-") as net:
        host = net.hosts[0]
        prom = start(net, host)
        fresh = [prom.wait_ready(30)]
        prom.wait_scraped(15)
        restarted = []
        for _ in range(rounds):
            prom.restart()
            restarted.append(prom.wait_ready(30))
        t0 = time.monotonic()
        prom.stop()
        stop = time.monotonic() - t0
        return {"fresh": fresh, "restart": restarted, "stop": stop}


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    print(measure())
