/* Unit tests: HTTP and PromQL probes (probe-http.c) on a real sd-event
 * loop, against a tiny HTTP/1.1 server that the test serves from the same
 * loop on 127.0.0.1 (a random port). Every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "probe/probe-http.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define SERVER_CONNS_MAX 8
#define SERVER_REQUEST_MAX 8192
#define WAIT_MAX_USEC (5 * USEC_PER_SEC)

/* ---- the server ---------------------------------------------------------- */

typedef struct Server Server;

typedef struct Conn {
        Server *srv;
        int fd;
        sd_event_source *source;
        char in[SERVER_REQUEST_MAX];
        size_t in_len;
        char *out;
        size_t out_len, out_pos;
} Conn;

struct Server {
        sd_event *event;
        int fd;
        uint16_t port;
        sd_event_source *source;
        Conn *conns[SERVER_CONNS_MAX];

        /* What to answer; silent: read requests, never answer. */
        bool silent;
        int status;
        const char *body;
        size_t body_len; /* 0: strlen(body) */

        /* What was seen. */
        unsigned connections;
        unsigned requests;
        char last_request[SERVER_REQUEST_MAX];
};

static void conn_free(Conn *c) {
        Server *s = c->srv;

        for (size_t i = 0; i < SERVER_CONNS_MAX; i++)
                if (s->conns[i] == c)
                        s->conns[i] = NULL;
        sd_event_source_disable_unref(c->source);
        close(c->fd);
        free(c->out);
        free(c);
}

static const char *reason_phrase(int status) {
        switch (status) {
        case 200:
                return "OK";
        case 400:
                return "Bad Request";
        case 404:
                return "Not Found";
        case 503:
                return "Service Unavailable";
        default:
                return "Other";
        }
}

static void conn_answer(Conn *c) {
        Server *s = c->srv;
        size_t body_len = s->body_len ? s->body_len : strlen(s->body ? s->body : "");
        char head[256];
        int n;

        n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                     s->status, reason_phrase(s->status), body_len);
        assert_true(n > 0 && (size_t) n < sizeof(head));
        free(c->out);
        c->out = malloc((size_t) n + body_len);
        assert_non_null(c->out);
        memcpy(c->out, head, (size_t) n);
        if (body_len)
                memcpy(c->out + n, s->body, body_len);
        c->out_len = (size_t) n + body_len;
        c->out_pos = 0;
}

/* Writes what it can; the rest when the socket is writable again. */
static void conn_flush(Conn *c) {
        while (c->out_pos < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos, MSG_NOSIGNAL);
                if (n < 0) {
                        assert_true(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
                        break;
                }
                c->out_pos += (size_t) n;
        }
        assert_int_equal(sd_event_source_set_io_events(c->source, c->out_pos < c->out_len ? EPOLLIN | EPOLLOUT : EPOLLIN),
                         0);
}

static int on_conn(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        Server *s = c->srv;
        char *end;
        ssize_t n;

        (void) source;
        if (revents & EPOLLOUT)
                conn_flush(c);
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;

        n = read(fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
        if (n <= 0) {
                conn_free(c);
                return 0;
        }
        c->in_len += (size_t) n;
        c->in[c->in_len] = '\0';

        /* GET requests only: a request ends at its empty line. */
        while ((end = strstr(c->in, "\r\n\r\n"))) {
                size_t len = (size_t) (end + 4 - c->in);

                memcpy(s->last_request, c->in, len);
                s->last_request[len] = '\0';
                s->requests++;
                memmove(c->in, c->in + len, c->in_len - len + 1);
                c->in_len -= len;
                if (!s->silent) {
                        conn_answer(c);
                        conn_flush(c);
                }
        }
        assert_true(c->in_len < sizeof(c->in) - 1);
        return 0;
}

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Server *s = userdata;
        Conn *c;
        int cfd;
        size_t i;

        (void) source;
        (void) revents;
        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        for (i = 0; i < SERVER_CONNS_MAX && s->conns[i]; i++)
                ;
        assert_true(i < SERVER_CONNS_MAX);
        c = calloc(1, sizeof(*c));
        assert_non_null(c);
        *c = (Conn) { .srv = s, .fd = cfd };
        assert_int_equal(sd_event_add_io(s->event, &c->source, cfd, EPOLLIN, on_conn, c), 0);
        s->conns[i] = c;
        s->connections++;
        return 0;
}

