/* The VRRP state machine of RFC 5798 section 6.4 (and RFC 3768 for version
 * 2), plus keepalived's FAULT state and a final STOP state.
 *
 * Pure: the caller passes "now" (CLOCK_MONOTONIC, microseconds) and one
 * event at a time; the machine updates its RFC variables and returns what
 * to do (send, add/remove VIPs, announce) and the new state. It has one
 * timer deadline (`timer_at`), which is the Adver_Timer in MASTER and the
 * Master_Down_Timer in BACKUP (or the end of preempt_delay with rapid
 * preemption, or the next priority-0 advert of a hand-over); the caller arms it and reports its expiry
 * with VRRP_EV_TIMER. No I/O, no clock reads, no logging. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/addr.h"

typedef enum VrrpState {
        VRRP_STATE_INIT,
        VRRP_STATE_BACKUP,
        VRRP_STATE_MASTER,
        VRRP_STATE_FAULT,
        VRRP_STATE_STOP,
        _VRRP_STATE_MAX,
} VrrpState;

typedef enum VrrpEventType {
        VRRP_EV_STARTUP,       /* leave INIT */
        VRRP_EV_SHUTDOWN,      /* stop for good; a master hands over first, unless already doing so */
        VRRP_EV_ADVERT,        /* a valid advertisement for this virtual router */
        VRRP_EV_TIMER,         /* timer_at was reached */
        VRRP_EV_PRIORITY,      /* the effective priority changed */
        VRRP_EV_FAULT,         /* a fault began: link down, or a weight-0 probe DOWN */
        VRRP_EV_FAULT_CLEARED, /* every fault is gone */
        VRRP_EV_RELEASE,       /* MASTER: hand mastership over, then stay BACKUP */
        VRRP_EV_SYNC_MASTER,   /* BACKUP: its sync group goes MASTER (vrrp-sync.h) */
        VRRP_EV_SYNC_BACKUP,   /* MASTER (not handing over): its sync group goes BACKUP; no priority 0 */
} VrrpEventType;

/* A master's hand-over (SHUTDOWN or RELEASE): it has sent priority 0 and
 * keeps its VIPs until it hears the new master, at most until
 * handover_deadline (its Master_Down_Interval). */
typedef enum VrrpHandover {
        VRRP_HANDOVER_NONE,
        VRRP_HANDOVER_STOP,    /* then STOP */
        VRRP_HANDOVER_RELEASE, /* then BACKUP, released */
        _VRRP_HANDOVER_MAX,
} VrrpHandover;

typedef struct VrrpEvent {
        VrrpEventType type;
        uint8_t priority;       /* ADVERT: the sender's; PRIORITY: our new one */
        uint16_t adver_int_cs;  /* ADVERT: the sender's interval */
        IpAddr src;             /* ADVERT: the sender's address */
        const char *reason;     /* FAULT, SYNC_*: the transition's reason (static), NULL for the default */
} VrrpEvent;

enum {
        VRRP_ACT_SEND_STOP = 1 << 0,   /* an advertisement with priority 0 */
        VRRP_ACT_DEL_VIPS = 1 << 1,
        VRRP_ACT_ADD_VIPS = 1 << 2,
        /* Gratuitous ARP / unsolicited NA for the VIPs: before our advert, so
         * that clients move before a handing-over master drops the VIPs. */
        VRRP_ACT_ANNOUNCE = 1 << 3,
        VRRP_ACT_SEND_ADVERT = 1 << 4, /* an advertisement with our priority */
        /* Another master advertised and we stayed master: counted always,
         * answered (SEND_ADVERT and ANNOUNCE) at most once per interval. */
        VRRP_ACT_SPLIT_BRAIN = 1 << 5,
        VRRP_ACT_HANDOVER = 1 << 6,    /* a hand-over began (priority 0 sent, VIPs kept) */
        VRRP_ACT_RELEASE_FAILED = 1 << 7, /* nobody took over: MASTER again */
        /* A sync group member would have become master: it wants to, and
         * stays BACKUP until its group decides (wants_master). */
        VRRP_ACT_WANT_MASTER = 1 << 8,
};

