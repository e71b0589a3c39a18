/* The Prometheus text exposition format 0.0.4 for a Snapshot (see
 * metrics.h). Families come in the contract's order, each with its HELP and
 * TYPE lines and then all of its series; label values are escaped; seconds
 * are printed from integer microseconds, so no locale and no rounding. */
#include "endpoint/metrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "shared/macro.h"

/* Label pairs: { "name", value, "name", value, ..., NULL }. */
#define LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Drop reasons the instance counts (decided against its configuration),
 * and those the shared socket counts before a VRID is known. */
static const VrrpDrop instance_drops[] = {
        (VrrpDrop) VRRP_PKT_BAD_AUTH, VRRP_DROP_VERSION_MISMATCH, VRRP_DROP_INTERVAL_MISMATCH,
        VRRP_DROP_ADDR_MISMATCH,      VRRP_DROP_UNKNOWN_PEER,      VRRP_DROP_ADDRESS_OWNER,
        (VrrpDrop) VRRP_PKT_BAD_TTL, /* below this instance's unicast_min_ttl, not the socket's */
};

static const VrrpDrop socket_drops[] = {
        (VrrpDrop) VRRP_PKT_TOO_SHORT,      (VrrpDrop) VRRP_PKT_TRUNCATED,
        (VrrpDrop) VRRP_PKT_BAD_IP_HEADER,  (VrrpDrop) VRRP_PKT_BAD_TTL,
        (VrrpDrop) VRRP_PKT_BAD_VERSION,    (VrrpDrop) VRRP_PKT_BAD_TYPE,
        (VrrpDrop) VRRP_PKT_BAD_CHECKSUM,   (VrrpDrop) VRRP_PKT_BAD_ADDR_COUNT,
        (VrrpDrop) VRRP_PKT_BAD_ADVER_INT,  VRRP_DROP_UNKNOWN_VRID,
        VRRP_DROP_OWN_ADDRESS,
};

static const char *family_label(int family) {
        return family == AF_INET6 ? "ipv6" : "ipv4";
}

static void family_header(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Whether s is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
static bool utf8_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                unsigned n, cp;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if (*p >= 0xc2 && *p <= 0xdf)
                        n = 1, cp = *p & 0x1f;
                else if (*p >= 0xe0 && *p <= 0xef)
                        n = 2, cp = *p & 0x0f;
                else if (*p >= 0xf0 && *p <= 0xf4)
                        n = 3, cp = *p & 0x07;
                else
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
                        return false;
                p += n + 1;
        }
        return true;
}

/* The text format escapes backslash, double quote and line feed. Label
 * values must be UTF-8 or Prometheus rejects the whole scrape, so text that
 * is not gets '?' for every non-ASCII byte. */
static void put_label_value(FILE *f, const char *v) {
        bool ascii_only = !utf8_valid(v);

        for (; *v; v++)
                switch (*v) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(ascii_only && (unsigned char) *v >= 0x80 ? '?' : *v, f);
                }
}

static void series_start(FILE *f, const char *name, const char *const *labels) {
        fputs(name, f);
        if (!labels || !labels[0])
                return;
        fputc('{', f);
        for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
                fprintf(f, "%s%s=\"", i ? "," : "", labels[i]);
                put_label_value(f, labels[i + 1]);
                fputc('"', f);
        }
        fputc('}', f);
}

static void series_u64(FILE *f, const char *name, const char *const *labels, uint64_t v) {
        series_start(f, name, labels);
        fprintf(f, " %" PRIu64 "\n", v);
}

static void series_int(FILE *f, const char *name, const char *const *labels, int v) {
        series_start(f, name, labels);
        fprintf(f, " %d\n", v);
}

static void series_i64(FILE *f, const char *name, const char *const *labels, int64_t v) {
        series_start(f, name, labels);
        fprintf(f, " %" PRId64 "\n", v);
}

/* Microseconds as decimal seconds, exactly: "1732233600.000123". */
static void series_seconds(FILE *f, const char *name, const char *const *labels, uint64_t usec) {
        series_start(f, name, labels);
        fprintf(f, " %" PRIu64 ".%06" PRIu64 "\n", (uint64_t) (usec / USEC_PER_SEC),
                (uint64_t) (usec % USEC_PER_SEC));
}

