/* Tests of the hook queue's order (hooks.c): one hook at a time, in the
 * order of the transitions, and the coalescing of hooks for states already
 * left, up to a flapping router. Real hook scripts on a real sd-event loop;
 * skipped as another user than root (see test-hooks.c). */
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

/* Three quick transitions, each after the previous hook started: their
 * hooks in order, one after the other, none started from the caller. */
static void test_order(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_BACKUP));
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        assert_int_equal(hook_queue_pending(f->q), 1);
        assert_int_equal(find_child(), 0); /* started from the loop, not from the caller */
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        assert_int_equal(hook_queue_pending(f->q), 2); /* waits for the running one */
        gate_open();
        wait_started(f, 2);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start backup.sh 0 |MASTER>BACKUP\nend backup.sh\n"
                                 "start master.sh 0 |BACKUP>MASTER\nend master.sh\n");
        assert_counters(f, 3, 0, 0, 0);
        assert_int_equal(count_logged(f, "dropped"), 0);
        assert_true(hook_queue_counters(f->q)->last_duration_usec >= 100 * USEC_PER_MSEC);
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "master.sh", "(MASTER) done in ", " s");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "backup.sh", "(BACKUP) done in ", " s");
}

/* A transition drops the hooks that wait (for states already left), not
 * the running one; each drop is counted, and logged once naming the states. */
static void test_coalesce(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_BACKUP) | BIT(HOOK_ANY));
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100); /* drops any.sh (MASTER) */
        assert_int_equal(hook_queue_pending(f->q), 3);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 140); /* drops backup.sh, any.sh */
        assert_int_equal(hook_queue_pending(f->q), 3);
        gate_open();
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start any.sh 4 INSTANCE prom MASTER 140|BACKUP>MASTER\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 3);
        assert_int_equal(count_logged(f, "dropped"), 2);
        assert_non_null(strstr(f->log, "promvipd: notice: instance 'prom': dropped 1 waiting hook for MASTER: "
                                       "superseded by the transition to BACKUP\n"));
        assert_non_null(strstr(f->log, "promvipd: notice: instance 'prom': dropped 2 waiting hooks for BACKUP: "
                                       "superseded by the transition to MASTER\n"));
}

/* Hooks not started yet go too, even with nothing running; so do those of
 * a transition to a state without hooks. */
static void test_coalesce_not_started(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_FAULT));
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100); /* no backup hook */
        assert_int_equal(hook_queue_pending(f->q), 0);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        transition(f, "nobody", VRRP_STATE_FAULT, _VRRP_STATE_MAX, 100); /* not a state: ignored */
        assert_int_equal(hook_queue_pending(f->q), 1);
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start fault.sh 0 |BACKUP>FAULT\nend fault.sh\n");
        assert_counters(f, 1, 0, 0, 1);
}

/* A flapping router: a thousand transitions while a slow hook runs. That
 * hook is not interrupted; the queue never holds more than it and one
 * transition's hooks; only the last transition's hooks run after it (state
 * hook, then `any`); every other hook is counted as dropped, with one log
 * line per transition. */
static void test_flood(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_recorders(f, BIT(HOOK_MASTER) | BIT(HOOK_BACKUP) | BIT(HOOK_FAULT) | BIT(HOOK_ANY));
        f->cfg.notify.timeout_usec = 3600 * USEC_PER_SEC;
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        for (unsigned i = 1; i < 999; i++) {
                if (i % 2)
                        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
                else
                        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
                assert_true(hook_queue_pending(f->q) <= HOOK_QUEUE_MAX);
        }
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_FAULT, 7); /* the thousandth */
        assert_int_equal(hook_queue_pending(f->q), 3);
        gate_open();
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start fault.sh 0 |MASTER>FAULT\nend fault.sh\n"
                                 "start any.sh 4 INSTANCE prom FAULT 7|MASTER>FAULT\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 1 + 998 * 2);
        assert_int_equal(count_logged(f, ": dropped "), 999);
        assert_int_equal(
                count_logged(f, "dropped 2 waiting hooks for BACKUP: superseded by the transition to MASTER\n"), 499);
        assert_non_null(strstr(f->log, "dropped 2 waiting hooks for MASTER: superseded by the transition to FAULT\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_order, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_coalesce, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_coalesce_not_started, hooks_test_setup, hooks_test_teardown),
                cmocka_unit_test_setup_teardown(test_flood, hooks_test_setup, hooks_test_teardown),
        };

        return cmocka_run_group_tests(tests, hooks_test_group_setup, hooks_test_group_teardown);
}
