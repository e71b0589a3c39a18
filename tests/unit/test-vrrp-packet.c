/* Unit tests: the VRRP codec (vrrp-packet.c): byte vectors, round trips,
 * and a distinct reason for each kind of malformed packet. Vectors captured
 * from Debian's keepalived are in keepalived-vectors.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "keepalived-vectors.h"
#include "vrrp/vrrp-packet.h"

static IpAddr addr(const char *s) {
        IpAddr a;
        assert_int_equal(ip_addr_parse(s, &a), 0);
        return a;
}

static VrrpPktCtx ctx4(void) {
        return (VrrpPktCtx) { .family = AF_INET, .src = addr("10.99.0.11"), .dst = addr("224.0.0.18"), .ttl = 255 };
}

static VrrpPktCtx ctx6(void) {
        return (VrrpPktCtx) { .family = AF_INET6, .src = addr("fe80::11"), .dst = addr("ff02::12"), .ttl = 255 };
}

static VrrpAdvert adv4(uint8_t version) {
        VrrpAdvert a = { .version = version, .vrid = 51, .priority = 150, .naddr = 2,
                         .adver_int_cs = 100, .family = AF_INET };
        inet_pton(AF_INET, "192.0.2.100", &a.addrs[0]);
        inet_pton(AF_INET, "192.0.2.101", &a.addrs[1]);
        return a;
}

/* A VRRPv3 IPv4 advertisement worked out by hand: vrid 51, priority 150,
 * one address 192.0.2.100, interval 100 cs, from 10.99.0.11 to 224.0.0.18.
 * Pseudo-header words: 0a63 000b e000 0012 0070 000c; message words:
 * 3133 9601 0064 0000 c000 0264. Sum 0x274f8 -> 0x74fa -> checksum 0x8b05. */
static const uint8_t v3_ipv4_hand[] = {
        0x31, 0x33, 0x96, 0x01, 0x00, 0x64, 0x8b, 0x05, 0xc0, 0x00, 0x02, 0x64,
};

static void test_known_checksum(void **state) {
        VrrpPktCtx c = ctx4();
        VrrpAdvert a = adv4(3), got;
        uint8_t buf[64];

        (void) state;
        a.naddr = 1;
        assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &a, &c.src, &c.dst, true), 12);
        assert_memory_equal(buf, v3_ipv4_hand, sizeof(v3_ipv4_hand));
        assert_int_equal(vrrp_pkt_parse(v3_ipv4_hand, sizeof(v3_ipv4_hand), &c, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_true(got.pseudo_header);
        assert_int_equal(got.vrid, 51);
        assert_int_equal(got.priority, 150);
        assert_int_equal(got.adver_int_cs, 100);
}

static void test_round_trip_v3_ipv4_both_checksums(void **state) {
        VrrpPktCtx c = ctx4();
        VrrpAdvert a = adv4(3), got;
        uint8_t buf[VRRP_PKT_MAX_LEN];
        int n;

        (void) state;
        for (int pseudo = 0; pseudo <= 1; pseudo++) {
                n = vrrp_pkt_build(buf, sizeof(buf), &a, &c.src, &c.dst, pseudo);
                assert_int_equal(n, 16);
                assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_OK);
                assert_int_equal(got.pseudo_header, pseudo);
                assert_int_equal(got.naddr, 2);
                assert_memory_equal(&got.addrs[1], &a.addrs[1], 4);
        }
}

static void test_round_trip_v3_ipv6(void **state) {
        VrrpPktCtx c = ctx6();
        VrrpAdvert a = { .version = 3, .vrid = 7, .priority = 100, .naddr = 1, .adver_int_cs = 5,
                         .family = AF_INET6 }, got;
        uint8_t buf[VRRP_PKT_MAX_LEN];
        int n;

        (void) state;
        inet_pton(AF_INET6, "2001:db8::100", &a.addrs[0]);
        n = vrrp_pkt_build(buf, sizeof(buf), &a, &c.src, &c.dst, false); /* IPv6 always uses it */
        assert_int_equal(n, 24);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_true(got.pseudo_header);
        assert_int_equal(got.adver_int_cs, 5);
        assert_memory_equal(&got.addrs[0], &a.addrs[0], 16);
        /* Without the pseudo-header an IPv6 checksum is wrong. */
        buf[6] = buf[7] = 0;
        uint16_t s = vrrp_pkt_checksum(buf, (size_t) n, NULL, NULL);
        buf[6] = (uint8_t) (s >> 8);
        buf[7] = (uint8_t) s;
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_CHECKSUM);
}

