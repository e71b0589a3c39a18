/* Unit tests: promvipctl drain / undrain (ctl-drain.c): which file probe
 * an instance's drain uses, and the atomic write into a directory that
 * may not exist yet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl/ctl-drain.h"
#include "shared/exit-codes.h"
#include "shared/macro.h"

#define HEAD "instances = ( "
#define INSTANCE(name, vrid, track) \
        "{ name = \"" name "\"; interface = \"eth0\"; vrid = " vrid "; virtual_addresses = ( \"192.0.2." vrid "\" ); " track " }"

static const char text[] =
        "probes = ( { name = \"drain\"; type = \"file\"; path = \"/x/drain\"; weight = -100; },\n"
        "           { name = \"d2\"; type = \"file\"; path = \"/x/d2\"; },\n"
        "           { name = \"up\"; type = \"file\"; path = \"/x/up\"; weight = 10; },\n"
        "           { name = \"ready\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; weight = -50; } );\n"
        HEAD INSTANCE("one", "1", "track = ( \"ready\", \"drain\" );") ",\n"
        INSTANCE("two", "2", "track = ( \"drain\", { probe = \"d2\"; weight = -20; } );") ",\n"
        INSTANCE("none", "3", "track = ( \"ready\" );") " );\n";

static void test_find(void **state) {
        Config *c = NULL;
        ConfErrors errs = {};
        const ProbeConfig *p = NULL;
        char *why = NULL;
        int w = 0;

        (void) state;
        assert_int_equal(conf_load_string(text, "t.conf", &c, &errs), 0);
        assert_int_equal(ctl_drain_find(c, "one", NULL, &p, &w, &why), 0);
        assert_string_equal(p->name, "drain");
        assert_int_equal(w, -100);
        assert_null(why);
        assert_int_equal(ctl_drain_find(c, "two", NULL, &p, &w, &why), -EMLINK);
        assert_non_null(strstr(why, "several file probes ('drain', 'd2'): choose one with --probe NAME"));
        free(why);
        assert_int_equal(ctl_drain_find(c, "two", "d2", &p, &w, &why), 0);
        assert_string_equal(p->path, "/x/d2");
        assert_int_equal(w, -20); /* the instance's weight, not the probe's */
        assert_int_equal(ctl_drain_find(c, "two", "ready", &p, &w, &why), -ESRCH);
        assert_non_null(strstr(why, "tracks no file probe named 'ready'"));
        free(why);
        assert_int_equal(ctl_drain_find(c, "none", NULL, &p, &w, &why), -ENODATA);
        assert_non_null(strstr(why, "type = \"file\""));
        free(why);
        assert_int_equal(ctl_drain_find(c, "nope", NULL, &p, &w, &why), -ENOENT);
        assert_non_null(strstr(why, "no instance 'nope' in t.conf"));
        free(why);
        conf_unref(c);
}

static char *read_all(const char *path) {
        static char buf[64];
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* Files in dir other than . and .. (no temporary file is left). */
static int count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        return n;
}

/* ctl_drain() reports on stdout, which carries the TAP: silenced meanwhile. */
static int quiet_stdout(void) {
        int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

        assert_true(saved >= 0 && null >= 0);
        fflush(stdout);
        assert_true(dup2(null, STDOUT_FILENO) >= 0);
        close(null);
        return saved;
}

static void restore_stdout(int saved) {
        fflush(stdout);
        assert_true(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
}

static void test_write(void **state) {
        char tmpl[] = "/tmp/test-ctl-drain-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *conf = NULL, *sub = NULL, *file = NULL, *body = NULL;
        struct stat st;
        FILE *f;
        mode_t old_umask;
        int saved;

        (void) state;
        assert_non_null(dir);
        assert_true(asprintf(&conf, "%s/promvip.conf", dir) > 0);
        assert_true(asprintf(&sub, "%s/state/drain", dir) > 0);
        assert_true(asprintf(&file, "%s/prom", sub) > 0);
        assert_true(asprintf(&body,
                             "probes = ( { name = \"drain\"; type = \"file\"; path = \"%s\"; weight = -100; },\n"
                             "           { name = \"up\"; type = \"file\"; path = \"%s.up\"; weight = 10; } );\n"
                             HEAD INSTANCE("prom", "1", "track = ( \"drain\" );") ",\n"
                             INSTANCE("bad", "2", "track = ( \"up\" );") " );\n",
                             file, file) > 0);
        f = fopen(conf, "we");
        assert_non_null(f);
        fputs(body, f);
        fclose(f);

        saved = quiet_stdout();
        /* The directories do not exist yet: made 0755, the file 0644, even
         * under root's tightest umask. */
        old_umask = umask(077);
        assert_int_equal(ctl_drain(conf, "prom", NULL, true), EXIT_OK);
        umask(old_umask);
        assert_string_equal(read_all(file), "1\n");
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(stat(sub, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(ctl_drain(conf, "prom", NULL, false), EXIT_OK);
        assert_string_equal(read_all(file), "0\n");
        assert_int_equal(count_entries(sub), 1);

        /* A positive weight would raise the priority: refused, nothing written. */
        assert_int_equal(ctl_drain(conf, "bad", NULL, true), EXIT_FAIL);
        assert_int_equal(count_entries(sub), 1);
        /* Unknown instance; a configuration that cannot be read. */
        assert_int_equal(ctl_drain(conf, "nope", NULL, true), EXIT_FAIL);
        assert_int_equal(ctl_drain("/nonexistent/promvip.conf", "prom", NULL, true), EXIT_FAIL);
        restore_stdout(saved);

        unlink(file);
        rmdir(sub);
        *strrchr(sub, '/') = '\0';
        rmdir(sub);
        unlink(conf);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_write),
        };
        return cmocka_run_group_tests_name("ctl-drain", tests, NULL, NULL);
}
