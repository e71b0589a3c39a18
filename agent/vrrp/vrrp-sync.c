#include "vrrp/vrrp-sync.h"

#include <stdint.h>

bool vrrp_sync_faulted(const VrrpSyncMember *m, size_t n) {
        for (size_t j = 0; j < n; j++)
                if (m[j].fault)
                        return true;
        return false;
}

static bool any_other_in(const VrrpSyncMember *m, size_t n, size_t k, VrrpState s) {
        for (size_t j = 0; j < n; j++)
                if (j != k && m[j].state == s)
                        return true;
        return false;
}

/* keepalived's vrrp_sync_can_goto_master(): every member is MASTER or
 * a BACKUP that wants to be. */
static bool all_want_master(const VrrpSyncMember *m, size_t n) {
        for (size_t j = 0; j < n; j++)
                if (m[j].state != VRRP_STATE_MASTER && !(m[j].state == VRRP_STATE_BACKUP && m[j].wants_master))
                        return false;
        return true;
}

/* Every member (but `except`) in state `from` gets `action`. */
static size_t move_all(const VrrpSyncMember *m, size_t n, size_t except, VrrpState from, VrrpSyncAction action,
                       VrrpSyncAction *actions) {
        size_t moved = 0;

        for (size_t j = 0; j < n; j++)
                if (j != except && m[j].state == from) {
                        actions[j] = action;
                        moved++;
                }
        return moved;
}

size_t vrrp_sync_decide(const VrrpSyncMember *m, size_t n, size_t k, VrrpState old_state, VrrpSyncAction *actions) {
        VrrpState s;

        for (size_t j = 0; j < n; j++)
                actions[j] = VRRP_SYNC_KEEP;
        if (k >= n || vrrp_sync_faulted(m, n))
                return 0;
        s = m[k].state;
        if (s == VRRP_STATE_MASTER && old_state != VRRP_STATE_MASTER)
                return move_all(m, n, k, VRRP_STATE_BACKUP, VRRP_SYNC_TO_MASTER, actions);
        if (s == VRRP_STATE_BACKUP && old_state == VRRP_STATE_MASTER)
                return move_all(m, n, k, VRRP_STATE_MASTER, VRRP_SYNC_TO_BACKUP, actions);
        if (s == VRRP_STATE_BACKUP && (old_state == VRRP_STATE_INIT || old_state == VRRP_STATE_FAULT) &&
            any_other_in(m, n, k, VRRP_STATE_MASTER)) {
                actions[k] = VRRP_SYNC_TO_MASTER;
                return 1;
        }
        if (s == VRRP_STATE_BACKUP && old_state == VRRP_STATE_BACKUP && m[k].wants_master && all_want_master(m, n))
                return move_all(m, n, SIZE_MAX, VRRP_STATE_BACKUP, VRRP_SYNC_TO_MASTER, actions);
        return 0;
}

VrrpState vrrp_sync_group_state(const VrrpSyncMember *m, size_t n) {
        bool all_stop = n > 0, fault = vrrp_sync_faulted(m, n), master = false, init = false;

        for (size_t j = 0; j < n; j++) {
                all_stop = all_stop && m[j].state == VRRP_STATE_STOP;
                fault = fault || m[j].state == VRRP_STATE_FAULT;
                master = master || m[j].state == VRRP_STATE_MASTER;
                init = init || m[j].state == VRRP_STATE_INIT;
        }
        if (all_stop)
                return VRRP_STATE_STOP;
        if (fault)
                return VRRP_STATE_FAULT;
        if (master)
                return VRRP_STATE_MASTER;
        if (init)
                return VRRP_STATE_INIT;
        return VRRP_STATE_BACKUP;
}
