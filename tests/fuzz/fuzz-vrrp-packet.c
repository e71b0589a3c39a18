/* Fuzz target: the VRRP decoder. The first input byte picks the path (even:
 * a whole IPv4 datagram as a raw IPv4 socket delivers it; odd: the VRRP part
 * of an IPv6 datagram, with the hop limit from the second byte). Whatever
 * the decoder accepts must encode back to the very same bytes, except for
 * the reserved bits of version 3 (ignored on receipt, zero when sent): then
 * it must decode to the same advertisement. A checksum field of 0xffff is
 * the other one's-complement zero: it verifies, and we send 0x0000. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp/vrrp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_advert(const VrrpAdvert *a, const VrrpAdvert *b) {
        size_t al = a->family == AF_INET6 ? 16 : 4;

        if (memcmp(a, b, offsetof(VrrpAdvert, addrs)) != 0)
                return false;
        for (size_t i = 0; i < a->naddr; i++)
                if (memcmp(&a->addrs[i], &b->addrs[i], al) != 0)
                        return false;
        return true;
}

static void round_trip(const uint8_t *vrrp, size_t len, const VrrpPktCtx *ctx, const VrrpAdvert *adv) {
        uint8_t buf[VRRP_PKT_MAX_LEN];
        int n = vrrp_pkt_build(buf, sizeof(buf), adv, &ctx->src, &ctx->dst, adv->pseudo_header);
        VrrpAdvert again;

        if (n < 0 || (size_t) n != len)
                abort();
        if (adv->version == 3 && (vrrp[4] & 0xf0)) {
                if (vrrp_pkt_parse(buf, (size_t) n, ctx, VRRP_TTL, &again) != VRRP_PKT_OK ||
                    !same_advert(adv, &again))
                        abort();
        } else {
                uint8_t want[VRRP_PKT_MAX_LEN];
                memcpy(want, vrrp, len);
                if (want[6] == 0xff && want[7] == 0xff)
                        want[6] = want[7] = 0;
                if (memcmp(buf, want, len) != 0)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VrrpPktCtx ctx;
        VrrpAdvert adv;

        if (size < 2)
                return 0;
        if (data[0] % 2 == 0) {
                const uint8_t *ip = data + 1;
                if (vrrp_pkt_parse_ipv4(ip, size - 1, VRRP_TTL, &ctx, &adv) == VRRP_PKT_OK) {
                        size_t ihl = (size_t) (ip[0] & 0x0f) * 4, total = (size_t) ip[2] << 8 | ip[3];
                        round_trip(ip + ihl, total - ihl, &ctx, &adv);
                }
        } else {
                ctx = (VrrpPktCtx) { .family = AF_INET6, .ttl = data[1] };
                (void) ip_addr_parse("fe80::1", &ctx.src);
                (void) ip_addr_parse("ff02::12", &ctx.dst);
                if (vrrp_pkt_parse(data + 2, size - 2, &ctx, VRRP_TTL, &adv) == VRRP_PKT_OK)
                        round_trip(data + 2, size - 2, &ctx, &adv);
        }
        return 0;
}
