/* `promvipctl status`, once or with --watch (see ctl-status.h): the
 * requests, messages, the watch loop and exit codes. Rendering is pure, in
 * status-table.c and ctl-text.c, handed the answer and the time.
 *
 * The watch waits in ppoll() with SIGINT and SIGTERM unblocked only there:
 * a signal ends the wait at once (no busy loop, no lost signal); during a
 * request (at most CTL_HTTP_TIMEOUT_MS) it waits until the request ends. */
#include "ctl/ctl-status.h"

#include <errno.h>
#include <math.h> /* isfinite(), a macro */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl-http.h"
#include "ctl/ctl-text.h"
#include "ctl/status-table.h"
#include "shared/macro.h"
#include "shared/time-util.h"

int ctl_status(const char *address, bool json) {
        _cleanup_free_ char *escaped = NULL;
        CtlEndpoint e = { .address = address };
        CtlAnswer a = {};
        char why[256];
        int k, r;

        r = ctl_get(&e, "/status", &a);
        if (r != EXIT_OK)
                goto out;
        k = json ? ctl_text_json_pretty(a.data ?: "", a.len, stdout, why, sizeof(why))
                 : status_table_render(a.data ?: "", a.len, now_usec(CLOCK_REALTIME), stdout, why, sizeof(why));
        if (k == -EBADMSG) {
                /* The reason can quote the answer (jansson's "near '...'"). */
                escaped = ctl_text_escape(why);
                fprintf(stderr, "promvipctl: unexpected /status answer from %s: %s\n", address,
                        escaped ?: "(out of memory)");
                r = EXIT_BAD_ANSWER;
        } else if (k < 0) {
                fprintf(stderr, "promvipctl: out of memory\n");
                r = EXIT_FAIL;
        }
        if (r == EXIT_OK && fflush(stdout) != 0)
                r = EXIT_FAIL;
out:
        ctl_answer_clear(&a);
        return r;
}

int ctl_watch_parse_interval(const char *s, uint64_t *ret_usec) {
        char *end;
        uint64_t usec;
        double secs;

        /* Plain decimal: no sign, space, exponent, hexadecimal, "inf", "nan". */
        if (!s || s[0] < '0' || s[0] > '9' || s[strspn(s, "0123456789.")] != '\0')
                return -EINVAL;
        errno = 0;
        secs = strtod(s, &end);
        if (errno || *end || !isfinite(secs))
                return -EINVAL;
        if (secs > 1e6)
                return -EINVAL;
        usec = (uint64_t) (secs * 1e6 + 0.5); /* rounded; not negative */
        if (usec < CTL_WATCH_INTERVAL_MIN_USEC || usec > CTL_WATCH_INTERVAL_MAX_USEC)
                return -EINVAL;
        *ret_usec = usec;
        return 0;
}

/* What the watch shows: the table, or one line when there is none. */
typedef enum Frame {
        FRAME_NONE,
        FRAME_TABLE,
        FRAME_DOWN,      /* promvipd is not answering */
        FRAME_BAD,       /* it answers, but not the /status table */
} Frame;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) {
        stop_signal = sig;
}

