/* Tests of exec probes (probe-exec.c), the adapter of a ProbeConfig to
 * child.c, with real child processes on a real sd-event loop: the command,
 * user, environment and timeout it passes on, the ProbeResult it makes of
 * the ChildResult (with its log line), -EBUSY, free() during a run and
 * done() only from the loop. What child.c does for any command (sandbox,
 * fds, output bounds, SIGKILL, zombies) is tested in test-child.c. As root
 * the commands run as "nobody", otherwise as the current user. Every wait
 * is bounded. */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "child-test-util.h"
#include "probe/probe-exec.h"
#include "shared/log.h"

typedef LoopFixture Fixture;

static TestUser the_user;
static const char *const user = the_user.name;
static ChildUser *cuser; /* the_user, looked up */

typedef struct Run {
        unsigned n_done;
        ProbeResult result;
        ExecCheck *free_in_done; /* freed from inside done() */
} Run;

static void on_done(void *userdata, const ProbeResult *r) {
        Run *run = userdata;

        run->n_done++;
        run->result = *r;
        if (run->free_in_done)
                run->free_in_done = exec_check_free(run->free_in_done);
}

static ProbeConfig probe_config(const char *const *argv, uint64_t timeout_usec) {
        ProbeConfig p = {
                .name = (char *) "t",
                .kind = PROBE_EXEC,
                .interval_usec = 10 * USEC_PER_SEC,
                .timeout_usec = timeout_usec,
                .command = { .argv = (char **) argv },
        };

        while (argv[p.command.argc])
                p.command.argc++;
        return p;
}

static void wait_done(sd_event *e, Run *run, unsigned n, uint64_t max_usec) {
        run_loop_until_count(e, &run->n_done, n, max_usec);
}

/* One whole run; returns its wall time. */
static uint64_t run_once(sd_event *e, const char *run_user, const char *const *argv, uint64_t timeout_usec,
                         Run *run) {
        ProbeConfig p = probe_config(argv, timeout_usec);
        ChildUser *u = NULL;
        ExecCheck *c = NULL;
        uint64_t start;

        assert_int_equal(child_user_resolve(run_user, &u), 0);
        assert_int_equal(exec_check_new(&c, e, &p, u, on_done, run), 0);
        child_user_unref(u); /* the check keeps its own reference */
        start = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(exec_check_start(c), 0);
        assert_int_equal(run->n_done, 0); /* never from inside start */
        wait_done(e, run, 1, WAIT_MAX_USEC);
        assert_int_equal(run->n_done, 1);
        exec_check_free(c);
        return now_usec(CLOCK_MONOTONIC) - start;
}

/* As run_once(), with the log (stderr) captured into `log`. */
static void run_logged(sd_event *e, const char *run_user, const char *const *argv, Run *run, char *log,
                       size_t size) {
        FILE *f = tmpfile();
        int saved = dup(STDERR_FILENO);
        size_t n;

        assert_non_null(f);
        assert_true(saved >= 0);
        assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
        run_once(e, run_user, argv, 2 * USEC_PER_SEC, run);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        rewind(f);
        n = fread(log, 1, size - 1, f);
        log[n] = '\0';
        fclose(f);
        fprintf(stderr, "# log: %s", log);
}

static size_t count_lines(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static void test_true(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_string_equal(run.result.detail, "exit status 0");
        assert_true(run.result.latency_usec > 0);
        assert_true(run.result.latency_usec < 2 * USEC_PER_SEC);
}

static void test_false(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/false", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 1");
}

/* stdout and stderr both reach the log, on one line, once per run. */
static void test_output_logged(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo hello; echo; echo '  world  ' >&2; exit 3", NULL };
        Run run = {};
        char log[4096];

        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 3");
        assert_non_null(strstr(log, "probe 't': exit status 3; output: hello | world\n"));
        assert_int_equal(count_lines(log), 1);
}

static void test_killed_by_signal(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "killed by SIGUSR1");
}

