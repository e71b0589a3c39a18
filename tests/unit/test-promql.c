/* Unit tests: judging Prometheus instant-query answers (promql.c). The
 * answers have the shapes Prometheus 2.x sends from /api/v1/query. */
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "probe/promql.h"
#include "shared/macro.h"

#define DETAIL_SIZE 160 /* as ProbeResult.detail */

static ProbeFailure eval(const char *json, double min, double max, char *detail) {
        memset(detail, 0x5a, DETAIL_SIZE);
        return promql_evaluate(json, strlen(json), min, max, detail, DETAIL_SIZE);
}

#define assert_eval(json, min, max, failure, expected_detail)            \
        do {                                                              \
                char _d[DETAIL_SIZE];                                     \
                assert_int_equal(eval((json), (min), (max), _d), (failure)); \
                assert_string_equal(_d, (expected_detail));               \
        } while (0)

/* Only the failure; the detail must still be a string. */
#define assert_fails(json, failure)                                          \
        do {                                                                 \
                char _d[DETAIL_SIZE];                                        \
                assert_int_equal(eval((json), -INFINITY, INFINITY, _d), (failure)); \
                assert_true(strnlen(_d, DETAIL_SIZE) < DETAIL_SIZE);         \
                assert_true(_d[0] != '\0');                                  \
        } while (0)

/* time() - max(timestamp(up)): scrape freshness, a scalar-valued vector in
 * practice, but `scalar(...)` answers a scalar. */
