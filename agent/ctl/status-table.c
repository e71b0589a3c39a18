/* The human table of `promvipctl status` (see status-table.h): parses a
 * /status JSON text with jansson and prints the header line, the instance
 * table and the probe table, with times relative to the `now` passed in.
 *
 * Must not: do I/O besides writing to the FILE it is given, read a clock
 * (now comes from the caller), log, or exit. Fetching /status, choosing the
 * address and exit codes are promvipctl.c's. Unit-tested by
 * tests/unit/test-promvipctl-table.c.
 *
 * What the endpoint says is not trusted: every cell and the header are
 * escaped as the last step (a name could hold an ESC sequence), and the
 * drop counters are summed saturating, negative ones ignored. */
#include "ctl/status-table.h"

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
 * seconds: 0 or -EINVAL. */
int status_table_parse_rfc3339(const char *s, int64_t *ret) {
        struct tm tm = {};
        int n = 0, off = 0;
        time_t t;

        if (!s || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
                return -EINVAL;
        s += n;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                while (*s >= '0' && *s <= '9')
                        s++;
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
        *ret = (int64_t) t - off;
        return 0;
}

/* A duration at a glance, at most two units: "42s", "3m", "2h 5m", "3d 4h". */
const char *status_table_format_duration(int64_t secs, char *buf, size_t size) {
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
const char *status_table_format_ago(int64_t then, int64_t now, char *buf, size_t size) {
        char d[32];

        if (then > now) {
                snprintf(buf, size, "in %s", status_table_format_duration(then - now, d, sizeof(d)));
                return buf;
        }
        snprintf(buf, size, "%s ago", status_table_format_duration(now - then, d, sizeof(d)));
        return buf;
}

/* Latency in milliseconds: "0.4 ms", "12.3 ms", "1500 ms". */
const char *status_table_format_latency(double seconds, char *buf, size_t size) {
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

char *status_table_escape(const char *s) {
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
typedef struct Table {
        size_t ncols;
        char **cells; /* row-major, the header first */
        size_t ncells;
} Table;

static void table_done(Table *t) {
        for (size_t i = 0; i < t->ncells; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->ncells = 0;
}

/* Adds one cell (printf format), escaped; the rows fill left to right. */
static _printf_(2, 3) int table_add(Table *t, const char *fmt, ...) {
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
        s = status_table_escape(raw);
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

static void table_print(const Table *t, FILE *out) {
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

static const char *json_str(json_t *o, const char *key, const char *dflt) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : dflt;
}

/* A JSON integer as text, "?" when absent. */
static const char *json_int_text(json_t *o, const char *key, char *buf, size_t size) {
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v))
                return "?";
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
}

/* The probe's UP/DOWN: its "state" string, or its "up" boolean. */
static const char *probe_state_text(json_t *p) {
        const char *s = json_string_value(json_object_get(p, "state"));
        json_t *up = json_object_get(p, "up");

        if (s)
                return s;
        if (json_is_boolean(up))
                return json_is_true(up) ? "UP" : "DOWN";
        return "?";
}

/* Checks the shape the table needs: an object whose "instances" (and
 * "probes", if present) are arrays of objects with a "name". NULL if fine,
 * otherwise what is wrong. */
static const char *status_check_shape(json_t *root) {
        json_t *instances = json_object_get(root, "instances");
        json_t *probes = json_object_get(root, "probes");
        json_t *v;
        size_t i;

        if (!json_is_object(root))
                return "the answer is not a JSON object";
        if (!json_is_array(instances))
                return "\"instances\" is missing or not an array";
        json_array_foreach(instances, i, v)
                if (!json_is_object(v) || !json_is_string(json_object_get(v, "name")))
                        return "an entry of \"instances\" is not an object with a \"name\"";
        if (probes && !json_is_array(probes))
                return "\"probes\" is not an array";
        json_array_foreach(probes, i, v)
                if (!json_is_object(v) || !json_is_string(json_object_get(v, "name")))
                        return "an entry of \"probes\" is not an object with a \"name\"";
        return NULL;
}

static int render_header(json_t *root, int64_t now, FILE *out) {
        json_t *reloads = json_object_get(root, "reloads"), *failures = json_object_get(root, "reload_failures");
        const char *start = json_str(root, "start_time", NULL), *last_reload = json_str(root, "last_reload", NULL);
        size_t ni = json_array_size(json_object_get(root, "instances"));
        size_t np = json_array_size(json_object_get(root, "probes"));
        _cleanup_free_ char *router = status_table_escape(json_str(root, "router_id", "?"));
        _cleanup_free_ char *version = status_table_escape(json_str(root, "version", "?"));
        char up[32] = "?", ago[48];
        int64_t t;

        if (!router || !version)
                return -ENOMEM;
        if (start && status_table_parse_rfc3339(start, &t) == 0)
                status_table_format_duration(now - t, up, sizeof(up));
        fprintf(out, "router %s  promvipd %s  up %s  %zu instance%s, %zu probe%s", router, version, up, ni,
                ni == 1 ? "" : "s", np, np == 1 ? "" : "s");
        if (json_is_integer(reloads) && json_integer_value(reloads) > 0) {
                fprintf(out, "  reloads %" JSON_INTEGER_FORMAT, json_integer_value(reloads));
                if (last_reload && status_table_parse_rfc3339(last_reload, &t) == 0)
                        fprintf(out, " (last %s)", status_table_format_ago(t, now, ago, sizeof(ago)));
        }
        if (json_is_integer(failures) && json_integer_value(failures) > 0)
                fprintf(out, "  reload failures %" JSON_INTEGER_FORMAT, json_integer_value(failures));
        fputc('\n', out);
        return 0;
}

/* The sum of the non-negative integers among the values of `o` (NULL:
 * none), saturated at INT64_MAX, which sets *ret_saturated. */
static int64_t sum_counts(json_t *o, bool *ret_saturated) {
        const char *key;
        int64_t sum = 0;
        json_t *v;

        *ret_saturated = false;
        json_object_foreach(o, key, v) {
                int64_t x = json_is_integer(v) ? (int64_t) json_integer_value(v) : 0;

                if (x > 0 && __builtin_add_overflow(sum, x, &sum)) {
                        sum = INT64_MAX;
                        *ret_saturated = true;
                }
        }
        return sum;
}

/* The VIPs, comma-separated; "-" for none. */
static int add_vips_cell(Table *t, json_t *vips) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0, j;
        json_t *v;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return -ENOMEM;
        json_array_foreach(vips, j, v)
                fprintf(f, "%s%s", j ? "," : "", json_string_value(v) ?: "?");
        if (json_array_size(vips) == 0)
                fputs("-", f);
        fclose(f);
        return table_add(t, "%s", text ?: "?");
}

/* "BACKUP -> MASTER 3m ago", or "never". */
static int add_transition_cell(Table *t, json_t *lt, int64_t now) {
        const char *tm = json_str(lt, "time", NULL);
        char ago[48];
        int64_t when;

        if (!json_is_object(lt))
                return table_add(t, "never");
        return table_add(t, "%s -> %s %s", json_str(lt, "from", "?"), json_str(lt, "to", "?"),
                         tm && status_table_parse_rfc3339(tm, &when) == 0
                                 ? status_table_format_ago(when, now, ago, sizeof(ago))
                                 : "(bad time)");
}

/* What deserves a look: why it faults, its sync group, a hand-over, a release, split brain seen, packets dropped. */
static int add_notes_cell(Table *t, json_t *inst) {
        const char *handover = json_str(inst, "handover", "none"), *fault = json_str(inst, "fault", NULL);
        const char *group = json_str(inst, "sync_group", NULL);
        json_t *split = json_object_get(inst, "split_brain");
        char notes[240] = "";
        size_t n = 0;
        bool saturated;
        int64_t ndropped = sum_counts(json_object_get(inst, "dropped"), &saturated);

        if (fault)
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "fault: %s", fault);
        if (group && n < sizeof(notes))
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "%ssync group %.64s", n ? ", " : "", group);
        if (strcmp(handover, "none") != 0 && n < sizeof(notes))
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "%shanding over (%s)", n ? ", " : "",
                                       handover);
        if (json_is_true(json_object_get(inst, "released")) && n < sizeof(notes))
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "%sreleased", n ? ", " : "");
        if (json_integer_value(split) > 0 && n < sizeof(notes))
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "%ssplit-brain x%" JSON_INTEGER_FORMAT,
                                       n ? ", " : "", json_integer_value(split));
        if (ndropped > 0 && n < sizeof(notes))
                n += (size_t) snprintf(notes + n, sizeof(notes) - n, "%s%" PRId64 "%s dropped", n ? ", " : "",
                                       ndropped, saturated ? "+" : "");
        return table_add(t, "%s", n ? notes : "-");
}

