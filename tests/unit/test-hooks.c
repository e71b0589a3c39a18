/* Tests of the hook queue (hooks.c) with real hook scripts on a real
 * sd-event loop: which hook runs for which state, with what environment,
 * timeout, log lines and script security; freeing and argument checks.
 * Script security needs root-owned scripts, so as another user only the
 * argument checks run and the rest are skipped (cmocka's skip();
 * cmocka-tap.py makes meson count them so). Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hooks-test-util.h"
#include "shared/log.h"

/* `any` after the state's hook, with keepalived's arguments. */
static void test_any(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_ANY));
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        assert_int_equal(hook_queue_pending(f->q), 2);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 90); /* no backup hook */
        assert_int_equal(hook_queue_pending(f->q), 1);
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom BACKUP 90|MASTER>BACKUP\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 0);
}

/* Each state its hook; INIT none. */
static void test_states(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_BACKUP) | BIT(HOOK_FAULT) | BIT(HOOK_STOP));
        transition(f, "nobody", VRRP_STATE_INIT, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_FAULT, VRRP_STATE_STOP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_STOP, VRRP_STATE_INIT, 100);
        transition(f, "nobody", VRRP_STATE_STOP, _VRRP_STATE_MAX, 100);
        assert_int_equal(hook_queue_pending(f->q), 0);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start backup.sh 0 |INIT>BACKUP\nend backup.sh\n"
                                 "start fault.sh 0 |BACKUP>FAULT\nend fault.sh\n"
                                 "start stop.sh 0 |FAULT>STOP\nend stop.sh\n");
        assert_counters(f, 3, 0, 0, 0);
}

/* Exactly the documented environment. */
static void test_environment(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[2048];

        if (!root())
                skip();
        write_file("env.sh", "#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > %s/env\n", 0755);
        set_hook(f, HOOK_ANY, "env.sh");
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);

        snprintf(expected, sizeof(expected),
                 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C.UTF-8\n"
                 "HOME=%s\nUSER=nobody\nLOGNAME=nobody\n"
                 "PROMVIP_INSTANCE=prom\nPROMVIP_STATE=BACKUP\nPROMVIP_PREVIOUS_STATE=MASTER\n"
                 "PROMVIP_PRIORITY=100\nPROMVIP_VRID=51\nPROMVIP_VIPS=192.0.2.100/24 192.0.2.101/32\n",
                 the_user.home);
        read_file("env", buf, sizeof(buf));
        assert_string_equal(buf, expected);
        assert_counters(f, 1, 0, 0, 0);
}

/* A hanging hook is cut at its timeout, then the next one runs. */
static void test_timeout(void **state) {
        Fixture *f = *state;
        char buf[4096];
        uint64_t start, elapsed;

        if (!root())
                skip();
        write_file("hang.sh", "#!/bin/sh\necho \"start hang.sh\" >> %s/log\necho hanging\nexec /bin/sleep 5\n", 0755);
        set_hook(f, HOOK_MASTER, "hang.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        f->cfg.notify.timeout_usec = 300 * USEC_PER_MSEC;
        capture_begin(f);
        start = now_usec(CLOCK_MONOTONIC);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start hang.sh\nstart backup.sh 0 |MASTER>BACKUP\nend backup.sh\n");
        assert_true(elapsed >= 400 * USEC_PER_MSEC); /* the timeout, then the next hook's 0.1 s */
        assert_true(elapsed < 2500 * USEC_PER_MSEC);
        assert_counters(f, 2, 1, 0, 0);
        assert_logged(f, "promvipd: warning: instance 'prom': hook ", "hang.sh", "(MASTER) timed out after ",
                      " s: no exit within 0.3 s (SIGTERM); output: hanging");
}

/* What the observer (the instance's event history) was told, one
 * "hook result detail" line each. */
static char observed[1024];

static void observe(void *userdata, const char *hook, const char *result, const char *detail) {
        size_t n = strlen(observed);

        assert_ptr_equal(userdata, observed);
        snprintf(observed + n, sizeof(observed) - n, "%s %s %s\n", hook, result, detail ? detail : "(null)");
}

/* One line per run: the outcome, and the output if there is any; the
 * observer gets each result. */
static void test_results_logged(void **state) {
        Fixture *f = *state;

        if (!root())
                skip();
        observed[0] = '\0';
        hook_queue_set_observer(f->q, observe, observed);
        write_file("fail.sh", "#!/bin/sh\necho oops >&2\nexit 3\n", 0755);
        write_file("talk.sh", "#!/bin/sh\necho all; echo well\n", 0755);
        set_hook(f, HOOK_FAULT, "fail.sh");
        set_hook(f, HOOK_MASTER, "talk.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        capture_begin(f);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_FAULT, VRRP_STATE_MASTER, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        assert_counters(f, 3, 1, 0, 0);
        assert_logged(f, "promvipd: warning: instance 'prom': hook ", "fail.sh", "(FAULT) failed after ",
                      " s: exit status 3; output: oops");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "talk.sh", "(MASTER) done in ",
                      " s; output: all | well");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "backup.sh", "(BACKUP) done in ", " s");
        assert_string_equal(observed, "fault failed exit status 3\nmaster ok exit status 0\nbackup ok exit status 0\n");
}

