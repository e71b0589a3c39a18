/* Notify hooks of one instance (keepalived's notify_master, notify_backup,
 * notify_fault, notify_stop and notify): run on the event loop, one at a
 * time and in transition order, each cut at a timeout (SIGTERM, then
 * SIGKILL). Hooks that have not started yet when a newer transition comes
 * are dropped (counted, logged): at most one transition's hooks wait behind
 * the running one, which is never interrupted, and the last state's hooks
 * always run. They run as the script user with a clean environment:
 *   PROMVIP_INSTANCE, PROMVIP_STATE, PROMVIP_PREVIOUS_STATE,
 *   PROMVIP_PRIORITY, PROMVIP_VRID, PROMVIP_VIPS (space-separated)
 * plus PATH, LANG, HOME, USER and LOGNAME. The `any` hook also gets
 * keepalived's arguments: INSTANCE <name> <STATE> <priority>. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "child/child.h"
#include "conf/conf.h"
#include "vrrp/vrrp-fsm.h"

typedef struct HookQueue HookQueue;

/* Hooks queued or running per instance: the running one and one
 * transition's two. Coalescing keeps to it; the cap is a safety net. */
#define HOOK_QUEUE_MAX 3

typedef struct HookCounters {
        uint64_t runs;          /* hooks that ran to an end (any outcome) */
        uint64_t failures;      /* exit status not 0, killed, timed out, or could not start */
        uint64_t refused;       /* not run: insecure script or missing user */
        uint64_t dropped;       /* not run: still waiting when a newer transition came */
        uint64_t last_duration_usec;
} HookCounters;

int hook_queue_new(HookQueue **ret, sd_event *event, const char *instance);
/* A sync group's queue: logs as "sync group '<name>'" with PROMVIP_SYNC_GROUP. */
int hook_queue_new_group(HookQueue **ret, sd_event *event, const char *group);
/* Kills a running hook (SIGKILL) and drops the queue. */
HookQueue *hook_queue_free(HookQueue *q);

/* Queues the hooks of one transition: the one for the new state (master,
 * backup, fault or stop) and then `any`, if configured, after dropping the
 * hooks of earlier transitions that have not started. Everything the run
 * needs (argv, environment, and a reference to the user) is taken now, so a
 * reload meanwhile changes nothing queued. States other than BACKUP, MASTER, FAULT and STOP
 * run no hook (but still supersede what waits). */
void hook_queue_transition(HookQueue *q, const InstanceConfig *cfg, ChildUser *user, VrrpState old_state,
                           VrrpState new_state, uint8_t priority);

/* A sync group's transition, as above: its hooks get PROMVIP_SYNC_GROUP,
 * PROMVIP_STATE, PROMVIP_PREVIOUS_STATE and PROMVIP_INSTANCES (the member
 * names, space-separated); `any` gets keepalived's GROUP <name> <STATE> 0. */
void hook_queue_group_transition(HookQueue *q, const SyncGroupConfig *g, const char *members, ChildUser *user,
                                 VrrpState old_state, VrrpState new_state);

/* Told each hook's end: `hook` master, backup, fault, stop or any;
 * `result` ok, failed, timeout, refused or dropped; `detail` (e.g. "exit
 * status 3") or NULL. Called from the loop, never from inside
 * hook_queue_transition() except for drops. */
typedef void (*HookObserver)(void *userdata, const char *hook, const char *result, const char *detail);
void hook_queue_set_observer(HookQueue *q, HookObserver observer, void *userdata);

const HookCounters *hook_queue_counters(const HookQueue *q);
/* Hooks queued or running. */
size_t hook_queue_pending(const HookQueue *q);
