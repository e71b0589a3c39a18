/* Unit tests: the Prometheus text rendering of a Snapshot (metrics.c) and
 * snapshot_clear() (under ASan, the fixture's allocations must all go). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/metrics.h"
#include "shared/macro.h"
#include "snapshot-fixture.h"

static const struct {
        const char *name;
        const char *type;
} families[] = {
        { "promvip_build_info", "gauge" },
        { "promvip_start_time_seconds", "gauge" },
        { "promvip_reloads_total", "counter" },
        { "promvip_reload_failures_total", "counter" },
        { "promvip_realtime_priority", "gauge" },
        { "promvip_memory_locked", "gauge" },
        { "promvip_instance_state", "gauge" },
        { "promvip_sync_group_state", "gauge" },
        { "promvip_instance_priority", "gauge" },
        { "promvip_instance_base_priority", "gauge" },
        { "promvip_instance_master_info", "gauge" },
        { "promvip_instance_transitions_total", "counter" },
        { "promvip_instance_last_transition_timestamp_seconds", "gauge" },
        { "promvip_instance_adverts_sent_total", "counter" },
        { "promvip_instance_adverts_received_total", "counter" },
        { "promvip_instance_master_changes_total", "counter" },
        { "promvip_instance_split_brain_total", "counter" },
        { "promvip_instance_split_brain_answers_total", "counter" },
        { "promvip_instance_vip_failures_total", "counter" },
        { "promvip_instance_packets_dropped_total", "counter" },
        { "promvip_socket_packets_received_total", "counter" },
        { "promvip_socket_packets_dropped_total", "counter" },
        { "promvip_advert_lateness_seconds", "histogram" },
        { "promvip_instance_hook_runs_total", "counter" },
        { "promvip_instance_hook_failures_total", "counter" },
        { "promvip_instance_hook_refused_total", "counter" },
        { "promvip_instance_hook_dropped_total", "counter" },
        { "promvip_probe_up", "gauge" },
        { "promvip_probe_runs_total", "counter" },
        { "promvip_probe_latency_seconds", "gauge" },
        { "promvip_probe_failures_total", "counter" },
        { "promvip_probe_value", "gauge" },
        { "promvip_instance_track_weight", "gauge" },
        { "promvip_instance_track_interface_up", "gauge" },
        { "promvip_instance_track_interface_weight", "gauge" },
};

static char *render_fixture(void) {
        _cleanup_(snapshot_clear) Snapshot s;
        char *text;

        fixture_snapshot(&s);
        text = metrics_render(&s);
        assert_non_null(text);
        return text;
}

/* Lines of `text` that start with `prefix`. */
static size_t count_lines(const char *text, const char *prefix) {
        size_t n = 0, len = strlen(prefix);

        for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
                if (strncmp(l, prefix, len) == 0)
                        n++;
                if (!strchr(l, '\n'))
                        break;
        }
        return n;
}

/* Whether `line` (without its newline) is a whole line of `text`. */
static bool has_line(const char *text, const char *line) {
        size_t len = strlen(line);

        for (const char *p = text; (p = strstr(p, line)); p++)
                if ((p == text || p[-1] == '\n') && p[len] == '\n')
                        return true;
        return false;
}

static void test_every_family_once_with_help_and_type(void **state) {
        _cleanup_free_ char *text = render_fixture();
        char buf[256];

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                snprintf(buf, sizeof(buf), "# HELP %s ", families[i].name);
                assert_int_equal(count_lines(text, buf), 1);
                snprintf(buf, sizeof(buf), "# TYPE %s %s", families[i].name, families[i].type);
                assert_true(has_line(text, buf));
                snprintf(buf, sizeof(buf), "# TYPE %s ", families[i].name);
                assert_int_equal(count_lines(text, buf), 1);
                if (strcmp(families[i].type, "counter") == 0)
                        assert_non_null(strstr(families[i].name + strlen(families[i].name) - 6, "_total"));
        }
        assert_int_equal(count_lines(text, "# TYPE "), ELEMENTSOF(families));
        assert_int_equal(text[strlen(text) - 1], '\n');
}

/* Every sample belongs to the family of the TYPE line above it (so all of a
 * family's series are together), and its value parses as a float. */