static void test_round_trip_v2_pass(void **state) {
        VrrpPktCtx c = ctx4();
        VrrpAdvert a = adv4(2), got;
        uint8_t buf[VRRP_PKT_MAX_LEN];
        int n;

        (void) state;
        a.auth_type = VRRP_V2_AUTH_PASS;
        memcpy(a.auth_data, "secret\0\0", 8);
        a.adver_int_cs = 300;
        n = vrrp_pkt_build(buf, sizeof(buf), &a, NULL, NULL, false);
        assert_int_equal(n, 8 + 8 + 8);
        assert_int_equal(buf[0], 0x21);
        assert_int_equal(buf[4], 1);
        assert_int_equal(buf[5], 3);
        assert_memory_equal(buf + 16, "secret\0\0", 8);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_int_equal(got.adver_int_cs, 300);
        assert_int_equal(vrrp_pkt_check_auth(&got, VRRP_V2_AUTH_PASS, "secret"), VRRP_PKT_OK);
        assert_int_equal(vrrp_pkt_check_auth(&got, VRRP_V2_AUTH_PASS, "secreT"), VRRP_PKT_BAD_AUTH);
        assert_int_equal(vrrp_pkt_check_auth(&got, VRRP_V2_AUTH_PASS, "secret1"), VRRP_PKT_BAD_AUTH);
        assert_int_equal(vrrp_pkt_check_auth(&got, VRRP_V2_AUTH_NONE, NULL), VRRP_PKT_BAD_AUTH);
        /* A v2 checksum never includes a pseudo-header: the addresses do not matter. */
        VrrpPktCtx other = c;
        other.src = addr("10.99.9.9");
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &other, VRRP_TTL, &got), VRRP_PKT_OK);
}

static void test_build_rejects(void **state) {
        VrrpAdvert a = adv4(3);
        IpAddr s = addr("10.99.0.11"), d = addr("224.0.0.18");
        uint8_t buf[64];

        (void) state;
        assert_int_equal(vrrp_pkt_build(buf, 15, &a, &s, &d, true), -ENOBUFS);
        a.adver_int_cs = 4096;
        assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &a, &s, &d, true), -EINVAL);
        a = adv4(2);
        a.adver_int_cs = 150;
        assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &a, NULL, NULL, false), -EINVAL);
        a = adv4(2);
        a.family = AF_INET6;
        assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &a, NULL, NULL, false), -EINVAL);
        a = adv4(4);
        assert_int_equal(vrrp_pkt_build(buf, sizeof(buf), &a, &s, &d, true), -EINVAL);
}

/* Rebuilds a packet's checksum after a test changed its bytes. */
static void fix_checksum(uint8_t *buf, size_t len, const VrrpPktCtx *c, bool pseudo) {
        buf[6] = buf[7] = 0;
        uint16_t s = pseudo ? vrrp_pkt_checksum(buf, len, &c->src, &c->dst) : vrrp_pkt_checksum(buf, len, NULL, NULL);
        buf[6] = (uint8_t) (s >> 8);
        buf[7] = (uint8_t) s;
}

