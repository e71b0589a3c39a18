/* HTTP probes (kinds http and promql): the check itself (see
 * probe-http.h). A check owns an easy handle that is configured once and
 * handed to the curl glue (curl-glue.h) for each run, so curl's connection
 * cache, which belongs to the glue's multi handle, carries keep-alive
 * connections from one run to the next. This file sets up the easy handle,
 * collects the answer, reads the bearer token file and maps the outcome to
 * a ProbeResult.
 *
 * It must not drive curl's sockets or timers (the glue does) nor call
 * done() from anywhere but an event source: done() comes from the loop,
 * and nothing of the runner or the check is touched after it returns, so
 * done() may start the check again or free it. This module logs at debug
 * level only; the caller logs the result. A transfer's or an option's
 * CURLcode becomes errno or a ProbeFailure here, and nowhere else (the glue
 * only maps curl_global_init() failing). */
#include "probe/probe-http.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "probe/curl-glue.h"
#include "probe/promql.h"
#include "shared/log.h"
#include "shared/macro.h"

#define HTTP_USER_AGENT "promvip/" PROMVIP_VERSION
#define HTTP_PROMQL_BODY_MAX (1024 * 1024)
#define HTTP_TOKEN_MAX 8192
#define HTTP_AUTH_PREFIX "Authorization: Bearer "

/* A thin wrapper: the glue does the work. */
struct HttpRunner {
        CurlGlue *glue;
};

struct HttpCheck {
        CurlGlueTransfer transfer; /* first: CURLOPT_PRIVATE points here */
        HttpRunner *runner;
        const ProbeConfig *probe;
        ProbeDone done;
        void *userdata;

        CURL *easy;
        struct curl_slist *headers;     /* configured extra headers */
        struct curl_slist *run_headers; /* with the bearer token of the last run */
        sd_event_source *fail_source;   /* reports a run that could not start */
        ProbeResult fail_result;
        bool running;                   /* in the multi handle */
        bool failing;                   /* fail_source armed */

        char *body; /* promql: the answer so far */
        size_t body_len;
        size_t body_alloc;
        bool body_too_large;
        uint64_t bytes; /* http: the body is only counted */
        char errbuf[CURL_ERROR_SIZE];
};

DEFINE_TRIVIAL_CLEANUP_FUNC(HttpRunner *, http_runner_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpCheck *, http_check_free);

/* The one place where CURLcode becomes errno: the rest of the code sees
 * negative errno values only. */
static int errno_from_curl(CURLcode cc) {
        switch (cc) {
        case CURLE_OK:
                return 0;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_UNKNOWN_OPTION:
        case CURLE_NOT_BUILT_IN:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EOPNOTSUPP;
        default:
                return -EINVAL;
        }
}

/* ... and where it becomes a probe failure. */
static ProbeFailure failure_from_curl(CURLcode cc) {
        switch (cc) {
        case CURLE_OK:
                return PROBE_OK;
        case CURLE_OPERATION_TIMEDOUT:
                return PROBE_FAIL_TIMEOUT;
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_USE_SSL_FAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_QUIC_CONNECT_ERROR:
        case CURLE_PROXY:
        case CURLE_SSL_CLIENTCERT:
                return PROBE_FAIL_CONNECT;
        default:
                return PROBE_FAIL_ERROR;
        }
}

int http_runner_new(HttpRunner **ret, sd_event *event) {
        _cleanup_(http_runner_freep) HttpRunner *h = NULL;
        int r;

        if (!ret || !event)
                return -EINVAL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        r = curl_glue_new(&h->glue, event);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

HttpRunner *http_runner_free(HttpRunner *h) {
        if (!h)
                return NULL;
        (void) curl_glue_free(h->glue);
        free(h);
        return NULL;
}

/* CURLOPT_WRITEFUNCTION. A short count aborts the transfer
 * (CURLE_WRITE_ERROR). */
static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        HttpCheck *c = userdata;
        size_t n = size * nmemb; /* size is always 1 */

        if (c->probe->kind != PROBE_PROMQL) {
                c->bytes += n;
                return n;
        }
        if (n > HTTP_PROMQL_BODY_MAX - c->body_len) {
                c->body_too_large = true;
                return 0;
        }
        if (c->body_len + n > c->body_alloc) {
                size_t want = c->body_alloc ? c->body_alloc : 4096;
                char *p;

                while (want < c->body_len + n)
                        want *= 2;
                if (want > HTTP_PROMQL_BODY_MAX)
                        want = HTTP_PROMQL_BODY_MAX;
                p = realloc(c->body, want);
                if (!p)
                        return 0;
                c->body = p;
                c->body_alloc = want;
        }
        memcpy(c->body + c->body_len, ptr, n);
        c->body_len += n;
        return n;
}

