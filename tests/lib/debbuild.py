"""Builds the .deb the way Debian does: `dpkg-buildpackage -us -uc -b` in a
copy of the working tree with debian/ -> packaging/debian, unit tests on
(dh_auto_test runs them under make, as on Debian's builders). Used by the
packaging tests (tests/integration) and the system tests (tests/system).
Stdlib only."""

import os
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERSION = "0.1.0"


def copy_tree(dest):
    """The working tree without .git and build directories."""
    shutil.copytree(REPO, dest, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "build", "build-*", "__pycache__"))


def build_deb(top, timeout=900):
    """Builds in `top`/promvip and returns the path of the .deb in `top`.
    The build log is `top`/build.log; AssertionError with its tail if the
    build (or a unit test in it) fails."""
    top = str(top)
    src = os.path.join(top, "promvip")
    copy_tree(src)
    os.symlink("packaging/debian", os.path.join(src, "debian"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEB_")}
    env["DEB_BUILD_OPTIONS"] = "parallel=2"
    log = os.path.join(top, "build.log")
    with open(log, "w") as out:
        r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                           timeout=timeout)
    if r.returncode != 0:
        with open(log) as f:
            raise AssertionError(f"dpkg-buildpackage failed ({r.returncode}):\n{f.read()[-6000:]}")
    for name in sorted(os.listdir(top)):
        if name.startswith(f"promvip_{VERSION}_") and name.endswith(".deb"):
            return os.path.join(top, name)
    raise AssertionError(f"dpkg-buildpackage made no promvip_{VERSION}_*.deb in {top}")
