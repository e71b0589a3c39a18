#include "daemon/manager.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "daemon/conf-check.h"
#include "daemon/routers.h"
#include "daemon/tuning.h"
#include "endpoint/http-api.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/time-util.h"

struct Manager {
        sd_event *event;
        Config *config;
        char *config_path;
        char *summary;
        Routers *routers;
        HttpApi *http;
        char *http_listen;          /* what http is bound to */
        HttpApi *control;
        char *control_path;         /* what control is bound to */
        uint64_t start_realtime_usec;
        uint64_t last_reload_realtime_usec;
        sd_event_source *stop_wait;
        uint64_t stop_deadline;
        int cli_log_level;
        unsigned reloads;
        unsigned reload_failures;
        Tuning tuning;              /* real-time priority and locked memory in effect */
};

/* Valid but risky settings: said once per load. */
static void conf_log_warnings(const Config *c) {
        for (size_t i = 0; i < c->n_probes; i++)
                if (c->probes[i].http.tls_skip_verify)
                        log_warning("probe '%s': tls_skip_verify is on, the server's certificate is not checked",
                                    c->probes[i].name);
}

static void manager_apply_log_level(Manager *m) {
        if (m->cli_log_level >= 0)
                log_set_max_level(m->cli_log_level);
        else if (m->config->global.log_level >= 0)
                log_set_max_level(m->config->global.log_level);
        else
                log_set_max_level(LOG_INFO);
}

static int get_snapshot(void *userdata, bool with_events, Snapshot *ret) {
        Manager *m = userdata;
        int r;

        *ret = (Snapshot) {
                .start_realtime_usec = m->start_realtime_usec,
                .reloads = m->reloads,
                .reload_failures = m->reload_failures,
                .last_reload_realtime_usec = m->last_reload_realtime_usec,
                .realtime_priority = m->tuning.realtime_priority,
                .memory_locked = m->tuning.memory_locked,
                .now_realtime_usec = now_usec(CLOCK_REALTIME),
                .event_history = m->config->global.event_history,
        };
        snprintf(ret->router_id, sizeof(ret->router_id), "%s", m->config->global.router_id);
        snprintf(ret->version, sizeof(ret->version), "%s", PROMVIP_VERSION);
        r = routers_snapshot(m->routers, with_events, ret);
        if (r < 0)
                snapshot_clear(ret);
        return r;
}

/* (Re)binds /metrics and /status to global.listen when it changed. A bind
 * failure is logged and leaves the endpoint off: failover matters more. */
static void manager_apply_listen(Manager *m) {
        const GlobalConfig *g = &m->config->global;
        int r;

        if (m->http_listen && strcmp(m->http_listen, g->listen) == 0)
                return;
        m->http = http_api_free(m->http);
        free(m->http_listen);
        m->http_listen = strdup(g->listen);
        if (!g->listen[0]) {
                log_info("HTTP endpoint disabled (global.listen is empty)");
                return;
        }
        r = http_api_new(&m->http, m->event, &g->listen_addr, g->listen_port, get_snapshot, m);
        if (r < 0)
                log_error_errno(r, "cannot serve /metrics and /status on %s: %m", g->listen);
        else
                log_info("serving /metrics and /status on %s", g->listen);
}

static int release(void *userdata, const char *instance, uint64_t *ret_timeout_usec, const char **ret_state) {
        Manager *m = userdata;

        if (m->stop_wait) {
                *ret_state = "stopping";
                return -ENOTCONN;
        }
        return routers_release(m->routers, instance, ret_timeout_usec, ret_state);
}

/* (Re)binds the control socket (promvipctl release) when its path changed;
 * as for /metrics, a failure is logged and leaves it off. */
static void manager_apply_control(Manager *m) {
        const char *path = m->config->global.control_socket;
        int r;

        if (m->control_path && strcmp(m->control_path, path) == 0)
                return;
        m->control = http_api_free(m->control);
        free(m->control_path);
        m->control_path = strdup(path);
        if (!path[0]) {
                log_info("control socket disabled (global.control_socket is empty)");
                return;
        }
        r = http_api_new_control(&m->control, m->event, path, get_snapshot, release, m);
        if (r < 0)
                log_warning_errno(r, "cannot serve the control socket %s (promvipctl release): %m", path);
        else
                log_info("control socket on %s", path);
}