static void http_check_result(HttpCheck *c, CURLcode cc, ProbeResult *ret) {
        curl_off_t total = 0;
        long status = 0;

        *ret = (ProbeResult) {};
        if (curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK && total > 0)
                ret->latency_usec = (uint64_t) total;

        if (cc == CURLE_WRITE_ERROR && c->body_too_large) {
                ret->failure = PROBE_FAIL_BAD_ANSWER;
                (void) snprintf(ret->detail, sizeof(ret->detail), "answer larger than %u MiB",
                                HTTP_PROMQL_BODY_MAX / (1024 * 1024));
                return;
        }
        if (cc != CURLE_OK) {
                ret->failure = failure_from_curl(cc);
                (void) snprintf(ret->detail, sizeof(ret->detail), "%s", curl_easy_strerror(cc));
                log_debug("http: probe %s: %s", c->probe->name, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
                return;
        }

        (void) curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
                ret->failure = PROBE_FAIL_HTTP_STATUS;
                (void) snprintf(ret->detail, sizeof(ret->detail), "HTTP %ld", status);
                return;
        }
        if (c->probe->kind == PROBE_PROMQL) {
                ret->failure = promql_evaluate(c->body, c->body_len, c->probe->min, c->probe->max, ret->detail,
                                               sizeof(ret->detail));
                return;
        }
        ret->failure = PROBE_OK;
        (void) snprintf(ret->detail, sizeof(ret->detail), "HTTP %ld", status);
        log_debug("http: probe %s: HTTP %ld, %" PRIu64 " bytes discarded", c->probe->name, status, c->bytes);
}

/* The transfer of c is over: report it. Touches nothing after done(). */
static void http_check_finish(HttpCheck *c, CURLcode cc) {
        ProbeResult result;

        http_check_result(c, cc, &result);
        (void) curl_glue_remove(c->runner->glue, c->easy);
        c->running = false;
        c->done(c->userdata, &result);
}

/* CurlGlueDone: the transfer of c is over. */
static void on_transfer_done(CurlGlueTransfer *t, CURLcode cc) {
        HttpCheck *c = (HttpCheck *) t;

        if (!c->running)
                return;
        http_check_finish(c, cc);
}

static int on_fail(sd_event_source *s, void *userdata) {
        HttpCheck *c = userdata;
        ProbeResult result = c->fail_result;

        (void) s;
        c->failing = false;
        c->done(c->userdata, &result);
        return 0;
}

/* A run that could not start still ends with done(), from the loop. */
_printf_(3, 4) static int http_check_fail(HttpCheck *c, ProbeFailure f, const char *fmt, ...) {
        va_list ap;
        int r;

        c->fail_result = (ProbeResult) { .failure = f };
        va_start(ap, fmt);
        (void) vsnprintf(c->fail_result.detail, sizeof(c->fail_result.detail), fmt, ap);
        va_end(ap);
        r = sd_event_source_set_enabled(c->fail_source, SD_EVENT_ONESHOT);
        if (r < 0)
                return r;
        c->failing = true;
        return 0;
}

/* Reads a bearer token: a small regular file, trailing white space cut.
 * The only blocking call of this module. */
static int read_token(const char *path, char *buf, size_t size, const char **reterr) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len = 0;

        *reterr = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                *reterr = "not a regular file";
                return -EINVAL;
        }
        while (len < size) {
                ssize_t n = read(fd, buf + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len == size) {
                *reterr = "too large";
                return -EFBIG;
        }
        while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r' ||
                           buf[len - 1] == '\n'))
                len--;
        buf[len] = '\0';
        if (len == 0) {
                *reterr = "empty";
                return -ENODATA;
        }
        if (strlen(buf) != len || strpbrk(buf, "\r\n")) {
                *reterr = "more than one line";
                return -EBADMSG;
        }
        return 0;
}

