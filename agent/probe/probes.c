#include "probe/probes.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "probe/probe-exec.h"
#include "probe/probe-file.h"
#include "probe/probe-http.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define TIMER_ACCURACY_USEC 1000

typedef struct Probe {
        Probes *owner;
        const ProbeConfig *cfg;
        ProbeState state;
        HttpCheck *http;
        ExecCheck *exec;
        FileCheck *file;         /* watched, never polled: no timer runs */
        sd_event_source *timer;
        uint64_t next_at;
} Probe;

struct Probes {
        sd_event *event;
        HttpRunner *http;
        const Config *config;
        ChildUser *user;        /* exec probes run as this user */
        Probe **probes;
        size_t n_probes;
        ProbesChanged changed;
        void *userdata;
        bool quiet;             /* setting up or reloading: the caller looks at every probe after */
};

static void on_result(void *userdata, const ProbeResult *r) {
        Probe *p = userdata;
        const ProbeConfig *c = p->cfg;

        log_debug("probe '%s': %s (%s, %" PRIu64 " ms)", c->name, probe_failure_to_string(r->failure), r->detail,
                  (uint64_t) (r->latency_usec / USEC_PER_MSEC));
        if (!probe_state_record(&p->state, r, c->fall, c->rise))
                return;
        if (p->state.up)
                log_info("probe '%s': DOWN -> UP after %u success%s", c->name, c->rise, c->rise == 1 ? "" : "es");
        else
                log_warning("probe '%s': UP -> DOWN after %u failure%s (%s: %s)", c->name, c->fall,
                            c->fall == 1 ? "" : "s", probe_failure_to_string(r->failure), r->detail);
        p->owner->changed(p->owner->userdata);
}

