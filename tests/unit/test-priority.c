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

/* Tracked interfaces are UP/DOWN tracks: keepalived's track_interface. */
static void test_priority_interfaces(void **state) {
        bool fault;
        TrackState t[] = { { .weight = -50, .up = true }, { .weight = 30, .up = true }, { .weight = 0, .up = true } };

        (void) state;
        assert_int_equal(eff(100, t, 3, &fault), 130);
        assert_false(fault);
        t[0].up = false; /* negative weight: applies while down */
        assert_int_equal(eff(100, t, 3, &fault), 80);
        t[1].up = false; /* positive weight: applies while up */
        assert_int_equal(eff(100, t, 3, &fault), 50);
        assert_false(fault);
        t[2].up = false; /* no weight: FAULT */
        eff(100, t, 3, &fault);
        assert_true(fault);
        assert_true(track_faults(&t[2]));
        assert_false(track_faults(&t[0]));
}

/* File probes: value x weight, keepalived's track_file. */
static void test_priority_file_values(void **state) {
        bool fault = false;
        TrackState f = { .weight = -100, .valued = true, .value = 0 };
        TrackState t[2];

        (void) state;
        assert_int_equal(track_contribution(&f, &fault), 0);
        f.value = 1; /* drained */
        assert_int_equal(track_contribution(&f, &fault), -100);
        assert_false(fault);
        f.value = -1; /* a negative value raises it */
        assert_int_equal(track_contribution(&f, &fault), 100);
        f.weight = 10;
        f.value = 30; /* capped at 253 */
        assert_int_equal(track_contribution(&f, &fault), 253);
        f.value = -25; /* -250: still a weight */
        assert_int_equal(track_contribution(&f, &fault), -250);
        assert_false(fault);
        f.value = -26; /* -260, below -253: FAULT */
        track_contribution(&f, &fault);
        assert_true(fault);
        fault = false;
        f.weight = -253;
        f.value = 1; /* exactly -253: not a fault */
        assert_int_equal(track_contribution(&f, &fault), -253);
        assert_false(fault);
        f.value = 2;
        assert_true(track_faults(&f));
        /* Products that overflow 64 bits keep their sign. */
        f.value = INT64_MAX;
        assert_true(track_faults(&f));
        f.weight = 253;
        assert_int_equal(track_contribution(&f, &fault), 253);
        f.value = INT64_MIN;
        assert_true(track_faults(&f));

        /* Weight 0: any non-zero value is FAULT, 0 is fine. */
        t[0] = (TrackState) { .weight = 0, .valued = true, .value = 0 };
        t[1] = (TrackState) { .weight = -20, .up = false };
        assert_int_equal(eff(150, t, 2, &fault), 130);
        assert_false(fault);
        t[0].value = 1;
        eff(150, t, 2, &fault);
        assert_true(fault);
        t[0].value = -3;
        eff(150, t, 2, &fault);
        assert_true(fault);

        /* A valued track ignores `up`. */
        t[0] = (TrackState) { .weight = -100, .valued = true, .value = 0, .up = false };
        assert_int_equal(eff(150, t, 1, &fault), 150);
        t[0].value = 1;
        assert_int_equal(eff(150, t, 1, &fault), 50);
        assert_int_equal(eff(80, t, 1, &fault), 1);     /* clamped */
        assert_int_equal(eff(255, t, 1, &fault), 255);  /* the owner stays */
        assert_false(fault);
}

/* A missing file reads as the probe's `missing` value: the arithmetic is
 * the same as for a value read from the file. */
static void test_priority_missing_file_value(void **state) {
        bool fault;
        TrackState t = { .weight = -100, .valued = true, .value = 1 }; /* missing = 1: drained when absent */

        (void) state;
        assert_int_equal(eff(150, &t, 1, &fault), 50);
        t.weight = 0;
        eff(150, &t, 1, &fault);
        assert_true(fault);
}

/* keepalived's reading of a track file (strtol base 0). */
static void test_file_parse(void **state) {
        int64_t v;

        (void) state;
        assert_int_equal(probe_file_parse("1\n", &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(probe_file_parse("  -42 trailing", &v), 0);
        assert_int_equal(v, -42);
        assert_int_equal(probe_file_parse("0x10", &v), 0);
        assert_int_equal(v, 16);
        assert_int_equal(probe_file_parse("010", &v), 0);
        assert_int_equal(v, 8);
        assert_int_equal(probe_file_parse("+7", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(probe_file_parse("", &v), -EINVAL);
        assert_int_equal(v, 0);
        assert_int_equal(probe_file_parse("drained", &v), -EINVAL);
        assert_int_equal(v, 0);
        assert_int_equal(probe_file_parse("2147483647", &v), 0);
        assert_int_equal(v, 2147483647);
        assert_int_equal(probe_file_parse("-2147483648", &v), 0);
        assert_int_equal(v, -2147483648LL);
        assert_int_equal(probe_file_parse("2147483648", &v), -ERANGE);
        assert_int_equal(probe_file_parse("99999999999999999999999", &v), -ERANGE);
}

/* A file probe's state: UP while its value is 0; a value out of range
 * keeps the one in force. */
static void test_value_state(void **state) {
        ProbeState s = { .value = 0 };
        ProbeResult ok = { .failure = PROBE_OK }, range = { .failure = PROBE_FAIL_OUT_OF_RANGE };

        (void) state;
        assert_false(probe_state_record_value(&s, &ok, true, 0));
        assert_true(s.up);
        assert_true(probe_state_record_value(&s, &ok, true, 1));
        assert_false(s.up);
        assert_int_equal(s.value, 1);
        assert_false(probe_state_record_value(&s, &range, false, 0));
        assert_int_equal(s.value, 1);
        assert_int_equal(s.failures_total[PROBE_FAIL_OUT_OF_RANGE], 1);
        assert_true(probe_state_record_value(&s, &ok, true, 0));
        assert_true(s.up);
        assert_int_equal(s.runs, 4);
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
                cmocka_unit_test(test_priority_interfaces),
                cmocka_unit_test(test_priority_file_values),
                cmocka_unit_test(test_priority_missing_file_value),
                cmocka_unit_test(test_file_parse),
                cmocka_unit_test(test_value_state),
        };
        return cmocka_run_group_tests_name("priority", tests, NULL, NULL);
}
