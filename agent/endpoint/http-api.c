/* /metrics and /status over libmicrohttpd, driven by sd-event (see
 * http-api.h).
 *
 * MHD runs in its epoll mode without a thread: its epoll fd (which holds
 * the listening socket and every connection) is one io source here, and
 * MHD_get_timeout() feeds one timer. Both call MHD_run(), which never
 * blocks, and then re-arm the timer from MHD_get_timeout(): 0 when MHD has
 * buffered work left, disabled when it has no timeout at all.
 *
 * Requests are answered on their first call to the handler, from a fresh
 * snapshot; nothing is kept per connection. */
#include "endpoint/http-api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "endpoint/event-json.h"
#include "endpoint/metrics.h"
#include "endpoint/status.h"
#include "shared/log.h"
#include "shared/macro.h"

#define HTTP_API_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)
#define HTTP_API_ALLOW "GET, HEAD"

static const char index_page[] =
        "promvip\n"
        "\n"
        "/metrics  Prometheus metrics (text format 0.0.4)\n"
        "/status   state as JSON\n"
        "/events   each instance's event history as JSON (?instance=NAME: one)\n";

#define RELEASE_PREFIX "/instances/"
#define RELEASE_SUFFIX "/release"

struct HttpApi {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io;    /* MHD's epoll fd */
        sd_event_source *timer; /* MHD's timeout */
        HttpApiSnapshot get_snapshot;
        HttpApiRelease release; /* set on the control endpoint */
        void *userdata;
        uint16_t port;
        char *socket_path;      /* the control endpoint's socket file */
        dev_t socket_dev;
        ino_t socket_ino;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(HttpApi *, http_api_free);

static _printf_(2, 0) void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL;

        (void) cls;
        if (vasprintf(&msg, fmt, ap) < 0)
                return;
        msg[strcspn(msg, "\n")] = '\0';
        /* Failures reach the caller as return values and are logged there. */
        log_debug("http: %s", msg);
}

static int update_timer(HttpApi *a) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;
        int r;

        if (MHD_get_timeout(a->daemon, &ms) != MHD_YES)
                return sd_event_source_set_enabled(a->timer, SD_EVENT_OFF);

        r = sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (ms > UINT64_MAX / USEC_PER_MSEC - now)
                ms = (UINT64_MAX - now) / USEC_PER_MSEC;
        r = sd_event_source_set_time(a->timer, now + ms * USEC_PER_MSEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(a->timer, SD_EVENT_ONESHOT);
}

static void run_mhd(HttpApi *a) {
        int r;

        if (sd_event_get_state(a->event) == SD_EVENT_FINISHED)
                return;
        if (MHD_run(a->daemon) != MHD_YES)
                log_debug("http: MHD_run() failed");
        r = update_timer(a);
        if (r < 0)
                log_warning_errno(r, "http: cannot arm the timer: %m");
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) s;
        (void) fd;
        (void) revents;
        run_mhd(userdata);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        run_mhd(userdata);
        return 0;
}

/* Queues a response that owns `body` (malloc'd, or a static text when
 * body_static is set) and drops our reference. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *content_type,
                               char *body, size_t len, bool body_static, const char *allow) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(len, body,
                                               body_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                if (!body_static)
                        free(body);
                return MHD_NO;
        }
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
            (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }
        ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text,
                                    const char *allow) {
        return respond(c, status, "text/plain; charset=utf-8", (char *) text, strlen(text), true, allow);
}

/* A Content-Length other than 0, or any Transfer-Encoding, announces a body. */
static bool has_body(struct MHD_Connection *c) {
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
                return true;
        return cl && strspn(cl, "0") != strlen(cl);
}

typedef enum Route {
        ROUTE_NONE,
        ROUTE_INDEX,
        ROUTE_METRICS,
        ROUTE_STATUS,
        ROUTE_EVENTS,
        ROUTE_RELEASE,
} Route;

/* The NAME of /instances/NAME/release, or NULL. */
static char *release_target(const char *url) {
        size_t n = strlen(url), p = strlen(RELEASE_PREFIX), q = strlen(RELEASE_SUFFIX);

        if (n <= p + q || strncmp(url, RELEASE_PREFIX, p) != 0 || strcmp(url + n - q, RELEASE_SUFFIX) != 0 ||
            memchr(url + p, '/', n - p - q))
                return NULL;
        return strndup(url + p, n - p - q);
}

