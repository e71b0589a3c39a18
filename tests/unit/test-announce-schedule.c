/* Unit tests: the master's announcement schedule (announce-schedule.c),
 * step by step as the daemon's timer runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/macro.h"
#include "vrrp/announce-schedule.h"

#define T0 (1000 * USEC_PER_SEC)
#define MS USEC_PER_MSEC
#define S USEC_PER_SEC

/* One step at `now`: `rounds` go out, the next is due at `next` (0: done). */
static uint64_t expect_step(AnnounceSchedule *s, const AnnounceTiming *t, uint64_t now, unsigned rounds,
                            uint64_t next) {
        AnnounceStep step = announce_schedule_step(s, t, now);

        assert_int_equal(step.rounds, rounds);
        assert_int_equal(step.next_usec, next);
        return next;
}

/* The defaults: 5 rounds at once, 5 more 5 s later, no refresh. */
static void test_defaults(void **state) {
        AnnounceTiming t = { .repeat = 5, .delay_usec = 5 * S };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0, 5, T0 + 5 * S);
        expect_step(&s, &t, T0 + 5 * S, 5, 0);
}

static void test_no_second_burst(void **state) {
        AnnounceTiming t = { .repeat = 3 };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0, 3, 0);
}

/* garp_interval paces the rounds of both bursts one per step; the delay
 * counts from the first burst's last round. */
static void test_interval(void **state) {
        AnnounceTiming t = { .repeat = 3, .interval_usec = 100 * MS, .delay_usec = 2 * S };
        AnnounceSchedule s;
        uint64_t at = T0;

        (void) state;
        announce_schedule_start(&s, &t);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 2 * S);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        expect_step(&s, &t, at, 1, 0);
}

static void test_interval_single_round(void **state) {
        AnnounceTiming t = { .repeat = 1, .interval_usec = 100 * MS };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0, 1, 0);
}

/* After the bursts, one round every refresh, for as long as it is master. */
static void test_refresh(void **state) {
        AnnounceTiming t = { .repeat = 2, .delay_usec = 1 * S, .refresh_usec = 60 * S };
        AnnounceSchedule s;
        uint64_t at = T0;

        (void) state;
        announce_schedule_start(&s, &t);
        at = expect_step(&s, &t, at, 2, at + 1 * S);
        at = expect_step(&s, &t, at, 2, at + 60 * S);
        for (int k = 0; k < 5; k++)
                at = expect_step(&s, &t, at, 1, at + 60 * S);
}

static void test_refresh_without_second_burst(void **state) {
        AnnounceTiming t = { .repeat = 4, .interval_usec = 10 * MS, .refresh_usec = 5 * S };
        AnnounceSchedule s;
        uint64_t at = T0;

        (void) state;
        announce_schedule_start(&s, &t);
        at = expect_step(&s, &t, at, 1, at + 10 * MS);
        at = expect_step(&s, &t, at, 1, at + 10 * MS);
        at = expect_step(&s, &t, at, 1, at + 10 * MS);
        at = expect_step(&s, &t, at, 1, at + 5 * S);
        at = expect_step(&s, &t, at, 1, at + 5 * S);
        expect_step(&s, &t, at, 1, at + 5 * S);
}

/* A late timer: the next step counts from when it ran, not when it was due. */
static void test_late_step(void **state) {
        AnnounceTiming t = { .repeat = 2, .interval_usec = 100 * MS, .delay_usec = 1 * S };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0, 1, T0 + 100 * MS);
        expect_step(&s, &t, T0 + 350 * MS, 1, T0 + 1350 * MS);
}

/* A new transition, or a VIP added while master: from the first burst again,
 * whatever was left of the schedule. */
static void test_restart(void **state) {
        AnnounceTiming t = { .repeat = 3, .interval_usec = 100 * MS, .delay_usec = 2 * S, .refresh_usec = 10 * S };
        AnnounceSchedule s;
        uint64_t at = T0;

        (void) state;
        announce_schedule_start(&s, &t);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 2 * S);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);

        announce_schedule_start(&s, &t);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 2 * S);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 100 * MS);
        at = expect_step(&s, &t, at, 1, at + 10 * S);

        /* In the refresh phase too. */
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, at, 1, at + 100 * MS);
}

/* A reload's timing applies from the next step on; the burst already
 * scheduled keeps the repeat count it was scheduled with. */
static void test_timing_changes(void **state) {
        AnnounceTiming t = { .repeat = 2, .delay_usec = 1 * S };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0, 2, T0 + 1 * S);
        t.repeat = 4;
        t.refresh_usec = 30 * S;
        expect_step(&s, &t, T0 + 1 * S, 2, T0 + 31 * S);
        expect_step(&s, &t, T0 + 31 * S, 1, T0 + 61 * S);
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, T0 + 40 * S, 4, T0 + 41 * S);
}

/* Even at time 0 a step that is not the last never says "done". */
static void test_next_never_zero(void **state) {
        AnnounceTiming t = { .repeat = 2, .interval_usec = 1, .delay_usec = 1, .refresh_usec = 1 };
        AnnounceSchedule s;

        (void) state;
        announce_schedule_start(&s, &t);
        expect_step(&s, &t, 0, 1, 1);
        expect_step(&s, &t, 0, 1, 1);
        expect_step(&s, &t, 0, 1, 1);
        expect_step(&s, &t, 0, 1, 1);
        expect_step(&s, &t, 0, 1, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_no_second_burst),
                cmocka_unit_test(test_interval),
                cmocka_unit_test(test_interval_single_round),
                cmocka_unit_test(test_refresh),
                cmocka_unit_test(test_refresh_without_second_burst),
                cmocka_unit_test(test_late_step),
                cmocka_unit_test(test_restart),
                cmocka_unit_test(test_timing_changes),
                cmocka_unit_test(test_next_never_zero),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
