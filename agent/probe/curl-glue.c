/* libcurl's multi interface driven by sd-event (see curl-glue.h).
 *
 * The glue owns the multi handle: one io source per socket curl wants
 * watched (attached to curl's socket with curl_multi_assign and kept in a
 * small fd map), one timer for curl's timeout and one defer source that
 * hands finished transfers out one per loop pass. curl's connection cache
 * belongs to the multi handle, so keep-alive connections outlive a run.
 *
 * It must not: call curl from curl's socket or timer callbacks (except
 * curl_multi_assign()), close a socket (they are curl's), call a completion
 * from anywhere but an event source, or touch anything after a completion
 * returns. It knows nothing of probes and logs at debug level only. */
#include "probe/curl-glue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "shared/log.h"
#include "shared/macro.h"

#define CURL_GLUE_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

struct CurlGlue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer; /* curl's timeout */
        sd_event_source *defer; /* more finished transfers to hand out */
        sd_event_source **ios;  /* the fd map: one io source per watched socket */
        size_t n_ios;
        size_t n_ios_alloc;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(CurlGlue *, curl_glue_free);

static bool loop_finished(CurlGlue *g) {
        return sd_event_get_state(g->event) == SD_EVENT_FINISHED;
}

/* The fd map. curl announces a socket again after CURL_POLL_REMOVE (a
 * pooled connection) and, with old versions, may close one without
 * removing it first, so an fd can have a stale entry to replace. */
static sd_event_source *glue_find_io(CurlGlue *g, int fd) {
        for (size_t i = 0; i < g->n_ios; i++)
                if (sd_event_source_get_io_fd(g->ios[i]) == fd)
                        return g->ios[i];
        return NULL;
}

static void glue_drop_io(CurlGlue *g, sd_event_source *s) {
        for (size_t i = 0; i < g->n_ios; i++)
                if (g->ios[i] == s) {
                        g->ios[i] = g->ios[--g->n_ios];
                        break;
                }
        /* Never closes the fd: it is curl's. */
        (void) sd_event_source_disable_unref(s);
}

static int glue_reserve_io(CurlGlue *g) {
        sd_event_source **a;
        size_t n;

        if (g->n_ios < g->n_ios_alloc)
                return 0;
        n = g->n_ios_alloc ? g->n_ios_alloc * 2 : 8;
        a = reallocarray(g->ios, n, sizeof(a[0]));
        if (!a)
                return -ENOMEM;
        g->ios = a;
        g->n_ios_alloc = n;
        return 0;
}

static void glue_schedule(CurlGlue *g) {
        int r = sd_event_source_set_enabled(g->defer, SD_EVENT_ONESHOT);

        if (r < 0)
                log_internal(LOG_DEBUG, r, NULL, "http: cannot arm the dispatch source: %m");
}

/* Hands out one finished transfer; the defer source brings the next one in
 * a later loop pass, so that a completion may free anything (systemd does
 * the same). Nothing of g is touched after t->done(). */
static void glue_drain(CurlGlue *g) {
        CurlGlueTransfer *t;
        char *p = NULL;
        CURLMsg *msg;
        int left = 0, code;

        if (loop_finished(g) || sd_event_get_exit_code(g->event, &code) >= 0)
                return;
        msg = curl_multi_info_read(g->multi, &left);
        if (!msg)
                return;
        if (left > 0)
                glue_schedule(g);
        if (msg->msg != CURLMSG_DONE)
                return;
        if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p) != CURLE_OK || !p)
                return;
        t = (CurlGlueTransfer *) p;
        t->done(t, msg->data.result);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CurlGlue *g = userdata;
        int mask = 0, running;
        CURLMcode mc;

        (void) s;
        if (revents & EPOLLIN)
                mask |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                mask |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                mask |= CURL_CSELECT_ERR;
        mc = curl_multi_socket_action(g->multi, fd, mask, &running);
        if (mc != CURLM_OK)
                log_debug("http: curl_multi_socket_action(%d): %s", fd, curl_multi_strerror(mc));
        glue_drain(g);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CurlGlue *g = userdata;
        int running;
        CURLMcode mc;

        (void) s;
        (void) usec;
        mc = curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (mc != CURLM_OK)
                log_debug("http: curl_multi_socket_action(timeout): %s", curl_multi_strerror(mc));
        glue_drain(g);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        (void) s;
        glue_drain(userdata);
        return 0;
}

