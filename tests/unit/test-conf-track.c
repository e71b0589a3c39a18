/* Unit tests: the loader's track_interfaces and file probes (conf-track.c):
 * every error at its line, and the values a valid file gives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-test-util.h"
#include "conf/conf.h"

/* Line 1: a probe, line 2: an instance's head, line 3: the case, line 4: the end. */
#define PROBE_LINE "probes = ( { name = \"ready\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; } );\n"
#define INST_HEAD "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n"
#define INST_TAIL "  virtual_addresses = ( \"192.0.2.100/24\" ); } );\n"
#define INST(line3) PROBE_LINE INST_HEAD line3 "\n" INST_TAIL
/* Line 1: a file probe named "drain" with the case's keys. */
#define FILE_PROBE(keys) "probes = ( { name = \"drain\"; type = \"file\"; " keys " } );\n" INST_HEAD "\n" INST_TAIL

static const ConfErrorCase error_cases[] = {
        { "track_interfaces not a list", INST("  track_interfaces = \"eth1\";"), 3, "'track_interfaces' must be a list" },
        { "track_interfaces bad element", INST("  track_interfaces = ( 5 );"), 3, "must be an interface name or a group" },
        { "track_interfaces no interface", INST("  track_interfaces = ( { weight = -5; } );"), 3, "needs 'interface'" },
        { "track_interfaces weight range", INST("  track_interfaces = ( { interface = \"eth1\"; weight = -254; } );"), 3,
          "'weight' must be between -253 and 253 (got -254)" },
        { "track_interfaces weight type", INST("  track_interfaces = ( { interface = \"eth1\"; weight = \"-5\"; } );"), 3,
          "'weight' must be an integer" },
        { "track_interfaces unknown key", INST("  track_interfaces = ( { interface = \"eth1\"; wieght = -5; } );"), 3,
          "unknown setting 'wieght' (did you mean 'weight'?)" },
        { "track_interfaces bad name", INST("  track_interfaces = ( \"eth/1\" );"), 3, "bad interface name 'eth/1'" },
        { "track_interfaces name too long", INST("  track_interfaces = ( \"abcdefghijklmnop\" );"), 3, "bad interface name" },
        { "track_interfaces own interface", INST("  track_interfaces = ( \"eth0\" );"), 3, "the instance's own interface" },
        { "track_interfaces twice", INST("  track_interfaces = ( \"eth1\", { interface = \"eth1\"; weight = -5; } );"), 3,
          "interface 'eth1' is tracked twice" },
        { "track_interfaces typo", INST("  track_interface = ( \"eth1\" );"), 3,
          "unknown setting 'track_interface' (did you mean 'track_interfaces'?)" },
        { "file without path", FILE_PROBE("weight = -100;"), 1, "'path' is required for a probe of type 'file'" },
        { "file relative path", FILE_PROBE("path = \"drain\";"), 1, "'path' must be an absolute path (got 'drain')" },
        { "file path a directory", FILE_PROBE("path = \"/var/lib/promvip/\";"), 1, "must name a file, not a directory" },
        { "file path dot-dot", FILE_PROBE("path = \"/var/lib/..\";"), 1, "must name a file" },
        { "file path not a string", FILE_PROBE("path = 5;"), 1, "'path' must be a string" },
        { "file interval", FILE_PROBE("path = \"/x/d\"; interval = 1;"), 1, "'interval' does not apply to a file probe" },
        { "file fall", FILE_PROBE("path = \"/x/d\"; fall = 2;"), 1, "'fall' does not apply to a file probe" },
        { "file missing range", FILE_PROBE("path = \"/x/d\"; missing = 2147483648L;"), 1,
          "'missing' must be between -2147483648 and 2147483647" },
        { "file missing type", FILE_PROBE("path = \"/x/d\"; missing = \"1\";"), 1, "'missing' must be an integer" },
        { "file weight range", FILE_PROBE("path = \"/x/d\"; weight = 300;"), 1, "'weight' must be between -253 and 253" },
        { "file unknown key", FILE_PROBE("path = \"/x/d\"; url = \"http://x/\";"), 1, "unknown setting 'url'" },
        { "missing on an http probe", "probes = ( { name = \"p\"; type = \"http\"; url = \"http://x/\"; missing = 1; } );\n"
          INST_HEAD "\n" INST_TAIL, 1, "unknown setting 'missing'" },
        { "unknown type lists file", "probes = ( { name = \"p\"; type = \"files\"; } );\n" INST_HEAD "\n" INST_TAIL, 1,
          "use http, promql, exec or file" },
};

