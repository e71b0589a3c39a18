/* Unit tests: events-table.c, the table of `promvipctl events`, from canned
 * /events answers with the fields of every event type (issue 18), an
 * unknown type, missing and null fields, and answers of the wrong shape. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/ctl-text.h"
#include "ctl/events-table.h"
#include "shared/macro.h"

/* The table for the JSON text `json`; *ret the result, *why the reason. */
static char *render(const char *json, int *ret, const char **why) {
        static char buf[256];
        json_error_t jerr;
        json_t *root = json_loads(json, 0, &jerr);
        char *text = NULL;

        if (!root)
                fail_msg("bad test JSON: %s: %s", jerr.text, json);
        buf[0] = '\0';
        *ret = events_table_render(root, &text, buf, sizeof(buf));
        json_decref(root);
        *why = buf[0] ? buf : NULL;
        return text;
}

/* Two instances, every type, out of seq order across instances. */
static const char answer[] =
        "{\"router_id\": \"prom-a\", \"now\": \"2026-12-02T19:30:00.500Z\", \"event_history\": 100,"
        " \"instances\": ["
        "  {\"name\": \"prometheus\", \"events\": ["
        "   {\"seq\": 1, \"time\": \"2026-11-29T19:30:00.000Z\", \"type\": \"reload\", \"detail\": null},"
        "   {\"seq\": 3, \"time\": \"2026-12-02T17:30:00.500Z\", \"type\": \"transition\", \"from\": \"INIT\","
        "    \"to\": \"BACKUP\", \"reason\": \"startup\"},"
        "   {\"seq\": 5, \"time\": \"2026-12-02T19:25:00.000Z\", \"type\": \"probe\", \"probe\": \"ready\","
        "    \"from\": \"UP\", \"to\": \"DOWN\", \"detail\": \"connect: Connection refused\"},"
        "   {\"seq\": 6, \"time\": \"2026-12-02T19:29:47.700Z\", \"type\": \"priority\", \"from\": 150, \"to\": 90,"
        "    \"cause\": \"probe 'ready' DOWN (weight -60)\"},"
        "   {\"seq\": 7, \"time\": \"2026-12-02T19:29:47.700Z\", \"type\": \"advert\", \"direction\": \"sent\","
        "    \"priority\": 90, \"address\": null, \"previous\": 150},"
        "   {\"seq\": 8, \"time\": \"2026-12-02T19:29:48.000Z\", \"type\": \"advert\", \"direction\": \"received\","
        "    \"priority\": 100, \"address\": \"10.96.0.2\", \"previous\": null},"
        "   {\"seq\": 9, \"time\": \"2026-12-02T19:29:48.100Z\", \"type\": \"transition\", \"from\": \"MASTER\","
        "    \"to\": \"BACKUP\", \"reason\": \"higher priority 100 from 10.96.0.2 (ours 90)\"},"
        "   {\"seq\": 10, \"time\": \"2026-12-02T19:29:48.100Z\", \"type\": \"master\", \"from\": null,"
        "    \"to\": \"10.96.0.2\"},"
        "   {\"seq\": 11, \"time\": \"2026-12-02T19:29:48.200Z\", \"type\": \"hook\", \"hook\": \"backup\","
        "    \"result\": \"failed\", \"detail\": \"exit 3\"},"
        "   {\"seq\": 14, \"time\": \"2026-12-02T19:30:00.100Z\", \"type\": \"flap_damping\", \"window\": 30,"
        "    \"count\": 4, \"hosts\": [\"a\", \"b\"], \"note\": \"new in 2.0\", \"gone\": null}]},"
        "  {\"name\": \"alertmanager\", \"events\": ["
        "   {\"seq\": 2, \"time\": \"2026-12-02T17:30:00.500Z\", \"type\": \"track_interface\","
        "    \"interface\": \"eth1\", \"up\": false},"
        "   {\"seq\": 4, \"time\": \"2026-12-02T18:00:00.500Z\", \"type\": \"handover\", \"kind\": \"release\","
        "    \"phase\": \"begin\", \"detail\": null},"
        "   {\"seq\": 12, \"time\": \"2026-12-02T19:29:50.000Z\", \"type\": \"handover\", \"kind\": \"stop\","
        "    \"phase\": \"end\", \"detail\": \"new master 10.96.0.2\"},"
        "   {\"seq\": 13, \"time\": \"2026-12-02T19:30:00.100Z\", \"type\": \"split_brain\","
        "    \"address\": \"10.96.0.9\", \"priority\": 120, \"answered\": true}]}]}";

