/* The event history: the bounded ring (oldest dropped, seq rising, resize
 * keeps the newest, 0 keeps none, shared by reference), the advert memo
 * (only priority changes are events), and the JSON of every event type
 * and of /events through a Snapshot. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint/event-json.h"
#include "endpoint/event-log.h"

static Event reload_event(int n) {
        Event e = { .type = EVENT_RELOAD, .has_text = true };

        snprintf(e.text, sizeof(e.text), "reload %d", n);
        return e;
}

static int text_number(const Event *e) {
        return atoi(e->text + strlen("reload "));
}

static void test_ring_bounded(void **state) {
        EventLog *l = event_log_new(5);
        uint64_t seq = 0;

        (void) state;
        assert_non_null(l);
        assert_int_equal(event_log_capacity(l), 5);
        assert_int_equal(event_log_count(l), 0);
        assert_null(event_log_at(l, 0));
        for (int n = 1; n <= 12; n++) {
                Event e = reload_event(n);

                event_log_add(l, &seq, &e);
                assert_int_equal(event_log_count(l), n < 5 ? n : 5);
                /* The newest is last, with the newest seq. */
                assert_int_equal(event_log_at(l, event_log_count(l) - 1)->seq, n);
                assert_int_equal(text_number(event_log_at(l, event_log_count(l) - 1)), n);
        }
        assert_int_equal(seq, 12);
        /* Oldest first: 8..12 kept, 1..7 dropped. */
        for (size_t k = 0; k < 5; k++) {
                assert_int_equal(event_log_at(l, k)->seq, 8 + k);
                assert_int_equal(text_number(event_log_at(l, k)), 8 + (int) k);
        }
        assert_null(event_log_at(l, 5));
        event_log_unref(l);
}

/* The array grows as events come (16, 32, 64, then the capacity): every
 * event is kept in order until the capacity, then the oldest go. */
static void test_ring_grows(void **state) {
        EventLog *l = event_log_new(100);
        uint64_t seq = 0;

        (void) state;
        for (int n = 1; n <= 250; n++) {
                Event e = reload_event(n);

                event_log_add(l, &seq, &e);
                assert_int_equal(event_log_count(l), n < 100 ? n : 100);
                if (n == 17 || n == 33 || n == 65 || n == 99 || n == 100 || n == 101) {
                        for (size_t k = 0; k < event_log_count(l); k++)
                                assert_int_equal(text_number(event_log_at(l, k)),
                                                 n - (int) event_log_count(l) + 1 + (int) k);
                }
        }
        for (size_t k = 0; k < 100; k++)
                assert_int_equal(event_log_at(l, k)->seq, 151 + k);
        /* Grown and wrapped, then resized: still the newest, in order. */
        assert_int_equal(event_log_resize(l, 30), 0);
        for (size_t k = 0; k < 30; k++)
                assert_int_equal(event_log_at(l, k)->seq, 221 + k);
        assert_int_equal(event_log_resize(l, 10000), 0);
        for (int n = 251; n <= 300; n++) {
                Event e = reload_event(n);
                event_log_add(l, &seq, &e);
        }
        assert_int_equal(event_log_count(l), 80);
        for (size_t k = 0; k < 80; k++)
                assert_int_equal(event_log_at(l, k)->seq, 221 + k);
        event_log_unref(l);
}