static int add_instance_row(Table *t, json_t *inst, int64_t now) {
        json_t *prio = json_object_get(inst, "priority");
        const char *master = json_str(inst, "master", NULL);
        bool is_master = json_is_true(json_object_get(inst, "is_master"));
        char eff[32], base[32], vrid[32];
        int r = 0;

        r |= table_add(t, "%s", json_str(inst, "name", "?"));
        r |= table_add(t, "%s", json_str(inst, "state", "?"));
        r |= table_add(t, "%s/%s", json_int_text(prio, "effective", eff, sizeof(eff)),
                       json_int_text(prio, "base", base, sizeof(base)));
        r |= table_add(t, "%s/%s", json_str(inst, "interface", "?"), json_int_text(inst, "vrid", vrid, sizeof(vrid)));
        r |= add_vips_cell(t, json_object_get(inst, "virtual_addresses"));
        if (master)
                r |= table_add(t, "%s%s", master, is_master ? " (this host)" : "");
        else
                r |= table_add(t, "%s", is_master ? "this host" : "-");
        r |= add_transition_cell(t, json_object_get(inst, "last_transition"), now);
        r |= add_notes_cell(t, inst);
        return r;
}

static int render_instances(json_t *instances, int64_t now, FILE *out) {
        Table t = { .ncols = 8 };
        json_t *inst;
        size_t i;
        int r = 0;

        r |= table_add(&t, "INSTANCE");
        r |= table_add(&t, "STATE");
        r |= table_add(&t, "PRIO");
        r |= table_add(&t, "IFACE/VRID");
        r |= table_add(&t, "VIPS");
        r |= table_add(&t, "MASTER");
        r |= table_add(&t, "LAST TRANSITION");
        r |= table_add(&t, "NOTES");
        json_array_foreach(instances, i, inst)
                r |= add_instance_row(&t, inst, now);
        if (r == 0)
                table_print(&t, out);
        table_done(&t);
        return r < 0 ? -ENOMEM : 0;
}

