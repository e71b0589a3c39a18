#include "daemon/instance-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "probe/priority.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define SPLIT_BRAIN_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)

uint64_t instance_now(const Instance *i) {
        if (i->env->long_dispatch)
                return now_usec(CLOCK_MONOTONIC);
        return loop_now_usec(i->env->event, CLOCK_MONOTONIC);
}

/* With the instance's journal fields; errno is |error| while formatting,
 * so "%m" names it. */
_printf_(4, 0) static int log_instance_va(const Instance *i, int level, int error, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL, *f_name = NULL, *f_vrid = NULL, *f_if = NULL, *f_state = NULL;
        int saved = errno;

        if (error < 0)
                error = -error;
        if (level > log_get_max_level())
                return -error;
        errno = error;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        errno = saved;
        if (!msg || asprintf(&f_name, "PROMVIP_INSTANCE=%s", i->cfg->name) < 0 ||
            asprintf(&f_vrid, "VRRP_VRID=%u", i->cfg->vrid) < 0 ||
            asprintf(&f_if, "INTERFACE=%s", i->cfg->interface) < 0 ||
            asprintf(&f_state, "VRRP_STATE=%s", vrrp_state_to_string(i->fsm.state)) < 0) {
                log_full(level, "instance '%s': %s", i->cfg->name, msg ? msg : "(out of memory)");
                return -error;
        }
        log_struct(level, ((const char *const[]) { f_name, f_vrid, f_if, f_state, NULL }),
                   "instance '%s': %s", i->cfg->name, msg);
        return -error;
}

void log_instance(const Instance *i, int level, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) log_instance_va(i, level, 0, fmt, ap);
        va_end(ap);
}

int log_instance_errno(const Instance *i, int level, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_instance_va(i, level, error, fmt, ap);
        va_end(ap);
        return r;
}