typedef struct VrrpActions {
        unsigned flags;      /* VRRP_ACT_*, to be performed in the order listed above */
        VrrpState old_state;
        VrrpState new_state; /* == old_state when nothing changed */
        const char *reason;  /* why the state changed, or NULL */
} VrrpActions;

typedef struct VrrpFsmParams {
        uint8_t version;         /* 2 or 3 */
        uint8_t priority;        /* the configured priority; 255: address owner */
        uint16_t adver_int_cs;   /* Advertisement_Interval */
        bool preempt;            /* Preempt_Mode */
        uint64_t preempt_delay_us;
        /* Beyond RFC 5798: with preempt, a backup takes over at once from a
         * master that advertises a lower priority. */
        bool rapid_preemption;
        /* A member of a sync group: a backup never becomes master by
         * itself (keepalived's vrrp_sync_can_goto_master()). */
        bool sync_group;
} VrrpFsmParams;

typedef struct VrrpFsm {
        VrrpFsmParams params;
        VrrpState state;
        uint8_t priority;             /* effective priority */
        uint16_t master_adver_int_cs; /* Master_Adver_Interval (learned in v3) */
        uint64_t timer_at;            /* deadline of the running timer; 0: none */
        uint64_t preempt_at;          /* BACKUP: when a lower-priority master may be preempted; 0: not waiting */
        bool fault;
        IpAddr primary;               /* our address, for the tie-break */
        bool master_known;
        IpAddr master;                /* BACKUP: the current master's address */
        uint64_t answered_at;   /* MASTER: when an advert was last answered at once */
        VrrpHandover handover;        /* MASTER: a hand-over in progress */
        uint64_t handover_deadline;
        bool released;                /* BACKUP after a release: no preemption until master again */
        bool wants_master;            /* BACKUP in a sync group: would be master (keepalived's wantstate) */
} VrrpFsm;

void vrrp_fsm_init(VrrpFsm *f, const VrrpFsmParams *params, const IpAddr *primary);
/* New settings of the same virtual router (a reload), state kept. Version
 * 2 never learns the master's interval from its packets: a backup takes the
 * new one, and its Master_Down_Timer restarts from it (the master's next
 * advertisement, at the new rhythm, may be further away than the old
 * timer). */
void vrrp_fsm_update_params(VrrpFsm *f, const VrrpFsmParams *params, uint64_t now);
/* Our address changed (the interface's primary address): used from the
 * next tie-break between masters of equal priority. */
void vrrp_fsm_set_primary(VrrpFsm *f, const IpAddr *primary);
void vrrp_fsm_handle(VrrpFsm *f, const VrrpEvent *ev, uint64_t now, VrrpActions *ret);

/* MASTER, handing over (priority 0 sent, VIPs kept until a new master is heard). */
static inline bool vrrp_fsm_handing_over(const VrrpFsm *f) {
        return f->handover != VRRP_HANDOVER_NONE;
}

/* Skew_Time and Master_Down_Interval in microseconds: RFC 5798 (version 3,
 * centisecond arithmetic) or RFC 3768 (version 2). */
uint64_t vrrp_skew_time_us(uint8_t version, uint8_t priority, uint16_t master_adver_int_cs);
uint64_t vrrp_master_down_us(uint8_t version, uint8_t priority, uint16_t master_adver_int_cs);
/* How late the loop may run a router's timer to combine wake-ups with
 * other timers: a thousandth of its interval, from 10 us (10 ms adverts)
 * to 1 ms (1 s and longer), so the rhythm stays within 0.1 %. */
uint64_t vrrp_timer_accuracy_us(uint16_t adver_int_cs);

/* "INIT", "BACKUP", "MASTER", "FAULT", "STOP" (keepalived's words). */
const char *vrrp_state_to_string(VrrpState s);
/* "none", "stop", "release". */
const char *vrrp_handover_to_string(VrrpHandover h);
