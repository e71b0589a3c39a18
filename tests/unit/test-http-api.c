/* Unit tests: the HTTP endpoint (http-api.c) on a real sd-event loop. A
 * forked child is the client (blocking sockets with timeouts); the parent
 * only runs the loop, collects the child's report through a pipe and
 * checks it. Every wait is bounded: the loop by a timer, the child's
 * sockets by SO_RCVTIMEO/SO_SNDTIMEO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>

#include "endpoint/http-api.h"
#include "http-test-util.h"
#include "shared/macro.h"
#include "snapshot-fixture.h"

#define LOOP_LIMIT_USEC (10 * USEC_PER_SEC)
#define REPORT_MAX (1024 * 1024)

typedef struct Ctx {
        sd_event *event;
        HttpApi *api;
        unsigned snapshots;
        unsigned with_events; /* snapshots that copied the event histories */
        unsigned ticks;
        bool fail_snapshot;
        char *report; /* what the child wrote */
        size_t n_report;
} Ctx;

static int take_snapshot(void *userdata, bool with_events, Snapshot *ret) {
        Ctx *c = userdata;

        c->snapshots++;
        c->with_events += with_events;
        if (c->fail_snapshot)
                return -EIO;
        fixture_snapshot(ret);
        return 0;
}

/* ---- the child: a plain blocking client ---- */

static int client_connect(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        struct timeval tv = { .tv_sec = 3 };
        int fd;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Sends `request`, reads the answer until the server closes (requests say
 * Connection: close) and writes "<length>\n<answer>" to out. */
static void client_exchange(int out, uint16_t port, const char *request) {
        static char buf[REPORT_MAX / 2];
        size_t n = 0;
        ssize_t k;
        int fd = client_connect(port);

        if (fd >= 0 && write(fd, request, strlen(request)) == (ssize_t) strlen(request))
                while (n < sizeof(buf) && (k = read(fd, buf + n, sizeof(buf) - n)) > 0)
                        n += (size_t) k;
        if (fd >= 0)
                close(fd);
        dprintf(out, "%zu\n", n);
        if (n > 0 && write(out, buf, n) != (ssize_t) n)
                _exit(2);
}

static const char *const requests[] = {
        "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /status?pretty=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
        "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
        "DELETE /status HTTP/1.0\r\n\r\n",
        "GET /events HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /events?instance=we%22ird%5Cname%0Ax HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /events?instance=nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
};

static _Noreturn void run_client(int out, uint16_t port) {
        /* A stuck client first: connected, half a request, never finished.
         * It must not hold up the others. */
        int stuck = client_connect(port);

        if (stuck < 0 || write(stuck, "GET /metr", 9) != 9)
                _exit(3);
        for (size_t i = 0; i < ELEMENTSOF(requests); i++)
                client_exchange(out, port, requests[i]);
        close(stuck);
        _exit(0);
}

/* ---- the parent: the loop ---- */

static int on_report(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Ctx *c = userdata;
        ssize_t k;

        (void) revents;
        if (c->n_report >= REPORT_MAX)
                return sd_event_exit(sd_event_source_get_event(s), -E2BIG);
        k = read(fd, c->report + c->n_report, REPORT_MAX - c->n_report);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : sd_event_exit(sd_event_source_get_event(s), -errno);
        if (k == 0) /* the child is done */
                return sd_event_exit(sd_event_source_get_event(s), 0);
        c->n_report += (size_t) k;
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec;
        (void) userdata;
        return sd_event_exit(sd_event_source_get_event(s), -ETIMEDOUT);
}

/* Proves the loop keeps turning while requests are served. */
static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Ctx *c = userdata;

        c->ticks++;
        (void) sd_event_source_set_time(s, usec + 10 * USEC_PER_MSEC);
        return 0;
}

static unsigned count_threads(void) {
        DIR *d = opendir("/proc/self/task");
        unsigned n = 0;

        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));)
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

typedef struct Answer {
        int status;
        char headers[2048];
        const char *body;
        size_t body_len;
} Answer;