static void render_global(FILE *f, const Snapshot *s) {
        family_header(f, "promvip_build_info", "gauge",
                      "The promvip version and router id; always 1.");
        series_u64(f, "promvip_build_info", LABELS("version", s->version, "router_id", s->router_id), 1);

        family_header(f, "promvip_start_time_seconds", "gauge",
                      "Start time of the agent since the Unix epoch in seconds.");
        series_seconds(f, "promvip_start_time_seconds", NULL, s->start_realtime_usec);

        family_header(f, "promvip_reloads_total", "counter", "Successful configuration reloads.");
        series_u64(f, "promvip_reloads_total", NULL, s->reloads);

        family_header(f, "promvip_reload_failures_total", "counter",
                      "Configuration reloads that failed; the running configuration stayed.");
        series_u64(f, "promvip_reload_failures_total", NULL, s->reload_failures);

        family_header(f, "promvip_realtime_priority", "gauge",
                      "SCHED_RR priority the agent's main thread runs at (global.realtime_priority); 0: not real-time.");
        series_int(f, "promvip_realtime_priority", NULL, s->realtime_priority);

        family_header(f, "promvip_memory_locked", "gauge",
                      "Whether the agent's memory is locked against swapping (global.lock_memory): 1 or 0.");
        series_u64(f, "promvip_memory_locked", NULL, s->memory_locked);
}

static void render_state(FILE *f, const Snapshot *s) {
        const char *name = "promvip_instance_state";

        family_header(f, name, "gauge",
                      "VRRP state of the virtual router: 1 for the current state, 0 for the others.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];
                char vrid[4];

                snprintf(vrid, sizeof(vrid), "%u", (unsigned) in->vrid);
                for (VrrpState st = 0; st < _VRRP_STATE_MAX; st++)
                        series_u64(f, name,
                                   LABELS("vrrp_instance", in->name, "interface", in->interface,
                                          "vrid", vrid, "state", vrrp_state_to_string(st)),
                                   in->state == st);
        }
}

static void render_sync_groups(FILE *f, const Snapshot *s) {
        const char *name = "promvip_sync_group_state";

        family_header(f, name, "gauge",
                      "State of the sync group (its instances change state together): 1 for the current state, 0 for the others.");
        for (size_t i = 0; i < s->n_sync_groups; i++)
                for (VrrpState st = 0; st < _VRRP_STATE_MAX; st++)
                        series_u64(f, name,
                                   LABELS("sync_group", s->sync_groups[i].name, "state", vrrp_state_to_string(st)),
                                   s->sync_groups[i].state == st);
}

static void render_priorities(FILE *f, const Snapshot *s) {
        family_header(f, "promvip_instance_priority", "gauge",
                      "Effective VRRP priority: the base priority adjusted by the tracked probes.");
        for (size_t i = 0; i < s->n_instances; i++)
                series_u64(f, "promvip_instance_priority", LABELS("vrrp_instance", s->instances[i].name),
                           s->instances[i].effective_priority);

        family_header(f, "promvip_instance_base_priority", "gauge", "Configured VRRP priority.");
        for (size_t i = 0; i < s->n_instances; i++)
                series_u64(f, "promvip_instance_base_priority", LABELS("vrrp_instance", s->instances[i].name),
                           s->instances[i].base_priority);

        family_header(f, "promvip_instance_master_info", "gauge",
                      "The address of the current master of the virtual router, when known; always 1.");
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].master[0])
                        series_u64(f, "promvip_instance_master_info",
                                   LABELS("vrrp_instance", s->instances[i].name, "master", s->instances[i].master),
                                   1);
}

static void render_transitions(FILE *f, const Snapshot *s) {
        const char *name = "promvip_instance_transitions_total";

        family_header(f, name, "counter", "VRRP state transitions by previous and new state.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];

                for (VrrpState from = 0; from < _VRRP_STATE_MAX; from++)
                        for (VrrpState to = 0; to < _VRRP_STATE_MAX; to++)
                                if (in->transitions[from][to] > 0)
                                        series_u64(f, name,
                                                   LABELS("vrrp_instance", in->name,
                                                          "from", vrrp_state_to_string(from),
                                                          "to", vrrp_state_to_string(to)),
                                                   in->transitions[from][to]);
        }

        name = "promvip_instance_last_transition_timestamp_seconds";
        family_header(f, name, "gauge", "Time of the last state transition since the Unix epoch in seconds.");
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].last_transition_realtime_usec > 0)
                        series_seconds(f, name, LABELS("vrrp_instance", s->instances[i].name),
                                       s->instances[i].last_transition_realtime_usec);
}

/* One counter family with one series per instance; `field` is the offset of
 * a uint64_t in SnapshotInstance. */
