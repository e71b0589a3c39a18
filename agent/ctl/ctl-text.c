/* Text helpers of promvipctl's tables (see ctl-text.h): RFC 3339 times,
 * durations and ages, latencies, escaping for the terminal, column tables
 * and pretty JSON. Pure: no I/O besides the FILE given, no clock. Used by
 * status-table.c and events-table.c; unit-tested by
 * tests/unit/test-promvipctl-table.c. */
#include "ctl/ctl-text.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/macro.h"

/* RFC 3339 ("2026-11-22T00:00:00Z", optional fraction, Z or +HH:MM) to Unix
 * milliseconds (the fraction truncated): 0 or -EINVAL. */
int ctl_text_parse_rfc3339_ms(const char *s, int64_t *ret_ms) {
        struct tm tm = {};
        int n = 0, off = 0, ms = 0, digits = 0;
        time_t t;

        if (!s || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
                return -EINVAL;
        s += n;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++)
                        if (digits++ < 3)
                                ms = ms * 10 + (*s - '0');
                for (; digits < 3; digits++)
                        ms *= 10;
        }
        if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
                off = 0;
        else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':') {
                int hh, mm;

                if (sscanf(s + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
                        return -EINVAL;
                off = (hh * 60 + mm) * 60 * (s[0] == '-' ? -1 : 1);
        } else
                return -EINVAL;
        if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
            tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret_ms = ((int64_t) t - off) * 1000 + ms;
        return 0;
}

int ctl_text_parse_rfc3339(const char *s, int64_t *ret) {
        int64_t ms;
        int r = ctl_text_parse_rfc3339_ms(s, &ms);

        if (r < 0)
                return r;
        *ret = ms / 1000; /* the fraction is never negative */
        return 0;
}

/* A duration at a glance, at most two units: "42s", "3m", "2h 5m", "3d 4h". */
const char *ctl_text_duration(int64_t secs, char *buf, size_t size) {
        if (secs < 0)
                secs = 0;
        if (secs < 60)
                snprintf(buf, size, "%" PRId64 "s", secs);
        else if (secs < 3600)
                snprintf(buf, size, "%" PRId64 "m", secs / 60);
        else if (secs < 86400) {
                if ((secs % 3600) / 60)
                        snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", secs / 3600, (secs % 3600) / 60);
                else
                        snprintf(buf, size, "%" PRId64 "h", secs / 3600);
        } else {
                if ((secs % 86400) / 3600)
                        snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", secs / 86400, (secs % 86400) / 3600);
                else
                        snprintf(buf, size, "%" PRId64 "d", secs / 86400);
        }
        return buf;
}

/* "3m ago"; "in 5s" when `then` is ahead of `now` (clocks apart). */
const char *ctl_text_ago(int64_t then, int64_t now, char *buf, size_t size) {
        char d[32];

        if (then > now) {
                snprintf(buf, size, "in %s", ctl_text_duration(then - now, d, sizeof(d)));
                return buf;
        }
        snprintf(buf, size, "%s ago", ctl_text_duration(now - then, d, sizeof(d)));
        return buf;
}

/* "0.4s ago", "12.3s ago" below a minute, then as ctl_text_ago(). */
const char *ctl_text_ago_ms(int64_t then_ms, int64_t now_ms, char *buf, size_t size) {
        int64_t d;

        if (then_ms > now_ms || now_ms - then_ms >= 60000)
                return ctl_text_ago(then_ms / 1000 - (then_ms % 1000 < 0), now_ms / 1000 - (now_ms % 1000 < 0),
                                    buf, size);
        d = (now_ms - then_ms) / 100; /* tenths, truncated */
        snprintf(buf, size, "%" PRId64 ".%" PRId64 "s ago", d / 10, d % 10);
        return buf;
}

/* Latency in milliseconds: "0.4 ms", "12.3 ms", "1500 ms". */
const char *ctl_text_latency(double seconds, char *buf, size_t size) {
        double ms = seconds * 1000.0;

        if (ms < 0)
                ms = 0;
        if (ms < 100.0)
                snprintf(buf, size, "%.1f ms", ms);
        else
                snprintf(buf, size, "%.0f ms", ms);
        return buf;
}

/* The length of the valid UTF-8 sequence at `p` (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_sequence_len(const unsigned char *p) {
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2;
        else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                n = 3;
                if (p[0] == 0xe0)
                        lo = 0xa0;
                else if (p[0] == 0xed)
                        hi = 0x9f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                n = 4;
                if (p[0] == 0xf0)
                        lo = 0x90;
                else if (p[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return n;
}

char *ctl_text_escape(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        char *out, *o;

        if (!s)
                return NULL;
        out = o = malloc(strlen(s) * 4 + 1);
        if (!out)
                return NULL;
        while (*p) {
                size_t n = utf8_sequence_len(p);
                bool control = (n == 1 && (*p < 0x20 || *p == 0x7f)) || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);

                if (n == 0 || control) {
                        /* An invalid sequence goes one byte at a time; a control character whole. */
                        for (size_t i = 0; i < (n ? n : 1); i++)
                                o += sprintf(o, "\\x%02x", p[i]);
                        p += n ? n : 1;
                        continue;
                }
                memcpy(o, p, n);
                o += n;
                p += n;
        }
        *o = '\0';
        return out;
}

