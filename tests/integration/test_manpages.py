"""The manual pages (packaging/man, issue 18): promvip.conf(5) documents
exactly the keys the loader accepts, each in the section of its group;
promvipctl(8) and promvipd(8) document every subcommand and option their
--help lists; and each page, as meson builds it with scdoc, renders
without a warning from man, groff and mandoc, with a NAME line that
lexgrog (mandb's whatis parser) reads.

The pages come from the meson build directory of the binary under test
($PROMVIPD is BUILD/agent/promvipd: BUILD/packaging/man/), when they are
there and newer than their sources; otherwise scdoc builds them here."""

import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conf_keys import REPO, loader_key_lists, loader_keys  # noqa: E402

MAN_SRC = os.path.join(REPO, "packaging", "man")
PAGES = {"promvipd.8": "promvipd", "promvipctl.8": "promvipctl", "promvip.conf.5": "promvip.conf"}


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, **kw)


def need(tool, package):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install the Debian package {package} "
                    f"(scripts/lib/packages.sh lists it)", pytrace=False)


def man_env():
    env = {k: v for k, v in os.environ.items() if k != "MAN_KEEP_FORMATTING"}
    env.update(MANWIDTH="80", LC_ALL="C.UTF-8")
    return env


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """{"promvipd.8": path, ...}: the built pages."""
    daemon = os.environ.get("PROMVIPD", os.path.join(REPO, "build", "agent", "promvipd"))
    built = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(daemon))),
                         "packaging", "man")
    found = {}
    for page in PAGES:
        path, src = os.path.join(built, page), os.path.join(MAN_SRC, page + ".scd")
        if os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(src):
            found[page] = path
    if len(found) == len(PAGES):
        return found
    need("scdoc", "scdoc")
    out = tmp_path_factory.mktemp("man")
    for page in PAGES:
        with open(os.path.join(MAN_SRC, page + ".scd")) as src:
            r = subprocess.run(["scdoc"], stdin=src, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"scdoc {page}.scd: {r.stderr}"
        (out / page).write_text(r.stdout)
        found[page] = str(out / page)
    return found


def sections(page):
    """The scdoc source split at its headings: {"GLOBAL": text, ...}
    ("#" and "##" headings alike)."""
    with open(os.path.join(MAN_SRC, page + ".scd")) as f:
        text = f.read()
    parts = re.split(r"^##? (.+)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def entries(text):
    """The terms of scdoc definition items: a line starting with `*term*`
    (several as `*a*, *b*`) whose next line is indented with a tab (the
    definition). Prose lines that happen to start with a bold word are not
    followed by an indented line."""
    terms = set()
    for head in re.findall(r"^((?:\*[^*\s]+\*(?:, )?)+)(?: [^\n]*)?\n\t", text, re.M):
        terms.update(re.findall(r"\*([^*]+)\*", head))
    return terms


# --- promvip.conf(5) ---------------------------------------------------------

def conf_page_sections():
    """The keys each section of promvip.conf(5) documents, and the keys
    its loader accepts there."""
    lists = loader_key_lists()
    expected = {
        "DESCRIPTION": lists["top"],
        "GLOBAL": lists["global"],
        "PROBES": lists["COMMON"],
        "http and promql probes": lists["HTTP"],
        "promql probes": lists["promql"] - lists["http"],
        "exec probes": lists["exec"] - lists["COMMON"],
        "file probes": lists["file"] - lists["COMMON"],
        "INSTANCES": lists["instance"],
        "TRACK ELEMENTS": lists["track"] | lists["track_interface"],
        "AUTH": lists["auth"],
        "NOTIFY": lists["notify"],
        "SYNC GROUPS": lists["sync_group"],
    }
    documented = {name: entries(text) for name, text in sections("promvip.conf.5").items()}
    return documented, expected


def test_conf_page_documents_every_key():
    documented, _ = conf_page_sections()
    keys = set().union(*documented.values())
    loader = loader_keys()
    assert {"priority", "virtual_addresses", "bearer_token_file", "timeout", "listen"} <= loader
    missing = loader - keys
    assert not missing, f"keys the loader accepts but promvip.conf(5) does not document: {sorted(missing)}"


def test_conf_page_documents_no_unknown_key():
    documented, _ = conf_page_sections()
    extra = set().union(*documented.values()) - loader_keys()
    assert not extra, f"keys in promvip.conf(5) that the loader rejects: {sorted(extra)}"


def test_conf_page_documents_each_key_in_its_group():
    documented, expected = conf_page_sections()
    for name in set(documented) | set(expected):
        got, want = documented.get(name, set()), expected.get(name, set())
        assert got == want, (f"section {name!r} of promvip.conf(5): missing {sorted(want - got)}, "
                             f"not accepted there {sorted(got - want)}")


# --- promvipctl(8), promvipd(8) ----------------------------------------------

def help_text(binary):
    r = run([binary, "--help"])
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def ctl_subcommands(text):
    """The subcommands the "Commands:" part of `promvipctl --help` lists."""
    block = text[text.index("Commands:"):]
    block = block[:block.index("\n\n")]
    subs = set()
    for first in re.findall(r"^  ([a-z][a-z|-]*)", block, re.M):
        subs.update(first.split("|"))
    return subs


def long_options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text))