static void render_instance_counter(FILE *f, const Snapshot *s, const char *name, const char *help,
                                    size_t field) {
        family_header(f, name, "counter", help);
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];
                uint64_t v = *(const uint64_t *) ((const char *) in + field);

                series_u64(f, name, LABELS("vrrp_instance", in->name), v);
        }
}

static void render_packets(FILE *f, const Snapshot *s) {
        const char *name;

        render_instance_counter(f, s, "promvip_instance_adverts_sent_total", "VRRP advertisements sent.",
                                offsetof(SnapshotInstance, adverts_sent));
        render_instance_counter(f, s, "promvip_instance_adverts_received_total",
                                "Valid VRRP advertisements received for the virtual router.",
                                offsetof(SnapshotInstance, adverts_received));
        render_instance_counter(f, s, "promvip_instance_master_changes_total",
                                "Times the master seen by this agent changed.",
                                offsetof(SnapshotInstance, master_changes));
        render_instance_counter(f, s, "promvip_instance_split_brain_total",
                                "Advertisements from another master received while master.",
                                offsetof(SnapshotInstance, split_brain));
        render_instance_counter(f, s, "promvip_instance_split_brain_answers_total",
                                "Split brains answered with an advertisement and announcements (at most one "
                                "per advertisement interval).",
                                offsetof(SnapshotInstance, split_brain_answers));

        name = "promvip_instance_vip_failures_total";
        family_header(f, name, "counter",
                      "Virtual addresses the kernel refused to add or remove on the interface, by operation.");
        for (size_t i = 0; i < s->n_instances; i++) {
                series_u64(f, name, LABELS("vrrp_instance", s->instances[i].name, "op", "add"),
                           s->instances[i].vip_add_failures);
                series_u64(f, name, LABELS("vrrp_instance", s->instances[i].name, "op", "remove"),
                           s->instances[i].vip_remove_failures);
        }

        name = "promvip_instance_packets_dropped_total";
        family_header(f, name, "counter", "VRRP packets for the virtual router dropped, by reason.");
        for (size_t i = 0; i < s->n_instances; i++)
                for (size_t j = 0; j < ELEMENTSOF(instance_drops); j++)
                        series_u64(f, name,
                                   LABELS("vrrp_instance", s->instances[i].name,
                                          "reason", vrrp_drop_to_string(instance_drops[j])),
                                   s->instances[i].drops[instance_drops[j]]);

        name = "promvip_socket_packets_received_total";
        family_header(f, name, "counter", "VRRP packets received on the socket of an interface.");
        for (size_t i = 0; i < s->n_sockets; i++)
                series_u64(f, name,
                           LABELS("interface", s->sockets[i].interface,
                                  "family", family_label(s->sockets[i].family)),
                           s->sockets[i].received);

        name = "promvip_socket_packets_dropped_total";
        family_header(f, name, "counter",
                      "VRRP packets dropped on the socket of an interface before reaching a virtual router, by reason.");
        for (size_t i = 0; i < s->n_sockets; i++)
                for (size_t j = 0; j < ELEMENTSOF(socket_drops); j++)
                        series_u64(f, name,
                                   LABELS("interface", s->sockets[i].interface,
                                          "family", family_label(s->sockets[i].family),
                                          "reason", vrrp_drop_to_string(socket_drops[j])),
                                   s->sockets[i].drops[socket_drops[j]]);
}

static void render_lateness(FILE *f, const Snapshot *s) {
        const char *name = "promvip_advert_lateness_seconds";
        char bucket[64], sum[64], count[64];

        snprintf(bucket, sizeof(bucket), "%s_bucket", name);
        snprintf(sum, sizeof(sum), "%s_sum", name);
        snprintf(count, sizeof(count), "%s_count", name);
        family_header(f, name, "histogram",
                      "How late the master's advertisement timer fired, from the time it was due.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];

                for (size_t k = 0; k <= LATENESS_BUCKETS; k++)
                        series_u64(f, bucket,
                                   LABELS("vrrp_instance", in->name,
                                          "le", k < LATENESS_BUCKETS ? lateness_buckets[k].le : "+Inf"),
                                   lateness_cumulative(&in->advert_lateness, k));
                series_seconds(f, sum, LABELS("vrrp_instance", in->name), in->advert_lateness.sum_usec);
                series_u64(f, count, LABELS("vrrp_instance", in->name), in->advert_lateness.count);
        }
}

