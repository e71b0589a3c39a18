/* Unit tests: status-table.c and ctl-text.c, the pure part of promvipctl
 * (RFC 3339 times, "ago" and latency formatting, the status table rendered
 * from a /status text), and status --watch's --interval parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/ctl-status.h"
#include "ctl/ctl-text.h"
#include "ctl/status-table.h"
#include "shared/macro.h"

/* 2026-11-22T01:00:00Z */
#define NOW INT64_C(1795309200)

static void test_rfc3339(void **state) {
        int64_t t;

        (void) state;
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T00:00:00Z", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T00:00:00.123456Z", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T02:00:00+02:00", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-21T23:30:00-00:30", &t), 0);
        assert_int_equal(t, NOW - 3600);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22 00:00:00Z", &t), 0);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T00:00:00", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T00:00:00Zjunk", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339("2026-13-22T00:00:00Z", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339("yesterday", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339("", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339(NULL, &t), -EINVAL);

        /* milliseconds: the fraction's first three digits */
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T00:00:00.123Z", &t), 0);
        assert_int_equal(t, (NOW - 3600) * 1000 + 123);
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T00:00:00.1Z", &t), 0);
        assert_int_equal(t, (NOW - 3600) * 1000 + 100);
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T00:00:00.98765Z", &t), 0);
        assert_int_equal(t, (NOW - 3600) * 1000 + 987);
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T02:00:00.5+02:00", &t), 0);
        assert_int_equal(t, (NOW - 3600) * 1000 + 500);
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T00:00:00Z", &t), 0);
        assert_int_equal(t, (NOW - 3600) * 1000);
        assert_int_equal(ctl_text_parse_rfc3339_ms("2026-11-22T00:00:00.Z", &t), -EINVAL);
        assert_int_equal(ctl_text_parse_rfc3339("2026-11-22T00:00:00.999Z", &t), 0);
        assert_int_equal(t, NOW - 3600);
}

static void test_durations(void **state) {
        char b[48];

        (void) state;
        assert_string_equal(ctl_text_duration(0, b, sizeof(b)), "0s");
        assert_string_equal(ctl_text_duration(-5, b, sizeof(b)), "0s");
        assert_string_equal(ctl_text_duration(59, b, sizeof(b)), "59s");
        assert_string_equal(ctl_text_duration(60, b, sizeof(b)), "1m");
        assert_string_equal(ctl_text_duration(3 * 60 + 59, b, sizeof(b)), "3m");
        assert_string_equal(ctl_text_duration(3600, b, sizeof(b)), "1h");
        assert_string_equal(ctl_text_duration(2 * 3600 + 5 * 60 + 7, b, sizeof(b)), "2h 5m");
        assert_string_equal(ctl_text_duration(86400, b, sizeof(b)), "1d");
        assert_string_equal(ctl_text_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "3d 4h");
        assert_string_equal(ctl_text_ago(NOW - 180, NOW, b, sizeof(b)), "3m ago");
        assert_string_equal(ctl_text_ago(NOW, NOW, b, sizeof(b)), "0s ago");
        assert_string_equal(ctl_text_ago(NOW + 5, NOW, b, sizeof(b)), "in 5s");
        /* with tenths below a minute */
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 400, NOW * 1000, b, sizeof(b)), "0.4s ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 12345, NOW * 1000, b, sizeof(b)), "12.3s ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 59999, NOW * 1000, b, sizeof(b)), "59.9s ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000, NOW * 1000, b, sizeof(b)), "0.0s ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 60000, NOW * 1000, b, sizeof(b)), "1m ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 300500, NOW * 1000, b, sizeof(b)), "5m ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 7200000, NOW * 1000, b, sizeof(b)), "2h ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 - 3 * 86400000, NOW * 1000, b, sizeof(b)), "3d ago");
        assert_string_equal(ctl_text_ago_ms(NOW * 1000 + 5100, NOW * 1000, b, sizeof(b)), "in 5s");
        assert_string_equal(ctl_text_latency(0.0021, b, sizeof(b)), "2.1 ms");
        assert_string_equal(ctl_text_latency(0.00004, b, sizeof(b)), "0.0 ms");
        assert_string_equal(ctl_text_latency(1.5, b, sizeof(b)), "1500 ms");
}

/* What promvipctl prints for the /status `json`: the table, or with
 * `as_json` the JSON again; *why the error message, if any. */
