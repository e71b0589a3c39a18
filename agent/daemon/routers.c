#include "daemon/routers.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/announcer.h"
#include "daemon/instance.h"
#include "daemon/netlink.h"
#include "daemon/routers-internal.h"
#include "daemon/vrrp-socket.h"
#include "probe/probes.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "vrrp/vrrp-bpf.h"

static bool runs_on(const Instance *i, const VrrpSocket *s, uint8_t vrid) {
        return instance_socket(i) == s && instance_config(i)->vrid == vrid;
}

static Instance *instance_for_vrid(Routers *rs, SocketEntry *e, uint8_t vrid) {
        size_t k = e->hint[vrid];

        if (k < rs->n_instances && runs_on(rs->instances[k], e->sock, vrid))
                return rs->instances[k];
        for (k = 0; k < rs->n_instances; k++)
                if (runs_on(rs->instances[k], e->sock, vrid)) {
                        e->hint[vrid] = (uint16_t) k;
                        return rs->instances[k];
                }
        return NULL;
}

static void on_packet(VrrpSocket *s, VrrpPktError err, const VrrpPktCtx *ctx, const VrrpAdvert *adv,
                      void *userdata) {
        SocketEntry *e = userdata;
        Routers *rs = e->routers;
        Instance *i;
        bool known;

        e->received++;
        if (err != VRRP_PKT_OK) {
                e->drops[err]++;
                log_debug("%s: dropped a VRRP packet: %s", vrrp_socket_ifname(s), vrrp_pkt_error_to_string(err));
                return;
        }
        /* Our own (looped back to a unicast peer that is us, or forged):
         * hearing ourselves as another master would answer ourselves. */
        if (netlink_is_local_addr(rs->netlink, &ctx->src)) {
                e->drops[VRRP_DROP_OWN_ADDRESS]++;
                return;
        }
        i = instance_for_vrid(rs, e, adv->vrid);
        known = i;
        if (i)
                instance_receive(i, ctx, adv);
        /* A removed instance handing over waits for the new master, also
         * when its replacement on the same VRID got the packet too. */
        for (size_t k = 0; k < rs->n_retired; k++) {
                i = rs->retired[k].instance;
                if (runs_on(i, s, adv->vrid) && !instance_stopped(i)) {
                        instance_receive(i, ctx, adv);
                        known = true;
                }
        }
        if (!known)
                e->drops[VRRP_DROP_UNKNOWN_VRID]++;
}

static VrrpSocket *socket_for(void *userdata, const char *ifname, int ifindex, int family) {
        Routers *rs = userdata;
        SocketEntry *e, **a;
        int r;

        for (size_t n = 0; n < rs->n_sockets; n++) {
                VrrpSocket *s = rs->sockets[n]->sock;
                if (vrrp_socket_ifindex(s) == ifindex && vrrp_socket_family(s) == family)
                        return s;
        }
        a = realloc(rs->sockets, (rs->n_sockets + 1) * sizeof(*a));
        e = calloc(1, sizeof(*e));
        if (!a || !e) {
                free(e);
                if (a)
                        rs->sockets = a;
                return NULL;
        }
        rs->sockets = a;
        e->routers = rs;
        r = vrrp_socket_open(&e->sock, rs->event, ifname, ifindex, family, on_packet, e);
        if (r < 0) {
                log_error_errno(r, "%s: opening the %s VRRP socket failed: %m", ifname, ip_family_name(family));
                free(e);
                return NULL;
        }
        rs->sockets[rs->n_sockets++] = e;
        return e->sock;
}

/* A new instance must not remove the VIPs that the one it replaces (retired
 * by a reload) still holds while it hands over, nor the reverse. */
static bool vip_held_elsewhere(void *userdata, const Instance *self, int ifindex, const IpPrefix *vip) {
        Routers *rs = userdata;

        for (size_t k = 0; k < rs->n_instances; k++)
                if (rs->instances[k] != self && instance_holds_vip(rs->instances[k], ifindex, vip))
                        return true;
        for (size_t k = 0; k < rs->n_retired; k++)
                if (rs->retired[k].instance != self && instance_holds_vip(rs->retired[k].instance, ifindex, vip))
                        return true;
        return false;
}

/* One timer that fires serves every instance due by then, and the adverts
 * they send leave per socket in one system call. */