static void test_parse_rejects(void **state) {
        VrrpPktCtx c = ctx4();
        VrrpAdvert a = adv4(3), got;
        uint8_t good[64], buf[64];
        int n;

        (void) state;
        n = vrrp_pkt_build(good, sizeof(good), &a, &c.src, &c.dst, true);
        assert_int_equal(n, 16);

        assert_int_equal(vrrp_pkt_parse(good, 7, &c, VRRP_TTL, &got), VRRP_PKT_TOO_SHORT);

        VrrpPktCtx low = c;
        low.ttl = 254;
        assert_int_equal(vrrp_pkt_parse(good, (size_t) n, &low, VRRP_TTL, &got), VRRP_PKT_BAD_TTL);

        memcpy(buf, good, (size_t) n);
        buf[0] = 0x41;
        fix_checksum(buf, (size_t) n, &c, true);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_VERSION);

        memcpy(buf, good, (size_t) n);
        buf[7] ^= 0x01;
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_CHECKSUM);

        memcpy(buf, good, (size_t) n);
        buf[0] = 0x32;
        fix_checksum(buf, (size_t) n, &c, true);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_TYPE);

        /* Count says 3 but two addresses follow; and the packet cut short. */
        memcpy(buf, good, (size_t) n);
        buf[3] = 3;
        fix_checksum(buf, (size_t) n, &c, true);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_ADDR_COUNT);
        memcpy(buf, good, (size_t) n);
        fix_checksum(buf, (size_t) n - 4, &c, true);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n - 4, &c, VRRP_TTL, &got), VRRP_PKT_BAD_ADDR_COUNT);

        memcpy(buf, good, (size_t) n);
        buf[4] = buf[5] = 0;
        fix_checksum(buf, (size_t) n, &c, true);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c, VRRP_TTL, &got), VRRP_PKT_BAD_ADVER_INT);

        /* Version 2 over IPv6 does not exist. */
        VrrpPktCtx c6 = ctx6();
        memcpy(buf, good, (size_t) n);
        buf[0] = 0x21;
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c6, VRRP_TTL, &got), VRRP_PKT_BAD_VERSION);
}

/* A whole IPv4 datagram around a VRRP message. */
static size_t ipv4_wrap(uint8_t *out, const uint8_t *vrrp, size_t len, uint8_t ttl) {
        uint8_t h[20] = { 0x45, 0xc0, 0, 0, 0, 0, 0, 0, ttl, 112, 0, 0, 10, 99, 0, 11, 224, 0, 0, 18 };
        size_t total = 20 + len;

        h[2] = (uint8_t) (total >> 8);
        h[3] = (uint8_t) total;
        memcpy(out, h, 20);
        memcpy(out + 20, vrrp, len);
        return total;
}

static void test_parse_ipv4(void **state) {
        VrrpPktCtx c = ctx4(), got_ctx;
        VrrpAdvert a = adv4(3), got;
        uint8_t vrrp[64], dgram[128];
        int n;
        size_t len;

        (void) state;
        n = vrrp_pkt_build(vrrp, sizeof(vrrp), &a, &c.src, &c.dst, true);
        len = ipv4_wrap(dgram, vrrp, (size_t) n, 255);
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, VRRP_TTL, &got_ctx, &got), VRRP_PKT_OK);
        assert_true(ip_addr_equal(&got_ctx.src, &c.src));
        assert_true(ip_addr_equal(&got_ctx.dst, &c.dst));
        assert_int_equal(got_ctx.ttl, 255);
        assert_int_equal(got.naddr, 2);

        len = ipv4_wrap(dgram, vrrp, (size_t) n, 64);
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, VRRP_TTL, &got_ctx, &got), VRRP_PKT_BAD_TTL);
        len = ipv4_wrap(dgram, vrrp, (size_t) n, 255);
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len - 1, VRRP_TTL, &got_ctx, &got), VRRP_PKT_TRUNCATED);
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, 19, VRRP_TTL, &got_ctx, &got), VRRP_PKT_TOO_SHORT);
        dgram[9] = 17;
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, VRRP_TTL, &got_ctx, &got), VRRP_PKT_BAD_IP_HEADER);
        dgram[9] = 112;
        dgram[0] = 0x44;
        assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, VRRP_TTL, &got_ctx, &got), VRRP_PKT_BAD_IP_HEADER);
}