static const char valid[] =
        "probes = (\n"
        "  { name = \"drain\"; type = \"file\"; path = \"/var/lib/promvip/drain\"; weight = -100; },\n"
        "  { name = \"maint\"; type = \"file\"; path = \"/run/maint\"; missing = 1; }\n"
        ");\n"
        "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n"
        "  virtual_addresses = ( \"192.0.2.100/24\" );\n"
        "  track = ( \"drain\", { probe = \"maint\"; weight = -10; } );\n"
        "  track_interfaces = ( \"eth1\", { interface = \"eth2\"; weight = -50; }, { interface = \"bond0\"; } ); } );\n";

static void test_valid(void **state) {
        Config *c = conf_load_ok(valid);
        const InstanceConfig *in = &c->instances[0];

        (void) state;
        assert_int_equal(c->probes[0].kind, PROBE_FILE);
        assert_string_equal(probe_kind_to_string(PROBE_FILE), "file");
        assert_string_equal(c->probes[0].path, "/var/lib/promvip/drain");
        assert_int_equal(c->probes[0].weight, -100);
        assert_int_equal(c->probes[0].missing, 0);
        assert_int_equal(c->probes[1].missing, 1);
        assert_int_equal(c->probes[1].weight, 0);
        assert_int_equal(in->tracks[0].weight, -100);
        assert_int_equal(in->tracks[1].weight, -10);
        assert_int_equal(in->n_track_interfaces, 3);
        assert_string_equal(in->track_interfaces[0].interface, "eth1");
        assert_int_equal(in->track_interfaces[0].weight, 0);
        assert_string_equal(in->track_interfaces[1].interface, "eth2");
        assert_int_equal(in->track_interfaces[1].weight, -50);
        assert_string_equal(in->track_interfaces[2].interface, "bond0");
        assert_int_equal(in->track_interfaces[2].weight, 0);
        assert_false(conf_runs_commands(c));
        conf_unref(c);
}

/* A reload compares tracked interfaces and the file probe's settings. */
static void test_equal(void **state) {
        Config *a = conf_load_ok(valid), *b = conf_load_ok(valid);
        char *text = strdup(valid), *p;

        (void) state;
        assert_true(conf_instance_equal(&a->instances[0], &b->instances[0]));
        assert_true(conf_probe_equal(&a->probes[0], &b->probes[0]));
        conf_unref(b);
        assert_non_null(text);
        p = strstr(text, "weight = -50");
        memcpy(p, "weight = -51", 12);
        b = conf_load_ok(text);
        assert_false(conf_instance_equal(&a->instances[0], &b->instances[0]));
        conf_unref(b);
        free(text);
        text = strdup(valid);
        assert_non_null(text);
        p = strstr(text, "/run/maint");
        memcpy(p, "/run/mains", 10);
        b = conf_load_ok(text);
        assert_false(conf_probe_equal(&a->probes[1], &b->probes[1]));
        conf_unref(b);
        free(text);
        text = strdup(valid);
        assert_non_null(text);
        p = strstr(text, "missing = 1");
        memcpy(p, "missing = 2", 11);
        b = conf_load_ok(text);
        assert_false(conf_probe_equal(&a->probes[1], &b->probes[1]));
        conf_unref(b);
        free(text);
        conf_unref(a);
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_equal),
        };

        return conf_run_tests("conf-track", fixed, sizeof(fixed) / sizeof(fixed[0]), error_cases,
                              sizeof(error_cases) / sizeof(error_cases[0]));
}
