/* The human table of `promvipctl events` (see events-table.h): every
 * instance's events of a parsed /events answer in one table, oldest first
 * by "seq", with the AGE relative to the answer's "now" and a DETAIL
 * written per event type.
 *
 * Must not: read a clock, do I/O (the text goes to a memory stream), log or
 * exit. Fetching /events and exit codes are ctl-events.c's. Unit-tested by
 * tests/unit/test-events-table.c.
 *
 * What the endpoint says is not trusted: every cell is escaped by
 * ctl_table_add(); a missing or mistyped field is "?" or left out. */
#include "ctl/events-table.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-text.h"
#include "shared/macro.h"

static const char *str(json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

/* A JSON integer as text, "?" when it is not one. */
static const char *int_text(json_t *o, const char *key, char *buf, size_t size) {
        json_t *v = json_object_get(o, key);

        if (!json_is_integer(v))
                return "?";
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
}

/* A master address: the string, "none" for null, "?" otherwise. */
static const char *address_text(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);

        if (json_is_string(v))
                return json_string_value(v);
        return json_is_null(v) ? "none" : "?";
}

/* ": TEXT" when the field `key` is a non-empty string. */
static void put_suffix(FILE *f, json_t *o, const char *key) {
        const char *s = str(o, key);

        if (s && s[0])
                fprintf(f, ": %s", s);
}

/* Any type this promvipctl does not know: its other fields, key=value. */
static void put_fields(FILE *f, json_t *e) {
        const char *key;
        json_t *v;
        size_t n = 0;

        json_object_foreach(e, key, v) {
                char *dumped;

                if (strcmp(key, "seq") == 0 || strcmp(key, "time") == 0 || strcmp(key, "type") == 0)
                        continue;
                fprintf(f, "%s%s=", n++ ? " " : "", key);
                if (json_is_string(v)) {
                        fputs(json_string_value(v), f);
                        continue;
                }
                dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
                fputs(dumped ?: "?", f);
                free(dumped);
        }
}

static void put_advert(FILE *f, json_t *e) {
        const char *dir = str(e, "direction"), *from = str(e, "address");
        char prio[32], prev[32];

        fprintf(f, "%s priority %s", dir ?: "?", int_text(e, "priority", prio, sizeof(prio)));
        if (from && (!dir || strcmp(dir, "sent") != 0))
                fprintf(f, " from %s", from);
        if (json_is_integer(json_object_get(e, "previous")))
                fprintf(f, " (was %s)", int_text(e, "previous", prev, sizeof(prev)));
}