static int manager_reload(Manager *m) {
        _cleanup_(conf_errors_clear) ConfErrors errs = {};
        Config *c = NULL;
        char *summary;
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
                          (unsigned long long) loop_now_usec(m->event, CLOCK_MONOTONIC), m->config_path);
        log_info("reloading %s", m->config_path);

        r = conf_load_checked(m->config_path, &c, &errs);
        if (r >= 0 && !(summary = conf_summary(c))) {
                conf_unref(c);
                r = -ENOMEM;
        }
        if (r < 0) {
                m->reload_failures++;
                conf_errors_log(&errs);
                if (r == -ENOMEM)
                        log_error("reload of %s failed: out of memory, keeping the running configuration",
                                  m->config_path);
                else
                        log_error("reload of %s failed (%zu error%s), keeping the running configuration",
                                  m->config_path, errs.n, errs.n == 1 ? "" : "s");
                (void) sd_notifyf(false, "READY=1\nSTATUS=Reload failed (%zu error%s), still running: %s",
                                  errs.n, errs.n == 1 ? "" : "s", m->summary);
                return 0;
        }

        r = routers_reload(m->routers, c);
        if (r < 0)
                log_error_errno(r, "applying the new configuration failed in part: %m");
        conf_unref(m->config);
        m->config = c;
        free(m->summary);
        m->summary = summary;
        m->reloads++;
        m->last_reload_realtime_usec = now_usec(CLOCK_REALTIME);
        manager_apply_log_level(m);
        tuning_apply(&m->tuning, &m->config->global);
        manager_apply_listen(m);
        manager_apply_control(m);
        conf_log_warnings(m->config);
        log_info("reloaded %s: %s", m->config_path, m->summary);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Running: %s (reloaded)", m->summary);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) s;
        (void) si;
        if (m->stop_wait) {
                log_info("stopping: reload ignored");
                return 0;
        }
        return manager_reload(m);
}

#define STOP_GRACE_USEC (1 * USEC_PER_SEC)
#define STOP_POLL_USEC (20 * USEC_PER_MSEC)

/* Waits for the hand-overs and then the stop hooks; each instance bounds its
 * own hand-over, the deadline is a backstop. */
static int on_stop_wait(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) usec;
        if (routers_stopped(m->routers))
                return sd_event_exit(m->event, 0);
        if (loop_now_usec(m->event, CLOCK_MONOTONIC) >= m->stop_deadline) {
                log_warning("still handing over or running stop hooks at the deadline: stopping now");
                routers_stop(m->routers);
                return sd_event_exit(m->event, 0);
        }
        (void) sd_event_source_set_time_relative(s, STOP_POLL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) s;
        if (m->stop_wait) {
                /* A second signal: hand-overs going on end now. */
                log_info("received %s again, stopping at once", strsignal((int) si->ssi_signo));
                routers_stop(m->routers);
                return 0;
        }
        log_info("received %s, stopping", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping: masters hand over, then the stop hooks run");
        m->stop_deadline = loop_now_usec(m->event, CLOCK_MONOTONIC) + routers_stop_timeout_usec(m->routers) +
                           STOP_GRACE_USEC;
        routers_stop(m->routers);
        return sd_event_add_time_relative(m->event, &m->stop_wait, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_stop_wait,
                                          m);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) s;
        (void) si;
        routers_dump(m->routers);
        return 0;
}

int manager_new(Manager **ret, Config *config, const char *config_path, int cli_log_level) {
        Manager *m;
        sigset_t mask;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m) {
                conf_unref(config);
                return -ENOMEM;
        }
        m->config = config;
        m->cli_log_level = cli_log_level;
        m->config_path = strdup(config_path);
        m->summary = conf_summary(config);
        if (!m->config_path || !m->summary) {
                manager_free(m);
                return -ENOMEM;
        }
        manager_apply_log_level(m);
        conf_log_warnings(m->config);

        /* sd-event (libsystemd 252) needs the signals blocked before it takes them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                r = log_error_errno(errno, "failed to block signals: %m");
                goto fail;
        }

        r = sd_event_default(&m->event);
        if (r < 0) {
                log_error_errno(r, "failed to create the event loop: %m");
                goto fail;
        }
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGUSR1, on_sigusr1, m)) < 0) {
                log_error_errno(r, "failed to watch signals: %m");
                goto fail;
        }
        /* Pings WATCHDOG=1 at half of WATCHDOG_USEC when systemd asks for it. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0) {
                log_error_errno(r, "failed to set up the watchdog: %m");
                goto fail;
        }
        r = routers_new(&m->routers, m->event, m->config);
        if (r < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->stop_wait);
        http_api_free(m->http);
        free(m->http_listen);
        http_api_free(m->control);
        free(m->control_path);
        routers_free(m->routers);
        sd_event_unref(m->event);
        conf_unref(m->config);
        free(m->config_path);
        free(m->summary);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        int r;

        log_info("started with %s: %s", m->config_path, m->summary);
        m->start_realtime_usec = now_usec(CLOCK_REALTIME);
        tuning_apply(&m->tuning, &m->config->global);
        routers_start(m->routers);
        manager_apply_listen(m);
        manager_apply_control(m);
        (void) sd_notifyf(false, "READY=1\nSTATUS=Running: %s", m->summary);
        r = sd_event_loop(m->event);
        if (r < 0) {
                log_error_errno(r, "event loop failed: %m");
                return 1;
        }
        log_info("stopped");
        return r;
}