/* No address (an instance whose hooks move the address): count 0 encodes
 * and decodes in both versions, as keepalived's no_virtual_ipaddress. */
static void test_no_address(void **state) {
        VrrpPktCtx c4 = ctx4(), c6 = ctx6();
        VrrpAdvert a = adv4(3), got;
        uint8_t buf[VRRP_PKT_MAX_LEN];
        int n;

        (void) state;
        a.naddr = 0;
        n = vrrp_pkt_build(buf, sizeof(buf), &a, &c4.src, &c4.dst, true);
        assert_int_equal(n, VRRP_HEADER_LEN);
        assert_int_equal(buf[3], 0);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c4, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_int_equal(got.naddr, 0);
        assert_int_equal(got.priority, 150);

        a = adv4(2);
        a.naddr = 0;
        a.auth_type = VRRP_V2_AUTH_PASS;
        memcpy(a.auth_data, "secret\0\0", 8);
        n = vrrp_pkt_build(buf, sizeof(buf), &a, NULL, NULL, false);
        assert_int_equal(n, VRRP_HEADER_LEN + VRRP_AUTH_DATA_LEN);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c4, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_int_equal(got.naddr, 0);
        assert_int_equal(vrrp_pkt_check_auth(&got, VRRP_V2_AUTH_PASS, "secret"), VRRP_PKT_OK);
        /* A count of 0 with 4 more bytes (zeros: the checksum holds) does not fit. */
        memset(buf + n, 0, 4);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n + 4, &c4, VRRP_TTL, &got), VRRP_PKT_BAD_ADDR_COUNT);

        a = (VrrpAdvert) { .version = 3, .vrid = 7, .priority = 100, .naddr = 0, .adver_int_cs = 100,
                           .family = AF_INET6 };
        n = vrrp_pkt_build(buf, sizeof(buf), &a, &c6.src, &c6.dst, false);
        assert_int_equal(n, VRRP_HEADER_LEN);
        assert_int_equal(vrrp_pkt_parse(buf, (size_t) n, &c6, VRRP_TTL, &got), VRRP_PKT_OK);
        assert_int_equal(got.naddr, 0);
}

/* The TTL / hop limit: at least min_ttl (255 by default, lower for peers
 * across a router), never above 255, and a missing hop limit (-1) fails. */
static void test_min_ttl(void **state) {
        VrrpPktCtx c = ctx4(), c6 = ctx6(), got_ctx;
        VrrpAdvert a = adv4(3), got;
        uint8_t vrrp[64], dgram[128];
        int n;
        size_t len;

        (void) state;
        n = vrrp_pkt_build(vrrp, sizeof(vrrp), &a, &c.src, &c.dst, true);
        for (int ttl = 1; ttl <= 255; ttl++) {
                len = ipv4_wrap(dgram, vrrp, (size_t) n, (uint8_t) ttl);
                assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, 63, &got_ctx, &got),
                                 ttl >= 63 ? VRRP_PKT_OK : VRRP_PKT_BAD_TTL);
                assert_int_equal(vrrp_pkt_parse_ipv4(dgram, len, VRRP_TTL, &got_ctx, &got),
                                 ttl == 255 ? VRRP_PKT_OK : VRRP_PKT_BAD_TTL);
                assert_int_equal(got_ctx.ttl, ttl);
        }
        a = (VrrpAdvert) { .version = 3, .vrid = 7, .priority = 100, .naddr = 0, .adver_int_cs = 100,
                           .family = AF_INET6 };
        n = vrrp_pkt_build(vrrp, sizeof(vrrp), &a, &c6.src, &c6.dst, false);
        c6.ttl = 62;
        assert_int_equal(vrrp_pkt_parse(vrrp, (size_t) n, &c6, 63, &got), VRRP_PKT_BAD_TTL);
        c6.ttl = 63;
        assert_int_equal(vrrp_pkt_parse(vrrp, (size_t) n, &c6, 63, &got), VRRP_PKT_OK);
        c6.ttl = -1;
        assert_int_equal(vrrp_pkt_parse(vrrp, (size_t) n, &c6, 1, &got), VRRP_PKT_BAD_TTL);
        c6.ttl = 256;
        assert_int_equal(vrrp_pkt_parse(vrrp, (size_t) n, &c6, 1, &got), VRRP_PKT_BAD_TTL);
}

