/* The human table of `promvipctl status`: a /status JSON text (the schema of
 * status.h) rendered as a header line, the instance table and the probe
 * table, with RFC 3339 times shown as "3m ago" relative to a given now.
 * The endpoint is not trusted: its strings reach the terminal escaped (see
 * status_table_escape()) and its counters are summed without overflow.
 *
 * Pure: no I/O besides writing to the FILE given, no clock reads (now is
 * passed in), no logging. Fetching /status and exit codes belong to
 * promvipctl.c. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Renders the /status text `json` (`len` bytes, NUL not needed) to `out`;
 * "ago" and "up" are relative to `now_realtime_usec` (CLOCK_REALTIME, µs).
 * Returns 0; -EBADMSG when the text is not JSON or lacks the shape the
 * table needs, with the reason in `err` and nothing written to `out`; or
 * -ENOMEM. `err` (of `err_size` bytes) is written only on -EBADMSG. */
int status_table_render(const char *json, size_t len, uint64_t now_realtime_usec, FILE *out, char *err,
                        size_t err_size);

/* `promvipctl status --json`: the /status text `json` re-serialised by
 * jansson, indented, keys in their order, in printable ASCII (every
 * control character and non-ASCII character as \uXXXX), then a newline.
 * Returns 0; -EBADMSG when it is not a JSON object, with the reason in
 * `err`; or -ENOMEM. Nothing is written on error. */
int status_table_render_json(const char *json, size_t len, FILE *out, char *err, size_t err_size);

/* RFC 3339 ("2026-11-22T00:00:00Z", optional fraction, Z or +HH:MM) to Unix
 * seconds in *ret: 0, or -EINVAL (also for NULL). */
int status_table_parse_rfc3339(const char *s, int64_t *ret);

/* A duration at a glance, at most two units: "42s", "3m", "2h 5m", "3d 4h";
 * negative is "0s". Returns buf. */
const char *status_table_format_duration(int64_t secs, char *buf, size_t size);

/* "3m ago"; "in 5s" when `then` is ahead of `now` (clocks apart), both in
 * Unix seconds. Returns buf. */
const char *status_table_format_ago(int64_t then, int64_t now, char *buf, size_t size);

/* Latency in milliseconds: "0.4 ms", "12.3 ms", "1500 ms". Returns buf. */
const char *status_table_format_latency(double seconds, char *buf, size_t size);

/* A copy of `s` fit for a terminal (malloc'ed, NULL on OOM): each byte of a
 * control character (C0, DEL, C1 encoded in UTF-8) or of invalid UTF-8
 * becomes the text \xHH; everything else, other UTF-8 included, stays. */
char *status_table_escape(const char *s);
