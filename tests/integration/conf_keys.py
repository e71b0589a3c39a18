"""The configuration keys the loader accepts, read from its known-key lists
(agent/conf/conf-*.c): used by the tests that check the README's
configuration reference (test_readme.py) and promvip.conf(5)
(test_manpages.py) against the loader."""

import os
import re

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCES = ("conf.c", "conf-probe.c", "conf-instance.c", "conf-sync.c", "conf-track.c")


def loader_keys():
    keys = set()
    for name in SOURCES:
        with open(os.path.join(REPO, "agent", "conf", name)) as f:
            src = f.read()
        # The known-key arrays (`..._keys[] = { ... };`) and the macros they use.
        blocks = re.findall(r"_keys\[\] = \{(.*?)\};", src, re.S)
        blocks += re.findall(r"#define \w+_KEYS((?:.*\\\n)*.*)", src)
        for block in blocks:
            keys.update(re.findall(r'"([a-z_0-9]+)"', block))
    return keys


def loader_key_lists():
    """{"global": {...}, "instance": {...}, "http": {...}, ...}: each known-key
    array (`NAME_keys[]`) with the `*_KEYS` macros it uses expanded, plus
    the macros themselves as "COMMON", "HTTP"."""
    lists = {}
    for name in SOURCES:
        with open(os.path.join(REPO, "agent", "conf", name)) as f:
            src = f.read()
        macros = {m: set(re.findall(r'"([a-z_0-9]+)"', body))
                  for m, body in re.findall(r"#define (\w+)_KEYS((?:.*\\\n)*.*)", src)}
        lists.update(macros)
        for array, body in re.findall(r"(\w+)_keys\[\] = \{(.*?)\};", src, re.S):
            keys = set(re.findall(r'"([a-z_0-9]+)"', body))
            for m in re.findall(r"\b(\w+)_KEYS\b", body):
                keys |= macros[m]
            lists[array] = keys
    return lists