/* The configured headers plus "Authorization: Bearer <token>", read from
 * the file at each run so that a rotated token is picked up. */
static int http_check_set_token(HttpCheck *c) {
        const char *path = c->probe->http.bearer_token_file, *reason;
        char header[sizeof(HTTP_AUTH_PREFIX) + HTTP_TOKEN_MAX + 1];
        struct curl_slist *list = NULL, *l;
        size_t plen = strlen(HTTP_AUTH_PREFIX);
        int r;

        memcpy(header, HTTP_AUTH_PREFIX, plen);
        r = read_token(path, header + plen, HTTP_TOKEN_MAX + 1, &reason);
        if (r < 0) {
                explicit_bzero(header, sizeof(header));
                return http_check_fail(c, PROBE_FAIL_ERROR, "bearer token file %s: %s", path,
                                       reason ?: strerror(-r));
        }

        for (size_t i = 0; i < c->probe->http.n_headers; i++) {
                l = curl_slist_append(list, c->probe->http.headers[i]);
                if (!l)
                        goto oom;
                list = l;
        }
        l = curl_slist_append(list, header);
        if (!l)
                goto oom;
        list = l;
        explicit_bzero(header, sizeof(header));

        if (curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, list) != CURLE_OK) {
                curl_slist_free_all(list);
                return http_check_fail(c, PROBE_FAIL_ERROR, "cannot set the request headers");
        }
        curl_slist_free_all(c->run_headers);
        c->run_headers = list;
        return 1;

oom:
        explicit_bzero(header, sizeof(header));
        curl_slist_free_all(list);
        return http_check_fail(c, PROBE_FAIL_ERROR, "out of memory");
}

int http_check_start(HttpCheck *c) {
        CURLMcode mc;
        int r;

        if (!c)
                return -EINVAL;
        if (c->running || c->failing)
                return -EBUSY;

        c->body_len = 0;
        c->body_too_large = false;
        c->bytes = 0;
        c->errbuf[0] = '\0';

        if (c->probe->http.bearer_token_file) {
                r = http_check_set_token(c);
                if (r <= 0)
                        return r; /* 0: the failure is reported through done() */
        }

        mc = curl_glue_add(c->runner->glue, c->easy);
        if (mc != CURLM_OK)
                return http_check_fail(c, PROBE_FAIL_ERROR, "cannot start: %s", curl_multi_strerror(mc));
        c->running = true;
        /* curl answers with a 0 ms timeout: the transfer starts from the loop. */
        return 0;
}

/* <url>/api/v1/query?query=<escaped query>; the base URL may end in '/'. */
static int promql_url(CURL *easy, const ProbeConfig *probe, char **ret) {
        const char *base = probe->http.url;
        size_t blen = strlen(base);
        char *q;
        int r;

        while (blen > 0 && base[blen - 1] == '/')
                blen--;
        if (blen > INT_MAX)
                return -EINVAL;
        q = curl_easy_escape(easy, probe->query, 0);
        if (!q)
                return -ENOMEM;
        r = asprintf(ret, "%.*s/api/v1/query?query=%s", (int) blen, base, q);
        curl_free(q);
        return r < 0 ? -ENOMEM : 0;
}