/* Splits the next "<length>\n<answer>" record of the report. */
static void next_answer(char **p, char *end, Answer *a) {
        char *nl = memchr(*p, '\n', (size_t) (end - *p)), *hend;
        size_t len;

        assert_non_null(nl);
        len = strtoul(*p, NULL, 10);
        *p = nl + 1;
        assert_true(len > 0 && len <= (size_t) (end - *p));
        memset(a, 0, sizeof(*a));
        assert_int_equal(sscanf(*p, "HTTP/1.%*d %d", &a->status), 1);
        hend = memmem(*p, len, "\r\n\r\n", 4);
        assert_non_null(hend);
        assert_true((size_t) (hend - *p) < sizeof(a->headers));
        memcpy(a->headers, *p, (size_t) (hend - *p));
        a->body = hend + 4;
        a->body_len = len - (size_t) (hend + 4 - *p);
        *p += len;
}

static bool has_header(const Answer *a, const char *line) {
        char buf[512];

        snprintf(buf, sizeof(buf), "\r\n%s\r\n", line);
        return strcasestr(a->headers, buf) || (strlen(a->headers) >= strlen(buf) - 2 &&
                                               strcasecmp(a->headers + strlen(a->headers) - (strlen(buf) - 2),
                                                          buf) == 0);
}

/* Runs the loop until the forked client has sent its requests and
 * reported the answers into c->report. */
static void serve_client(Ctx *c) {
        sd_event_source *report = NULL, *deadline = NULL, *tick = NULL;
        int pipefd[2], r, wstatus;
        uint64_t now;
        pid_t pid;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pipefd[0]);
                run_client(pipefd[1], http_api_get_port(c->api));
        }
        close(pipefd[1]);

        assert_true(sd_event_now(c->event, CLOCK_MONOTONIC, &now) >= 0);
        assert_int_equal(sd_event_add_io(c->event, &report, pipefd[0], EPOLLIN, on_report, c), 0);
        assert_int_equal(sd_event_add_time(c->event, &deadline, CLOCK_MONOTONIC, now + LOOP_LIMIT_USEC, 0,
                                           on_deadline, NULL), 0);
        assert_int_equal(sd_event_add_time(c->event, &tick, CLOCK_MONOTONIC, now, 1000, on_tick, c), 0);
        assert_true(sd_event_source_set_enabled(tick, SD_EVENT_ON) >= 0);
        r = sd_event_loop(c->event);
        if (r != 0)
                (void) kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &wstatus, 0), pid);
        assert_int_equal(r, 0);
        assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
        assert_true(c->ticks > 0);
        sd_event_source_disable_unref(report);
        sd_event_source_disable_unref(deadline);
        sd_event_source_disable_unref(tick);
        close(pipefd[0]);
}

