#include "instance.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "priority.h"

/* sd-event's default accuracy (250 ms) would ruin failover timing. */
#define TIMER_ACCURACY_USEC 100
#define SPLIT_BRAIN_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

_printf_(3, 4) static void log_instance(const Instance *i, int level, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *f_name = NULL, *f_vrid = NULL, *f_if = NULL, *f_state = NULL;
        va_list ap;

        if (level > log_get_max_level())
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg || asprintf(&f_name, "PROMVIP_INSTANCE=%s", i->cfg->name) < 0 ||
            asprintf(&f_vrid, "VRRP_VRID=%u", i->cfg->vrid) < 0 ||
            asprintf(&f_if, "INTERFACE=%s", i->cfg->interface) < 0 ||
            asprintf(&f_state, "VRRP_STATE=%s", vrrp_state_to_string(i->fsm.state)) < 0) {
                log_full(level, "instance '%s': %s", i->cfg->name, msg ? msg : "(out of memory)");
                return;
        }
        log_struct(level, ((const char *const[]) { f_name, f_vrid, f_if, f_state, NULL }),
                   "instance '%s': %s", i->cfg->name, msg);
}

static void arm(sd_event_source *s, uint64_t at) {
        if (at == 0) {
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(s, at);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
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

        if (c->auth_type == AUTH_PASS) {
                adv.auth_type = VRRP_V2_AUTH_PASS;
                /* Zero-padded, not NUL-terminated: 8 characters fill the field. */
                memcpy(adv.auth_data, c->auth_password, strnlen(c->auth_password, sizeof(adv.auth_data)));
        }
        for (size_t k = 0; k < c->n_vips; k++)
                adv.addrs[k] = c->vips[k].addr.u;

        for (size_t k = 0; k < n_dsts; k++) {
                int len = vrrp_pkt_build(buf, sizeof(buf), &adv, &i->source, &dsts[k], c->checksum_pseudo_header);
                int r = len < 0 ? len : -ENOTCONN;

                if (len >= 0 && i->sock && i->have_source)
                        r = vrrp_socket_send(i->sock, &i->source, &dsts[k], buf, (size_t) len);
                if (r < 0) {
                        i->counters.send_errors++;
                        log_instance(i, LOG_DEBUG, "sending an advertisement failed: %s", strerror(-r));
                } else
                        i->counters.adverts_sent++;
        }
}

static void set_vips(Instance *i, bool add) {
        char buf[IP_PREFIX_STRLEN];

        if (i->ifindex <= 0)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++) {
                const IpPrefix *p = &i->cfg->vips[k];
                int r = add ? netlink_addr_add(i->env->netlink, i->ifindex, p)
                            : netlink_addr_del(i->env->netlink, i->ifindex, p);
                if (r < 0)
                        log_instance(i, LOG_ERR, "%s virtual address %s on %s failed: %s",
                                     add ? "adding" : "removing", ip_prefix_to_string(p, buf),
                                     i->cfg->interface, strerror(-r));
        }
}

/* Says which VIPs a previous run left on the interface (it crashed, or
 * was killed) before they are removed at start. */
static void log_stale_vips(Instance *i) {
        char buf[IP_PREFIX_STRLEN];

        if (i->ifindex <= 0)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++)
                if (netlink_has_addr(i->env->netlink, i->ifindex, &i->cfg->vips[k].addr))
                        log_instance(i, LOG_NOTICE, "removing virtual address %s that a previous run left on %s",
                                     ip_prefix_to_string(&i->cfg->vips[k], buf), i->cfg->interface);
}

/* One gratuitous ARP or unsolicited NA for every VIP. */
static void announce_round(Instance *i) {
        uint8_t mac[6];
        IpAddr ll;
        int r;

        if (i->ifindex <= 0 || netlink_link_mac(i->env->netlink, i->ifindex, mac) < 0)
                return;
        if (i->cfg->family == AF_INET6 &&
            netlink_primary_addr(i->env->netlink, i->ifindex, AF_INET6, true, i->cfg->vips,
                                 i->cfg->n_vips, &ll) < 0)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++) {
                const IpAddr *a = &i->cfg->vips[k].addr;
                r = a->family == AF_INET ? announce_garp(i->env->announcer, i->ifindex, mac, &a->u.in)
                                         : announce_na(i->env->announcer, i->ifindex, mac, &ll.u.in6, &a->u.in6);
                if (r < 0)
                        log_instance(i, LOG_DEBUG, "announcing failed: %s", strerror(-r));
        }
}