static const char scalar_12[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000.123,\"12.5\"]}}";

static const char vector_one[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{},\"value\":[1700000000.123,\"12.5\"]}]}}";

/* up: one sample per target, labels in Prometheus' order. */
static const char vector_up[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"__name__\":\"up\",\"instance\":\"localhost:9090\",\"job\":\"prometheus\"},"
        "\"value\":[1700000000.123,\"1\"]},"
        "{\"metric\":{\"__name__\":\"up\",\"instance\":\"localhost:9100\",\"job\":\"node\"},"
        "\"value\":[1700000000.123,\"0\"]}]}}";

static const char vector_age[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"job\":\"prometheus\"},\"value\":[1700000000.123,\"15\"]},"
        "{\"metric\":{\"job\":\"node\"},\"value\":[1700000000.123,\"75\"]},"
        "{\"metric\":{\"job\":\"blackbox\"},\"value\":[1700000000.123,\"90\"]}]}}";

static void test_scalar(void **state) {
        (void) state;
        assert_eval(scalar_12, -INFINITY, INFINITY, PROBE_OK, "value 12.5");
        assert_eval(scalar_12, 0, 60, PROBE_OK, "value 12.5");
        assert_eval(scalar_12, 12.5, 12.5, PROBE_OK, "value 12.5"); /* bounds included */
        assert_eval(scalar_12, -INFINITY, 10, PROBE_FAIL_OUT_OF_RANGE, "value 12.5 > max 10");
        assert_eval(scalar_12, 13, INFINITY, PROBE_FAIL_OUT_OF_RANGE, "value 12.5 < min 13");
        assert_eval(scalar_12, 0.1, 0.2, PROBE_FAIL_OUT_OF_RANGE, "value 12.5 > max 0.2");
}

static void test_vector_one(void **state) {
        (void) state;
        assert_eval(vector_one, -INFINITY, 60, PROBE_OK, "value 12.5");
        assert_eval(vector_one, -INFINITY, 12, PROBE_FAIL_OUT_OF_RANGE, "value 12.5 > max 12 for {}");
}

static void test_vector_several(void **state) {
        (void) state;
        assert_eval(vector_up, 0, 1, PROBE_OK, "2 samples in range");
        assert_eval(vector_up, 1, 1, PROBE_FAIL_OUT_OF_RANGE,
                    "value 0 < min 1 for up{instance=\"localhost:9100\",job=\"node\"}");
        /* The first offending sample is named. */
        assert_eval(vector_age, -INFINITY, 60, PROBE_FAIL_OUT_OF_RANGE, "value 75 > max 60 for {job=\"node\"}");
        assert_eval(vector_age, 20, INFINITY, PROBE_FAIL_OUT_OF_RANGE, "value 15 < min 20 for {job=\"prometheus\"}");
        assert_eval(vector_age, 0, 90, PROBE_OK, "3 samples in range");
}

static void test_vector_empty(void **state) {
        (void) state;
        /* e.g. up{job="missing"} */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", -INFINITY,
                    INFINITY, PROBE_FAIL_EMPTY, "empty result");
}

static void test_nan(void **state) {
        (void) state;
        /* 0/0, or a histogram_quantile() over no observations */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                    "{\"metric\":{\"job\":\"node\"},\"value\":[1700000000,\"NaN\"]}]}}",
                    -INFINITY, INFINITY, PROBE_FAIL_OUT_OF_RANGE, "value NaN for {job=\"node\"}");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"NaN\"]}}",
                    -INFINITY, INFINITY, PROBE_FAIL_OUT_OF_RANGE, "value NaN");
}

static void test_inf(void **state) {
        static const char pos[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"+Inf\"]}}";
        static const char neg[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                                  "{\"metric\":{\"job\":\"x\"},\"value\":[1700000000,\"-Inf\"]}]}}";

        (void) state;
        assert_eval(pos, -INFINITY, INFINITY, PROBE_OK, "value +Inf");
        assert_eval(pos, -INFINITY, 60, PROBE_FAIL_OUT_OF_RANGE, "value +Inf > max 60");
        assert_eval(pos, 0, 1e308, PROBE_FAIL_OUT_OF_RANGE, "value +Inf > max 1e+308");
        assert_eval(neg, -INFINITY, 0, PROBE_OK, "value -Inf");
        assert_eval(neg, -1e308, 0, PROBE_FAIL_OUT_OF_RANGE, "value -Inf < min -1e+308 for {job=\"x\"}");
}

static void test_error_status(void **state) {
        (void) state;
        assert_eval("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": "
                    "1:6: parse error: unexpected right parenthesis ')'\"}",
                    -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER,
                    "query error (bad_data): invalid parameter \"query\": 1:6: parse error: unexpected right "
                    "parenthesis ')'");
        assert_eval("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression "
                    "evaluation\"}",
                    -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER,
                    "query error (timeout): query timed out in expression evaluation");
        assert_eval("{\"status\":\"error\"}", -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER, "query error");
        assert_eval("{\"status\":\"pending\"}", -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER, "status \"pending\"");
}

static void test_other_result_types(void **state) {
        (void) state;
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1700000000,\"hello\"]}}",
                    -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER,
                    "result type \"string\", expected a vector or a scalar");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
                    "{\"job\":\"node\"},\"values\":[[1700000000,\"1\"],[1700000015,\"1\"]]}]}}",
                    -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER,
                    "result type \"matrix\", expected a vector or a scalar");
        /* A native histogram sample has "histogram" instead of "value". */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                    "\"histogram\":[1700000000,{\"count\":\"2\",\"sum\":\"3\"}]}]}}",
                    -INFINITY, INFINITY, PROBE_FAIL_BAD_ANSWER, "vector sample 0 has no \"value\" (a histogram)");
}

static void test_warnings_ignored(void **state) {
        (void) state;
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                    "\"value\":[1700000000,\"1\"]}]},\"warnings\":[\"PromQL info: something\"]}",
                    0, 1, PROBE_OK, "value 1");
}

static void test_malformed(void **state) {
        char d[DETAIL_SIZE];

        (void) state;
        assert_int_equal(eval("", -INFINITY, INFINITY, d), PROBE_FAIL_BAD_ANSWER);
        assert_string_equal(d, "empty answer");
        assert_int_equal(promql_evaluate(NULL, 0, 0, 1, d, sizeof(d)), PROBE_FAIL_BAD_ANSWER);

        assert_int_equal(eval("<html><body>502 Bad Gateway</body></html>", -INFINITY, INFINITY, d),
                         PROBE_FAIL_BAD_ANSWER);
        assert_true(strncmp(d, "not JSON: ", 10) == 0);

        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[", PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\"} trailing", PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"status\":\"success\"}", PROBE_FAIL_BAD_ANSWER);
        assert_fails("[]", PROBE_FAIL_BAD_ANSWER);
        assert_fails("\"success\"", PROBE_FAIL_BAD_ANSWER);
        assert_fails("null", PROBE_FAIL_BAD_ANSWER);

        /* Invalid UTF-8 and control bytes never reach the detail as such. */
        assert_int_equal(promql_evaluate("\xff\xfe\x01{", 4, 0, 1, d, sizeof(d)), PROBE_FAIL_BAD_ANSWER);
        for (const char *p = d; *p; p++)
                assert_true(*p >= 0x20 && *p < 0x7f);

        /* Embedded NUL in the buffer: the length counts, not strlen(). */
        assert_int_equal(promql_evaluate("{\"status\":\"success\"}\0junk", 25, 0, 1, d, sizeof(d)),
                         PROBE_FAIL_BAD_ANSWER);
}