/* keepalived's packets decode to what its configuration said, pass the
 * authentication it was given, and our encoder produces the same bytes. */
static void test_keepalived_vectors(void **state) {
        (void) state;
        for (size_t v = 0; v < sizeof(keepalived_vectors) / sizeof(keepalived_vectors[0]); v++) {
                const KeepalivedVector *k = &keepalived_vectors[v];
                const uint8_t *vrrp = k->data;
                size_t len = k->len;
                uint8_t buf[VRRP_PKT_MAX_LEN];
                VrrpPktCtx c;
                VrrpAdvert a;
                int n;

                print_message("# vector %s\n", k->name);
                if (k->family == AF_INET) {
                        assert_int_equal(vrrp_pkt_parse_ipv4(k->data, k->len, VRRP_TTL, &c, &a), VRRP_PKT_OK);
                        vrrp += 20;
                        len -= 20;
                        IpAddr src = addr(k->src);
                        assert_true(ip_addr_equal(&c.src, &src));
                } else {
                        c = (VrrpPktCtx) { .family = AF_INET6, .src = addr(k->src), .dst = addr(k->dst),
                                           .ttl = k->hop_limit };
                        assert_int_equal(vrrp_pkt_parse(k->data, k->len, &c, VRRP_TTL, &a), VRRP_PKT_OK);
                }
                assert_int_equal(a.version, k->version);
                assert_int_equal(a.vrid, k->vrid);
                assert_int_equal(a.priority, k->priority);
                assert_int_equal(a.naddr, k->naddr);
                assert_int_equal(a.adver_int_cs, k->adver_int_cs);
                assert_int_equal(a.pseudo_header, k->version == 3 && k->pseudo_header);
                for (size_t i = 0; i < k->naddr; i++) {
                        IpAddr want = addr(k->addrs[i]);
                        assert_memory_equal(&a.addrs[i], &want.u, k->family == AF_INET ? 4 : 16);
                }
                if (k->version == 2) {
                        assert_int_equal(a.auth_type, k->auth_type);
                        assert_int_equal(vrrp_pkt_check_auth(&a, k->auth_type, k->auth_pass), VRRP_PKT_OK);
                        assert_int_equal(vrrp_pkt_check_auth(&a, k->auth_type, "wrong"),
                                         k->auth_type == VRRP_V2_AUTH_PASS ? VRRP_PKT_BAD_AUTH : VRRP_PKT_OK);
                }
                n = vrrp_pkt_build(buf, sizeof(buf), &a, &c.src, &c.dst, a.pseudo_header);
                assert_int_equal(n, (int) len);
                assert_memory_equal(buf, vrrp, len);
        }
}

static void test_error_names(void **state) {
        (void) state;
        for (int e = 0; e < _VRRP_PKT_ERROR_MAX; e++) {
                assert_non_null(vrrp_pkt_error_to_string((VrrpPktError) e));
                for (int o = 0; o < e; o++)
                        assert_string_not_equal(vrrp_pkt_error_to_string((VrrpPktError) e),
                                                vrrp_pkt_error_to_string((VrrpPktError) o));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_known_checksum),
                cmocka_unit_test(test_round_trip_v3_ipv4_both_checksums),
                cmocka_unit_test(test_round_trip_v3_ipv6),
                cmocka_unit_test(test_round_trip_v2_pass),
                cmocka_unit_test(test_build_rejects),
                cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_parse_ipv4),
                cmocka_unit_test(test_no_address),
                cmocka_unit_test(test_min_ttl),
                cmocka_unit_test(test_keepalived_vectors),
                cmocka_unit_test(test_error_names),
        };
        return cmocka_run_group_tests_name("vrrp-packet", tests, NULL, NULL);
}