/* The next announcement: the rest of this burst, the second burst, or a refresh. */
static void announce_next(Instance *i) {
        const InstanceConfig *c = i->cfg;
        uint64_t now = now_usec();

        while (i->announce_rounds_left > 0) {
                announce_round(i);
                i->announce_rounds_left--;
                if (i->announce_rounds_left > 0 && c->garp_interval_usec > 0) {
                        arm(i->announce_timer, now + c->garp_interval_usec);
                        return;
                }
        }
        if (i->announce_second_burst) {
                i->announce_second_burst = false;
                i->announce_rounds_left = c->garp_master_repeat;
                arm(i->announce_timer, now + c->garp_master_delay_usec);
        } else if (c->garp_master_refresh_usec > 0) {
                i->announce_rounds_left = 1;
                arm(i->announce_timer, now + c->garp_master_refresh_usec);
        } else
                arm(i->announce_timer, 0);
}

static void announce_start(Instance *i) {
        /* A master handing over leaves the clients to the new one. */
        if (i->fsm.handover != VRRP_HANDOVER_NONE)
                return;
        i->announce_rounds_left = i->cfg->garp_master_repeat;
        i->announce_second_burst = i->cfg->garp_master_delay_usec > 0;
        announce_next(i);
}

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;

        (void) s;
        (void) usec;
        if (i->fsm.state == VRRP_STATE_MASTER)
                announce_next(i);
        return 0;
}

static void split_brain(Instance *i, const IpAddr *other) {
        uint64_t now = now_usec();
        char buf[IP_ADDR_STRLEN];

        i->counters.split_brain++;
        if (i->split_brain_logged_at && now - i->split_brain_logged_at < SPLIT_BRAIN_LOG_INTERVAL_USEC)
                return;
        i->split_brain_logged_at = now;
        log_instance(i, LOG_WARNING,
                     "split brain: %s advertises as master too (lower priority); staying master and announcing again (%" PRIu64 " so far)",
                     ip_addr_to_string(other, buf), i->counters.split_brain);
}

static void log_handover(Instance *i, const VrrpActions *a) {
        if (a->flags & VRRP_ACT_HANDOVER) {
                uint64_t left = i->fsm.handover_deadline - now_usec();
                log_instance(i, LOG_INFO,
                             "handing over: sent priority 0, keeping the virtual addresses until a new master is heard (at most %.1f s)",
                             (double) left / USEC_PER_SEC);
        }
        if (a->flags & VRRP_ACT_RELEASE_FAILED)
                log_instance(i, LOG_WARNING,
                             "release failed: no other router took over within Master_Down_Interval; staying MASTER");
}

static void apply(Instance *i, const VrrpActions *a, const IpAddr *peer) {
        if (a->flags & (VRRP_ACT_HANDOVER | VRRP_ACT_RELEASE_FAILED))
                log_handover(i, a);
        if (a->flags & VRRP_ACT_HANDOVER)
                arm(i->announce_timer, 0); /* the new master's announcements must win */
        if (a->flags & VRRP_ACT_SEND_STOP)
                send_advert(i, VRRP_PRIO_STOP);
        if (a->flags & VRRP_ACT_DEL_VIPS) {
                if (a->old_state == VRRP_STATE_INIT)
                        log_stale_vips(i);
                set_vips(i, false);
        }
        if (a->flags & VRRP_ACT_ADD_VIPS)
                set_vips(i, true);
        if (a->flags & VRRP_ACT_ANNOUNCE)
                announce_start(i);
        if (a->flags & VRRP_ACT_SEND_ADVERT)
                send_advert(i, i->fsm.priority);
        if (a->flags & VRRP_ACT_SPLIT_BRAIN)
                split_brain(i, peer);
        if (a->new_state != a->old_state) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                i->counters.transitions++;
                i->counters.state_changes[a->old_state][a->new_state]++;
                i->counters.last_transition_from = a->old_state;
                i->counters.last_transition_realtime_usec =
                        (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
                log_instance(i, LOG_INFO, "%s -> %s (%s)", vrrp_state_to_string(a->old_state),
                             vrrp_state_to_string(a->new_state), a->reason ? a->reason : "");
                if (a->old_state == VRRP_STATE_MASTER)
                        arm(i->announce_timer, 0);
                hook_queue_transition(i->hooks, i->cfg, i->env->script_user, a->old_state, a->new_state,
                                      i->fsm.priority);
        }
}