static Route route_from_url(const HttpApi *a, const char *url) {
        _cleanup_free_ char *name = NULL;

        if (strcmp(url, "/") == 0)
                return ROUTE_INDEX;
        if (strcmp(url, "/metrics") == 0)
                return ROUTE_METRICS;
        if (strcmp(url, "/status") == 0)
                return ROUTE_STATUS;
        if (strcmp(url, "/events") == 0)
                return ROUTE_EVENTS;
        if (a->release && (name = release_target(url)))
                return ROUTE_RELEASE;
        return ROUTE_NONE;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *root) {
        char *body = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

        json_decref(root);
        if (!body)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
        return respond(c, status, "application/json", body, strlen(body), false, NULL);
}

_printf_(3, 4) static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
        return respond_json(c, status, json_pack("{s:s}", "error", msg));
}

static enum MHD_Result respond_release(HttpApi *a, struct MHD_Connection *c, const char *url) {
        _cleanup_free_ char *name = release_target(url);
        const char *state = "unknown";
        uint64_t timeout = 0;
        int r;

        if (!name)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
        r = a->release(a->userdata, name, &timeout, &state);
        if (r == -ENOENT)
                return respond_error(c, MHD_HTTP_NOT_FOUND, "no instance named '%s'", name);
        if (r == -ENOTCONN)
                return respond_error(c, MHD_HTTP_CONFLICT, "instance '%s' is %s, not MASTER: nothing to release",
                                     name, state);
        if (r == -EALREADY)
                return respond_error(c, MHD_HTTP_CONFLICT, "instance '%s' is already handing over", name);
        if (r < 0)
                return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "release of '%s' failed: %s", name,
                                     strerror(-r));
        return respond_json(c, MHD_HTTP_ACCEPTED,
                            json_pack("{s:s, s:I}", "instance", name, "timeout_usec", (json_int_t) timeout));
}

static enum MHD_Result respond_snapshot(HttpApi *a, struct MHD_Connection *c, Route route) {
        _cleanup_(snapshot_clear) Snapshot snap = {};
        char *body;
        int r;

        r = a->get_snapshot(a->userdata, route != ROUTE_METRICS, &snap);
        if (r < 0) {
                log_warning_errno(r, "http: cannot take a snapshot: %m");
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot take a snapshot\n", NULL);
        }
        if (route == ROUTE_EVENTS) {
                const char *instance = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "instance");
                bool unknown = false;

                body = events_render_json(&snap, instance, &unknown);
                if (unknown)
                        return respond_error(c, MHD_HTTP_NOT_FOUND, "no instance named '%s'", instance);
        } else
                body = route == ROUTE_METRICS ? metrics_render(&snap) : status_render_json(&snap);
        if (!body)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
        return respond(c, MHD_HTTP_OK, route == ROUTE_METRICS ? METRICS_CONTENT_TYPE : STATUS_CONTENT_TYPE,
                       body, strlen(body), false, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        HttpApi *a = cls;
        Route route = route_from_url(a, url);
        bool post = route == ROUTE_RELEASE;

        (void) version;
        (void) upload_data;
        (void) con_cls;

        /* Answered on the first call, before any body is read: MHD then
         * closes the connection instead of reading an unread body. A later
         * call (only with a body, already answered) refuses it. */
        if (*upload_data_size > 0)
                return MHD_NO;

        if (route == ROUTE_NONE)
                return respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
        if (post ? strcmp(method, MHD_HTTP_METHOD_POST) != 0
                 : strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
                                    post ? "POST" : HTTP_API_ALLOW);
        if (has_body(c))
                return respond_text(c, MHD_HTTP_BAD_REQUEST, "a request body is not accepted\n", NULL);
        if (route == ROUTE_RELEASE)
                return respond_release(a, c, url);
        if (route == ROUTE_INDEX)
                return respond_text(c, MHD_HTTP_OK, index_page, NULL);
        return respond_snapshot(a, c, route);
}

/* MHD does not hand out the bind() error; find it by trying the same bind. */
static int diagnose_bind(const struct sockaddr *sa, socklen_t len) {
        _cleanup_close_ int fd = -1;
        int one = 1;

        fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (sa->sa_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, sa, len) < 0)
                return -errno;
        return -EIO;
}

