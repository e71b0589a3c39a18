/* What an instance tracks besides its own link: probes (UP/DOWN or, for
 * file probes, a value) and other interfaces (keepalived's
 * track_interface, their link state from the netlink cache); the pure
 * arithmetic is probe/priority.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/instance-internal.h"
#include "shared/log.h"

int instance_tracks_size(Instance *i, const InstanceConfig *cfg) {
        size_t n = cfg->n_tracks + cfg->n_track_interfaces;
        TrackState *t;

        /* Indexes change with the configuration: no change is logged from the old one. */
        i->track_states_known = false;
        if (n <= i->n_track_states)
                return 0;
        t = reallocarray(i->track_states, n, sizeof(*t));
        if (!t)
                return -ENOMEM;
        i->track_states = t;
        i->n_track_states = n;
        return 0;
}

static bool link_up(const Instance *i, const char *ifname) {
        int ifindex = netlink_ifindex(i->env->netlink, ifname);

        /* A missing interface is down (keepalived's dynamic interfaces). */
        return ifindex > 0 && netlink_link_is_up(i->env->netlink, ifindex);
}

/* Appends one change to the cause of the priority now computed. */
_printf_(2, 3) static void add_cause(Instance *i, const char *fmt, ...) {
        size_t n = strlen(i->priority_cause);
        va_list ap;

        if (n > 0 && n + 2 < sizeof(i->priority_cause)) {
                memcpy(i->priority_cause + n, ", ", 3);
                n += 2;
        }
        va_start(ap, fmt);
        (void) vsnprintf(i->priority_cause + n, sizeof(i->priority_cause) - n, fmt, ap);
        va_end(ap);
}

/* A tracked probe that changed since the last computation: an event, and
 * the cause of a new priority. */
static void note_probe_change(Instance *i, const TrackConfig *c, const TrackState *was, const TrackState *now) {
        const ProbeState *st = probes_state(i->env->probes, c->probe_name);
        const char *detail = st && st->runs ? st->last.detail : NULL;
        bool was_up = was->valued ? was->value == 0 : was->up, up = now->valued ? now->value == 0 : now->up;

        if (was_up != up)
                instance_event_probe(i, c->probe_name, was_up, up, detail);
        if (now->valued && was->value != now->value)
                add_cause(i, "file probe '%s' value %" PRId64 " (weight %d)", c->probe_name, now->value, c->weight);
        else if (!now->valued && was_up != up)
                add_cause(i, "probe '%s' %s (weight %d)", c->probe_name, up ? "UP" : "DOWN", c->weight);
}

static void log_link_change(Instance *i, const TrackInterfaceConfig *t, bool was, bool up) {
        if (i->track_states_known && was != up) {
                instance_event_track_interface(i, t->interface, up);
                add_cause(i, "tracked interface %s %s (weight %d)", t->interface, up ? "up" : "down", t->weight);
        }
        if (i->track_states_known && was == up)
                return;
        if (!i->track_states_known && up)
                return;
        log_instance(i, up ? LOG_INFO : LOG_WARNING, "tracked interface %s is %s (%s)", t->interface,
                     up ? "up" : "down", t->weight == 0 ? "FAULT while down" : "weight applies");
}

static void describe_fault(Instance *i, size_t k, const TrackState *t) {
        const InstanceConfig *c = i->cfg;
        char *b = i->track_fault_text;
        size_t n = sizeof(i->track_fault_text);

        if (k >= c->n_tracks)
                snprintf(b, n, "tracked interface %s is down", c->track_interfaces[k - c->n_tracks].interface);
        else if (!t->valued)
                snprintf(b, n, "probe '%s' is DOWN", c->tracks[k].probe_name);
        else if (t->weight == 0)
                snprintf(b, n, "file probe '%s' has value %" PRId64 " (weight 0: FAULT unless 0)",
                         c->tracks[k].probe_name, t->value);
        else
                snprintf(b, n, "file probe '%s': value %" PRId64 " x weight %d is below -%d", c->tracks[k].probe_name,
                         t->value, t->weight, TRACK_WEIGHT_MAX);
        i->track_fault = b;
}

uint8_t instance_tracked_priority(Instance *i) {
        const InstanceConfig *c = i->cfg;
        TrackState *t = i->track_states;
        bool fault;
        uint8_t p;

        i->priority_cause[0] = '\0';
        for (size_t k = 0; k < c->n_tracks; k++) {
                TrackState now = probes_track_state(i->env->probes, c->tracks[k].probe_name, c->tracks[k].weight);

                if (i->track_states_known)
                        note_probe_change(i, &c->tracks[k], &t[k], &now);
                t[k] = now;
        }
        for (size_t k = 0; k < c->n_track_interfaces; k++) {
                const TrackInterfaceConfig *ti = &c->track_interfaces[k];
                TrackState *s = &t[c->n_tracks + k];
                bool up = link_up(i, ti->interface);

                log_link_change(i, ti, i->track_states_known && s->up, up);
                *s = (TrackState) { .weight = ti->weight, .up = up };
        }
        i->track_states_known = true;
        if (!i->priority_cause[0])
                snprintf(i->priority_cause, sizeof(i->priority_cause), "%s", i->reload_cause);
        p = priority_effective(c->priority, t, c->n_tracks + c->n_track_interfaces, &fault);
        i->track_fault = NULL;
        for (size_t k = 0; fault && k < c->n_tracks + c->n_track_interfaces && !i->track_fault; k++)
                if (track_faults(&t[k]))
                        describe_fault(i, k, &t[k]);
        return p;
}

int instance_tracks_snapshot(const Instance *i, SnapshotInstance *o) {
        const InstanceConfig *c = i->cfg;

        if (i->fsm.state == VRRP_STATE_FAULT) {
                const char *why = i->link_fault ? i->link_fault
                                  : i->track_fault ? i->track_fault
                                  : i->vip_fault == INSTANCE_VIP_FAULT_ACTIVE ? i->vip_fault_reason
                                  : i->timer_fault ? i->timer_fault
                                  : i->sync_fault ? i->sync_fault : "";
                snprintf(o->fault, sizeof(o->fault), "%s", why);
        }
        o->track_interfaces = calloc(c->n_track_interfaces + 1, sizeof(*o->track_interfaces));
        if (!o->track_interfaces)
                return -ENOMEM;
        for (size_t k = 0; k < c->n_track_interfaces; k++) {
                SnapshotTrackInterface *s = &o->track_interfaces[k];

                snprintf(s->interface, sizeof(s->interface), "%s", c->track_interfaces[k].interface);
                s->weight = c->track_interfaces[k].weight;
                s->up = i->track_states_known && k + c->n_tracks < i->n_track_states
                                ? i->track_states[c->n_tracks + k].up
                                : false;
        }
        o->n_track_interfaces = c->n_track_interfaces;
        return 0;
}
