#include "vrrp/vrrp-fsm.h"

#define USEC_PER_CS 10000ULL

static const char *const state_names[_VRRP_STATE_MAX] = {
        [VRRP_STATE_INIT] = "INIT",
        [VRRP_STATE_BACKUP] = "BACKUP",
        [VRRP_STATE_MASTER] = "MASTER",
        [VRRP_STATE_FAULT] = "FAULT",
        [VRRP_STATE_STOP] = "STOP",
};

const char *vrrp_state_to_string(VrrpState s) {
        return s < _VRRP_STATE_MAX ? state_names[s] : "UNKNOWN";
}

const char *vrrp_handover_to_string(VrrpHandover h) {
        static const char *const names[_VRRP_HANDOVER_MAX] = {
                [VRRP_HANDOVER_NONE] = "none",
                [VRRP_HANDOVER_STOP] = "stop",
                [VRRP_HANDOVER_RELEASE] = "release",
        };
        return h < _VRRP_HANDOVER_MAX ? names[h] : "unknown";
}

uint64_t vrrp_skew_time_us(uint8_t version, uint8_t priority, uint16_t master_adver_int_cs) {
        if (version == 2) /* RFC 3768: (256 - Priority) / 256 seconds */
                return (256ULL - priority) * 1000000ULL / 256;
        /* RFC 5798: ((256 - Priority) * Master_Adver_Interval) / 256 centiseconds */
        return (256ULL - priority) * master_adver_int_cs / 256 * USEC_PER_CS;
}

uint64_t vrrp_master_down_us(uint8_t version, uint8_t priority, uint16_t master_adver_int_cs) {
        return 3ULL * master_adver_int_cs * USEC_PER_CS +
               vrrp_skew_time_us(version, priority, master_adver_int_cs);
}

uint64_t vrrp_timer_accuracy_us(uint16_t adver_int_cs) {
        uint64_t us = adver_int_cs * USEC_PER_CS / 1000;

        return us < 10 ? 10 : us > 1000 ? 1000 : us;
}

void vrrp_fsm_init(VrrpFsm *f, const VrrpFsmParams *params, const IpAddr *primary) {
        *f = (VrrpFsm) {
                .params = *params,
                .state = VRRP_STATE_INIT,
                .priority = params->priority,
                .master_adver_int_cs = params->adver_int_cs,
                .primary = *primary,
        };
}

void vrrp_fsm_set_primary(VrrpFsm *f, const IpAddr *primary) {
        f->primary = *primary;
}

void vrrp_fsm_update_params(VrrpFsm *f, const VrrpFsmParams *params, uint64_t now) {
        f->params = *params;
        if (!params->sync_group)
                f->wants_master = false;
        if (params->version == 3 && f->master_known)
                return;
        f->master_adver_int_cs = params->adver_int_cs;
        if (f->state == VRRP_STATE_BACKUP && f->timer_at != 0 && f->preempt_at == 0)
                f->timer_at = now + vrrp_master_down_us(params->version, f->priority, f->master_adver_int_cs);
}

static void set_state(VrrpFsm *f, VrrpActions *a, VrrpState s, const char *reason) {
        f->state = s;
        a->new_state = s;
        a->reason = reason;
        f->preempt_at = 0;
        f->answered_at = 0;
        f->handover = VRRP_HANDOVER_NONE;
        f->handover_deadline = 0;
        f->wants_master = false;
        if (s != VRRP_STATE_BACKUP)
                f->master_known = false;
}

static uint64_t adver_int_us(const VrrpFsm *f) {
        return f->params.adver_int_cs * USEC_PER_CS;
}

/* A master's next periodic advert: the last multiple of the interval (on
 * the monotonic clock) within one interval from now. The routers of a host
 * with the same interval then send in one wake-up of the loop, and their
 * backups read the adverts in a few; a late wake-up does not shift the
 * rhythm. The gap is never longer than the interval (after an advert off
 * the grid, when becoming master or answering, it is shorter once). */