static void timers_due(void *userdata, uint64_t now) {
        Routers *rs = userdata;

        for (size_t n = 0; n < rs->n_sockets; n++)
                vrrp_socket_batch_begin(rs->sockets[n]->sock);
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_run_due_timer(rs->instances[k], now);
        for (size_t k = 0; k < rs->n_retired; k++)
                instance_run_due_timer(rs->retired[k].instance, now);
        for (size_t n = 0; n < rs->n_sockets; n++)
                vrrp_socket_batch_end(rs->sockets[n]->sock);
}

static void filter_instance(const Instance *i, const VrrpSocket *s, uint8_t versions[static 256],
                            uint8_t *min_ttl) {
        const InstanceConfig *c = instance_config(i);

        if (instance_socket(i) != s)
                return;
        versions[c->vrid] |= VRRP_BPF_VERSION(c->version);
        if (c->n_unicast_peers > 0 && c->unicast_min_ttl > 0 && c->unicast_min_ttl < *min_ttl)
                *min_ttl = c->unicast_min_ttl;
}

/* Each socket's kernel filter passes the VRIDs of the instances on it, in
 * their versions (also of those handing over after a reload), with the
 * lowest TTL one of them accepts (each instance checks its own). */
static void filter_sockets(Routers *rs) {
        for (size_t n = 0; n < rs->n_sockets; n++) {
                VrrpSocket *s = rs->sockets[n]->sock;
                uint8_t versions[256] = {}, min_ttl = VRRP_TTL;
                int r;

                for (size_t i = 0; i < rs->n_instances; i++)
                        filter_instance(rs->instances[i], s, versions, &min_ttl);
                for (size_t i = 0; i < rs->n_retired; i++)
                        if (!instance_stopped(rs->retired[i].instance))
                                filter_instance(rs->retired[i].instance, s, versions, &min_ttl);
                r = vrrp_socket_set_vrids(s, versions, min_ttl);
                if (r < 0)
                        log_warning_errno(r, "%s: the %s VRRP socket filter was not attached, every packet "
                                          "wakes promvipd: %m", vrrp_socket_ifname(s),
                                          ip_family_name(vrrp_socket_family(s)));
        }
}

/* Closes the sockets that no instance uses any more (interface gone), and
 * filters the others for the VRIDs in use now. */
static void close_unused_sockets(Routers *rs) {
        size_t w = 0;

        for (size_t n = 0; n < rs->n_sockets; n++) {
                bool used = false;
                for (size_t k = 0; k < rs->n_instances && !used; k++)
                        used = instance_socket(rs->instances[k]) == rs->sockets[n]->sock;
                for (size_t k = 0; k < rs->n_retired && !used; k++)
                        used = !instance_stopped(rs->retired[k].instance) &&
                               instance_socket(rs->retired[k].instance) == rs->sockets[n]->sock;
                if (used)
                        rs->sockets[w++] = rs->sockets[n];
                else {
                        vrrp_socket_close(rs->sockets[n]->sock);
                        free(rs->sockets[n]);
                }
        }
        rs->n_sockets = w;
        filter_sockets(rs);
}

static void refresh_all(Routers *rs) {
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_refresh(rs->instances[k]);
        for (size_t k = 0; k < rs->n_retired; k++)
                instance_refresh(rs->retired[k].instance);
        close_unused_sockets(rs);
}

static void on_links_changed(Netlink *nl, void *userdata) {
        (void) nl;
        refresh_all(userdata);
}

static void on_addr_removed(Netlink *nl, int ifindex, const IpPrefix *addr, void *userdata) {
        Routers *rs = userdata;

        (void) nl;
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_addr_removed(rs->instances[k], ifindex, addr);
        refresh_all(rs);
}

static void on_resync(Netlink *nl, void *userdata) {
        Routers *rs = userdata;

        (void) nl;
        log_warning("netlink notifications were lost; re-read links and addresses");
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_resync(rs->instances[k]);
        /* A retired instance handing over holds its VIPs too. */
        for (size_t k = 0; k < rs->n_retired; k++)
                if (!instance_stopped(rs->retired[k].instance))
                        instance_resync(rs->retired[k].instance);
        close_unused_sockets(rs);
}

#define REAPER_INTERVAL_USEC (100 * USEC_PER_MSEC)