static void server_start(Server *s, sd_event *event) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);

        *s = (Server) { .event = event, .status = 200, .body = "Prometheus Server is Ready.\n" };
        s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(s->fd >= 0);
        assert_int_equal(bind(s->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(s->fd, 16), 0);
        assert_int_equal(getsockname(s->fd, (struct sockaddr *) &sa, &len), 0);
        s->port = ntohs(sa.sin_port);
        assert_int_equal(sd_event_add_io(event, &s->source, s->fd, EPOLLIN, on_accept, s), 0);
}

static void server_stop(Server *s) {
        for (size_t i = 0; i < SERVER_CONNS_MAX; i++)
                if (s->conns[i])
                        conn_free(s->conns[i]);
        sd_event_source_disable_unref(s->source);
        close(s->fd);
}

/* A port on which nothing listens (bound once, then closed). */
static uint16_t unused_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

/* ---- fixture ------------------------------------------------------------- */

typedef struct Fixture {
        sd_event *event;
        Server server;
        HttpRunner *runner;
        HttpCheck *check;
        ProbeConfig probe;
        char url[128];

        unsigned done_calls;
        ProbeResult last;
        bool free_in_done;
        bool restart_in_done;
} Fixture;

static void on_done(void *userdata, const ProbeResult *r) {
        Fixture *f = userdata;

        f->done_calls++;
        f->last = *r;
        if (f->free_in_done)
                f->check = http_check_free(f->check);
        if (f->restart_in_done) {
                f->restart_in_done = false;
                assert_int_equal(http_check_start(f->check), 0);
        }
}

/* Runs the loop until done() was called `calls` times in all, or for at
 * most max_usec. */
static void run_until(Fixture *f, unsigned calls, uint64_t max_usec) {
        uint64_t start = now_usec(CLOCK_MONOTONIC);

        for (unsigned i = 0; i < 100000 && f->done_calls < calls && now_usec(CLOCK_MONOTONIC) - start < max_usec; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
}

static void run_for(Fixture *f, uint64_t usec) {
        run_until(f, UINT32_MAX, usec);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        server_start(&f->server, f->event);
        assert_int_equal(http_runner_new(&f->runner, f->event), 0);
        snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u/-/ready", f->server.port);
        f->probe = (ProbeConfig) {
                .name = (char *) "ready",
                .kind = PROBE_HTTP,
                .timeout_usec = 2 * USEC_PER_SEC,
                .http.url = f->url,
                .min = -INFINITY,
                .max = INFINITY,
        };
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        http_check_free(f->check);
        http_runner_free(f->runner);
        server_stop(&f->server);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static void check_new(Fixture *f) {
        assert_int_equal(http_check_new(&f->check, f->runner, &f->probe, on_done, f), 0);
}

/* One run to its end; done() must not come from inside start. */
static void run_once(Fixture *f) {
        unsigned before = f->done_calls;

        assert_int_equal(http_check_start(f->check), 0);
        assert_int_equal(f->done_calls, before);
        run_until(f, before + 1, WAIT_MAX_USEC);
        assert_int_equal(f->done_calls, before + 1);
}

/* ---- tests --------------------------------------------------------------- */

static void test_ok(void **state) {
        Fixture *f = *state;

        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_string_equal(f->last.detail, "HTTP 200");
        assert_true(f->last.latency_usec > 0 && f->last.latency_usec < WAIT_MAX_USEC);
        assert_int_equal(f->server.requests, 1);
        assert_true(strncmp(f->server.last_request, "GET /-/ready HTTP/1.1\r\n", 23) == 0);
        assert_non_null(strstr(f->server.last_request, "\r\nUser-Agent: promvip/" PROMVIP_VERSION "\r\n"));
}

static void test_status(void **state) {
        Fixture *f = *state;

        f->server.status = 503;
        f->server.body = "Service Unavailable";
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_HTTP_STATUS);
        assert_string_equal(f->last.detail, "HTTP 503");

        /* Redirects are not followed: a 3xx is a failure of its own. */
        f->server.status = 302;
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_HTTP_STATUS);
        assert_string_equal(f->last.detail, "HTTP 302");
}

