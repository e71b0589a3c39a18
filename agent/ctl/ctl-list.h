/* promvipctl list instances|probes|sync-groups|file-probes [INSTANCE]:
 * the names in the configuration, one a line, for shell completion (and
 * scripts); file-probes are what drain --probe takes (with INSTANCE, only
 * those it tracks). Only the configuration file is read (conf_load_file(),
 * no check of the host), so any user who can read it gets the names;
 * promvipd need not run. */
#pragma once

#include <stdio.h>

#include "conf/conf.h"

typedef enum CtlListKind {
        CTL_LIST_INSTANCES,
        CTL_LIST_PROBES,
        CTL_LIST_SYNC_GROUPS,
        CTL_LIST_FILE_PROBES,
        _CTL_LIST_KIND_MAX,
} CtlListKind;

/* "instances", "probes", "sync-groups" or "file-probes" -> the kind,
 * else -EINVAL. Pure. */
int ctl_list_kind_from_string(const char *s);

/* The names of that kind in c, in the configuration's order, one a line
 * on f; `instance` (file probes only, else NULL) keeps those it tracks.
 * 0, -ENOENT (no such instance: nothing written), or -EIO when f fails. */
int ctl_list_write(const Config *c, CtlListKind kind, const char *instance, FILE *f);

/* Loads `config` and prints the names of `kind` (of `instance`'s, when not
 * NULL) on stdout: EXIT_OK, EXIT_FAIL (the configuration cannot be read or
 * has errors: they are on stderr as FILE:LINE: message; no such instance),
 * EXIT_USAGE (unknown kind, or an instance with a kind other than
 * file-probes). */
int ctl_list(const char *config, const char *kind, const char *instance);