/* The answers, in the order run_client() asks. */
static void check_answers(Ctx *c) {
        char *p = c->report, *end = c->report + c->n_report;
        Answer a;

        next_answer(&p, end, &a); /* GET /metrics */
        assert_int_equal(a.status, 200);
        assert_true(has_header(&a, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
        assert_non_null(memmem(a.body, a.body_len, "# TYPE promvip_instance_state gauge\n", 36));
        assert_non_null(memmem(a.body, a.body_len, "promvip_reloads_total 2\n", 24));

        next_answer(&p, end, &a); /* GET /status */
        assert_int_equal(a.status, 200);
        assert_true(has_header(&a, "Content-Type: application/json"));
        {
                json_t *j = json_loadb(a.body, a.body_len, 0, NULL);

                assert_non_null(j);
                assert_string_equal(json_string_value(json_object_get(j, "router_id")), "prom-a");
                json_decref(j);
        }

        next_answer(&p, end, &a); /* POST /metrics */
        assert_int_equal(a.status, 405);
        assert_non_null(strcasestr(a.headers, "\r\nAllow: GET"));

        next_answer(&p, end, &a); /* GET /nope */
        assert_int_equal(a.status, 404);

        next_answer(&p, end, &a); /* GET / */
        assert_int_equal(a.status, 200);
        assert_non_null(memmem(a.body, a.body_len, "/metrics", 8));
        assert_non_null(memmem(a.body, a.body_len, "/status", 7));

        next_answer(&p, end, &a); /* HEAD /metrics */
        assert_int_equal(a.status, 200);
        assert_int_equal(a.body_len, 0);

        next_answer(&p, end, &a); /* GET with a body */
        assert_int_equal(a.status, 400);

        next_answer(&p, end, &a); /* DELETE, HTTP/1.0 */
        assert_int_equal(a.status, 405);

        next_answer(&p, end, &a); /* GET /events: every instance */
        assert_int_equal(a.status, 200);
        assert_true(has_header(&a, "Content-Type: application/json"));
        {
                json_t *j = json_loadb(a.body, a.body_len, 0, NULL), *in;

                assert_non_null(j);
                assert_int_equal(json_integer_value(json_object_get(j, "event_history")), 100);
                in = json_object_get(j, "instances");
                assert_int_equal(json_array_size(in), 2);
                assert_int_equal(json_array_size(json_object_get(json_array_get(in, 0), "events")), 2);
                json_decref(j);
        }
        next_answer(&p, end, &a); /* GET /events?instance=<the odd name, URL-encoded> */
        assert_int_equal(a.status, 200);
        {
                json_t *j = json_loadb(a.body, a.body_len, 0, NULL), *in;

                assert_non_null(j);
                in = json_object_get(j, "instances");
                assert_int_equal(json_array_size(in), 1);
                assert_string_equal(json_string_value(json_object_get(json_array_get(in, 0), "name")),
                                    FIXTURE_ODD_NAME);
                json_decref(j);
        }
        next_answer(&p, end, &a); /* GET /events?instance=nope */
        assert_int_equal(a.status, 404);
        assert_non_null(memmem(a.body, a.body_len, "{\"error\":\"no instance named 'nope'\"}", 36));
        assert_true(p == end);
}

static void test_requests(void **state) {
        IpAddr lo = { .family = AF_INET, .u.in.s_addr = htonl(INADDR_LOOPBACK) };
        Ctx c = {};

        (void) state;
        c.report = malloc(REPORT_MAX);
        assert_non_null(c.report);
        assert_int_equal(sd_event_new(&c.event), 0);
        assert_int_equal(http_api_new(&c.api, c.event, &lo, 0, take_snapshot, &c), 0);
        assert_true(http_api_get_port(c.api) > 0);
        assert_int_equal(count_threads(), 1); /* no thread of MHD's own */

        serve_client(&c);
        check_answers(&c);
        /* GET /metrics, GET /status, HEAD /metrics, 3 x GET /events: one snapshot each,
         * with the event histories but for /metrics. */
        assert_int_equal(c.snapshots, 6);
        assert_int_equal(c.with_events, 4);

        http_api_free(c.api);
        sd_event_unref(c.event);
        free(c.report);
}

static void test_address_in_use(void **state) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof(sa);
        IpAddr lo = { .family = AF_INET, .u.in.s_addr = htonl(INADDR_LOOPBACK) };
        _cleanup_close_ int fd = -1;
        sd_event *event = NULL;
        HttpApi *api = NULL;

        (void) state;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);

        assert_int_equal(sd_event_new(&event), 0);
        assert_int_equal(http_api_new(&api, event, &lo, ntohs(sa.sin_port), take_snapshot, NULL), -EADDRINUSE);
        assert_null(api);
        sd_event_unref(event);
}

static void test_ipv6(void **state) {
        IpAddr lo6 = { .family = AF_INET6, .u.in6 = IN6ADDR_LOOPBACK_INIT };
        sd_event *event = NULL;
        HttpApi *api = NULL;
        int r;

        (void) state;
        assert_int_equal(sd_event_new(&event), 0);
        r = http_api_new(&api, event, &lo6, 0, take_snapshot, NULL);
        if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
                sd_event_unref(event);
                skip();
        }
        assert_int_equal(r, 0);
        assert_true(http_api_get_port(api) > 0);
        assert_null(http_api_free(api));
        sd_event_unref(event);
}

static void test_snapshot_failure_is_500(void **state) {
        /* Served from the loop through a request of our own, without a child:
         * a non-blocking client whose request fits the socket buffer. */
        IpAddr lo = { .family = AF_INET, .u.in.s_addr = htonl(INADDR_LOOPBACK) };
        static HttpTestAnswer answer;
        Ctx c = { .fail_snapshot = true };
        _cleanup_close_ int fd = -1;

        (void) state;
        assert_int_equal(sd_event_new(&c.event), 0);
        assert_int_equal(http_api_new(&c.api, c.event, &lo, 0, take_snapshot, &c), 0);
        fd = http_test_tcp_connect(http_api_get_port(c.api));
        assert_int_equal(http_test_exchange(c.event, fd, "GET /metrics HTTP/1.0\r\n\r\n", &answer), 500);
        assert_int_equal(c.snapshots, 1);

        http_api_free(c.api);
        sd_event_unref(c.event);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_requests),
                cmocka_unit_test(test_address_in_use),
                cmocka_unit_test(test_ipv6),
                cmocka_unit_test(test_snapshot_failure_is_500),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
