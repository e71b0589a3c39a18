/* Unit tests: status-table.c, the pure part of promvipctl (RFC 3339 times,
 * "ago" and latency formatting, the status table rendered from a /status
 * text). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "status-table.h"

/* 2026-11-22T01:00:00Z */
#define NOW INT64_C(1795309200)

static void test_rfc3339(void **state) {
        int64_t t;

        (void) state;
        assert_int_equal(status_table_parse_rfc3339("2026-11-22T00:00:00Z", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(status_table_parse_rfc3339("2026-11-22T00:00:00.123456Z", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(status_table_parse_rfc3339("2026-11-22T02:00:00+02:00", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(status_table_parse_rfc3339("2026-11-21T23:30:00-00:30", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(status_table_parse_rfc3339("2026-11-22 00:00:00Z", &t), 0);
        assert_int_equal(status_table_parse_rfc3339("2026-11-22T00:00:00", &t), -EINVAL);
        assert_int_equal(status_table_parse_rfc3339("2026-11-22T00:00:00Zjunk", &t), -EINVAL);
        assert_int_equal(status_table_parse_rfc3339("2026-13-22T00:00:00Z", &t), -EINVAL);
        assert_int_equal(status_table_parse_rfc3339("yesterday", &t), -EINVAL);
        assert_int_equal(status_table_parse_rfc3339("", &t), -EINVAL);
        assert_int_equal(status_table_parse_rfc3339(NULL, &t), -EINVAL);
}

static void test_durations(void **state) {
        char b[48];

        (void) state;
        assert_string_equal(status_table_format_duration(0, b, sizeof(b)), "0s");
        assert_string_equal(status_table_format_duration(-5, b, sizeof(b)), "0s");
        assert_string_equal(status_table_format_duration(59, b, sizeof(b)), "59s");
        assert_string_equal(status_table_format_duration(60, b, sizeof(b)), "1m");
        assert_string_equal(status_table_format_duration(3 * 60 + 59, b, sizeof(b)), "3m");
        assert_string_equal(status_table_format_duration(3600, b, sizeof(b)), "1h");
        assert_string_equal(status_table_format_duration(2 * 3600 + 5 * 60 + 7, b, sizeof(b)), "2h 5m");
        assert_string_equal(status_table_format_duration(86400, b, sizeof(b)), "1d");
        assert_string_equal(status_table_format_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "3d 4h");
        assert_string_equal(status_table_format_ago(NOW - 180, NOW, b, sizeof(b)), "3m ago");
        assert_string_equal(status_table_format_ago(NOW, NOW, b, sizeof(b)), "0s ago");
        assert_string_equal(status_table_format_ago(NOW + 5, NOW, b, sizeof(b)), "in 5s");
        assert_string_equal(status_table_format_latency(0.0021, b, sizeof(b)), "2.1 ms");
        assert_string_equal(status_table_format_latency(0.00004, b, sizeof(b)), "0.0 ms");
        assert_string_equal(status_table_format_latency(1.5, b, sizeof(b)), "1500 ms");
}

static char *render(const char *json, int *ret, const char **why) {
        static char buf[256];
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        buf[0] = '\0';
        *ret = status_table_render(json, strlen(json), (uint64_t) NOW * USEC_PER_SEC, f, buf, sizeof(buf));
        assert_int_equal(fclose(f), 0);
        *why = buf[0] ? buf : NULL;
        return text;
}

static const char status_two[] =
        "{\"router_id\": \"prom-a\", \"version\": \"0.1.0\", \"start_time\": \"2026-11-21T22:55:00Z\","
        " \"reloads\": 2, \"reload_failures\": 0, \"last_reload\": \"2026-11-22T00:50:00Z\","
        " \"instances\": ["
        "  {\"name\": \"prometheus\", \"interface\": \"eth0\", \"vrid\": 51, \"version\": 3, \"family\": \"ipv4\","
        "   \"state\": \"MASTER\", \"priority\": {\"base\": 150, \"effective\": 150},"
        "   \"virtual_addresses\": [\"192.0.2.100/24\"], \"master\": \"10.99.1.11\", \"is_master\": true, \"handover\": \"stop\","
        "   \"last_transition\": {\"from\": \"BACKUP\", \"to\": \"MASTER\", \"time\": \"2026-11-22T00:57:00Z\"},"
        "   \"adverts\": {\"sent\": 10, \"received\": 0}, \"master_changes\": 1, \"split_brain\": 0,"
        "   \"dropped\": {}, \"hooks\": {\"run\": 1, \"failed\": 0, \"refused\": 0},"
        "   \"tracks\": [{\"probe\": \"ready\", \"weight\": -60, \"up\": true}]},"
        "  {\"name\": \"alertmanager\", \"interface\": \"eth1\", \"vrid\": 52, \"version\": 3, \"family\": \"ipv6\","
        "   \"state\": \"BACKUP\", \"priority\": {\"base\": 100, \"effective\": 40},"
        "   \"virtual_addresses\": [\"2001:db8::100/64\", \"2001:db8::101/64\"], \"master\": null, \"is_master\": false, \"released\": true,"
        "   \"last_transition\": null, \"split_brain\": 1, \"dropped\": {\"bad_auth\": 3},"
        "   \"tracks\": [{\"probe\": \"ready\", \"weight\": -60, \"up\": true},"
        "              {\"probe\": \"tsdb\", \"weight\": -60, \"up\": false}]}],"
        " \"probes\": ["
        "  {\"name\": \"ready\", \"type\": \"http\", \"state\": \"UP\", \"runs\": 12,"
        "   \"last_latency_seconds\": 0.0021, \"last_result\": \"ok\", \"last_detail\": \"HTTP 200\", \"failures\": {}},"
        "  {\"name\": \"tsdb\", \"type\": \"promql\", \"state\": \"DOWN\", \"runs\": 3,"
        "   \"last_latency_seconds\": 2.0, \"last_result\": \"timeout\", \"last_detail\": \"\","
        "   \"failures\": {\"timeout\": 3}},"
        "  {\"name\": \"idle\", \"type\": \"exec\", \"up\": false, \"last_latency_seconds\": null}],"
        " \"sockets\": []}";

static void test_table(void **state) {
        const char *why = NULL;
        int r;
        char *text = render(status_two, &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_string_equal(
                text,
                "router prom-a  promvipd 0.1.0  up 2h 5m  2 instances, 3 probes  reloads 2 (last 10m ago)\n"
                "\n"
                "INSTANCE      STATE   PRIO     IFACE/VRID  VIPS                               MASTER                  LAST TRANSITION          NOTES\n"
                "prometheus    MASTER  150/150  eth0/51     192.0.2.100/24                     10.99.1.11 (this host)  BACKUP -> MASTER 3m ago  handing over (stop)\n"
                "alertmanager  BACKUP  40/100   eth1/52     2001:db8::100/64,2001:db8::101/64  -                       never                    released, split-brain x1, 3 dropped\n"
                "\n"
                "PROBE  TYPE    STATE  LATENCY  TRACKED BY                         LAST RESULT\n"
                "ready  http    UP     2.1 ms   prometheus(-60),alertmanager(-60)  ok: HTTP 200\n"
                "tsdb   promql  DOWN   2000 ms  alertmanager(-60)                  timeout\n"
                "idle   exec    DOWN   -        -                                  -\n");
        free(text);
}

static void test_minimal(void **state) {
        const char *why = NULL;
        int r;
        char *text = render("{\"instances\": []}", &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_string_equal(text, "router ?  promvipd ?  up ?  0 instances, 0 probes\n"
                                  "\n"
                                  "INSTANCE  STATE  PRIO  IFACE/VRID  VIPS  MASTER  LAST TRANSITION  NOTES\n");
        free(text);
}

static void test_bad_answers(void **state) {
        static const char *const bad[] = {
                "",
                "<html>hello</html>",
                "[]",
                "{}",
                "{\"instances\": {}}",
                "{\"instances\": [1]}",
                "{\"instances\": [{\"state\": \"MASTER\"}]}",
                "{\"instances\": [], \"probes\": 3}",
                "{\"instances\": [], \"probes\": [{}]}",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                int r;
                char *text = render(bad[i], &r, &why);

                assert_int_equal(r, -EBADMSG);
                assert_non_null(why);
                assert_string_equal(text, "");
                free(text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc3339),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_bad_answers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
