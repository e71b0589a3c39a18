"""promvipctl import-keepalived over every sample of Debian's keepalived
package: each converts to a configuration that `promvipd --config-test`
accepts, or exits 1 with a report that says precisely (FILE:LINE) what was
left out; never a crash. Compressed samples are gunzipped first.

Run as a script, `python3 test_import_keepalived.py --summary OUT.md` writes
what each sample converted to (for the release note).
"""

import glob
import gzip
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from vrrp import promvipctl_path  # noqa: E402

SAMPLES = "/usr/share/doc/keepalived/samples"
REPORT_LINE = re.compile(r"^(?P<file>[^:]+)(:(?P<line>\d+))?: (?P<kind>changed|not carried over): (?P<text>.+)$")
MISSING_SCRIPT = re.compile(r"'[a-z]+': (/\S+): No such file or directory \(scripts must")


def sample_paths():
    if not os.path.isdir(SAMPLES):
        return []
    return sorted(glob.glob(os.path.join(SAMPLES, "keepalived.conf*")))


def materialise(path, tmpdir):
    """The sample as a plain file: gunzipped into tmpdir when compressed."""
    if not path.endswith(".gz"):
        return path
    out = os.path.join(tmpdir, os.path.basename(path)[:-3])
    with gzip.open(path, "rb") as src, open(out, "wb") as dst:
        dst.write(src.read())
    return out


def convert(ctl, path, cwd):
    """Runs the importer in cwd on path (a name relative to cwd keeps the
    report short). Returns (exit code, config text, report lines, summary)."""
    res = subprocess.run([ctl, "import-keepalived", path], cwd=cwd, capture_output=True, text=True, timeout=30)
    lines = res.stderr.splitlines()
    summary = [l for l in lines if l.startswith("promvipctl: imported ")]
    report = [l for l in lines if not l.startswith("promvipctl: imported ")]
    return res.returncode, res.stdout, report, summary


def config_test(promvipd, conf_path):
    res = subprocess.run([promvipd, "--config-test", "-f", conf_path], capture_output=True, text=True, timeout=30)
    errors = [l for l in res.stderr.splitlines() if "configuration test failed" not in l]
    return res.returncode, res.stdout, errors


def check_sample(ctl, promvipd, sample, tmp_path):
    plain = materialise(sample, str(tmp_path))
    rc, conf, report, summary = convert(ctl, os.path.basename(plain), os.path.dirname(plain))
    name = os.path.basename(plain)
    assert rc in (0, 1), f"{name}: exit {rc} (a crash or unreadable), stderr:\n" + "\n".join(report)
    assert len(summary) == 1, f"{name}: no summary line on stderr"
    for line in report:
        m = REPORT_LINE.match(line)
        assert m, f"{name}: report line not FILE:LINE: KIND: TEXT: {line!r}"
        assert m.group("file") == name, f"{name}: report names another file: {line!r}"
    lost = [l for l in report if ": not carried over: " in l]
    if rc == 0:
        assert not lost, f"{name}: exit 0 but something was not carried over:\n" + "\n".join(lost)
    else:
        assert lost, f"{name}: exit 1 without saying what was left out"
    out = tmp_path / (name + ".promvip.conf")
    out.write_text(conf)
    trc, tout, errors = config_test(promvipd, str(out))
    if trc == 0:
        return rc, conf, report, tout.strip()
    bad = []
    for e in errors:
        m = MISSING_SCRIPT.search(e)
        if "no 'instances' defined" in e and any("no vrrp_instance carried over" in l for l in report):
            continue  # reported: nothing of VRRP in this sample
        if m and not os.path.exists(m.group(1)):
            continue  # the sample's own script, not installed on this host
        bad.append(e)
    assert not bad, f"{name}: the converted configuration fails --config-test:\n" + "\n".join(bad) + \
        "\n--- converted:\n" + conf
    return rc, conf, report, "; ".join(errors)


