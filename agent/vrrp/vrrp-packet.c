#include "vrrp/vrrp-packet.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const char *const error_names[_VRRP_PKT_ERROR_MAX] = {
        [VRRP_PKT_OK] = "ok",
        [VRRP_PKT_TOO_SHORT] = "too_short",
        [VRRP_PKT_TRUNCATED] = "truncated",
        [VRRP_PKT_BAD_IP_HEADER] = "bad_ip_header",
        [VRRP_PKT_BAD_TTL] = "bad_ttl",
        [VRRP_PKT_BAD_VERSION] = "bad_version",
        [VRRP_PKT_BAD_TYPE] = "bad_type",
        [VRRP_PKT_BAD_CHECKSUM] = "bad_checksum",
        [VRRP_PKT_BAD_ADDR_COUNT] = "bad_addr_count",
        [VRRP_PKT_BAD_ADVER_INT] = "bad_adver_int",
        [VRRP_PKT_BAD_AUTH] = "bad_auth",
};

const char *vrrp_pkt_error_to_string(VrrpPktError e) {
        return e < _VRRP_PKT_ERROR_MAX ? error_names[e] : "unknown";
}

static size_t addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len) {
        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t) p[0] << 8 | p[1];
        if (len)
                sum += (uint32_t) p[0] << 8;
        return sum;
}

