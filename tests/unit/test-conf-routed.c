/* Unit tests: the loader's keys for peers across a router and instances
 * without a VIP (conf-instance-routed.c): unicast_ttl, unicast_min_ttl,
 * family, and virtual_addresses left out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf-test-util.h"
#include "conf/conf.h"

/* Line 1: the instance's head; line 2: the case's text; line 3: the end. */
#define INST(line2) "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n" line2 "\n} );\n"
#define PEERS4 "unicast_peers = ( \"10.96.2.12\" ); "
#define PEERS6 "unicast_peers = ( \"2001:db8:96:2::12\" ); "
#define VIP4 "virtual_addresses = ( \"10.96.100.1/32\" ); "

static const ConfErrorCase error_cases[] = {
        { "ttl without peers", INST(VIP4 "unicast_ttl = 64;"), 2, "'unicast_ttl' needs 'unicast_peers'" },
        { "min ttl without peers", INST(VIP4 "\nunicast_min_ttl = 63;"), 3, "'unicast_min_ttl' needs 'unicast_peers'" },
        { "min ttl with empty peers", INST("unicast_peers = ( );\nunicast_min_ttl = 63;"), 3, "needs 'unicast_peers'" },
        { "ttl 0", INST(PEERS4 "unicast_ttl = 0;"), 2, "'unicast_ttl' must be between 1 and 255 (got 0)" },
        { "ttl 256", INST(PEERS4 "unicast_ttl = 256;"), 2, "'unicast_ttl' must be between 1 and 255 (got 256)" },
        { "min ttl 0", INST(PEERS4 "unicast_min_ttl = 0;"), 2, "'unicast_min_ttl' must be between 1 and 255" },
        { "ttl string", INST(PEERS4 "unicast_ttl = \"64\";"), 2, "'unicast_ttl' must be an integer, not a string" },
        { "family unknown", INST("family = \"inet\";"), 2, "unknown family 'inet': use \"ipv4\" or \"ipv6\"" },
        { "family not a string", INST("family = 6;"), 2, "'family' must be a string" },
        { "family against vips", INST(VIP4 "\nfamily = \"ipv6\";"), 3, "family = \"ipv6\" but the instance's addresses are IPv4" },
        { "family against peers", INST(PEERS6 "\n\nfamily = \"ipv4\";"), 4, "family = \"ipv4\" but the instance's addresses are IPv6" },
        { "family ipv6 with v2", INST("version = 2; family = \"ipv6\";"), 1, "IPv6 needs version = 3" },
        { "typo", INST(PEERS4 "unicast_tll = 64;"), 2, "unknown setting 'unicast_tll' (did you mean 'unicast_ttl'?)" },
};

static char *too_many_vips(void) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        fputs("instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\nvirtual_addresses = ( ", f);
        for (int k = 0; k < 256; k++)
                fprintf(f, "%s\"10.96.%d.%d\"", k ? ", " : "", 100 + k / 200, 1 + k % 200);
        fputs(" );\n} );\n", f);
        assert_int_equal(fclose(f), 0);
        return text;
}

static void test_too_many_vips(void **state) {
        char *text = too_many_vips();

        (void) state;
        conf_expect_error(text, 2, "'virtual_addresses' must list at most 255 addresses (got 256)");
        free(text);
}

static Config *load(const char *text) {
        Config *c = conf_load_ok(text);

        assert_int_equal(c->n_instances, 1);
        return c;
}

/* Defaults: 255 both ways, as RFC 5798. */
static void test_defaults(void **state) {
        Config *c = load(INST(VIP4 PEERS4));

        (void) state;
        assert_int_equal(c->instances[0].unicast_ttl, 255);
        assert_int_equal(c->instances[0].unicast_min_ttl, 255);
        assert_int_equal(c->instances[0].n_vips, 1);
        conf_unref(c);
}

