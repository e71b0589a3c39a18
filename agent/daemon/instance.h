/* One virtual router: runs its state machine (vrrp-fsm) against the world.
 * It sends advertisements on its interface's VRRP socket, adds and removes
 * its VIPs through netlink, announces them, keeps its one timer on the
 * event loop, watches its link, and counts everything for the metrics. */
#pragma once

#include <systemd/sd-event.h>

#include "vrrp/announce.h"
#include "conf/conf.h"
#include "daemon/hooks.h"
#include "shared/lateness.h"
#include "daemon/netlink.h"
#include "probe/priority.h"
#include "probe/probes.h"
#include "vrrp/vrrp-filter.h"
#include "vrrp/vrrp-fsm.h"
#include "daemon/vrrp-socket.h"

typedef struct Instance Instance;

typedef struct InstanceEnv {
        sd_event *event;
        Netlink *netlink;
        Announcer *announcer;
        const Probes *probes;
        ChildUser *script_user;  /* hooks run as this user */
        /* The shared VRRP socket for an interface and family, opened on demand. */
        VrrpSocket *(*socket_for)(void *userdata, const char *ifname, int ifindex, int family);
        /* Whether another instance of ours holds the VIP on ifindex as
         * master (one retired by a reload, still handing over); optional. */
        bool (*vip_held_elsewhere)(void *userdata, const Instance *self, int ifindex, const IpPrefix *vip);
        /* Called after an instance's timer ran: runs the other instances'
         * timers due by `now` (instance_run_due_timer()) in the same
         * dispatch; optional. */
        void (*timers_due)(void *userdata, uint64_t now);
        void *userdata;
} InstanceEnv;

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
        const char *probe_fault; /* a tracked weight-0 probe that is DOWN, or NULL */
        bool faulted;            /* what the state machine was last told */
        VrrpSocket *sock;  /* borrowed from the environment */
        sd_event_source *timer;  /* the state machine's; enabled ON */
        bool timer_on;
        uint64_t timer_armed_at; /* pending at this time; 0: nothing pending */
        sd_event_source *announce_timer;
        HookQueue *hooks;
        TrackState *track_states; /* room for the config's tracks, see tracked_priority() */
        size_t n_track_states;
        unsigned announce_rounds_left;
        bool announce_second_burst;
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
};

int instance_new(Instance **ret, const InstanceEnv *env, const InstanceConfig *cfg);
Instance *instance_free(Instance *i);

/* Looks at the link and starts (INIT -> BACKUP, MASTER or FAULT). */
void instance_start(Instance *i);
/* Orderly stop. A master hands over: it sends priority 0 and keeps its VIPs
 * until a new master is heard (at most its Master_Down_Interval), then
 * releases them and stops; called again meanwhile, it stops at once. Other
 * states stop at once. */
void instance_stop(Instance *i);
/* A master hands over as for a stop, then stays BACKUP (no preemption)
 * until it becomes master again. 0, -ENOTCONN when not MASTER, or
 * -EALREADY when a hand-over is already going on. */
int instance_release(Instance *i);
/* In STOP: its hand-over, if any, is over. */
bool instance_stopped(const Instance *i);
/* The longest a hand-over of this instance can take. */
uint64_t instance_handover_max_usec(const Instance *i);

/* Takes new settings of the same virtual router (conf_instance_same_router)
 * without a restart: state and timers stay; a master adds and removes only
 * the VIPs that changed; a master advertises a new effective priority at
 * once. 0, or -ENOMEM with nothing changed. */
int instance_update(Instance *i, const InstanceConfig *cfg);

/* Re-reads the link, its state and our source address from the netlink
 * caches; enters or leaves FAULT as needed. */
void instance_refresh(Instance *i);
/* Some probe changed between UP and DOWN: recompute the effective priority
 * and the probe fault. */
void instance_probes_changed(Instance *i);
/* An advertisement for our VRID arrived on our socket. */
/* Runs the instance's timer if it was due by `now` (the loop's wake-up
 * time): the routers of a host with one interval are served by the first
 * timer that fires, with one pass of the loop instead of one per router. */
void instance_run_due_timer(Instance *i, uint64_t now);

void instance_receive(Instance *i, const VrrpPktCtx *ctx, const VrrpAdvert *adv);
/* An address went away from an interface: a VIP of a master comes back. */
void instance_addr_removed(Instance *i, int ifindex, const IpPrefix *addr);

/* After lost netlink notifications: refresh, and a master puts back any VIP
 * that went missing meanwhile. */
void instance_resync(Instance *i);

/* Hooks queued or running (a stopped instance waits for its stop hook). */
size_t instance_hooks_pending(const Instance *i);

/* Whether it is MASTER and holds this VIP on interface ifindex. */
bool instance_holds_vip(const Instance *i, int ifindex, const IpPrefix *vip);

/* The current master's address: ours when MASTER, else the one we follow. */
bool instance_master(const Instance *i, IpAddr *ret);

/* One log line with the state and every counter (SIGUSR1). */
void instance_dump(const Instance *i);
