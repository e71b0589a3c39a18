/* What an instance's sync group sees of it and does to it (sync-groups.c
 * decides; vrrp-sync.h has the rules). */
#include <stdio.h>
#include <syslog.h>

#include "daemon/instance-internal.h"

bool instance_own_fault(const Instance *i) {
        return i->own_fault;
}

bool instance_wants_master(const Instance *i) {
        return i->fsm.state == VRRP_STATE_BACKUP && i->fsm.wants_master;
}

void instance_set_sync_fault(Instance *i, const char *group, const char *why) {
        if (i->fsm.state == VRRP_STATE_STOP || (!why && !i->sync_fault))
                return;
        if (why) {
                if (i->sync_fault)
                        return; /* faulted by the group already */
                snprintf(i->sync_fault_reason, sizeof(i->sync_fault_reason), "sync group '%s' (%s)", group, why);
                i->sync_fault = i->sync_fault_reason;
        } else
                i->sync_fault = NULL;
        instance_update_fault(i);
}

void instance_sync_goto(Instance *i, const char *group, VrrpState s) {
        if (s != VRRP_STATE_MASTER && s != VRRP_STATE_BACKUP)
                return;
        log_instance(i, LOG_INFO, "sync group '%s' goes %s", group, vrrp_state_to_string(s));
        instance_handle(i, &(VrrpEvent) { .type = s == VRRP_STATE_MASTER ? VRRP_EV_SYNC_MASTER : VRRP_EV_SYNC_BACKUP,
                                          .reason = "sync group" });
}