static void on_file(void *userdata, const ProbeResult *r, bool has_value, int64_t value) {
        Probe *p = userdata;
        int64_t was = p->state.value;
        bool first = p->state.runs == 0;

        if (r->failure != PROBE_OK)
                log_warning("probe '%s': %s: %s", p->cfg->name, p->cfg->path, r->detail);
        if (!probe_state_record_value(&p->state, r, has_value, value) && !first)
                return;
        if (first)
                log_info("probe '%s': value %" PRId64 " (%s)", p->cfg->name, p->state.value, p->cfg->path);
        else
                log_notice("probe '%s': value %" PRId64 " -> %" PRId64 " (%s)", p->cfg->name, was, p->state.value,
                           p->cfg->path);
        if (!p->owner->quiet)
                p->owner->changed(p->owner->userdata);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Probe *p = userdata;
        uint64_t now = loop_now_usec(p->owner->event, CLOCK_MONOTONIC);
        int r;

        (void) usec;
        r = p->http ? http_check_start(p->http) : exec_check_start(p->exec);
        if (r < 0 && r != -EBUSY)
                log_warning_errno(r, "probe '%s': cannot start a run: %m", p->cfg->name);
        /* A fixed rhythm: the next run is one interval after this one was due. */
        p->next_at += p->cfg->interval_usec;
        if (p->next_at <= now)
                p->next_at = now + p->cfg->interval_usec;
        (void) sd_event_source_set_time(s, p->next_at);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void probe_free(Probe *p) {
        if (!p)
                return;
        sd_event_source_disable_unref(p->timer);
        http_check_free(p->http);
        exec_check_free(p->exec);
        file_check_free(p->file);
        free(p);
}

/* (Re)creates the runner of p for its current cfg. */
static int probe_make_check(Probes *ps, Probe *p) {
        p->http = http_check_free(p->http);
        p->exec = exec_check_free(p->exec);
        p->file = file_check_free(p->file);
        if (p->cfg->kind == PROBE_FILE)
                return file_check_new(&p->file, ps->event, p->cfg, on_file, p);
        if (p->cfg->kind == PROBE_EXEC)
                return exec_check_new(&p->exec, ps->event, p->cfg, ps->user, on_result, p);
        if (!ps->http) {
                int r = http_runner_new(&ps->http, ps->event);
                if (r < 0)
                        return r;
        }
        return http_check_new(&p->http, ps->http, p->cfg, on_result, p);
}

static int probe_new(Probes *ps, const ProbeConfig *cfg, Probe **ret) {
        Probe *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->owner = ps;
        p->cfg = cfg;
        if (cfg->kind == PROBE_FILE) {
                p->state.value = cfg->missing;
                r = probe_make_check(ps, p);
        } else if ((r = sd_event_add_time(ps->event, &p->timer, CLOCK_MONOTONIC, UINT64_MAX, TIMER_ACCURACY_USEC,
                                          on_timer, p)) >= 0) {
                (void) sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
                (void) sd_event_source_set_description(p->timer, "probe-timer");
                r = probe_make_check(ps, p);
        }
        if (r < 0) {
                probe_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

/* Spread: the k-th of n probes first runs k/n of its interval from now. */
static void probe_schedule(Probe *p, size_t k, size_t n) {
        if (p->file)
                return;
        p->next_at = loop_now_usec(p->owner->event, CLOCK_MONOTONIC) + p->cfg->interval_usec * k / (n ? n : 1);
        (void) sd_event_source_set_time(p->timer, p->next_at);
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

int probes_new(Probes **ret, sd_event *event, const Config *config, ChildUser *user, ProbesChanged changed,
               void *userdata) {
        Probes *ps = calloc(1, sizeof(*ps));
        int r = 0;

        if (!ps)
                return -ENOMEM;
        *ps = (Probes) { .event = event, .config = config, .user = child_user_ref(user), .changed = changed,
                         .userdata = userdata, .quiet = true };
        ps->probes = calloc(config->n_probes + 1, sizeof(Probe *));
        if (!ps->probes) {
                free(ps);
                return -ENOMEM;
        }
        for (size_t k = 0; k < config->n_probes && r >= 0; k++)
                if ((r = probe_new(ps, &config->probes[k], &ps->probes[k])) >= 0)
                        ps->n_probes++;
        if (r < 0) {
                log_error_errno(r, "setting up the probes failed: %m");
                probes_free(ps);
                return r;
        }
        *ret = ps;
        return 0;
}

Probes *probes_free(Probes *ps) {
        if (!ps)
                return NULL;
        for (size_t k = 0; k < ps->n_probes; k++)
                probe_free(ps->probes[k]);
        free(ps->probes);
        http_runner_free(ps->http);
        child_user_unref(ps->user);
        free(ps);
        return NULL;
}

void probes_start(Probes *ps) {
        for (size_t k = 0; k < ps->n_probes; k++)
                probe_schedule(ps->probes[k], k, ps->n_probes);
        ps->quiet = false;
}

/* The old configuration goes away after a reload, whatever fails here:
 * no probe may keep pointing into it. */
int probes_reload(Probes *ps, const Config *config, ChildUser *user) {
        Probe **fresh = calloc(config->n_probes + 1, sizeof(Probe *));
        int r = 0;

        ps->config = config;
        ps->quiet = true;
        child_user_unref(ps->user);
        ps->user = child_user_ref(user);
        if (!fresh) {
                log_error("reloading the probes: out of memory; they are gone until the next reload");
                for (size_t j = 0; j < ps->n_probes; j++)
                        probe_free(ps->probes[j]);
                ps->n_probes = 0;
                ps->quiet = false;
                return -ENOMEM;
        }
        for (size_t k = 0; k < config->n_probes; k++) {
                const ProbeConfig *c = &config->probes[k];
                for (size_t j = 0; j < ps->n_probes; j++) {
                        Probe *old = ps->probes[j];
                        if (old && strcmp(old->cfg->name, c->name) == 0 && conf_probe_equal(old->cfg, c)) {
                                /* Same probe: keep its state and timer; the runner is rebuilt
                                 * for the new config's strings (or, failing that, the
                                 * probe is made anew below). */
                                ps->probes[j] = NULL;
                                old->cfg = c;
                                if (probe_make_check(ps, old) < 0) {
                                        probe_free(old);
                                        r = -ENOMEM;
                                } else
                                        fresh[k] = old;
                                break;
                        }
                }
        }
        for (size_t j = 0; j < ps->n_probes; j++)
                probe_free(ps->probes[j]);
        free(ps->probes);
        ps->probes = fresh;
        ps->n_probes = config->n_probes;
        for (size_t k = 0; k < config->n_probes; k++) {
                int q;
                if (fresh[k])
                        continue;
                q = probe_new(ps, &config->probes[k], &fresh[k]);
                if (q < 0) {
                        log_error_errno(q, "probe '%s': setting up failed: %m", config->probes[k].name);
                        r = q;
                        continue;
                }
                probe_schedule(fresh[k], k, config->n_probes);
        }
        /* Drop the slots of probes that failed to be set up. */
        size_t w = 0;
        for (size_t k = 0; k < ps->n_probes; k++)
                if (fresh[k])
                        fresh[w++] = fresh[k];
        ps->n_probes = w;
        ps->quiet = false;
        return r;
}

static const Probe *find(const Probes *ps, const char *name) {
        for (size_t k = 0; k < ps->n_probes; k++)
                if (strcmp(ps->probes[k]->cfg->name, name) == 0)
                        return ps->probes[k];
        return NULL;
}

const ProbeState *probes_state(const Probes *ps, const char *name) {
        const Probe *p = find(ps, name);

        return p ? &p->state : NULL;
}

bool probes_is_up(const Probes *ps, const char *name) {
        const Probe *p = find(ps, name);

        return p && p->state.up;
}

TrackState probes_track_state(const Probes *ps, const char *name, int weight) {
        const Probe *p = find(ps, name);

        if (p && p->cfg->kind == PROBE_FILE)
                return (TrackState) { .weight = weight, .valued = true, .value = p->state.value };
        return (TrackState) { .weight = weight, .up = p && p->state.up };
}

void probes_dump(const Probes *ps) {
        for (size_t k = 0; k < ps->n_probes; k++) {
                const Probe *p = ps->probes[k];
                const ProbeState *s = &p->state;
                char fails[512];

                log_format_counters(fails, sizeof(fails), "failures_", s->failures_total, _PROBE_FAILURE_MAX,
                                    probe_failure_name);
                char value[32] = "";

                if (p->file)
                        snprintf(value, sizeof(value), " value=%" PRId64, s->value);
                log_info("probe '%s': state=%s%s runs=%" PRIu64 " last=%s latency_ms=%" PRIu64 "%s", p->cfg->name,
                         s->up ? "UP" : "DOWN", value, s->runs,
                         s->runs ? probe_failure_to_string(s->last.failure) : "none",
                         (uint64_t) (s->last.latency_usec / USEC_PER_MSEC), fails);
        }
}

size_t probes_count(const Probes *ps) {
        return ps->n_probes;
}

const ProbeConfig *probes_config_at(const Probes *ps, size_t k) {
        return k < ps->n_probes ? ps->probes[k]->cfg : NULL;
}

const ProbeState *probes_state_at(const Probes *ps, size_t k) {
        return k < ps->n_probes ? &ps->probes[k]->state : NULL;
}
