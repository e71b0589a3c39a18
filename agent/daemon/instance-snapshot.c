/* What an instance shows of itself: its settings, state and sockets to the
 * routers, a snapshot for /status and /metrics, and the SIGUSR1 log line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/instance-internal.h"
#include "shared/log.h"

bool instance_holds_vip(const Instance *i, int ifindex, const IpPrefix *vip) {
        if (i->fsm.state != VRRP_STATE_MASTER || i->ifindex != ifindex)
                return false;
        for (size_t k = 0; k < i->cfg->n_vips; k++)
                if (ip_addr_equal(&i->cfg->vips[k].addr, &vip->addr))
                        return true;
        return false;
}

bool instance_master(const Instance *i, IpAddr *ret) {
        if (i->fsm.state == VRRP_STATE_MASTER && i->have_source) {
                *ret = i->source;
                return true;
        }
        if (i->fsm.state == VRRP_STATE_BACKUP && i->fsm.master_known) {
                *ret = i->fsm.master;
                return true;
        }
        return false;
}

const InstanceConfig *instance_config(const Instance *i) {
        return i->cfg;
}

VrrpSocket *instance_socket(const Instance *i) {
        return i->sock;
}

VrrpState instance_state(const Instance *i) {
        return i->fsm.state;
}

bool instance_stopped(const Instance *i) {
        return i->fsm.state == VRRP_STATE_STOP;
}

uint64_t instance_handover_max_usec(const Instance *i) {
        return vrrp_master_down_us(i->cfg->version, i->fsm.priority, i->cfg->advert_interval_cs);
}

size_t instance_hooks_pending(const Instance *i) {
        return hook_queue_pending(i->hooks);
}

int instance_snapshot(const Instance *i, bool with_events, SnapshotInstance *o) {
        const InstanceConfig *c = i->cfg;
        const HookCounters *h = hook_queue_counters(i->hooks);
        IpAddr m;

        snprintf(o->name, sizeof(o->name), "%s", c->name);
        snprintf(o->sync_group, sizeof(o->sync_group), "%s", c->sync_group ? c->sync_group : "");
        snprintf(o->interface, sizeof(o->interface), "%s", c->interface);
        o->vrid = c->vrid;
        o->version = c->version;
        o->family = c->family;
        o->state = i->fsm.state;
        o->base_priority = c->priority;
        o->effective_priority = i->fsm.priority;
        if (instance_master(i, &m))
                ip_addr_to_string(&m, o->master);
        o->is_master = i->fsm.state == VRRP_STATE_MASTER;
        o->handover = i->fsm.handover;
        o->released = i->fsm.released;
        memcpy(o->transitions, i->counters.state_changes, sizeof(o->transitions));
        o->last_transition_realtime_usec = i->counters.last_transition_realtime_usec;
        o->last_transition_from = i->counters.last_transition_from;
        o->adverts_sent = i->counters.adverts_sent;
        o->adverts_received = i->counters.adverts_received;
        o->master_changes = i->counters.master_changes;
        o->split_brain = i->counters.split_brain;
        o->split_brain_answers = i->counters.split_brain_answers;
        o->advert_lateness = i->counters.advert_lateness;
        o->vip_add_failures = i->counters.vip_add_failures;
        o->vip_remove_failures = i->counters.vip_remove_failures;
        memcpy(o->drops, i->counters.drops, sizeof(o->drops));
        o->hooks_run = h->runs;
        o->hooks_failed = h->failures;
        o->hooks_refused = h->refused;
        o->hooks_dropped = h->dropped;

        o->vips = calloc(c->n_vips + 1, sizeof(*o->vips));
        o->tracks = calloc(c->n_tracks + 1, sizeof(char *));
        o->track_weights = calloc(c->n_tracks + 1, sizeof(int));
        if (!o->vips || !o->tracks || !o->track_weights)
                return -ENOMEM;
        for (size_t k = 0; k < c->n_vips; k++)
                ip_prefix_to_string(&c->vips[k], o->vips[k]);
        o->n_vips = c->n_vips;
        for (size_t k = 0; k < c->n_tracks; k++) {
                o->tracks[k] = strdup(c->tracks[k].probe_name);
                if (!o->tracks[k])
                        return -ENOMEM;
                o->track_weights[k] = c->tracks[k].weight;
                o->n_tracks = k + 1;
        }
        if (with_events && event_log_copy(i->events, &o->events, &o->n_events) < 0)
                return -ENOMEM;
        return instance_tracks_snapshot(i, o);
}

void instance_dump(const Instance *i) {
        _cleanup_free_ char *drops = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&drops, &len);
        char master[IP_ADDR_STRLEN] = "-", drop_counts[1024];
        const HookCounters *h = hook_queue_counters(i->hooks);
        IpAddr m;

        if (!f)
                return;
        fprintf(f, " vip_add_failures=%" PRIu64 " vip_remove_failures=%" PRIu64, i->counters.vip_add_failures,
                i->counters.vip_remove_failures);
        fprintf(f, " hooks_run=%" PRIu64 " hooks_failed=%" PRIu64 " hooks_refused=%" PRIu64 " hooks_dropped=%" PRIu64,
                h->runs, h->failures, h->refused, h->dropped);
        log_format_counters(drop_counts, sizeof(drop_counts), "drop_", i->counters.drops, _VRRP_DROP_MAX,
                            vrrp_drop_name);
        fputs(drop_counts, f);
        if (fclose(f) != 0)
                return;
        if (instance_master(i, &m))
                ip_addr_to_string(&m, master);
        log_instance(i, LOG_INFO,
                     "state=%s priority=%u base_priority=%u master=%s adverts_sent=%" PRIu64 " adverts_received=%" PRIu64
                     " transitions=%" PRIu64 " split_brain=%" PRIu64 " split_brain_answers=%" PRIu64
                     " send_errors=%" PRIu64 " rfc9568_checksums=%" PRIu64 "%s",
                     vrrp_state_to_string(i->fsm.state), i->fsm.priority, i->cfg->priority, master,
                     i->counters.adverts_sent, i->counters.adverts_received, i->counters.transitions,
                     i->counters.split_brain, i->counters.split_brain_answers, i->counters.send_errors,
                     i->counters.rfc9568_checksums, drops ? drops : "");
}