/* Without it, the retired instances stay until a reload retires another. */
static void arm_reaper(Routers *rs) {
        int r;

        r = sd_event_source_set_time_relative(rs->reaper, REAPER_INTERVAL_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(rs->reaper, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "arming the timer that frees removed instances failed: %m");
}

/* Frees the retired instances whose hand-over and hooks are done. */
static int on_reaper(sd_event_source *s, uint64_t usec, void *userdata) {
        Routers *rs = userdata;
        size_t w = 0;

        (void) s, (void) usec;
        for (size_t k = 0; k < rs->n_retired; k++) {
                Retired *t = &rs->retired[k];
                if (!instance_stopped(t->instance) || instance_hooks_pending(t->instance) > 0)
                        rs->retired[w++] = *t;
                else {
                        instance_free(t->instance);
                        conf_unref(t->config);
                }
        }
        rs->n_retired = w;
        close_unused_sockets(rs);
        if (w > 0)
                arm_reaper(rs);
        return 0;
}

/* Stops a removed instance; it lives on until its hand-over and stop hook
 * are over. */
static void retire(Routers *rs, Instance *i, Config *config) {
        Retired *a = realloc(rs->retired, (rs->n_retired + 1) * sizeof(*a));

        if (!a) {
                /* No room to wait: stop at once (a second stop does not hand over). */
                instance_stop(i);
                instance_stop(i);
                instance_free(i);
                return;
        }
        rs->retired = a;
        a[rs->n_retired++] = (Retired) { .instance = i, .config = conf_ref(config) };
        instance_stop(i);
        arm_reaper(rs);
}

static void sync_changed(void *userdata, Instance *i, VrrpState old_state) {
        Routers *rs = userdata;

        sync_groups_changed(rs->sync_groups, i, old_state);
}

/* The sync groups of rs->config over the instances now, taking over the
 * hooks and state of the groups of the same name in `old`. */
static int rebuild_sync_groups(Routers *rs, SyncGroups *old) {
        int r;

        r = sync_groups_new(&rs->sync_groups, &rs->env, rs->config, rs->instances, rs->n_instances, old);
        if (r < 0)
                return log_error_errno(r, "setting up the sync groups failed: %m");
        return 0;
}

static void on_probes_changed(void *userdata) {
        Routers *rs = userdata;

        for (size_t k = 0; k < rs->n_instances; k++)
                instance_probes_changed(rs->instances[k]);
}

static int add_instance(Routers *rs, const InstanceConfig *cfg, Instance **ret) {
        Instance **a = realloc(rs->instances, (rs->n_instances + 1) * sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        rs->instances = a;
        r = instance_new(&a[rs->n_instances], &rs->env, cfg);
        if (r < 0)
                return r;
        *ret = a[rs->n_instances++];
        return 0;
}

/* The user of hooks and exec probes, looked up once per configuration (an
 * NSS lookup can block); said at once when commands cannot run as it. */
static int resolve_script_user(const Config *config, ChildUser **ret) {
        int r = child_user_resolve(config->global.script_user, ret);

        if (r < 0)
                return log_error_errno(r, "looking up global.script_user: %m");
        if (child_user_error(*ret) < 0 && conf_runs_commands(config))
                log_warning("global.script_user: %s: hooks and exec probes will be refused%s",
                            child_user_problem(*ret),
                            child_user_error(*ret) == -EPERM
                                    ? " (set script_user to the user promvipd runs as, or run promvipd as root)"
                                    : "");
        return 0;
}

int routers_new(Routers **ret, sd_event *event, Config *config) {
        static const NetlinkCallbacks callbacks = {
                .links_changed = on_links_changed,
                .addr_removed = on_addr_removed,
                .resync = on_resync,
        };
        Routers *rs = calloc(1, sizeof(*rs));
        ChildUser *user = NULL;
        Instance *i;
        int r;

        if (!rs)
                return -ENOMEM;
        rs->event = event;
        rs->config = conf_ref(config);
        r = netlink_new(&rs->netlink, event, &callbacks, rs);
        if (r < 0) {
                log_error_errno(r, "netlink: %m");
                goto fail;
        }
        r = announcer_new(&rs->announcer);
        if (r < 0) {
                log_error_errno(r, "opening the ARP / neighbour discovery sockets failed: %m");
                goto fail;
        }
        r = resolve_script_user(config, &user);
        if (r < 0)
                goto fail;
        r = probes_new(&rs->probes, event, config, user, on_probes_changed, rs);
        if (r < 0) {
                child_user_unref(user);
                goto fail;
        }
        rs->env = (InstanceEnv) { .event = event, .netlink = rs->netlink, .announcer = rs->announcer,
                                  .probes = rs->probes, .script_user = user,
                                  .socket_for = socket_for, .vip_held_elsewhere = vip_held_elsewhere,
                                  .timers_due = timers_due, .sync_changed = sync_changed, .userdata = rs,
                                  .event_seq = &rs->event_seq, .event_history = config->global.event_history };
        r = sd_event_add_time_relative(event, &rs->reaper, CLOCK_MONOTONIC, REAPER_INTERVAL_USEC, 0, on_reaper, rs);
        if (r >= 0)
                r = sd_event_source_set_enabled(rs->reaper, SD_EVENT_OFF);
        if (r < 0)
                goto fail;
        for (size_t n = 0; n < config->n_instances; n++)
                if ((r = add_instance(rs, &config->instances[n], &i)) < 0)
                        goto fail;
        if ((r = rebuild_sync_groups(rs, NULL)) < 0)
                goto fail;
        *ret = rs;
        return 0;
fail:
        routers_free(rs);
        return r;
}

Routers *routers_free(Routers *rs) {
        if (!rs)
                return NULL;
        rs->sync_groups = sync_groups_free(rs->sync_groups);
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_free(rs->instances[k]);
        free(rs->instances);
        rs->n_instances = 0;
        for (size_t k = 0; k < rs->n_retired; k++) {
                instance_free(rs->retired[k].instance);
                conf_unref(rs->retired[k].config);
        }
        free(rs->retired);
        rs->n_retired = 0;
        sd_event_source_disable_unref(rs->reaper);
        close_unused_sockets(rs);
        free(rs->sockets);
        probes_free(rs->probes);
        child_user_unref(rs->env.script_user);
        announcer_free(rs->announcer);
        netlink_free(rs->netlink);
        conf_unref(rs->config);
        free(rs);
        return NULL;
}

void routers_start(Routers *rs) {
        probes_start(rs->probes);
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_start(rs->instances[k]);
        sync_groups_settle(rs->sync_groups);
        close_unused_sockets(rs);
}

void routers_stop(Routers *rs) {
        for (size_t k = 0; k < rs->n_instances; k++)
                instance_stop(rs->instances[k]);
        for (size_t k = 0; k < rs->n_retired; k++)
                if (!instance_stopped(rs->retired[k].instance))
                        instance_stop(rs->retired[k].instance);
}

bool routers_stopped(const Routers *rs) {
        for (size_t k = 0; k < rs->n_instances; k++)
                if (!instance_stopped(rs->instances[k]))
                        return false;
        for (size_t k = 0; k < rs->n_retired; k++)
                if (!instance_stopped(rs->retired[k].instance))
                        return false;
        return routers_hooks_pending(rs) == 0;
}

static Instance *find_instance(Routers *rs, const char *name) {
        for (size_t k = 0; k < rs->n_instances; k++)
                if (strcmp(instance_config(rs->instances[k])->name, name) == 0)
                        return rs->instances[k];
        return NULL;
}

int routers_reload(Routers *rs, Config *config) {
        Config *old_config = rs->config;
        Instance **keep = calloc(config->n_instances + 1, sizeof(*keep));
        EventLog **histories = calloc(config->n_instances + 1, sizeof(*histories));
        size_t n_old = rs->n_instances;
        Instance **old = rs->instances;
        SyncGroups *old_groups;
        ChildUser *user = NULL;
        int r = 0;

        if (!keep || !histories) {
                free(keep);
                free(histories);
                return -ENOMEM;
        }
        if (resolve_script_user(config, &user) < 0) {
                free(keep);
                free(histories);
                return -ENOMEM;
        }
        rs->env.event_history = config->global.event_history;
        /* The instances change state apart while they are sorted out; the
         * new groups take over their members at the end. */
        old_groups = TAKE_PTR(rs->sync_groups);
        rs->env.long_dispatch = true; /* the configuration was loaded in this dispatch */
        if (probes_reload(rs->probes, config, user) < 0)
                r = -ENOMEM;
        child_user_unref(rs->env.script_user);
        rs->env.script_user = user;
        /* Unchanged instances carry on, pointed at the new config; changed
         * settings of the same virtual router apply in place. */
        for (size_t n = 0; n < config->n_instances; n++) {
                const InstanceConfig *c = &config->instances[n];
                Instance *i = find_instance(rs, c->name);
                int k;

                if (!i)
                        continue;
                (void) instance_events_resize(i);
                if (conf_instance_equal(instance_config(i), c)) {
                        instance_event_reload(i, "settings unchanged");
                        k = instance_set_config(i, c);
                } else if (conf_instance_same_router(instance_config(i), c)) {
                        instance_event_reload(i, "settings changed: applied without a restart");
                        k = instance_update(i, c);
                } else
                        k = -ESTALE;
                if (k < 0) {
                        /* Retired, and replaced by a new instance that takes its history. */
                        histories[n] = event_log_ref(instance_events(i));
                        if (k != -ESTALE)
                                r = k;
                        continue;
                }
                keep[n] = i;
        }
        for (size_t m = 0; m < n_old; m++) {
                bool kept = false;
                for (size_t n = 0; n < config->n_instances && !kept; n++)
                        kept = keep[n] == old[m];
                if (!kept) {
                        log_info("instance '%s' was removed, or moved to another virtual router: stopping it",
                                 instance_config(old[m])->name);
                        retire(rs, old[m], old_config);
                }
        }
        rs->instances = NULL;
        rs->n_instances = 0;
        free(old);
        for (size_t n = 0; n < config->n_instances; n++) {
                Instance *i = keep[n];
                if (i) {
                        Instance **a = realloc(rs->instances, (rs->n_instances + 1) * sizeof(*a));
                        if (!a) {
                                retire(rs, i, config); /* it points into the new config already */
                                r = -ENOMEM;
                                continue;
                        }
                        rs->instances = a;
                        a[rs->n_instances++] = i;
                } else if (add_instance(rs, &config->instances[n], &i) < 0)
                        r = -ENOMEM;
                else {
                        log_info("instance '%s' is new: starting it", instance_config(i)->name);
                        if (histories[n] && instance_set_events(i, histories[n]) < 0)
                                r = -ENOMEM;
                        instance_event_reload(i, histories[n] ? "the virtual router changed: restarted"
                                                              : "new instance: started");
                        instance_start(i);
                }
        }
        for (size_t n = 0; n < config->n_instances; n++)
                event_log_unref(histories[n]);
        free(histories);
        free(keep);
        rs->config = conf_ref(config);
        if (rebuild_sync_groups(rs, old_groups) < 0)
                r = -ENOMEM;
        sync_groups_free(old_groups);
        conf_unref(old_config);
        close_unused_sockets(rs);
        /* Kept instances may track probes that are new or gone. */
        on_probes_changed(rs);
        sync_groups_settle(rs->sync_groups);
        rs->env.long_dispatch = false;
        return r;
}

size_t routers_hooks_pending(const Routers *rs) {
        size_t n = sync_groups_hooks_pending(rs->sync_groups);

        for (size_t k = 0; k < rs->n_instances; k++)
                n += instance_hooks_pending(rs->instances[k]);
        for (size_t k = 0; k < rs->n_retired; k++)
                n += instance_hooks_pending(rs->retired[k].instance);
        return n;
}

static void stop_bounds(const Instance *i, uint64_t *handover, uint64_t *hooks) {
        uint64_t h = instance_handover_max_usec(i), t = instance_config(i)->notify.timeout_usec;

        if (h > *handover)
                *handover = h;
        if (t > *hooks)
                *hooks = t;
}

uint64_t routers_stop_timeout_usec(const Routers *rs) {
        uint64_t handover = 0, hooks = 0;

        for (size_t k = 0; k < rs->n_instances; k++)
                stop_bounds(rs->instances[k], &handover, &hooks);
        for (size_t k = 0; k < rs->n_retired; k++)
                stop_bounds(rs->retired[k].instance, &handover, &hooks);
        if (sync_groups_hook_timeout_usec(rs->sync_groups) > hooks)
                hooks = sync_groups_hook_timeout_usec(rs->sync_groups);
        return handover + hooks;
}

int routers_release(Routers *rs, const char *name, uint64_t *ret_timeout_usec, const char **ret_state) {
        Instance *i = find_instance(rs, name);
        uint64_t peers;
        int r;

        if (!i)
                return -ENOENT;
        *ret_state = vrrp_state_to_string(instance_state(i));
        *ret_timeout_usec = instance_handover_max_usec(i);
        r = instance_release(i);
        if (r < 0)
                return r;
        /* Its sync group goes with it: a backup host's group takes over
         * only when all of its members want to. */
        peers = sync_groups_release_peers(rs->sync_groups, i);
        if (peers > *ret_timeout_usec)
                *ret_timeout_usec = peers;
        return 0;
}