/* Scripts others could change are refused, counted and skipped. */
static void test_insecure(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[1024];

        if (!root())
                skip();
        write_file("ww.sh", recorder, 0757);
        write_file("gw.sh", recorder, 0775);
        assert_int_equal(chown(at("gw.sh"), 0, OTHER_GID), 0);
        assert_int_equal(chmod(at("gw.sh"), 0775), 0);
        assert_int_equal(mkdir(at("open"), 0777), 0);
        assert_int_equal(chmod(at("open"), 0777), 0); /* whatever the umask */
        write_file("open/x.sh", recorder, 0755);
        set_hook(f, HOOK_MASTER, "ww.sh");
        set_hook(f, HOOK_BACKUP, "gw.sh");
        set_hook(f, HOOK_FAULT, "open/x.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        observed[0] = '\0';
        hook_queue_set_observer(f->q, observe, observed);
        capture_begin(f);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom BACKUP 100|MASTER>BACKUP\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom FAULT 100|BACKUP>FAULT\nend any.sh\n");
        assert_counters(f, 3, 0, 3, 0);
        assert_non_null(strstr(observed, "master refused "));
        assert_non_null(strstr(observed, "ww.sh is writable by everyone\nany ok exit status 0\nbackup refused "));
        assert_non_null(strstr(observed, "fault refused "));
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/ww.sh refused: %s/ww.sh is writable by everyone\n",
                 base, base);
        assert_non_null(strstr(f->log, expected));
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/gw.sh refused: %s/gw.sh is writable by group %u\n",
                 base, base, OTHER_GID);
        assert_non_null(strstr(f->log, expected));
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/open/x.sh refused: %s/open is writable by everyone\n",
                 base, base);
        assert_non_null(strstr(f->log, expected));

        (void) unlink(at("open/x.sh"));
        (void) rmdir(at("open"));
}

static void test_no_user(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[1024];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_ANY));
        capture_begin(f);
        transition(f, NO_USER, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_counters(f, 0, 0, 2, 0);
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/master.sh refused: user " NO_USER
                 " does not exist: set global.script_user\n",
                 base);
        assert_non_null(strstr(f->log, expected));
}

/* Freeing the queue kills the running hook; nothing queued runs. */
static void test_free_during_run(void **state) {
        Fixture *f = *state;
        char buf[4096];
        pid_t pid = 0;

        if (!root())
                skip();
        write_file("hang.sh", "#!/bin/sh\necho \"start hang.sh\" >> %s/log\nexec /bin/sleep 5\n", 0755);
        set_hook(f, HOOK_MASTER, "hang.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        for (unsigned i = 0; i < 100 && pid == 0; i++) {
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
                pid = find_child();
        }
        assert_true(pid > 0);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        assert_int_equal(hook_queue_pending(f->q), 2);
        assert_null(hook_queue_free(f->q));
        f->q = NULL;
        /* Killed; reaped at once or by the loop, whichever child.c does. */
        for (unsigned i = 0; i < 100 && !process_gone(pid); i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_true(process_gone(pid));
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        read_file("log", buf, sizeof(buf));
        assert_true(strcmp(buf, "") == 0 || strcmp(buf, "start hang.sh\n") == 0);
}

/* Everything is copied when queued: the config may go right after. */
static void test_copied_at_push(void **state) {
        Fixture *f = *state;
        char *name, *path = NULL, *user;
        char *argv[] = { NULL, NULL };
        char buf[4096];

        if (!root())
                skip();
        name = strdup("prom");
        user = strdup("nobody");
        assert_true(name && user);
        assert_true(asprintf(&path, "%s/any.sh", base) > 0);
        argv[0] = path;
        f->cfg.name = name;
        f->cfg.notify.any = (Argv) { .argv = argv, .argc = 1 };
        transition(f, user, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        memset(name, 'x', strlen(name));
        memset(path, 'x', strlen(path));
        free(name);
        free(path);
        free(user);
        f->cfg.name = f->name;
        f->cfg.notify.any = (Argv) {};
        f->cfg.n_vips = 0;
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n");
        assert_counters(f, 1, 0, 0, 0);
}

/* Argument checks: these need no root. */
static void test_invalid(void **state) {
        Fixture *f = *state;
        HookQueue *q = NULL;
        ChildUser *u = NULL;

        assert_int_equal(hook_queue_new(&q, NULL, "x"), -EINVAL);
        assert_int_equal(hook_queue_new(&q, f->event, NULL), -EINVAL);
        assert_int_equal(hook_queue_new(NULL, f->event, "x"), -EINVAL);
        assert_null(q);
        assert_null(hook_queue_free(NULL));
        assert_int_equal(hook_queue_pending(NULL), 0);
        assert_null(hook_queue_counters(NULL));
        assert_int_equal(child_user_resolve("nobody", &u), 0);
        hook_queue_transition(NULL, &f->cfg, u, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        hook_queue_transition(f->q, NULL, u, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        child_user_unref(u);
        set_hook(f, HOOK_MASTER, "master.sh");
        hook_queue_transition(f->q, &f->cfg, NULL, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        assert_int_equal(hook_queue_pending(f->q), 0);
        assert_counters(f, 0, 0, 0, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_any, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_states, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_environment, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_timeout, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_results_logged, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_insecure, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_no_user, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_free_during_run, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_copied_at_push, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_invalid, hooks_test_setup, hooks_test_teardown),
        };

        return cmocka_run_group_tests(tests, hooks_test_group_setup, hooks_test_group_teardown);
}