static char *render_as(bool as_json, const char *json, int *ret, const char **why) {
        static char buf[256];
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        buf[0] = '\0';
        *ret = as_json ? ctl_text_json_pretty(json, strlen(json), f, buf, sizeof(buf))
                       : status_table_render(json, strlen(json), (uint64_t) NOW * USEC_PER_SEC, f, buf, sizeof(buf));
        assert_int_equal(fclose(f), 0);
        *why = buf[0] ? buf : NULL;
        return text;
}

static char *render(const char *json, int *ret, const char **why) {
        return render_as(false, json, ret, why);
}

static const char status_two[] =
        "{\"router_id\": \"prom-a\", \"version\": \"0.1.0\", \"start_time\": \"2026-11-21T22:55:00Z\","
        " \"reloads\": 2, \"reload_failures\": 0, \"last_reload\": \"2026-11-22T00:50:00Z\","
        " \"instances\": ["
        "  {\"name\": \"prometheus\", \"interface\": \"eth0\", \"vrid\": 51, \"version\": 3, \"family\": \"ipv4\","
        "   \"state\": \"MASTER\", \"priority\": {\"base\": 150, \"effective\": 150},"
        "   \"virtual_addresses\": [\"192.0.2.100/24\"], \"master\": \"10.99.1.11\", \"is_master\": true, \"handover\": \"stop\", \"sync_group\": \"prom\","
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
                "prometheus    MASTER  150/150  eth0/51     192.0.2.100/24                     10.99.1.11 (this host)  BACKUP -> MASTER 3m ago  sync group prom, handing over (stop)\n"
                "alertmanager  BACKUP  40/100   eth1/52     2001:db8::100/64,2001:db8::101/64  -                       never                    released, split-brain x1, 3 dropped\n"
                "\n"
                "PROBE  TYPE    STATE  LATENCY  TRACKED BY                         LAST RESULT\n"
                "ready  http    UP     2.1 ms   prometheus(-60),alertmanager(-60)  ok: HTTP 200\n"
                "tsdb   promql  DOWN   2000 ms  alertmanager(-60)                  timeout\n"
                "idle   exec    DOWN   -        -                                  -\n");
        free(text);
}

/* Ages come from the answer's "now" (the daemon's clock) when it has a
 * valid one, else from the caller's. */
static void test_daemon_now(void **state) {
        static const char fmt[] = "{\"start_time\": \"2026-11-21T22:55:00Z\", \"now\": %s, \"instances\": [{"
                                  "\"name\": \"x\", \"state\": \"MASTER\", \"last_transition\": {\"from\": "
                                  "\"BACKUP\", \"to\": \"MASTER\", \"time\": \"2026-11-22T00:57:00Z\"}}]}";
        static const struct {
                const char *now, *up, *ago;
        } cases[] = {
                { "\"2026-11-22T01:00:00.000Z\"", "up 2h 5m", "3m ago" },   /* the same as ours */
                { "\"2026-11-22T00:58:30.900Z\"", "up 2h 3m", "1m ago" },   /* ours runs ahead */
                { "\"2026-11-22T03:00:00.000Z\"", "up 4h 5m", "2h 3m ago" }, /* ours runs behind */
                { "\"not a time\"", "up 2h 5m", "3m ago" },                 /* ours, then */
                { "null", "up 2h 5m", "3m ago" },
                { "17", "up 2h 5m", "3m ago" },
        };

        (void) state;
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                char json[512];
                const char *why = NULL;
                int r;
                char *text;

                snprintf(json, sizeof(json), fmt, cases[k].now);
                text = render(json, &r, &why);
                assert_int_equal(r, 0);
                if (!strstr(text, cases[k].up) || !strstr(text, cases[k].ago))
                        fail_msg("now %s: %s", cases[k].now, text);
                free(text);
        }
}