bool instance_master(const Instance *i, IpAddr *ret) {
        if (i->fsm.state == VRRP_STATE_MASTER && i->have_source) {
                *ret = i->source;
                return true;
        }
        if (i->fsm.state == VRRP_STATE_BACKUP && i->fsm.master_known) {
                *ret = i->fsm.master;
                return true;
        }
        return false;
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
        i->master_seen = true;
        i->master_seen_addr = m;
}

static void handle(Instance *i, const VrrpEvent *ev) {
        VrrpActions a;

        vrrp_fsm_handle(&i->fsm, ev, now_usec(), &a);
        apply(i, &a, &ev->src);
        arm(i->timer, i->fsm.timer_at);
        track_master(i);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        handle(userdata, &(VrrpEvent) { .type = VRRP_EV_TIMER });
        return 0;
}

/* ---- link, source address, fault ---- */

/* Reads the link and our sender address; returns why we cannot run, or NULL. */
static const char *read_link(Instance *i) {
        Netlink *nl = i->env->netlink;
        const InstanceConfig *c = i->cfg;
        int ifindex = netlink_ifindex(nl, c->interface);
        bool link_local = c->family == AF_INET6 && c->n_unicast_peers == 0;

        i->ifindex = ifindex > 0 ? ifindex : 0;
        i->link_up = i->ifindex > 0 && netlink_link_is_up(nl, i->ifindex);
        i->sock = i->ifindex > 0 ? i->env->socket_for(i->env->userdata, c->interface, i->ifindex, c->family) : NULL;
        if (c->has_source_address) {
                i->source = c->source_address;
                i->have_source = i->ifindex > 0;
        } else
                i->have_source = i->ifindex > 0 &&
                                 netlink_primary_addr(nl, i->ifindex, c->family, link_local, c->vips,
                                                      c->n_vips, &i->source) >= 0;
        if (i->ifindex == 0)
                return "interface does not exist";
        if (!i->link_up)
                return "interface is down";
        if (!i->sock)
                return "no VRRP socket on the interface";
        if (!i->have_source)
                return c->family == AF_INET ? "interface has no IPv4 address"
                                            : "interface has no usable IPv6 address";
        return NULL;
}

/* Tells the state machine when the instance enters or leaves FAULT. */
static void update_fault(Instance *i) {
        bool faulted = i->link_fault || i->probe_fault;

        if (faulted == i->faulted)
                return;
        i->faulted = faulted;
        if (faulted) {
                if (i->link_fault)
                        log_instance(i, LOG_WARNING, "fault: %s (%s)", i->link_fault, i->cfg->interface);
                else
                        log_instance(i, LOG_WARNING, "fault: probe '%s' is DOWN", i->probe_fault);
                handle(i, &(VrrpEvent) { .type = VRRP_EV_FAULT });
        } else {
                log_instance(i, LOG_INFO, "fault cleared");
                handle(i, &(VrrpEvent) { .type = VRRP_EV_FAULT_CLEARED });
        }
}

/* The effective priority from the tracked probes; notes a weight-0 probe DOWN. */
static uint8_t tracked_priority(Instance *i) {
        const InstanceConfig *c = i->cfg;
        TrackState t[c->n_tracks + 1];
        bool fault;
        uint8_t p;

        for (size_t k = 0; k < c->n_tracks; k++)
                t[k] = (TrackState) { .weight = c->tracks[k].weight,
                                      .up = probes_is_up(i->env->probes, c->tracks[k].probe_name) };
        p = priority_effective(c->priority, t, c->n_tracks, &fault);
        i->probe_fault = NULL;
        for (size_t k = 0; fault && k < c->n_tracks && !i->probe_fault; k++)
                if (t[k].weight == 0 && !t[k].up)
                        i->probe_fault = c->tracks[k].probe_name;
        return p;
}

void instance_probes_changed(Instance *i) {
        uint8_t p;

        if (i->fsm.state == VRRP_STATE_STOP)
                return;
        p = tracked_priority(i);
        if (p != i->fsm.priority) {
                log_instance(i, LOG_INFO, "effective priority %u -> %u", i->fsm.priority, p);
                handle(i, &(VrrpEvent) { .type = VRRP_EV_PRIORITY, .priority = p });
        }
        update_fault(i);
}

void instance_refresh(Instance *i) {
        if (i->fsm.state == VRRP_STATE_STOP)
                return;
        i->link_fault = read_link(i);
        if (i->have_source)
                i->fsm.primary = i->source;
        update_fault(i);
}

/* ---- life cycle ---- */

