#include "ctl/ctl-http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "shared/macro.h"

#define ANSWER_MAX (16u << 20)

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        CtlAnswer *a = userdata;
        size_t n = size * nmemb;
        char *d;

        if (a->len + n > ANSWER_MAX) {
                a->too_big = true;
                return 0;
        }
        d = realloc(a->data, a->len + n + 1);
        if (!d)
                return 0;
        memcpy(d + a->len, ptr, n);
        a->len += n;
        d[a->len] = '\0';
        a->data = d;
        return n;
}

static void lowercase_first(char *s) {
        if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
                s[0] = (char) (s[0] - 'A' + 'a');
}

void ctl_answer_clear(CtlAnswer *a) {
        free(a->data);
        *a = (CtlAnswer) {};
}

int ctl_request_quiet(const CtlEndpoint *e, bool post, const char *path, CtlAnswer *a, char *msg,
                      size_t msg_size) {
        char errbuf[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 64];
        const char *where = e->socket ? e->socket : e->address;
        _cleanup_free_ char *url = NULL;
        long os_errno = 0;
        CURLcode cr;
        CURL *h;

        msg[0] = '\0';
        /* Over the socket the host part is only the Host header. */
        if (asprintf(&url, "http://%s%s", e->socket ? "localhost" : e->address, path) < 0) {
                url = NULL;
                snprintf(msg, msg_size, "promvipctl: out of memory");
                return EXIT_FAIL;
        }
        h = curl_easy_init();
        if (!h) {
                snprintf(msg, msg_size, "promvipctl: cannot initialize libcurl");
                return EXIT_FAIL;
        }
        (void) curl_easy_setopt(h, CURLOPT_URL, url);
        if (e->socket)
                (void) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->socket);
        if (post)
                (void) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        (void) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        (void) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CTL_HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CTL_HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
        (void) curl_easy_setopt(h, CURLOPT_USERAGENT, "promvipctl/" PROMVIP_VERSION);
        cr = curl_easy_perform(h);
        (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->code);
        (void) curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        curl_easy_cleanup(h);

        if (cr == CURLE_OK)
                return EXIT_OK;
        if (a->too_big) {
                snprintf(msg, msg_size, "promvipctl: the answer of %s on %s is larger than %u MiB", path, where,
                        ANSWER_MAX >> 20);
                return EXIT_BAD_ANSWER;
        }
        if (cr == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof(why), "no answer within %ld s", CTL_HTTP_TIMEOUT_MS / 1000);
        else if (cr == CURLE_COULDNT_CONNECT && os_errno > 0)
                snprintf(why, sizeof(why), "%s", strerror((int) os_errno));
        else if (errbuf[0])
                snprintf(why, sizeof(why), "%s", errbuf);
        else
                snprintf(why, sizeof(why), "%s", curl_easy_strerror(cr));
        lowercase_first(why);
        if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_COULDNT_RESOLVE_HOST ||
            cr == CURLE_RECV_ERROR || cr == CURLE_SEND_ERROR || cr == CURLE_GOT_NOTHING) {
                snprintf(msg, msg_size, "promvipd is not answering on %s: %s (is it running? is global.%s set?)", where,
                        why, e->socket ? "control_socket" : "listen");
                return EXIT_UNREACHABLE;
        }
        if (cr == CURLE_OUT_OF_MEMORY || cr == CURLE_WRITE_ERROR) {
                snprintf(msg, msg_size, "promvipctl: out of memory");
                return EXIT_FAIL;
        }
        snprintf(msg, msg_size, "promvipctl: asking promvipd on %s failed: %s", where, why);
        return EXIT_BAD_ANSWER;
}

int ctl_request(const CtlEndpoint *e, bool post, const char *path, CtlAnswer *a) {
        char msg[CURL_ERROR_SIZE + 1024];
        int r = ctl_request_quiet(e, post, path, a, msg, sizeof(msg));

        if (msg[0])
                fprintf(stderr, "%s\n", msg);
        return r;
}

int ctl_get(const CtlEndpoint *e, const char *path, CtlAnswer *a) {
        int r = ctl_request(e, false, path, a);

        if (r == EXIT_OK && a->code != 200) {
                fprintf(stderr, "promvipctl: promvipd on %s answered %s with HTTP %ld\n",
                        e->socket ? e->socket : e->address, path, a->code);
                return EXIT_BAD_ANSWER;
        }
        return r;
}
