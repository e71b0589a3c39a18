/* Unit tests: `sync_groups` in the configuration loader (errors at their
 * file:line, membership, the group's notify). */
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

/* Lines 1-3: three instances; line 4 on: the case's sync_groups. */
#define INSTANCES                                                                                       \
        "instances = ( { name = \"prom4\"; interface = \"eth0\"; vrid = 51; virtual_addresses = ( \"192.0.2.100/24\" ); },\n" \
        "  { name = \"prom6\"; interface = \"eth0\"; vrid = 51; virtual_addresses = ( \"2001:db8::100/64\" ); },\n"          \
        "  { name = \"am\"; interface = \"eth1\"; vrid = 52; virtual_addresses = ( \"192.0.2.101/24\" ); } );\n"

static const ConfErrorCase error_cases[] = {
        { "not a list", INSTANCES "sync_groups = { name = \"g\"; };\n", 4, "'sync_groups' must be a list of groups" },
        { "no name", INSTANCES "sync_groups = ( { instances = ( \"prom4\", \"prom6\" ); } );\n", 4, "'name' is required" },
        { "bad name", INSTANCES "sync_groups = ( { name = \"a b\"; instances = ( \"prom4\", \"prom6\" ); } );\n", 4,
          "bad name 'a b'" },
        { "no instances", INSTANCES "sync_groups = ( { name = \"g\"; } );\n", 4, "'instances' is required" },
        { "one instance", INSTANCES "sync_groups = ( { name = \"g\";\n instances = ( \"prom4\" ); } );\n", 5,
          "at least 2 instances (got 1)" },
        { "instances not a list", INSTANCES "sync_groups = ( { name = \"g\";\n instances = \"prom4\"; } );\n", 5,
          "'instances' must be a list" },
        { "unknown instance", INSTANCES "sync_groups = ( { name = \"g\"; instances = (\n \"prom4\",\n \"prom7\" ); } );\n",
          6, "sync group 'g': unknown instance 'prom7'" },
        { "not a string", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\",\n 6 ); } );\n", 5,
          "'instances' element 2 must be a string" },
        { "listed twice", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\",\n \"prom4\" ); } );\n", 5,
          "instance 'prom4' is listed twice" },
        { "two groups", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" ); },\n"
                                  "  { name = \"h\"; instances = ( \"am\",\n \"prom6\" ); } );\n",
          6, "instance 'prom6' is already in sync group 'g' at line 4" },
        { "duplicate name", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" ); },\n"
                                      "  { name = \"g\"; instances = ( \"am\", \"prom6\" ); } );\n",
          5, "duplicate sync group name (first defined at line 4)" },
        { "unknown key", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" );\n"
                                   "  notify_master = \"/bin/true\"; } );\n",
          5, "unknown setting 'notify_master'" },
        { "notify relative", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" );\n"
                                       "  notify = { master = \"true\"; }; } );\n",
          5, "absolute" },
        { "notify bad key", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" );\n"
                                      "  notify = { mastr = \"/bin/true\"; }; } );\n",
          5, "unknown setting 'mastr'" },
        { "notify timeout", INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"prom6\" );\n"
                                      "  notify = { timeout = 0; }; } );\n",
          5, "'timeout' must be between 0.1 and 3600" },
};

static void test_group(void **state) {
        Config *c = conf_load_ok(INSTANCES "sync_groups = ( { name = \"prom\"; instances = ( \"prom6\", \"prom4\" );\n"
                                      "  notify = { master = \"/usr/local/bin/m\"; any = ( \"/usr/local/bin/n\", \"x\" ); timeout = 5; }; } );\n");

        (void) state;
        assert_int_equal(c->n_sync_groups, 1);
        assert_string_equal(c->sync_groups[0].name, "prom");
        assert_int_equal(c->sync_groups[0].line, 4);
        assert_int_equal(c->sync_groups[0].n_instances, 2);
        assert_int_equal(c->sync_groups[0].instances[0], 1);
        assert_int_equal(c->sync_groups[0].instances[1], 0);
        assert_string_equal(c->sync_groups[0].notify.master.argv[0], "/usr/local/bin/m");
        assert_int_equal(c->sync_groups[0].notify.any.argc, 2);
        assert_null(c->sync_groups[0].notify.backup.argv);
        assert_int_equal(c->sync_groups[0].notify.timeout_usec, 5000000);
        assert_string_equal(c->instances[0].sync_group, "prom");
        assert_string_equal(c->instances[1].sync_group, "prom");
        assert_null(c->instances[2].sync_group);
        assert_true(conf_runs_commands(c));
        conf_unref(c);
}

static void test_no_groups(void **state) {
        Config *c = conf_load_ok(INSTANCES);

        (void) state;
        assert_int_equal(c->n_sync_groups, 0);
        assert_null(c->instances[0].sync_group);
        assert_false(conf_runs_commands(c));
        conf_unref(c);
        c = conf_load_ok(INSTANCES "sync_groups = ( );\n");
        assert_int_equal(c->n_sync_groups, 0);
        conf_unref(c);
}

/* Joining or leaving a group is a change of the instance (a reload applies it). */
static void test_membership_changes_instance(void **state) {
        Config *a = conf_load_ok(INSTANCES), *b = conf_load_ok(INSTANCES "sync_groups = ( { name = \"g\"; instances = ( \"prom4\", \"am\" ); } );\n");

        (void) state;
        assert_false(conf_instance_equal(&a->instances[0], &b->instances[0]));
        assert_true(conf_instance_same_router(&a->instances[0], &b->instances[0]));
        assert_true(conf_instance_equal(&a->instances[1], &b->instances[1]));
        conf_unref(a);
        conf_unref(b);
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_group),
                cmocka_unit_test(test_no_groups),
                cmocka_unit_test(test_membership_changes_instance),
        };

        return conf_run_tests("conf-sync", fixed, sizeof(fixed) / sizeof(fixed[0]), error_cases,
                              sizeof(error_cases) / sizeof(error_cases[0]));
}
