/* promvipctl: the control tool. It asks promvipd's HTTP endpoint
 * (global.listen) for /status and shows it as JSON or as a table.
 *
 * The first part (time and duration formatting, the table) is pure and is
 * unit-tested by tests/unit/test-promvipctl-table.c, which includes this file
 * with PROMVIPCTL_NO_MAIN defined; the second part does the I/O. */
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

#include "config.h"
#include "macro.h"

/* Exit codes, documented in --help. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,         /* configuration unreadable, out of memory, ... */
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,  /* promvipd not answering, or its endpoint disabled */
        EXIT_BAD_ANSWER = 4,   /* an answer that is not the expected JSON */
};

/* ---- pure part ---------------------------------------------------------- */

/* RFC 3339 ("2026-11-22T00:00:00Z", optional fraction, Z or +HH:MM) to Unix
 * seconds: 0 or -EINVAL. */
static int parse_rfc3339(const char *s, int64_t *ret) {
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
static const char *format_duration(int64_t secs, char *buf, size_t size) {
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
static const char *format_ago(int64_t then, int64_t now, char *buf, size_t size) {
        char d[32];

        if (then > now) {
                snprintf(buf, size, "in %s", format_duration(then - now, d, sizeof(d)));
                return buf;
        }
        snprintf(buf, size, "%s ago", format_duration(now - then, d, sizeof(d)));
        return buf;
}

/* Latency in milliseconds: "0.4 ms", "12.3 ms", "1500 ms". */
static const char *format_latency(double seconds, char *buf, size_t size) {
        double ms = seconds * 1000.0;

        if (ms < 0)
                ms = 0;
        if (ms < 100.0)
                snprintf(buf, size, "%.1f ms", ms);
        else
                snprintf(buf, size, "%.0f ms", ms);
        return buf;
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

/* Adds one cell (printf format); the rows fill left to right. */
static _printf_(2, 3) int table_add(Table *t, const char *fmt, ...) {
        va_list ap;
        char **cells, *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
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
        char up[32] = "?", ago[48];
        int64_t t;

        if (start && parse_rfc3339(start, &t) == 0)
                format_duration(now - t, up, sizeof(up));
        fprintf(out, "router %s  promvipd %s  up %s  %zu instance%s, %zu probe%s", json_str(root, "router_id", "?"),
                json_str(root, "version", "?"), up, ni, ni == 1 ? "" : "s", np, np == 1 ? "" : "s");
        if (json_is_integer(reloads) && json_integer_value(reloads) > 0) {
                fprintf(out, "  reloads %" JSON_INTEGER_FORMAT, json_integer_value(reloads));
                if (last_reload && parse_rfc3339(last_reload, &t) == 0)
                        fprintf(out, " (last %s)", format_ago(t, now, ago, sizeof(ago)));
        }
        if (json_is_integer(failures) && json_integer_value(failures) > 0)
                fprintf(out, "  reload failures %" JSON_INTEGER_FORMAT, json_integer_value(failures));
        fputc('\n', out);
        return 0;
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
        json_array_foreach(instances, i, inst) {
                json_t *prio = json_object_get(inst, "priority"), *vips = json_object_get(inst, "virtual_addresses");
                json_t *lt = json_object_get(inst, "last_transition"), *dropped = json_object_get(inst, "dropped");
                json_t *split = json_object_get(inst, "split_brain"), *v;
                const char *master = json_str(inst, "master", NULL);
                bool is_master = json_is_true(json_object_get(inst, "is_master"));
                char eff[32], base[32], vrid[32], ago[48], *vip_text = NULL;
                size_t len = 0, j;
                FILE *f;
                int64_t when;

                r |= table_add(&t, "%s", json_str(inst, "name", "?"));
                r |= table_add(&t, "%s", json_str(inst, "state", "?"));
                r |= table_add(&t, "%s/%s", json_int_text(prio, "effective", eff, sizeof(eff)),
                               json_int_text(prio, "base", base, sizeof(base)));
                r |= table_add(&t, "%s/%s", json_str(inst, "interface", "?"),
                               json_int_text(inst, "vrid", vrid, sizeof(vrid)));

                f = open_memstream(&vip_text, &len);
                if (!f) {
                        r = -ENOMEM;
                        break;
                }
                json_array_foreach(vips, j, v)
                        fprintf(f, "%s%s", j ? "," : "", json_string_value(v) ?: "?");
                if (json_array_size(vips) == 0)
                        fputs("-", f);
                fclose(f);
                r |= table_add(&t, "%s", vip_text ?: "?");
                free(vip_text);

                if (master)
                        r |= table_add(&t, "%s%s", master, is_master ? " (this host)" : "");
                else
                        r |= table_add(&t, "%s", is_master ? "this host" : "-");

                if (json_is_object(lt)) {
                        const char *tm = json_str(lt, "time", NULL);
                        r |= table_add(&t, "%s -> %s %s", json_str(lt, "from", "?"), json_str(lt, "to", "?"),
                                       tm && parse_rfc3339(tm, &when) == 0 ? format_ago(when, now, ago, sizeof(ago))
                                                                            : "(bad time)");
                } else
                        r |= table_add(&t, "never");

                /* What deserves a look: split brain seen, packets dropped. */
                {
                        json_int_t ndropped = 0;
                        const char *key;

                        json_object_foreach(dropped, key, v)
                                if (json_is_integer(v))
                                        ndropped += json_integer_value(v);
                        if (json_integer_value(split) > 0 && ndropped > 0)
                                r |= table_add(&t, "split-brain x%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " dropped",
                                               json_integer_value(split), ndropped);
                        else if (json_integer_value(split) > 0)
                                r |= table_add(&t, "split-brain x%" JSON_INTEGER_FORMAT, json_integer_value(split));
                        else if (ndropped > 0)
                                r |= table_add(&t, "%" JSON_INTEGER_FORMAT " dropped", ndropped);
                        else
                                r |= table_add(&t, "-");
                }
        }
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
                r |= table_add(&t, "%s", json_is_number(lat) ? format_latency(json_number_value(lat), latency, sizeof(latency))
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

/* Renders a /status answer as the table `promvipctl status` prints. 0, or
 * -EBADMSG with *ret_why saying what is wrong with the answer (static text
 * or a jansson message copied into why_buf), or -ENOMEM. */
static int render_status(const char *text, size_t len, int64_t now, FILE *out, char *why_buf, size_t why_size,
                         const char **ret_why) {
        json_error_t err;
        json_t *root = json_loadb(text, len, 0, &err);
        const char *why;
        int r;

        if (!root) {
                snprintf(why_buf, why_size, "not JSON: %s (line %d)", err.text, err.line);
                *ret_why = why_buf;
                return -EBADMSG;
        }
        why = status_check_shape(root);
        if (why) {
                *ret_why = why;
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

#ifndef PROMVIPCTL_NO_MAIN
/* ---- I/O part ----------------------------------------------------------- */

#include <curl/curl.h>
#include <getopt.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"

#define HTTP_TIMEOUT_MS 2000L
#define ANSWER_MAX (16u << 20)

static void usage(FILE *f) {
        fprintf(f,
                "Usage: promvipctl [-f CONFIG | -a HOST:PORT] status [--json]\n"
                "       promvipctl --version | --help\n"
                "\n"
                "Control tool for promvipd: asks the daemon's HTTP endpoint (global.listen).\n"
                "\n"
                "Commands:\n"
                "  status             instances (state, priority effective/base, VIPs, master,\n"
                "                     last transition) and probes (state, latency, result)\n"
                "\n"
                "Options:\n"
                "  -f, --config FILE  read global.listen from FILE (default %s)\n"
                "  -a, --address HOST:PORT\n"
                "                     ask promvipd there, e.g. 127.0.0.1:9662 or [::1]:9662\n"
                "                     (the configuration is then not read)\n"
                "  -j, --json         status: print /status as JSON (pretty) instead of a table\n"
                "  -V, --version      print the version and exit\n"
                "  -h, --help         print this help and exit\n"
                "\n"
                "Exit status:\n"
                "  0  success\n"
                "  1  the configuration cannot be read or has errors (try --address), other failure\n"
                "  2  bad usage\n"
                "  3  promvipd is not answering (not running, wrong address, timeout %lds),\n"
                "     or its HTTP endpoint is disabled (global.listen = \"\")\n"
                "  4  promvipd answered, but not with the expected JSON\n",
                CONF_DEFAULT_PATH, HTTP_TIMEOUT_MS / 1000);
}

/* "HOST:PORT" or "[IPv6]:PORT" -> "HOST:PORT" fit for a URL: 0 or -EINVAL. */
static int check_address(const char *s) {
        const char *colon, *p;
        char *end;
        unsigned long port;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close == s + 1 || close[1] != ':')
                        return -EINVAL;
                colon = close + 1;
        } else {
                colon = strchr(s, ':');
                if (!colon || colon == s || strchr(colon + 1, ':'))
                        return -EINVAL; /* an IPv6 address needs brackets */
        }
        for (p = s; p < colon; p++)
                if (*p == '/' || *p == '?' || *p == '#' || *p == '@' || *p == ' ')
                        return -EINVAL;
        if (colon[1] < '0' || colon[1] > '9')
                return -EINVAL;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || *end || port == 0 || port > 65535)
                return -EINVAL;
        return 0;
}

/* The address from the configuration: 0 with *ret (malloc'ed), 0 with *ret
 * NULL when the endpoint is disabled, or EXIT_* (> 0) after saying why. */
static int address_from_config(const char *path, bool explicit_path, char **ret) {
        _cleanup_(conf_freep) Config *c = NULL;
        ConfErrors errs = {};
        char buf[IP_ADDR_STRLEN];
        IpAddr a;
        int r;

        if (explicit_path && access(path, R_OK) < 0) {
                fprintf(stderr, "promvipctl: cannot read %s: %m\n"
                                "Give the address instead: promvipctl --address %s status\n",
                        path, CONF_DEFAULT_LISTEN);
                return EXIT_FAIL;
        }
        if (!explicit_path && access(path, R_OK) < 0) {
                if (errno != ENOENT)
                        fprintf(stderr, "promvipctl: cannot read %s (%m); trying %s (use --address to choose)\n",
                                path, CONF_DEFAULT_LISTEN);
                *ret = strdup(CONF_DEFAULT_LISTEN);
                return *ret ? 0 : EXIT_FAIL;
        }
        r = conf_load_file(path, &c, &errs);
        if (r < 0) {
                if (r == -ENOMEM)
                        fprintf(stderr, "promvipctl: out of memory\n");
                else {
                        fprintf(stderr, "promvipctl: %s has errors, cannot tell where promvipd listens:\n", path);
                        for (size_t i = 0; i < errs.n; i++) {
                                if (errs.items[i].line)
                                        fprintf(stderr, "  %s:%u: %s\n", errs.items[i].file, errs.items[i].line,
                                                errs.items[i].message);
                                else
                                        fprintf(stderr, "  %s: %s\n", errs.items[i].file, errs.items[i].message);
                        }
                        fprintf(stderr, "Fix it, or give the address: promvipctl --address %s status\n",
                                CONF_DEFAULT_LISTEN);
                }
                conf_errors_clear(&errs);
                return EXIT_FAIL;
        }
        if (!c->global.listen || !c->global.listen[0]) {
                *ret = NULL;
                return 0;
        }
        /* A wildcard listen answers on loopback. */
        a = c->global.listen_addr;
        if (a.family == AF_INET && a.u.in.s_addr == htonl(INADDR_ANY))
                a.u.in.s_addr = htonl(INADDR_LOOPBACK);
        else if (a.family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a.u.in6))
                a.u.in6 = in6addr_loopback;
        ip_addr_to_string(&a, buf);
        if (asprintf(ret, a.family == AF_INET6 ? "[%s]:%u" : "%s:%u", buf, (unsigned) c->global.listen_port) < 0)
                return EXIT_FAIL;
        return 0;
}

typedef struct Answer {
        char *data;
        size_t len;
        bool too_big;
} Answer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Answer *a = userdata;
        size_t n = size * nmemb;
        char *d;

        if (a->len + n > ANSWER_MAX) {
                a->too_big = true;
                return 0;
        }
        d = realloc(a->data, a->len + n + 1);
        if (!d)
                return 0;
        memcpy(d + a->len, ptr, n);
        a->len += n;
        d[a->len] = '\0';
        a->data = d;
        return n;
}

static void lowercase_first(char *s) {
        if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
                s[0] = (char) (s[0] - 'A' + 'a');
}

/* GET http://ADDRESS/PATH: EXIT_OK with the body in *a, or EXIT_* after
 * saying why. */
static int fetch(const char *address, const char *path, Answer *a) {
        char errbuf[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 64];
        _cleanup_free_ char *url = NULL;
        long code = 0, os_errno = 0;
        CURLcode cr;
        CURL *h;

        if (asprintf(&url, "http://%s%s", address, path) < 0)
                return EXIT_FAIL;
        h = curl_easy_init();
        if (!h) {
                fprintf(stderr, "promvipctl: cannot initialize libcurl\n");
                return EXIT_FAIL;
        }
        (void) curl_easy_setopt(h, CURLOPT_URL, url);
        (void) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        (void) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
        (void) curl_easy_setopt(h, CURLOPT_USERAGENT, "promvipctl/" PROMVIP_VERSION);
        cr = curl_easy_perform(h);
        (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        (void) curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        curl_easy_cleanup(h);

        if (cr == CURLE_OK && code == 200)
                return EXIT_OK;
        if (cr == CURLE_OK) {
                fprintf(stderr, "promvipctl: promvipd on %s answered %s with HTTP %ld\n", address, path, code);
                return EXIT_BAD_ANSWER;
        }
        if (a->too_big) {
                fprintf(stderr, "promvipctl: the answer of %s on %s is larger than %u MiB\n", path, address,
                        ANSWER_MAX >> 20);
                return EXIT_BAD_ANSWER;
        }
        if (cr == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof(why), "no answer within %ld s", HTTP_TIMEOUT_MS / 1000);
        else if (cr == CURLE_COULDNT_CONNECT && os_errno > 0)
                snprintf(why, sizeof(why), "%s", strerror((int) os_errno));
        else if (errbuf[0])
                snprintf(why, sizeof(why), "%s", errbuf);
        else
                snprintf(why, sizeof(why), "%s", curl_easy_strerror(cr));
        lowercase_first(why);
        if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_COULDNT_RESOLVE_HOST ||
            cr == CURLE_RECV_ERROR || cr == CURLE_SEND_ERROR || cr == CURLE_GOT_NOTHING) {
                fprintf(stderr, "promvipd is not answering on %s: %s (is it running? is global.listen set?)\n",
                        address, why);
                return EXIT_UNREACHABLE;
        }
        if (cr == CURLE_OUT_OF_MEMORY || cr == CURLE_WRITE_ERROR) {
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        fprintf(stderr, "promvipctl: asking promvipd on %s failed: %s\n", address, why);
        return EXIT_BAD_ANSWER;
}

static int cmd_status(const char *address, bool json) {
        Answer a = {};
        int r;

        r = fetch(address, "/status", &a);
        if (r != EXIT_OK)
                goto out;
        if (json) {
                json_error_t err;
                json_t *root = json_loadb(a.data ?: "", a.len, 0, &err);
                char *text;

                if (!json_is_object(root)) {
                        fprintf(stderr, "promvipctl: the /status answer of %s is not a JSON object%s%s\n", address,
                                root ? "" : ": ", root ? "" : err.text);
                        json_decref(root);
                        r = EXIT_BAD_ANSWER;
                        goto out;
                }
                text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(root);
                if (!text) {
                        r = EXIT_FAIL;
                        goto out;
                }
                printf("%s\n", text);
                free(text);
        } else {
                const char *why = NULL;
                char buf[256];
                int k = render_status(a.data ?: "", a.len, (int64_t) time(NULL), stdout, buf, sizeof(buf), &why);

                if (k == -EBADMSG) {
                        fprintf(stderr, "promvipctl: unexpected /status answer from %s: %s\n", address, why);
                        r = EXIT_BAD_ANSWER;
                } else if (k < 0) {
                        fprintf(stderr, "promvipctl: out of memory\n");
                        r = EXIT_FAIL;
                }
        }
        if (r == EXIT_OK && fflush(stdout) != 0)
                r = EXIT_FAIL;
out:
        free(a.data);
        return r;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'f' },
                { "address", required_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *config = NULL, *address = NULL, *command;
        _cleanup_free_ char *where = NULL;
        bool json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "f:a:jVh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        config = optarg;
                        break;
                case 'a':
                        address = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'V':
                        printf("promvipctl %s\n", PROMVIP_VERSION);
                        return EXIT_OK;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                fprintf(stderr, "promvipctl: no command given\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        command = argv[optind];
        if (strcmp(command, "status") != 0) {
                fprintf(stderr, "promvipctl: unknown command '%s'\n", command);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "promvipctl: status takes no argument ('%s')\n", argv[optind + 1]);
                return EXIT_USAGE;
        }
        if (address) {
                if (check_address(address) < 0) {
                        fprintf(stderr, "promvipctl: bad address '%s': expected HOST:PORT or [IPv6]:PORT\n", address);
                        return EXIT_USAGE;
                }
                where = strdup(address);
                if (!where)
                        return EXIT_FAIL;
        } else {
                r = address_from_config(config ?: CONF_DEFAULT_PATH, config != NULL, &where);
                if (r != 0)
                        return r;
                if (!where) {
                        fprintf(stderr,
                                "promvipd's HTTP endpoint is disabled in %s (global.listen = \"\"): "
                                "set global.listen, or give --address HOST:PORT\n",
                                config ?: CONF_DEFAULT_PATH);
                        return EXIT_UNREACHABLE;
                }
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "promvipctl: cannot initialize libcurl\n");
                return EXIT_FAIL;
        }
        r = cmd_status(where, json);
        curl_global_cleanup();
        return r;
}
#endif