static void test_missing_fields(void **state) {
        (void) state;
        assert_eval("{}", 0, 1, PROBE_FAIL_BAD_ANSWER, "no \"status\"");
        assert_eval("{\"status\":\"success\"}", 0, 1, PROBE_FAIL_BAD_ANSWER, "no \"data\" object");
        assert_eval("{\"status\":\"success\",\"data\":{}}", 0, 1, PROBE_FAIL_BAD_ANSWER, "no \"resultType\"");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", 0, 1, PROBE_FAIL_BAD_ANSWER,
                    "no \"result\"");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"1\"]}]}}",
                    0, 1, PROBE_FAIL_BAD_ANSWER, "vector sample 0 has no valid \"metric\"");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{}}]}}", 0, 1,
                    PROBE_FAIL_BAD_ANSWER, "vector sample 0 has no \"value\"");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000]}}", 0, 1,
                    PROBE_FAIL_BAD_ANSWER, "a sample is not [timestamp, \"value\"]");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[]}}", 0, 1,
                    PROBE_FAIL_BAD_ANSWER, "a sample is not [timestamp, \"value\"]");
}

static void test_wrong_types(void **state) {
        (void) state;
        /* Values are strings in the API, never JSON numbers. */
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,1]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[\"1700000000\",\"1\"]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1\",\"2\"]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":{\"a\":1}}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":true}", PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":[]}", PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":7,\"result\":[]}}", PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":[],"
                     "\"value\":[1,\"1\"]}]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"job\":1},"
                     "\"value\":[1,\"1\"]}]}}",
                     PROBE_FAIL_BAD_ANSWER);
        /* A bad sample after a good one still fails. */
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                     "\"value\":[1,\"1\"]},{\"metric\":{},\"value\":null}]}}",
                     PROBE_FAIL_BAD_ANSWER);
}

static void test_value_strings(void **state) {
        static const char *const bad[] = { "", " 1", "1 ", "1x", "12abc", "0x", "--1", "one", "1,5", "\\t1" };
        char json[256], d[DETAIL_SIZE];

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(json, sizeof(json),
                         "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"%s\"]}}", bad[i]);
                assert_int_equal(eval(json, -INFINITY, INFINITY, d), PROBE_FAIL_BAD_ANSWER);
                assert_true(strstr(d, "is not a number") != NULL);
        }
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1x\"]}}", 0, 1,
                    PROBE_FAIL_BAD_ANSWER, "value \"1x\" is not a number");
        /* Go's formatting of small and large floats. */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1e-05\"]}}", 0, 1,
                    PROBE_OK, "value 1e-05");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"-0\"]}}", 0, 1,
                    PROBE_OK, "value -0");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"60.000001\"]}}",
                    0, 60, PROBE_FAIL_OUT_OF_RANGE, "value 60.000001 > max 60");
}

static void test_huge_numbers(void **state) {
        char d[DETAIL_SIZE];

        (void) state;
        /* Beyond a double: the value is +-Inf. */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1e999\"]}}",
                    -INFINITY, 1e308, PROBE_FAIL_OUT_OF_RANGE, "value 1e999 > max 1e+308");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"-1e999\"]}}",
                    -INFINITY, INFINITY, PROBE_OK, "value -1e999");
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1e-999\"]}}", 0, 1,
                    PROBE_OK, "value 1e-999");
        /* The largest double as Prometheus 2.42 prints it. */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
                    "\"value\":[1795307743.88,\"1.7976931348623157e+308\"]}]}}",
                    -INFINITY, 60, PROBE_FAIL_OUT_OF_RANGE, "value 1.7976931348623157e+308 > max 60 for {}");
        /* A long value text (309 digits) is cut to 32 bytes in the detail. */
        char json[512], value[310];
        memset(value, '9', 309);
        value[309] = '\0';
        snprintf(json, sizeof(json), "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"%s\"]}}",
                 value);
        assert_int_equal(eval(json, 0, 60, d), PROBE_FAIL_OUT_OF_RANGE);
        assert_string_equal(d, "value 99999999999999999999999999999999... > max 60");
        /* Timestamps beyond a double or a 64-bit integer: jansson refuses. */
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1e999,\"1\"]}}",
                     PROBE_FAIL_BAD_ANSWER);
        assert_fails("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
                     "[99999999999999999999999,\"1\"]}}",
                     PROBE_FAIL_BAD_ANSWER);
        /* An integer timestamp is a number too. */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"1\"]}}", 0,
                    1, PROBE_OK, "value 1");
}