static void test_timeout(void **state) {
        Fixture *f = *state;
        uint64_t start, elapsed;

        f->server.silent = true;
        f->probe.timeout_usec = 300 * USEC_PER_MSEC;
        check_new(f);
        start = now_usec(CLOCK_MONOTONIC);
        run_once(f);
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        assert_int_equal(f->last.failure, PROBE_FAIL_TIMEOUT);
        assert_true(elapsed >= 250 * USEC_PER_MSEC);
        assert_true(elapsed < 1500 * USEC_PER_MSEC);
        assert_int_equal(f->server.requests, 1); /* it was asked, and kept silent */
}

static void test_refused(void **state) {
        Fixture *f = *state;

        snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u/-/ready", unused_port());
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_CONNECT);
        assert_string_equal(f->last.detail, "Couldn't connect to server");
}

static const char answer_fresh[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
        "[{\"metric\":{},\"value\":[1700000000.123,\"12.5\"]}]}}";
static const char answer_stale[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
        "[{\"metric\":{\"job\":\"node\"},\"value\":[1700000000.123,\"75\"]}]}}";

static void use_promql(Fixture *f, const char *base) {
        snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u%s", f->server.port, base);
        f->probe.kind = PROBE_PROMQL;
        f->probe.query = (char *) "time() - max(timestamp(up))";
        f->probe.max = 60;
}

static void test_promql(void **state) {
        Fixture *f = *state;

        use_promql(f, "/");
        f->server.body = answer_fresh;
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_string_equal(f->last.detail, "value 12.5");
        assert_true(strncmp(f->server.last_request,
                            "GET /api/v1/query?query=time%28%29%20-%20max%28timestamp%28up%29%29 HTTP/1.1\r\n",
                            76) == 0);

        f->server.body = answer_stale;
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_OUT_OF_RANGE);
        assert_string_equal(f->last.detail, "value 75 > max 60 for {job=\"node\"}");

        /* Prometheus answers 400 for a bad query: the status decides. */
        f->server.status = 400;
        f->server.body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}";
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_HTTP_STATUS);
        assert_string_equal(f->last.detail, "HTTP 400");

        f->server.status = 200;
        f->server.body = "<html>not prometheus</html>";
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_BAD_ANSWER);

        f->server.body = "";
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_BAD_ANSWER);
        assert_string_equal(f->last.detail, "empty answer");
}

/* A base URL under a route prefix keeps its path. */
static void test_promql_prefix(void **state) {
        Fixture *f = *state;

        use_promql(f, "/prometheus");
        f->probe.query = (char *) "up{job=\"node\"} == 1";
        f->server.body = answer_fresh;
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_true(strncmp(f->server.last_request,
                            "GET /prometheus/api/v1/query?query=up%7Bjob%3D%22node%22%7D%20%3D%3D%201 HTTP/1.1\r\n",
                            83) == 0);
}

static void test_promql_too_large(void **state) {
        Fixture *f = *state;
        size_t len = 1024 * 1024 + 100;
        char *big = malloc(len);

        assert_non_null(big);
        memset(big, ' ', len);
        use_promql(f, "");
        f->server.body = big;
        f->server.body_len = len;
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_BAD_ANSWER);
        assert_string_equal(f->last.detail, "answer larger than 1 MiB");

        /* Just below the limit is read whole (and is no JSON). */
        f->server.body_len = 1024 * 1024;
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_BAD_ANSWER);
        assert_true(strncmp(f->last.detail, "not JSON", 8) == 0);
        free(big);
        f->server.body = NULL;
}

/* The easy handle is reused, and so is its keep-alive connection. */
static void test_reuse(void **state) {
        Fixture *f = *state;

        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_int_equal(f->server.requests, 3);
        assert_int_equal(f->server.connections, 1);
}