static void render_hooks(FILE *f, const Snapshot *s) {
        render_instance_counter(f, s, "promvip_instance_hook_runs_total", "Notify hooks run.",
                                offsetof(SnapshotInstance, hooks_run));
        render_instance_counter(f, s, "promvip_instance_hook_failures_total",
                                "Notify hooks that failed: non-zero exit, killed, timed out or not started.",
                                offsetof(SnapshotInstance, hooks_failed));
        render_instance_counter(f, s, "promvip_instance_hook_refused_total",
                                "Notify hooks refused: an insecure script or a missing script user.",
                                offsetof(SnapshotInstance, hooks_refused));
        render_instance_counter(f, s, "promvip_instance_hook_dropped_total",
                                "Notify hooks not run: still waiting when a newer transition came.",
                                offsetof(SnapshotInstance, hooks_dropped));
}

static void render_track_interfaces(FILE *f, const Snapshot *s) {
        const char *up = "promvip_instance_track_interface_up", *weight = "promvip_instance_track_interface_weight";

        family_header(f, up, "gauge", "Whether an interface the virtual router tracks is up (1) or down (0).");
        for (size_t i = 0; i < s->n_instances; i++)
                for (size_t j = 0; j < s->instances[i].n_track_interfaces; j++)
                        series_u64(f, up, LABELS("vrrp_instance", s->instances[i].name, "interface",
                                                 s->instances[i].track_interfaces[j].interface),
                                   s->instances[i].track_interfaces[j].up);
        family_header(f, weight, "gauge",
                      "Weight of a tracked interface in the priority of the virtual router (0: FAULT while down).");
        for (size_t i = 0; i < s->n_instances; i++)
                for (size_t j = 0; j < s->instances[i].n_track_interfaces; j++)
                        series_int(f, weight, LABELS("vrrp_instance", s->instances[i].name, "interface",
                                                     s->instances[i].track_interfaces[j].interface),
                                   s->instances[i].track_interfaces[j].weight);
}

static void render_probes(FILE *f, const Snapshot *s) {
        const char *name;

        family_header(f, "promvip_probe_up", "gauge", "Whether the health probe is UP (1) or DOWN (0).");
        for (size_t i = 0; i < s->n_probes; i++)
                series_u64(f, "promvip_probe_up", LABELS("probe", s->probes[i].name, "type", s->probes[i].kind),
                           s->probes[i].up);

        family_header(f, "promvip_probe_runs_total", "counter", "Health probe runs.");
        for (size_t i = 0; i < s->n_probes; i++)
                series_u64(f, "promvip_probe_runs_total", LABELS("probe", s->probes[i].name), s->probes[i].runs);

        family_header(f, "promvip_probe_latency_seconds", "gauge", "Duration of the last run of the health probe.");
        for (size_t i = 0; i < s->n_probes; i++)
                series_seconds(f, "promvip_probe_latency_seconds", LABELS("probe", s->probes[i].name),
                               s->probes[i].last_latency_usec);

        name = "promvip_probe_failures_total";
        family_header(f, name, "counter", "Failed health probe runs, by reason.");
        for (size_t i = 0; i < s->n_probes; i++)
                for (ProbeFailure r = PROBE_OK + 1; r < _PROBE_FAILURE_MAX; r++)
                        series_u64(f, name, LABELS("probe", s->probes[i].name, "reason", probe_failure_to_string(r)),
                                   s->probes[i].failures[r]);

        name = "promvip_probe_value";
        family_header(f, name, "gauge", "The integer a file probe reads from its file (the probe is UP while 0).");
        for (size_t i = 0; i < s->n_probes; i++)
                if (s->probes[i].valued)
                        series_i64(f, name, LABELS("probe", s->probes[i].name), s->probes[i].value);

        name = "promvip_instance_track_weight";
        family_header(f, name, "gauge", "Weight of a tracked probe in the priority of the virtual router.");
        for (size_t i = 0; i < s->n_instances; i++) {
                const SnapshotInstance *in = &s->instances[i];

                for (size_t j = 0; j < in->n_tracks; j++)
                        series_int(f, name, LABELS("vrrp_instance", in->name, "probe", in->tracks[j]),
                                   in->track_weights[j]);
        }
        render_track_interfaces(f, s);
}

char *metrics_render(const Snapshot *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;

        render_global(f, s);
        render_state(f, s);
        render_sync_groups(f, s);
        render_priorities(f, s);
        render_transitions(f, s);
        render_packets(f, s);
        render_lateness(f, s);
        render_hooks(f, s);
        render_probes(f, s);

        bool failed = ferror(f);

        if (fclose(f) != 0 || failed) {
                free(buf);
                return NULL;
        }
        return buf;
}
