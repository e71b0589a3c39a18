/* Tests of script-security.c on real files in a root-owned 0755 directory
 * made under /var/tmp (root-owned, 1777). Ownership cases need root: as
 * another user only the cases that fail before ownership is looked at run,
 * the rest are skipped (cmocka's skip(); cmocka-tap.py makes meson count
 * them so). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "child/script-security.h"

#define OTHER_ID 12345 /* a uid and gid that owns nothing */

static char base[] = "/var/tmp/promvip-test-script-security-XXXXXX";
static char reason[512];

/* "<base>/<name>", in one of a few rotating buffers (enough for one call's
 * arguments). */
static const char *at(const char *name) {
        static char paths[8][512];
        static unsigned next;
        char *p = paths[next++ % 8];

        snprintf(p, 512, "%s/%s", base, name);
        return p;
}

static void make_file(const char *name, mode_t mode, uid_t uid, gid_t gid) {
        const char *p = at(name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
        close(fd);
        if (uid != 0 || gid != 0)
                assert_int_equal(chown(p, uid, gid), 0);
        assert_int_equal(chmod(p, mode), 0); /* after chown(), which clears set-id bits */
}

static void make_dir(const char *name, mode_t mode, uid_t uid) {
        const char *p = at(name);

        assert_int_equal(mkdir(p, 0700), 0);
        if (uid != 0)
                assert_int_equal(chown(p, uid, 0), 0);
        assert_int_equal(chmod(p, mode), 0);
}

static int check(const char *name) {
        reason[0] = '\0';
        return script_check_secure(at(name), reason, sizeof(reason));
}

/* The reason is "<base>/<name> <rest>". */
static void assert_reason(const char *name, const char *rest) {
        char expected[1024];

        snprintf(expected, sizeof(expected), "%s %s", at(name), rest);
        assert_string_equal(reason, expected);
}

static bool root(void) {
        return geteuid() == 0;
}

static void test_secure(void **state) {
        (void) state;
        if (!root())
                skip();
        make_file("ok.sh", 0755, 0, 0);
        assert_int_equal(check("ok.sh"), 0);
        make_file("owner-only.sh", 0700, 0, 0);
        assert_int_equal(check("owner-only.sh"), 0);
}

static void test_world_writable_file(void **state) {
        (void) state;
        if (!root())
                skip();
        make_file("ww.sh", 0757, 0, 0);
        assert_int_equal(check("ww.sh"), -EPERM);
        assert_reason("ww.sh", "is writable by everyone");
}

static void test_group_writable(void **state) {
        (void) state;
        if (!root())
                skip();
        make_file("gw-root.sh", 0775, 0, 0);
        assert_int_equal(check("gw-root.sh"), 0);
        make_file("gw-other.sh", 0775, 0, OTHER_ID);
        assert_int_equal(check("gw-other.sh"), -EPERM);
        assert_reason("gw-other.sh", "is writable by group 12345");
        /* Another group, but not writable by it: fine. */
        make_file("g-other.sh", 0755, 0, OTHER_ID);
        assert_int_equal(check("g-other.sh"), 0);
}

static void test_other_owner(void **state) {
        (void) state;
        if (!root())
                skip();
        make_file("owned.sh", 0755, OTHER_ID, 0);
        assert_int_equal(check("owned.sh"), -EPERM);
        assert_reason("owned.sh", "is owned by uid 12345, not root");

        make_dir("owned-dir", 0755, OTHER_ID);
        make_file("owned-dir/x.sh", 0755, 0, 0);
        assert_int_equal(check("owned-dir/x.sh"), -EPERM);
        assert_reason("owned-dir", "is owned by uid 12345, not root");
}

/* The link and its directory are fine; what runs is not. */
static void test_symlink(void **state) {
        (void) state;
        if (!root())
                skip();
        make_file("target-ww.sh", 0757, 0, 0);
        assert_int_equal(symlink(at("target-ww.sh"), at("link-ww.sh")), 0);
        assert_int_equal(check("link-ww.sh"), -EPERM);
        assert_non_null(strstr(reason, "is writable by everyone"));

        make_dir("open-target", 0777, 0);
        make_file("open-target/x.sh", 0755, 0, 0);
        assert_int_equal(symlink(at("open-target/x.sh"), at("link-open.sh")), 0);
        assert_int_equal(check("link-open.sh"), -EPERM);
        assert_reason("open-target", "is writable by everyone");

        assert_int_equal(symlink("ok-target.sh", at("link-ok.sh")), 0); /* relative */
        make_file("ok-target.sh", 0755, 0, 0);
        assert_int_equal(check("link-ok.sh"), 0);
}

static void test_directories(void **state) {
        (void) state;
        if (!root())
                skip();
        make_dir("open", 0777, 0);
        make_file("open/x.sh", 0755, 0, 0);
        assert_int_equal(check("open/x.sh"), -EPERM);
        assert_reason("open", "is writable by everyone");

        make_dir("sticky", 01777, 0);
        make_file("sticky/x.sh", 0755, 0, 0);
        assert_int_equal(check("sticky/x.sh"), 0);

        make_dir("group-dir", 0775, 0);
        assert_int_equal(chown(at("group-dir"), 0, OTHER_ID), 0);
        assert_int_equal(chmod(at("group-dir"), 0775), 0);
        make_file("group-dir/x.sh", 0755, 0, 0);
        assert_int_equal(check("group-dir/x.sh"), -EPERM);
        assert_reason("group-dir", "is writable by group 12345");

        /* Every directory up to "/": a fine one below an open one is not enough. */
        make_dir("open/deep", 0755, 0);
        make_file("open/deep/x.sh", 0755, 0, 0);
        assert_int_equal(check("open/deep/x.sh"), -EPERM);
        assert_reason("open", "is writable by everyone");
}

static void test_missing(void **state) {
        (void) state;
        assert_int_equal(check("missing.sh"), -ENOENT);
        assert_non_null(strstr(reason, "No such file or directory"));
        assert_int_equal(check("missing-dir/x.sh"), -ENOENT);
}

static void test_not_executable(void **state) {
        (void) state;
        make_file("plain.sh", 0644, 0, 0);
        assert_int_equal(check("plain.sh"), -EACCES);
        assert_reason("plain.sh", "is not executable");

        make_dir("a-dir", 0755, 0);
        assert_int_equal(check("a-dir"), -EACCES);
        assert_reason("a-dir", "is not a regular file");
}

static int group_setup(void **state) {
        (void) state;
        if (!mkdtemp(base) || chmod(base, 0755) < 0)
                return -1;
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st, (void) ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int group_teardown(void **state) {
        (void) state;
        /* Everything below base, whatever the tests left; links not followed. */
        return nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_secure),
                cmocka_unit_test(test_world_writable_file),
                cmocka_unit_test(test_group_writable),
                cmocka_unit_test(test_other_owner),
                cmocka_unit_test(test_symlink),
                cmocka_unit_test(test_directories),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_not_executable),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
