/* One virtual router: runs its state machine (vrrp-fsm) against the world.
 * It sends advertisements on its interface's VRRP socket, adds and removes
 * its VIPs through netlink, announces them, keeps its one timer on the
 * event loop, watches its link, and counts everything for the metrics. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "child/child.h"
#include "conf/conf.h"
#include "daemon/announcer.h"
#include "daemon/netlink.h"
#include "daemon/vrrp-socket.h"
#include "endpoint/event-log.h"
#include "endpoint/snapshot.h"
#include "probe/probes.h"
#include "shared/addr.h"
#include "vrrp/vrrp-fsm.h"
#include "vrrp/vrrp-packet.h"

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
        /* Its state changed from old_state, it wants to be master (a sync
         * group member), or its own fault began or ended: for its sync
         * group (sync-groups.h); optional. */
        void (*sync_changed)(void *userdata, Instance *i, VrrpState old_state);
        void *userdata;
        /* The daemon-wide event sequence number, and how many events each
         * instance keeps (global.event_history). */
        uint64_t *event_seq;
        size_t event_history;
        /* Set while the dispatch running now did work of unbounded length
         * before calling in (a reload loads the configuration and looks up
         * the script user): the loop's wake-up time can be older than a
         * Master_Down_Interval, so deadlines are taken from the clock. */
        bool long_dispatch;
} InstanceEnv;

int instance_new(Instance **ret, const InstanceEnv *env, const InstanceConfig *cfg);
Instance *instance_free(Instance *i);

/* The settings it runs with, pointing into a Config that the caller keeps. */
const InstanceConfig *instance_config(const Instance *i);
/* Points it at cfg, its settings unchanged in a new Config (a reload,
 * conf_instance_equal()); instance_update() takes changed ones. 0, or
 * -ENOMEM with nothing changed. */
int instance_set_config(Instance *i, const InstanceConfig *cfg);
/* The VRRP socket it sends and receives on, NULL without a usable link. */
VrrpSocket *instance_socket(const Instance *i);
VrrpState instance_state(const Instance *i);

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
/* Runs the instance's timer if it was due by `now` (the loop's wake-up
 * time): the routers of a host with one interval are served by the first
 * timer that fires, with one pass of the loop instead of one per router. */
void instance_run_due_timer(Instance *i, uint64_t now);

/* An advertisement for our VRID arrived on our socket. */
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

/* ---- instance-sync.c: what its sync group sees and does ---- */

/* A fault of its own (link, probe, VIPs, timer), not one its group imposed. */
bool instance_own_fault(const Instance *i);
/* A BACKUP in a sync group that would be master (VrrpFsm.wants_master). */
bool instance_wants_master(const Instance *i);
/* The group's fault: FAULT while `why` is set ("instance 'x': ..."), the
 * instance's own faults aside; NULL ends it. */
void instance_set_sync_fault(Instance *i, const char *group, const char *why);
/* Its group moves it: MASTER (from BACKUP) or BACKUP (from MASTER, no
 * priority 0). */
void instance_sync_goto(Instance *i, const char *group, VrrpState s);

/* ---- instance-events.c: its event history ---- */

EventLog *instance_events(const Instance *i);
/* Takes over another (replaced) instance's history: shares l, resized to
 * the environment's event_history. 0 or -ENOMEM. */
int instance_set_events(Instance *i, EventLog *l);
/* Applies the environment's event_history (a reload): oldest dropped. */
int instance_events_resize(Instance *i);
/* Records a reload that kept it, changed it or created it. */
void instance_event_reload(Instance *i, const char *detail);
/* How a hook of its sync group `group` ended (sync-groups.c records it in
 * every member; arguments as HookObserver's). */
void instance_event_group_hook(Instance *i, const char *group, const char *hook, const char *result,
                               const char *detail);

/* Fills o with its settings, state and counters (/status, /metrics), and
 * its event history when `with_events` (/status, /events);
 * 0 or -ENOMEM (what o holds so far is freed with its Snapshot). */
int instance_snapshot(const Instance *i, bool with_events, SnapshotInstance *o);
/* One log line with the state and every counter (SIGUSR1). */
void instance_dump(const Instance *i);
