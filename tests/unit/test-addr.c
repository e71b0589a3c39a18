/* Unit tests: address and prefix parsing (addr.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "shared/addr.h"

static void test_prefix_parse(void **state) {
        char buf[IP_PREFIX_STRLEN];
        IpPrefix p;

        (void) state;
        assert_int_equal(ip_prefix_parse("192.0.2.100/24", &p), 0);
        assert_int_equal(p.addr.family, AF_INET);
        assert_int_equal(p.prefixlen, 24);
        assert_string_equal(ip_prefix_to_string(&p, buf), "192.0.2.100/24");

        assert_int_equal(ip_prefix_parse("192.0.2.100", &p), 0);
        assert_int_equal(p.prefixlen, 32);
        assert_int_equal(ip_prefix_parse("2001:db8::1", &p), 0);
        assert_int_equal(p.addr.family, AF_INET6);
        assert_int_equal(p.prefixlen, 128);
        assert_int_equal(ip_prefix_parse("2001:db8::1/64", &p), 0);
        assert_string_equal(ip_prefix_to_string(&p, buf), "2001:db8::1/64");
}

static void test_prefix_parse_rejects(void **state) {
        static const char *const bad[] = {
                "", "/24", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/-1", "192.0.2.1/+8",
                "192.0.2.1/ 8", "192.0.2.256", "2001:db8::1/129", "prometheus.example",
                "192.0.2.1/24 dev eth0", "2001:db8::1/1000",
        };
        IpPrefix p;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(ip_prefix_parse(bad[i], &p), -EINVAL);
}

static void test_addr_special(void **state) {
        static const char *const special[] = { "0.0.0.0", "127.0.0.1", "224.0.0.18", "255.255.255.255",
                                                "::", "::1", "ff02::12" };
        IpAddr a, b;

        (void) state;
        for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
                assert_int_equal(ip_addr_parse(special[i], &a), 0);
                assert_true(ip_addr_is_special(&a));
        }
        assert_int_equal(ip_addr_parse("10.99.0.1", &a), 0);
        assert_false(ip_addr_is_special(&a));
        assert_int_equal(ip_addr_parse("10.99.0.1", &b), 0);
        assert_true(ip_addr_equal(&a, &b));
        assert_int_equal(ip_addr_parse("10.99.0.2", &b), 0);
        assert_false(ip_addr_equal(&a, &b));
        assert_int_equal(ip_addr_parse("10.99.0.1/24", &a), -EINVAL);
}

static IpAddr addr(const char *s) {
        IpAddr a;

        assert_int_equal(ip_addr_parse(s, &a), 0);
        return a;
}

static void test_addr_compare(void **state) {
        IpAddr a = addr("10.99.0.11"), b = addr("10.99.0.12"), c = addr("10.100.0.1");
        IpAddr d = addr("fe80::1"), e = addr("fe80::2");

        (void) state;
        assert_true(ip_addr_compare(&a, &b) < 0);
        assert_true(ip_addr_compare(&b, &a) > 0);
        assert_true(ip_addr_compare(&c, &b) > 0);
        assert_int_equal(ip_addr_compare(&a, &a), 0);
        assert_true(ip_addr_compare(&d, &e) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix_parse),
                cmocka_unit_test(test_prefix_parse_rejects),
                cmocka_unit_test(test_addr_special),
                cmocka_unit_test(test_addr_compare),
        };
        return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
