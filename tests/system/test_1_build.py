"""The .deb builds as Debian builds it: dpkg-buildpackage -us -uc -b with
its unit tests on, run by debian/rules under make, which starts its
children with signals 32 and 33 ignored (the hooks' tests must still see
every signal at its default)."""

import os
import re


def test_deb_builds_with_its_unit_tests(system):
    with open(os.path.join(os.path.dirname(system.deb), "build.log")) as f:
        log = f.read()
    assert "nocheck" not in os.environ.get("DEB_BUILD_OPTIONS", "")
    assert "dh_auto_test" in log and "meson test --suite unit" in log, log[-3000:]
    ran = set(re.findall(r"^\s*\d+/\d+ \S+ / (test-[\w-]+)\s+OK", log, re.M))
    assert {"test-child", "test-child-sandbox", "test-hooks", "test-probe-exec"} <= ran, log[-3000:]
    m = re.search(r"^Fail:\s+(\d+)", log, re.M)
    assert m and m.group(1) == "0", log[-3000:]
