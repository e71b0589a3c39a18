/* The human table of `promvipctl status`: a /status JSON text (the schema of
 * status.h) rendered as a header line, the instance table and the probe
 * table, with RFC 3339 times shown as "3m ago" relative to promvipd's now.
 * The endpoint is not trusted: its strings reach the terminal escaped (see
 * ctl_text_escape()) and its counters are summed without overflow.
 *
 * Pure: no I/O besides writing to the FILE given, no clock reads (now is
 * passed in), no logging. Fetching /status and exit codes belong to
 * promvipctl.c. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Renders the /status text `json` (`len` bytes, NUL not needed) to `out`;
 * "ago" and "up" are relative to the answer's "now" (promvipd's clock), or
 * without one to `now_realtime_usec` (CLOCK_REALTIME, µs).
 * Returns 0; -EBADMSG when the text is not JSON or lacks the shape the
 * table needs, with the reason in `err` and nothing written to `out`; or
 * -ENOMEM. `err` (of `err_size` bytes) is written only on -EBADMSG. */
int status_table_render(const char *json, size_t len, uint64_t now_realtime_usec, FILE *out, char *err,
                        size_t err_size);