static uint64_t next_advert_at(const VrrpFsm *f, uint64_t now) {
        uint64_t step = adver_int_us(f);

        return (now + step) / step * step;
}

static void become_master(VrrpFsm *f, uint64_t now, VrrpActions *a, const char *reason) {
        a->flags |= VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE;
        f->timer_at = next_advert_at(f, now);
        f->released = false;
        set_state(f, a, VRRP_STATE_MASTER, reason);
}

static void arm_master_down(VrrpFsm *f, uint64_t now) {
        f->timer_at = now + vrrp_master_down_us(f->params.version, f->priority, f->master_adver_int_cs);
}

/* A backup that would take over. In a sync group it only wants to, and
 * its group decides (VRRP_EV_SYNC_MASTER); meanwhile the Master_Down_Timer
 * runs again, if `rearm`, and says it again when it runs out. */
static void backup_to_master(VrrpFsm *f, uint64_t now, VrrpActions *a, const char *reason, bool rearm) {
        if (!f->params.sync_group) {
                become_master(f, now, a, reason);
                return;
        }
        f->wants_master = true;
        a->flags |= VRRP_ACT_WANT_MASTER;
        if (rearm)
                arm_master_down(f, now);
}

static void become_backup(VrrpFsm *f, uint64_t now, VrrpActions *a, const char *reason) {
        arm_master_down(f, now);
        set_state(f, a, VRRP_STATE_BACKUP, reason);
}

/* RFC 5798 6.4.1, also used when a fault clears. */
static void start(VrrpFsm *f, uint64_t now, VrrpActions *a, const char *reason) {
        if (f->fault) {
                f->timer_at = 0;
                set_state(f, a, VRRP_STATE_FAULT, "fault at start");
                return;
        }
        if (f->priority == 255) {
                become_master(f, now, a, "address owner (priority 255)");
                return;
        }
        f->master_adver_int_cs = f->params.adver_int_cs;
        become_backup(f, now, a, reason);
}

/* Accept the sender as master: learn its interval (v3) and restart the
 * Master_Down_Timer. */
static void follow_master(VrrpFsm *f, const VrrpEvent *ev, uint64_t now) {
        if (f->params.version == 3)
                f->master_adver_int_cs = ev->adver_int_cs;
        f->master_known = true;
        f->master = ev->src;
        f->wants_master = false;
        arm_master_down(f, now);
}

/* RFC 5798 6.4.2, with keepalived's preempt_delay: a lower-priority master
 * is tolerated until preempt_delay after it was first seen. With rapid
 * preemption, it is preempted then (or at once) instead of when the
 * Master_Down_Timer runs out. A released backup does not preempt. */
static void backup_advert(VrrpFsm *f, const VrrpEvent *ev, uint64_t now, VrrpActions *a) {
        bool rapid = f->params.rapid_preemption;

        if (ev->priority == 0) {
                f->master_known = false;
                f->timer_at = now + vrrp_skew_time_us(f->params.version, f->priority, f->master_adver_int_cs);
                return;
        }
        if (!f->params.preempt || f->released || ev->priority >= f->priority) {
                f->preempt_at = 0;
                follow_master(f, ev, now);
                return;
        }
        if (f->params.preempt_delay_us > 0) {
                if (f->preempt_at == 0)
                        f->preempt_at = now + f->params.preempt_delay_us;
                if (now < f->preempt_at) {
                        follow_master(f, ev, now);
                        if (rapid && f->preempt_at < f->timer_at)
                                f->timer_at = f->preempt_at;
                        return;
                }
        }
        if (rapid)
                backup_to_master(f, now, a, "rapid preemption: the master's priority is lower", false);
        /* else discard: the Master_Down_Timer will make us master */
}

/* An immediate answer to a received advert, at most once per interval
 * whatever asked for it: a stream of packets (forged, or from a router
 * that cannot hear us) must not turn into a stream of answers. */
static bool answer_now(VrrpFsm *f, uint64_t now) {
        if (f->answered_at != 0 && now < f->answered_at + adver_int_us(f))
                return false;
        f->answered_at = now;
        f->timer_at = next_advert_at(f, now);
        return true;
}

