/* Unit tests: log_format_counters(), the counters of the SIGUSR1 lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/log.h"

static const char *name(size_t k) {
        static const char *const names[] = { "none", "timeout", "connect", "http_status" };

        return names[k];
}

static void test_non_zero_only(void **state) {
        const uint64_t v[] = { 7, 0, 3, 12 };
        char buf[128];

        (void) state;
        log_format_counters(buf, sizeof(buf), "failures_", v, 4, name);
        assert_string_equal(buf, " failures_connect=3 failures_http_status=12");
}

static void test_all_zero(void **state) {
        const uint64_t v[] = { 5, 0, 0, 0 };
        char buf[16];

        (void) state;
        memset(buf, 'x', sizeof(buf));
        log_format_counters(buf, sizeof(buf), "drop_", v, 4, name);
        assert_string_equal(buf, "");
}

static void test_cut_when_full(void **state) {
        const uint64_t v[] = { 0, 1, 2, 3 };
        char buf[20];

        (void) state;
        log_format_counters(buf, sizeof(buf), "drop_", v, 4, name);
        assert_string_equal(buf, " drop_timeout=1 dro");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_non_zero_only),
                cmocka_unit_test(test_all_zero),
                cmocka_unit_test(test_cut_when_full),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
