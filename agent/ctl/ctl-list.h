/* promvipctl list instances|probes|sync-groups: the names in the
 * configuration, one a line, for shell completion (and scripts). Only the
 * configuration file is read (conf_load_file(), no check of the host), so
 * any user who can read it gets the names; promvipd need not run. */
#pragma once

#include <stdio.h>

#include "conf/conf.h"

typedef enum CtlListKind {
        CTL_LIST_INSTANCES,
        CTL_LIST_PROBES,
        CTL_LIST_SYNC_GROUPS,
        _CTL_LIST_KIND_MAX,
} CtlListKind;

/* "instances", "probes" or "sync-groups" -> the kind, else -EINVAL. Pure. */
int ctl_list_kind_from_string(const char *s);

/* The names of that kind in c, in the configuration's order, one a line
 * on f. 0, or -EIO when f fails. */
int ctl_list_write(const Config *c, CtlListKind kind, FILE *f);

/* Loads `config` and prints the names of `kind` on stdout: EXIT_OK,
 * EXIT_FAIL (the configuration cannot be read or has errors: they are on
 * stderr as FILE:LINE: message), EXIT_USAGE (unknown kind). */
int ctl_list(const char *config, const char *kind);
