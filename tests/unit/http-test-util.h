/* Helpers of the HTTP endpoint's unit tests (test-http-api.c,
 * test-http-control.c): one request over a non-blocking client socket,
 * served by the loop under test, bounded by a deadline. Include after
 * cmocka.h. */
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "shared/macro.h"

#define HTTP_TEST_LIMIT_USEC (5 * USEC_PER_SEC)

typedef struct HttpTestAnswer {
        char text[65536]; /* NUL-terminated */
        size_t n;
} HttpTestAnswer;

static inline int http_test_on_read(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpTestAnswer *a = userdata;
        ssize_t k;

        (void) revents;
        k = read(fd, a->text + a->n, sizeof(a->text) - 1 - a->n);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : sd_event_exit(sd_event_source_get_event(s), -errno);
        if (k == 0 || a->n + (size_t) k >= sizeof(a->text) - 1)
                return sd_event_exit(sd_event_source_get_event(s), 0);
        a->n += (size_t) k;
        return 0;
}

static inline int http_test_on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) usec;
        (void) userdata;
        return sd_event_exit(sd_event_source_get_event(s), -ETIMEDOUT);
}

/* Sends `request` on fd (connected or connecting, non-blocking) and runs
 * the loop until the server closes; returns the HTTP status. The loop is
 * finished afterwards (sd_event_loop()). */
static inline int http_test_exchange(sd_event *event, int fd, const char *request, HttpTestAnswer *a) {
        sd_event_source *answer = NULL, *deadline = NULL;
        int status = 0;
        uint64_t now;

        a->n = 0;
        assert_int_equal(sd_event_add_io(event, &answer, fd, EPOLLIN, http_test_on_read, a), 0);
        assert_true(sd_event_now(event, CLOCK_MONOTONIC, &now) >= 0);
        assert_int_equal(sd_event_add_time(event, &deadline, CLOCK_MONOTONIC, now + HTTP_TEST_LIMIT_USEC, 0,
                                           http_test_on_deadline, NULL), 0);
        assert_int_equal(sd_event_run(event, 50 * USEC_PER_MSEC) >= 0, 1); /* lets a connect finish */
        assert_int_equal(write(fd, request, strlen(request)), (ssize_t) strlen(request));
        assert_int_equal(sd_event_loop(event), 0);
        sd_event_source_disable_unref(answer);
        sd_event_source_disable_unref(deadline);
        a->text[a->n] = '\0';
        assert_int_equal(sscanf(a->text, "HTTP/1.%*d %d", &status), 1);
        return status;
}

/* A non-blocking client socket connecting to 127.0.0.1:port (loopback: the
 * handshake completes in the kernel's backlog). */
static inline int http_test_tcp_connect(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        assert_true(fd >= 0);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
        return fd;
}

/* The body of an answer. */
static inline const char *http_test_body(const HttpTestAnswer *a) {
        const char *body = strstr(a->text, "\r\n\r\n");

        assert_non_null(body);
        return body + 4;
}