static uint64_t timeout_msec(const ProbeConfig *probe) {
        uint64_t ms = (probe->timeout_usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC;

        return ms == 0 ? 1 : ms > LONG_MAX ? LONG_MAX : ms;
}

#define EASY_SETOPT(c, opt, value)                                                           \
        do {                                                                                 \
                CURLcode _cc = curl_easy_setopt((c)->easy, opt, value);                      \
                if (_cc != CURLE_OK) {                                                       \
                        log_debug("http: probe %s: cannot set " #opt ": %s", (c)->probe->name, \
                                  curl_easy_strerror(_cc));                                  \
                        return errno_from_curl(_cc);                                         \
                }                                                                            \
        } while (0)

static int http_check_setup(HttpCheck *c) {
        const HttpConfig *hc = &c->probe->http;
        _cleanup_free_ char *url = NULL;
        long ms = (long) timeout_msec(c->probe);
        int r;

        if (c->probe->kind == PROBE_PROMQL) {
                r = promql_url(c->easy, c->probe, &url);
                if (r < 0)
                        return r;
        }
        EASY_SETOPT(c, CURLOPT_URL, url ?: hc->url);
        EASY_SETOPT(c, CURLOPT_PRIVATE, &c->transfer);
        EASY_SETOPT(c, CURLOPT_NOSIGNAL, 1L);
        EASY_SETOPT(c, CURLOPT_TIMEOUT_MS, ms);
        EASY_SETOPT(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
        EASY_SETOPT(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        EASY_SETOPT(c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        EASY_SETOPT(c, CURLOPT_FOLLOWLOCATION, 0L);
        /* The probe checks the server itself: no proxy from the environment
         * (http_proxy and friends) in between. */
        EASY_SETOPT(c, CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075700 /* 7.87 */
        /* After a timeout while a name is being resolved, forget the
         * resolver thread (it frees itself when getaddrinfo() returns)
         * instead of joining it, which would block the loop. */
        EASY_SETOPT(c, CURLOPT_QUICK_EXIT, 1L);
#endif
        EASY_SETOPT(c, CURLOPT_USERAGENT, HTTP_USER_AGENT);
        EASY_SETOPT(c, CURLOPT_WRITEFUNCTION, on_write);
        EASY_SETOPT(c, CURLOPT_WRITEDATA, c);
        EASY_SETOPT(c, CURLOPT_ERRORBUFFER, c->errbuf);

        if (hc->ca_file)
                EASY_SETOPT(c, CURLOPT_CAINFO, hc->ca_file);
        if (hc->cert_file)
                EASY_SETOPT(c, CURLOPT_SSLCERT, hc->cert_file);
        if (hc->key_file)
                EASY_SETOPT(c, CURLOPT_SSLKEY, hc->key_file);
        if (hc->tls_skip_verify) {
                EASY_SETOPT(c, CURLOPT_SSL_VERIFYPEER, 0L);
                EASY_SETOPT(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (hc->username) {
                EASY_SETOPT(c, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                EASY_SETOPT(c, CURLOPT_USERNAME, hc->username);
                EASY_SETOPT(c, CURLOPT_PASSWORD, hc->password ?: "");
        }

        for (size_t i = 0; i < hc->n_headers; i++) {
                struct curl_slist *l = curl_slist_append(c->headers, hc->headers[i]);
                if (!l)
                        return -ENOMEM;
                c->headers = l;
        }
        /* With a bearer token, each run sets its own list. */
        if (c->headers && !hc->bearer_token_file)
                EASY_SETOPT(c, CURLOPT_HTTPHEADER, c->headers);
        return 0;
}

int http_check_new(HttpCheck **ret, HttpRunner *h, const ProbeConfig *probe, ProbeDone done,
                   void *userdata) {
        _cleanup_(http_check_freep) HttpCheck *c = NULL;
        int r;

        if (!ret || !h || !probe || !done || !probe->http.url ||
            (probe->kind != PROBE_HTTP && probe->kind != PROBE_PROMQL) ||
            (probe->kind == PROBE_PROMQL && !probe->query))
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (HttpCheck) { .transfer.done = on_transfer_done, .runner = h, .probe = probe, .done = done,
                           .userdata = userdata };

        r = sd_event_add_defer(curl_glue_get_event(h->glue), &c->fail_source, on_fail, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->fail_source, "http-check-fail");
        r = sd_event_source_set_enabled(c->fail_source, SD_EVENT_OFF);
        if (r < 0)
                return r;

        c->easy = curl_easy_init();
        if (!c->easy)
                return -ENOMEM;
        r = http_check_setup(c);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

HttpCheck *http_check_free(HttpCheck *c) {
        if (!c)
                return NULL;
        /* Out of the multi handle first: that also drops a finished
         * transfer's message that was not handed out yet. */
        if (c->running)
                (void) curl_glue_remove(c->runner->glue, c->easy);
        if (c->easy)
                curl_easy_cleanup(c->easy);
        curl_slist_free_all(c->headers);
        curl_slist_free_all(c->run_headers);
        (void) sd_event_source_disable_unref(c->fail_source);
        free(c->body);
        free(c);
        return NULL;
}
