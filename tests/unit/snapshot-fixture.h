/* A hand-built Snapshot for the observability tests: two instances (one
 * MASTER over IPv4 with history, one BACKUP over IPv6 whose name needs
 * escaping and that has seen nothing), two probes (one never run), one
 * socket. Everything it allocates is freed by snapshot_clear(). */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "endpoint/snapshot.h"

#define FIXTURE_ODD_NAME "we\"ird\\name\nx"
#define FIXTURE_START_USEC 1732233600123456ULL    /* 2024-11-22T00:00:00.123456Z */
#define FIXTURE_TRANSITION_USEC 1732233700999999ULL /* 2024-11-22T00:01:40Z */

static inline void *fixture_alloc(size_t n) {
        void *p = calloc(1, n);

        if (!p)
                abort();
        return p;
}

static inline char *fixture_strdup(const char *s) {
        char *p = strdup(s);

        if (!p)
                abort();
        return p;
}

static inline void fixture_snapshot(Snapshot *s) {
        SnapshotInstance *a, *b;
        SnapshotProbe *p;

        memset(s, 0, sizeof(*s));
        strcpy(s->router_id, "prom-a");
        strcpy(s->version, "0.1.0");
        s->start_realtime_usec = FIXTURE_START_USEC;
        s->reloads = 2;
        s->reload_failures = 1;
        s->realtime_priority = 50;
        s->memory_locked = true;
        s->now_realtime_usec = FIXTURE_START_USEC + 12345678; /* 2024-11-22T00:00:12.469134Z */
        s->event_history = 100;

        s->n_instances = 2;
        s->instances = fixture_alloc(2 * sizeof(SnapshotInstance));
        a = &s->instances[0];
        strcpy(a->name, "prometheus");
        strcpy(a->interface, "eth0");
        a->vrid = 51;
        a->version = 3;
        a->family = AF_INET;
        a->state = VRRP_STATE_MASTER;
        a->base_priority = 150;
        a->effective_priority = 130;
        strcpy(a->master, "10.99.1.11");
        a->is_master = true;
        a->handover = VRRP_HANDOVER_RELEASE;
        a->n_vips = 2;
        a->vips = fixture_alloc(2 * sizeof(a->vips[0]));
        strcpy(a->vips[0], "192.0.2.100/24");
        strcpy(a->vips[1], "192.0.2.101/24");
        a->transitions[VRRP_STATE_INIT][VRRP_STATE_BACKUP] = 1;
        a->transitions[VRRP_STATE_BACKUP][VRRP_STATE_MASTER] = 3;
        a->transitions[VRRP_STATE_MASTER][VRRP_STATE_BACKUP] = 2;
        a->last_transition_realtime_usec = FIXTURE_TRANSITION_USEC;
        a->last_transition_from = VRRP_STATE_BACKUP;
        a->adverts_sent = 10;
        a->adverts_received = 7;
        a->master_changes = 4;
        a->split_brain = 1;
        a->split_brain_answers = 1;
        a->vip_add_failures = 3;
        a->drops[VRRP_PKT_BAD_AUTH] = 2;
        a->drops[VRRP_DROP_UNKNOWN_PEER] = 5;
        a->hooks_run = 6;
        a->hooks_failed = 1;
        a->hooks_refused = 0;
        a->hooks_dropped = 8;
        a->n_tracks = 3;
        a->tracks = fixture_alloc(3 * sizeof(char *));
        a->track_weights = fixture_alloc(3 * sizeof(int));
        a->tracks[0] = fixture_strdup("ready");
        a->track_weights[0] = -60;
        a->tracks[1] = fixture_strdup("fresh");
        a->track_weights[1] = -20;
        a->tracks[2] = fixture_strdup("gone"); /* no such probe */
        a->track_weights[2] = 0;

        b = &s->instances[1];
        strcpy(b->name, FIXTURE_ODD_NAME);
        strcpy(b->interface, "eth1");
        b->vrid = 52;
        b->version = 3;
        b->family = AF_INET6;
        b->state = VRRP_STATE_BACKUP;
        b->base_priority = 100;
        b->effective_priority = 100;

        s->n_probes = 2;
        s->probes = fixture_alloc(2 * sizeof(SnapshotProbe));
        p = &s->probes[0];
        strcpy(p->name, "ready");
        strcpy(p->kind, "http");
        p->up = true;
        p->runs = 12;
        p->last_latency_usec = 2000;
        p->last_failure = PROBE_OK;
        strcpy(p->last_detail, "HTTP 200");
        p->failures[PROBE_FAIL_TIMEOUT] = 3;
        p = &s->probes[1];
        strcpy(p->name, "fresh");
        strcpy(p->kind, "promql");

        s->n_sockets = 1;
        s->sockets = fixture_alloc(sizeof(SnapshotSocket));
        strcpy(s->sockets[0].interface, "eth0");
        s->sockets[0].family = AF_INET;
        s->sockets[0].received = 45;
        s->sockets[0].drops[VRRP_PKT_BAD_CHECKSUM] = 4;
        s->sockets[0].drops[VRRP_DROP_UNKNOWN_VRID] = 9;

        /* Two events of the first instance: a probe went DOWN, the priority followed. */
        a->n_events = 2;
        a->events = fixture_alloc(2 * sizeof(Event));
        a->events[0] = (Event) { .seq = 7, .realtime_usec = FIXTURE_START_USEC + 1000, .type = EVENT_PROBE,
                                 .was_up = true, .up = false, .has_text = true };
        strcpy(a->events[0].name, "ready");
        strcpy(a->events[0].text, "connect: Connection refused");
        a->events[1] = (Event) { .seq = 8, .realtime_usec = FIXTURE_START_USEC + 2000, .type = EVENT_PRIORITY,
                                 .from = 150, .to = 90, .has_text = true };
        strcpy(a->events[1].text, "probe 'ready' DOWN (weight -60)");

        strcpy(a->sync_group, "prom");
        s->n_sync_groups = 1;
        s->sync_groups = fixture_alloc(sizeof(SnapshotSyncGroup));
        strcpy(s->sync_groups[0].name, "prom");
        s->sync_groups[0].state = VRRP_STATE_MASTER;
        s->sync_groups[0].n_instances = 2;
        s->sync_groups[0].instances = fixture_alloc(2 * sizeof(*s->sync_groups[0].instances));
        strcpy(s->sync_groups[0].instances[0], "prometheus");
        strcpy(s->sync_groups[0].instances[1], "prometheus6");
}
