/* The sync groups of a configuration (keepalived's vrrp_sync_group) over
 * the running instances: each member's transitions and faults come here
 * (InstanceEnv.sync_changed), vrrp-sync.h decides who else moves, and the
 * group runs its own hooks when its state changes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "daemon/instance.h"
#include "endpoint/snapshot.h"

typedef struct SyncGroups SyncGroups;

/* The groups of config over `instances` (members found by name). A group
 * of `old` with the same name hands its state and its hook queue (a hook
 * running goes on) over; instances in no group lose a group's fault.
 * env.event and env.script_user run the hooks. 0 or -ENOMEM. */
int sync_groups_new(SyncGroups **ret, const InstanceEnv *env, const Config *config, Instance *const *instances,
                    size_t n_instances, SyncGroups *old);
SyncGroups *sync_groups_free(SyncGroups *sgs);

/* Applies the groups' rules to the members as they are now (after a
 * reload or a start: faults, a member that is MASTER). */
void sync_groups_settle(SyncGroups *sgs);

/* InstanceEnv.sync_changed: i changed state from old_state, wants to be
 * master, or its own fault changed. */
void sync_groups_changed(SyncGroups *sgs, Instance *i, VrrpState old_state);

/* i was released (promvipctl release): the other masters of its group
 * are released too. Returns the longest hand-over among them (0: none). */
uint64_t sync_groups_release_peers(SyncGroups *sgs, const Instance *i);

/* The longest timeout of a group's hooks (a stop waits for them). */
uint64_t sync_groups_hook_timeout_usec(const SyncGroups *sgs);

/* One log line per group with its state and hook counters (SIGUSR1). */
void sync_groups_dump(const SyncGroups *sgs);

/* Group hooks queued or running. */
size_t sync_groups_hooks_pending(const SyncGroups *sgs);

/* Fills s->sync_groups; 0 or -ENOMEM. */
int sync_groups_snapshot(const SyncGroups *sgs, Snapshot *s);