/* RFC 5798 6.4.3. */
static void master_advert(VrrpFsm *f, const VrrpEvent *ev, uint64_t now, VrrpActions *a) {
        if (ev->priority == 0) {
                if (answer_now(f, now))
                        a->flags |= VRRP_ACT_SEND_ADVERT;
                return;
        }
        if (ev->priority > f->priority ||
            (ev->priority == f->priority && ip_addr_compare(&ev->src, &f->primary) > 0)) {
                a->flags |= VRRP_ACT_DEL_VIPS;
                follow_master(f, ev, now);
                set_state(f, a, VRRP_STATE_BACKUP,
                          ev->priority > f->priority ? "higher priority master"
                                                     : "master with equal priority and higher address");
                return;
        }
        /* Another master that did not hear us: stay, and tell the segment
         * (and the other master) again at once. */
        a->flags |= VRRP_ACT_SPLIT_BRAIN;
        if (answer_now(f, now))
                a->flags |= VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE;
}

/* A master has said priority 0 and waits for a new master, whatever its
 * priority: the first advertisement of one ends the hand-over. */
static void handover_advert(VrrpFsm *f, const VrrpEvent *ev, uint64_t now, VrrpActions *a) {
        if (ev->priority == 0)
                return;
        a->flags |= VRRP_ACT_DEL_VIPS;
        if (f->handover == VRRP_HANDOVER_STOP) {
                f->timer_at = 0;
                set_state(f, a, VRRP_STATE_STOP, "handed over to the new master");
                return;
        }
        follow_master(f, ev, now);
        set_state(f, a, VRRP_STATE_BACKUP, "released to the new master");
        f->released = true;
}

/* Priority 0 again every Advertisement_Interval (one may be lost), until the
 * new master is heard or the deadline: then a stop goes ahead without it and
 * a release is given up. */
static void handover_timer(VrrpFsm *f, uint64_t now, VrrpActions *a) {
        if (now < f->handover_deadline) {
                a->flags |= VRRP_ACT_SEND_STOP;
                f->timer_at = now + adver_int_us(f);
                if (f->timer_at > f->handover_deadline)
                        f->timer_at = f->handover_deadline;
                return;
        }
        if (f->handover == VRRP_HANDOVER_STOP) {
                a->flags |= VRRP_ACT_DEL_VIPS;
                f->timer_at = 0;
                set_state(f, a, VRRP_STATE_STOP, "no new master within Master_Down_Interval");
                return;
        }
        a->flags |= VRRP_ACT_RELEASE_FAILED | VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE;
        f->handover = VRRP_HANDOVER_NONE;
        f->handover_deadline = 0;
        f->timer_at = next_advert_at(f, now);
}

static void begin_handover(VrrpFsm *f, VrrpHandover h, uint64_t now, VrrpActions *a) {
        a->flags |= VRRP_ACT_SEND_STOP | VRRP_ACT_HANDOVER;
        f->handover = h;
        f->handover_deadline = now + vrrp_master_down_us(f->params.version, f->priority, f->params.adver_int_cs);
        f->timer_at = now + adver_int_us(f);
        if (f->timer_at > f->handover_deadline)
                f->timer_at = f->handover_deadline;
}

static void leave(VrrpFsm *f, VrrpActions *a, VrrpState s, const char *reason) {
        if (f->state == VRRP_STATE_MASTER)
                a->flags |= VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS;
        /* A stop that was handing over ends in STOP whatever cut it short. */
        if (f->handover == VRRP_HANDOVER_STOP)
                s = VRRP_STATE_STOP;
        f->timer_at = 0;
        set_state(f, a, s, reason);
}

static void shutdown_or_handover(VrrpFsm *f, uint64_t now, VrrpActions *a) {
        if (f->state == VRRP_STATE_MASTER && f->handover != VRRP_HANDOVER_STOP)
                begin_handover(f, VRRP_HANDOVER_STOP, now, a);
        else
                leave(f, a, VRRP_STATE_STOP, f->handover == VRRP_HANDOVER_STOP ? "shutdown, at once" : "shutdown");
}

