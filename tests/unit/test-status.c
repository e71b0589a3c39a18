/* Unit tests: the /status JSON of a Snapshot (status.c), parsed back with
 * jansson: keys, types, nulls, times and a stable text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "endpoint/status.h"
#include "shared/macro.h"
#include "snapshot-fixture.h"

static json_t *root;
static char *text;

static int setup(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        json_error_t err;

        (void) state;
        fixture_snapshot(&s);
        text = status_render_json(&s);
        if (!text)
                return -1;
        root = json_loads(text, 0, &err);
        if (!root) {
                fprintf(stderr, "%s:%d: %s\n", err.source, err.line, err.text);
                return -1;
        }
        return 0;
}

static int teardown(void **state) {
        (void) state;
        json_decref(root);
        free(text);
        return 0;
}

static json_t *get(json_t *o, const char *key, json_type type) {
        json_t *v = json_object_get(o, key);

        if (!v)
                fail_msg("missing key \"%s\"", key);
        if (json_typeof(v) != type)
                fail_msg("key \"%s\": type %d, expected %d", key, json_typeof(v), type);
        return v;
}

static json_int_t get_int(json_t *o, const char *key) {
        return json_integer_value(get(o, key, JSON_INTEGER));
}

static const char *get_str(json_t *o, const char *key) {
        return json_string_value(get(o, key, JSON_STRING));
}

static void test_top_level(void **state) {
        (void) state;
        assert_string_equal(get_str(root, "router_id"), "prom-a");
        assert_string_equal(get_str(root, "version"), "0.1.0");
        assert_string_equal(get_str(root, "start_time"), "2024-11-22T00:00:00Z");
        assert_int_equal(get_int(root, "reloads"), 2);
        assert_int_equal(get_int(root, "reload_failures"), 1);
        get(root, "last_reload", JSON_NULL);
        assert_int_equal(json_array_size(get(root, "instances", JSON_ARRAY)), 2);
        assert_int_equal(json_array_size(get(root, "probes", JSON_ARRAY)), 2);
        assert_int_equal(json_array_size(get(root, "sockets", JSON_ARRAY)), 1);
        assert_string_equal(get_str(root, "now"), "2024-11-22T00:00:12.469Z");
        assert_int_equal(json_object_size(root), 11);
        assert_int_equal(text[strlen(text) - 1], '\n');
}

/* Each instance carries its events, as /events shows them. */
static void test_instance_events(void **state) {
        json_t *a = get(json_array_get(json_object_get(root, "instances"), 0), "events", JSON_ARRAY);
        json_t *b = get(json_array_get(json_object_get(root, "instances"), 1), "events", JSON_ARRAY);
        json_t *e;

        (void) state;
        assert_int_equal(json_array_size(a), 2);
        assert_int_equal(json_array_size(b), 0);
        e = json_array_get(a, 0);
        assert_int_equal(get_int(e, "seq"), 7);
        assert_string_equal(get_str(e, "time"), "2024-11-22T00:00:00.124Z");
        assert_string_equal(get_str(e, "type"), "probe");
        assert_string_equal(get_str(e, "probe"), "ready");
        assert_string_equal(get_str(e, "from"), "UP");
        assert_string_equal(get_str(e, "to"), "DOWN");
        assert_string_equal(get_str(e, "detail"), "connect: Connection refused");
        e = json_array_get(a, 1);
        assert_string_equal(get_str(e, "type"), "priority");
        assert_int_equal(get_int(e, "from"), 150);
        assert_int_equal(get_int(e, "to"), 90);
        assert_string_equal(get_str(e, "cause"), "probe 'ready' DOWN (weight -60)");
}

static void test_sync_groups(void **state) {
        json_t *g = json_array_get(get(root, "sync_groups", JSON_ARRAY), 0), *members;

        (void) state;
        assert_int_equal(json_array_size(json_object_get(root, "sync_groups")), 1);
        assert_string_equal(get_str(g, "name"), "prom");
        assert_string_equal(get_str(g, "state"), "MASTER");
        members = get(g, "instances", JSON_ARRAY);
        assert_int_equal(json_array_size(members), 2);
        assert_string_equal(json_string_value(json_array_get(members, 1)), "prometheus6");
        assert_string_equal(get_str(json_array_get(json_object_get(root, "instances"), 0), "sync_group"), "prom");
        get(json_array_get(json_object_get(root, "instances"), 1), "sync_group", JSON_NULL);
}

