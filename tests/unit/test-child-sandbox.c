/* Tests of what a child of child.c starts with, whatever the daemon runs as
 * or inherited: its user, groups, session, signals, stdin, directory and
 * capabilities, and the refusal to run as another user without root. As
 * root the commands run as "nobody", otherwise as the current user. Some
 * tests run in a forked process of their own that is not root (dropped to
 * "nobody", or in a user namespace of its own) and report back through a
 * pipe. Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "child-test-util.h"
#include "child/child.h"

#define NO_SIGNALS "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"

typedef LoopFixture Fixture;

static TestUser the_user;
static const char *const user = the_user.name;
static char tmpdir[] = "/tmp/promvip-test-sandbox-XXXXXX";
static ChildUser *cuser;

static ChildSpec spec_of(char *const *argv) {
        return (ChildSpec) { .argv = argv, .user = cuser, .timeout_usec = 2 * USEC_PER_SEC, .name = "test" };
}

static void run_argv(sd_event *e, const char *const *argv, ChildTestRun *run) {
        ChildSpec spec = spec_of((char *const *) argv);

        child_test_run(e, &spec, run);
        assert_true(run->result.exited);
        assert_int_equal(run->result.status, 0);
}

/* User, groups, session, signals, stdin and directory of the child. */
static void test_sandbox(void **state) {
        Fixture *f = *state;
        char script[2048], buf[4096], expected[256];
        const char *argv[] = { "/bin/sh", "-c", script, NULL };
        gid_t groups[64];
        int n_groups = 64, pid, pgrp, session;
        char *p = expected;
        ChildTestRun run = {};

        tmpdir_script(script, sizeof(script), tmpdir,
                      "id -u > %s/uid; id -G > %s/groups; cat /proc/$$/stat > %s/stat; "
                      "grep -E '^Sig(Blk|Ign)' /proc/self/status > %s/signals; "
                      "readlink /proc/$$/fd/0 > %s/stdin; pwd > %s/pwd");
        run_argv(f->event, argv, &run);

        tmpdir_read(tmpdir, "uid", buf, sizeof(buf));
        assert_int_equal(atoi(buf), the_user.uid);

        assert_true(getgrouplist(user, the_user.gid, groups, &n_groups) >= 0);
        tmpdir_read(tmpdir, "groups", buf, sizeof(buf));
        if (geteuid() == 0) {
                /* Exactly the user's groups: none of root's left. */
                p += sprintf(p, "%u", (unsigned) the_user.gid);
                for (int i = 0; i < n_groups; i++)
                        if (groups[i] != the_user.gid)
                                p += sprintf(p, " %u", (unsigned) groups[i]);
                strcat(expected, "\n");
                assert_string_equal(buf, expected);
        }

        tmpdir_read(tmpdir, "stat", buf, sizeof(buf));
        assert_int_equal(sscanf(buf, "%d", &pid), 1);
        assert_int_equal(sscanf(strrchr(buf, ')') + 1, " %*c %*d %d %d", &pgrp, &session), 2);
        assert_int_equal(pgrp, pid);
        assert_int_equal(session, pid);

        tmpdir_read(tmpdir, "signals", buf, sizeof(buf));
        assert_string_equal(buf, NO_SIGNALS);

        tmpdir_read(tmpdir, "stdin", buf, sizeof(buf));
        assert_string_equal(buf, "/dev/null\n");

        tmpdir_read(tmpdir, "pwd", buf, sizeof(buf));
        assert_string_equal(buf, "/\n");
}

/* The kernel's rt_sigaction(): glibc's sigaction() refuses the signals it
 * reserves (32 and 33), which GNU make starts its children with ignored. */
static long raw_sigaction(int sig, const void *act, void *old) {
        return syscall(SYS_rt_sigaction, sig, act, old, (size_t) 8);
}

/* A parent that ignores and blocks what it inherited, glibc's reserved
 * signals included: the command still starts with every signal at its
 * default and none blocked. */
static void test_inherited_signals_reset(void **state) {
        Fixture *f = *state;
        char script[512], buf[256];
        const char *argv[] = { "/bin/sh", "-c", script, NULL };
        /* handler, flags, restorer, mask, and room for other layouts */
        unsigned long ignore[8] = { (unsigned long) SIG_IGN }, saved[3][8] = {};
        const int ignored[] = { SIGUSR2, 32, 33 };
        uint64_t block = (1ULL << (SIGUSR2 - 1)) | (1ULL << (SIGALRM - 1)) | (1ULL << 31) | (1ULL << 32), old_mask;
        ChildTestRun run = {};

        for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
                assert_int_equal(raw_sigaction(ignored[i], ignore, saved[i]), 0);
        assert_int_equal(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, &old_mask, (size_t) 8), 0);

        tmpdir_script(script, sizeof(script), tmpdir, "grep -E '^Sig(Blk|Ign)' /proc/self/status > %s/signals");
        run_argv(f->event, argv, &run);

        assert_int_equal(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old_mask, NULL, (size_t) 8), 0);
        for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
                assert_int_equal(raw_sigaction(ignored[i], saved[i], NULL), 0);

        tmpdir_read(tmpdir, "signals", buf, sizeof(buf));
        assert_string_equal(buf, NO_SIGNALS);
}

/* ---- in a process of its own that is not root ---- */

typedef enum Unprivileged {
        AS_NOBODY,   /* root drops to the test user; others stay as they are */
        IN_USER_NS,  /* a user namespace of its own: all capabilities there, no uid map */
} Unprivileged;