def test_promvipctl_page_names_every_subcommand(ctl):
    subs = ctl_subcommands(help_text(ctl))
    assert {"status", "release", "drain", "undrain", "check-pair", "import-keepalived"} <= subs
    page = sections("promvipctl.8")
    documented = entries(page["COMMANDS"])
    missing = subs - documented
    assert not missing, f"subcommands of promvipctl --help without an entry in COMMANDS: {sorted(missing)}"
    for sub in subs:
        assert re.search(rf"\*{re.escape(sub)}\*", page["SYNOPSIS"]), f"{sub} not in the SYNOPSIS"


def test_promvipctl_page_names_every_option(ctl):
    text = help_text(ctl)
    r = run([ctl, "check-pair", "--help"])
    assert r.returncode == 0, r.stdout + r.stderr
    options = long_options(text + r.stdout)
    assert {"--config", "--address", "--socket", "--json", "--probe", "--target"} <= options
    documented = entries(sections("promvipctl.8")["OPTIONS"])
    missing = options - documented
    assert not missing, f"options of promvipctl --help not in OPTIONS: {sorted(missing)}"


def test_promvipd_page_names_every_option(promvipd):
    options = long_options(help_text(promvipd))
    assert {"--config", "--config-test", "--log-level", "--version", "--help"} <= options
    documented = {t for t in entries(sections("promvipd.8")["OPTIONS"]) if t.startswith("--")}
    assert documented == options, (f"promvipd(8) lacks {sorted(options - documented)}, "
                                   f"documents unknown {sorted(documented - options)}")


def test_promvipd_page_names_signals_and_exit_codes():
    page = sections("promvipd.8")
    assert {"SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT"} <= entries(page["SIGNALS"])
    assert {"0", "1", "2"} == entries(page["EXIT STATUS"])


# --- rendering -----------------------------------------------------------------

@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_renders_without_warnings(pages, page):
    need("man", "man-db")
    need("groff", "groff-base")
    need("mandoc", "mandoc")
    path = pages[page]
    r = run(["man", "--warnings", "-l", path], env=man_env())
    assert r.returncode == 0 and r.stderr == "", f"man -l {path}:\n{r.stderr}"
    text = r.stdout
    assert "NAME" in text and "SEE ALSO" in text, text[:2000]
    assert max(len(line) for line in text.splitlines()) <= 80, "wider than MANWIDTH=80"
    r = run(["groff", "-ww", "-z", "-man", path], env=man_env())
    assert r.returncode == 0 and r.stderr == "", f"groff -ww {path}:\n{r.stderr}"
    # Errors only: at -W warning mandoc's style lint flags the paragraph
    # macros scdoc writes after every heading ("skipping paragraph macro").
    r = run(["mandoc", "-T", "lint", "-W", "error", path], env=man_env())
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", f"mandoc -T lint {path}:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_has_whatis_entry(pages, page):
    need("lexgrog", "man-db")
    r = run(["lexgrog", pages[page]], env=man_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(rf'"{re.escape(PAGES[page])} - \S', r.stdout), r.stdout


def test_built_by_meson():
    """packaging/man/meson.build builds and installs every page."""
    with open(os.path.join(MAN_SRC, "meson.build")) as f:
        build = f.read()
    for page in PAGES:
        assert f"'{page}'" in build, page
    assert sorted(n[:-4] for n in os.listdir(MAN_SRC) if n.endswith(".scd")) == sorted(PAGES)