static void test_every_type(void **state) {
        const char *why = NULL;
        int r;
        char *text = render(answer, &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_null(why);
        assert_string_equal(
                text,
                "INSTANCE      AGE         EVENT            DETAIL\n"
                "prometheus    3d ago      reload           -\n"
                "alertmanager  2h ago      track_interface  eth1 down\n"
                "prometheus    2h ago      transition       INIT -> BACKUP: startup\n"
                "alertmanager  1h 30m ago  handover         release begin\n"
                "prometheus    5m ago      probe            ready UP -> DOWN: connect: Connection refused\n"
                "prometheus    12.8s ago   priority         150 -> 90: probe 'ready' DOWN (weight -60)\n"
                "prometheus    12.8s ago   advert           sent priority 90 (was 150)\n"
                "prometheus    12.5s ago   advert           received priority 100 from 10.96.0.2\n"
                "prometheus    12.4s ago   transition       MASTER -> BACKUP: higher priority 100 from 10.96.0.2 (ours 90)\n"
                "prometheus    12.4s ago   master           none -> 10.96.0.2\n"
                "prometheus    12.3s ago   hook             backup hook failed: exit 3\n"
                "alertmanager  10.5s ago   handover         stop end: new master 10.96.0.2\n"
                "alertmanager  0.4s ago    split_brain      another master 10.96.0.9 (priority 120), answered\n"
                "prometheus    0.4s ago    flap_damping     window=30 count=4 hosts=[\"a\",\"b\"] note=new in 2.0 gone=null\n");
        free(text);
}

/* Fields missing, null or of another type: "?" or left out, no failure. */
static void test_missing_fields(void **state) {
        static const struct {
                const char *event, *detail;
        } cases[] = {
                { "{\"type\": \"transition\"}", "? -> ?" },
                { "{\"type\": \"transition\", \"from\": 3, \"to\": \"MASTER\", \"reason\": null}", "? -> MASTER" },
                { "{\"type\": \"priority\", \"from\": \"150\", \"to\": 90.5}", "? -> ?" },
                { "{\"type\": \"probe\", \"probe\": \"ready\", \"from\": \"DOWN\", \"to\": \"UP\", \"detail\": null}",
                  "ready DOWN -> UP" },
                { "{\"type\": \"track_interface\", \"interface\": \"eth1\", \"up\": true}", "eth1 up" },
                { "{\"type\": \"track_interface\", \"up\": \"yes\"}", "? ?" },
                { "{\"type\": \"advert\"}", "? priority ?" },
                { "{\"type\": \"advert\", \"direction\": \"received\", \"priority\": 1, \"previous\": 2}",
                  "received priority 1 (was 2)" },
                { "{\"type\": \"advert\", \"direction\": \"sent\", \"priority\": 90, \"previous\": null}",
                  "sent priority 90" },
                { "{\"type\": \"master\", \"from\": \"10.96.0.1\", \"to\": null}", "10.96.0.1 -> none" },
                { "{\"type\": \"master\"}", "? -> ?" },
                { "{\"type\": \"handover\", \"detail\": \"\"}", "? ?" },
                { "{\"type\": \"split_brain\", \"address\": \"10.96.0.9\", \"priority\": 5, \"answered\": false}",
                  "another master 10.96.0.9 (priority 5), not answered" },
                { "{\"type\": \"split_brain\"}", "another master ? (priority ?)" },
                { "{\"type\": \"hook\", \"hook\": \"master\", \"result\": \"ok\", \"detail\": null}", "master hook ok" },
                { "{\"type\": \"hook\", \"hook\": \"any\", \"result\": \"ok\", \"sync_group\": \"prom\"}",
                  "sync group 'prom' any hook ok" },
                { "{\"type\": \"hook\", \"hook\": \"master\", \"result\": \"ok\", \"sync_group\": null}",
                  "master hook ok" },
                { "{\"type\": \"reload\", \"detail\": \"3 instances\"}", "3 instances" },
                { "{\"type\": \"reload\"}", "" },
                { "{\"type\": \"strange\"}", "" },
                { "{\"seq\": 1, \"time\": \"x\", \"type\": \"strange\", \"a\": {\"b\": 1.5}, \"c\": true}",
                  "a={\"b\":1.5} c=true" },
                { "{\"a\": 1}", "a=1" }, /* no type: its fields */
                { "{\"type\": 7, \"a\": 1}", "a=1" },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                json_t *e = json_loads(cases[i].event, 0, NULL);
                char *d;

                assert_non_null(e);
                d = events_table_detail(e);
                assert_non_null(d);
                if (strcmp(d, cases[i].detail) != 0)
                        fail_msg("%s: got '%s', expected '%s'", cases[i].event, d, cases[i].detail);
                free(d);
                json_decref(e);
        }
}

/* Missing "now", "time" or "seq"; null or absent "events"; no events. */
static void test_missing_times(void **state) {
        const char *why = NULL;
        int r;
        char *text;

        (void) state;
        text = render("{\"instances\": [{\"name\": \"a\", \"events\": [{\"seq\": 1, \"time\": \"2026-12-02T19:30:00Z\","
                      " \"type\": \"reload\"}]}]}", &r, &why);
        assert_int_equal(r, 0);
        assert_string_equal(text, "INSTANCE  AGE  EVENT   DETAIL\n"
                                  "a         ?    reload  -\n");
        free(text);

        /* no seq: after the others, in the answer's order; a bad time: "?"; clocks apart: "in" */
        text = render("{\"now\": \"2026-12-02T19:30:00.000Z\", \"instances\": ["
                      " {\"name\": \"a\", \"events\": [{\"type\": \"x1\"}, {\"seq\": 9, \"type\": \"x2\","
                      "  \"time\": \"yesterday\"}, {\"seq\": null, \"type\": \"x3\", \"time\": \"2026-12-02T19:30:05Z\"}]},"
                      " {\"name\": \"b\", \"events\": null}, {\"name\": \"c\"},"
                      " {\"name\": \"d\", \"events\": [{\"seq\": 2, \"time\": 5}]}]}", &r, &why);
        assert_int_equal(r, 0);
        assert_string_equal(text, "INSTANCE  AGE    EVENT  DETAIL\n"
                                  "d         ?      ?      -\n"
                                  "a         ?      x2     -\n"
                                  "a         ?      x1     -\n"
                                  "a         in 5s  x3     -\n");
        free(text);

        text = render("{\"now\": \"2026-12-02T19:30:00.000Z\", \"instances\": []}", &r, &why);
        assert_int_equal(r, 0);
        assert_string_equal(text, "INSTANCE  AGE  EVENT  DETAIL\n");
        free(text);
}

/* Strings from a hostile endpoint reach the table escaped. */
static void test_hostile(void **state) {
        const char *why = NULL;
        int r;
        char *text = render("{\"now\": \"2026-12-02T19:30:00Z\", \"instances\": [{\"name\": \"i\\u001b[2J\","
                            " \"events\": [{\"seq\": 1, \"time\": \"2026-12-02T19:30:00Z\", \"type\": \"t\\u009b\","
                            " \"k\\n\": \"v\\u0007\"}, {\"seq\": 2, \"time\": \"2026-12-02T19:30:00Z\","
                            " \"type\": \"transition\", \"from\": \"A\", \"to\": \"B\", \"reason\": \"\\r\\u001b]0;x\"}]}]}",
                            &r, &why);

        (void) state;
        assert_int_equal(r, 0);
        assert_string_equal(text, "INSTANCE  AGE       EVENT       DETAIL\n"
                                  "i\\x1b[2J  0.0s ago  t\\xc2\\x9b   k\\x0a=v\\x07\n"
                                  "i\\x1b[2J  0.0s ago  transition  A -> B: \\x0d\\x1b]0;x\n");
        free(text);
}

static void test_bad_shapes(void **state) {
        static const char *const bad[] = {
                "[]",
                "\"events\"",
                "{}",
                "{\"instances\": {}}",
                "{\"instances\": null}",
                "{\"instances\": [1]}",
                "{\"instances\": [{\"events\": []}]}",
                "{\"instances\": [{\"name\": 5, \"events\": []}]}",
                "{\"instances\": [{\"name\": \"a\", \"events\": {}}]}",
                "{\"instances\": [{\"name\": \"a\", \"events\": \"none\"}]}",
                "{\"instances\": [{\"name\": \"a\", \"events\": [1]}]}",
                "{\"instances\": [{\"name\": \"a\", \"events\": [{\"seq\": 1}, null]}]}",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                char *text = NULL;
                json_t *root = json_loads(bad[i], JSON_DECODE_ANY, NULL);
                char buf[256] = "";
                int r;

                assert_non_null(root);
                r = events_table_render(root, &text, buf, sizeof(buf));
                why = buf;
                if (r != -EBADMSG)
                        fail_msg("%s: %d", bad[i], r);
                assert_true(why[0] != '\0');
                assert_null(text);
                json_decref(root);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_type),
                cmocka_unit_test(test_missing_fields),
                cmocka_unit_test(test_missing_times),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_bad_shapes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