char *events_table_detail(json_t *e) {
        const char *type = str(e, "type") ?: "";
        json_t *up = json_object_get(e, "up"), *answered = json_object_get(e, "answered");
        char *text = NULL, a[32], b[32];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return NULL;
        if (strcmp(type, "transition") == 0) {
                fprintf(f, "%s -> %s", str(e, "from") ?: "?", str(e, "to") ?: "?");
                put_suffix(f, e, "reason");
        } else if (strcmp(type, "priority") == 0) {
                fprintf(f, "%s -> %s", int_text(e, "from", a, sizeof(a)), int_text(e, "to", b, sizeof(b)));
                put_suffix(f, e, "cause");
        } else if (strcmp(type, "probe") == 0) {
                fprintf(f, "%s %s -> %s", str(e, "probe") ?: "?", str(e, "from") ?: "?", str(e, "to") ?: "?");
                put_suffix(f, e, "detail");
        } else if (strcmp(type, "track_interface") == 0)
                fprintf(f, "%s %s", str(e, "interface") ?: "?",
                        json_is_boolean(up) ? (json_is_true(up) ? "up" : "down") : "?");
        else if (strcmp(type, "advert") == 0)
                put_advert(f, e);
        else if (strcmp(type, "master") == 0)
                fprintf(f, "%s -> %s", address_text(e, "from"), address_text(e, "to"));
        else if (strcmp(type, "handover") == 0) {
                fprintf(f, "%s %s", str(e, "kind") ?: "?", str(e, "phase") ?: "?");
                put_suffix(f, e, "detail");
        } else if (strcmp(type, "split_brain") == 0) {
                fprintf(f, "another master %s (priority %s)", str(e, "address") ?: "?",
                        int_text(e, "priority", a, sizeof(a)));
                if (json_is_boolean(answered))
                        fputs(json_is_true(answered) ? ", answered" : ", not answered", f);
        } else if (strcmp(type, "hook") == 0) {
                if (str(e, "sync_group"))
                        fprintf(f, "sync group '%s' ", str(e, "sync_group"));
                fprintf(f, "%s hook %s", str(e, "hook") ?: "?", str(e, "result") ?: "?");
                put_suffix(f, e, "detail");
        } else if (strcmp(type, "reload") == 0)
                fputs(str(e, "detail") ?: "", f);
        else
                put_fields(f, e);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* One row: an event and its instance, in the order of the table. */
typedef struct Row {
        const char *instance;
        json_t *event;
        int64_t seq; /* INT64_MAX without an integer "seq": last */
        size_t index; /* the order in the answer, for equal seqs */
} Row;

static int row_compare(const void *x, const void *y) {
        const Row *a = x, *b = y;

        if (a->seq != b->seq)
                return a->seq < b->seq ? -1 : 1;
        return a->index < b->index ? -1 : a->index > b->index;
}

/* Checks the shape and counts the events: NULL, or what is wrong. */
static const char *check_shape(json_t *root, size_t *ret_count) {
        json_t *instances = json_object_get(root, "instances"), *inst, *events, *e;
        size_t i, j;

        *ret_count = 0;
        if (!json_is_object(root))
                return "the answer is not a JSON object";
        if (!json_is_array(instances))
                return "\"instances\" is missing or not an array";
        json_array_foreach(instances, i, inst) {
                if (!json_is_object(inst) || !json_is_string(json_object_get(inst, "name")))
                        return "an entry of \"instances\" is not an object with a \"name\"";
                events = json_object_get(inst, "events");
                if (events && !json_is_null(events) && !json_is_array(events))
                        return "an instance's \"events\" is not an array";
                json_array_foreach(events, j, e)
                        if (!json_is_object(e))
                                return "an event is not a JSON object";
                *ret_count += json_array_size(events);
        }
        return NULL;
}

static int add_row(CtlTable *t, const Row *row, bool have_now, int64_t now_ms) {
        const char *type = str(row->event, "type");
        _cleanup_free_ char *detail = events_table_detail(row->event);
        char age[48] = "?";
        int64_t when;
        int r = 0;

        if (!detail)
                return -ENOMEM;
        if (have_now && ctl_text_parse_rfc3339_ms(str(row->event, "time"), &when) == 0)
                ctl_text_ago_ms(when, now_ms, age, sizeof(age));
        r |= ctl_table_add(t, "%s", row->instance);
        r |= ctl_table_add(t, "%s", age);
        r |= ctl_table_add(t, "%s", type ?: "?");
        r |= ctl_table_add(t, "%s", detail[0] ? detail : "-");
        return r;
}

int events_table_render(json_t *root, char **ret_text, char *err, size_t err_size) {
        CtlTable t = { .ncols = 4 };
        _cleanup_free_ Row *rows = NULL;
        char *text = NULL;
        size_t count, n = 0, i, j, len = 0;
        json_t *inst, *e;
        int64_t now_ms = 0;
        bool have_now;
        const char *why = check_shape(root, &count);
        FILE *f;
        int r = 0;

        if (why) {
                snprintf(err, err_size, "%s", why);
                return -EBADMSG;
        }
        have_now = ctl_text_parse_rfc3339_ms(str(root, "now"), &now_ms) == 0;
        rows = calloc(count ?: 1, sizeof(Row));
        if (!rows)
                return -ENOMEM;
        json_array_foreach(json_object_get(root, "instances"), i, inst)
                json_array_foreach(json_object_get(inst, "events"), j, e) {
                        json_t *seq = json_object_get(e, "seq");

                        rows[n] = (Row) { .instance = str(inst, "name"), .event = e, .index = n,
                                          .seq = json_is_integer(seq) ? json_integer_value(seq) : INT64_MAX };
                        n++;
                }
        qsort(rows, n, sizeof(Row), row_compare);

        r |= ctl_table_add(&t, "INSTANCE");
        r |= ctl_table_add(&t, "AGE");
        r |= ctl_table_add(&t, "EVENT");
        r |= ctl_table_add(&t, "DETAIL");
        for (i = 0; i < n && r == 0; i++)
                r = add_row(&t, &rows[i], have_now, now_ms);
        if (r == 0) {
                f = open_memstream(&text, &len);
                if (f) {
                        ctl_table_print(&t, f);
                        if (fclose(f) != 0) {
                                free(text);
                                text = NULL;
                        }
                }
                if (!text)
                        r = -ENOMEM;
        }
        ctl_table_done(&t);
        if (r < 0)
                return -ENOMEM;
        *ret_text = text;
        return 0;
}