static void write_file(const char *path, const char *text) {
        FILE *fp = fopen(path, "we");

        assert_non_null(fp);
        fputs(text, fp);
        assert_int_equal(fclose(fp), 0);
}

static void test_headers(void **state) {
        Fixture *f = *state;
        char token_path[] = "/tmp/test-probe-http-token-XXXXXX";
        char *headers[] = { (char *) "X-Scope-OrgID: tenant-1", (char *) "Accept: application/json" };
        int fd = mkstemp(token_path);

        assert_true(fd >= 0);
        close(fd);
        write_file(token_path, "s3cr3t-token\n");
        f->probe.http.bearer_token_file = token_path;
        f->probe.http.headers = headers;
        f->probe.http.n_headers = ELEMENTSOF(headers);
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_non_null(strstr(f->server.last_request, "\r\nAuthorization: Bearer s3cr3t-token\r\n"));
        assert_non_null(strstr(f->server.last_request, "\r\nX-Scope-OrgID: tenant-1\r\n"));
        assert_non_null(strstr(f->server.last_request, "\r\nAccept: application/json\r\n"));

        /* The file is read at each run: a rotated token is used. */
        write_file(token_path, "rotated\r\n");
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_non_null(strstr(f->server.last_request, "\r\nAuthorization: Bearer rotated\r\n"));
        assert_null(strstr(f->server.last_request, "s3cr3t"));
        assert_non_null(strstr(f->server.last_request, "\r\nX-Scope-OrgID: tenant-1\r\n"));

        /* A token file that cannot be read fails the run, from the loop. */
        unlink(token_path);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_ERROR);
        assert_non_null(strstr(f->last.detail, "bearer token file"));
        assert_non_null(strstr(f->last.detail, "No such file or directory"));
        assert_int_equal(f->server.requests, 2);

        /* An empty one, and one of two lines, too. */
        write_file(token_path, "\n");
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_ERROR);
        write_file(token_path, "a\nb\n");
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_FAIL_ERROR);
        assert_int_equal(f->server.requests, 2);

        /* A failed run does not stick. */
        write_file(token_path, "back");
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_non_null(strstr(f->server.last_request, "\r\nAuthorization: Bearer back\r\n"));
        unlink(token_path);
}

static void test_basic_auth(void **state) {
        Fixture *f = *state;

        f->probe.http.username = (char *) "prom";
        f->probe.http.password = (char *) "secret";
        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        /* base64("prom:secret") */
        assert_non_null(strstr(f->server.last_request, "\r\nAuthorization: Basic cHJvbTpzZWNyZXQ=\r\n"));
}

static void test_busy(void **state) {
        Fixture *f = *state;

        check_new(f);
        assert_int_equal(http_check_start(f->check), 0);
        assert_int_equal(http_check_start(f->check), -EBUSY);
        run_until(f, 1, WAIT_MAX_USEC);
        assert_int_equal(f->done_calls, 1);
        assert_int_equal(f->last.failure, PROBE_OK);
        /* done() may start the next run at once. */
        f->restart_in_done = true;
        run_once(f);
        run_until(f, 3, WAIT_MAX_USEC);
        assert_int_equal(f->done_calls, 3);
        assert_int_equal(f->server.requests, 3);
        run_for(f, 50 * USEC_PER_MSEC);
        assert_int_equal(f->done_calls, 3);
}

