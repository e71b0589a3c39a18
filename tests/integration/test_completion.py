"""Shell completion (issue 18): `promvipctl list` on configuration files,
and packaging/bash-completion/promvipctl run by a real bash, once with
bash-completion's helpers loaded and once without them. The completion
function is called as bash calls it (COMP_WORDS, COMP_CWORD, COMP_LINE,
COMP_POINT set; $1 the command, $2 the word, $3 the one before) and
COMPREPLY is checked. PATH starts with the directory of the promvipctl
under test ($PROMVIPCTL), so the names come from the built binary.
Nothing runs as a daemon: no namespaces needed."""

import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLETION = os.path.join(REPO, "packaging", "bash-completion", "promvipctl")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

CONFIG = """
probes = (
  { name = "ready"; type = "http"; url = "http://127.0.0.1:9090/-/ready"; weight = -60; },
  { name = "drain"; type = "file"; path = "/var/lib/promvip/drain"; weight = -100; },
  { name = "maint"; type = "file"; path = "/var/lib/promvip/maint"; weight = -100; }
);
instances = (
  { name = "prom4"; interface = "eth0"; vrid = 51; virtual_addresses = ( "192.0.2.100/24" );
    track = ( "ready", "drain" ); },
  { name = "prom6"; interface = "eth0"; vrid = 52; virtual_addresses = ( "2001:db8::100/64" ); },
  { name = "alertmanager"; interface = "eth1"; vrid = 53; virtual_addresses = ( "192.0.2.101/24" );
    track = ( "maint" ); }
);
sync_groups = ( { name = "prom"; instances = ( "prom4", "prom6" ); } );
"""
INSTANCES = ["prom4", "prom6", "alertmanager"]
PROBES = ["ready", "drain", "maint"]
FILE_PROBES = ["drain", "maint"]
SUBCOMMANDS = ["status", "events", "release", "drain", "undrain", "check-pair",
               "import-keepalived", "list"]

# Calls _promvipctl as bash does for the words given as arguments, the
# last one being completed; prints COMPREPLY one a line between markers.
SCRIPT = r"""
if [ "$WITH_BC" = 1 ]; then
    . "$BASH_COMPLETION" || exit 90
    declare -F _init_completion >/dev/null || exit 91
fi
. "$COMPLETION" || exit 92
complete -p promvipctl >/dev/null || exit 93
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE=$LINE
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
prev=
[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
_promvipctl promvipctl "${COMP_WORDS[COMP_CWORD]}" "$prev"
echo "<<<"
[ ${#COMPREPLY[@]} -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}"
echo ">>>"
"""


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 30)
    return subprocess.run(cmd, **kw)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("conf") / "promvip.conf"
    path.write_text(CONFIG)
    return str(path)


@pytest.fixture(scope="module")
def shell_env(ctl):
    if shutil.which("bash") is None:
        pytest.fail("bash is needed for the completion tests", pytrace=False)
    if not os.path.isfile(BASH_COMPLETION):
        pytest.fail(f"{BASH_COMPLETION} is missing: install the Debian package bash-completion "
                    "(scripts/lib/packages.sh)", pytrace=False)
    return dict(os.environ, PATH=os.path.dirname(os.path.abspath(ctl)) + os.pathsep + os.environ["PATH"],
                COMPLETION=COMPLETION, BASH_COMPLETION=BASH_COMPLETION)


def complete(env, with_bc, *words):
    """COMPREPLY for the command line `words` (bash's split: '--config=X'
    is '--config', '=', 'X', written without spaces in COMP_LINE), sorted."""
    line = words[0]
    for before, w in zip(words, words[1:]):
        line += ("" if "=" in (before, w) else " ") + w
    r = run(["bash", "--norc", "--noprofile", "-c", SCRIPT, "bash", *words],
            env=dict(env, WITH_BC="1" if with_bc else "0", LINE=line))
    assert r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    m = re.search(r"^<<<\n(.*?)^>>>$", r.stdout, re.M | re.S)
    assert m, r.stdout + r.stderr
    return sorted(m.group(1).splitlines())


@pytest.fixture(params=[True, False], ids=["bash-completion", "plain-bash"])
def comp(request, shell_env):
    return lambda *words: complete(shell_env, request.param, "promvipctl", *words)