static void test_ring_resize(void **state) {
        EventLog *l = event_log_new(4);
        uint64_t seq = 100;
        Event *copy;
        size_t n;

        (void) state;
        for (int k = 1; k <= 6; k++) { /* wrapped: 3..6 kept */
                Event e = reload_event(k);
                event_log_add(l, &seq, &e);
        }
        assert_int_equal(event_log_resize(l, 2), 0); /* trims the oldest */
        assert_int_equal(event_log_count(l), 2);
        assert_int_equal(text_number(event_log_at(l, 0)), 5);
        assert_int_equal(text_number(event_log_at(l, 1)), 6);
        assert_int_equal(event_log_resize(l, 10), 0); /* grows, keeps all */
        assert_int_equal(event_log_count(l), 2);
        for (int k = 7; k <= 9; k++) {
                Event e = reload_event(k);
                event_log_add(l, &seq, &e);
        }
        assert_int_equal(event_log_count(l), 5);
        assert_int_equal(event_log_copy(l, &copy, &n), 0);
        assert_int_equal(n, 5);
        for (size_t k = 0; k < n; k++)
                assert_int_equal(text_number(&copy[k]), 5 + (int) k);
        assert_int_equal(copy[4].seq, 109);
        free(copy);
        /* 0 keeps none; seq still rises. */
        assert_int_equal(event_log_resize(l, 0), 0);
        assert_int_equal(event_log_count(l), 0);
        {
                Event e = reload_event(10);
                event_log_add(l, &seq, &e);
        }
        assert_int_equal(seq, 110);
        assert_int_equal(event_log_count(l), 0);
        assert_int_equal(event_log_copy(l, &copy, &n), 0);
        assert_null(copy);
        assert_int_equal(n, 0);
        event_log_unref(l);
}

static void test_ring_zero_and_shared(void **state) {
        EventLog *l = event_log_new(0), *m;
        uint64_t seq = 0;
        Event e = reload_event(1);

        (void) state;
        assert_non_null(l);
        event_log_add(l, &seq, &e);
        assert_int_equal(event_log_count(l), 0);
        assert_int_equal(seq, 1);
        event_log_unref(l);

        /* Shared: a reference keeps it after the first owner lets go. */
        l = event_log_new(3);
        m = event_log_ref(l);
        event_log_add(l, &seq, &e);
        assert_null(event_log_unref(l));
        assert_int_equal(event_log_count(m), 1);
        assert_int_equal(event_log_at(m, 0)->seq, 2);
        event_log_unref(m);
        /* NULL is harmless. */
        assert_null(event_log_unref(NULL));
        assert_int_equal(event_log_count(NULL), 0);
}

/* The address `s` (static storage: one at a time). */
static const IpAddr *addr(const char *s) {
        static IpAddr a;

        assert_int_equal(ip_addr_parse(s, &a), 0);
        return &a;
}

static void test_advert_memo(void **state) {
        EventAdvertMemo m = {};
        Event e;

        (void) state;
        /* Sent: the first, then only changes, with the previous one. */
        assert_true(event_advert_changed(&m, NULL, 150, &e));
        assert_int_equal(e.type, EVENT_ADVERT);
        assert_true(e.sent);
        assert_int_equal(e.priority, 150);
        assert_false(e.has_previous);
        assert_false(event_advert_changed(&m, NULL, 150, &e));
        assert_true(event_advert_changed(&m, NULL, 90, &e));
        assert_true(e.has_previous);
        assert_int_equal(e.previous, 150);
        /* Received: per sender, apart from what we sent. */
        assert_true(event_advert_changed(&m, addr("10.96.0.1"), 150, &e));
        assert_false(e.sent);
        assert_string_equal(e.address, "10.96.0.1");
        assert_false(e.has_previous);
        assert_false(event_advert_changed(&m, addr("10.96.0.1"), 150, &e));
        assert_true(event_advert_changed(&m, addr("10.96.0.3"), 100, &e));
        assert_false(e.has_previous);
        assert_true(event_advert_changed(&m, addr("10.96.0.1"), 90, &e));
        assert_int_equal(e.previous, 150);
        assert_false(event_advert_changed(&m, addr("10.96.0.3"), 100, &e));
        /* More senders than it remembers: the least recent is forgotten. */
        for (int k = 0; k < EVENT_ADVERT_SENDERS; k++) {
                char a[32];

                snprintf(a, sizeof(a), "10.96.1.%d", k);
                assert_true(event_advert_changed(&m, addr(a), 50, &e));
        }
        assert_true(event_advert_changed(&m, addr("10.96.0.1"), 90, &e)); /* forgotten: new again */
        assert_false(e.has_previous);
}

static json_t *render(const Event *e) {
        json_t *j = event_json(e);

        assert_non_null(j);
        return j;
}