/* Freed in flight: no done(), no crash, nothing left in the loop. */
static void test_free_in_flight(void **state) {
        Fixture *f = *state;

        f->server.silent = true;
        check_new(f);
        assert_int_equal(http_check_start(f->check), 0);
        f->check = http_check_free(f->check); /* before the loop ran at all */

        check_new(f);
        assert_int_equal(http_check_start(f->check), 0);
        for (unsigned i = 0; i < 100 && f->server.requests < 1; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(f->server.requests, 1); /* the request is out, its answer is not */
        f->check = http_check_free(f->check);
        run_for(f, 200 * USEC_PER_MSEC);
        assert_int_equal(f->done_calls, 0);

        /* A failed start that was not reported yet. */
        f->probe.http.bearer_token_file = (char *) "/nonexistent/promvip-token";
        check_new(f);
        assert_int_equal(http_check_start(f->check), 0);
        f->check = http_check_free(f->check);
        run_for(f, 50 * USEC_PER_MSEC);
        assert_int_equal(f->done_calls, 0);
}

/* done() may free its own check. */
static void test_free_in_done(void **state) {
        Fixture *f = *state;

        check_new(f);
        f->free_in_done = true;
        run_once(f);
        assert_null(f->check);
        assert_int_equal(f->last.failure, PROBE_OK);
        run_for(f, 50 * USEC_PER_MSEC);
        assert_int_equal(f->done_calls, 1);

        /* Also when done() reports a run that could not start. */
        f->probe.http.bearer_token_file = (char *) "/nonexistent/promvip-token";
        check_new(f);
        run_once(f);
        assert_null(f->check);
        assert_int_equal(f->last.failure, PROBE_FAIL_ERROR);
        run_for(f, 50 * USEC_PER_MSEC);
        assert_int_equal(f->done_calls, 2);
}

/* Several checks at once on one runner, each with its own answer. */
static void test_concurrent(void **state) {
        Fixture *f = *state;
        Fixture others[3];
        Server servers[3];

        check_new(f);
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                server_start(&servers[i], f->event);
                servers[i].status = 500 + (int) i;
                others[i] = (Fixture) { .probe = f->probe };
                snprintf(others[i].url, sizeof(others[i].url), "http://127.0.0.1:%u/", servers[i].port);
                others[i].probe.http.url = others[i].url;
                assert_int_equal(http_check_new(&others[i].check, f->runner, &others[i].probe, on_done, &others[i]), 0);
                assert_int_equal(http_check_start(others[i].check), 0);
        }
        assert_int_equal(http_check_start(f->check), 0);
        for (unsigned n = 0; n < 1000; n++) {
                unsigned total = f->done_calls;
                for (size_t i = 0; i < ELEMENTSOF(others); i++)
                        total += others[i].done_calls;
                if (total == 1 + ELEMENTSOF(others))
                        break;
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        }
        assert_int_equal(f->done_calls, 1);
        assert_int_equal(f->last.failure, PROBE_OK);
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                char want[16];
                snprintf(want, sizeof(want), "HTTP %d", 500 + (int) i);
                assert_int_equal(others[i].done_calls, 1);
                assert_int_equal(others[i].last.failure, PROBE_FAIL_HTTP_STATUS);
                assert_string_equal(others[i].last.detail, want);
                http_check_free(others[i].check);
                server_stop(&servers[i]);
        }
}

/* Teardown after the loop finished, with a pooled connection open. */
static void test_after_loop_finished(void **state) {
        Fixture *f = *state;

        check_new(f);
        run_once(f);
        assert_int_equal(f->last.failure, PROBE_OK);
        assert_int_equal(sd_event_exit(f->event, 0), 0);
        assert_int_equal(sd_event_loop(f->event), 0);
        assert_int_equal(sd_event_get_state(f->event), SD_EVENT_FINISHED);
        f->check = http_check_free(f->check);
        f->runner = http_runner_free(f->runner);
}

static void test_bad_arguments(void **state) {
        Fixture *f = *state;
        HttpCheck *c = NULL;
        HttpRunner *h = NULL;

        assert_int_equal(http_runner_new(&h, NULL), -EINVAL);
        f->probe.kind = PROBE_EXEC;
        assert_int_equal(http_check_new(&c, f->runner, &f->probe, on_done, f), -EINVAL);
        f->probe.kind = PROBE_PROMQL; /* no query */
        assert_int_equal(http_check_new(&c, f->runner, &f->probe, on_done, f), -EINVAL);
        assert_null(c);
        assert_null(http_check_free(NULL));
        assert_null(http_runner_free(NULL));
        assert_int_equal(http_check_start(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_status, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_promql, setup, teardown),
                cmocka_unit_test_setup_teardown(test_promql_prefix, setup, teardown),
                cmocka_unit_test_setup_teardown(test_promql_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_basic_auth, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_in_done, setup, teardown),
                cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_after_loop_finished, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
