/* What instance.c, instance-vips.c and instance-snapshot.c share: the
 * instance itself; not for other modules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "daemon/hooks.h"
#include "daemon/instance.h"
#include "endpoint/event-log.h"
#include "probe/priority.h"
#include "shared/lateness.h"
#include "shared/macro.h"
#include "vrrp/announce-schedule.h"
#include "vrrp/vrrp-filter.h"
#include "vrrp/vrrp-fsm.h"

typedef struct InstanceCounters {
        uint64_t adverts_sent;
        uint64_t adverts_received;
        uint64_t transitions;
        uint64_t split_brain;
        uint64_t split_brain_answers; /* answered: at most one per advertisement interval */
        uint64_t send_errors;
        uint64_t rfc9568_checksums; /* v3 IPv4 adverts whose checksum left out the pseudo-header */
        uint64_t drops[_VRRP_DROP_MAX];
        uint64_t state_changes[_VRRP_STATE_MAX][_VRRP_STATE_MAX]; /* [from][to] */
        uint64_t master_changes;     /* the master we see (us or a peer) changed */
        uint64_t last_transition_realtime_usec;
        VrrpState last_transition_from;
        uint64_t vip_add_failures;    /* the kernel refused to add a VIP */
        uint64_t vip_remove_failures; /* ... or to remove one */
        Lateness advert_lateness;     /* MASTER: how late the advert timer fired */
} InstanceCounters;

/* A master that cannot hold its VIPs: FAULT for a while (see instance-vips.c). */
typedef enum InstanceVipFault {
        INSTANCE_VIP_FAULT_NONE,
        INSTANCE_VIP_FAULT_ENTERING, /* an add failed; the fault begins from the loop */
        INSTANCE_VIP_FAULT_ACTIVE,   /* until vip_fault_timer */
} InstanceVipFault;

struct Instance {
        const InstanceConfig *cfg;
        const InstanceEnv *env;
        VrrpFsm fsm;
        int ifindex;       /* 0: the interface does not exist */
        bool link_up;
        bool have_source;
        IpAddr source;     /* sender address of our advertisements */
        const char *link_fault;  /* why the interface is unusable, or NULL */
        const char *track_fault; /* why a track faults (track_fault_text), or NULL */
        char track_fault_text[160];
        const char *timer_fault; /* the VRRP timer could not be armed, or NULL */
        bool faulted;            /* what the state machine was last told */
        bool own_fault;          /* link, probe, VIP or timer fault: what its sync group was told */
        const char *sync_fault;  /* its sync group's fault (sync_fault_reason), or NULL */
        char sync_fault_reason[CONF_NAME_MAX * 2 + 64];
        VrrpSocket *sock;  /* borrowed from the environment */
        sd_event_source *timer;  /* the state machine's; enabled ON */
        bool timer_on;
        uint64_t timer_armed_at; /* pending at this time; 0: nothing pending */
        sd_event_source *announce_timer;
        HookQueue *hooks;
        TrackState *track_states; /* probes, then interfaces: see instance-track.c */
        size_t n_track_states;
        bool track_states_known;  /* they hold the last computation (for the log of changes) */
        AnnounceSchedule announce;
        InstanceVipFault vip_fault;
        char vip_fault_reason[160];
        sd_event_source *vip_fault_timer; /* enters, then ends the VIP fault */
        uint64_t vip_fault_usec;          /* how long the next VIP fault lasts */
        sd_event_source *vip_retry;       /* retries a removal that failed */
        uint64_t vip_retry_usec;
        uint64_t split_brain_logged_at;
        uint64_t self_peers_noticed; /* unicast peers found to be us, said once (bit k: peer k) */
        bool master_seen;
        IpAddr master_seen_addr;     /* for master_changes */
        InstanceCounters counters;
        EventLog *events;            /* its history, shared with the instance a reload replaces it by */
        EventAdvertMemo advert_memo; /* the advert priorities last recorded */
        char priority_cause[EVENT_TEXT_MAX]; /* what changed the last computed priority; "" unknown */
        char reload_cause[48];       /* during instance_update(): the cause when no track changed */
        bool last_advert_known;      /* BACKUP: the last advert heard since the last transition */
        IpAddr last_advert_from;
        uint8_t last_advert_priority;
};

/* sd-event's default accuracy (250 ms) would ruin failover timing. */
#define INSTANCE_TIMER_ACCURACY_USEC 100