def test_samples_directory():
    assert os.path.isdir(SAMPLES), (f"{SAMPLES} is missing: install Debian's keepalived package "
                                    "(scripts/lib/packages.sh lists it)")
    assert sample_paths(), f"no keepalived.conf* samples in {SAMPLES}"


@pytest.mark.parametrize("sample", sample_paths(), ids=os.path.basename)
def test_sample(ctl, promvipd, sample, tmp_path):
    check_sample(ctl, promvipd, sample, tmp_path)


def test_unreadable(ctl, tmp_path):
    res = subprocess.run([ctl, "import-keepalived", str(tmp_path / "absent.conf")], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 2, res.stderr
    assert "cannot read" in res.stderr and res.stdout == ""


def test_include_glob(ctl, promvipd, tmp_path):
    """include with a glob, relative to the including file's directory; a
    curl script becomes an http probe; the result loads."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "keepalived.conf").write_text(
        "global_defs { router_id prom-a }\n"
        "include conf.d/*.conf   # relative to this file\n")
    (tmp_path / "conf.d" / "10-script.conf").write_text(
        "vrrp_script chk_prom {\n"
        "    script \"/usr/bin/curl -sf --max-time 2 http://127.0.0.1:9090/-/ready\"\n"
        "    interval 5\n    fall 3\n    rise 2\n    weight -60\n}\n")
    (tmp_path / "conf.d" / "20-instance.conf").write_text(
        "vrrp_instance prom {\n    interface eth0\n    virtual_router_id 51\n    priority 150\n"
        "    advert_int 1\n    include sub/vips.{conf,inc}   # relative to conf.d/, braces\n"
        "    track_script {\n        chk_prom\n    }\n}\ninclude none/*.conf\n")
    (tmp_path / "conf.d" / "sub").mkdir()
    (tmp_path / "conf.d" / "sub" / "vips.inc").write_text("virtual_ipaddress {\n    192.0.2.100/24\n}\n")
    (tmp_path / "conf.d" / "30-executable.conf").write_text("bogus_keyword\n")
    os.chmod(tmp_path / "conf.d" / "30-executable.conf", 0o755)
    res = subprocess.run([ctl, "import-keepalived", str(tmp_path / "keepalived.conf")], capture_output=True,
                         text=True, timeout=30, cwd="/")
    assert res.returncode == 0, res.stderr
    assert 'type = "http"; url = "http://127.0.0.1:9090/-/ready";' in res.stdout
    assert "timeout = 2;" in res.stdout and "interval = 5;" in res.stdout
    assert str(tmp_path / "conf.d" / "10-script.conf") + ":2: changed: " in res.stderr
    assert 'virtual_addresses = ( "192.0.2.100/24" );' in res.stdout
    assert "30-executable.conf is not a regular non-executable file (skipped" in res.stderr
    assert str(tmp_path / "conf.d" / "20-instance.conf") + ":11: changed: include " in res.stderr
    assert "matches no file" in res.stderr and "bogus_keyword" not in res.stderr
    (tmp_path / "out.conf").write_text(res.stdout)
    trc, tout, errors = config_test(promvipd, str(tmp_path / "out.conf"))
    assert trc == 0, "\n".join(errors) + "\n" + res.stdout


def test_config_id(ctl, tmp_path):
    """--config-id picks the `@ID` lines as keepalived's -i does, so a host's
    configuration can be imported on another machine; a `@^ID` line is kept
    for every other id."""
    conf = tmp_path / "keepalived.conf"
    conf.write_text("vrrp_instance prom {\n    interface eth0\n    virtual_router_id 51\n"
                    "@prom-a    priority 150\n@prom-b    priority 100\n@^prom-a  advert_int 2\n"
                    "    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n")
    for cid, priority, interval in (("prom-a", 150, None), ("prom-b", 100, 2)):
        res = subprocess.run([ctl, "import-keepalived", "--config-id", cid, str(conf)], capture_output=True,
                             text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        assert f"priority = {priority};" in res.stdout, res.stdout
        assert ("advert_interval = 2;" in res.stdout) == (interval == 2), res.stdout
        assert f"does not apply to config id '{cid}'" in res.stderr, res.stderr
    res = subprocess.run([ctl, "--config-id", "x", "status"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "--config-id goes with import-keepalived" in res.stderr


def test_readme_example(ctl, tmp_path):
    """The README's example converts to exactly the text it shows, with the
    report it shows."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    section = text[text.index("### Importing a keepalived.conf"):text.index("### keepalived options and their")]
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", section, re.S | re.M)
    report = next(b for b in blocks if b.startswith("keepalived.conf:4:"))
    source = next(b for b in blocks if b.startswith("global_defs {"))
    expected = next(b for b in blocks if b.startswith("# Converted from keepalived"))
    (tmp_path / "keepalived.conf").write_text(source)
    res = subprocess.run([ctl, "import-keepalived", "keepalived.conf"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout == expected
    assert res.stderr == report


def summary(out_path, ctl, promvipd):
    """The Markdown list of what each sample converted to."""
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample in sample_paths():
            plain = materialise(sample, tmp)
            name = os.path.basename(plain)
            rc, conf, report, _ = convert(ctl, name, os.path.dirname(plain))
            conf_path = os.path.join(tmp, name + ".promvip.conf")
            with open(conf_path, "w") as f:
                f.write(conf)
            trc, tout, errors = config_test(promvipd, conf_path)
            probes = len(re.findall(r"^    \{ name = ", conf, re.M))
            inst_part = conf.split("instances = (\n", 1)[1].split("\n);", 1)[0] if "instances = (\n" in conf else ""
            instances = re.findall(r'^  \{ name = "([^"]+)"', inst_part, re.M)
            groups = conf.count("instances = ( ")
            lost = [l.split(": not carried over: ", 1)[1] for l in report if ": not carried over: " in l]
            changed = [l.split(": changed: ", 1)[1] for l in report if ": changed: " in l]
            tout = tout.replace(tmp + "/", "")
            errors = [e.replace(tmp + "/", "") for e in errors]
            rows.append((name, rc, probes, instances, groups, lost, changed, trc, tout.strip(), errors))
    with open(out_path, "w") as f:
        f.write("# promvipctl import-keepalived over Debian's keepalived samples\n\n")
        f.write(f"Generated by `tests/integration/test_import_keepalived.py --summary` from {SAMPLES}\n"
                f"with {ctl} and {promvipd}.\n\n")
        f.write("| sample | exit | probes | instances | sync groups | changed | not carried over | --config-test |\n"
                "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        for name, rc, probes, instances, groups, lost, changed, trc, tout, errors in rows:
            verdict = "OK" if trc == 0 else (
                "its own scripts are not installed here" if all(MISSING_SCRIPT.search(e) for e in errors) else
                "no instance (reported)" if any("no 'instances' defined" in e for e in errors) else
                "fails: " + "; ".join(errors))
            f.write(f"| {name} | {rc} | {probes} | {len(instances)} | {groups} | {len(changed)} | {len(lost)} "
                    f"| {verdict} |\n")
        f.write("\n")
        for name, rc, probes, instances, groups, lost, changed, trc, tout, errors in rows:
            f.write(f"## {name}\n\n- exit {rc}; {probes} probe(s), {len(instances)} instance(s)"
                    f"{' (' + ', '.join(instances) + ')' if instances else ''}, {groups} sync group(s)\n")
            f.write(f"- `promvipd --config-test`: " + (f"OK ({tout})" if trc == 0 else "fails: " + "; ".join(errors))
                    + "\n")
            if changed:
                f.write(f"- changed ({len(changed)}): " + "; ".join(sorted(set(changed))) + "\n")
            if lost:
                f.write(f"- not carried over ({len(lost)}): " + "; ".join(sorted(set(lost))) + "\n")
            f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--summary":
        sys.exit("usage: test_import_keepalived.py --summary OUT.md")
    here = os.path.dirname(os.path.abspath(__file__))
    daemon = os.environ.get("PROMVIPD") or os.path.join(here, "..", "..", "build", "agent", "promvipd")
    summary(sys.argv[2], promvipctl_path(daemon), daemon)
