/* Text helpers of promvipctl's tables (status-table.c, events-table.c):
 * RFC 3339 times, durations and ages, latencies, terminal escaping, a table
 * of columns and pretty JSON.
 *
 * Pure: no I/O besides writing to the FILE given, no clock reads. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/macro.h"

/* RFC 3339 ("2026-11-22T00:00:00Z", optional fraction, Z or +HH:MM) to Unix
 * seconds in *ret: 0, or -EINVAL (also for NULL). */
int ctl_text_parse_rfc3339(const char *s, int64_t *ret);

/* The same to Unix milliseconds (digits past the third truncated). */
int ctl_text_parse_rfc3339_ms(const char *s, int64_t *ret_ms);

/* A duration at a glance, at most two units: "42s", "3m", "2h 5m", "3d 4h";
 * negative is "0s". Returns buf. */
const char *ctl_text_duration(int64_t secs, char *buf, size_t size);

/* "3m ago"; "in 5s" when `then` is ahead of `now` (clocks apart), both in
 * Unix seconds. Returns buf. */
const char *ctl_text_ago(int64_t then, int64_t now, char *buf, size_t size);

/* As ctl_text_ago() in milliseconds, with tenths below a minute:
 * "0.4s ago", "12.3s ago", "5m ago", "2h ago", "3d ago". Returns buf. */
const char *ctl_text_ago_ms(int64_t then_ms, int64_t now_ms, char *buf, size_t size);

/* Latency in milliseconds: "0.4 ms", "12.3 ms", "1500 ms". Returns buf. */
const char *ctl_text_latency(double seconds, char *buf, size_t size);

/* A copy of `s` fit for a terminal (malloc'ed, NULL on OOM): each byte of a
 * control character (C0, DEL, C1 encoded in UTF-8) or of invalid UTF-8
 * becomes the text \xHH; everything else, other UTF-8 included, stays. */
char *ctl_text_escape(const char *s);

/* A table of strings, printed with each column as wide as its widest cell,
 * two spaces apart; the last column is not padded. At most 16 columns. */
typedef struct CtlTable {
        size_t ncols;
        char **cells; /* row-major, the header first */
        size_t ncells;
} CtlTable;

/* Adds one cell (printf format), escaped (ctl_text_escape()); the rows
 * fill left to right. 0 or -ENOMEM. */
_printf_(2, 3) int ctl_table_add(CtlTable *t, const char *fmt, ...);
void ctl_table_print(const CtlTable *t, FILE *out);
void ctl_table_done(CtlTable *t);

/* `--json`: the JSON text `json` re-serialised by jansson, indented, keys in
 * their order, in printable ASCII (every control character and non-ASCII
 * character as \uXXXX), then a newline. Returns 0; -EBADMSG when it is not
 * a JSON object, with the reason in `err`; or -ENOMEM. Nothing is written
 * on error. */
int ctl_text_json_pretty(const char *json, size_t len, FILE *out, char *err, size_t err_size);