/* Now on CLOCK_MONOTONIC: the loop's wake-up time, which its timers
 * compare deadlines against (the clock with InstanceEnv.long_dispatch). */
uint64_t instance_now(const Instance *i);
/* Arms a one-shot timer source of i at the absolute time `at`; 0 disarms
 * it. 0, or a negative errno, logged. */
int instance_arm(const Instance *i, sd_event_source *s, uint64_t at);
_printf_(3, 4) void log_instance(const Instance *i, int level, const char *fmt, ...);
/* As log_instance(), "%m" naming the error; returns -|error|. */
_printf_(4, 5) int log_instance_errno(const Instance *i, int level, int error, const char *fmt, ...);
/* The link, probe, VIP or sync group fault changed: tell the state machine. */
void instance_update_fault(Instance *i);
/* Runs one event through the state machine and acts on it. */
void instance_handle(Instance *i, const VrrpEvent *ev);

/* ---- instance-link.c: its interface, socket and sender address ---- */

/* What the instance runs on: its interface, VRRP socket and sender address. */
typedef struct InstanceLink {
        int ifindex; /* 0: the interface does not exist */
        bool up;
        VrrpSocket *sock;
        bool have_source;
        IpAddr source;
} InstanceLink;
/* Reads the link and our sender address; returns why we cannot run, or NULL. */
const char *instance_read_link(Instance *i, InstanceLink *l);
void instance_set_link(Instance *i, const InstanceLink *l);
/* A unicast peer that is an address of this host (one templated config
 * lists every host of the pair) is not sent to. */
bool instance_is_self_peer(const Instance *i, size_t k);
/* Logs each such peer once, when the addresses are read. */
void instance_notice_self_peers(Instance *i);

/* ---- instance-events.c: its event history ---- */

int instance_events_init(Instance *i);
void instance_events_done(Instance *i);
/* Stamps e (time, seq) and appends it. */
void instance_event_add(Instance *i, Event *e);
/* After the state machine handled ev (with our priority at the time):
 * the hand-over that began or ended, the transition and its reason. */
void instance_events_handled(Instance *i, const VrrpEvent *ev, const VrrpActions *a, VrrpHandover before,
                             uint8_t priority);
void instance_event_priority(Instance *i, uint8_t from, uint8_t to, const char *cause);
/* An advert sent (from NULL) or received, recorded when its priority changed. */
void instance_event_advert(Instance *i, const IpAddr *from, uint8_t priority); /* from NULL: sent */
void instance_event_master(Instance *i, const IpAddr *from, const IpAddr *to);
void instance_event_split_brain(Instance *i, const IpAddr *other, uint8_t priority, bool answered);
void instance_event_probe(Instance *i, const char *probe, bool was_up, bool up, const char *detail);
void instance_event_track_interface(Instance *i, const char *interface, bool up);
/* A HookObserver (hooks.h) with the instance as userdata. */
void instance_event_hook(void *userdata, const char *hook, const char *result, const char *detail);

/* ---- instance-track.c ---- */

/* Room for cfg's tracks, so that computing the priority never allocates. */
int instance_tracks_size(Instance *i, const InstanceConfig *cfg);
/* The effective priority from the tracked probes and interfaces; sets
 * track_fault. */
uint8_t instance_tracked_priority(Instance *i);
/* The tracked interfaces and why the instance faults, for /status. */
int instance_tracks_snapshot(const Instance *i, SnapshotInstance *o);

/* ---- instance-vips.c ---- */

/* Its timers; 0 or a negative errno. */
int instance_vips_init(Instance *i);
void instance_vips_done(Instance *i);
/* Adds (hold) or removes the VIPs on the interface. A VIP that cannot be
 * added makes the instance fault for a while (a peer takes over), one that
 * cannot be removed is retried; both with a backoff, counted. VIPs that
 * another instance of ours holds as master (one retired by a reload, still
 * handing over) are not removed. `at_start`: say which VIPs a previous run
 * left behind. */
void instance_vips_set(Instance *i, bool hold, bool at_start);
/* Gratuitous ARP / unsolicited NA bursts of a master (not while it hands
 * over: the new master's must win), and their end. */
void instance_vips_announce(Instance *i);
void instance_vips_announce_stop(Instance *i);
/* A master adds and removes only the VIPs that differ between `old` and
 * the current config (a reload). */
void instance_vips_update(Instance *i, const InstanceConfig *old);