static void test_series_grouped_and_parseable(void **state) {
        _cleanup_free_ char *text = render_fixture();
        char family[128] = "", type[16] = "";
        size_t samples = 0;

        (void) state;
        for (char *l = text, *nl; *l; l = nl + 1) {
                size_t name_len;
                const char *value;
                char *end;

                nl = strchr(l, '\n');
                assert_non_null(nl);
                *nl = '\0';
                if (strncmp(l, "# TYPE ", 7) == 0) {
                        assert_int_equal(sscanf(l, "# TYPE %127s %15s", family, type), 2);
                        continue;
                }
                if (l[0] == '#')
                        continue;
                name_len = strcspn(l, "{ ");
                assert_memory_equal(l, family, strlen(family));
                if (name_len != strlen(family)) {      /* a histogram's series */
                        const char *suffix = l + strlen(family);

                        assert_string_equal(type, "histogram");
                        assert_true(strncmp(suffix, "_bucket{", 8) == 0 || strncmp(suffix, "_sum{", 5) == 0 ||
                                    strncmp(suffix, "_count{", 7) == 0);
                }
                value = strrchr(l, ' ') + 1;
                (void) strtod(value, &end);
                assert_true(end != value && *end == '\0');
                samples++;
        }
        assert_true(samples > 50);
}

static void test_label_escaping(void **state) {
        _cleanup_free_ char *text = render_fixture();

        (void) state;
        assert_true(has_line(text, "promvip_instance_priority{vrrp_instance=\"we\\\"ird\\\\name\\nx\"} 100"));
        assert_null(strstr(text, "ird\\name")); /* never the raw backslash */
}

static void test_state_series(void **state) {
        _cleanup_free_ char *text = render_fixture();
        static const char states[][8] = { "INIT", "BACKUP", "MASTER", "FAULT", "STOP" };
        char buf[256];

        (void) state;
        assert_int_equal(count_lines(text, "promvip_instance_state{vrrp_instance=\"prometheus\","), 5);
        assert_int_equal(count_lines(text, "promvip_instance_state{vrrp_instance=\"we"), 5);
        for (size_t i = 0; i < ELEMENTSOF(states); i++) {
                snprintf(buf, sizeof(buf),
                         "promvip_instance_state{vrrp_instance=\"prometheus\",interface=\"eth0\",vrid=\"51\",state=\"%s\"} %d",
                         states[i], strcmp(states[i], "MASTER") == 0);
                assert_true(has_line(text, buf));
                snprintf(buf, sizeof(buf),
                         "promvip_instance_state{vrrp_instance=\"we\\\"ird\\\\name\\nx\",interface=\"eth1\",vrid=\"52\",state=\"%s\"} %d",
                         states[i], strcmp(states[i], "BACKUP") == 0);
                assert_true(has_line(text, buf));
        }
}

static void test_sync_group_series(void **state) {
        _cleanup_free_ char *text = render_fixture();

        (void) state;
        assert_int_equal(count_lines(text, "promvip_sync_group_state{"), 5);
        assert_true(has_line(text, "promvip_sync_group_state{sync_group=\"prom\",state=\"MASTER\"} 1"));
        assert_true(has_line(text, "promvip_sync_group_state{sync_group=\"prom\",state=\"FAULT\"} 0"));
}

