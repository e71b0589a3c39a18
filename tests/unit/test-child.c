/* Tests of child.c with real child processes on a real sd-event loop. As
 * root the commands run as "nobody", otherwise as the current user.
 * Commands that must leave evidence write it into a world-writable
 * temporary directory. Every wait is bounded. */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "child-test-util.h"
#include "child/child.h"
#include "shared/log.h"

#define INHERITED_FD 42 /* left open without O_CLOEXEC: the child must not see it */
#define BASE_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C.UTF-8\n"

typedef LoopFixture Fixture;

static TestUser the_user;
static const char *const user = the_user.name, *const user_home = the_user.home;
static char tmpdir[] = "/tmp/promvip-test-child-XXXXXX";
static ChildUser *cuser, *missing; /* the_user; "promvip-no-such-user" */

typedef ChildTestRun Run;

static void wait_done(sd_event *e, Run *run, unsigned n, uint64_t max_usec) {
        run_loop_until_count(e, &run->n_done, n, max_usec);
}

static ChildSpec spec_of(char *const *argv, uint64_t timeout_usec) {
        return (ChildSpec) { .argv = argv, .user = cuser, .timeout_usec = timeout_usec, .name = "test" };
}

static uint64_t run_argv(sd_event *e, const char *const *argv, uint64_t timeout_usec, Run *run) {
        ChildSpec spec = spec_of((char *const *) argv, timeout_usec);

        return child_test_run(e, &spec, run);
}

/* The user database lookups made in this process (the executable's
 * definitions come before the C library's; a forked child counts in its own
 * copy). With NSS backed by LDAP or sssd a lookup can take seconds, so none
 * may happen on the loop when a command starts. */
static unsigned n_user_lookups;

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size, struct passwd **result) {
        static int (*real)(const char *, struct passwd *, char *, size_t, struct passwd **);

        if (!real)
                *(void **) &real = dlsym(RTLD_NEXT, "getpwnam_r");
        n_user_lookups++;
        return real(name, pw, buf, size, result);
}

int getgrouplist(const char *name, gid_t group, gid_t *groups, int *n_groups) {
        static int (*real)(const char *, gid_t, gid_t *, int *);

        if (!real)
                *(void **) &real = dlsym(RTLD_NEXT, "getgrouplist");
        n_user_lookups++;
        return real(name, group, groups, n_groups);
}

static const char *describe(const ChildResult *r) {
        static char buf[256];

        return child_result_describe(r, buf, sizeof(buf));
}

static void test_exit_status(void **state) {
        Fixture *f = *state;
        const char *argv_true[] = { "/bin/true", NULL };
        const char *argv_3[] = { "/bin/sh", "-c", "exit 3", NULL };
        Run run = {}, run3 = {};

        run_argv(f->event, argv_true, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.start_error, 0);
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, 0);
        assert_false(run.result.timed_out);
        assert_false(run.result.killed);
        assert_int_equal(run.result.output_len, 0);
        assert_false(run.result.truncated);
        assert_true(run.result.duration_usec > 0);
        assert_true(run.result.duration_usec < 2 * USEC_PER_SEC);
        assert_string_equal(describe(&run.result), "exit status 0");
        assert_string_equal(child_result_kill_note(&run.result), "");

        run_argv(f->event, argv_3, 2 * USEC_PER_SEC, &run3);
        assert_true(run3.result.exited);
        assert_int_equal(run3.result.status, 3);
        assert_string_equal(describe(&run3.result), "exit status 3");
}

static void test_killed_by_signal(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
        Run run = {};

        run_argv(f->event, argv, 2 * USEC_PER_SEC, &run);
        assert_false(run.result.exited);
        assert_int_equal(run.result.status, SIGUSR1);
        assert_false(run.result.timed_out);
        assert_string_equal(describe(&run.result), "killed by SIGUSR1");
}

