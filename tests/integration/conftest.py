"""pytest fixtures for promvip's namespace labs (see lab.py).

Fixtures: `lab` (factory: lab(n_hosts) -> Lab, torn down after the test),
`promvipd` (path of the daemon under test, from $PROMVIPD or the build dir),
`ctl` (path of promvipctl, next to it).
When a test fails, the output of every process its labs started and every
sd_notify message received is added to the failure report.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import lab as labmod  # noqa: E402
from vrrp import HookDir, promvipctl_path  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def pytest_sessionstart(session):
    # Leftovers of a crashed run: kill what runs inside them, delete them.
    if labmod.check_environment() is None:
        stale = labmod.cleanup_stale("pvt-")
        if stale:
            print(f"removed stale namespaces: {' '.join(stale)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "teardown" or not rep.failed:
        return
    for lab in getattr(item, "_promvip_labs", []):
        for name, text in lab.logs():
            rep.sections.append((f"output of {name}", text or "(no output)\n"))
        for sock in lab._sockets:
            msgs = sock.messages()
            text = "".join(f"[{i}] {m!r}\n" for i, m in enumerate(msgs))
            rep.sections.append((f"sd_notify on {sock.path}", text or "(none)\n"))


@pytest.fixture
def lab(request, tmp_path):
    """Factory: lab(n_hosts=2) builds a Lab (lab(n, kind=lab.RoutedLab): the
    hosts on two subnets with a router between them); all are torn down
    after the test."""
    problem = labmod.check_environment()
    if problem:
        pytest.fail(problem, pytrace=False)
    labs = request.node._promvip_labs = []

    def make(n_hosts=2, kind=labmod.Lab):
        workdir = tmp_path / f"lab{len(labs) + 1}"
        workdir.mkdir()
        net = kind(n_hosts, prefix="pvt-", workdir=str(workdir))
        labs.append(net)
        return net

    yield make
    for net in labs:
        net.close()


@pytest.fixture
def hooks():
    """A root-owned 0755 directory for hook scripts (vrrp.HookDir). Request
    it before `lab`, so that the labs (and their stop hooks) end first."""
    d = HookDir()
    yield d
    d.close()


@pytest.fixture(scope="session")
def promvipd():
    """Path of the daemon under test: $PROMVIPD or <repo>/build/agent/promvipd."""
    path = os.environ.get("PROMVIPD") or os.path.join(REPO, "build", "agent", "promvipd")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"promvipd not found at {path}: build it first "
                    "(meson setup build && meson compile -C build) or set PROMVIPD",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def ctl(promvipd):
    """Path of promvipctl: $PROMVIPCTL, else next to promvipd."""
    path = promvipctl_path(promvipd)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"promvipctl not found at {path}: build it first or set PROMVIPCTL",
                    pytrace=False)
    return path