/* Hooks MHD's epoll fd and timeout into the loop. */
static int attach(HttpApi *a) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        int r;

        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sd_event_add_io(a->event, &a->io, info->epoll_fd, EPOLLIN, on_io, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(a->io, "http-api");

        r = sd_event_add_time(a->event, &a->timer, CLOCK_MONOTONIC, 0, HTTP_API_TIMER_ACCURACY_USEC, on_timer, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(a->timer, "http-api-timer");
        return update_timer(a);
}

static HttpApi *http_api_alloc(sd_event *event, HttpApiSnapshot get_snapshot, HttpApiRelease release,
                               void *userdata) {
        HttpApi *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->event = sd_event_ref(event);
        a->get_snapshot = get_snapshot;
        a->release = release;
        a->userdata = userdata;
        return a;
}

#define MHD_COMMON_OPTIONS(a)                                                                     \
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, (a),                                              \
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_API_CONNECTION_LIMIT,                        \
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_API_CONNECTION_TIMEOUT_SEC,                \
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32 * 1024

int http_api_new(HttpApi **ret, sd_event *event, const IpAddr *addr, uint16_t port,
                 HttpApiSnapshot get_snapshot, void *userdata) {
        _cleanup_(http_api_freep) HttpApi *a = NULL;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t sa_len;
        unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        const union MHD_DaemonInfo *info;
        int r;

        if (!ret || !event || !addr || !get_snapshot)
                return -EINVAL;

        if (addr->family == AF_INET) {
                sa.in.sin_family = AF_INET;
                sa.in.sin_port = htons(port);
                sa.in.sin_addr = addr->u.in;
                sa_len = sizeof(sa.in);
        } else if (addr->family == AF_INET6) {
                sa.in6.sin6_family = AF_INET6;
                sa.in6.sin6_port = htons(port);
                sa.in6.sin6_addr = addr->u.in6;
                sa_len = sizeof(sa.in6);
                flags |= MHD_USE_IPv6;
        } else
                return -EAFNOSUPPORT;

        a = http_api_alloc(event, get_snapshot, NULL, userdata);
        if (!a)
                return -ENOMEM;
        a->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, a, MHD_COMMON_OPTIONS(a),
                                     MHD_OPTION_SOCK_ADDR, &sa.sa, MHD_OPTION_END);
        if (!a->daemon)
                return diagnose_bind(&sa.sa, sa_len);

        info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
        a->port = info ? info->port : port;
        r = attach(a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* A listening Unix socket at path, only for its owner (root). */
static int listen_unix(const char *path, struct stat *ret_st) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct stat st;
        mode_t old_umask;
        int r;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        memcpy(sun.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                /* Someone answers there (another promvipd): leave it be. */
                if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0 || errno == EAGAIN)
                        return -EADDRINUSE;
                (void) close(fd);
                (void) unlink(path); /* left behind by an earlier run */
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (fd < 0)
                        return -errno;
        }
        old_umask = umask(0077);
        r = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
        (void) umask(old_umask);
        if (r < 0 || chmod(path, 0600) < 0 || listen(fd, HTTP_API_CONNECTION_LIMIT) < 0 || stat(path, ret_st) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        return TAKE_FD(fd);
}

int http_api_new_control(HttpApi **ret, sd_event *event, const char *path, HttpApiSnapshot get_snapshot,
                         HttpApiRelease release, void *userdata) {
        _cleanup_(http_api_freep) HttpApi *a = NULL;
        struct stat st;
        int fd, r;

        if (!ret || !event || !path || !get_snapshot || !release)
                return -EINVAL;
        a = http_api_alloc(event, get_snapshot, release, userdata);
        if (!a)
                return -ENOMEM;
        fd = listen_unix(path, &st);
        if (fd < 0)
                return fd;
        a->socket_path = strdup(path);
        a->socket_dev = st.st_dev;
        a->socket_ino = st.st_ino;
        a->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, a,
                                     MHD_COMMON_OPTIONS(a), MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
        if (!a->daemon) {
                (void) close(fd);
                return -EIO;
        }
        if (!a->socket_path)
                return -ENOMEM;
        r = attach(a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

HttpApi *http_api_free(HttpApi *a) {
        struct stat st;

        if (!a)
                return NULL;
        /* The sources go before MHD closes the epoll fd they watch. */
        a->io = sd_event_source_disable_unref(a->io);
        a->timer = sd_event_source_disable_unref(a->timer);
        if (a->daemon)
                MHD_stop_daemon(a->daemon);
        /* Only our own socket: another promvipd may have taken the path since. */
        if (a->socket_path && lstat(a->socket_path, &st) == 0 && st.st_dev == a->socket_dev &&
            st.st_ino == a->socket_ino)
                (void) unlink(a->socket_path);
        free(a->socket_path);
        sd_event_unref(a->event);
        free(a);
        return NULL;
}

uint16_t http_api_get_port(HttpApi *a) {
        return a ? a->port : 0;
}