static const char *s(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);

        assert_true(json_is_string(v));
        return json_string_value(v);
}

static void test_json_types(void **state) {
        Event e;
        json_t *j;

        (void) state;
        e = (Event) { .seq = 3, .realtime_usec = 1764703801123456ULL, .type = EVENT_TRANSITION,
                      .state_from = VRRP_STATE_MASTER, .state_to = VRRP_STATE_BACKUP, .has_text = true };
        strcpy(e.text, "higher priority 100 from 10.96.0.2 (ours 90)");
        j = render(&e);
        assert_int_equal(json_integer_value(json_object_get(j, "seq")), 3);
        assert_string_equal(s(j, "time"), "2025-12-02T19:30:01.123Z");
        assert_string_equal(s(j, "type"), "transition");
        assert_string_equal(s(j, "from"), "MASTER");
        assert_string_equal(s(j, "to"), "BACKUP");
        assert_string_equal(s(j, "reason"), "higher priority 100 from 10.96.0.2 (ours 90)");
        assert_int_equal(json_object_size(j), 6);
        json_decref(j);

        e = (Event) { .type = EVENT_ADVERT, .sent = true, .priority = 90, .has_previous = true, .previous = 150 };
        j = render(&e);
        assert_string_equal(s(j, "direction"), "sent");
        assert_int_equal(json_integer_value(json_object_get(j, "priority")), 90);
        assert_true(json_is_null(json_object_get(j, "address")));
        assert_int_equal(json_integer_value(json_object_get(j, "previous")), 150);
        assert_true(json_is_null(json_object_get(j, "time"))); /* 0: none */
        json_decref(j);

        e = (Event) { .type = EVENT_ADVERT, .priority = 100 };
        strcpy(e.address, "10.96.0.2");
        j = render(&e);
        assert_string_equal(s(j, "direction"), "received");
        assert_string_equal(s(j, "address"), "10.96.0.2");
        assert_true(json_is_null(json_object_get(j, "previous")));
        json_decref(j);

        e = (Event) { .type = EVENT_MASTER };
        strcpy(e.address_to, "10.96.0.2");
        j = render(&e);
        assert_true(json_is_null(json_object_get(j, "from")));
        assert_string_equal(s(j, "to"), "10.96.0.2");
        json_decref(j);

        e = (Event) { .type = EVENT_HANDOVER, .handover = VRRP_HANDOVER_RELEASE, .begin = true };
        j = render(&e);
        assert_string_equal(s(j, "kind"), "release");
        assert_string_equal(s(j, "phase"), "begin");
        assert_true(json_is_null(json_object_get(j, "detail")));
        json_decref(j);

        e = (Event) { .type = EVENT_SPLIT_BRAIN, .priority = 80, .answered = true };
        strcpy(e.address, "10.96.0.9");
        j = render(&e);
        assert_string_equal(s(j, "address"), "10.96.0.9");
        assert_int_equal(json_integer_value(json_object_get(j, "priority")), 80);
        assert_true(json_is_true(json_object_get(j, "answered")));
        json_decref(j);

        e = (Event) { .type = EVENT_HOOK, .has_text = true };
        strcpy(e.name, "master");
        strcpy(e.result, "failed");
        strcpy(e.text, "exit status 3");
        j = render(&e);
        assert_string_equal(s(j, "hook"), "master");
        assert_string_equal(s(j, "result"), "failed");
        assert_string_equal(s(j, "detail"), "exit status 3");
        assert_true(json_is_null(json_object_get(j, "sync_group")));
        json_decref(j);

        strcpy(e.group, "prom");
        j = render(&e);
        assert_string_equal(s(j, "sync_group"), "prom");
        json_decref(j);

        e = (Event) { .type = EVENT_TRACK_INTERFACE, .up = false };
        strcpy(e.name, "eth1");
        j = render(&e);
        assert_string_equal(s(j, "type"), "track_interface");
        assert_string_equal(s(j, "interface"), "eth1");
        assert_true(json_is_false(json_object_get(j, "up")));
        json_decref(j);

        e = (Event) { .type = EVENT_PROBE, .was_up = false, .up = true };
        strcpy(e.name, "ready");
        j = render(&e);
        assert_string_equal(s(j, "from"), "DOWN");
        assert_string_equal(s(j, "to"), "UP");
        assert_true(json_is_null(json_object_get(j, "detail")));
        json_decref(j);

        e = (Event) { .type = EVENT_RELOAD };
        j = render(&e);
        assert_string_equal(s(j, "type"), "reload");
        assert_true(json_is_null(json_object_get(j, "detail")));
        json_decref(j);

        /* Not UTF-8 (a probe's detail may quote a server): '?' instead. */
        e = (Event) { .type = EVENT_PROBE, .has_text = true };
        strcpy(e.name, "ready");
        strcpy(e.text, "HTTP 500: \xff\xfe");
        j = render(&e);
        assert_string_equal(s(j, "detail"), "HTTP 500: ??");
        json_decref(j);
}