static void test_values(void **state) {
        _cleanup_free_ char *text = render_fixture();
        static const char *const lines[] = {
                "promvip_build_info{version=\"0.1.0\",router_id=\"prom-a\"} 1",
                "promvip_reloads_total 2",
                "promvip_reload_failures_total 1",
                "promvip_realtime_priority 50",
                "promvip_memory_locked 1",
                "promvip_instance_priority{vrrp_instance=\"prometheus\"} 130",
                "promvip_instance_base_priority{vrrp_instance=\"prometheus\"} 150",
                "promvip_instance_master_info{vrrp_instance=\"prometheus\",master=\"10.99.1.11\"} 1",
                "promvip_instance_transitions_total{vrrp_instance=\"prometheus\",from=\"INIT\",to=\"BACKUP\"} 1",
                "promvip_instance_transitions_total{vrrp_instance=\"prometheus\",from=\"BACKUP\",to=\"MASTER\"} 3",
                "promvip_instance_transitions_total{vrrp_instance=\"prometheus\",from=\"MASTER\",to=\"BACKUP\"} 2",
                "promvip_instance_adverts_sent_total{vrrp_instance=\"prometheus\"} 10",
                "promvip_instance_adverts_received_total{vrrp_instance=\"prometheus\"} 7",
                "promvip_instance_master_changes_total{vrrp_instance=\"prometheus\"} 4",
                "promvip_instance_split_brain_total{vrrp_instance=\"prometheus\"} 1",
                "promvip_instance_split_brain_answers_total{vrrp_instance=\"prometheus\"} 1",
                "promvip_instance_vip_failures_total{vrrp_instance=\"prometheus\",op=\"add\"} 3",
                "promvip_instance_vip_failures_total{vrrp_instance=\"prometheus\",op=\"remove\"} 0",
                "promvip_instance_packets_dropped_total{vrrp_instance=\"prometheus\",reason=\"address_owner\"} 0",
                "promvip_socket_packets_dropped_total{interface=\"eth0\",family=\"ipv4\",reason=\"own_address\"} 0",
                "promvip_instance_packets_dropped_total{vrrp_instance=\"prometheus\",reason=\"bad_auth\"} 2",
                "promvip_instance_packets_dropped_total{vrrp_instance=\"prometheus\",reason=\"version_mismatch\"} 0",
                "promvip_instance_packets_dropped_total{vrrp_instance=\"prometheus\",reason=\"unknown_peer\"} 5",
                "promvip_socket_packets_received_total{interface=\"eth0\",family=\"ipv4\"} 45",
                "promvip_socket_packets_dropped_total{interface=\"eth0\",family=\"ipv4\",reason=\"bad_checksum\"} 4",
                "promvip_socket_packets_dropped_total{interface=\"eth0\",family=\"ipv4\",reason=\"unknown_vrid\"} 9",
                "promvip_socket_packets_dropped_total{interface=\"eth0\",family=\"ipv4\",reason=\"too_short\"} 0",
                "promvip_instance_hook_runs_total{vrrp_instance=\"prometheus\"} 6",
                "promvip_instance_hook_failures_total{vrrp_instance=\"prometheus\"} 1",
                "promvip_instance_hook_refused_total{vrrp_instance=\"prometheus\"} 0",
                "promvip_instance_hook_dropped_total{vrrp_instance=\"prometheus\"} 8",
                "promvip_probe_up{probe=\"ready\",type=\"http\"} 1",
                "promvip_probe_up{probe=\"fresh\",type=\"promql\"} 0",
                "promvip_probe_runs_total{probe=\"ready\"} 12",
                "promvip_probe_failures_total{probe=\"ready\",reason=\"timeout\"} 3",
                "promvip_probe_failures_total{probe=\"ready\",reason=\"error\"} 0",
                "promvip_instance_track_weight{vrrp_instance=\"prometheus\",probe=\"ready\"} -60",
                "promvip_instance_track_weight{vrrp_instance=\"prometheus\",probe=\"fresh\"} -20",
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                if (!has_line(text, lines[i]))
                        fail_msg("missing line: %s", lines[i]);
        }
        /* Only pairs that happened, and master/transition time only when known. */
        assert_int_equal(count_lines(text, "promvip_instance_transitions_total{"), 3);
        assert_int_equal(count_lines(text, "promvip_instance_master_info{"), 1);
        assert_int_equal(count_lines(text, "promvip_instance_last_transition_timestamp_seconds{"), 1);
        /* Every reason of its level, zeros included. */
        assert_int_equal(count_lines(text, "promvip_instance_packets_dropped_total{vrrp_instance=\"prometheus\","), 7);
        assert_int_equal(count_lines(text, "promvip_socket_packets_dropped_total{"), 11);
        assert_int_equal(count_lines(text, "promvip_probe_failures_total{probe=\"fresh\","), 8);
        assert_null(strstr(text, "reason=\"ok\""));
}

/* Cumulative buckets, +Inf, the sum in exact seconds and the count, for
 * every instance (zeros for one that was never master). */
static void test_advert_lateness_histogram(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *text = NULL;
        static const char *const lines[] = {
                "# TYPE promvip_advert_lateness_seconds histogram",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"0.0001\"} 2",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"0.0005\"} 3",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"0.002\"} 3",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"0.005\"} 4",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"1\"} 4",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\",le=\"+Inf\"} 5",
                "promvip_advert_lateness_seconds_sum{vrrp_instance=\"prometheus\"} 2.003450",
                "promvip_advert_lateness_seconds_count{vrrp_instance=\"prometheus\"} 5",
                "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"we\\\"ird\\\\name\\nx\",le=\"+Inf\"} 0",
                "promvip_advert_lateness_seconds_count{vrrp_instance=\"we\\\"ird\\\\name\\nx\"} 0",
        };

        (void) state;
        fixture_snapshot(&s);
        for (size_t k = 0; k < 5; k++)  /* on time, at a bound, just over one, late, over 1 s */
                lateness_observe(&s.instances[0].advert_lateness,
                                 (uint64_t[]) { 0, 100, 350, 3000, 2000000 }[k]);
        text = metrics_render(&s);
        assert_non_null(text);
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                if (!has_line(text, lines[i]))
                        fail_msg("missing line: %s", lines[i]);
        assert_int_equal(count_lines(text, "promvip_advert_lateness_seconds_bucket{vrrp_instance=\"prometheus\","),
                         LATENESS_BUCKETS + 1);
}

