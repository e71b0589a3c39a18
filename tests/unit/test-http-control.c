/* Unit tests: the control endpoint of http-api.c (a Unix socket, POST
 * /instances/NAME/release) on a real sd-event loop, and the socket file's
 * life cycle. The client is a non-blocking socket of the test itself whose
 * request fits the socket buffer; the loop runs until the server closes.
 * Every wait is bounded by a timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-event.h>

#include "endpoint/http-api.h"
#include "http-test-util.h"
#include "shared/macro.h"
#include "snapshot-fixture.h"


typedef struct Ctx {
        sd_event *event;
        HttpApi *api;
        char released[64];   /* the last name the release callback got */
        unsigned releases;
        HttpTestAnswer answer;
} Ctx;

static int take_snapshot(void *userdata, bool with_events, Snapshot *ret) {
        (void) with_events;
        (void) userdata;
        fixture_snapshot(ret);
        return 0;
}

/* "prom" is MASTER, "backup" BACKUP, "busy" handing over; nothing else exists. */
static int release(void *userdata, const char *name, uint64_t *ret_timeout_usec, const char **ret_state) {
        Ctx *c = userdata;

        c->releases++;
        snprintf(c->released, sizeof(c->released), "%s", name);
        if (strcmp(name, "prom") == 0) {
                *ret_timeout_usec = 3600000;
                return 0;
        }
        if (strcmp(name, "backup") == 0) {
                *ret_state = "BACKUP";
                return -ENOTCONN;
        }
        if (strcmp(name, "busy") == 0)
                return -EALREADY;
        return -ENOENT;
}

static int unix_connect(const char *path) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        assert_true(fd >= 0);
        memcpy(sun.sun_path, path, strlen(path) + 1);
        assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
        return fd;
}

/* Each exchange on a loop of its own (sd_event_loop() ends a loop). */
static int exchange(Ctx *c, const char *path, const char *request, const char **ret_body) {
        _cleanup_close_ int fd = -1;

        assert_int_equal(sd_event_new(&c->event), 0);
        assert_int_equal(http_api_new_control(&c->api, c->event, path, take_snapshot, release, c), 0);
        fd = unix_connect(path);
        int status = http_test_exchange(c->event, fd, request, &c->answer);
        *ret_body = http_test_body(&c->answer);
        c->api = http_api_free(c->api);
        c->event = sd_event_unref(c->event);
        return status;
}

static char *temp_path(const char *name) {
        char *dir = strdup("/tmp/pv-ctl-XXXXXX"), *path = NULL;

        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        free(dir);
        return path;
}

static void remove_temp(char *path) {
        const char *slash = strrchr(path, '/');
        char *dir;

        assert_non_null(slash);
        dir = strndup(path, (size_t) (slash - path));
        assert_non_null(dir);
        (void) unlink(path);
        assert_int_equal(rmdir(dir), 0);
        free(dir);
        free(path);
}

#define POST(url) "POST " url " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#define GET(url) "GET " url " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

static void test_release_routes(void **state) {
        static Ctx c;
        char *path = temp_path("ctl.sock");
        const char *body;
        json_t *j;

        (void) state;
        memset(&c, 0, sizeof(c));
        assert_int_equal(exchange(&c, path, POST("/instances/prom/release"), &body), 202);
        assert_string_equal(c.released, "prom");
        j = json_loads(body, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "instance")), "prom");
        assert_int_equal(json_integer_value(json_object_get(j, "timeout_usec")), 3600000);
        json_decref(j);

        assert_int_equal(exchange(&c, path, POST("/instances/backup/release"), &body), 409);
        assert_non_null(strstr(body, "\"instance 'backup' is BACKUP, not MASTER: nothing to release\""));
        assert_int_equal(exchange(&c, path, POST("/instances/busy/release"), &body), 409);
        assert_non_null(strstr(body, "already handing over"));
        assert_int_equal(exchange(&c, path, POST("/instances/nope/release"), &body), 404);
        assert_non_null(strstr(body, "\"no instance named 'nope'\""));
        /* Percent-encoding is undone before the name is looked up. */
        assert_int_equal(exchange(&c, path, POST("/instances/pr%6Fm/release"), &body), 202);
        assert_string_equal(c.released, "prom");
        assert_int_equal(c.releases, 5);

        /* Not a release: no call. */
        assert_int_equal(exchange(&c, path, GET("/instances/prom/release"), &body), 405);
        assert_non_null(strcasestr(c.answer.text, "\r\nAllow: POST\r\n"));
        assert_int_equal(exchange(&c, path, POST("/instances/a/b/release"), &body), 404);
        assert_int_equal(exchange(&c, path, POST("/instances//release"), &body), 404);
        assert_int_equal(exchange(&c, path, POST("/status"), &body), 405);
        assert_int_equal(c.releases, 5);
        /* The control socket serves /status too (promvipctl release follows it). */
        assert_int_equal(exchange(&c, path, GET("/status"), &body), 200);
        assert_non_null(strstr(body, "\"instances\""));
        remove_temp(path);
}

static void test_tcp_endpoint_has_no_release(void **state) {
        static Ctx c;
        IpAddr lo = { .family = AF_INET, .u.in.s_addr = htonl(INADDR_LOOPBACK) };
        _cleanup_close_ int fd = -1;

        (void) state;
        memset(&c, 0, sizeof(c));
        assert_int_equal(sd_event_new(&c.event), 0);
        assert_int_equal(http_api_new(&c.api, c.event, &lo, 0, take_snapshot, &c), 0);
        fd = http_test_tcp_connect(http_api_get_port(c.api));
        assert_int_equal(http_test_exchange(c.event, fd, POST("/instances/prom/release"), &c.answer), 404);
        assert_int_equal(c.releases, 0);
        http_api_free(c.api);
        sd_event_unref(c.event);
}

static void test_socket_file(void **state) {
        char *path = temp_path("ctl.sock");
        sd_event *event = NULL;
        HttpApi *api = NULL;
        struct stat st;
        int fd;
        Ctx c = {};

        (void) state;
        assert_int_equal(sd_event_new(&event), 0);
        /* A socket left behind by a crash is replaced. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        memcpy(sun.sun_path, path, strlen(path) + 1);
        assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
        close(fd);
        assert_int_equal(http_api_new_control(&api, event, path, take_snapshot, release, &c), 0);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
        api = http_api_free(api);
        assert_int_equal(lstat(path, &st), -1); /* removed on free */

        /* A socket that someone answers on (another promvipd) is left alone. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
        assert_int_equal(listen(fd, 1), 0);
        assert_int_equal(http_api_new_control(&api, event, path, take_snapshot, release, &c), -EADDRINUSE);
        assert_int_equal(lstat(path, &st), 0);
        close(fd);
        assert_int_equal(unlink(path), 0);

        /* Any other file is left alone. */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(http_api_new_control(&api, event, path, take_snapshot, release, &c), -EEXIST);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(unlink(path), 0);

        /* A socket that is no longer ours (a later promvipd took the path) stays. */
        assert_int_equal(http_api_new_control(&api, event, path, take_snapshot, release, &c), 0);
        assert_int_equal(unlink(path), 0);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
        close(fd);
        api = http_api_free(api);
        assert_int_equal(lstat(path, &st), 0);
        sd_event_unref(event);
        remove_temp(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release_routes),
                cmocka_unit_test(test_tcp_endpoint_has_no_release),
                cmocka_unit_test(test_socket_file),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
