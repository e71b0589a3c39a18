"""The README's configuration reference names exactly the keys the loader
accepts: every key in the loader's known-key lists (agent/conf/conf-*.c) is
documented in a reference table, and every documented key is accepted."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from conf_keys import REPO, loader_keys  # noqa: E402


def readme_keys():
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    ref = text[text.index("## Configuration reference"):]
    ref = ref[:ref.index("\n## ", 5)]
    keys = set()
    keys.update(re.findall(r"^### `([a-z_]+)`", ref, re.M))
    for row in re.findall(r"^\| (`[^|]+`) \|", ref, re.M):
        keys.update(re.findall(r"`([a-z_0-9]+)`", row))
    return keys


def test_readme_documents_every_key():
    loader = loader_keys()
    assert {"priority", "virtual_addresses", "bearer_token_file", "timeout", "listen"} <= loader
    missing = loader - readme_keys()
    assert not missing, f"keys the loader accepts but the README does not document: {sorted(missing)}"


def test_readme_documents_no_unknown_key():
    extra = readme_keys() - loader_keys()
    assert not extra, f"keys in the README that the loader rejects: {sorted(extra)}"


def test_readme_documents_every_metric():
    """The README's metric table names exactly the families metrics.c renders."""
    with open(os.path.join(REPO, "agent", "endpoint", "metrics.c")) as f:
        rendered = set(re.findall(r'"(promvip_[a-z_]+)"', f.read()))
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    table = text[text.index("## Metrics, status and promvipctl"):text.index("### Alert rules")]
    documented = set(re.findall(r"^\| `(promvip_[a-z_]+)` \|", table, re.M))
    assert len(rendered) >= 20
    assert rendered == documented, (sorted(rendered - documented), sorted(documented - rendered))
