/* Parsing and validation of one element of `instances` (one virtual router). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/conf-internal.h"

#define VRRP_MAX_ADDRS 255
#define PREEMPT_DELAY_MAX 1000.0
#define NOTIFY_TIMEOUT_DEFAULT_USEC (30 * USEC_PER_SEC)
#define WEIGHT_MAX 253

static const char *const instance_keys[] = {
        "unicast_ttl", "unicast_min_ttl", "family", /* conf-instance-routed.c */
        "name", "interface", "vrid", "priority", "version", "advert_interval", "preempt",
        "preempt_delay", "rapid_preemption", "virtual_addresses", "unicast_peers", "source_address", "track",
        "notify", "auth", "checksum_pseudo_header", "garp_master_delay", "garp_master_repeat",
        "garp_master_refresh", "garp_interval", "track_interfaces", NULL,
};
static const char *const notify_keys[] = { "master", "backup", "fault", "stop", "any", "timeout", NULL };
static const char *const auth_keys[] = { "type", "password", NULL };
static const char *const track_keys[] = { "probe", "weight", NULL };

/* Checks an address's family against the instance's, fixing it on first use. */
static bool family_matches(ConfCtx *ctx, const config_setting_t *e, InstanceConfig *in,
                           const IpAddr *a, const char *what) {
        if (in->family == AF_UNSPEC)
                in->family = a->family;
        if (a->family == in->family)
                return true;
        conf_error(ctx, e, "%s is %s but the instance's addresses are %s: one family per instance",
                   what, ip_family_name(a->family), ip_family_name(in->family));
        return false;
}

static void parse_vips(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "virtual_addresses");
        int n;

        if (!s)
                return; /* none: hooks move the address (conf-instance-routed.c) */
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
                conf_error(ctx, s, "'virtual_addresses' must be a list of strings such as ( \"192.0.2.100/24\" )");
                return;
        }
        n = config_setting_length(s);
        if (n > VRRP_MAX_ADDRS) {
                conf_error(ctx, s, "'virtual_addresses' must list at most %d addresses (got %d)",
                           VRRP_MAX_ADDRS, n);
                return;
        }
        if (n == 0)
                return;
        in->vips = conf_calloc(ctx, (size_t) n, sizeof(IpPrefix));
        if (!in->vips)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *str = config_setting_get_string(e);
                IpPrefix p;

                if (!str) {
                        conf_error(ctx, e, "'virtual_addresses' element %d must be a string", i + 1);
                        continue;
                }
                if (ip_prefix_parse(str, &p) < 0) {
                        conf_error(ctx, e, "bad virtual address '%s': expected ADDRESS or ADDRESS/PREFIXLEN", str);
                        continue;
                }
                if (ip_addr_is_special(&p.addr)) {
                        conf_error(ctx, e, "virtual address '%s' is unspecified, loopback or multicast", str);
                        continue;
                }
                if (!family_matches(ctx, e, in, &p.addr, "virtual address"))
                        continue;
                for (size_t j = 0; j < in->n_vips; j++)
                        if (ip_addr_equal(&in->vips[j].addr, &p.addr)) {
                                conf_error(ctx, e, "virtual address '%s' is listed twice", str);
                                goto next;
                        }
                in->vips[in->n_vips++] = p;
        next:;
        }
}

static void parse_peers(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "unicast_peers");
        int n;

        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
                conf_error(ctx, s, "'unicast_peers' must be a list of addresses such as ( \"192.0.2.2\" )");
                return;
        }
        n = config_setting_length(s);
        in->unicast_peers = conf_calloc(ctx, (size_t) n, sizeof(IpAddr));
        if (!in->unicast_peers)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *str = config_setting_get_string(e);
                IpAddr a;

                if (!str) {
                        conf_error(ctx, e, "'unicast_peers' element %d must be a string", i + 1);
                        continue;
                }
                if (ip_addr_parse(str, &a) < 0 || ip_addr_is_special(&a)) {
                        conf_error(ctx, e, "bad unicast peer '%s': expected a unicast IPv4 or IPv6 address", str);
                        continue;
                }
                if (!family_matches(ctx, e, in, &a, "unicast peer"))
                        continue;
                for (size_t j = 0; j < in->n_unicast_peers; j++)
                        if (ip_addr_equal(&in->unicast_peers[j], &a)) {
                                conf_error(ctx, e, "unicast peer '%s' is listed twice", str);
                                goto next;
                        }
                in->unicast_peers[in->n_unicast_peers++] = a;
        next:;
        }
}

