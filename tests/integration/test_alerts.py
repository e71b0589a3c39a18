"""The alert rules in conf/alerts: promtool accepts them and their unit tests
(tests/alerts/promvip.rules.test.yml) pass. No lab, no root needed.

promtool comes with Debian's `prometheus` package (scripts/test installs it).
"""

import os
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(REPO, "conf", "alerts", "promvip.rules.yml")
RULE_TESTS = os.path.join(REPO, "tests", "alerts", "promvip.rules.test.yml")


@pytest.fixture
def promtool():
    path = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not path:
        pytest.fail("promtool not found: apt-get install prometheus (or set $PROMTOOL)")
    return path


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    assert p.returncode == 0, f"{' '.join(cmd)} exited with {p.returncode}:\n{p.stdout}"
    return p.stdout


def test_promtool_check_rules(promtool):
    out = run([promtool, "check", "rules", RULES], REPO)
    assert "SUCCESS" in out, out


def test_promtool_test_rules(promtool):
    # Paths in the test file (rule_files) are relative to it.
    out = run([promtool, "test", "rules", os.path.basename(RULE_TESTS)], os.path.dirname(RULE_TESTS))
    assert "SUCCESS" in out, out