def test_subcommands(comp):
    assert comp("") == sorted(SUBCOMMANDS)
    assert comp("st") == ["status"]
    assert comp("im") == ["import-keepalived"]
    assert comp("-f", "/x.conf", "") == sorted(SUBCOMMANDS)


def test_global_options(comp):
    assert comp("-") == sorted(["-f", "--config", "-a", "--address", "-s", "--socket",
                                "--version", "--help"])
    assert comp("--c") == ["--config"]
    assert comp("-a", "") == []          # HOST:PORT: nothing to offer


def test_subcommand_options(comp):
    assert comp("status", "") == ["--interval", "--json", "--watch"]
    assert comp("status", "--w") == ["--watch"]
    assert comp("status", "--interval", "") == []
    assert comp("events", "-") == ["--json"]
    assert comp("drain", "-") == ["--probe"]
    assert comp("undrain", "--p") == ["--probe"]
    assert comp("check-pair", "-") == ["--help", "--strict", "--target"]
    assert comp("import-keepalived", "-") == ["--config-id"]
    assert comp("list", "") == ["file-probes", "instances", "probes", "sync-groups"]
    assert comp("list", "s") == ["sync-groups"]
    assert comp("list", "probes", "") == []
    assert comp("list", "file-probes", "-") == []


def test_instance_names(comp, config):
    for sub in ["release", "drain", "undrain", "events"]:
        assert comp("-f", config, sub, "") == sorted(INSTANCES), sub
    assert comp("--config", config, "release", "prom") == ["prom4", "prom6"]
    assert comp("--config", "=", config, "drain", "a") == ["alertmanager"]
    assert comp("-f", config, "events", "--json", "") == sorted(INSTANCES)
    # Options after the command, as getopt takes them.
    assert comp("drain", "-f", config, "") == sorted(INSTANCES)
    # One instance only.
    assert comp("-f", config, "release", "prom4", "") == []
    assert comp("-f", config, "drain", "--probe", "drain", "") == sorted(INSTANCES)


def test_probe_names(comp, config):
    """--probe offers what drain takes: file probes, only the instance's
    once it is on the line."""
    assert comp("-f", config, "drain", "--probe", "") == FILE_PROBES
    assert comp("-f", config, "undrain", "-p", "d") == ["drain"]
    assert comp("-f", config, "drain", "--probe", "=", "m") == ["maint"]
    assert comp("-f", config, "drain", "--probe", "=", "r") == []
    assert comp("-f", config, "drain", "prom4", "--probe", "") == ["drain"]
    assert comp("-f", config, "undrain", "alertmanager", "-p", "") == ["maint"]
    assert comp("-f", config, "drain", "prom6", "--probe", "") == []
    assert comp("-f", config, "drain", "nosuch", "--probe", "") == []
    assert comp("-f", config, "list", "file-probes", "") == sorted(INSTANCES)
    assert comp("-f", config, "list", "file-probes", "prom4", "") == []