/* Which instances track `probe`, with the weight: "prometheus(-60)". */
static char *tracked_by(json_t *instances, const char *probe) {
        char *text = NULL;
        size_t len = 0, i, j, n = 0;
        json_t *inst, *tr;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return NULL;
        json_array_foreach(instances, i, inst)
                json_array_foreach(json_object_get(inst, "tracks"), j, tr) {
                        json_t *w = json_object_get(tr, "weight");

                        if (!probe || strcmp(json_str(tr, "probe", ""), probe) != 0)
                                continue;
                        fprintf(f, "%s%s", n++ ? "," : "", json_str(inst, "name", "?"));
                        if (json_is_integer(w))
                                fprintf(f, "(%+" JSON_INTEGER_FORMAT ")", json_integer_value(w));
                }
        if (n == 0)
                fputs("-", f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static int render_probes(json_t *root, FILE *out) {
        json_t *probes = json_object_get(root, "probes"), *instances = json_object_get(root, "instances"), *p;
        Table t = { .ncols = 6 };
        size_t i;
        int r = 0;

        r |= table_add(&t, "PROBE");
        r |= table_add(&t, "TYPE");
        r |= table_add(&t, "STATE");
        r |= table_add(&t, "LATENCY");
        r |= table_add(&t, "TRACKED BY");
        r |= table_add(&t, "LAST RESULT");
        json_array_foreach(probes, i, p) {
                json_t *lat = json_object_get(p, "last_latency_seconds");
                const char *name = json_str(p, "name", "?"), *detail = json_str(p, "last_detail", NULL);
                char latency[32];
                _cleanup_free_ char *by = tracked_by(instances, name);

                if (!by) {
                        r = -ENOMEM;
                        break;
                }
                r |= table_add(&t, "%s", name);
                r |= table_add(&t, "%s", json_str(p, "type", "?"));
                r |= table_add(&t, "%s", probe_state_text(p));
                r |= table_add(&t, "%s",
                               json_is_number(lat)
                                       ? status_table_format_latency(json_number_value(lat), latency, sizeof(latency))
                                       : "-");
                r |= table_add(&t, "%s", by);
                if (detail && detail[0])
                        r |= table_add(&t, "%s: %s", json_str(p, "last_result", "-"), detail);
                else
                        r |= table_add(&t, "%s", json_str(p, "last_result", "-"));
        }
        if (r == 0)
                table_print(&t, out);
        table_done(&t);
        return r < 0 ? -ENOMEM : 0;
}

int status_table_render_json(const char *json, size_t len, FILE *out, char *err, size_t err_size) {
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

int status_table_render(const char *json, size_t len, uint64_t now_realtime_usec, FILE *out, char *err,
                        size_t err_size) {
        int64_t now = (int64_t) (now_realtime_usec / USEC_PER_SEC);
        json_error_t jerr;
        json_t *root = json_loadb(json, len, 0, &jerr);
        const char *why;
        int r;

        if (!root) {
                snprintf(err, err_size, "not JSON: %s (line %d)", jerr.text, jerr.line);
                return -EBADMSG;
        }
        why = status_check_shape(root);
        if (why) {
                snprintf(err, err_size, "%s", why);
                json_decref(root);
                return -EBADMSG;
        }
        r = render_header(root, now, out);
        if (r == 0) {
                fputc('\n', out);
                r = render_instances(json_object_get(root, "instances"), now, out);
        }
        if (r == 0 && json_array_size(json_object_get(root, "probes")) > 0) {
                fputc('\n', out);
                r = render_probes(root, out);
        }
        json_decref(root);
        return r;
}