/* stdout and stderr, as written; one line for the log. */
static void test_output(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo hello; echo; echo '  world  ' >&2", NULL };
        Run run = {};
        char *line;

        run_argv(f->event, argv, 2 * USEC_PER_SEC, &run);
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, 0);
        assert_string_equal(run.result.output, "hello\n\n  world  \n");
        assert_int_equal(run.result.output_len, strlen("hello\n\n  world  \n"));
        line = child_output_line(&run.result);
        assert_string_equal(line, "hello | world");
        free(line);
}

/* Far more output than is kept: read and dropped, the child never blocks. */
static void test_large_output(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x", NULL };
        Run run = {};
        char *line;

        run_argv(f->event, argv, 4 * USEC_PER_SEC, &run);
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, 0);
        assert_int_equal(run.result.output_len, CHILD_OUTPUT_MAX);
        assert_true(run.result.truncated);
        assert_int_equal(strspn(run.result.output, "x"), CHILD_OUTPUT_MAX);
        line = child_output_line(&run.result);
        assert_int_equal(strlen(line), CHILD_OUTPUT_MAX + strlen(" | (truncated)"));
        assert_string_equal(line + CHILD_OUTPUT_MAX, " | (truncated)");
        free(line);
}

static void test_output_line(void **state) {
        ChildResult r = {};
        char *line;

        (void) state;
        memcpy(r.output, "a\tb\r\n\n  c \x7f \n\0d", 15);
        r.output_len = 15;
        line = child_output_line(&r);
        assert_string_equal(line, "a b | c | d");
        free(line);

        r = (ChildResult) { .truncated = true };
        line = child_output_line(&r);
        assert_string_equal(line, "(truncated)");
        free(line);
}

static void test_describe(void **state) {
        ChildResult r = { .status = SIGSEGV, .core_dumped = true };

        (void) state;
        assert_string_equal(describe(&r), "killed by SIGSEGV (core dumped)");
        r = (ChildResult) { .status = 200 };
        assert_string_equal(describe(&r), "killed by signal 200");
        r = (ChildResult) { .timed_out = true, .killed = true, .timeout_usec = 1500 * USEC_PER_MSEC };
        assert_string_equal(describe(&r), "no exit within 1.5 s");
        assert_string_equal(child_result_kill_note(&r), " (SIGTERM, then SIGKILL)");
        r = (ChildResult) { .start_error = -EAGAIN, .exited = true };
        snprintf(r.start_failure, sizeof(r.start_failure), "cannot fork: x");
        assert_string_equal(describe(&r), "cannot fork: x");
}

static void test_timeout(void **state) {
        Fixture *f = *state;
        char *const argv[] = { (char *) "/bin/sleep", (char *) "5", NULL };
        ChildSpec spec = spec_of(argv, 300 * USEC_PER_MSEC);
        ChildRun *c = NULL;
        Run run = {};
        uint64_t start, elapsed;
        pid_t pid;

        start = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(child_run_start(&c, f->event, &spec, child_test_done, &run), 0);
        pid = find_child();
        assert_true(pid > 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        assert_int_equal(run.n_done, 1);
        assert_true(run.result.timed_out);
        assert_false(run.result.killed);
        assert_false(run.result.exited);
        assert_int_equal(run.result.status, SIGTERM);
        assert_string_equal(describe(&run.result), "no exit within 0.3 s");
        assert_string_equal(child_result_kill_note(&run.result), " (SIGTERM)");
        assert_true(elapsed >= 300 * USEC_PER_MSEC);
        assert_true(elapsed < 1500 * USEC_PER_MSEC);
        assert_true(run.result.duration_usec >= 300 * USEC_PER_MSEC);
        assert_true(process_gone(pid)); /* reaped, not a zombie */
        child_run_free(c);
}

/* A command deaf to SIGTERM gets SIGKILL, and so do its children. */
static void test_timeout_sigkill(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "trap '' TERM; /bin/sleep 5", NULL };
        ChildSpec spec = spec_of((char *const *) argv, 300 * USEC_PER_MSEC);
        ChildRun *c = NULL;
        Run run = {};
        uint64_t start, elapsed;
        pid_t pid;

        start = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(child_run_start(&c, f->event, &spec, child_test_done, &run), 0);
        pid = find_child();
        assert_true(pid > 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        assert_int_equal(run.n_done, 1);
        assert_true(run.result.timed_out);
        assert_true(run.result.killed);
        assert_int_equal(run.result.status, SIGKILL);
        assert_string_equal(child_result_kill_note(&run.result), " (SIGTERM, then SIGKILL)");
        assert_true(elapsed >= 300 * USEC_PER_MSEC + CHILD_KILL_GRACE_USEC);
        assert_true(elapsed < 2000 * USEC_PER_MSEC);
        assert_true(process_gone(pid));
        assert_true(group_dies(pid)); /* the sleep too */
        child_run_free(c);
}

/* Exiting on SIGTERM is still a timeout, with its exit status kept. */
static void test_timeout_exit_on_term(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "trap 'exit 7' TERM; /bin/sleep 5 & wait", NULL };
        Run run = {};

        run_argv(f->event, argv, 300 * USEC_PER_MSEC, &run);
        assert_true(run.result.timed_out);
        assert_false(run.result.killed);
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, 7);
        assert_string_equal(describe(&run.result), "no exit within 0.3 s");
}

