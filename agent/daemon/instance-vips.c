/* The VIPs of an instance on its interface (see instance-internal.h):
 * added by a master, removed otherwise, put back when someone else removes
 * them, announced with gratuitous ARPs / unsolicited NAs.
 *
 * The kernel can refuse (no CAP_NET_ADMIN, an address the interface will
 * not take...). A master that cannot hold its VIPs black-holes the traffic
 * it draws, so it faults for a while (priority 0, no VIPs: a peer takes
 * over) and tries again after a backoff that doubles each time, up to a
 * minute. A VIP that cannot be removed is a duplicate on the segment: the
 * removal is retried with a backoff until it succeeds. Every failure is
 * counted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/instance-internal.h"
#include "shared/log.h"

#define VIP_FAULT_FIRST_USEC (2 * USEC_PER_SEC)
#define VIP_FAULT_MAX_USEC (60 * USEC_PER_SEC)
#define VIP_RETRY_FIRST_USEC (100 * USEC_PER_MSEC)
#define VIP_RETRY_MAX_USEC (5 * USEC_PER_SEC)

static int on_vip_fault_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;

        (void) s, (void) usec;
        if (i->vip_fault == INSTANCE_VIP_FAULT_ENTERING) {
                i->vip_fault = INSTANCE_VIP_FAULT_ACTIVE;
                instance_arm(i, i->vip_fault_timer, instance_now(i) + i->vip_fault_usec);
                log_instance(i, LOG_ERR, "fault: %s; trying again in %.0f s", i->vip_fault_reason,
                             (double) i->vip_fault_usec / USEC_PER_SEC);
                i->vip_fault_usec = i->vip_fault_usec * 2 < VIP_FAULT_MAX_USEC ? i->vip_fault_usec * 2
                                                                             : VIP_FAULT_MAX_USEC;
        } else
                i->vip_fault = INSTANCE_VIP_FAULT_NONE;
        instance_update_fault(i);
        return 0;
}

static int on_vip_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;

        (void) s, (void) usec;
        if (i->fsm.state != VRRP_STATE_MASTER)
                instance_vips_set(i, false, false);
        return 0;
}

static void announce_next(Instance *i);

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Instance *i = userdata;

        (void) s, (void) usec;
        if (i->fsm.state == VRRP_STATE_MASTER)
                announce_next(i);
        return 0;
}

int instance_vips_init(Instance *i) {
        sd_event *e = i->env->event;
        int r;

        i->vip_fault_usec = VIP_FAULT_FIRST_USEC;
        i->vip_retry_usec = VIP_RETRY_FIRST_USEC;
        r = sd_event_add_time(e, &i->announce_timer, CLOCK_MONOTONIC, UINT64_MAX, INSTANCE_TIMER_ACCURACY_USEC,
                              on_announce_timer, i);
        if (r >= 0)
                r = sd_event_add_time(e, &i->vip_fault_timer, CLOCK_MONOTONIC, UINT64_MAX,
                                      INSTANCE_TIMER_ACCURACY_USEC, on_vip_fault_timer, i);
        if (r >= 0)
                r = sd_event_add_time(e, &i->vip_retry, CLOCK_MONOTONIC, UINT64_MAX, INSTANCE_TIMER_ACCURACY_USEC,
                                      on_vip_retry, i);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(i->announce_timer, "vrrp-announce");
        (void) sd_event_source_set_description(i->vip_fault_timer, "vip-fault");
        (void) sd_event_source_set_description(i->vip_retry, "vip-retry");
        r = instance_arm(i, i->announce_timer, 0);
        if (r >= 0)
                r = instance_arm(i, i->vip_fault_timer, 0);
        if (r >= 0)
                r = instance_arm(i, i->vip_retry, 0);
        return r;
}

void instance_vips_done(Instance *i) {
        i->announce_timer = sd_event_source_disable_unref(i->announce_timer);
        i->vip_fault_timer = sd_event_source_disable_unref(i->vip_fault_timer);
        i->vip_retry = sd_event_source_disable_unref(i->vip_retry);
}

/* A VIP the master could not add: fault, from the loop (not in the middle
 * of the state machine's actions). */
static void add_failed(Instance *i, const IpPrefix *p, int err) {
        char buf[IP_PREFIX_STRLEN];

        i->counters.vip_add_failures++;
        if (i->vip_fault != INSTANCE_VIP_FAULT_NONE)
                return;
        snprintf(i->vip_fault_reason, sizeof(i->vip_fault_reason), "cannot add virtual address %s on %s: %s",
                 ip_prefix_to_string(p, buf), i->cfg->interface, strerror(-err));
        i->vip_fault = INSTANCE_VIP_FAULT_ENTERING;
        instance_arm(i, i->vip_fault_timer, instance_now(i));
}

static bool add_vip(Instance *i, const IpPrefix *p) {
        int r = netlink_addr_add(i->env->netlink, i->ifindex, p);

        if (r < 0)
                add_failed(i, p, r);
        return r >= 0;
}

static bool held_elsewhere(const Instance *i, const IpPrefix *p) {
        return i->env->vip_held_elsewhere && i->env->vip_held_elsewhere(i->env->userdata, i, i->ifindex, p);
}

