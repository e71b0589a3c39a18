/* What an instance records in its event history (endpoint/event-log.h):
 * each event stamped with the time and the daemon-wide sequence number,
 * with the precise reason of a transition (the advert, timer, fault or
 * command that caused it), hand-overs, adverts whose priority changed, the
 * master it sees, split brain, and its hooks' results. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/instance-internal.h"
#include "shared/log.h"
#include "shared/time-util.h"

_printf_(3, 4) static void set_text(Event *e, bool has, const char *fmt, ...) {
        va_list ap;

        e->has_text = has;
        va_start(ap, fmt);
        (void) vsnprintf(e->text, sizeof(e->text), fmt, ap);
        va_end(ap);
}

void instance_event_add(Instance *i, Event *e) {
        static uint64_t own_seq; /* without an environment's counter (tests) */

        e->realtime_usec = now_usec(CLOCK_REALTIME);
        event_log_add(i->events, i->env->event_seq ? i->env->event_seq : &own_seq, e);
}

int instance_events_init(Instance *i) {
        i->events = event_log_new(i->env->event_history);
        return i->events ? 0 : -ENOMEM;
}

void instance_events_done(Instance *i) {
        i->events = event_log_unref(i->events);
}

EventLog *instance_events(const Instance *i) {
        return i->events;
}

int instance_set_events(Instance *i, EventLog *l) {
        if (!l || l == i->events)
                return 0;
        event_log_unref(i->events);
        i->events = event_log_ref(l);
        return instance_events_resize(i);
}

int instance_events_resize(Instance *i) {
        int r = event_log_resize(i->events, i->env->event_history);

        if (r < 0)
                log_instance_errno(i, LOG_WARNING, r, "resizing the event history failed: %m");
        return r;
}

void instance_event_reload(Instance *i, const char *detail) {
        Event e = { .type = EVENT_RELOAD };

        set_text(&e, detail != NULL, "%s", detail ? detail : "");
        instance_event_add(i, &e);
}

void instance_event_priority(Instance *i, uint8_t from, uint8_t to, const char *cause) {
        Event e = { .type = EVENT_PRIORITY, .from = from, .to = to };

        set_text(&e, true, "%s", cause && cause[0] ? cause : "tracks changed");
        instance_event_add(i, &e);
}

void instance_event_advert(Instance *i, const IpAddr *from, uint8_t priority) {
        Event e;

        if (event_advert_changed(&i->advert_memo, from, priority, &e))
                instance_event_add(i, &e);
}

void instance_event_master(Instance *i, const IpAddr *from, const IpAddr *to) {
        char a[IP_ADDR_STRLEN] = "", b[IP_ADDR_STRLEN] = "";
        Event e = { .type = EVENT_MASTER };

        if (from)
                ip_addr_to_string(from, a);
        ip_addr_to_string(to, b);
        snprintf(e.address, sizeof(e.address), "%s", a);
        snprintf(e.address_to, sizeof(e.address_to), "%s", b);
        instance_event_add(i, &e);
}

void instance_event_split_brain(Instance *i, const IpAddr *other, uint8_t priority, bool answered) {
        char buf[IP_ADDR_STRLEN];
        Event e = { .type = EVENT_SPLIT_BRAIN, .priority = priority, .answered = answered };

        snprintf(e.address, sizeof(e.address), "%s", ip_addr_to_string(other, buf));
        instance_event_add(i, &e);
}

void instance_event_hook(void *userdata, const char *hook, const char *result, const char *detail) {
        instance_event_group_hook(userdata, NULL, hook, result, detail);
}

void instance_event_group_hook(Instance *i, const char *group, const char *hook, const char *result,
                               const char *detail) {
        Event e = { .type = EVENT_HOOK };

        snprintf(e.group, sizeof(e.group), "%s", group ? group : "");
        snprintf(e.name, sizeof(e.name), "%s", hook);
        snprintf(e.result, sizeof(e.result), "%s", result);
        set_text(&e, detail != NULL, "%s", detail ? detail : "");
        instance_event_add(i, &e);
}

void instance_event_probe(Instance *i, const char *probe, bool was_up, bool up, const char *detail) {
        Event e = { .type = EVENT_PROBE, .was_up = was_up, .up = up };

        snprintf(e.name, sizeof(e.name), "%s", probe);
        set_text(&e, detail && detail[0], "%s", detail ? detail : "");
        instance_event_add(i, &e);
}

void instance_event_track_interface(Instance *i, const char *interface, bool up) {
        Event e = { .type = EVENT_TRACK_INTERFACE, .up = up };

        snprintf(e.name, sizeof(e.name), "%s", interface);
        instance_event_add(i, &e);
}

