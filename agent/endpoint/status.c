/* The /status JSON of a Snapshot (see status.h). Objects are built with
 * the *_new setters, which take ownership even when they fail, so a failure
 * anywhere (out of memory) only has to be noticed, not unwound: `ok` turns
 * false and the whole render returns NULL. */
#include "endpoint/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "endpoint/event-json.h"
#include "endpoint/json-text.h"
#include "shared/macro.h"

typedef struct Builder {
        bool ok;
} Builder;

static void set(Builder *b, json_t *o, const char *key, json_t *v) {
        /* json_object_set_new() returns -1 for a NULL value and drops v on failure. */
        if (!o) {
                json_decref(v);
                b->ok = false;
        } else if (json_object_set_new(o, key, v) < 0)
                b->ok = false;
}

static void append(Builder *b, json_t *a, json_t *v) {
        if (!a) {
                json_decref(v);
                b->ok = false;
        } else if (json_array_append_new(a, v) < 0)
                b->ok = false;
}

static json_t *count(uint64_t v) {
        return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t) v);
}

/* "2026-11-22T00:00:00Z", or null for 0 (never). */
static json_t *timestamp(uint64_t realtime_usec) {
        time_t t = (time_t) (realtime_usec / USEC_PER_SEC);
        char buf[sizeof("-2147483648-12-31T23:59:59Z") + 8];
        struct tm tm;

        if (realtime_usec == 0)
                return json_null();
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(buf);
}

static const char *family_name(int family) {
        return family == AF_INET6 ? "ipv6" : "ipv4";
}

/* { "<reason>": n } for the non-zero drop counters. */
static json_t *drops_object(Builder *b, const uint64_t drops[static _VRRP_DROP_MAX]) {
        json_t *o = json_object();

        for (VrrpDrop d = VRRP_DROP_NONE + 1; d < _VRRP_DROP_MAX; d++)
                if (drops[d] > 0)
                        set(b, o, vrrp_drop_to_string(d), count(drops[d]));
        return o;
}

static const SnapshotProbe *find_probe(const Snapshot *s, const char *name) {
        for (size_t i = 0; i < s->n_probes; i++)
                if (strcmp(s->probes[i].name, name) == 0)
                        return &s->probes[i];
        return NULL;
}

static json_t *instance_json(Builder *b, const Snapshot *s, const SnapshotInstance *in) {
        json_t *o = json_object(), *prio = json_object(), *vips = json_array(), *adverts = json_object(),
               *hooks = json_object(), *tracks = json_array(), *vip_failures = json_object(), *last,
               *track_interfaces = json_array();

        set(b, o, "name", json_string_lossy(in->name));
        set(b, o, "interface", json_string_lossy(in->interface));
        set(b, o, "vrid", json_integer(in->vrid));
        set(b, o, "version", json_integer(in->version));
        set(b, o, "family", json_string_lossy(family_name(in->family)));
        set(b, o, "state", json_string_lossy(vrrp_state_to_string(in->state)));

        set(b, prio, "base", json_integer(in->base_priority));
        set(b, prio, "effective", json_integer(in->effective_priority));
        set(b, o, "priority", prio);

        for (size_t i = 0; i < in->n_vips; i++)
                append(b, vips, json_string_lossy(in->vips[i]));
        set(b, o, "virtual_addresses", vips);

        set(b, o, "master", in->master[0] ? json_string_lossy(in->master) : json_null());
        set(b, o, "is_master", json_boolean(in->is_master));
        set(b, o, "handover", json_string_lossy(vrrp_handover_to_string(in->handover)));
        set(b, o, "released", json_boolean(in->released));
        set(b, o, "sync_group", in->sync_group[0] ? json_string_lossy(in->sync_group) : json_null());

        if (in->last_transition_realtime_usec > 0) {
                last = json_object();
                set(b, last, "from", json_string_lossy(vrrp_state_to_string(in->last_transition_from)));
                set(b, last, "to", json_string_lossy(vrrp_state_to_string(in->state)));
                set(b, last, "time", timestamp(in->last_transition_realtime_usec));
        } else
                last = json_null();
        set(b, o, "last_transition", last);

        set(b, adverts, "sent", count(in->adverts_sent));
        set(b, adverts, "received", count(in->adverts_received));
        set(b, o, "adverts", adverts);

        set(b, o, "master_changes", count(in->master_changes));
        set(b, o, "split_brain", count(in->split_brain));
        set(b, o, "split_brain_answers", count(in->split_brain_answers));
        set(b, vip_failures, "add", count(in->vip_add_failures));
        set(b, vip_failures, "remove", count(in->vip_remove_failures));
        set(b, o, "vip_failures", vip_failures);
        set(b, o, "dropped", drops_object(b, in->drops));

        set(b, hooks, "run", count(in->hooks_run));
        set(b, hooks, "failed", count(in->hooks_failed));
        set(b, hooks, "refused", count(in->hooks_refused));
        set(b, hooks, "dropped", count(in->hooks_dropped));
        set(b, o, "hooks", hooks);

        for (size_t i = 0; i < in->n_tracks; i++) {
                const SnapshotProbe *p = find_probe(s, in->tracks[i]);
                json_t *t = json_object();

                set(b, t, "probe", json_string_lossy(in->tracks[i]));
                set(b, t, "weight", json_integer(in->track_weights[i]));
                set(b, t, "up", p ? json_boolean(p->up) : json_null());
                if (p && p->valued)
                        set(b, t, "value", json_integer((json_int_t) p->value));
                append(b, tracks, t);
        }
        set(b, o, "tracks", tracks);
        for (size_t i = 0; i < in->n_track_interfaces; i++) {
                const SnapshotTrackInterface *ti = &in->track_interfaces[i];
                json_t *t = json_object();

                set(b, t, "interface", json_string_lossy(ti->interface));
                set(b, t, "weight", json_integer(ti->weight));
                set(b, t, "up", json_boolean(ti->up));
                append(b, track_interfaces, t);
        }
        set(b, o, "track_interfaces", track_interfaces);
        set(b, o, "fault", in->fault[0] ? json_string_lossy(in->fault) : json_null());
        set(b, o, "events", events_json(in->events, in->n_events));
        return o;
}

