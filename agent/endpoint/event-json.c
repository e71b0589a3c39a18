/* The JSON of events (see event-json.h). As in status.c, a failure to add
 * anything (out of memory) only turns `ok` false. */
#include "endpoint/event-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoint/json-text.h"
#include "shared/macro.h"

static void set(bool *ok, json_t *o, const char *key, json_t *v) {
        if (!o) {
                json_decref(v);
                *ok = false;
        } else if (json_object_set_new(o, key, v) < 0)
                *ok = false;
}

static json_t *str_or_null(bool has, const char *s) {
        return has ? json_string_lossy(s) : json_null();
}

json_t *event_time_json(uint64_t realtime_usec) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        unsigned ms = (unsigned) (realtime_usec % USEC_PER_SEC / USEC_PER_MSEC);
        char buf[64], date[48];
        struct tm tm;

        if (realtime_usec == 0)
                return json_null();
        if (!gmtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return json_null();
        snprintf(buf, sizeof(buf), "%s.%03uZ", date, ms);
        return json_string(buf);
}

json_t *event_json(const Event *e) {
        json_t *o = json_object();
        bool ok = true;

        set(&ok, o, "seq", json_integer(e->seq > INT64_MAX ? INT64_MAX : (json_int_t) e->seq));
        set(&ok, o, "time", event_time_json(e->realtime_usec));
        set(&ok, o, "type", json_string_lossy(event_type_to_string(e->type)));
        switch (e->type) {
        case EVENT_TRANSITION:
                set(&ok, o, "from", json_string_lossy(vrrp_state_to_string(e->state_from)));
                set(&ok, o, "to", json_string_lossy(vrrp_state_to_string(e->state_to)));
                set(&ok, o, "reason", json_string_lossy(e->text));
                break;
        case EVENT_PRIORITY:
                set(&ok, o, "from", json_integer(e->from));
                set(&ok, o, "to", json_integer(e->to));
                set(&ok, o, "cause", json_string_lossy(e->text));
                break;
        case EVENT_PROBE:
                set(&ok, o, "probe", json_string_lossy(e->name));
                set(&ok, o, "from", json_string_lossy(e->was_up ? "UP" : "DOWN"));
                set(&ok, o, "to", json_string_lossy(e->up ? "UP" : "DOWN"));
                set(&ok, o, "detail", str_or_null(e->has_text, e->text));
                break;
        case EVENT_TRACK_INTERFACE:
                set(&ok, o, "interface", json_string_lossy(e->name));
                set(&ok, o, "up", json_boolean(e->up));
                break;
        case EVENT_ADVERT:
                set(&ok, o, "direction", json_string_lossy(e->sent ? "sent" : "received"));
                set(&ok, o, "priority", json_integer(e->priority));
                set(&ok, o, "address", str_or_null(!e->sent, e->address));
                set(&ok, o, "previous", e->has_previous ? json_integer(e->previous) : json_null());
                break;
        case EVENT_MASTER:
                set(&ok, o, "from", str_or_null(e->address[0], e->address));
                set(&ok, o, "to", str_or_null(e->address_to[0], e->address_to));
                break;
        case EVENT_HANDOVER:
                set(&ok, o, "kind", json_string_lossy(vrrp_handover_to_string(e->handover)));
                set(&ok, o, "phase", json_string_lossy(e->begin ? "begin" : "end"));
                set(&ok, o, "detail", str_or_null(e->has_text, e->text));
                break;
        case EVENT_SPLIT_BRAIN:
                set(&ok, o, "address", json_string_lossy(e->address));
                set(&ok, o, "priority", json_integer(e->priority));
                set(&ok, o, "answered", json_boolean(e->answered));
                break;
        case EVENT_HOOK:
                set(&ok, o, "hook", json_string_lossy(e->name));
                set(&ok, o, "result", json_string_lossy(e->result));
                set(&ok, o, "sync_group", str_or_null(e->group[0] != '\0', e->group));
                set(&ok, o, "detail", str_or_null(e->has_text, e->text));
                break;
        case EVENT_RELOAD:
        default:
                set(&ok, o, "detail", str_or_null(e->has_text, e->text));
                break;
        }
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *events_json(const Event *events, size_t n) {
        json_t *a = json_array();

        for (size_t k = 0; a && k < n; k++) {
                json_t *e = event_json(&events[k]);

                if (!e || json_array_append_new(a, e) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

char *events_render_json(const Snapshot *s, const char *instance, bool *ret_unknown) {
        _cleanup_(json_decrefp) json_t *root = json_object();
        json_t *instances = json_array();
        bool ok = true, found = false;
        char *text, *with_newline;
        size_t len;

        *ret_unknown = false;
        set(&ok, root, "router_id", json_string_lossy(s->router_id));
        set(&ok, root, "now", event_time_json(s->now_realtime_usec));
        set(&ok, root, "event_history", json_integer((json_int_t) s->event_history));
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];
                json_t *o;

                if (instance && strcmp(instance, in->name) != 0)
                        continue;
                found = true;
                o = json_object();
                set(&ok, o, "name", json_string_lossy(in->name));
                set(&ok, o, "events", events_json(in->events, in->n_events));
                if (!instances || json_array_append_new(instances, o) < 0)
                        ok = false;
        }
        set(&ok, root, "instances", instances);
        if (instance && !found) {
                *ret_unknown = true;
                return NULL;
        }
        if (!ok)
                return NULL;
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text)
                return NULL;
        len = strlen(text);
        with_newline = realloc(text, len + 2);
        if (!with_newline) {
                free(text);
                return NULL;
        }
        with_newline[len] = '\n';
        with_newline[len + 1] = '\0';
        return with_newline;
}