static VrrpFsmParams fsm_params(const InstanceConfig *cfg) {
        return (VrrpFsmParams) {
                .version = cfg->version, .priority = cfg->priority,
                .adver_int_cs = cfg->advert_interval_cs, .preempt = cfg->preempt,
                .preempt_delay_us = cfg->preempt_delay_usec, .rapid_preemption = cfg->rapid_preemption,
        };
}

int instance_new(Instance **ret, const InstanceEnv *env, const InstanceConfig *cfg) {
        VrrpFsmParams params = fsm_params(cfg);
        Instance *i = calloc(1, sizeof(*i));
        IpAddr none = { .family = cfg->family };
        int r;

        if (!i)
                return -ENOMEM;
        i->cfg = cfg;
        i->env = env;
        vrrp_fsm_init(&i->fsm, &params, &none);
        r = hook_queue_new(&i->hooks, env->event, cfg->name);
        if (r >= 0)
                r = sd_event_add_time(env->event, &i->timer, CLOCK_MONOTONIC, UINT64_MAX, TIMER_ACCURACY_USEC,
                                      on_timer, i);
        if (r >= 0)
                r = sd_event_add_time(env->event, &i->announce_timer, CLOCK_MONOTONIC, UINT64_MAX,
                                      TIMER_ACCURACY_USEC, on_announce_timer, i);
        if (r < 0) {
                instance_free(i);
                return r;
        }
        (void) sd_event_source_set_enabled(i->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(i->announce_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(i->timer, "vrrp-timer");
        (void) sd_event_source_set_description(i->announce_timer, "vrrp-announce");
        *ret = i;
        return 0;
}

Instance *instance_free(Instance *i) {
        if (!i)
                return NULL;
        sd_event_source_disable_unref(i->timer);
        sd_event_source_disable_unref(i->announce_timer);
        hook_queue_free(i->hooks);
        free(i);
        return NULL;
}

void instance_start(Instance *i) {
        uint8_t p = tracked_priority(i);

        /* Probes start DOWN: the first state already counts their weights. */
        if (p != i->fsm.priority) {
                log_instance(i, LOG_INFO, "effective priority %u -> %u (probes start DOWN)", i->fsm.priority, p);
                handle(i, &(VrrpEvent) { .type = VRRP_EV_PRIORITY, .priority = p });
        }
        i->link_fault = read_link(i);
        if (i->have_source)
                i->fsm.primary = i->source;
        update_fault(i);
        handle(i, &(VrrpEvent) { .type = VRRP_EV_STARTUP });
}

void instance_stop(Instance *i) {
        handle(i, &(VrrpEvent) { .type = VRRP_EV_SHUTDOWN });
}

int instance_release(Instance *i) {
        if (i->fsm.state != VRRP_STATE_MASTER)
                return -ENOTCONN;
        if (i->fsm.handover != VRRP_HANDOVER_NONE)
                return -EALREADY;
        log_instance(i, LOG_INFO, "release requested");
        handle(i, &(VrrpEvent) { .type = VRRP_EV_RELEASE });
        return 0;
}

bool instance_stopped(const Instance *i) {
        return i->fsm.state == VRRP_STATE_STOP;
}

uint64_t instance_handover_max_usec(const Instance *i) {
        return vrrp_master_down_us(i->cfg->version, i->fsm.priority, i->cfg->advert_interval_cs);
}

static bool has_vip(const InstanceConfig *c, const IpPrefix *p) {
        for (size_t k = 0; k < c->n_vips; k++)
                if (ip_addr_equal(&c->vips[k].addr, &p->addr) && c->vips[k].prefixlen == p->prefixlen)
                        return true;
        return false;
}

void instance_update(Instance *i, const InstanceConfig *cfg) {
        const InstanceConfig *old = i->cfg;
        VrrpFsmParams params = fsm_params(cfg);
        char buf[IP_PREFIX_STRLEN];
        bool added = false;

        i->cfg = cfg;
        vrrp_fsm_update(&i->fsm, &params, now_usec());
        arm(i->timer, i->fsm.timer_at);
        log_instance(i, LOG_INFO, "settings changed: applied without a restart");
        if (i->fsm.state == VRRP_STATE_MASTER && i->ifindex > 0) {
                for (size_t k = 0; k < old->n_vips; k++)
                        if (!has_vip(cfg, &old->vips[k])) {
                                log_instance(i, LOG_INFO, "removing virtual address %s",
                                             ip_prefix_to_string(&old->vips[k], buf));
                                (void) netlink_addr_del(i->env->netlink, i->ifindex, &old->vips[k]);
                        }
                for (size_t k = 0; k < cfg->n_vips; k++)
                        if (!has_vip(old, &cfg->vips[k])) {
                                log_instance(i, LOG_INFO, "adding virtual address %s",
                                             ip_prefix_to_string(&cfg->vips[k], buf));
                                int r = netlink_addr_add(i->env->netlink, i->ifindex, &cfg->vips[k]);
                                if (r < 0)
                                        log_instance(i, LOG_ERR, "adding %s failed: %s", buf, strerror(-r));
                                added = true;
                        }
                if (added)
                        announce_start(i);
        }
        instance_refresh(i);
        instance_probes_changed(i);
}

void instance_receive(Instance *i, const VrrpPktCtx *ctx, const VrrpAdvert *adv) {
        VrrpDrop d = vrrp_filter(i->cfg, ctx, adv, i->fsm.handover != VRRP_HANDOVER_NONE);
        char buf[IP_ADDR_STRLEN];

        if (d != VRRP_DROP_NONE) {
                i->counters.drops[d]++;
                log_instance(i, LOG_DEBUG, "dropped an advertisement from %s: %s",
                             ip_addr_to_string(&ctx->src, buf), vrrp_drop_to_string(d));
                return;
        }
        i->counters.adverts_received++;
        if (adv->family == AF_INET && adv->version == 3 && !adv->pseudo_header)
                i->counters.rfc9568_checksums++;
        handle(i, &(VrrpEvent) { .type = VRRP_EV_ADVERT, .priority = adv->priority,
                                 .adver_int_cs = adv->adver_int_cs, .src = ctx->src });
}

static void restore_vip(Instance *i, const IpPrefix *p) {
        char buf[IP_PREFIX_STRLEN];
        int r;

        log_instance(i, LOG_WARNING, "virtual address %s was removed from %s by someone else: adding it back",
                     ip_prefix_to_string(p, buf), i->cfg->interface);
        r = netlink_addr_add(i->env->netlink, i->ifindex, p);
        if (r < 0)
                log_instance(i, LOG_ERR, "adding %s back failed: %s", buf, strerror(-r));
        announce_start(i);
}

void instance_addr_removed(Instance *i, int ifindex, const IpPrefix *addr) {
        if (i->fsm.state != VRRP_STATE_MASTER || ifindex != i->ifindex)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++)
                if (ip_addr_equal(&i->cfg->vips[k].addr, &addr->addr))
                        restore_vip(i, &i->cfg->vips[k]);
}

void instance_resync(Instance *i) {
        instance_refresh(i);
        if (i->fsm.state != VRRP_STATE_MASTER)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++)
                if (!netlink_has_addr(i->env->netlink, i->ifindex, &i->cfg->vips[k].addr))
                        restore_vip(i, &i->cfg->vips[k]);
}