/* CURLMOPT_SOCKETFUNCTION: only maps sockets to io sources; calls nothing
 * of curl but curl_multi_assign(). */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        CurlGlue *g = userp;
        sd_event_source *s = socketp, *stale;
        uint32_t events;
        int r;

        (void) easy;
        if (loop_finished(g))
                return 0;

        if (what == CURL_POLL_REMOVE) {
                if (!s)
                        s = glue_find_io(g, fd);
                if (s)
                        glue_drop_io(g, s);
                return 0;
        }

        events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
        if (s) {
                r = sd_event_source_set_io_events(s, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s, SD_EVENT_ON);
                if (r < 0) {
                        log_internal(LOG_DEBUG, r, NULL, "http: cannot watch socket %d: %m", fd);
                        return -1;
                }
                return 0;
        }

        stale = glue_find_io(g, fd);
        if (stale)
                glue_drop_io(g, stale);
        r = glue_reserve_io(g);
        if (r >= 0)
                r = sd_event_add_io(g->event, &s, fd, events, on_io, g);
        if (r < 0) {
                log_internal(LOG_DEBUG, r, NULL, "http: cannot watch socket %d: %m", fd);
                return -1;
        }
        (void) sd_event_source_set_description(s, "http-io");
        if (curl_multi_assign(g->multi, fd, s) != CURLM_OK) {
                (void) sd_event_source_disable_unref(s);
                return -1;
        }
        g->ios[g->n_ios++] = s;
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: arms (or stops) the one timer; curl must not be
 * called from here. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        CurlGlue *g = userp;
        int r;

        (void) multi;
        if (loop_finished(g))
                return 0;
        if (timeout_ms < 0) {
                (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
                return 0;
        }
        /* 0 ms too: the timer source runs curl from the loop, not from here. */
        r = sd_event_source_set_time_relative(g->timer, (uint64_t) timeout_ms * USEC_PER_MSEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_internal(LOG_DEBUG, r, NULL, "http: cannot arm the curl timer: %m");
                return -1;
        }
        return 0;
}

/* Once per process; the daemon has one thread. */
static int glue_global_init(void) {
        static bool done = false;
        CURLcode cc;

        if (done)
                return 0;
        cc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (cc != CURLE_OK) {
                log_debug("http: curl_global_init: %s", curl_easy_strerror(cc));
                return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
        }
        done = true;
        return 0;
}

int curl_glue_new(CurlGlue **ret, sd_event *event) {
        _cleanup_(curl_glue_freep) CurlGlue *g = NULL;
        int r;

        if (!ret || !event)
                return -EINVAL;
        r = glue_global_init();
        if (r < 0)
                return r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(event);

        r = sd_event_add_time_relative(event, &g->timer, CLOCK_MONOTONIC, 0, CURL_GLUE_TIMER_ACCURACY_USEC,
                                       on_timer, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(g->timer, "http-timer");
        r = sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;

        r = sd_event_add_defer(event, &g->defer, on_defer, g);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(g->defer, "http-dispatch");
        r = sd_event_source_set_enabled(g->defer, SD_EVENT_OFF);
        if (r < 0)
                return r;

        g->multi = curl_multi_init();
        if (!g->multi)
                return -ENOMEM;
        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK)
                return -EINVAL;

        *ret = TAKE_PTR(g);
        return 0;
}

CurlGlue *curl_glue_free(CurlGlue *g) {
        if (!g)
                return NULL;
        /* curl may still announce CURL_POLL_REMOVE for pooled connections
         * here: the glue stays whole until it returns. */
        if (g->multi)
                (void) curl_multi_cleanup(g->multi);
        g->multi = NULL;
        while (g->n_ios > 0)
                glue_drop_io(g, g->ios[g->n_ios - 1]);
        free(g->ios);
        (void) sd_event_source_disable_unref(g->timer);
        (void) sd_event_source_disable_unref(g->defer);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

sd_event *curl_glue_get_event(CurlGlue *g) {
        return g->event;
}

/* curl answers an add with a 0 ms timeout: the transfer starts from the
 * loop, and its completion follows from the loop too. */
CURLMcode curl_glue_add(CurlGlue *g, CURL *easy) {
        return curl_multi_add_handle(g->multi, easy);
}

/* Also drops a finished transfer's message that was not handed out yet. */
CURLMcode curl_glue_remove(CurlGlue *g, CURL *easy) {
        return curl_multi_remove_handle(g->multi, easy);
}