static void parse_source(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        _cleanup_free_ char *str = NULL;
        const config_setting_t *s;

        if (conf_get_string(ctx, g, "source_address", &str) <= 0)
                return;
        s = config_setting_get_member(g, "source_address");
        if (ip_addr_parse(str, &in->source_address) < 0 || ip_addr_is_special(&in->source_address)) {
                conf_error(ctx, s, "bad source_address '%s': expected a unicast IPv4 or IPv6 address", str);
                return;
        }
        if (family_matches(ctx, s, in, &in->source_address, "source_address"))
                in->has_source_address = true;
}

static void parse_advert_interval(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "advert_interval");
        uint64_t usec = USEC_PER_SEC;
        int r;

        if (in->version == 2)
                r = conf_get_seconds(ctx, g, "advert_interval", 1, 255, &usec);
        else
                r = conf_get_seconds(ctx, g, "advert_interval", 0.01, 40.95, &usec);
        if (r < 0)
                return;
        if (in->version == 2 && usec % USEC_PER_SEC != 0) {
                conf_error(ctx, s, "'advert_interval' must be whole seconds with version 2 (got %g)",
                           (double) usec / USEC_PER_SEC);
                return;
        }
        if (usec % 10000 != 0) {
                conf_error(ctx, s, "'advert_interval' must be a multiple of 0.01 seconds (got %g)",
                           (double) usec / USEC_PER_SEC);
                return;
        }
        in->advert_interval_cs = (uint16_t) (usec / 10000);
}

static void parse_track(ConfCtx *ctx, const config_setting_t *g, const Config *c, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "track");
        int n;

        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
                conf_error(ctx, s, "'track' must be a list: ( \"probe\" ) or ( { probe = \"probe\"; weight = -50; } )");
                return;
        }
        n = config_setting_length(s);
        in->tracks = conf_calloc(ctx, (size_t) n, sizeof(TrackConfig));
        if (!in->tracks)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                _cleanup_free_ char *name = NULL;
                bool has_weight = false;
                long long w = 0;
                size_t k;

                if (config_setting_type(e) == CONFIG_TYPE_STRING)
                        name = conf_strdup(ctx, config_setting_get_string(e));
                else if (config_setting_type(e) == CONFIG_TYPE_GROUP) {
                        conf_check_keys(ctx, e, track_keys);
                        if (conf_get_string(ctx, e, "probe", &name) == 0)
                                conf_error(ctx, e, "track element %d needs 'probe'", i + 1);
                        has_weight = conf_get_int(ctx, e, "weight", -WEIGHT_MAX, WEIGHT_MAX, &w) > 0;
                } else
                        conf_error(ctx, e, "track element %d must be a probe name or a group", i + 1);
                if (!name)
                        continue;
                for (k = 0; k < c->n_probes; k++)
                        if (c->probes[k].name && strcmp(c->probes[k].name, name) == 0)
                                break;
                if (k == c->n_probes) {
                        conf_error(ctx, e, "track names unknown probe '%s'", name);
                        continue;
                }
                for (size_t j = 0; j < in->n_tracks; j++)
                        if (in->tracks[j].probe == k) {
                                conf_error(ctx, e, "probe '%s' is tracked twice", name);
                                goto next;
                        }
                in->tracks[in->n_tracks++] = (TrackConfig) {
                        .probe = k,
                        .probe_name = TAKE_PTR(name),
                        .weight = has_weight ? (int) w : c->probes[k].weight,
                };
        next:;
        }
}

void conf_parse_notify(ConfCtx *ctx, const config_setting_t *g, NotifyConfig *nc) {
        const config_setting_t *s = config_setting_get_member(g, "notify");

        nc->timeout_usec = NOTIFY_TIMEOUT_DEFAULT_USEC;
        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                conf_error(ctx, s, "'notify' must be a group: { master = \"/path\"; ... }");
                return;
        }
        conf_check_keys(ctx, s, notify_keys);
        (void) conf_get_argv(ctx, s, "master", &nc->master);
        (void) conf_get_argv(ctx, s, "backup", &nc->backup);
        (void) conf_get_argv(ctx, s, "fault", &nc->fault);
        (void) conf_get_argv(ctx, s, "stop", &nc->stop);
        (void) conf_get_argv(ctx, s, "any", &nc->any);
        (void) conf_get_seconds(ctx, s, "timeout", 0.1, 3600, &nc->timeout_usec);
}

void conf_notify_free(NotifyConfig *n) {
        argv_free(&n->master);
        argv_free(&n->backup);
        argv_free(&n->fault);
        argv_free(&n->stop);
        argv_free(&n->any);
}

