/* The keys of an instance for peers across a router and for instances
 * without a VIP (README "Peers across a router, and instances without a
 * VIP"): `unicast_ttl` and `unicast_min_ttl` (only with unicast_peers), and
 * `family` (for an instance whose addresses do not say it). */
#include <string.h>
#include <sys/socket.h>

#include "conf/conf-internal.h"

/* Whether unicast_peers lists any peer (bad entries are errors of their own). */
static bool has_peers(const config_setting_t *g) {
        const config_setting_t *s = config_setting_get_member(g, "unicast_peers");

        return s && config_setting_length(s) > 0;
}

static void parse_ttl(ConfCtx *ctx, const config_setting_t *g, const char *key, uint8_t *ret) {
        long long v;

        *ret = CONF_TTL_DEFAULT;
        if (conf_get_int(ctx, g, key, 1, 255, &v) <= 0)
                return;
        *ret = (uint8_t) v;
        if (!has_peers(g))
                conf_error(ctx, config_setting_get_member(g, key),
                           "'%s' needs 'unicast_peers': TTLs are set only for unicast peers, e.g. across a router", key);
}

/* After the addresses: they fix the family; `family` must agree, or gives
 * it to an instance without any (default IPv4, as keepalived). */
static void parse_family(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        _cleanup_free_ char *name = NULL;
        const config_setting_t *s;
        int family;

        if (conf_get_string(ctx, g, "family", &name) <= 0) {
                if (in->family == AF_UNSPEC)
                        in->family = AF_INET;
                return;
        }
        s = config_setting_get_member(g, "family");
        if (strcmp(name, "ipv4") == 0)
                family = AF_INET;
        else if (strcmp(name, "ipv6") == 0)
                family = AF_INET6;
        else {
                conf_error(ctx, s, "unknown family '%s': use \"ipv4\" or \"ipv6\"", name);
                return;
        }
        if (in->family != AF_UNSPEC && in->family != family)
                conf_error(ctx, s, "family = \"%s\" but the instance's addresses are %s", name,
                           ip_family_name(in->family));
        else
                in->family = family;
}

void conf_parse_instance_routed(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        parse_ttl(ctx, g, "unicast_ttl", &in->unicast_ttl);
        parse_ttl(ctx, g, "unicast_min_ttl", &in->unicast_min_ttl);
        parse_family(ctx, g, in);
}
