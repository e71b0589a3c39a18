/* Unit tests: which advertisements an instance accepts (vrrp-filter.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp/vrrp-filter.h"

static IpPrefix vips[2];
static IpAddr peers[1];

static VrrpFilterParams instance(uint8_t version) {
        VrrpFilterParams in = { .version = version, .priority = 100, .adver_int_cs = 100,
                                .vips = vips, .n_vips = 2 };

        assert_int_equal(ip_prefix_parse("192.0.2.100/24", &vips[0]), 0);
        assert_int_equal(ip_prefix_parse("192.0.2.101/24", &vips[1]), 0);
        return in;
}

static VrrpAdvert advert(uint8_t version) {
        VrrpAdvert a = { .version = version, .vrid = 51, .priority = 100, .naddr = 2,
                         .adver_int_cs = 100, .family = AF_INET };

        inet_pton(AF_INET, "192.0.2.101", &a.addrs[0]); /* any order */
        inet_pton(AF_INET, "192.0.2.100", &a.addrs[1]);
        return a;
}

static VrrpPktCtx ctx(const char *src) {
        VrrpPktCtx c = { .family = AF_INET, .ttl = 255 };

        assert_int_equal(ip_addr_parse(src, &c.src), 0);
        assert_int_equal(ip_addr_parse("224.0.0.18", &c.dst), 0);
        return c;
}

static void test_accepts(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(3);
        VrrpPktCtx c = ctx("10.99.0.12");

        (void) state;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
        a.adver_int_cs = 250; /* v3 learns the master's interval */
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
}

static void test_version_mismatch(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(2);
        VrrpPktCtx c = ctx("10.99.0.12");

        (void) state;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_VERSION_MISMATCH);
}

static void test_addr_mismatch(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(3);
        VrrpPktCtx c = ctx("10.99.0.12");

        (void) state;
        a.naddr = 1;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_ADDR_MISMATCH);
        a = advert(3);
        inet_pton(AF_INET, "192.0.2.102", &a.addrs[1]);
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_ADDR_MISMATCH);
}

static void test_unicast_peers(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(3);
        VrrpPktCtx c = ctx("10.99.0.13");

        (void) state;
        assert_int_equal(ip_addr_parse("10.99.0.12", &peers[0]), 0);
        in.peers = peers;
        in.n_peers = 1;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_UNKNOWN_PEER);
        c = ctx("10.99.0.12");
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
}

static void test_v2_auth_and_interval(void **state) {
        VrrpFilterParams in = instance(2);
        VrrpAdvert a = advert(2);
        VrrpPktCtx c = ctx("10.99.0.12");

        (void) state;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
        a.adver_int_cs = 200;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_INTERVAL_MISMATCH);
        a = advert(2);
        in.auth_type = VRRP_V2_AUTH_PASS;
        in.auth_password = "secret";
        assert_int_equal(vrrp_filter(&in, &c, &a, false), (VrrpDrop) VRRP_PKT_BAD_AUTH);
        a.auth_type = VRRP_V2_AUTH_PASS;
        memcpy(a.auth_data, "secret\0\0", 8);
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
        memcpy(a.auth_data, "wrong\0\0\0", 8);
        assert_int_equal(vrrp_filter(&in, &c, &a, false), (VrrpDrop) VRRP_PKT_BAD_AUTH);
}

/* Peers across a router: a TTL below 255 only with unicast peers and at
 * least unicast_min_ttl; an unlisted sender is unknown_peer whatever its
 * TTL; without peers (multicast) min_ttl does not apply. */
static void test_min_ttl(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(3);
        VrrpPktCtx c = ctx("10.96.2.12");

        (void) state;
        assert_int_equal(ip_addr_parse("10.96.2.12", &peers[0]), 0);
        in.peers = peers;
        in.n_peers = 1;
        c.ttl = 254;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), (VrrpDrop) VRRP_PKT_BAD_TTL); /* default: 255 */
        in.min_ttl = 63;
        for (int ttl = 1; ttl <= 255; ttl++) {
                c.ttl = ttl;
                assert_int_equal(vrrp_filter(&in, &c, &a, false),
                                 ttl >= 63 ? VRRP_DROP_NONE : (VrrpDrop) VRRP_PKT_BAD_TTL);
        }
        c = ctx("10.96.3.13");
        c.ttl = 64;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_UNKNOWN_PEER);
        c.ttl = 1;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_UNKNOWN_PEER);
        in.n_peers = 0;
        c.ttl = 64;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), (VrrpDrop) VRRP_PKT_BAD_TTL);
        c.ttl = 255;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
}

/* No VIP: only adverts with no address match (keepalived's
 * no_virtual_ipaddress sends count 0). */
static void test_no_vips(void **state) {
        VrrpFilterParams in = instance(3);
        VrrpAdvert a = advert(3);
        VrrpPktCtx c = ctx("10.99.0.12");

        (void) state;
        in.vips = NULL;
        in.n_vips = 0;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_ADDR_MISMATCH);
        a.naddr = 0;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
        in = instance(3);
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_ADDR_MISMATCH);
}

static void test_drop_names(void **state) {
        (void) state;
        assert_string_equal(vrrp_drop_to_string((VrrpDrop) VRRP_PKT_BAD_TTL), "bad_ttl");
        assert_string_equal(vrrp_drop_to_string(VRRP_DROP_UNKNOWN_VRID), "unknown_vrid");
        assert_string_equal(vrrp_drop_to_string(VRRP_DROP_UNKNOWN_PEER), "unknown_peer");
        for (int d = 1; d < _VRRP_DROP_MAX; d++)
                for (int o = 1; o < d; o++)
                        assert_string_not_equal(vrrp_drop_to_string((VrrpDrop) d), vrrp_drop_to_string((VrrpDrop) o));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepts),
                cmocka_unit_test(test_version_mismatch),
                cmocka_unit_test(test_addr_mismatch),
                cmocka_unit_test(test_unicast_peers),
                cmocka_unit_test(test_v2_auth_and_interval),
                cmocka_unit_test(test_min_ttl),
                cmocka_unit_test(test_no_vips),
                cmocka_unit_test(test_drop_names),
        };
        return cmocka_run_group_tests_name("vrrp-filter", tests, NULL, NULL);
}
