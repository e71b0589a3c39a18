/* Unit tests: promvipd's check of the commands a configuration names
 * (daemon/conf-check.c), the part of accepting a configuration that looks
 * at the host. Each refusal is an error at the line that sets the command. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/conf-check.h"

#define VIPS "  virtual_addresses = ( \"192.0.2.100/24\" ); } );\n"
#define SAFE "(scripts must be changeable by root only)"

static Config *load(const char *text) {
        ConfErrors errs = {};
        Config *c = NULL;

        assert_int_equal(conf_load_string(text, "t.conf", &c, &errs), 0);
        assert_int_equal(errs.n, 0);
        return c;
}

static void assert_error(const ConfError *e, const char *file, unsigned line, const char *message) {
        if (strcmp(e->file, file) != 0 || e->line != line || !strstr(e->message, message))
                print_error("got %s:%u: %s\n", e->file, e->line, e->message);
        assert_string_equal(e->file, file);
        assert_int_equal(e->line, line);
        assert_non_null(strstr(e->message, message));
}

/* Every refused command is reported, in file order (here the instance
 * comes first), with the reason and the loader's old wording. */
static void test_refused_in_file_order(void **state) {
        Config *c = load("instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n"
                         "  notify = { master = \"/bin/true\";\n"
                         "    backup = \"/etc/passwd\"; any = \"/nonexistent/any.sh\"; };\n" VIPS
                         "probes = ( { name = \"p\"; type = \"exec\"; command = [ \"/nonexistent/check\", \"-x\" ]; },\n"
                         "  { name = \"ok\"; type = \"exec\"; command = \"/bin/true\"; } );\n");
        ConfErrors errs = {};

        (void) state;
        assert_int_equal(conf_check_scripts(c, &errs), -EINVAL);
        assert_int_equal(errs.n, 3);
        assert_error(&errs.items[0], "t.conf", 3,
                     "instance 'prom': 'backup': /etc/passwd is not executable " SAFE);
        assert_error(&errs.items[1], "t.conf", 3,
                     "instance 'prom': 'any': /nonexistent/any.sh: No such file or directory " SAFE);
        assert_error(&errs.items[2], "t.conf", 5,
                     "probe 'p': 'command': /nonexistent/check: No such file or directory " SAFE);
        conf_errors_clear(&errs);
        conf_unref(c);
}

static void test_safe_commands(void **state) {
        Config *c = load("probes = ( { name = \"ok\"; type = \"exec\"; command = \"/bin/true\"; } );\n"
                         "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n"
                         "  notify = { stop = [ \"/usr/bin/env\", \"true\" ]; };\n" VIPS);
        ConfErrors errs = {};

        (void) state;
        assert_int_equal(conf_check_scripts(c, &errs), 0);
        assert_int_equal(errs.n, 0);
        conf_unref(c);
}

/* A sync group's hooks pass the same check, named after the group. */
static void test_sync_group_hooks(void **state) {
        Config *c = load("instances = ( { name = \"prom4\"; interface = \"eth0\"; vrid = 51;\n"
                         "  virtual_addresses = ( \"192.0.2.100/24\" ); },\n"
                         "  { name = \"prom6\"; interface = \"eth0\"; vrid = 52;\n"
                         "  virtual_addresses = ( \"2001:db8::100/64\" ); } );\n"
                         "sync_groups = ( { name = \"prom\"; instances = ( \"prom4\", \"prom6\" );\n"
                         "  notify = { master = \"/bin/true\"; fault = \"/nonexistent/fault.sh\"; }; } );\n");
        ConfErrors errs = {};

        (void) state;
        assert_int_equal(conf_check_scripts(c, &errs), -EINVAL);
        assert_int_equal(errs.n, 1);
        assert_error(&errs.items[0], "t.conf", 6,
                     "sync group 'prom': 'fault': /nonexistent/fault.sh: No such file or directory " SAFE);
        conf_errors_clear(&errs);
        conf_unref(c);
}

static void write_file(const char *path, const char *text, mode_t mode) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

/* A hook anyone may rewrite is refused, at its line in the file promvipd
 * reads; root's own 0755 file in root-owned directories is fine. */
static void test_insecure_hook(void **state) {
        char dir[] = "/tmp/promvip-test-XXXXXX", hook[64], conf[64], text[512];
        ConfErrors errs = {};
        Config *c = NULL;

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(hook, sizeof(hook), "%s/hook.sh", dir);
        snprintf(conf, sizeof(conf), "%s/promvip.conf", dir);
        write_file(hook, "#!/bin/sh\nexit 0\n", 0777);
        snprintf(text, sizeof(text),
                 "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n\n"
                 "  notify = { master = \"%s\"; };\n" VIPS, hook);
        write_file(conf, text, 0644);

        assert_int_equal(conf_load_checked(conf, &c, &errs), -EINVAL);
        assert_null(c);
        assert_int_equal(errs.n, 1);
        assert_error(&errs.items[0], conf, 3, geteuid() == 0 ? "is writable by everyone" : "not root");
        assert_non_null(strstr(errs.items[0].message, "instance 'prom': 'master': "));
        conf_errors_clear(&errs);

        assert_int_equal(chmod(hook, 0755), 0);
        if (geteuid() == 0) {
                assert_int_equal(conf_load_checked(conf, &c, &errs), 0);
                assert_int_equal(errs.n, 0);
                assert_non_null(c);
                conf_unref(c);
        }
        unlink(conf);
        unlink(hook);
        rmdir(dir);
}

/* The loader's errors come alone: commands are examined only in a
 * configuration that loaded. */
static void test_loader_errors_first(void **state) {
        char dir[] = "/tmp/promvip-test-XXXXXX", conf[64];
        ConfErrors errs = {};
        Config *c = NULL;

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(conf, sizeof(conf), "%s/promvip.conf", dir);
        write_file(conf,
                   "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 300;\n"
                   "  notify = { master = \"/nonexistent/hook.sh\"; };\n" VIPS,
                   0644);
        assert_int_equal(conf_load_checked(conf, &c, &errs), -EINVAL);
        assert_null(c);
        assert_int_equal(errs.n, 1);
        assert_error(&errs.items[0], conf, 1, "'vrid' must be between 1 and 255");
        conf_errors_clear(&errs);
        unlink(conf);
        rmdir(dir);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refused_in_file_order),
                cmocka_unit_test(test_safe_commands),
                cmocka_unit_test(test_sync_group_hooks),
                cmocka_unit_test(test_insecure_hook),
                cmocka_unit_test(test_loader_errors_first),
        };

        return cmocka_run_group_tests_name("conf-check", tests, NULL, NULL);
}