/* Runs check() in a forked process made unprivileged as `how` says, with a
 * loop of its own; check() returns NULL or what went wrong, which fails
 * the test here. */
static void run_unprivileged(Unprivileged how, const char *(*check)(sd_event *e)) {
        char why[512] = "";
        int fds[2], status;
        ssize_t n;
        pid_t pid;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                const char *err = NULL;
                sd_event *e = NULL;

                if (how == IN_USER_NS && unshare(CLONE_NEWUSER) < 0)
                        err = "unshare(CLONE_NEWUSER) failed: user namespaces are needed for this test";
                else if (how == AS_NOBODY && geteuid() == 0 &&
                         (setgroups(0, NULL) < 0 || setresgid(the_user.gid, the_user.gid, the_user.gid) < 0 ||
                          setresuid(the_user.uid, the_user.uid, the_user.uid) < 0))
                        err = "cannot drop root";
                else if (sd_event_new(&e) < 0)
                        err = "sd_event_new failed";
                else
                        err = check(e);
                if (err)
                        (void) !write(fds[1], err, strlen(err));
                _exit(err ? 1 : 0); /* no atexit handlers: they belong to the test runner */
        }
        close(fds[1]);
        n = read(fds[0], why, sizeof(why) - 1);
        close(fds[0]);
        why[n > 0 ? n : 0] = '\0';
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_string_equal(why, "");
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const char *check_switch_refused(sd_event *e) {
        static char why[256];
        const char *argv[] = { "/bin/true", NULL };
        ChildSpec spec = spec_of((char *const *) argv);
        ChildUser *root = NULL;
        ChildRun *c = NULL;
        ChildTestRun run = {};
        char expected[160];

        /* Looked up as promvipd does, when a configuration is loaded. */
        if (child_user_resolve("root", &root) < 0 || child_user_error(root) != -EPERM)
                return "root is not refused when the configuration is loaded";
        spec.user = root;
        if (child_run_start(&c, e, &spec, child_test_done, &run) < 0)
                return "child_run_start failed";
        run_loop_until_count(e, &run.n_done, 1, WAIT_MAX_USEC);
        c = child_run_free(c);
        root = child_user_unref(root);
        snprintf(expected, sizeof(expected),
                 "cannot run as user root: promvipd runs as uid %u, and only root can switch users",
                 (unsigned) geteuid());
        if (run.n_done != 1 || run.result.start_error != -EPERM || strcmp(run.result.start_failure, expected) != 0 ||
            run.result.exited || find_child() != 0) {
                snprintf(why, sizeof(why), "not refused before forking: start_error %d, '%s'", run.result.start_error,
                         run.result.start_failure);
                return why;
        }
        return NULL;
}

/* A daemon that is not root cannot run commands as another user: refused
 * before anything is forked, with the reason. */
static void test_switch_refused(void **state) {
        (void) state;
        run_unprivileged(AS_NOBODY, check_switch_refused);
}

static const char *check_no_ambient_capabilities(sd_event *e) {
        static char why[512];
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = {};
        char script[512];
        const char *argv[] = { "/bin/sh", "-c", script, NULL };
        ChildSpec spec = spec_of((char *const *) argv);
        ChildUser *nobody = NULL;
        ChildRun *c = NULL;
        ChildTestRun run = {};

        /* As the packaged unit runs promvipd: not root, with CAP_NET_RAW as
         * an ambient capability, and the commands' user its own. */
        if (child_user_resolve("nobody", &nobody) < 0 || child_user_error(nobody) < 0)
                return "cannot use user nobody";
        spec.user = nobody;
        if (syscall(SYS_capget, &header, data) < 0)
                return "capget failed";
        data[0].inheritable |= 1U << CAP_NET_RAW;
        if (syscall(SYS_capset, &header, data) < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0)
                return "cannot raise CAP_NET_RAW as an ambient capability";

        tmpdir_script(script, sizeof(script), tmpdir, "grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status");
        if (child_run_start(&c, e, &spec, child_test_done, &run) < 0)
                return "child_run_start failed";
        run_loop_until_count(e, &run.n_done, 1, WAIT_MAX_USEC);
        c = child_run_free(c);
        nobody = child_user_unref(nobody);
        if (run.n_done != 1 || !run.result.exited || run.result.status != 0) {
                snprintf(why, sizeof(why), "the command failed: %.400s", run.result.output);
                return why;
        }
        if (strcmp(run.result.output, "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n")) {
                snprintf(why, sizeof(why), "the command has capabilities:\n%.400s", run.result.output);
                return why;
        }
        return NULL;
}

/* The daemon's ambient capabilities are not handed on to the commands. */
static void test_no_ambient_capabilities(void **state) {
        (void) state;
        run_unprivileged(IN_USER_NS, check_no_ambient_capabilities);
}

static int group_setup(void **state) {
        (void) state;
        if (block_daemon_signals() < 0 || test_user_pick(&the_user, false) < 0 ||
            child_user_resolve(the_user.name, &cuser) < 0 || child_user_error(cuser) < 0)
                return -1;
        signal(SIGQUIT, SIG_IGN); /* ignored in the parent, default in the child */
        return tmpdir_make(tmpdir, 0777);
}

static int group_teardown(void **state) {
        (void) state;
        cuser = child_user_unref(cuser);
        return tmpdir_remove(tmpdir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_sandbox, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_inherited_signals_reset, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_switch_refused, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_ambient_capabilities, child_test_setup, child_test_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
