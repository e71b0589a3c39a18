#include "ctl/ctl-release.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl-text.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define POLL_INTERVAL_MS 50
#define WAIT_MARGIN_USEC (2 * USEC_PER_SEC) /* over the daemon's own bound */
/* Longer than any Master_Down_Interval (version 2 at 255 s: 766 s), so a
 * hostile timeout_usec cannot keep us waiting for ever. */
#define RELEASE_WAIT_MAX_USEC (3600 * USEC_PER_SEC)

static const char *json_text(json_t *o, const char *key, const char *fallback) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : fallback;
}

/* What promvipd said, fit for the terminal (see ctl_text_escape()):
 * malloc'ed, or NULL on OOM. */
static char *said(json_t *o, const char *key, const char *fallback) {
        return ctl_text_escape(json_text(o, key, fallback));
}

/* POST the release: EXIT_OK with the longest the hand-over may take. */
static int start_release(const CtlEndpoint *e, const char *instance, uint64_t *ret_timeout_usec) {
        _cleanup_free_ char *path = NULL;
        CtlAnswer a = {};
        json_t *root = NULL;
        char *escaped = curl_easy_escape(NULL, instance, 0);
        int r;

        if (!escaped || asprintf(&path, "/instances/%s/release", escaped) < 0) {
                curl_free(escaped);
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        curl_free(escaped);
        r = ctl_request(e, true, path, &a);
        if (r != EXIT_OK)
                goto out;
        root = json_loadb(a.data ? a.data : "", a.len, 0, NULL);
        if ((a.code == 404 || a.code == 409) && json_is_string(json_object_get(root, "error"))) {
                _cleanup_free_ char *error = said(root, "error", "");

                fprintf(stderr, "promvipctl: %s\n", error ?: "(out of memory)");
                r = EXIT_FAIL;
        } else if (a.code == 202 && json_is_integer(json_object_get(root, "timeout_usec"))) {
                json_int_t t = json_integer_value(json_object_get(root, "timeout_usec"));

                *ret_timeout_usec = t <= 0 ? 0 : (uint64_t) t;
                if (*ret_timeout_usec > RELEASE_WAIT_MAX_USEC)
                        *ret_timeout_usec = RELEASE_WAIT_MAX_USEC;
        } else {
                char body[201];
                _cleanup_free_ char *text = NULL;

                snprintf(body, sizeof(body), "%s", a.data ? a.data : "");
                text = ctl_text_escape(body);
                fprintf(stderr, "promvipctl: unexpected answer to the release from %s: HTTP %ld %s\n", e->socket,
                        a.code, text ?: "(out of memory)");
                r = EXIT_BAD_ANSWER;
        }
out:
        json_decref(root);
        ctl_answer_clear(&a);
        return r;
}

typedef enum Progress {
        PROGRESS_WAITING,
        PROGRESS_RELEASED,
        PROGRESS_FAILED,
} Progress;

/* One look at /status: how the hand-over of `instance` stands. */
static int check(const CtlEndpoint *e, const char *instance, Progress *ret) {
        CtlAnswer a = {};
        json_t *root, *list, *inst = NULL, *it;
        size_t i;
        int r = ctl_get(e, "/status", &a);

        if (r != EXIT_OK) {
                ctl_answer_clear(&a);
                return r;
        }
        root = json_loadb(a.data ? a.data : "", a.len, 0, NULL);
        ctl_answer_clear(&a);
        list = json_object_get(root, "instances");
        json_array_foreach(list, i, it)
                if (strcmp(json_text(it, "name", ""), instance) == 0)
                        inst = it;
        if (!inst) {
                fprintf(stderr, "promvipctl: instance '%s' is no longer in promvipd's /status\n", instance);
                json_decref(root);
                return json_is_array(list) ? EXIT_FAIL : EXIT_BAD_ANSWER;
        }
        const char *state = json_text(inst, "state", "?"), *handover = json_text(inst, "handover", "?");
        if (strcmp(state, "MASTER") == 0 && strcmp(handover, "none") != 0)
                *ret = PROGRESS_WAITING;
        else if (strcmp(state, "BACKUP") == 0) {
                _cleanup_free_ char *master = said(inst, "master", "(not heard yet)");

                printf("instance '%s' released: BACKUP, the master is now %s\n", instance,
                       master ?: "(out of memory)");
                *ret = PROGRESS_RELEASED;
        } else if (strcmp(state, "MASTER") == 0) {
                fprintf(stderr,
                        "promvipctl: release of '%s' failed: no other router took over within "
                        "Master_Down_Interval; it is still MASTER\n",
                        instance);
                *ret = PROGRESS_FAILED;
        } else {
                _cleanup_free_ char *escaped = ctl_text_escape(state);

                fprintf(stderr, "promvipctl: instance '%s' went %s during the release\n", instance,
                        escaped ?: "(out of memory)");
                *ret = PROGRESS_FAILED;
        }
        json_decref(root);
        return EXIT_OK;
}

int ctl_release(const CtlEndpoint *e, const char *instance) {
        uint64_t timeout = 0, deadline;
        unsigned max_polls;
        int r = start_release(e, instance, &timeout);

        if (r != EXIT_OK)
                return r;
        deadline = now_usec(CLOCK_MONOTONIC) + timeout + WAIT_MARGIN_USEC;
        max_polls = (unsigned) ((timeout + WAIT_MARGIN_USEC) / (POLL_INTERVAL_MS * USEC_PER_MSEC)) + 1;
        for (unsigned k = 0; k < max_polls && now_usec(CLOCK_MONOTONIC) < deadline; k++) {
                Progress p = PROGRESS_WAITING;

                r = check(e, instance, &p);
                if (r != EXIT_OK)
                        return r;
                if (p != PROGRESS_WAITING)
                        return p == PROGRESS_RELEASED ? (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL) : EXIT_FAIL;
                nanosleep(&(struct timespec) { .tv_nsec = POLL_INTERVAL_MS * 1000000L }, NULL);
        }
        fprintf(stderr, "promvipctl: instance '%s' is still handing over after %.1f s\n", instance,
                (double) (timeout + WAIT_MARGIN_USEC) / USEC_PER_SEC);
        return EXIT_FAIL;
}
