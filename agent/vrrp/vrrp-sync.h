/* Sync groups (keepalived's vrrp_sync_group): the instances of a group
 * change state together. Pure: given the members' states and what one of
 * them just did, which of the others must move.
 *
 * - FAULT is a level: while any member has a fault of its own (link, probe,
 *   VIPs), every member is FAULT; when the last one clears, all start again
 *   as BACKUP (keepalived's num_member_fault).
 * - A member that becomes MASTER pulls the BACKUP members to MASTER.
 * - A member that goes from MASTER to BACKUP pushes the MASTER members to
 *   BACKUP (without priority 0: the other host's group takes over).
 * - A BACKUP member never becomes master by itself (VrrpFsmParams.sync_group):
 *   it wants to, and the group goes MASTER only when every member is MASTER
 *   or wants to be (keepalived's vrrp_sync_can_goto_master(): prefer BACKUP
 *   to avoid thrashing).
 * - A member joining (INIT or FAULT to BACKUP) while another is MASTER is
 *   pulled to MASTER. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vrrp/vrrp-fsm.h"

typedef struct VrrpSyncMember {
        VrrpState state;
        bool fault;        /* a fault of its own, not the one the group imposes */
        bool wants_master; /* VrrpFsm.wants_master */
} VrrpSyncMember;

typedef enum VrrpSyncAction {
        VRRP_SYNC_KEEP,
        VRRP_SYNC_TO_MASTER, /* VRRP_EV_SYNC_MASTER */
        VRRP_SYNC_TO_BACKUP, /* VRRP_EV_SYNC_BACKUP */
} VrrpSyncAction;

/* Whether the group is FAULT: a member has a fault of its own. */
bool vrrp_sync_faulted(const VrrpSyncMember *m, size_t n);

/* Member k went from old_state to m[k].state (equal states: it now wants
 * to be master, VRRP_ACT_WANT_MASTER). Sets actions[0..n-1] (actions[k]
 * included: a wanting member is moved with the others) and returns how many
 * members move. */
size_t vrrp_sync_decide(const VrrpSyncMember *m, size_t n, size_t k, VrrpState old_state, VrrpSyncAction *actions);

/* The group's state, for its hooks and /status: STOP when every member
 * is, else FAULT when faulted or a member is FAULT, else MASTER when a
 * member is, else INIT when a member is, else BACKUP. */
VrrpState vrrp_sync_group_state(const VrrpSyncMember *m, size_t n);