static void test_float_format(void **state) {
        _cleanup_free_ char *text = render_fixture();

        (void) state;
        assert_true(has_line(text, "promvip_start_time_seconds 1732233600.123456"));
        assert_true(has_line(text,
                             "promvip_instance_last_transition_timestamp_seconds{vrrp_instance=\"prometheus\"} 1732233700.999999"));
        assert_true(has_line(text, "promvip_probe_latency_seconds{probe=\"ready\"} 0.002000"));
        assert_true(has_line(text, "promvip_probe_latency_seconds{probe=\"fresh\"} 0.000000"));
        assert_null(strstr(text, "e+"));
}

/* A file probe shows its value; tracked interfaces their state and weight. */
static void test_file_probe_and_track_interfaces(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *text = NULL;
        SnapshotInstance *a;

        (void) state;
        fixture_snapshot(&s);
        strcpy(s.probes[1].kind, "file");
        s.probes[1].valued = true;
        s.probes[1].value = -7;
        a = &s.instances[0];
        a->n_track_interfaces = 2;
        a->track_interfaces = calloc(2, sizeof(*a->track_interfaces));
        assert_non_null(a->track_interfaces);
        a->track_interfaces[0] = (SnapshotTrackInterface) { .interface = "eth1", .weight = -50, .up = true };
        a->track_interfaces[1] = (SnapshotTrackInterface) { .interface = "eth2", .weight = 0, .up = false };
        text = metrics_render(&s);
        assert_non_null(text);
        assert_true(has_line(text, "promvip_probe_value{probe=\"fresh\"} -7"));
        assert_int_equal(count_lines(text, "promvip_probe_value{"), 1); /* only file probes */
        assert_true(has_line(text, "promvip_probe_up{probe=\"fresh\",type=\"file\"} 0"));
        assert_true(has_line(text, "promvip_instance_track_interface_up{vrrp_instance=\"prometheus\",interface=\"eth1\"} 1"));
        assert_true(has_line(text, "promvip_instance_track_interface_up{vrrp_instance=\"prometheus\",interface=\"eth2\"} 0"));
        assert_true(has_line(text,
                             "promvip_instance_track_interface_weight{vrrp_instance=\"prometheus\",interface=\"eth1\"} -50"));
        assert_true(has_line(text,
                             "promvip_instance_track_interface_weight{vrrp_instance=\"prometheus\",interface=\"eth2\"} 0"));
}

static void test_empty_snapshot(void **state) {
        Snapshot s = {};
        _cleanup_free_ char *text = NULL;

        (void) state;
        text = metrics_render(&s);
        assert_non_null(text);
        assert_int_equal(count_lines(text, "# HELP "), ELEMENTSOF(families));
        assert_true(has_line(text, "promvip_build_info{version=\"\",router_id=\"\"} 1"));
        assert_int_equal(count_lines(text, "promvip_instance_state"), 0);
        snapshot_clear(&s);
        snapshot_clear(&s); /* idempotent */
        snapshot_clear(NULL);
}

/* Label values must be UTF-8: valid text passes, other bytes become '?'. */
static void test_utf8_label_values(void **state) {
        _cleanup_(snapshot_clear) Snapshot s;
        _cleanup_free_ char *text = NULL;

        (void) state;
        fixture_snapshot(&s);
        strcpy(s.probes[0].name, "pr\xc3\xbc" "fung");     /* "prüfung" */
        strcpy(s.probes[1].name, "bad\xff\xc3-end"); /* not UTF-8 */
        text = metrics_render(&s);
        assert_non_null(text);
        assert_true(has_line(text, "promvip_probe_runs_total{probe=\"pr\xc3\xbc" "fung\"} 12"));
        assert_true(has_line(text, "promvip_probe_runs_total{probe=\"bad?" "?-end\"} 0"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_family_once_with_help_and_type),
                cmocka_unit_test(test_series_grouped_and_parseable),
                cmocka_unit_test(test_label_escaping),
                cmocka_unit_test(test_state_series),
                cmocka_unit_test(test_sync_group_series),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_advert_lateness_histogram),
                cmocka_unit_test(test_float_format),
                cmocka_unit_test(test_file_probe_and_track_interfaces),
                cmocka_unit_test(test_empty_snapshot),
                cmocka_unit_test(test_utf8_label_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