void instance_vips_set(Instance *i, bool hold, bool at_start) {
        char buf[IP_PREFIX_STRLEN];
        bool failed = false;

        if (i->ifindex <= 0)
                return;
        for (size_t k = 0; k < i->cfg->n_vips; k++) {
                const IpPrefix *p = &i->cfg->vips[k];
                int r;

                if (hold) {
                        failed |= !add_vip(i, p);
                        continue;
                }
                if (held_elsewhere(i, p))
                        continue;
                if (at_start && netlink_has_addr(i->env->netlink, i->ifindex, &p->addr))
                        log_instance(i, LOG_NOTICE, "removing virtual address %s that a previous run left on %s",
                                     ip_prefix_to_string(p, buf), i->cfg->interface);
                r = netlink_addr_del(i->env->netlink, i->ifindex, p);
                if (r < 0) {
                        i->counters.vip_remove_failures++;
                        log_instance_errno(i, i->vip_retry_usec == VIP_RETRY_FIRST_USEC ? LOG_ERR : LOG_DEBUG, r,
                                           "cannot remove virtual address %s from %s: %m; trying again",
                                           ip_prefix_to_string(p, buf), i->cfg->interface);
                        failed = true;
                }
        }
        if (hold) {
                if (!failed)
                        i->vip_fault_usec = VIP_FAULT_FIRST_USEC;
                return;
        }
        if (failed) {
                instance_arm(i, i->vip_retry, instance_now(i) + i->vip_retry_usec);
                i->vip_retry_usec = i->vip_retry_usec * 2 < VIP_RETRY_MAX_USEC ? i->vip_retry_usec * 2
                                                                             : VIP_RETRY_MAX_USEC;
        } else {
                if (i->vip_retry_usec != VIP_RETRY_FIRST_USEC)
                        log_instance(i, LOG_NOTICE, "virtual addresses removed from %s at last", i->cfg->interface);
                i->vip_retry_usec = VIP_RETRY_FIRST_USEC;
                instance_arm(i, i->vip_retry, 0);
        }
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
                        log_instance_errno(i, LOG_DEBUG, r, "announcing failed: %m");
        }
}

static AnnounceTiming announce_timing(const InstanceConfig *c) {
        return (AnnounceTiming) {
                .repeat = c->garp_master_repeat,
                .interval_usec = c->garp_interval_usec,
                .delay_usec = c->garp_master_delay_usec,
                .refresh_usec = c->garp_master_refresh_usec,
        };
}

/* Sends the rounds due now; the timer brings the next step. */
static void announce_next(Instance *i) {
        AnnounceTiming t = announce_timing(i->cfg);
        AnnounceStep step = announce_schedule_step(&i->announce, &t, instance_now(i));

        for (unsigned k = 0; k < step.rounds; k++)
                announce_round(i);
        instance_arm(i, i->announce_timer, step.next_usec);
}

void instance_vips_announce(Instance *i) {
        AnnounceTiming t = announce_timing(i->cfg);

        /* A master handing over leaves the clients to the new one; without
         * a VIP (hooks move the address) there is nothing to announce. */
        if (vrrp_fsm_handing_over(&i->fsm) || i->cfg->n_vips == 0)
                return;
        announce_schedule_start(&i->announce, &t);
        announce_next(i);
}

void instance_vips_announce_stop(Instance *i) {
        instance_arm(i, i->announce_timer, 0);
}

static bool has_vip(const InstanceConfig *c, const IpPrefix *p) {
        for (size_t k = 0; k < c->n_vips; k++)
                if (ip_addr_equal(&c->vips[k].addr, &p->addr) && c->vips[k].prefixlen == p->prefixlen)
                        return true;
        return false;
}

void instance_vips_update(Instance *i, const InstanceConfig *old) {
        const InstanceConfig *cfg = i->cfg;
        char buf[IP_PREFIX_STRLEN];
        bool added = false;

        if (i->fsm.state != VRRP_STATE_MASTER || i->ifindex <= 0)
                return;
        for (size_t k = 0; k < old->n_vips; k++)
                if (!has_vip(cfg, &old->vips[k])) {
                        int r;

                        log_instance(i, LOG_INFO, "removing virtual address %s", ip_prefix_to_string(&old->vips[k], buf));
                        r = netlink_addr_del(i->env->netlink, i->ifindex, &old->vips[k]);
                        if (r < 0) {
                                i->counters.vip_remove_failures++;
                                log_instance_errno(i, LOG_ERR, r, "cannot remove virtual address %s from %s: %m",
                                                   buf, cfg->interface);
                        }
                }
        for (size_t k = 0; k < cfg->n_vips; k++)
                if (!has_vip(old, &cfg->vips[k])) {
                        log_instance(i, LOG_INFO, "adding virtual address %s", ip_prefix_to_string(&cfg->vips[k], buf));
                        added |= add_vip(i, &cfg->vips[k]);
                }
        if (added)
                instance_vips_announce(i);
}

/* A master puts back a VIP that is not on its interface any more. */
static void restore_vip(Instance *i, const IpPrefix *p) {
        char buf[IP_PREFIX_STRLEN];

        log_instance(i, LOG_WARNING, "virtual address %s was removed from %s by someone else: adding it back",
                     ip_prefix_to_string(p, buf), i->cfg->interface);
        if (add_vip(i, p))
                instance_vips_announce(i);
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