/* Timeout 0: none. */
static void test_no_timeout(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sleep", "0.2", NULL };
        Run run = {};

        assert_true(run_argv(f->event, argv, 0, &run) >= 200 * USEC_PER_MSEC);
        assert_false(run.result.timed_out);
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, 0);
}

static void test_no_program(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/nonexistent/promvip-child", NULL };
        Run run = {};

        run_argv(f->event, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.start_error, 0); /* it did start: the exec failed */
        assert_true(run.result.exited);
        assert_int_equal(run.result.status, CHILD_STATUS_EXEC);
        assert_string_equal(run.result.output,
                            "promvip: execve /nonexistent/promvip-child: No such file or directory\n");
}

static void test_no_user(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ChildSpec spec = spec_of((char *const *) argv, USEC_PER_SEC);
        Run run = {};

        spec.user = missing;
        child_test_run(f->event, &spec, &run);
        assert_int_equal(run.result.start_error, -ESRCH);
        assert_string_equal(run.result.start_failure, "user promvip-no-such-user does not exist");
        assert_string_equal(describe(&run.result), "user promvip-no-such-user does not exist");
        assert_false(run.result.exited);
        assert_int_equal(run.result.duration_usec, 0);
        assert_int_equal(run.result.output_len, 0);
        assert_null(find_child());
}

/* Exactly the base environment, then the extra entries, in this order. */
static void test_environment(void **state) {
        Fixture *f = *state;
        char script[256];
        const char *argv[] = { "/bin/sh", "-c", script, NULL };
        const char *env[] = { "PROMVIP_A=1", "PROMVIP_B=two words", NULL };
        ChildSpec spec = spec_of((char *const *) argv, 2 * USEC_PER_SEC);
        Run run = {}, run_base = {};
        char expected[1024];

        /* The shell's own environment as execve() gave it (sh adds PWD). */
        tmpdir_script(script, sizeof(script), tmpdir, "tr '\\0' '\\n' < /proc/$$/environ");
        snprintf(expected, sizeof(expected), BASE_ENV "HOME=%s\nUSER=%s\nLOGNAME=%s\n", user_home, user, user);
        child_test_run(f->event, &spec, &run_base);
        assert_string_equal(run_base.result.output, expected);

        strcat(expected, "PROMVIP_A=1\nPROMVIP_B=two words\n");
        spec.env = (char *const *) env;
        child_test_run(f->event, &spec, &run);
        assert_string_equal(run.result.output, expected);
}

/* Only stdin, stdout and stderr are inherited (3 is ls's directory). */
static void test_fds(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/ls", "/proc/self/fd", NULL };
        Run run = {};

        run_argv(f->event, argv, 2 * USEC_PER_SEC, &run);
        assert_string_equal(run.result.output, "0\n1\n2\n3\n");
}

