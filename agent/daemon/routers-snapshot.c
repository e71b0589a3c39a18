#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/routers-internal.h"
#include "endpoint/snapshot.h"
#include "shared/log.h"

void routers_dump(const Routers *rs) {
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_dump(rs->instances[k]);
        sync_groups_dump(rs->sync_groups);
        probes_dump(rs->probes);
        for (size_t n = 0; n < rs->n_sockets; n++) {
                const SocketEntry *e = rs->sockets[n];
                char drops[1024];

                log_format_counters(drops, sizeof(drops), "drop_", e->drops, _VRRP_DROP_MAX, vrrp_drop_name);
                log_info("socket %s %s: received=%" PRIu64 "%s", vrrp_socket_ifname(e->sock),
                         ip_family_name(vrrp_socket_family(e->sock)), e->received, drops);
        }
}

static int snapshot_probes(const Probes *ps, SnapshotProbe **ret, size_t *ret_n) {
        size_t n = probes_count(ps);
        SnapshotProbe *a = calloc(n + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                const ProbeConfig *c = probes_config_at(ps, k);
                const ProbeState *st = probes_state_at(ps, k);
                SnapshotProbe *o = &a[k];

                snprintf(o->name, sizeof(o->name), "%s", c->name);
                snprintf(o->kind, sizeof(o->kind), "%s", probe_kind_to_string(c->kind));
                o->up = st->up;
                o->runs = st->runs;
                o->last_latency_usec = st->last.latency_usec;
                o->last_failure = st->last.failure;
                snprintf(o->last_detail, sizeof(o->last_detail), "%s", st->runs ? st->last.detail : "");
                memcpy(o->failures, st->failures_total, sizeof(o->failures));
                o->valued = c->kind == PROBE_FILE;
                o->value = st->value;
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

int routers_snapshot(const Routers *rs, bool with_events, Snapshot *s) {
        int r;

        s->instances = calloc(rs->n_instances + 1, sizeof(*s->instances));
        s->sockets = calloc(rs->n_sockets + 1, sizeof(*s->sockets));
        if (!s->instances || !s->sockets)
                return -ENOMEM;
        for (size_t n = 0; n < rs->n_instances; n++) {
                s->n_instances = n + 1;
                if ((r = instance_snapshot(rs->instances[n], with_events, &s->instances[n])) < 0)
                        return r;
        }
        for (size_t n = 0; n < rs->n_sockets; n++) {
                const SocketEntry *e = rs->sockets[n];
                SnapshotSocket *o = &s->sockets[n];

                snprintf(o->interface, sizeof(o->interface), "%s", vrrp_socket_ifname(e->sock));
                o->family = vrrp_socket_family(e->sock);
                o->received = e->received;
                memcpy(o->drops, e->drops, sizeof(o->drops));
        }
        s->n_sockets = rs->n_sockets;
        if ((r = sync_groups_snapshot(rs->sync_groups, s)) < 0)
                return r;
        return snapshot_probes(rs->probes, &s->probes, &s->n_probes);
}
