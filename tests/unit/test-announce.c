/* Unit tests: the gratuitous ARP and unsolicited NA builders (announce-frame.c),
 * byte for byte. The NA's flags are RFC 5798 6.4.1's: Router set,
 * Solicited unset, Override set. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vrrp/announce-frame.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void test_garp(void **state) {
        static const uint8_t expected[ARP_GARP_LEN] = {
                0x00, 0x01,                         /* hardware type: Ethernet */
                0x08, 0x00,                         /* protocol type: IPv4 */
                0x06,                               /* hardware address length */
                0x04,                               /* protocol address length */
                0x00, 0x01,                         /* opcode: request */
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* sender MAC */
                0xc0, 0x00, 0x02, 0x64,             /* sender IP: the VIP */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target MAC: unknown */
                0xc0, 0x00, 0x02, 0x64,             /* target IP: the VIP */
        };
        uint8_t buf[ARP_GARP_LEN];
        struct in_addr vip;

        (void) state;
        assert_int_equal(inet_pton(AF_INET, "192.0.2.100", &vip), 1);
        memset(buf, 0xaa, sizeof(buf));
        assert_int_equal(arp_build_garp(buf, mac, &vip), ARP_GARP_LEN);
        assert_memory_equal(buf, expected, sizeof(expected));
}

static void test_na(void **state) {
        static const uint8_t expected[NDISC_NA_LEN] = {
                0x88,                   /* type 136: neighbour advertisement */
                0x00,                   /* code */
                0x00, 0x00,             /* checksum: the kernel fills it in */
                0xa0, 0x00, 0x00, 0x00, /* flags: Router and Override (not Solicited) */
                0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* target: 2001:db8::100 */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                0x02,                   /* option: target link-layer address */
                0x01,                   /* option length: 8 bytes */
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
        };
        uint8_t buf[NDISC_NA_LEN];
        struct in6_addr vip;

        (void) state;
        assert_int_equal(inet_pton(AF_INET6, "2001:db8::100", &vip), 1);
        memset(buf, 0xaa, sizeof(buf));
        assert_int_equal(ndisc_build_na(buf, mac, &vip), NDISC_NA_LEN);
        assert_memory_equal(buf, expected, sizeof(expected));
        /* RFC 4861 4.4 numbers the flags from the top bit: R, S, O. */
        assert_true(buf[4] & 0x80);
        assert_false(buf[4] & 0x40);
        assert_true(buf[4] & 0x20);
}

/* Another address and MAC: nothing of the previous call is left over. */
static void test_builders_overwrite(void **state) {
        static const uint8_t mac2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
        uint8_t garp[ARP_GARP_LEN], na[NDISC_NA_LEN];
        struct in_addr v4;
        struct in6_addr v6;

        (void) state;
        assert_int_equal(inet_pton(AF_INET, "10.99.250.10", &v4), 1);
        assert_int_equal(inet_pton(AF_INET6, "fe80::1", &v6), 1);
        memset(garp, 0xff, sizeof(garp));
        memset(na, 0xff, sizeof(na));
        arp_build_garp(garp, mac2, &v4);
        ndisc_build_na(na, mac2, &v6);

        assert_memory_equal(garp + 8, mac2, 6);
        assert_memory_equal(garp + 14, ((const uint8_t[]) { 10, 99, 250, 10 }), 4);
        assert_memory_equal(garp + 18, ((const uint8_t[6]) { 0 }), 6);
        assert_memory_equal(garp + 24, ((const uint8_t[]) { 10, 99, 250, 10 }), 4);

        assert_memory_equal(na + 1, ((const uint8_t[]) { 0, 0, 0, 0xa0, 0, 0, 0 }), 7);
        assert_memory_equal(na + 8, &v6, 16);
        assert_memory_equal(na + 26, mac2, 6);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_garp),
                cmocka_unit_test(test_na),
                cmocka_unit_test(test_builders_overwrite),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
