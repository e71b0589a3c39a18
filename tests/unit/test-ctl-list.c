/* Unit tests: promvipctl list (ctl-list.c): the kinds it knows and the
 * names it writes for each, in the configuration's order; file probes of
 * one instance. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl/ctl-list.h"
#include "shared/macro.h"

static const char text[] =
        "probes = ( { name = \"ready\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; weight = -50; },\n"
        "           { name = \"drain\"; type = \"file\"; path = \"/x/drain\"; weight = -100; },\n"
        "           { name = \"maint\"; type = \"file\"; path = \"/x/maint\"; weight = -100; } );\n"
        "instances = ( { name = \"prom4\"; interface = \"eth0\"; vrid = 51; virtual_addresses = ( \"192.0.2.100/24\" ); "
        "track = ( \"ready\", \"maint\", \"drain\" ); },\n"
        "  { name = \"prom6\"; interface = \"eth0\"; vrid = 51; virtual_addresses = ( \"2001:db8::100/64\" ); },\n"
        "  { name = \"am\"; interface = \"eth1\"; vrid = 52; virtual_addresses = ( \"192.0.2.101/24\" ); } );\n"
        "sync_groups = ( { name = \"prom\"; instances = ( \"prom4\", \"prom6\" ); } );\n";

static void test_kind(void **state) {
        (void) state;
        assert_int_equal(ctl_list_kind_from_string("instances"), CTL_LIST_INSTANCES);
        assert_int_equal(ctl_list_kind_from_string("probes"), CTL_LIST_PROBES);
        assert_int_equal(ctl_list_kind_from_string("sync-groups"), CTL_LIST_SYNC_GROUPS);
        assert_int_equal(ctl_list_kind_from_string("file-probes"), CTL_LIST_FILE_PROBES);
        assert_int_equal(ctl_list_kind_from_string("sync_groups"), -EINVAL);
        assert_int_equal(ctl_list_kind_from_string("instance"), -EINVAL);
        assert_int_equal(ctl_list_kind_from_string(""), -EINVAL);
}

/* What ctl_list_write() writes for `kind`, malloc'ed. */
static char *written(const Config *c, CtlListKind kind, const char *instance) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(ctl_list_write(c, kind, instance, f), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_write(void **state) {
        _cleanup_(conf_unrefp) Config *c = NULL, *empty = NULL;
        ConfErrors errs = {};
        char *s;

        (void) state;
        assert_int_equal(conf_load_string(text, "t.conf", &c, &errs), 0);
        s = written(c, CTL_LIST_INSTANCES, NULL);
        assert_string_equal(s, "prom4\nprom6\nam\n");
        free(s);
        s = written(c, CTL_LIST_PROBES, NULL);
        assert_string_equal(s, "ready\ndrain\nmaint\n");
        free(s);
        s = written(c, CTL_LIST_SYNC_GROUPS, NULL);
        assert_string_equal(s, "prom\n");
        free(s);

        /* File probes: all, or those one instance tracks, in its order. */
        s = written(c, CTL_LIST_FILE_PROBES, NULL);
        assert_string_equal(s, "drain\nmaint\n");
        free(s);
        s = written(c, CTL_LIST_FILE_PROBES, "prom4");
        assert_string_equal(s, "maint\ndrain\n");
        free(s);
        s = written(c, CTL_LIST_FILE_PROBES, "prom6");
        assert_string_equal(s, "");
        free(s);
        assert_int_equal(ctl_list_write(c, CTL_LIST_FILE_PROBES, "nope", stdout), -ENOENT);

        /* No probes, no sync groups: nothing at all, not an empty line. */
        assert_int_equal(conf_load_string("instances = ( { name = \"a\"; interface = \"eth0\"; vrid = 1; "
                                          "virtual_addresses = ( \"192.0.2.1\" ); } );\n",
                                          "e.conf", &empty, &errs),
                         0);
        s = written(empty, CTL_LIST_PROBES, NULL);
        assert_string_equal(s, "");
        free(s);
        s = written(empty, CTL_LIST_SYNC_GROUPS, NULL);
        assert_string_equal(s, "");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind),
                cmocka_unit_test(test_write),
        };
        return cmocka_run_group_tests_name("ctl-list", tests, NULL, NULL);
}