/* One poll: the frame, its text in *ret_text (malloc'ed). -ENOMEM or 0. */
static int poll_once(const CtlEndpoint *e, uint64_t interval_usec, Frame *ret_frame, char **ret_text) {
        char msg[1280], why[256];
        char *text = NULL;
        size_t len = 0;
        CtlAnswer a = {};
        FILE *f;
        int r, k = 0;

        r = ctl_request_quiet(e, false, "/status", &a, msg, sizeof(msg));
        f = open_memstream(&text, &len);
        if (!f) {
                ctl_answer_clear(&a);
                return -ENOMEM;
        }
        if (r == EXIT_UNREACHABLE) {
                *ret_frame = FRAME_DOWN;
                fprintf(f, "%s; trying again every %gs\n", msg, (double) interval_usec / 1e6);
        } else if (r != EXIT_OK) {
                *ret_frame = FRAME_BAD;
                fprintf(f, "%s; trying again\n", msg);
        } else if (a.code != 200) {
                *ret_frame = FRAME_BAD;
                fprintf(f, "promvipctl: promvipd on %s answered /status with HTTP %ld; trying again\n", e->address,
                        a.code);
        } else {
                *ret_frame = FRAME_TABLE;
                k = status_table_render(a.data ?: "", a.len, now_usec(CLOCK_REALTIME), f, why, sizeof(why));
                if (k == -EBADMSG) {
                        *ret_frame = FRAME_BAD;
                        fprintf(f, "promvipctl: unexpected /status answer from %s: %s; trying again\n", e->address,
                                why);
                }
        }
        ctl_answer_clear(&a);
        if (fclose(f) != 0 || k == -ENOMEM) {
                free(text);
                return -ENOMEM;
        }
        if (*ret_frame != FRAME_TABLE) {
                /* The message can quote the answer or the address. */
                char *escaped;

                text[strcspn(text, "\n")] = '\0';
                escaped = ctl_text_escape(text);
                free(text);
                if (!escaped || asprintf(&text, "%s\n", escaped) < 0) {
                        free(escaped);
                        return -ENOMEM;
                }
                free(escaped);
        }
        *ret_text = text;
        return 0;
}

/* Waits until `deadline` (CLOCK_MONOTONIC, µs) or a stop signal, which
 * `wait_mask` lets through. ppoll() runs at least once, with no timeout
 * left too: a signal that came during the request is taken here even when
 * the request outlasted the interval. */
static void wait_until(uint64_t deadline, const sigset_t *wait_mask) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        do {
                uint64_t left = deadline > now ? deadline - now : 0;
                struct timespec ts = { .tv_sec = (time_t) (left / USEC_PER_SEC),
                                       .tv_nsec = (long) (left % USEC_PER_SEC) * 1000 };

                (void) ppoll(NULL, 0, &ts, wait_mask);
                now = now_usec(CLOCK_MONOTONIC);
        } while (!stop_signal && now < deadline);
}

int ctl_status_watch(const char *address, uint64_t interval_usec, bool tty) {
        struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: ppoll returns */
        CtlEndpoint e = { .address = address };
        _cleanup_free_ char *shown = NULL;
        Frame shown_frame = FRAME_NONE;
        sigset_t stops, wait_mask;
        int r = EXIT_OK;

        sigemptyset(&stops);
        sigaddset(&stops, SIGINT);
        sigaddset(&stops, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &stops, &wait_mask) < 0) {
                fprintf(stderr, "promvipctl: cannot block signals: %m\n");
                return EXIT_FAIL;
        }
        sigdelset(&wait_mask, SIGINT);
        sigdelset(&wait_mask, SIGTERM);
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);

        while (!stop_signal) {
                uint64_t deadline = now_usec(CLOCK_MONOTONIC) + interval_usec;
                char *text = NULL;
                Frame frame;

                if (poll_once(&e, interval_usec, &frame, &text) < 0) {
                        fprintf(stderr, "promvipctl: out of memory\n");
                        r = EXIT_FAIL;
                        break;
                }
                /* A table when its text changes; a line once per outage. */
                if (frame != shown_frame || (frame == FRAME_TABLE && strcmp(text, shown) != 0)) {
                        if (tty)
                                fputs("\033[H\033[2J", stdout);
                        fputs(text, stdout);
                        if (!tty)
                                fputc('\n', stdout);
                        if (fflush(stdout) != 0) {
                                free(text);
                                r = EXIT_FAIL;
                                break;
                        }
                        free(shown);
                        shown = text;
                        shown_frame = frame;
                } else
                        free(text);
                wait_until(deadline, &wait_mask);
        }
        return r;
}
