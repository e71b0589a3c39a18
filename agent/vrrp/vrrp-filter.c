#include "vrrp/vrrp-filter.h"

#include <string.h>
#include <sys/socket.h>

static const char *const drop_names[_VRRP_DROP_MAX - _VRRP_PKT_ERROR_MAX] = {
        [VRRP_DROP_UNKNOWN_VRID - _VRRP_PKT_ERROR_MAX] = "unknown_vrid",
        [VRRP_DROP_VERSION_MISMATCH - _VRRP_PKT_ERROR_MAX] = "version_mismatch",
        [VRRP_DROP_INTERVAL_MISMATCH - _VRRP_PKT_ERROR_MAX] = "interval_mismatch",
        [VRRP_DROP_ADDR_MISMATCH - _VRRP_PKT_ERROR_MAX] = "addr_mismatch",
        [VRRP_DROP_UNKNOWN_PEER - _VRRP_PKT_ERROR_MAX] = "unknown_peer",
        [VRRP_DROP_ADDRESS_OWNER - _VRRP_PKT_ERROR_MAX] = "address_owner",
        [VRRP_DROP_OWN_ADDRESS - _VRRP_PKT_ERROR_MAX] = "own_address",
};

const char *vrrp_drop_to_string(VrrpDrop d) {
        if ((int) d < _VRRP_PKT_ERROR_MAX)
                return vrrp_pkt_error_to_string((VrrpPktError) d);
        return d < _VRRP_DROP_MAX ? drop_names[d - _VRRP_PKT_ERROR_MAX] : "unknown";
}

const char *vrrp_drop_name(size_t d) {
        return d < _VRRP_DROP_MAX ? vrrp_drop_to_string((VrrpDrop) d) : "unknown";
}

static bool is_peer(const VrrpFilterParams *p, const IpAddr *src) {
        for (size_t i = 0; i < p->n_peers; i++)
                if (ip_addr_equal(&p->peers[i], src))
                        return true;
        return false;
}

/* The advertised addresses are ours, in any order. */
static bool same_addrs(const VrrpFilterParams *p, const VrrpAdvert *adv) {
        size_t len = adv->family == AF_INET6 ? 16 : 4;

        if (adv->naddr != p->n_vips)
                return false;
        for (size_t i = 0; i < adv->naddr; i++) {
                bool found = false;
                for (size_t j = 0; j < p->n_vips && !found; j++)
                        found = memcmp(&adv->addrs[i], &p->vips[j].addr.u, len) == 0;
                if (!found)
                        return false;
        }
        return true;
}

VrrpDrop vrrp_filter(const VrrpFilterParams *p, const VrrpPktCtx *ctx, const VrrpAdvert *adv, bool handing_over) {
        if (adv->version != p->version)
                return VRRP_DROP_VERSION_MISMATCH;
        if (p->n_peers > 0 && !is_peer(p, &ctx->src))
                return VRRP_DROP_UNKNOWN_PEER;
        /* The socket passes what any instance on it accepts: peers across a
         * router for one must not reach another that wants 255. */
        if (ctx->ttl < (p->n_peers > 0 && p->min_ttl ? p->min_ttl : VRRP_TTL))
                return (VrrpDrop) VRRP_PKT_BAD_TTL;
        if (p->version == 2) {
                if (vrrp_pkt_check_auth(adv, p->auth_type, p->auth_password) != VRRP_PKT_OK)
                        return (VrrpDrop) VRRP_PKT_BAD_AUTH;
                if (adv->adver_int_cs != p->adver_int_cs)
                        return VRRP_DROP_INTERVAL_MISMATCH;
        }
        if (!same_addrs(p, adv))
                return VRRP_DROP_ADDR_MISMATCH;
        if (p->priority == VRRP_PRIO_OWNER && !handing_over)
                return VRRP_DROP_ADDRESS_OWNER;
        return VRRP_DROP_NONE;
}