static json_t *probe_json(Builder *b, const SnapshotProbe *p) {
        json_t *o = json_object(), *failures = json_object();
        bool ran = p->runs > 0;

        set(b, o, "name", json_string_lossy(p->name));
        set(b, o, "type", json_string_lossy(p->kind));
        set(b, o, "state", json_string_lossy(p->up ? "UP" : "DOWN"));
        if (p->valued)
                set(b, o, "value", json_integer((json_int_t) p->value));
        set(b, o, "runs", count(p->runs));
        set(b, o, "last_latency_seconds",
            ran ? json_real((double) p->last_latency_usec / (double) USEC_PER_SEC) : json_null());
        set(b, o, "last_result", ran ? json_string_lossy(probe_failure_to_string(p->last_failure)) : json_null());
        set(b, o, "last_detail", ran ? json_string_lossy(p->last_detail) : json_null());
        for (ProbeFailure r = PROBE_OK + 1; r < _PROBE_FAILURE_MAX; r++)
                if (p->failures[r] > 0)
                        set(b, failures, probe_failure_to_string(r), count(p->failures[r]));
        set(b, o, "failures", failures);
        return o;
}

static json_t *socket_json(Builder *b, const SnapshotSocket *k) {
        json_t *o = json_object();

        set(b, o, "interface", json_string_lossy(k->interface));
        set(b, o, "family", json_string_lossy(family_name(k->family)));
        set(b, o, "received", count(k->received));
        set(b, o, "dropped", drops_object(b, k->drops));
        return o;
}

static json_t *sync_group_json(Builder *b, const SnapshotSyncGroup *g) {
        json_t *o = json_object(), *members = json_array();

        set(b, o, "name", json_string_lossy(g->name));
        set(b, o, "state", json_string_lossy(vrrp_state_to_string(g->state)));
        for (size_t i = 0; i < g->n_instances; i++)
                append(b, members, json_string_lossy(g->instances[i]));
        set(b, o, "instances", members);
        return o;
}

char *status_render_json(const Snapshot *s) {
        _cleanup_(json_decrefp) json_t *root = json_object();
        json_t *instances = json_array(), *probes = json_array(), *sockets = json_array(), *groups = json_array();
        Builder b = { .ok = true };
        char *text, *with_newline;
        size_t len;

        set(&b, root, "router_id", json_string_lossy(s->router_id));
        set(&b, root, "version", json_string_lossy(s->version));
        set(&b, root, "start_time", timestamp(s->start_realtime_usec));
        set(&b, root, "reloads", count(s->reloads));
        set(&b, root, "reload_failures", count(s->reload_failures));
        set(&b, root, "last_reload", timestamp(s->last_reload_realtime_usec));
        set(&b, root, "now", event_time_json(s->now_realtime_usec));

        for (size_t i = 0; i < s->n_instances; i++)
                append(&b, instances, instance_json(&b, s, &s->instances[i]));
        set(&b, root, "instances", instances);
        for (size_t i = 0; i < s->n_probes; i++)
                append(&b, probes, probe_json(&b, &s->probes[i]));
        set(&b, root, "probes", probes);
        for (size_t i = 0; i < s->n_sockets; i++)
                append(&b, sockets, socket_json(&b, &s->sockets[i]));
        set(&b, root, "sockets", sockets);
        for (size_t i = 0; i < s->n_sync_groups; i++)
                append(&b, groups, sync_group_json(&b, &s->sync_groups[i]));
        set(&b, root, "sync_groups", groups);

        if (!b.ok)
                return NULL;
        /* Not JSON_ENSURE_ASCII: names are the configuration's UTF-8. */
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text)
                return NULL;
        /* json_dumps() allocates with malloc() (no custom allocators here). */
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