/* A FAULT instance says why in NOTES. */
static void test_fault_note(void **state) {
        const char *why = NULL;
        int r;
        char *text = render("{\"instances\": [{\"name\": \"x\", \"state\": \"FAULT\", \"released\": true,"
                            " \"fault\": \"tracked interface eth1 is down\"},"
                            " {\"name\": \"y\", \"state\": \"BACKUP\", \"fault\": null}]}",
                            &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_non_null(strstr(text, "fault: tracked interface eth1 is down, released\n"));
        assert_null(strstr(text, "fault: (null)"));
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

/* Counters from a hostile endpoint: huge values saturate instead of
 * overflowing, negative ones count for nothing, non-integers are ignored. */
static void test_hostile_counts(void **state) {
        static const struct {
                const char *dropped;
                const char *notes;
        } cases[] = {
                { "{\"bad_auth\": 3, \"unknown_peer\": -5}", "3 dropped" },
                { "{\"a\": 9223372036854775807, \"b\": 9223372036854775807, \"c\": 1}",
                  "9223372036854775807+ dropped" },
                { "{\"a\": 9223372036854775807}", "9223372036854775807 dropped" },
                { "{\"a\": -9223372036854775808, \"b\": 2}", "2 dropped" },
                { "{\"a\": 1.5e300, \"b\": \"7\", \"c\": true, \"d\": null, \"e\": [1], \"f\": 4}", "4 dropped" },
                { "{\"a\": -1}", "-" },
                { "[3, 4]", "-" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char json[512], *text, *row, *end;
                const char *why = NULL;
                int r;

                snprintf(json, sizeof(json), "{\"instances\": [{\"name\": \"x\", \"split_brain\": -4, \"dropped\": %s}]}",
                         cases[i].dropped);
                text = render(json, &r, &why);
                assert_int_equal(r, 0);
                row = strstr(text, "\nx  ");
                assert_non_null(row);
                /* NOTES is the last column: the row ends with it. */
                end = strchr(row + 1, '\n');
                assert_non_null(end);
                assert_true(end - row > (ptrdiff_t) strlen(cases[i].notes));
                if (memcmp(end - strlen(cases[i].notes), cases[i].notes, strlen(cases[i].notes)) != 0)
                        fail_msg("row %.*s does not end in %s", (int) (end - row - 1), row + 1, cases[i].notes);
                free(text);
        }
        {
                const char *why = NULL;
                int r;
                char *text = render("{\"instances\": [], \"reloads\": 99999999999999999999}", &r, &why);

                assert_int_equal(r, -EBADMSG); /* jansson refuses integers beyond 64 bits */
                assert_string_equal(text, "");
                free(text);
        }
}

/* Control characters and bytes that are not UTF-8 become \xHH; other
 * text, UTF-8 included, stays as it is. */
static void test_escape(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "" },
                { "prometheus-1.a_b", "prometheus-1.a_b" },
                { "a\x1b[31mred\x1b[0m", "a\\x1b[31mred\\x1b[0m" },
                { "\x01\t\n\r\x1f \x7f~", "\\x01\\x09\\x0a\\x0d\\x1f \\x7f~" },
                { "x\xc2\x9b" "2J", "x\\xc2\\x9b2J" },           /* C1 CSI, as UTF-8 */
                { "\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0" }, /* C1 ends at U+009F */
                { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
                { "\x9b" "1m", "\\x9b1m" },                     /* a lone C1 byte */
                { "\xc3", "\\xc3" },                            /* truncated */
                { "\xe2\x82", "\\xe2\\x82" },
                { "\xc0\xaf", "\\xc0\\xaf" },                   /* overlong */
                { "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
                { "\xed\xa0\x80", "\\xed\\xa0\\x80" },           /* a surrogate */
                { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },   /* above U+10FFFF */
                { "\xff\xfe", "\\xff\\xfe" },
                { "back\\slash", "back\\slash" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *e = ctl_text_escape(cases[i].in);

                assert_non_null(e);
                assert_string_equal(e, cases[i].out);
                free(e);
        }
        assert_null(ctl_text_escape(NULL));
}

/* Whether `text` holds nothing a terminal would act on: valid UTF-8
 * without control characters (C0 but newline, DEL, C1). */
static bool terminal_safe(const char *text) {
        for (const unsigned char *p = (const unsigned char *) text; *p;) {
                size_t n = *p < 0x80 ? 1 : *p < 0xc2 ? 0 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : *p < 0xf5 ? 4 : 0;

                if (n == 0 || (*p < 0x20 && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0))
                        return false;
                for (size_t i = 1; i < n; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += n;
        }
        return true;
}

/* Strings from a hostile endpoint: every control character reaches the
 * terminal as text (\xHH), whichever field it is in; other UTF-8 stays. */
static void test_hostile_strings(void **state) {
        static const char hostile[] =
                "{\"router_id\": \"r\\u001b]0;pwned\\u0007\", \"version\": \"1\\u009b2J\","
                " \"instances\": [{\"name\": \"i\\u001b[2J\", \"state\": \"MASTER\\r\", \"interface\": \"eth0\\u007f\","
                "   \"vrid\": 51, \"priority\": {\"base\": 150, \"effective\": 150},"
                "   \"virtual_addresses\": [\"192.0.2.1/24\\n\"], \"master\": \"10.0.0.1\\u0085\", \"is_master\": true,"
                "   \"handover\": \"stop\\u001b[K\","
                "   \"last_transition\": {\"from\": \"BACKUP\\b\", \"to\": \"MASTER\","
                "                       \"time\": \"2026-11-22T00:57:00Z\"},"
                "   \"tracks\": [{\"probe\": \"p\\u001b\", \"weight\": -1}]}],"
                " \"probes\": [{\"name\": \"p\\u001b\", \"type\": \"exec\\t\", \"state\": \"UP\\u009b\","
                "   \"last_latency_seconds\": 0.001, \"last_result\": \"ok\","
                "   \"last_detail\": \"\\u001b]8;;http://x/\\u001b\\\\y\\u00e9\"}]}";
        static const char *const escaped[] = {
                "router r\\x1b]0;pwned\\x07  promvipd 1\\xc2\\x9b2J  up ?  1 instance, 1 probe\n",
                ("\ni\\x1b[2J  MASTER\\x0d  150/150  eth0\\x7f/51  192.0.2.1/24\\x0a  10.0.0.1\\xc2\\x85 (this host)  "
                 "BACKUP\\x08 -> MASTER 3m ago  handing over (stop\\x1b[K)\n"),
                "\np\\x1b  exec\\x09  UP\\xc2\\x9b  1.0 ms   i\\x1b[2J(-1)  ok: \\x1b]8;;http://x/\\x1b\\y\xc3\xa9\n",
        };
        const char *why = NULL;
        size_t lines = 0;
        int r;
        char *text = render(hostile, &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        fprintf(stderr, "# %s", text);
        assert_true(terminal_safe(text));
        for (size_t i = 0; i < ELEMENTSOF(escaped); i++)
                if (!strstr(text, escaped[i]))
                        fail_msg("missing: %s", escaped[i]);
        for (const char *p = text; (p = strchr(p, '\n')); p++)
                lines++;
        assert_int_equal(lines, 7); /* header, blank, 2 + blank, 2: no line from the strings */
        free(text);
}

static char *render_json(const char *json, int *ret, const char **why) {
        return render_as(true, json, ret, why);
}

/* --json: the same JSON, re-serialised in printable ASCII: control and
 * non-ASCII characters (C1 and DEL too) as \uXXXX escapes. */
static void test_json(void **state) {
        const char *why = NULL;
        int r;
        char *text = render_json("{\"b\": 1, \"a\": [\"x\\u001b[2J\\u007f\\u009b\\u00e9\"], \"c\": {}}", &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_null(why);
        assert_string_equal(text,
                            "{\n  \"b\": 1,\n  \"a\": [\n    \"x\\u001B[2J\\u007f\\u009B\\u00E9\"\n  ],\n  \"c\": {}\n}\n");
        assert_true(terminal_safe(text));
        free(text);

        text = render_json("[1]", &r, &why);
        assert_int_equal(r, -EBADMSG);
        assert_string_equal(why, "not a JSON object");
        assert_string_equal(text, "");
        free(text);
        text = render_json("{\"a\": \"\x9b\"}", &r, &why);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(strstr(why, "not JSON: "));
        assert_string_equal(text, "");
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

/* status --watch --interval SECONDS: 0.1 to 60, plain decimal only. */
static void test_interval(void **state) {
        static const char *const bad[] = { "", "0", "0.09", "0.0999", "60.1", "61", "-1", "+1", " 1", "1 ", "1s",
                                           "inf", "nan", "1e400", "abc", "0x10", ".5", "1e1", "1.2.3" };
        uint64_t usec;

        (void) state;
        assert_int_equal(ctl_watch_parse_interval("1", &usec), 0);
        assert_int_equal(usec, 1000000);
        assert_int_equal(ctl_watch_parse_interval("0.1", &usec), 0);
        assert_int_equal(usec, 100000);
        assert_int_equal(ctl_watch_parse_interval("60", &usec), 0);
        assert_int_equal(usec, 60000000);
        assert_int_equal(ctl_watch_parse_interval("2.5", &usec), 0);
        assert_int_equal(usec, 2500000);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ctl_watch_parse_interval(bad[i], &usec) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(ctl_watch_parse_interval(NULL, &usec), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc3339),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_daemon_now),
                cmocka_unit_test(test_fault_note),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_hostile_counts),
                cmocka_unit_test(test_hostile_strings),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_bad_answers),
                cmocka_unit_test(test_interval),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