static void test_instance_master(void **state) {
        json_t *in = json_array_get(json_object_get(root, "instances"), 0), *o, *t;

        (void) state;
        assert_string_equal(get_str(in, "name"), "prometheus");
        assert_string_equal(get_str(in, "interface"), "eth0");
        assert_int_equal(get_int(in, "vrid"), 51);
        assert_int_equal(get_int(in, "version"), 3);
        assert_string_equal(get_str(in, "family"), "ipv4");
        assert_string_equal(get_str(in, "state"), "MASTER");
        o = get(in, "priority", JSON_OBJECT);
        assert_int_equal(get_int(o, "base"), 150);
        assert_int_equal(get_int(o, "effective"), 130);
        o = get(in, "virtual_addresses", JSON_ARRAY);
        assert_int_equal(json_array_size(o), 2);
        assert_string_equal(json_string_value(json_array_get(o, 1)), "192.0.2.101/24");
        assert_string_equal(get_str(in, "master"), "10.99.1.11");
        get(in, "is_master", JSON_TRUE);
        assert_string_equal(get_str(in, "handover"), "release");
        get(in, "released", JSON_FALSE);
        o = get(in, "last_transition", JSON_OBJECT);
        assert_string_equal(get_str(o, "from"), "BACKUP");
        assert_string_equal(get_str(o, "to"), "MASTER");
        assert_string_equal(get_str(o, "time"), "2024-11-22T00:01:40Z");
        o = get(in, "adverts", JSON_OBJECT);
        assert_int_equal(get_int(o, "sent"), 10);
        assert_int_equal(get_int(o, "received"), 7);
        assert_int_equal(get_int(in, "master_changes"), 4);
        assert_int_equal(get_int(in, "split_brain"), 1);
        assert_int_equal(get_int(in, "split_brain_answers"), 1);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(in, "vip_failures"), "add")), 3);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(in, "vip_failures"), "remove")), 0);
        o = get(in, "dropped", JSON_OBJECT);
        assert_int_equal(json_object_size(o), 2); /* only non-zero */
        assert_int_equal(get_int(o, "bad_auth"), 2);
        assert_int_equal(get_int(o, "unknown_peer"), 5);
        o = get(in, "hooks", JSON_OBJECT);
        assert_int_equal(get_int(o, "run"), 6);
        assert_int_equal(get_int(o, "failed"), 1);
        assert_int_equal(get_int(o, "refused"), 0);
        assert_int_equal(get_int(o, "dropped"), 8);
        assert_int_equal(json_object_size(o), 4);
        o = get(in, "tracks", JSON_ARRAY);
        assert_int_equal(json_array_size(o), 3);
        t = json_array_get(o, 0);
        assert_string_equal(get_str(t, "probe"), "ready");
        assert_int_equal(get_int(t, "weight"), -60);
        get(t, "up", JSON_TRUE);
        get(json_array_get(o, 1), "up", JSON_FALSE);
        get(json_array_get(o, 2), "up", JSON_NULL); /* no such probe */
}

static void test_instance_backup_nulls(void **state) {
        json_t *in = json_array_get(json_object_get(root, "instances"), 1);

        (void) state;
        assert_string_equal(get_str(in, "name"), FIXTURE_ODD_NAME);
        assert_string_equal(get_str(in, "family"), "ipv6");
        assert_string_equal(get_str(in, "state"), "BACKUP");
        get(in, "master", JSON_NULL);
        get(in, "is_master", JSON_FALSE);
        assert_string_equal(get_str(in, "handover"), "none");
        get(in, "released", JSON_FALSE);
        get(in, "last_transition", JSON_NULL);
        assert_int_equal(json_array_size(get(in, "virtual_addresses", JSON_ARRAY)), 0);
        assert_int_equal(json_object_size(get(in, "dropped", JSON_OBJECT)), 0);
        assert_int_equal(json_array_size(get(in, "tracks", JSON_ARRAY)), 0);
        assert_int_equal(json_array_size(get(in, "track_interfaces", JSON_ARRAY)), 0);
        get(in, "fault", JSON_NULL);
}

