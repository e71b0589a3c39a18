/* promvipctl drain / undrain: keeps a host's instance BACKUP through the
 * file probe it tracks (keepalived's track_file), by writing "1" or "0" to
 * the probe's file atomically. promvipd sees the change through inotify at
 * once, and the file survives restarts and reboots. promvipd need not run. */
#pragma once

#include <stdbool.h>

#include "conf/conf.h"

/* The file probe that `instance` tracks (the one named `probe` when given;
 * required when it tracks several) and its weight in that instance. 0, or
 * -ENOENT (no such instance), -ENODATA (it tracks no file probe), -EMLINK
 * (several and no `probe`), -ESRCH (`probe` is not a file probe it tracks),
 * each with a message in why (malloc'ed, one line or more, no newline at
 * the end). Pure. */
int ctl_drain_find(const Config *c, const char *instance, const char *probe, const ProbeConfig **ret,
                   int *ret_weight, char **why);

/* Loads `config` and writes the value: EXIT_OK, EXIT_FAIL (configuration,
 * instance, probe or write), EXIT_USAGE (several file probes: --probe). */
int ctl_drain(const char *config, const char *instance, const char *probe, bool drain);