/* The detail is bounded by its size, cut at a UTF-8 boundary and marked. */
static void test_detail_bounds(void **state) {
        static const char long_labels[] =
                "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
                "\"__name__\":\"node_filesystem_avail_bytes\",\"device\":\"/dev/mapper/vg0-root\","
                "\"fstype\":\"ext4\",\"instance\":\"prometheus-a.example.org:9100\",\"job\":\"node\","
                "\"mountpoint\":\"/var/lib/prometheus\",\"path\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"},"
                "\"value\":[1700000000,\"75\"]}]}}";
        char small[16], d[DETAIL_SIZE];

        (void) state;
        assert_int_equal(eval(long_labels, -INFINITY, 60, d), PROBE_FAIL_OUT_OF_RANGE);
        assert_true(strlen(d) < DETAIL_SIZE);
        assert_true(strncmp(d, "value 75 > max 60 for node_filesystem_avail_bytes{device=", 57) == 0);

        for (size_t size = 1; size <= sizeof(small); size++) {
                memset(small, 0x5a, sizeof(small));
                assert_int_equal(promql_evaluate(long_labels, strlen(long_labels), -INFINITY, 60, small, size),
                                 PROBE_FAIL_OUT_OF_RANGE);
                assert_true(strlen(small) < size);
                for (size_t i = size; i < sizeof(small); i++)
                        assert_int_equal(small[i], 0x5a);
        }
        assert_string_equal(small, "value 75 > m...");

        /* Quotes and control characters in labels are escaped. */
        assert_eval("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
                    "{\"a\":\"x\\\"y\\\\z\\n\"},\"value\":[1,\"2\"]}]}}",
                    0, 1, PROBE_FAIL_OUT_OF_RANGE, "value 2 > max 1 for {a=\"x\\\"y\\\\z?\"}");

        /* No detail buffer at all. */
        assert_int_equal(promql_evaluate(scalar_12, strlen(scalar_12), 0, 1, NULL, 0), PROBE_FAIL_OUT_OF_RANGE);
        assert_int_equal(promql_evaluate(scalar_12, strlen(scalar_12), 0, 60, d, 0), PROBE_OK);
}

static bool utf8_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t k = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
                if (k == 0)
                        return false;
                for (size_t i = 1; i < k; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += k;
        }
        return true;
}

/* Cutting never splits a UTF-8 character, wherever the cut falls. */
static void test_cut_utf8(void **state) {
        static const char json[] =
                "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
                "\"a\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"},"
                "\"value\":[1,\"2\"]}]}}";
        char d[64];

        (void) state;
        assert_int_equal(promql_evaluate(json, strlen(json), 0, 1, d, sizeof(d)), PROBE_FAIL_OUT_OF_RANGE);
        assert_string_equal(d, "value 2 > max 1 for {a=\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
                               "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}");
        for (size_t size = 1; size <= sizeof(d); size++) {
                assert_int_equal(promql_evaluate(json, strlen(json), 0, 1, d, size), PROBE_FAIL_OUT_OF_RANGE);
                assert_true(strlen(d) < size);
                assert_true(utf8_valid(d));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scalar),
                cmocka_unit_test(test_vector_one),
                cmocka_unit_test(test_vector_several),
                cmocka_unit_test(test_vector_empty),
                cmocka_unit_test(test_nan),
                cmocka_unit_test(test_inf),
                cmocka_unit_test(test_error_status),
                cmocka_unit_test(test_other_result_types),
                cmocka_unit_test(test_warnings_ignored),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_missing_fields),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_value_strings),
                cmocka_unit_test(test_huge_numbers),
                cmocka_unit_test(test_detail_bounds),
                cmocka_unit_test(test_cut_utf8),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