/* The spec and its strings may go right after start. */
static void test_spec_copied(void **state) {
        Fixture *f = *state;
        char *argv[] = { strdup("/bin/sh"), strdup("-c"), strdup("echo \"$0 $PROMVIP_X\""), NULL };
        char *env[] = { strdup("PROMVIP_X=kept"), NULL };
        ChildSpec *spec = calloc(1, sizeof(ChildSpec));
        char *name = strdup("copied");
        ChildUser *run_user = NULL;
        ChildRun *c = NULL;
        Run run = {};

        assert_int_equal(child_user_resolve(user, &run_user), 0);
        *spec = (ChildSpec) { .argv = argv, .env = env, .user = run_user, .timeout_usec = USEC_PER_SEC, .name = name };
        assert_int_equal(child_run_start(&c, f->event, spec, child_test_done, &run), 0);
        for (size_t i = 0; argv[i]; i++) {
                memset(argv[i], 'z', strlen(argv[i]));
                free(argv[i]);
        }
        free(env[0]);
        free(spec);
        free(name);
        child_user_unref(run_user);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 1);
        assert_string_equal(run.result.output, "/bin/sh kept\n");
        child_run_free(c);
}

static bool pid_gone(void *userdata) {
        return process_gone(*(pid_t *) userdata);
}

static void test_free_during_run(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "/bin/sleep 5; /bin/sleep 5", NULL };
        ChildSpec spec = spec_of((char *const *) argv, 2 * USEC_PER_SEC);
        ChildRun *c = NULL;
        Run run = {};
        pid_t pid;

        assert_int_equal(child_run_start(&c, f->event, &spec, child_test_done, &run), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        pid = find_child();
        assert_true(pid > 0);
        assert_null(child_run_free(c));
        /* Killed, not waited for (a child that takes its time to die must
         * not block the loop): the loop reaps it. */
        assert_false(process_gone(pid));
        run_loop_until(f->event, pid_gone, &pid, WAIT_MAX_USEC);
        assert_true(process_gone(pid));
        assert_true(group_dies(pid)); /* the sleep too */
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 0);
        assert_null(child_run_free(NULL));
}

/* The user is looked up when the configuration is loaded, never per run. */
static void test_user_looked_up_once(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ChildUser *u = NULL;
        unsigned before;

        before = n_user_lookups;
        assert_int_equal(child_user_resolve(user, &u), 0);
        assert_int_equal(child_user_error(u), 0);
        assert_true(n_user_lookups > before);
        before = n_user_lookups;
        for (unsigned i = 0; i < 3; i++) {
                ChildSpec spec = spec_of((char *const *) argv, USEC_PER_SEC);
                Run run = {};

                spec.user = u;
                child_test_run(f->event, &spec, &run);
                assert_int_equal(run.result.start_error, 0);
                assert_true(run.result.exited && run.result.status == 0);
        }
        assert_int_equal(n_user_lookups, before);
        child_user_unref(u);
}

/* A failure waiting in the loop is dropped by free() too. */
static void test_free_pending_failure(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ChildSpec spec = spec_of((char *const *) argv, USEC_PER_SEC);
        ChildRun *c = NULL;
        Run run = {};

        spec.user = missing;
        assert_int_equal(child_run_start(&c, f->event, &spec, child_test_done, &run), 0);
        child_run_free(c);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 0);
}

/* From inside done(), after an exit and after a failure to start. */
static void test_free_in_done(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo bye", NULL };
        ChildSpec spec = spec_of((char *const *) argv, 2 * USEC_PER_SEC);

        for (unsigned k = 0; k < 2; k++) {
                Run run = {};

                spec.user = k == 0 ? cuser : missing;
                assert_int_equal(child_run_start(&run.free_in_done, f->event, &spec, child_test_done, &run), 0);
                wait_done(f->event, &run, 1, WAIT_MAX_USEC);
                assert_int_equal(run.n_done, 1);
                assert_null(run.free_in_done);
                if (k == 0)
                        assert_string_equal(run.result.output, "bye\n"); /* a copy: still there */
                else
                        assert_int_equal(run.result.start_error, -ESRCH);
                for (unsigned i = 0; i < 3; i++)
                        assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
                assert_int_equal(run.n_done, 1);
        }
}