size_t instance_hooks_pending(const Instance *i) {
        return hook_queue_pending(i->hooks);
}

void instance_dump(const Instance *i) {
        _cleanup_free_ char *drops = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&drops, &len);
        char master[IP_ADDR_STRLEN] = "-";
        const HookCounters *h = hook_queue_counters(i->hooks);
        IpAddr m;

        if (!f)
                return;
        fprintf(f, " hooks_run=%" PRIu64 " hooks_failed=%" PRIu64 " hooks_refused=%" PRIu64, h->runs, h->failures,
                h->refused);
        for (int d = 1; d < _VRRP_DROP_MAX; d++)
                if (i->counters.drops[d])
                        fprintf(f, " drop_%s=%" PRIu64, vrrp_drop_to_string((VrrpDrop) d), i->counters.drops[d]);
        if (fclose(f) != 0)
                return;
        if (instance_master(i, &m))
                ip_addr_to_string(&m, master);
        log_instance(i, LOG_INFO,
                     "state=%s priority=%u base_priority=%u master=%s adverts_sent=%" PRIu64 " adverts_received=%" PRIu64
                     " transitions=%" PRIu64 " split_brain=%" PRIu64 " send_errors=%" PRIu64
                     " rfc9568_checksums=%" PRIu64 "%s",
                     vrrp_state_to_string(i->fsm.state), i->fsm.priority, i->cfg->priority, master,
                     i->counters.adverts_sent,
                     i->counters.adverts_received, i->counters.transitions, i->counters.split_brain,
                     i->counters.send_errors, i->counters.rfc9568_checksums, drops ? drops : "");
}
