/* The human table of `promvipctl status` (see status-table.h): parses a
 * /status JSON text with jansson and prints the header line, the instance
 * table and the probe table, with times relative to the answer's "now"
 * (else the `now` passed in).
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

#include "ctl/ctl-text.h"
#include "shared/macro.h"

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
        _cleanup_free_ char *router = ctl_text_escape(json_str(root, "router_id", "?"));
        _cleanup_free_ char *version = ctl_text_escape(json_str(root, "version", "?"));
        char up[32] = "?", ago[48];
        int64_t t;

        if (!router || !version)
                return -ENOMEM;
        if (start && ctl_text_parse_rfc3339(start, &t) == 0)
                ctl_text_duration(now - t, up, sizeof(up));
        fprintf(out, "router %s  promvipd %s  up %s  %zu instance%s, %zu probe%s", router, version, up, ni,
                ni == 1 ? "" : "s", np, np == 1 ? "" : "s");
        if (json_is_integer(reloads) && json_integer_value(reloads) > 0) {
                fprintf(out, "  reloads %" JSON_INTEGER_FORMAT, json_integer_value(reloads));
                if (last_reload && ctl_text_parse_rfc3339(last_reload, &t) == 0)
                        fprintf(out, " (last %s)", ctl_text_ago(t, now, ago, sizeof(ago)));
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
static int add_vips_cell(CtlTable *t, json_t *vips) {
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
        return ctl_table_add(t, "%s", text ?: "?");
}

/* "BACKUP -> MASTER 3m ago", or "never". */
static int add_transition_cell(CtlTable *t, json_t *lt, int64_t now) {
        const char *tm = json_str(lt, "time", NULL);
        char ago[48];
        int64_t when;

        if (!json_is_object(lt))
                return ctl_table_add(t, "never");
        return ctl_table_add(t, "%s -> %s %s", json_str(lt, "from", "?"), json_str(lt, "to", "?"),
                         tm && ctl_text_parse_rfc3339(tm, &when) == 0
                                 ? ctl_text_ago(when, now, ago, sizeof(ago))
                                 : "(bad time)");
}

/* What deserves a look: why it faults, its sync group, a hand-over, a release, split brain seen, packets dropped. */
static int add_notes_cell(CtlTable *t, json_t *inst) {
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
        return ctl_table_add(t, "%s", n ? notes : "-");
}

static int add_instance_row(CtlTable *t, json_t *inst, int64_t now) {
        json_t *prio = json_object_get(inst, "priority");
        const char *master = json_str(inst, "master", NULL);
        bool is_master = json_is_true(json_object_get(inst, "is_master"));
        char eff[32], base[32], vrid[32];
        int r = 0;

        r |= ctl_table_add(t, "%s", json_str(inst, "name", "?"));
        r |= ctl_table_add(t, "%s", json_str(inst, "state", "?"));
        r |= ctl_table_add(t, "%s/%s", json_int_text(prio, "effective", eff, sizeof(eff)),
                       json_int_text(prio, "base", base, sizeof(base)));
        r |= ctl_table_add(t, "%s/%s", json_str(inst, "interface", "?"), json_int_text(inst, "vrid", vrid, sizeof(vrid)));
        r |= add_vips_cell(t, json_object_get(inst, "virtual_addresses"));
        if (master)
                r |= ctl_table_add(t, "%s%s", master, is_master ? " (this host)" : "");
        else
                r |= ctl_table_add(t, "%s", is_master ? "this host" : "-");
        r |= add_transition_cell(t, json_object_get(inst, "last_transition"), now);
        r |= add_notes_cell(t, inst);
        return r;
}

static int render_instances(json_t *instances, int64_t now, FILE *out) {
        CtlTable t = { .ncols = 8 };
        json_t *inst;
        size_t i;
        int r = 0;

        r |= ctl_table_add(&t, "INSTANCE");
        r |= ctl_table_add(&t, "STATE");
        r |= ctl_table_add(&t, "PRIO");
        r |= ctl_table_add(&t, "IFACE/VRID");
        r |= ctl_table_add(&t, "VIPS");
        r |= ctl_table_add(&t, "MASTER");
        r |= ctl_table_add(&t, "LAST TRANSITION");
        r |= ctl_table_add(&t, "NOTES");
        json_array_foreach(instances, i, inst)
                r |= add_instance_row(&t, inst, now);
        if (r == 0)
                ctl_table_print(&t, out);
        ctl_table_done(&t);
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
        CtlTable t = { .ncols = 6 };
        size_t i;
        int r = 0;

        r |= ctl_table_add(&t, "PROBE");
        r |= ctl_table_add(&t, "TYPE");
        r |= ctl_table_add(&t, "STATE");
        r |= ctl_table_add(&t, "LATENCY");
        r |= ctl_table_add(&t, "TRACKED BY");
        r |= ctl_table_add(&t, "LAST RESULT");
        json_array_foreach(probes, i, p) {
                json_t *lat = json_object_get(p, "last_latency_seconds");
                const char *name = json_str(p, "name", "?"), *detail = json_str(p, "last_detail", NULL);
                char latency[32];
                _cleanup_free_ char *by = tracked_by(instances, name);

                if (!by) {
                        r = -ENOMEM;
                        break;
                }
                r |= ctl_table_add(&t, "%s", name);
                r |= ctl_table_add(&t, "%s", json_str(p, "type", "?"));
                r |= ctl_table_add(&t, "%s", probe_state_text(p));
                r |= ctl_table_add(&t, "%s",
                               json_is_number(lat)
                                       ? ctl_text_latency(json_number_value(lat), latency, sizeof(latency))
                                       : "-");
                r |= ctl_table_add(&t, "%s", by);
                if (detail && detail[0])
                        r |= ctl_table_add(&t, "%s: %s", json_str(p, "last_result", "-"), detail);
                else
                        r |= ctl_table_add(&t, "%s", json_str(p, "last_result", "-"));
        }
        if (r == 0)
                ctl_table_print(&t, out);
        ctl_table_done(&t);
        return r < 0 ? -ENOMEM : 0;
}

int status_table_render(const char *json, size_t len, uint64_t now_realtime_usec, FILE *out, char *err,
                        size_t err_size) {
        int64_t now = (int64_t) (now_realtime_usec / USEC_PER_SEC), daemon_now_ms;
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
        /* The daemon's clock: a skewed clock here does not bend the ages. */
        if (ctl_text_parse_rfc3339_ms(json_string_value(json_object_get(root, "now")), &daemon_now_ms) == 0)
                now = daemon_now_ms / 1000;
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
