/* A copy of the daemon's observable state at one moment, for /metrics,
 * /status and promvipctl: plain values, no pointers into live objects.
 * Filled by routers_snapshot() and the manager; rendered by metrics.c and
 * status.c, which are pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint/event-log.h"
#include "probe/probe.h"
#include "shared/lateness.h"
#include "vrrp/vrrp-filter.h"
#include "vrrp/vrrp-fsm.h"

#define SNAPSHOT_NAME_MAX 65
#define SNAPSHOT_ADDR_MAX 50  /* an address or prefix as text */

typedef struct SnapshotTrackInterface {
        char interface[16];
        int weight;                       /* 0: FAULT while down */
        bool up;
} SnapshotTrackInterface;

typedef struct SnapshotInstance {
        char name[SNAPSHOT_NAME_MAX];
        char interface[16];
        uint8_t vrid;
        uint8_t version;
        int family;                       /* AF_INET / AF_INET6 */
        VrrpState state;
        uint8_t base_priority;
        uint8_t effective_priority;
        char master[SNAPSHOT_ADDR_MAX];   /* current master's address, "" when unknown */
        bool is_master;                   /* we are it */
        VrrpHandover handover;            /* MASTER: a stop or release going on */
        bool released;                    /* BACKUP by promvipctl release */
        char (*vips)[SNAPSHOT_ADDR_MAX];  /* "192.0.2.100/24" */
        size_t n_vips;
        uint64_t transitions[_VRRP_STATE_MAX][_VRRP_STATE_MAX]; /* [from][to] */
        uint64_t last_transition_realtime_usec;                  /* 0: never */
        VrrpState last_transition_from;
        uint64_t adverts_sent, adverts_received;
        uint64_t master_changes;          /* times the master we saw changed */
        uint64_t split_brain;
        uint64_t split_brain_answers;
        Lateness advert_lateness;
        uint64_t vip_add_failures, vip_remove_failures;
        uint64_t drops[_VRRP_DROP_MAX];   /* instance-level drop reasons */
        uint64_t hooks_run, hooks_failed, hooks_refused, hooks_dropped;
        char sync_group[SNAPSHOT_NAME_MAX]; /* "" when in none */
        char **tracks;                    /* names of the probes it tracks */
        int *track_weights;
        size_t n_tracks;
        SnapshotTrackInterface *track_interfaces; /* track_interfaces */
        size_t n_track_interfaces;
        char fault[160];                  /* FAULT: why; else "" */
        Event *events;                    /* its history, oldest first (event-log.h) */
        size_t n_events;
} SnapshotInstance;

typedef struct SnapshotProbe {
        char name[SNAPSHOT_NAME_MAX];
        char kind[8];                     /* "http", "promql", "exec", "file" */
        bool up;
        uint64_t runs;
        uint64_t last_latency_usec;
        ProbeFailure last_failure;
        char last_detail[160];
        uint64_t failures[_PROBE_FAILURE_MAX];
        bool valued;                      /* a file probe: value (UP while 0) */
        int64_t value;
} SnapshotProbe;

typedef struct SnapshotSocket {
        char interface[16];
        int family;
        uint64_t received;
        uint64_t drops[_VRRP_DROP_MAX];   /* drops before the VRID was known */
} SnapshotSocket;

typedef struct SnapshotSyncGroup {
        char name[SNAPSHOT_NAME_MAX];
        VrrpState state;                  /* vrrp-sync.h's group state */
        char (*instances)[SNAPSHOT_NAME_MAX];
        size_t n_instances;
} SnapshotSyncGroup;

typedef struct Snapshot {
        char router_id[SNAPSHOT_NAME_MAX];
        char version[32];
        uint64_t start_realtime_usec;
        uint64_t reloads, reload_failures;
        uint64_t last_reload_realtime_usec; /* 0: never */
        int realtime_priority;              /* SCHED_RR priority in effect; 0: off */
        bool memory_locked;                 /* mlockall() in effect */
        uint64_t now_realtime_usec;         /* when it was taken */
        unsigned event_history;             /* events kept per instance */
        SnapshotInstance *instances;
        size_t n_instances;
        SnapshotProbe *probes;
        size_t n_probes;
        SnapshotSocket *sockets;
        size_t n_sockets;
        SnapshotSyncGroup *sync_groups;
        size_t n_sync_groups;
} Snapshot;

void snapshot_clear(Snapshot *s);