/* Why the instance is faulting now, as precisely as it knows. */
static void fault_reason(const Instance *i, const VrrpEvent *ev, char *buf, size_t n) {
        if (i->link_fault)
                snprintf(buf, n, "%s (%s)", i->link_fault, i->cfg->interface);
        else if (i->track_fault)
                snprintf(buf, n, "%s", i->track_fault);
        else if (i->vip_fault != INSTANCE_VIP_FAULT_NONE && i->vip_fault_reason[0])
                snprintf(buf, n, "%s", i->vip_fault_reason);
        else if (i->timer_fault)
                snprintf(buf, n, "%s", i->timer_fault);
        else if (i->sync_fault)
                snprintf(buf, n, "%s", i->sync_fault);
        else
                snprintf(buf, n, "%s", ev->reason ? ev->reason : "fault");
}

static void transition_reason(const Instance *i, const VrrpEvent *ev, const VrrpActions *a, VrrpHandover before,
                              uint8_t priority, char *buf, size_t n) {
        const char *fsm = a->reason ? a->reason : "";
        char src[IP_ADDR_STRLEN], last[IP_ADDR_STRLEN];

        ip_addr_to_string(&ev->src, src);
        switch (ev->type) {
        case VRRP_EV_STARTUP:
                if (a->new_state == VRRP_STATE_FAULT) {
                        char why[EVENT_TEXT_MAX - 16];

                        fault_reason(i, ev, why, sizeof(why));
                        snprintf(buf, n, "startup: %s", why);
                } else if (a->new_state == VRRP_STATE_MASTER)
                        snprintf(buf, n, "startup: %s", fsm);
                else
                        snprintf(buf, n, "startup");
                return;
        case VRRP_EV_FAULT:
                fault_reason(i, ev, buf, n);
                return;
        case VRRP_EV_ADVERT:
                if (before != VRRP_HANDOVER_NONE)
                        snprintf(buf, n, "%s %s (priority %u)", fsm, src, ev->priority);
                else if (a->old_state == VRRP_STATE_MASTER && ev->priority > priority)
                        snprintf(buf, n, "higher priority %u from %s (ours %u)", ev->priority, src, priority);
                else if (a->old_state == VRRP_STATE_MASTER)
                        snprintf(buf, n, "equal priority %u from %s, a higher address than ours", ev->priority, src);
                else if (a->new_state == VRRP_STATE_MASTER)
                        snprintf(buf, n, "preempt: %s advertised priority %u, ours %u", src, ev->priority, priority);
                else
                        snprintf(buf, n, "%s", fsm);
                return;
        case VRRP_EV_TIMER:
                if (a->old_state == VRRP_STATE_BACKUP && a->new_state == VRRP_STATE_MASTER && i->last_advert_known) {
                        ip_addr_to_string(&i->last_advert_from, last);
                        if (i->last_advert_priority == 0)
                                snprintf(buf, n, "master %s gave up (priority 0); %s", last, fsm);
                        else if (i->last_advert_priority < priority && i->cfg->preempt)
                                snprintf(buf, n, "preempt: %s advertised priority %u, ours %u (%s)", last,
                                         i->last_advert_priority, priority, fsm);
                        else
                                snprintf(buf, n, "%s (last advert: priority %u from %s)", fsm,
                                         i->last_advert_priority, last);
                } else
                        snprintf(buf, n, "%s", fsm);
                return;
        default:
                snprintf(buf, n, "%s", fsm);
                return;
        }
}

void instance_events_handled(Instance *i, const VrrpEvent *ev, const VrrpActions *a, VrrpHandover before,
                             uint8_t priority) {
        char src[IP_ADDR_STRLEN];
        Event e;

        /* Over: a new master heard, given up, or a stop that cuts a release short. */
        if (before != VRRP_HANDOVER_NONE && i->fsm.handover != before) {
                e = (Event) { .type = EVENT_HANDOVER, .handover = before, .begin = false };
                if (a->flags & VRRP_ACT_RELEASE_FAILED)
                        set_text(&e, true, "release failed: no other router took over within "
                                 "Master_Down_Interval; staying MASTER");
                else if (ev->type == VRRP_EV_ADVERT)
                        set_text(&e, true, "%s %s", a->reason ? a->reason : "new master",
                                 ip_addr_to_string(&ev->src, src));
                else if (ev->type == VRRP_EV_SHUTDOWN && i->fsm.handover != VRRP_HANDOVER_NONE)
                        set_text(&e, true, "cut short by a stop");
                else
                        set_text(&e, a->reason != NULL, "%s", a->reason ? a->reason : "");
                instance_event_add(i, &e);
        }
        if (a->flags & VRRP_ACT_HANDOVER) {
                uint64_t left = i->fsm.handover_deadline - instance_now(i);

                e = (Event) { .type = EVENT_HANDOVER, .handover = i->fsm.handover, .begin = true };
                set_text(&e, true, "sent priority 0, keeping the virtual addresses until a new master is heard "
                         "(at most %.1f s)", (double) left / USEC_PER_SEC);
                instance_event_add(i, &e);
        }
        if (a->new_state != a->old_state) {
                e = (Event) { .type = EVENT_TRANSITION, .state_from = a->old_state, .state_to = a->new_state,
                              .has_text = true };
                transition_reason(i, ev, a, before, priority, e.text, sizeof(e.text));
                instance_event_add(i, &e);
                i->last_advert_known = false;
        }
}