void vrrp_fsm_handle(VrrpFsm *f, const VrrpEvent *ev, uint64_t now, VrrpActions *ret) {
        *ret = (VrrpActions) { .old_state = f->state, .new_state = f->state };
        if (f->state == VRRP_STATE_STOP)
                return;

        switch (ev->type) {
        case VRRP_EV_STARTUP:
                if (f->state == VRRP_STATE_INIT) {
                        start(f, now, ret, "start");
                        /* VIPs a crashed predecessor left behind. */
                        if (f->state != VRRP_STATE_MASTER)
                                ret->flags |= VRRP_ACT_DEL_VIPS;
                }
                break;
        case VRRP_EV_SHUTDOWN:
                shutdown_or_handover(f, now, ret);
                break;
        case VRRP_EV_RELEASE:
                if (f->state == VRRP_STATE_MASTER && f->handover == VRRP_HANDOVER_NONE)
                        begin_handover(f, VRRP_HANDOVER_RELEASE, now, ret);
                break;
        case VRRP_EV_ADVERT:
                if (f->state == VRRP_STATE_BACKUP)
                        backup_advert(f, ev, now, ret);
                else if (f->state == VRRP_STATE_MASTER && f->handover != VRRP_HANDOVER_NONE)
                        handover_advert(f, ev, now, ret);
                else if (f->state == VRRP_STATE_MASTER)
                        master_advert(f, ev, now, ret);
                break;
        case VRRP_EV_TIMER:
                if (f->timer_at == 0 || now < f->timer_at)
                        break;
                if (f->state == VRRP_STATE_BACKUP)
                        backup_to_master(f, now, ret,
                                         f->params.rapid_preemption && f->preempt_at && now >= f->preempt_at
                                                 ? "rapid preemption after preempt_delay"
                                                 : "master down timer expired",
                                         true);
                else if (f->state == VRRP_STATE_MASTER && f->handover != VRRP_HANDOVER_NONE)
                        handover_timer(f, now, ret);
                else if (f->state == VRRP_STATE_MASTER) {
                        ret->flags |= VRRP_ACT_SEND_ADVERT;
                        f->timer_at = next_advert_at(f, now);
                }
                break;
        case VRRP_EV_PRIORITY:
                /* A master says a new priority at once (a backup with rapid
                 * preemption acts on it); a backup's Skew_Time follows from
                 * it at the next restart of its timer. */
                if (f->priority == ev->priority)
                        break;
                f->priority = ev->priority;
                if (f->state == VRRP_STATE_MASTER && f->handover == VRRP_HANDOVER_NONE) {
                        ret->flags |= VRRP_ACT_SEND_ADVERT;
                        f->timer_at = next_advert_at(f, now);
                }
                break;
        case VRRP_EV_FAULT:
                f->fault = true;
                if (f->state == VRRP_STATE_BACKUP || f->state == VRRP_STATE_MASTER)
                        leave(f, ret, VRRP_STATE_FAULT, ev->reason ? ev->reason : "fault");
                break;
        case VRRP_EV_FAULT_CLEARED:
                f->fault = false;
                if (f->state == VRRP_STATE_FAULT) {
                        start(f, now, ret, "fault cleared");
                        /* VIPs left on an interface that went away and came back. */
                        if (f->state != VRRP_STATE_MASTER)
                                ret->flags |= VRRP_ACT_DEL_VIPS;
                }
                break;
        case VRRP_EV_SYNC_MASTER:
                if (f->state == VRRP_STATE_BACKUP)
                        become_master(f, now, ret, ev->reason ? ev->reason : "sync group");
                break;
        case VRRP_EV_SYNC_BACKUP:
                if (f->state == VRRP_STATE_MASTER && f->handover == VRRP_HANDOVER_NONE) {
                        ret->flags |= VRRP_ACT_DEL_VIPS;
                        become_backup(f, now, ret, ev->reason ? ev->reason : "sync group");
                }
                break;
        }
}