/* A FAULT says why; tracked interfaces and a file probe's value show. */
static void test_fault_track_interfaces_file_value(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *t = NULL;
        _cleanup_(json_decrefp) json_t *r = NULL;
        json_t *in, *ti, *tr, *p;
        SnapshotInstance *a;

        (void) state;
        fixture_snapshot(&s);
        a = &s.instances[0];
        a->state = VRRP_STATE_FAULT;
        strcpy(a->fault, "tracked interface eth2 is down");
        a->n_track_interfaces = 1;
        a->track_interfaces = calloc(1, sizeof(*a->track_interfaces));
        assert_non_null(a->track_interfaces);
        a->track_interfaces[0] = (SnapshotTrackInterface) { .interface = "eth2", .weight = 0, .up = false };
        strcpy(s.probes[1].kind, "file");
        s.probes[1].valued = true;
        s.probes[1].value = 1;
        t = status_render_json(&s);
        assert_non_null(t);
        r = json_loads(t, 0, NULL);
        assert_non_null(r);
        in = json_array_get(json_object_get(r, "instances"), 0);
        assert_string_equal(get_str(in, "fault"), "tracked interface eth2 is down");
        ti = json_array_get(get(in, "track_interfaces", JSON_ARRAY), 0);
        assert_string_equal(get_str(ti, "interface"), "eth2");
        assert_int_equal(get_int(ti, "weight"), 0);
        get(ti, "up", JSON_FALSE);
        tr = json_array_get(get(in, "tracks", JSON_ARRAY), 1); /* "fresh", now a file probe */
        assert_int_equal(get_int(tr, "value"), 1);
        assert_null(json_object_get(json_array_get(get(in, "tracks", JSON_ARRAY), 0), "value"));
        p = json_array_get(json_object_get(r, "probes"), 1);
        assert_string_equal(get_str(p, "type"), "file");
        assert_int_equal(get_int(p, "value"), 1);
        assert_null(json_object_get(json_array_get(json_object_get(r, "probes"), 0), "value"));
}

static void test_probes_and_sockets(void **state) {
        json_t *p = json_array_get(json_object_get(root, "probes"), 0), *o;

        (void) state;
        assert_string_equal(get_str(p, "name"), "ready");
        assert_string_equal(get_str(p, "type"), "http");
        assert_string_equal(get_str(p, "state"), "UP");
        assert_int_equal(get_int(p, "runs"), 12);
        assert_float_equal(json_real_value(get(p, "last_latency_seconds", JSON_REAL)), 0.002, 1e-12);
        assert_string_equal(get_str(p, "last_result"), "ok");
        assert_string_equal(get_str(p, "last_detail"), "HTTP 200");
        o = get(p, "failures", JSON_OBJECT);
        assert_int_equal(json_object_size(o), 1);
        assert_int_equal(get_int(o, "timeout"), 3);

        p = json_array_get(json_object_get(root, "probes"), 1);
        assert_string_equal(get_str(p, "state"), "DOWN");
        assert_int_equal(get_int(p, "runs"), 0);
        get(p, "last_latency_seconds", JSON_NULL); /* never ran */
        get(p, "last_result", JSON_NULL);
        get(p, "last_detail", JSON_NULL);
        assert_int_equal(json_object_size(get(p, "failures", JSON_OBJECT)), 0);

        p = json_array_get(json_object_get(root, "sockets"), 0);
        assert_string_equal(get_str(p, "interface"), "eth0");
        assert_string_equal(get_str(p, "family"), "ipv4");
        assert_int_equal(get_int(p, "received"), 45);
        o = get(p, "dropped", JSON_OBJECT);
        assert_int_equal(json_object_size(o), 2);
        assert_int_equal(get_int(o, "bad_checksum"), 4);
        assert_int_equal(get_int(o, "unknown_vrid"), 9);
}

/* Same snapshot, same text; keys in the contract's order. */
static void test_stable_order(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *again = NULL;
        static const char *const order[] = { "\"router_id\"", "\"version\"", "\"start_time\"", "\"reloads\"",
                                             "\"reload_failures\"", "\"last_reload\"", "\"instances\"",
                                             "\"probes\"", "\"sockets\"" };
        const char *prev = text;

        (void) state;
        fixture_snapshot(&s);
        again = status_render_json(&s);
        assert_non_null(again);
        assert_string_equal(again, text);
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                const char *p = strstr(text, order[i]);

                assert_non_null(p);
                assert_true(p >= prev);
                prev = p;
        }
}

/* Bytes that are not UTF-8 do not make the render fail. */
static void test_invalid_utf8(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *out = NULL;
        json_t *j;

        (void) state;
        fixture_snapshot(&s);
        strcpy(s.probes[0].last_detail, "bad \xff\xfe byte");
        out = status_render_json(&s);
        assert_non_null(out);
        j = json_loads(out, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "probes"), 0),
                                                              "last_detail")),
                            "bad ?? byte");
        json_decref(j);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_top_level),
                cmocka_unit_test(test_instance_events),
                cmocka_unit_test(test_sync_groups),
                cmocka_unit_test(test_instance_master),
                cmocka_unit_test(test_instance_backup_nulls),
                cmocka_unit_test(test_probes_and_sockets),
                cmocka_unit_test(test_fault_track_interfaces_file_value),
                cmocka_unit_test(test_stable_order),
                cmocka_unit_test(test_invalid_utf8),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