static void snapshot_two(Snapshot *snap, Event *ev) {
        static SnapshotInstance in[2];

        memset(in, 0, sizeof(in));
        memset(snap, 0, sizeof(*snap));
        strcpy(snap->router_id, "prom-a");
        snap->now_realtime_usec = 1764703802000000ULL;
        snap->event_history = 5;
        strcpy(in[0].name, "prometheus");
        in[0].events = ev;
        in[0].n_events = 2;
        strcpy(in[1].name, "other");
        snap->instances = in;
        snap->n_instances = 2;
}

static void test_render_events(void **state) {
        Event ev[2] = {
                { .seq = 1, .realtime_usec = 1764703801000000ULL, .type = EVENT_RELOAD },
                { .seq = 2, .realtime_usec = 1764703801500000ULL, .type = EVENT_PRIORITY, .from = 150, .to = 90,
                  .has_text = true, .text = "probe 'ready' DOWN (weight -60)" },
        };
        Snapshot snap;
        json_error_t err;
        bool unknown;
        json_t *root, *list;
        char *text;

        (void) state;
        snapshot_two(&snap, ev);
        text = events_render_json(&snap, NULL, &unknown);
        assert_non_null(text);
        assert_false(unknown);
        assert_int_equal(text[strlen(text) - 1], '\n');
        root = json_loads(text, 0, &err);
        assert_non_null(root);
        assert_string_equal(s(root, "router_id"), "prom-a");
        assert_string_equal(s(root, "now"), "2025-12-02T19:30:02.000Z");
        assert_int_equal(json_integer_value(json_object_get(root, "event_history")), 5);
        list = json_object_get(root, "instances");
        assert_int_equal(json_array_size(list), 2);
        assert_string_equal(s(json_array_get(list, 0), "name"), "prometheus");
        assert_int_equal(json_array_size(json_object_get(json_array_get(list, 0), "events")), 2);
        assert_string_equal(s(json_array_get(json_object_get(json_array_get(list, 0), "events"), 1), "cause"),
                            "probe 'ready' DOWN (weight -60)");
        assert_int_equal(json_array_size(json_object_get(json_array_get(list, 1), "events")), 0);
        json_decref(root);
        free(text);

        /* One instance. */
        text = events_render_json(&snap, "other", &unknown);
        assert_non_null(text);
        root = json_loads(text, 0, &err);
        list = json_object_get(root, "instances");
        assert_int_equal(json_array_size(list), 1);
        assert_string_equal(s(json_array_get(list, 0), "name"), "other");
        json_decref(root);
        free(text);

        /* An unknown one. */
        assert_null(events_render_json(&snap, "nope", &unknown));
        assert_true(unknown);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ring_bounded),
                cmocka_unit_test(test_ring_grows),
                cmocka_unit_test(test_ring_resize),
                cmocka_unit_test(test_ring_zero_and_shared),
                cmocka_unit_test(test_advert_memo),
                cmocka_unit_test(test_json_types),
                cmocka_unit_test(test_render_events),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