static void parse_auth(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "auth");
        _cleanup_free_ char *type = NULL, *password = NULL;

        if (!s)
                return;
        if (in->version != 2) {
                conf_error(ctx, s, "'auth' needs version = 2 (RFC 5798, version 3, has no authentication)");
                return;
        }
        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                conf_error(ctx, s, "'auth' must be a group: { type = \"pass\"; password = \"secret\"; }");
                return;
        }
        conf_check_keys(ctx, s, auth_keys);
        if (conf_get_string(ctx, s, "type", &type) == 0)
                conf_error(ctx, s, "'auth' needs 'type' (\"pass\")");
        else if (type && strcasecmp(type, "pass") != 0) {
                conf_error(ctx, config_setting_get_member(s, "type"),
                           "auth type '%s' is not supported: use \"pass\"%s", type,
                           strcasecmp(type, "ah") == 0 ? " (IPsec AH was removed from VRRP)" : "");
                return;
        }
        if (conf_get_string(ctx, s, "password", &password) == 0)
                conf_error(ctx, s, "'auth' needs 'password'");
        else if (password && (!password[0] || strlen(password) > VRRP_AUTH_PASS_MAX))
                conf_error(ctx, config_setting_get_member(s, "password"),
                           "'password' must be 1 to %d characters (got %zu)", VRRP_AUTH_PASS_MAX,
                           strlen(password));
        else if (type && password) {
                in->auth_type = AUTH_PASS;
                memcpy(in->auth_password, password, strlen(password) + 1);
        }
}

static void parse_announce(ConfCtx *ctx, const config_setting_t *s, InstanceConfig *in) {
        long long v;

        in->garp_master_repeat = 5;
        if (conf_get_int(ctx, s, "garp_master_repeat", 1, 255, &v) > 0)
                in->garp_master_repeat = (unsigned) v;
        in->garp_master_delay_usec = 5 * USEC_PER_SEC;
        (void) conf_get_seconds(ctx, s, "garp_master_delay", 0, 1000, &in->garp_master_delay_usec);
        (void) conf_get_seconds(ctx, s, "garp_master_refresh", 0, 86400, &in->garp_master_refresh_usec);
        (void) conf_get_seconds(ctx, s, "garp_interval", 0, 10, &in->garp_interval_usec);
        if (in->garp_master_refresh_usec > 0 && in->garp_master_refresh_usec < USEC_PER_SEC)
                conf_error(ctx, config_setting_get_member(s, "garp_master_refresh"),
                           "'garp_master_refresh' must be 0 (off) or at least 1 second");
}

static void parse_numbers(ConfCtx *ctx, const config_setting_t *s, InstanceConfig *in) {
        long long v = 0;
        int r = conf_get_int(ctx, s, "vrid", 1, 255, &v);

        if (r == 0)
                conf_error(ctx, s, "'vrid' is required (1-255)");
        else if (r > 0)
                in->vrid = (uint8_t) v;
        in->priority = 100;
        if (conf_get_int(ctx, s, "priority", 1, 255, &v) > 0)
                in->priority = (uint8_t) v;
        in->version = 3;
        if (conf_get_int(ctx, s, "version", 2, 3, &v) > 0)
                in->version = (uint8_t) v;
        parse_advert_interval(ctx, s, in);
        in->preempt = true;
        (void) conf_get_bool(ctx, s, "preempt", &in->preempt);
        if (conf_get_seconds(ctx, s, "preempt_delay", 0, PREEMPT_DELAY_MAX, &in->preempt_delay_usec) > 0 &&
            !in->preempt && in->preempt_delay_usec > 0)
                conf_error(ctx, config_setting_get_member(s, "preempt_delay"),
                           "'preempt_delay' has no effect with preempt = false");
        if (conf_get_bool(ctx, s, "rapid_preemption", &in->rapid_preemption) > 0 && !in->preempt &&
            in->rapid_preemption)
                conf_error(ctx, config_setting_get_member(s, "rapid_preemption"),
                           "'rapid_preemption' needs preempt = true");
}

int conf_parse_instance(ConfCtx *ctx, const config_setting_t *s, const Config *c,
                        InstanceConfig *in) {
        const config_setting_t *e;
        int r;

        in->line = conf_line(s);
        if (conf_get_string(ctx, s, "name", &in->name) == 0)
                conf_error(ctx, s, "'name' is required");
        else if (in->name && !conf_name_is_valid(in->name))
                conf_error(ctx, config_setting_get_member(s, "name"),
                           "bad name '%s': use 1-%d letters, digits, '_', '.' or '-'", in->name,
                           CONF_NAME_MAX);
        if (in->name && conf_name_is_valid(in->name))
                snprintf(ctx->where, sizeof(ctx->where), "instance '%s'", in->name);

        conf_check_keys(ctx, s, instance_keys);
        if (conf_get_string(ctx, s, "interface", &in->interface) == 0)
                conf_error(ctx, s, "'interface' is required");
        else if (in->interface && !conf_ifname_is_valid(in->interface))
                conf_error(ctx, config_setting_get_member(s, "interface"),
                           "bad interface name '%s'", in->interface);

        parse_numbers(ctx, s, in);
        in->family = AF_UNSPEC;
        parse_vips(ctx, s, in);
        parse_peers(ctx, s, in);
        parse_source(ctx, s, in);
        conf_parse_instance_routed(ctx, s, in);
        if (in->family == AF_INET6 && in->version == 2)
                conf_error(ctx, s, "IPv6 needs version = 3 (VRRP version 2 is IPv4 only)");
        parse_track(ctx, s, c, in);
        conf_parse_track_interfaces(ctx, s, in);
        conf_parse_notify(ctx, s, &in->notify);
        parse_auth(ctx, s, in);
        parse_announce(ctx, s, in);

        in->checksum_pseudo_header = true;
        r = conf_get_bool(ctx, s, "checksum_pseudo_header", &in->checksum_pseudo_header);
        e = config_setting_get_member(s, "checksum_pseudo_header");
        if (r > 0 && (in->version != 3 || in->family != AF_INET))
                conf_error(ctx, e, "'checksum_pseudo_header' applies to version 3 over IPv4 only");
        return 0;
}

