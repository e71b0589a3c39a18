/* Unit tests: probe hysteresis (probe.c) and the effective priority
 * (priority.c): keepalived's track_script semantics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "probe/priority.h"
#include "probe/probe.h"

static bool record(ProbeState *s, ProbeFailure f, unsigned fall, unsigned rise) {
        ProbeResult r = { .failure = f, .latency_usec = 1234 };

        return probe_state_record(s, &r, fall, rise);
}

static void test_starts_down_and_rises(void **state) {
        ProbeState s = {};

        (void) state;
        assert_false(s.up);
        assert_false(record(&s, PROBE_OK, 3, 2));
        assert_false(s.up);
        assert_true(record(&s, PROBE_OK, 3, 2)); /* second success: UP */
        assert_true(s.up);
        assert_false(record(&s, PROBE_OK, 3, 2));
        assert_int_equal(s.runs, 3);
        assert_int_equal(s.last.latency_usec, 1234);
}

static void test_falls_after_consecutive_failures(void **state) {
        ProbeState s = { .up = true };

        (void) state;
        assert_false(record(&s, PROBE_FAIL_TIMEOUT, 3, 2));
        assert_false(record(&s, PROBE_FAIL_HTTP_STATUS, 3, 2));
        assert_false(record(&s, PROBE_OK, 3, 2)); /* a success resets the count */
        assert_false(record(&s, PROBE_FAIL_TIMEOUT, 3, 2));
        assert_false(record(&s, PROBE_FAIL_TIMEOUT, 3, 2));
        assert_true(s.up);
        assert_true(record(&s, PROBE_FAIL_TIMEOUT, 3, 2));
        assert_false(s.up);
        assert_int_equal(s.failures_total[PROBE_FAIL_TIMEOUT], 4);
        assert_int_equal(s.failures_total[PROBE_FAIL_HTTP_STATUS], 1);
        assert_int_equal(s.last.failure, PROBE_FAIL_TIMEOUT);
        /* A failure in the middle of rising starts the rise again. */
        assert_false(record(&s, PROBE_OK, 3, 2));
        assert_false(record(&s, PROBE_FAIL_CONNECT, 3, 2));
        assert_false(record(&s, PROBE_OK, 3, 2));
        assert_true(record(&s, PROBE_OK, 3, 2));
}

static void test_fall_rise_one(void **state) {
        ProbeState s = {};

        (void) state;
        assert_true(record(&s, PROBE_OK, 1, 1));
        assert_true(record(&s, PROBE_FAIL_EXIT_STATUS, 1, 1));
        assert_true(record(&s, PROBE_OK, 1, 1));
}

static void test_failure_names(void **state) {
        (void) state;
        assert_string_equal(probe_failure_to_string(PROBE_OK), "ok");
        assert_string_equal(probe_failure_to_string(PROBE_FAIL_OUT_OF_RANGE), "out_of_range");
        for (int a = 0; a < _PROBE_FAILURE_MAX; a++)
                for (int b = 0; b < a; b++)
                        assert_string_not_equal(probe_failure_to_string((ProbeFailure) a),
                                                probe_failure_to_string((ProbeFailure) b));
}

static uint8_t eff(uint8_t base, const TrackState *t, size_t n, bool *fault) {
        return priority_effective(base, t, n, fault);
}

static void test_priority_weights(void **state) {
        bool fault;
        TrackState t[] = { { .weight = -60, .up = true }, { .weight = -20, .up = true }, { .weight = 10, .up = false } };

        (void) state;
        assert_int_equal(eff(150, t, 3, &fault), 150); /* all healthy: negatives off, positive DOWN */
        assert_false(fault);
        t[0].up = false;
        assert_int_equal(eff(150, t, 3, &fault), 90);
        t[1].up = false;
        assert_int_equal(eff(150, t, 3, &fault), 70);
        t[2].up = true; /* positive weights count while UP */
        assert_int_equal(eff(150, t, 3, &fault), 80);
        assert_int_equal(eff(150, NULL, 0, &fault), 150);
}

static void test_priority_clamps(void **state) {
        bool fault;
        TrackState down[] = { { .weight = -253, .up = false } };
        TrackState up[] = { { .weight = 253, .up = true } };

        (void) state;
        assert_int_equal(eff(100, down, 1, &fault), 1);
        assert_int_equal(eff(100, up, 1, &fault), 254);
        assert_int_equal(eff(254, up, 1, &fault), 254);
        /* The address owner is never adjusted. */
        assert_int_equal(eff(255, down, 1, &fault), 255);
        assert_int_equal(eff(255, up, 1, &fault), 255);
}

static void test_priority_weight_zero_faults(void **state) {
        bool fault;
        TrackState t[] = { { .weight = 0, .up = false }, { .weight = -10, .up = true } };

        (void) state;
        assert_int_equal(eff(100, t, 2, &fault), 100);
        assert_true(fault);
        t[0].up = true;
        eff(100, t, 2, &fault);
        assert_false(fault);
        /* Even the owner faults when a weight-0 probe is DOWN. */
        t[0].up = false;
        assert_int_equal(eff(255, t, 2, &fault), 255);
        assert_true(fault);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_starts_down_and_rises),
                cmocka_unit_test(test_falls_after_consecutive_failures),
                cmocka_unit_test(test_fall_rise_one),
                cmocka_unit_test(test_failure_names),
                cmocka_unit_test(test_priority_weights),
                cmocka_unit_test(test_priority_clamps),
                cmocka_unit_test(test_priority_weight_zero_faults),
        };
        return cmocka_run_group_tests_name("priority", tests, NULL, NULL);
}
