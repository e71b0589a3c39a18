"""Helpers for VRRP scenarios: promvipd configs and processes, VIP checks,
a tiny web server per host and a client that watches who answers on the VIP.
Used by the integration tests and by scripts/demo."""

import os
import re
import signal


from lab import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WEB_PORT = 8080


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

    def __init__(self, net, host, promvipd, text, name="promvipd"):
        self.net, self.host, self.name = net, host, name
        self.path = net.write(f"{host.name}-{name}.conf", text)
        self.sock = net.notify_socket(f"{host.name}-{name}")
        self.proc = net.spawn(host.ns, [promvipd, "-f", self.path, "-l", "debug"],
                              env=self.sock.env(), name=f"{name}-{host.name}")
        self.sock.wait_for("READY=1", 10)

    def transitions(self):
        """[(instance, old, new)] from the log, in order."""
        return re.findall(r"instance '([^']+)': (\w+) -> (\w+) \(", self.proc.output())

    def state(self, instance="prom"):
        t = [new for name, _, new in self.transitions() if name == instance]
        return t[-1] if t else None

    def counters(self, timeout=5):
        """The SIGUSR1 dump as {'instance NAME' or 'socket IF FAM': {key: value}}."""
        before = len(self.proc.output())
        self.proc.signal(signal.SIGUSR1)
        wait_for(lambda: "state=" in self.proc.output()[before:], timeout, what="SIGUSR1 dump")
        # The dump is written in one go: wait until the log stops growing.
        sizes = []
        wait_for(lambda: sizes.append(len(self.proc.output())) or sizes[-2:] == sizes[-1:] * 2,
                 timeout, interval=0.1, what="the end of the SIGUSR1 dump")
        out = {}
        for line in self.proc.output()[before:].splitlines():
            m = re.search(r"(instance '[^']+'|socket \S+ \S+): (\S+=.*)", line)
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

    def __init__(self, net, vip, interval=0.02, timeout=0.2, duration=30):
        host = f"[{vip}]" if ":" in vip else vip
        self.out = os.path.join(net.dir, "client.log")
        self.proc = net.spawn(net.client.ns, ["/usr/bin/python3",
                                              os.path.join(HERE, "vipclient.py"),
                                              "--url", f"http://{host}:{WEB_PORT}/whoami", "--out", self.out,
                                              "--interval", str(interval), "--timeout", str(timeout),
                                              "--duration", str(duration)], name="client")

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