uint16_t vrrp_pkt_checksum(const uint8_t *buf, size_t len, const IpAddr *src, const IpAddr *dst) {
        uint32_t sum = 0;

        if (src && dst) {
                size_t al = addr_len(src->family);
                sum = sum_bytes(sum, (const uint8_t *) &src->u, al);
                sum = sum_bytes(sum, (const uint8_t *) &dst->u, al);
                /* IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length,
                 * three zeros, next header. Either way the words add up to
                 * length + protocol. */
                sum += (uint32_t) len + VRRP_IPPROTO;
        }
        sum = sum_bytes(sum, buf, len);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

static VrrpPktError check_checksum(const uint8_t *buf, size_t len, const VrrpPktCtx *ctx,
                                   uint8_t version, bool *ret_pseudo) {
        *ret_pseudo = false;
        if (version == 2)
                return vrrp_pkt_checksum(buf, len, NULL, NULL) == 0 ? VRRP_PKT_OK : VRRP_PKT_BAD_CHECKSUM;
        if (vrrp_pkt_checksum(buf, len, &ctx->src, &ctx->dst) == 0) {
                *ret_pseudo = true;
                return VRRP_PKT_OK;
        }
        /* RFC 9568 peers leave the IPv4 pseudo-header out. */
        if (ctx->family == AF_INET && vrrp_pkt_checksum(buf, len, NULL, NULL) == 0)
                return VRRP_PKT_OK;
        return VRRP_PKT_BAD_CHECKSUM;
}

VrrpPktError vrrp_pkt_parse(const uint8_t *buf, size_t len, const VrrpPktCtx *ctx, uint8_t min_ttl,
                            VrrpAdvert *ret) {
        uint8_t version, type, naddr;
        size_t al = addr_len(ctx->family), need;
        VrrpPktError e;
        bool pseudo;

        if (ctx->ttl < min_ttl || ctx->ttl > VRRP_TTL)
                return VRRP_PKT_BAD_TTL;
        if (len < VRRP_HEADER_LEN)
                return VRRP_PKT_TOO_SHORT;
        version = buf[0] >> 4;
        type = buf[0] & 0x0f;
        if ((version != 2 && version != 3) || (version == 2 && ctx->family != AF_INET))
                return VRRP_PKT_BAD_VERSION;
        e = check_checksum(buf, len, ctx, version, &pseudo);
        if (e != VRRP_PKT_OK)
                return e;
        if (type != VRRP_TYPE_ADVERTISEMENT)
                return VRRP_PKT_BAD_TYPE;
        naddr = buf[3];
        need = VRRP_HEADER_LEN + naddr * al + (version == 2 ? VRRP_AUTH_DATA_LEN : 0);
        if (len != need)
                return VRRP_PKT_BAD_ADDR_COUNT;

        memset(ret, 0, offsetof(VrrpAdvert, addrs));
        ret->version = version;
        ret->vrid = buf[1];
        ret->priority = buf[2];
        ret->naddr = naddr;
        ret->family = ctx->family;
        ret->pseudo_header = pseudo;
        if (version == 3)
                ret->adver_int_cs = (uint16_t) ((buf[4] & 0x0f) << 8 | buf[5]);
        else {
                ret->auth_type = buf[4];
                ret->adver_int_cs = (uint16_t) (buf[5] * 100);
                memcpy(ret->auth_data, buf + VRRP_HEADER_LEN + naddr * al, VRRP_AUTH_DATA_LEN);
        }
        if (ret->adver_int_cs == 0)
                return VRRP_PKT_BAD_ADVER_INT;
        for (size_t i = 0; i < naddr; i++)
                memcpy(&ret->addrs[i], buf + VRRP_HEADER_LEN + i * al, al);
        return VRRP_PKT_OK;
}

VrrpPktError vrrp_pkt_parse_ipv4(const uint8_t *buf, size_t len, uint8_t min_ttl, VrrpPktCtx *ret_ctx,
                                 VrrpAdvert *ret) {
        size_t ihl, total;

        if (len < 20)
                return VRRP_PKT_TOO_SHORT;
        ihl = (size_t) (buf[0] & 0x0f) * 4;
        if (buf[0] >> 4 != 4 || ihl < 20 || buf[9] != VRRP_IPPROTO)
                return VRRP_PKT_BAD_IP_HEADER;
        total = (size_t) buf[2] << 8 | buf[3];
        if (ihl > len || total > len)
                return VRRP_PKT_TRUNCATED;
        if (total < ihl)
                return VRRP_PKT_BAD_IP_HEADER;

        *ret_ctx = (VrrpPktCtx) { .family = AF_INET, .ttl = buf[8] };
        ret_ctx->src.family = ret_ctx->dst.family = AF_INET;
        memcpy(&ret_ctx->src.u.in, buf + 12, 4);
        memcpy(&ret_ctx->dst.u.in, buf + 16, 4);
        return vrrp_pkt_parse(buf + ihl, total - ihl, ret_ctx, min_ttl, ret);
}

VrrpPktError vrrp_pkt_check_auth(const VrrpAdvert *adv, uint8_t auth_type, const char *password) {
        char want[VRRP_AUTH_DATA_LEN] = {};

        if (adv->version != 2)
                return VRRP_PKT_OK;
        if (adv->auth_type != auth_type)
                return VRRP_PKT_BAD_AUTH;
        if (auth_type != VRRP_V2_AUTH_PASS)
                return VRRP_PKT_OK;
        strncpy(want, password ? password : "", sizeof(want));
        return memcmp(want, adv->auth_data, sizeof(want)) == 0 ? VRRP_PKT_OK : VRRP_PKT_BAD_AUTH;
}

int vrrp_pkt_build(uint8_t *buf, size_t size, const VrrpAdvert *adv, const IpAddr *src,
                   const IpAddr *dst, bool pseudo_header) {
        size_t al = addr_len(adv->family), len;
        uint16_t sum;

        if ((adv->version != 2 && adv->version != 3) || (adv->version == 2 && adv->family != AF_INET))
                return -EINVAL;
        if (adv->version == 3 && (adv->adver_int_cs == 0 || adv->adver_int_cs > VRRP_V3_MAX_ADVER_INT_CS))
                return -EINVAL;
        if (adv->version == 2 && (adv->adver_int_cs % 100 != 0 || adv->adver_int_cs == 0 ||
                                  adv->adver_int_cs > 255 * 100))
                return -EINVAL;
        len = VRRP_HEADER_LEN + adv->naddr * al + (adv->version == 2 ? VRRP_AUTH_DATA_LEN : 0);
        if (size < len)
                return -ENOBUFS;

        buf[0] = (uint8_t) (adv->version << 4 | VRRP_TYPE_ADVERTISEMENT);
        buf[1] = adv->vrid;
        buf[2] = adv->priority;
        buf[3] = adv->naddr;
        if (adv->version == 3) {
                buf[4] = (uint8_t) (adv->adver_int_cs >> 8);
                buf[5] = (uint8_t) adv->adver_int_cs;
        } else {
                buf[4] = adv->auth_type;
                buf[5] = (uint8_t) (adv->adver_int_cs / 100);
        }
        buf[6] = buf[7] = 0;
        for (size_t i = 0; i < adv->naddr; i++)
                memcpy(buf + VRRP_HEADER_LEN + i * al, &adv->addrs[i], al);
        if (adv->version == 2)
                memcpy(buf + VRRP_HEADER_LEN + adv->naddr * al, adv->auth_data, VRRP_AUTH_DATA_LEN);

        if (adv->version == 3 && (adv->family == AF_INET6 || pseudo_header)) {
                if (!src || !dst)
                        return -EINVAL;
                sum = vrrp_pkt_checksum(buf, len, src, dst);
        } else
                sum = vrrp_pkt_checksum(buf, len, NULL, NULL);
        buf[6] = (uint8_t) (sum >> 8);
        buf[7] = (uint8_t) sum;
        return (int) len;
}
