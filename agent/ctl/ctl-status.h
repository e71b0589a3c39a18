/* `promvipctl status [--json]` and `status --watch [--interval SECONDS]`:
 * asks promvipd's HTTP endpoint for /status and prints the table of
 * status-table.c (or pretty JSON), once or each time it changes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CTL_WATCH_INTERVAL_MIN_USEC 100000ULL     /* 0.1 s */
#define CTL_WATCH_INTERVAL_MAX_USEC 60000000ULL   /* 60 s */

/* `address` is HOST:PORT. Returns an exit code (ctl-http.h). */
int ctl_status(const char *address, bool json);

/* --interval's SECONDS, plain decimal ("1", "0.5"; 0.1..60), to µs: 0 or -EINVAL. */
int ctl_watch_parse_interval(const char *s, uint64_t *ret_usec);

/* Polls /status every `interval_usec` and redraws the table when its text
 * changes: on a terminal (`tty`) after clearing the screen, otherwise
 * followed by a blank line. While promvipd does not answer (or answers
 * something else than /status), one line says so. Runs until SIGINT or
 * SIGTERM: EXIT_OK; EXIT_FAIL when stdout fails or memory runs out. */
int ctl_status_watch(const char *address, uint64_t interval_usec, bool tty);