def test_no_names_without_config(comp, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("instances = ( { name = \"x\"; } );\n")
    assert comp("-f", str(tmp_path / "missing.conf"), "release", "") == []
    assert comp("-f", str(bad), "drain", "") == []
    assert comp("-f", str(bad), "drain", "--probe", "") == []


def test_files(comp, tmp_path):
    for name in ["a.conf", "b.conf", "other"]:
        (tmp_path / name).write_text("")
    base = str(tmp_path)
    assert comp("-f", base + "/a") == [base + "/a.conf"]
    assert comp("--config", base + "/") == [base + "/a.conf", base + "/b.conf", base + "/other"]
    assert comp("--config", "=", base + "/b") == [base + "/b.conf"]
    assert comp("-s", base + "/o") == [base + "/other"]
    assert comp("check-pair", base + "/a") == [base + "/a.conf"]
    assert comp("check-pair", "--strict", base + "/a.conf", base + "/b") == [base + "/b.conf"]
    assert comp("check-pair", "--target", "") == []
    assert comp("import-keepalived", base + "/o") == [base + "/other"]


def test_loaded_on_demand(shell_env, tmp_path, config):
    """Installed under the name promvipctl, bash-completion's loader finds
    it (as in /usr/share/bash-completion/completions)."""
    d = tmp_path / "bash-completion" / "completions"
    d.mkdir(parents=True)
    shutil.copy(COMPLETION, d / "promvipctl")
    script = ('. "$BASH_COMPLETION"; __load_completion promvipctl || exit 1; complete -p promvipctl; '
              'COMP_WORDS=(promvipctl -f "$CONF" release ""); COMP_CWORD=4; COMP_LINE="${COMP_WORDS[*]}"; '
              'COMP_POINT=${#COMP_LINE}; _promvipctl promvipctl "" release; printf "%s\\n" "${COMPREPLY[@]}"')
    r = run(["bash", "--norc", "--noprofile", "-c", script],
            env=dict(shell_env, XDG_DATA_HOME=str(tmp_path), CONF=config))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "complete -F _promvipctl promvipctl" in r.stdout, r.stdout
    assert sorted(r.stdout.splitlines()[1:]) == sorted(INSTANCES), r.stdout


# --- promvipctl list ----------------------------------------------------------

def test_list_names(ctl, config):
    for kind, names in [("instances", INSTANCES), ("probes", PROBES), ("sync-groups", ["prom"]),
                        ("file-probes", FILE_PROBES)]:
        r = run([ctl, "-f", config, "list", kind])
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert r.stdout == "".join(n + "\n" for n in names)
        r = run([ctl, "list", "--config", config, kind])
        assert r.returncode == 0 and r.stdout == "".join(n + "\n" for n in names), r.stderr


def test_list_file_probes_of_an_instance(ctl, config):
    for instance, names in [("prom4", ["drain"]), ("alertmanager", ["maint"]), ("prom6", [])]:
        r = run([ctl, "-f", config, "list", "file-probes", instance])
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert r.stdout == "".join(n + "\n" for n in names), (instance, r.stdout)
    r = run([ctl, "-f", config, "list", "file-probes", "nosuch"])
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert r.stderr == f"promvipctl: no instance 'nosuch' in {config}\n", r.stderr


def test_list_empty_kinds(ctl, tmp_path):
    path = tmp_path / "one.conf"
    path.write_text('instances = ( { name = "a"; interface = "eth0"; vrid = 1; '
                    'virtual_addresses = ( "192.0.2.1" ); } );\n')
    for kind in ["probes", "sync-groups"]:
        r = run([ctl, "-f", str(path), "list", kind])
        assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def test_list_bad_config(ctl, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text('# line 1\ninstances = (\n  { name = "a"; vrid = 999; } );\n')
    r = run([ctl, "-f", str(bad), "list", "instances"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == ""
    assert f"{bad}:3: instance 'a': 'interface' is required" in r.stderr, r.stderr
    assert f"{bad}:3: instance 'a': 'vrid' must be between 1 and 255 (got 999)" in r.stderr, r.stderr
    syntax = tmp_path / "syntax.conf"
    syntax.write_text("instances = (\n  { name = ; } );\n")
    r = run([ctl, "-f", str(syntax), "list", "instances"])
    assert r.returncode == 1 and re.search(rf"^  {re.escape(str(syntax))}:2: ", r.stderr, re.M), r.stderr
    missing = tmp_path / "missing.conf"
    r = run([ctl, "-f", str(missing), "list", "probes"])
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert f"{missing}: cannot open" in r.stderr, r.stderr


def test_list_usage(ctl, config):
    for args in [["list"], ["list", "instance"], ["list", "instances", "extra"], ["list", "probes", "prom4"],
                 ["list", "file-probes", "prom4", "extra"],
                 ["-a", "127.0.0.1:9662", "list", "instances"], ["--json", "list", "probes"],
                 ["--probe", "x", "list", "probes"], ["-s", "/run/x.sock", "list", "instances"]]:
        r = run([ctl, "-f", config, *args])
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout, r.stderr)
        assert r.stderr.startswith("promvipctl: "), (args, r.stderr)
    r = run([ctl, "--help"])
    assert r.returncode == 0
    assert "promvipctl [-f CONFIG] list instances|probes|sync-groups" in r.stdout
    assert "promvipctl [-f CONFIG] list file-probes [INSTANCE]" in r.stdout