static void on_done_chain(ChildRun *c, const ChildResult *r, void *userdata) {
        Run *run = userdata;

        run->n_done++;
        run->result = *r;
        child_run_free(c);
        if (run->again) {
                const ChildSpec *spec = run->again;

                run->again = NULL;
                assert_int_equal(child_run_start(&run->started, run->event, spec, on_done_chain, run), 0);
        }
}

/* done() frees its run and starts the next one. */
static void test_start_in_done(void **state) {
        Fixture *f = *state;
        const char *argv1[] = { "/bin/sh", "-c", "echo one", NULL };
        const char *argv2[] = { "/bin/sh", "-c", "echo two", NULL };
        ChildSpec spec1 = spec_of((char *const *) argv1, 2 * USEC_PER_SEC);
        ChildSpec spec2 = spec_of((char *const *) argv2, 2 * USEC_PER_SEC);
        ChildRun *c = NULL;
        Run run = { .event = f->event, .again = &spec2 };

        assert_int_equal(child_run_start(&c, f->event, &spec1, on_done_chain, &run), 0);
        wait_done(f->event, &run, 2, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 2);
        assert_string_equal(run.result.output, "two\n");
}

static void test_invalid(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        const char *no_argv[] = { NULL };
        ChildSpec spec = spec_of((char *const *) argv, USEC_PER_SEC), bad;
        ChildRun *c = NULL;
        Run run = {};

        assert_int_equal(child_run_start(NULL, f->event, &spec, child_test_done, &run), -EINVAL);
        assert_int_equal(child_run_start(&c, NULL, &spec, child_test_done, &run), -EINVAL);
        assert_int_equal(child_run_start(&c, f->event, NULL, child_test_done, &run), -EINVAL);
        assert_int_equal(child_run_start(&c, f->event, &spec, NULL, &run), -EINVAL);
        bad = spec;
        bad.argv = NULL;
        assert_int_equal(child_run_start(&c, f->event, &bad, child_test_done, &run), -EINVAL);
        bad.argv = (char *const *) no_argv;
        assert_int_equal(child_run_start(&c, f->event, &bad, child_test_done, &run), -EINVAL);
        bad = spec;
        bad.user = NULL;
        assert_int_equal(child_run_start(&c, f->event, &bad, child_test_done, &run), -EINVAL);
        assert_null(c);
        assert_int_equal(run.n_done, 0);
}

static int group_setup(void **state) {
        (void) state;
        if (block_daemon_signals() < 0 || test_user_pick(&the_user, false) < 0 ||
            child_user_resolve(the_user.name, &cuser) < 0 || child_user_error(cuser) < 0 ||
            child_user_resolve("promvip-no-such-user", &missing) < 0)
                return -1;

        if (tmpdir_make(tmpdir, 0777) < 0)
                return -1;
        if (dup2(STDIN_FILENO, INHERITED_FD) < 0)
                return -1;
        setenv("SECRET", "inherited", 1);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        cuser = child_user_unref(cuser);
        missing = child_user_unref(missing);
        close(INHERITED_FD);
        return tmpdir_remove(tmpdir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_exit_status, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_killed_by_signal, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_output, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_large_output, child_test_setup, child_test_teardown),
                cmocka_unit_test(test_output_line),
                cmocka_unit_test(test_describe),
                cmocka_unit_test_setup_teardown(test_timeout, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_timeout_sigkill, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_timeout_exit_on_term, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_timeout, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_program, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_user, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_environment, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_fds, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_spec_copied, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_during_run, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_user_looked_up_once, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_pending_failure, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_in_done, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_start_in_done, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_invalid, child_test_setup, child_test_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