/* A table of strings, printed with each column as wide as its widest cell,
 * two spaces apart; the last column is not padded. */

void ctl_table_done(CtlTable *t) {
        for (size_t i = 0; i < t->ncells; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->ncells = 0;
}

/* Adds one cell (printf format), escaped; the rows fill left to right. */
int ctl_table_add(CtlTable *t, const char *fmt, ...) {
        _cleanup_free_ char *raw = NULL;
        va_list ap;
        char **cells, *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&raw, fmt, ap);
        va_end(ap);
        if (r < 0) {
                raw = NULL;
                return -ENOMEM;
        }
        s = ctl_text_escape(raw);
        if (!s)
                return -ENOMEM;
        cells = realloc(t->cells, (t->ncells + 1) * sizeof(char *));
        if (!cells) {
                free(s);
                return -ENOMEM;
        }
        t->cells = cells;
        t->cells[t->ncells++] = s;
        return 0;
}

void ctl_table_print(const CtlTable *t, FILE *out) {
        size_t width[16] = {};

        if (t->ncols == 0 || t->ncols > ELEMENTSOF(width))
                return;
        for (size_t i = 0; i < t->ncells; i++) {
                size_t l = strlen(t->cells[i]);
                if (l > width[i % t->ncols])
                        width[i % t->ncols] = l;
        }
        for (size_t i = 0; i < t->ncells; i++) {
                size_t c = i % t->ncols;
                bool last = c == t->ncols - 1 || i == t->ncells - 1;

                if (last)
                        fprintf(out, "%s\n", t->cells[i]);
                else
                        fprintf(out, "%-*s  ", (int) width[c], t->cells[i]);
        }
}

int ctl_text_json_pretty(const char *json, size_t len, FILE *out, char *err, size_t err_size) {
        json_error_t jerr;
        json_t *root = json_loadb(json, len, 0, &jerr);
        char *text;

        if (!json_is_object(root)) {
                if (root)
                        snprintf(err, err_size, "not a JSON object");
                else
                        snprintf(err, err_size, "not JSON: %s (line %d)", jerr.text, jerr.line);
                json_decref(root);
                return -EBADMSG;
        }
        /* ENSURE_ASCII escapes C1 and all non-ASCII; jansson leaves only DEL,
         * which can only be inside a string here. */
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        json_decref(root);
        if (!text)
                return -ENOMEM;
        for (const char *p = text; *p; p++)
                if (*p == 0x7f)
                        fputs("\\u007f", out);
                else
                        fputc(*p, out);
        fputc('\n', out);
        free(text);
        return 0;
}

