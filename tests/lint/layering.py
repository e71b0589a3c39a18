#!/usr/bin/env python3
"""Checks that agent/'s folders include only from the folders below them,
and that the pure code (vrrp/, and the files in PURE) makes no system calls,
reads no clock and does not log.

Usage: layering.py AGENT_DIR [--graph]
Prints TAP; with --graph, prints which folder includes which instead.
"""
import os
import re
import sys

# folder -> the folders it may include from (besides itself)
ALLOWED = {
    "shared": set(),
    "vrrp": {"shared"},
    "child": {"shared"},
    "conf": {"shared"},
    "probe": {"shared", "conf", "child"},
    "endpoint": {"shared", "vrrp", "probe"},
    "daemon": {"shared", "vrrp", "child", "conf", "probe", "endpoint"},
    "ctl": {"shared", "conf", "probe"},
}
# The pure parts of folders that also hold I/O: what they may include.
PURE = {
    "probe/probe.c": {"probe/probe.h", "shared"},
    "probe/priority.c": {"probe/priority.h", "shared"},
    "probe/promql.c": {"probe/promql.h", "probe/probe.h", "shared"},
    "endpoint/snapshot.c": {"endpoint/snapshot.h", "vrrp", "probe/probe.h", "shared"},
    "endpoint/metrics.c": {"endpoint/metrics.h", "endpoint/snapshot.h", "vrrp", "probe/probe.h", "shared"},
    "endpoint/status.c": {"endpoint/status.h", "endpoint/snapshot.h", "endpoint/event-json.h",
                          "endpoint/json-text.h", "vrrp", "probe/probe.h", "shared"},
    "endpoint/json-text.c": {"endpoint/json-text.h", "shared"},
    "endpoint/event-log.c": {"endpoint/event-log.h", "vrrp", "shared"},
    "endpoint/event-json.c": {"endpoint/event-json.h", "endpoint/event-log.h", "endpoint/snapshot.h",
                              "endpoint/json-text.h", "vrrp", "probe/probe.h", "shared"},
    "ctl/pair-check.c": {"ctl/pair-check.h", "ctl/pair-internal.h", "conf/conf.h", "probe/priority.h", "shared"},
    "ctl/pair-findings.c": {"ctl/pair-check.h", "ctl/pair-internal.h", "conf/conf.h", "probe/priority.h",
                            "shared"},
    "ctl/pair-sync.c": {"ctl/pair-check.h", "ctl/pair-internal.h", "conf/conf.h", "probe/priority.h", "shared"},
    "ctl/pair-table.c": {"ctl/pair-table.h", "ctl/pair-check.h", "ctl/pair-internal.h", "conf/conf.h",
                         "probe/priority.h", "shared"},
    "ctl/ctl-text.c": {"ctl/ctl-text.h", "shared"},
    "ctl/events-table.c": {"ctl/events-table.h", "ctl/ctl-text.h", "shared"},
    "ctl/keepalived-parse.c": {"ctl/keepalived-parse.h", "shared"},
    "ctl/keepalived-expand.c": {"ctl/keepalived-parse.h", "shared"},
    "ctl/keepalived-convert.c": {"ctl/keepalived-internal.h", "ctl/keepalived-convert.h", "ctl/keepalived-parse.h",
                                 "shared"},
    "ctl/keepalived-instance.c": {"ctl/keepalived-internal.h", "ctl/keepalived-convert.h", "ctl/keepalived-parse.h",
                                  "shared"},
    "ctl/keepalived-script.c": {"ctl/keepalived-convert.h", "ctl/keepalived-parse.h", "shared"},
}
# Headers the endpoint and promvipctl may take from probe/: the pure ones only.
ENDPOINT_PROBE = {"probe/probe.h", "probe/priority.h", "probe/promql.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PURE_FOLDERS = {"vrrp"}
IMPURE_CALL = re.compile(r"\b(socket|bind|connect|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|setsockopt|"
                         r"open|openat|read|write|close|ioctl|fork|clock_gettime|time|gettimeofday|"
                         r"sd_\w+|log_\w+|syslog)\s*\(")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def includes(path):
    with open(path, encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


def main():
    root = sys.argv[1]
    graph = {}
    problems = []
    for folder in sorted(os.listdir(root)):
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        if folder not in ALLOWED:
            problems.append(f"{folder}/ is not in the layering table")
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            rel = f"{folder}/{name}"
            if name.endswith(".c") and (folder in PURE_FOLDERS or rel in PURE):
                with open(os.path.join(d, name), encoding="utf-8") as f:
                    code = COMMENT.sub("", f.read())
                for m in IMPURE_CALL.finditer(code):
                    problems.append(f"{rel}: pure, but calls {m.group(1)}()")
            for inc in includes(os.path.join(d, name)):
                if inc == "config.h":
                    continue
                if "/" not in inc:
                    problems.append(f"{rel}: #include \"{inc}\" without its folder")
                    continue
                target = inc.split("/")[0]
                graph.setdefault(folder, set()).add(target)
                if target != folder and target not in ALLOWED[folder]:
                    problems.append(f"{rel}: includes {inc} ({folder}/ is below {target}/)")
                if folder in ("endpoint", "ctl") and target == "probe" and inc not in ENDPOINT_PROBE:
                    problems.append(f"{rel}: includes {inc}, not one of probe/'s pure headers")
                if rel in PURE and inc not in PURE[rel] and target not in PURE[rel]:
                    problems.append(f"{rel}: pure, but includes {inc}")
    if "--graph" in sys.argv:
        for folder in ALLOWED:
            uses = sorted(graph.get(folder, set()) - {folder})
            print(f"{folder + '/':10} -> {', '.join(uses) if uses else '(nothing)'}")
        return 0
    print("1..1")
    if problems:
        for p in problems:
            print(f"# {p}")
        print("not ok 1 - the folders of agent/ include only from the folders below them; the pure code is pure")
        return 1
    print("ok 1 - the folders of agent/ include only from the folders below them; the pure code is pure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
