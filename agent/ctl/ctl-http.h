/* promvipctl's requests to promvipd (libcurl, blocking: it is a one-shot
 * command line tool): over TCP to global.listen, or over the control
 * socket. Says what went wrong on stderr and returns an exit code. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/exit-codes.h"

/* Exit codes, documented in promvipctl --help: EXIT_OK, EXIT_FAIL
 * (configuration unreadable, out of memory, refused, ...), EXIT_USAGE and: */
enum {
        EXIT_UNREACHABLE = 3,  /* promvipd not answering, or its endpoint disabled */
        EXIT_BAD_ANSWER = 4,   /* an answer that is not the expected JSON */
};

#define CTL_HTTP_TIMEOUT_MS 2000L

/* Where promvipd answers: `address` (HOST:PORT) or `socket` (a path). */
typedef struct CtlEndpoint {
        const char *address;
        const char *socket;
} CtlEndpoint;

typedef struct CtlAnswer {
        char *data;   /* NUL-terminated, or NULL when empty */
        size_t len;
        long code;    /* HTTP status */
        bool too_big;
} CtlAnswer;

/* GET (post false) or POST with an empty body. EXIT_OK with the answer in
 * *a whenever promvipd answered, whatever the status (the caller checks
 * a->code); else EXIT_* after saying why. */
int ctl_request(const CtlEndpoint *e, bool post, const char *path, CtlAnswer *a);

/* As ctl_request(), but what went wrong is written to `msg` (of `msg_size`
 * bytes, one line without newline; "" on EXIT_OK) instead of stderr. */
int ctl_request_quiet(const CtlEndpoint *e, bool post, const char *path, CtlAnswer *a, char *msg,
                      size_t msg_size);

/* As ctl_request() with GET, and any status other than 200 is an
 * EXIT_BAD_ANSWER said on stderr. */
int ctl_get(const CtlEndpoint *e, const char *path, CtlAnswer *a);

void ctl_answer_clear(CtlAnswer *a);
