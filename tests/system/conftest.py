"""Fixtures of the system tests (see README, "How the packaging is tested").

`system` (session): the .deb built from this tree the way Debian builds it
(unit tests on), a cached Debian 12 root file system, a lab (lab.py, prefix
pvs-) with two hosts booted from it with systemd as PID 1 and a client
namespace, and an Ansible controller there; the role's first run installs
promvip on both hosts (kept in `system.first_run` for the tests to check).
Everything is torn down at the end, also after a failure, Ctrl-C or
SIGTERM, and a run starts by removing what a run that died left behind.

The test modules run in the order of their names and share the hosts; each
starts by waiting for the steady state it needs, so that one failure does
not hide the next test's result.
"""

import os
import shutil
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

import lab as labmod  # noqa: E402
import machines  # noqa: E402
from debbuild import build_deb  # noqa: E402
from pair import Pair  # noqa: E402
from playbook import Controller  # noqa: E402

PREFIX = "pvs-"
NEEDED = {"systemd-nspawn": "systemd-container", "mmdebstrap": "mmdebstrap",
          "ansible-playbook": "ansible-core", "dpkg-buildpackage": "dpkg-dev",
          "ssh": "openssh-client", "ssh-keygen": "openssh-client", "nsenter": "util-linux",
          "ip": "iproute2"}


def _problem():
    if os.geteuid() != 0:
        return "the system tests need root (network namespaces, containers): run them as root"
    for cmd, pkg in NEEDED.items():
        if shutil.which(cmd) is None:
            return f"required command '{cmd}' not found (Debian package {pkg})"
    return None


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session):
    # SIGTERM (a CI time-out, say) tears down as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupted)
    if _problem() is None:
        # The containers first, then the namespaces they ran in.
        gone = machines.cleanup_stale(PREFIX, labmod._owner_alive) + labmod.cleanup_stale(PREFIX)
        if gone:
            print(f"removed what a previous run left: {' '.join(gone)}")


def _runtime_depends(deb):
    """Package names of the .deb's Depends: the hosts have no network, so
    the cached tree must hold them for apt to install the .deb."""
    out = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True,
                         check=True).stdout
    return [alt.split("|")[0].split("(")[0].strip() for alt in out.split(",") if alt.strip()]


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    problem = _problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    top = tmp_path_factory.mktemp("system")
    deb_dir = top / "deb"
    deb_dir.mkdir()
    deb = build_deb(deb_dir)
    tree = machines.rootfs(_runtime_depends(deb), log=str(top / "mmdebstrap.log"))

    (top / "lab").mkdir()
    net = labmod.Lab(2, prefix=PREFIX, workdir=str(top / "lab"))
    hosts = {}
    try:
        work = os.path.join(machines.WORK, f"{PREFIX}{net.number}")
        os.makedirs(work, exist_ok=True)
        ctl = Controller(net, str(top / "ansible"), machines.DEPLOY_USER)
        for node in net.hosts:
            # A default route (to no one) as on any host: the role takes the
            # VIP's interface from it.
            net.run(node.ns, ["ip", "route", "add", "default", "via", f"10.99.{net.number}.1"], check=True)
            m = machines.Machine(node.ns, node.name, node.ns, tree, work)
            hosts[node.name] = m
            m.prepare({f"/home/{machines.DEPLOY_USER}/.ssh/authorized_keys": (0o600, ctl.public_key())})
        for m in hosts.values():
            _own_deploy_home(m)
            m.boot()
        ctl.configure(list(hosts.values()), {n.name: n.addr4 for n in net.hosts})
        pair = Pair(net, hosts, ctl, deb, str(top))
        pair.first_run = pair.playbook()
        yield pair
    finally:
        try:
            if "pair" in locals():
                pair.stop_clients()
        finally:
            for m in hosts.values():
                m.close()
            net.close()
            shutil.rmtree(os.path.join(machines.WORK, f"{PREFIX}{net.number}"), ignore_errors=True)


def _own_deploy_home(m):
    """~deploy/.ssh belongs to deploy (sshd's StrictModes)."""
    with open(m.root + "/etc/passwd") as f:
        for line in f:
            fields = line.split(":")
            if fields[0] == machines.DEPLOY_USER:
                uid, gid = int(fields[2]), int(fields[3])
                break
        else:
            raise AssertionError(f"no user {machines.DEPLOY_USER} in the host's tree")
    home = f"{m.root}/home/{machines.DEPLOY_USER}"
    for path in (f"{home}/.ssh", f"{home}/.ssh/authorized_keys"):
        os.chown(path, uid, gid)
    os.chmod(f"{home}/.ssh", 0o700)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report gets promvipd's journal from both hosts and the
    last playbook run."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "teardown" or not rep.failed:
        return
    pair = item.funcargs.get("system") if hasattr(item, "funcargs") else None
    if not pair:
        return
    for name, m in sorted(pair.m.items()):
        try:
            text = m.run(["journalctl", "--no-pager", "-o", "short-monotonic", "-n", "150",
                          "-u", "promvipd", "-u", "prometheus"], check=False).stdout \
                if m.init_pid() else "(host not running)\n" + m.console()
        except Exception as e:  # the report must not fail
            text = f"(no journal: {e})"
        rep.sections.append((f"journal of {name}", text))
    if pair.last_run:
        rep.sections.append(("last playbook run", pair.last_run.output[-6000:]))