int instance_arm(const Instance *i, sd_event_source *s, uint64_t at) {
        const char *what = NULL;
        int r;

        if (at == 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_OFF);
        else {
                r = sd_event_source_set_time(s, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                (void) sd_event_source_get_description(s, &what);
                return log_instance_errno(i, LOG_ERR, r, "%s the %s timer failed: %m", at ? "arming" : "disarming",
                                          what ? what : "an");
        }
        return 0;
}

/* ---- actions ---- */

static void send_advert(Instance *i, uint8_t priority) {
        const InstanceConfig *c = i->cfg;
        uint8_t buf[VRRP_PKT_MAX_LEN];
        VrrpAdvert adv = {
                .version = c->version, .vrid = c->vrid, .priority = priority,
                .naddr = (uint8_t) c->n_vips, .adver_int_cs = c->advert_interval_cs,
                .family = c->family,
        };
        IpAddr group = vrrp_multicast_group(c->family);
        const IpAddr *dsts = c->n_unicast_peers ? c->unicast_peers : &group;
        size_t n_dsts = c->n_unicast_peers ? c->n_unicast_peers : 1;

        if (priority != VRRP_PRIO_STOP) /* a hand-over's priority 0 is its own event */
                instance_event_advert(i, NULL, priority);
        if (c->auth_type == AUTH_PASS) {
                adv.auth_type = VRRP_V2_AUTH_PASS;
                /* Zero-padded, not NUL-terminated: 8 characters fill the field. */
                memcpy(adv.auth_data, c->auth_password, strnlen(c->auth_password, sizeof(adv.auth_data)));
        }
        for (size_t k = 0; k < c->n_vips; k++)
                adv.addrs[k] = c->vips[k].addr.u;

        for (size_t k = 0; k < n_dsts; k++) {
                int len;

                if (c->n_unicast_peers && instance_is_self_peer(i, k))
                        continue;
                len = vrrp_pkt_build(buf, sizeof(buf), &adv, &i->source, &dsts[k], c->checksum_pseudo_header);
                if (len < 0 || !i->sock || !i->have_source) {
                        i->counters.send_errors++;
                        log_instance_errno(i, LOG_DEBUG, len < 0 ? len : -ENOTCONN,
                                           "sending an advertisement failed: %m");
                        continue;
                }
                vrrp_socket_queue(i->sock, &i->source, &dsts[k], c->n_unicast_peers ? c->unicast_ttl : VRRP_TTL, buf,
                                  (size_t) len, &i->counters.adverts_sent, &i->counters.send_errors);
        }
}

static void split_brain(Instance *i, const IpAddr *other, uint8_t priority, bool answered) {
        uint64_t now = instance_now(i);
        char buf[IP_ADDR_STRLEN];

        i->counters.split_brain++;
        i->counters.split_brain_answers += answered;
        if (i->split_brain_logged_at && now - i->split_brain_logged_at < SPLIT_BRAIN_LOG_INTERVAL_USEC)
                return;
        i->split_brain_logged_at = now;
        instance_event_split_brain(i, other, priority, answered);
        log_instance(i, LOG_WARNING,
                     "split brain: %s advertises as master too (lower priority); staying master, answering at most once per advertisement interval (%" PRIu64 " so far)",
                     ip_addr_to_string(other, buf), i->counters.split_brain);
}

static void log_handover(Instance *i, const VrrpActions *a) {
        if (a->flags & VRRP_ACT_HANDOVER) {
                uint64_t left = i->fsm.handover_deadline - instance_now(i);
                log_instance(i, LOG_INFO,
                             "handing over: sent priority 0, keeping the virtual addresses until a new master is heard (at most %.1f s)",
                             (double) left / USEC_PER_SEC);
        }
        if (a->flags & VRRP_ACT_RELEASE_FAILED)
                log_instance(i, LOG_WARNING,
                             "release failed: no other router took over within Master_Down_Interval; staying MASTER");
}

static void apply(Instance *i, const VrrpActions *a, const VrrpEvent *ev) {
        bool cannot_hold;

        if (a->flags & (VRRP_ACT_HANDOVER | VRRP_ACT_RELEASE_FAILED))
                log_handover(i, a);
        if (a->flags & VRRP_ACT_HANDOVER)
                instance_vips_announce_stop(i); /* the new master's announcements must win */
        if (a->flags & VRRP_ACT_SEND_STOP)
                send_advert(i, VRRP_PRIO_STOP);
        if (a->flags & VRRP_ACT_DEL_VIPS)
                instance_vips_set(i, false, a->old_state == VRRP_STATE_INIT);
        if (a->flags & VRRP_ACT_ADD_VIPS)
                instance_vips_set(i, true, false);
        /* A master that could not add its VIPs claims nothing: it faults at
         * once (instance-vips.c), and the current master keeps them. */
        cannot_hold = i->vip_fault == INSTANCE_VIP_FAULT_ENTERING;
        if ((a->flags & VRRP_ACT_ANNOUNCE) && !cannot_hold)
                instance_vips_announce(i);
        if ((a->flags & VRRP_ACT_SEND_ADVERT) && !cannot_hold)
                send_advert(i, i->fsm.priority);
        if (a->flags & VRRP_ACT_SPLIT_BRAIN)
                split_brain(i, &ev->src, ev->priority, a->flags & VRRP_ACT_SEND_ADVERT);
        if (a->new_state != a->old_state) {
                i->counters.transitions++;
                i->counters.state_changes[a->old_state][a->new_state]++;
                i->counters.last_transition_from = a->old_state;
                i->counters.last_transition_realtime_usec = now_usec(CLOCK_REALTIME);
                log_instance(i, LOG_INFO, "%s -> %s (%s)", vrrp_state_to_string(a->old_state),
                             vrrp_state_to_string(a->new_state), a->reason ? a->reason : "");
                if (a->old_state == VRRP_STATE_MASTER)
                        instance_vips_announce_stop(i);
                hook_queue_transition(i->hooks, i->cfg, i->env->script_user, a->old_state, a->new_state,
                                      i->fsm.priority);
        }
}

/* Counts a change of the master we see (a new address, not its absence). */
static void track_master(Instance *i) {
        IpAddr m;

        if (!instance_master(i, &m))
                return;
        if (i->master_seen && ip_addr_equal(&m, &i->master_seen_addr))
                return;
        if (i->master_seen)
                i->counters.master_changes++;
        instance_event_master(i, i->master_seen ? &i->master_seen_addr : NULL, &m);
        i->master_seen = true;
        i->master_seen_addr = m;
}

/* Arms the state machine's timer for its deadline. A later deadline while
 * an earlier one is pending is left to that one, which finds nothing due
 * and re-arms: a backup hearing its master touches its timer about once
 * per Master_Down_Interval instead of once per advertisement. The source
 * stays enabled (ON) between deadlines, so firing costs no re-enable. */
static void arm_timer(Instance *i) {
        uint64_t at = i->fsm.timer_at;
        int r;

        if (at == 0) {
                /* One left on finds nothing armed when it fires. */
                if (i->timer_on && (r = sd_event_source_set_enabled(i->timer, SD_EVENT_OFF)) < 0)
                        log_instance_errno(i, LOG_WARNING, r, "disarming the VRRP timer failed: %m");
                i->timer_on = false;
                i->timer_armed_at = 0;
                return;
        }
        if (i->timer_armed_at != 0 && i->timer_armed_at <= at)
                return;
        r = sd_event_source_set_time(i->timer, at);
        if (r >= 0 && !i->timer_on)
                r = sd_event_source_set_enabled(i->timer, SD_EVENT_ON);
        if (r < 0) {
                /* Without its timer the router would never advertise or
                 * take over: a fault (instance_update_fault()). */
                log_instance_errno(i, LOG_ERR, r, "arming the VRRP timer failed: %m");
                i->timer_fault = "the VRRP timer cannot be armed";
                return;
        }
        i->timer_on = true;
        i->timer_armed_at = at;
}

static void handle(Instance *i, const VrrpEvent *ev) {
        VrrpHandover before = i->fsm.handover;
        uint8_t priority = i->fsm.priority;
        VrrpActions a;

        vrrp_fsm_handle(&i->fsm, ev, instance_now(i), &a);
        instance_events_handled(i, ev, &a, before, priority);
        apply(i, &a, ev);
        arm_timer(i);
        track_master(i);
        if (i->timer_fault && !i->faulted)
                instance_update_fault(i);
        if (i->env->sync_changed && (a.new_state != a.old_state || (a.flags & VRRP_ACT_WANT_MASTER)))
                i->env->sync_changed(i->env->userdata, i, a.old_state);
}

void instance_handle(Instance *i, const VrrpEvent *ev) {
        handle(i, ev);
}

static void run_timer(Instance *i, uint64_t usec, uint64_t woke) {
        i->timer_armed_at = 0;
        /* The master is declared down only after the adverts already queued
         * are read: on a loaded host the timer and the socket get ready in
         * one wake-up, and the timer must not win. The check, the adverts
         * read and the timer event all take the loop's wake-up time, so a
         * deadline that passes while this dispatch works is left to the
         * next wake-up, which reads the socket first again. */
        if (i->fsm.state == VRRP_STATE_BACKUP && i->sock && i->fsm.timer_at != 0 &&
            instance_now(i) >= i->fsm.timer_at)
                vrrp_socket_receive_now(i->sock);
        /* The loop's wake-up time against the due time: what a stalled or
         * starved host costs the master's advert rhythm (not an early
         * wake-up for a deadline that moved on, see arm_timer()). */
        if (i->fsm.state == VRRP_STATE_MASTER && usec >= i->fsm.timer_at)
                lateness_observe(&i->counters.advert_lateness, woke > usec ? woke - usec : 0);
        handle(i, &(VrrpEvent) { .type = VRRP_EV_TIMER });
}

void instance_run_due_timer(Instance *i, uint64_t now) {
        if (i->timer_armed_at != 0 && i->timer_armed_at <= now)
                run_timer(i, i->timer_armed_at, now);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;
        uint64_t woke = loop_now_usec(sd_event_source_get_event(s), CLOCK_MONOTONIC);

        if (woke < usec)
                woke = usec;
        /* This instance (due at usec) and the others due by now, with their
         * adverts sent together. */
        if (i->env->timers_due)
                i->env->timers_due(i->env->userdata, woke);
        if (i->timer_armed_at == usec)
                run_timer(i, usec, woke);
        return 0;
}

/* ---- link, source address, fault ---- */

void instance_update_fault(Instance *i) {
        bool vip_fault = i->vip_fault == INSTANCE_VIP_FAULT_ACTIVE;
        bool own = i->link_fault || i->track_fault || vip_fault || i->timer_fault;
        bool own_changed = own != i->own_fault;
        bool faulted = own || i->sync_fault;

        i->own_fault = own;
        if (faulted != i->faulted) {
                i->faulted = faulted;
                if (faulted) {
                        if (i->link_fault)
                                log_instance(i, LOG_WARNING, "fault: %s (%s)", i->link_fault, i->cfg->interface);
                        else if (i->track_fault)
                                log_instance(i, LOG_WARNING, "fault: %s", i->track_fault);
                        else if (i->timer_fault)
                                log_instance(i, LOG_ERR, "fault: %s; trying again at the next change of the links",
                                             i->timer_fault);
                        else if (i->sync_fault)
                                log_instance(i, LOG_WARNING, "fault: %s", i->sync_fault);
                        handle(i, &(VrrpEvent) { .type = VRRP_EV_FAULT, .reason = own ? NULL : "sync group" });
                } else {
                        log_instance(i, LOG_INFO, "fault cleared");
                        handle(i, &(VrrpEvent) { .type = VRRP_EV_FAULT_CLEARED });
                }
        }
        /* Its sync group may set or clear sync_fault, and come back here. */
        if (own_changed && i->env->sync_changed)
                i->env->sync_changed(i->env->userdata, i, i->fsm.state);
}

/* The tracks again: a new effective priority, a new track fault (which
 * the caller passes on with instance_update_fault()). */
static void apply_tracks(Instance *i) {
        uint8_t p = instance_tracked_priority(i);

        if (p != i->fsm.priority) {
                log_instance(i, LOG_INFO, "effective priority %u -> %u", i->fsm.priority, p);
                instance_event_priority(i, i->fsm.priority, p, i->priority_cause);
                handle(i, &(VrrpEvent) { .type = VRRP_EV_PRIORITY, .priority = p });
        }
}

void instance_probes_changed(Instance *i) {
        if (i->fsm.state == VRRP_STATE_STOP)
                return;
        apply_tracks(i);
        instance_update_fault(i);
}

/* Reads the link again and enters or leaves FAULT. Entering FAULT acts on
 * the link as it was: a renamed interface keeps its index, and the VIPs and
 * the priority-0 advert go where they were, not nowhere. */
static void refresh_link(Instance *i) {
        InstanceLink l;
        bool entering;

        /* A VRRP timer that could not be armed is tried again, from the
         * start of the state machine when the fault clears. */
        if (i->faulted)
                i->timer_fault = NULL;
        i->link_fault = instance_read_link(i, &l);
        entering = i->link_fault && !i->faulted;
        if (entering)
                instance_update_fault(i);
        instance_set_link(i, &l);
        if (i->have_source)
                vrrp_fsm_set_primary(&i->fsm, &i->source);
        if (!entering)
                instance_update_fault(i);
        instance_notice_self_peers(i);
}

void instance_refresh(Instance *i) {
        if (i->fsm.state == VRRP_STATE_STOP)
                return;
        /* Tracked links first: the fault is then decided on both at once. */
        if (i->cfg->n_track_interfaces > 0)
                apply_tracks(i);
        refresh_link(i);
}

/* ---- life cycle ---- */

static VrrpFsmParams fsm_params_from_config(const InstanceConfig *cfg) {
        return (VrrpFsmParams) {
                .version = cfg->version, .priority = cfg->priority,
                .adver_int_cs = cfg->advert_interval_cs, .preempt = cfg->preempt,
                .preempt_delay_us = cfg->preempt_delay_usec, .rapid_preemption = cfg->rapid_preemption,
                .sync_group = cfg->sync_group != NULL,
        };
}

int instance_new(Instance **ret, const InstanceEnv *env, const InstanceConfig *cfg) {
        VrrpFsmParams params = fsm_params_from_config(cfg);
        Instance *i = calloc(1, sizeof(*i));
        IpAddr none = { .family = cfg->family };
        int r;

        if (!i)
                return -ENOMEM;
        i->cfg = cfg;
        i->env = env;
        vrrp_fsm_init(&i->fsm, &params, &none);
        r = instance_tracks_size(i, cfg);
        if (r >= 0)
                r = instance_events_init(i);
        if (r >= 0)
                r = hook_queue_new(&i->hooks, env->event, cfg->name);
        if (r >= 0)
                hook_queue_set_observer(i->hooks, instance_event_hook, i);
        if (r >= 0)
                r = sd_event_add_time(env->event, &i->timer, CLOCK_MONOTONIC, UINT64_MAX,
                                      vrrp_timer_accuracy_us(cfg->advert_interval_cs), on_timer, i);
        if (r >= 0)
                r = sd_event_source_set_enabled(i->timer, SD_EVENT_OFF);
        if (r >= 0)
                r = instance_vips_init(i);
        if (r < 0) {
                instance_free(i);
                return r;
        }
        (void) sd_event_source_set_description(i->timer, "vrrp-timer");
        *ret = i;
        return 0;
}

Instance *instance_free(Instance *i) {
        if (!i)
                return NULL;
        sd_event_source_disable_unref(i->timer);
        instance_vips_done(i);
        hook_queue_free(i->hooks);
        free(i->track_states);
        instance_events_done(i);
        free(i);
        return NULL;
}

int instance_set_config(Instance *i, const InstanceConfig *cfg) {
        int r;

        r = instance_tracks_size(i, cfg);
        if (r < 0)
                return r;
        i->cfg = cfg;
        return 0;
}

void instance_start(Instance *i) {
        uint8_t p = instance_tracked_priority(i);

        /* Probes start DOWN: the first state already counts their weights. */
        if (p != i->fsm.priority) {
                log_instance(i, LOG_INFO, "effective priority %u -> %u (probes start DOWN)", i->fsm.priority, p);
                instance_event_priority(i, i->fsm.priority, p, "startup: probes start DOWN");
                handle(i, &(VrrpEvent) { .type = VRRP_EV_PRIORITY, .priority = p });
        }
        refresh_link(i);
        handle(i, &(VrrpEvent) { .type = VRRP_EV_STARTUP });
}

void instance_stop(Instance *i) {
        handle(i, &(VrrpEvent) { .type = VRRP_EV_SHUTDOWN });
}

int instance_release(Instance *i) {
        if (i->fsm.state != VRRP_STATE_MASTER)
                return -ENOTCONN;
        if (vrrp_fsm_handing_over(&i->fsm))
                return -EALREADY;
        log_instance(i, LOG_INFO, "release requested");
        handle(i, &(VrrpEvent) { .type = VRRP_EV_RELEASE });
        return 0;
}

int instance_update(Instance *i, const InstanceConfig *cfg) {
        const InstanceConfig *old = i->cfg;
        VrrpFsmParams params = fsm_params_from_config(cfg);
        int r;

        r = instance_set_config(i, cfg);
        if (r < 0)
                return r;
        i->self_peers_noticed = 0;
        vrrp_fsm_update_params(&i->fsm, &params, instance_now(i));
        r = sd_event_source_set_time_accuracy(i->timer, vrrp_timer_accuracy_us(cfg->advert_interval_cs));
        if (r < 0)
                log_instance_errno(i, LOG_WARNING, r, "setting the VRRP timer's accuracy failed: %m");
        arm_timer(i);
        if (i->timer_fault)
                instance_update_fault(i);
        log_instance(i, LOG_INFO, "settings changed: applied without a restart");
        instance_vips_update(i, old);
        if (old->priority != cfg->priority)
                snprintf(i->reload_cause, sizeof(i->reload_cause), "reload: base priority %u", cfg->priority);
        else
                snprintf(i->reload_cause, sizeof(i->reload_cause), "reload: tracks changed");
        instance_refresh(i);
        instance_probes_changed(i);
        i->reload_cause[0] = '\0';
        return 0;
}

static VrrpFilterParams filter_params(const InstanceConfig *c) {
        return (VrrpFilterParams) {
                .version = c->version, .priority = c->priority, .adver_int_cs = c->advert_interval_cs,
                .auth_type = c->auth_type == AUTH_PASS ? VRRP_V2_AUTH_PASS : VRRP_V2_AUTH_NONE,
                .auth_password = c->auth_password,
                .vips = c->vips, .n_vips = c->n_vips,
                .peers = c->unicast_peers, .n_peers = c->n_unicast_peers, .min_ttl = c->unicast_min_ttl,
        };
}

void instance_receive(Instance *i, const VrrpPktCtx *ctx, const VrrpAdvert *adv) {
        VrrpFilterParams p = filter_params(i->cfg);
        VrrpDrop d = vrrp_filter(&p, ctx, adv, vrrp_fsm_handing_over(&i->fsm));
        char buf[IP_ADDR_STRLEN];

        if (d != VRRP_DROP_NONE) {
                i->counters.drops[d]++;
                log_instance(i, LOG_DEBUG, "dropped an advertisement from %s: %s",
                             ip_addr_to_string(&ctx->src, buf), vrrp_drop_to_string(d));
                return;
        }
        i->counters.adverts_received++;
        instance_event_advert(i, &ctx->src, adv->priority);
        if (i->fsm.state == VRRP_STATE_BACKUP) {
                i->last_advert_known = true;
                i->last_advert_from = ctx->src;
                i->last_advert_priority = adv->priority;
        }
        if (adv->family == AF_INET && adv->version == 3 && !adv->pseudo_header)
                i->counters.rfc9568_checksums++;
        handle(i, &(VrrpEvent) { .type = VRRP_EV_ADVERT, .priority = adv->priority,
                                 .adver_int_cs = adv->adver_int_cs, .src = ctx->src });
}