static void test_timeout(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sleep", "5", NULL };
        ProbeConfig p = probe_config(argv, 300 * USEC_PER_MSEC);
        ExecCheck *c = NULL;
        Run run = {};
        uint64_t start, elapsed;
        pid_t pid;

        assert_int_equal(exec_check_new(&c, f->event, &p, cuser, on_done, &run), 0);
        start = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(exec_check_start(c), 0);
        pid = find_child();
        assert_true(pid > 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        assert_int_equal(run.n_done, 1);
        assert_int_equal(run.result.failure, PROBE_FAIL_TIMEOUT);
        assert_string_equal(run.result.detail, "no exit within 0.3 s");
        assert_true(elapsed >= 300 * USEC_PER_MSEC);
        assert_true(elapsed < 1500 * USEC_PER_MSEC);
        assert_true(run.result.latency_usec >= 300 * USEC_PER_MSEC);
        assert_true(process_gone(pid)); /* reaped, not a zombie */
        exec_check_free(c);
}

static void test_no_user(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        Run run = {};

        run_once(f->event, "promvip-no-such-user", argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_ERROR);
        assert_string_equal(run.result.detail, "user promvip-no-such-user does not exist");
        assert_null(find_child());
}

/* Exactly the documented environment, in this order. */
static void test_environment(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/usr/bin/env", NULL };
        struct passwd *pw = getpwnam(user);
        Run run = {};
        char log[4096], expected[1024];

        assert_non_null(pw);
        snprintf(expected, sizeof(expected),
                 "output: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin | LANG=C.UTF-8 | "
                 "HOME=%s | USER=%s | LOGNAME=%s | PROMVIP_PROBE=t\n",
                 pw->pw_dir, user, user);
        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_non_null(strstr(log, expected));
}

static void test_free_during_run(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sleep", "5", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};
        pid_t pid;

        assert_int_equal(exec_check_new(&c, f->event, &p, cuser, on_done, &run), 0);
        assert_int_equal(exec_check_start(c), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        pid = find_child();
        assert_true(pid > 0);
        assert_null(exec_check_free(c));
        /* Killed, then reaped by the loop (child.c never waits for it). */
        for (unsigned i = 0; i < 100 && !process_gone(pid); i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_true(process_gone(pid));
        assert_int_equal(run.n_done, 0);
        assert_null(exec_check_free(NULL));
}

static void test_busy_and_again(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};

        assert_int_equal(exec_check_new(&c, f->event, &p, cuser, on_done, &run), 0);
        assert_int_equal(exec_check_start(c), 0);
        assert_int_equal(exec_check_start(c), -EBUSY);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 1);
        assert_int_equal(run.result.failure, PROBE_OK);

        assert_int_equal(exec_check_start(c), 0);
        wait_done(f->event, &run, 2, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 2);
        assert_int_equal(run.result.failure, PROBE_OK);
        /* Nothing more comes. */
        assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 2);
        exec_check_free(c);
}

static void test_free_in_done(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo bye", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        Run run = {};

        assert_int_equal(exec_check_new(&run.free_in_done, f->event, &p, cuser, on_done, &run), 0);
        assert_int_equal(exec_check_start(run.free_in_done), 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 1);
        assert_null(run.free_in_done);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
}

static void test_invalid(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ProbeConfig p = probe_config(argv, USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};

        p.kind = PROBE_HTTP;
        assert_int_equal(exec_check_new(&c, f->event, &p, cuser, on_done, &run), -EINVAL);
        p.kind = PROBE_EXEC;
        assert_int_equal(exec_check_new(&c, f->event, &p, NULL, on_done, &run), -EINVAL);
        assert_null(c);
}

static int group_setup(void **state) {
        (void) state;
        if (block_daemon_signals() < 0 || test_user_pick(&the_user, false) < 0 ||
            child_user_resolve(the_user.name, &cuser) < 0)
                return -1;
        setenv("SECRET", "inherited", 1);
        log_set_max_level(LOG_DEBUG);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        cuser = child_user_unref(cuser);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_true, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_false, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_output_logged, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_killed_by_signal, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_timeout, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_user, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_environment, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_during_run, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_busy_and_again, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_in_done, child_test_setup, child_test_teardown),
                cmocka_unit_test_setup_teardown(test_invalid, child_test_setup, child_test_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