static void test_ttls(void **state) {
        Config *c = load(INST(VIP4 PEERS4 "unicast_ttl = 64; unicast_min_ttl = 1;"));

        (void) state;
        assert_int_equal(c->instances[0].unicast_ttl, 64);
        assert_int_equal(c->instances[0].unicast_min_ttl, 1);
        conf_unref(c);
}

/* Without a VIP the family comes from the peers, the source address, the
 * key, or is IPv4. */
static void test_no_vip_family(void **state) {
        static const struct {
                const char *text;
                int family;
        } cases[] = {
                { INST(PEERS6), AF_INET6 },
                { INST(PEERS4), AF_INET },
                { INST("source_address = \"2001:db8:96:1::11\";"), AF_INET6 },
                { INST("family = \"ipv6\";"), AF_INET6 },
                { INST("family = \"ipv4\"; unicast_peers = ( \"10.96.2.12\" );"), AF_INET },
                { INST("virtual_addresses = ( );"), AF_INET },
                { INST(""), AF_INET },
        };

        (void) state;
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                Config *c = load(cases[k].text);

                assert_int_equal(c->instances[0].n_vips, 0);
                assert_null(c->instances[0].vips);
                assert_int_equal(c->instances[0].family, cases[k].family);
                conf_unref(c);
        }
}

/* Two instances without a VIP hold no address in common; their VRIDs
 * still must differ per interface and family. */
static void test_no_vip_conflicts(void **state) {
        const char *two = "instances = ( { name = \"a\"; interface = \"eth0\"; vrid = 51; },\n"
                          "{ name = \"b\"; interface = \"eth0\"; vrid = 52; },\n"
                          "{ name = \"c\"; interface = \"eth0\"; vrid = 51; family = \"ipv6\"; } );\n";
        const char *clash = "instances = ( { name = \"a\"; interface = \"eth0\"; vrid = 51; },\n"
                            "{ name = \"b\"; interface = \"eth0\"; vrid = 51; } );\n";
        ConfErrors errs = {};
        Config *c = NULL;

        (void) state;
        assert_int_equal(conf_load_string(two, "r.conf", &c, &errs), 0);
        assert_int_equal(c->n_instances, 3);
        conf_unref(c);
        c = NULL;
        assert_int_equal(conf_load_string(clash, "r.conf", &c, &errs), -EINVAL);
        assert_int_equal(errs.n, 1);
        assert_int_equal(errs.items[0].line, 2);
        assert_non_null(strstr(errs.items[0].message, "vrid 51 on eth0 (IPv4) is already used"));
        conf_errors_clear(&errs);
}

/* A TTL is a setting of the same router (applied in place); a family is
 * another router. */
static void test_equal_and_same_router(void **state) {
        Config *a = load(INST(PEERS4));
        Config *b = load(INST(PEERS4 "unicast_min_ttl = 63;"));
        Config *d = load(INST(PEERS4 "unicast_ttl = 64;"));
        Config *v6 = load(INST("family = \"ipv6\";"));
        Config *v4 = load(INST(""));

        (void) state;
        assert_false(conf_instance_equal(&a->instances[0], &b->instances[0]));
        assert_false(conf_instance_equal(&a->instances[0], &d->instances[0]));
        assert_true(conf_instance_same_router(&a->instances[0], &b->instances[0]));
        assert_true(conf_instance_equal(&a->instances[0], &a->instances[0]));
        assert_false(conf_instance_same_router(&v6->instances[0], &v4->instances[0]));
        conf_unref(a);
        conf_unref(b);
        conf_unref(d);
        conf_unref(v6);
        conf_unref(v4);
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_too_many_vips),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_ttls),
                cmocka_unit_test(test_no_vip_family),
                cmocka_unit_test(test_no_vip_conflicts),
                cmocka_unit_test(test_equal_and_same_router),
        };

        return conf_run_tests("conf-routed", fixed, sizeof(fixed) / sizeof(fixed[0]), error_cases,
                              sizeof(error_cases) / sizeof(error_cases[0]));
}