void conf_instance_free(InstanceConfig *in) {
        free(in->name);
        free(in->interface);
        free(in->vips);
        free(in->unicast_peers);
        for (size_t k = 0; k < in->n_tracks; k++)
                free(in->tracks[k].probe_name);
        free(in->tracks);
        conf_track_interfaces_free(in);
        conf_notify_free(&in->notify);
        free(in->sync_group);
        *in = (InstanceConfig) {};
}

static bool str_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool argv_equal(const Argv *a, const Argv *b) {
        if (a->argc != b->argc)
                return false;
        for (size_t k = 0; k < a->argc; k++)
                if (strcmp(a->argv[k], b->argv[k]) != 0)
                        return false;
        return true;
}

bool conf_instance_equal(const InstanceConfig *a, const InstanceConfig *b) {
        if (!str_equal(a->name, b->name) || !str_equal(a->interface, b->interface) || a->vrid != b->vrid ||
            a->priority != b->priority || a->version != b->version || a->family != b->family ||
            a->advert_interval_cs != b->advert_interval_cs || a->preempt != b->preempt ||
            a->preempt_delay_usec != b->preempt_delay_usec || a->rapid_preemption != b->rapid_preemption ||
            a->n_vips != b->n_vips ||
            a->n_unicast_peers != b->n_unicast_peers || a->has_source_address != b->has_source_address ||
            a->n_tracks != b->n_tracks || !str_equal(a->sync_group, b->sync_group) || a->auth_type != b->auth_type ||
            strcmp(a->auth_password, b->auth_password) != 0 ||
            a->checksum_pseudo_header != b->checksum_pseudo_header ||
            a->garp_master_repeat != b->garp_master_repeat || a->garp_interval_usec != b->garp_interval_usec ||
            a->garp_master_delay_usec != b->garp_master_delay_usec ||
            a->garp_master_refresh_usec != b->garp_master_refresh_usec ||
            a->notify.timeout_usec != b->notify.timeout_usec ||
            a->unicast_ttl != b->unicast_ttl || a->unicast_min_ttl != b->unicast_min_ttl)
                return false;
        if (a->has_source_address && !ip_addr_equal(&a->source_address, &b->source_address))
                return false;
        for (size_t k = 0; k < a->n_vips; k++)
                if (!ip_addr_equal(&a->vips[k].addr, &b->vips[k].addr) || a->vips[k].prefixlen != b->vips[k].prefixlen)
                        return false;
        for (size_t k = 0; k < a->n_unicast_peers; k++)
                if (!ip_addr_equal(&a->unicast_peers[k], &b->unicast_peers[k]))
                        return false;
        for (size_t k = 0; k < a->n_tracks; k++)
                if (!str_equal(a->tracks[k].probe_name, b->tracks[k].probe_name) ||
                    a->tracks[k].weight != b->tracks[k].weight)
                        return false;
        if (!conf_track_interfaces_equal(a, b))
                return false;
        return argv_equal(&a->notify.master, &b->notify.master) && argv_equal(&a->notify.backup, &b->notify.backup) &&
               argv_equal(&a->notify.fault, &b->notify.fault) && argv_equal(&a->notify.stop, &b->notify.stop) &&
               argv_equal(&a->notify.any, &b->notify.any);
}

bool conf_instance_same_router(const InstanceConfig *a, const InstanceConfig *b) {
        /* Priority 255 changes how the instance starts (address owner). */
        return str_equal(a->interface, b->interface) && a->vrid == b->vrid && a->version == b->version &&
               a->family == b->family && (a->priority == 255) == (b->priority == 255);
}

const InstanceConfig *conf_instance_by_name(const Config *c, const char *name) {
        for (size_t k = 0; k < c->n_instances; k++)
                if (c->instances[k].name && strcmp(c->instances[k].name, name) == 0)
                        return &c->instances[k];
        return NULL;
}
