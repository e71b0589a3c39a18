/* Child processes on the event loop: run one command (argv, no shell) as a
 * given user with a clean environment, watch it with event sources, cut it
 * at a timeout (SIGTERM to its process group, SIGKILL CHILD_KILL_GRACE_USEC
 * later) and report one result: how it ended, how long it took and what it
 * wrote (stdout and stderr, the first CHILD_OUTPUT_MAX bytes).
 *
 * Shared by exec probes and notify hooks; knows nothing of either. Does not
 * log results (the caller does, with its own words and level). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"

#define CHILD_OUTPUT_MAX 4096
#define CHILD_KILL_GRACE_USEC (500 * USEC_PER_MSEC)
/* Exit statuses of the child before execve(), as a shell would use them. */
#define CHILD_STATUS_SETUP 126
#define CHILD_STATUS_EXEC 127

typedef struct ChildRun ChildRun;

/* The account commands run as, looked up once when a configuration is
 * loaded (a lookup through NSS can block: LDAP, sssd) and shared by
 * reference. A user that cannot be used is an object too: runs with it end
 * before anything is forked, with its reason. */
typedef struct ChildUser ChildUser;

/* 0 with *ret set (see child_user_error()), or -ENOMEM. */
int child_user_resolve(const char *name, ChildUser **ret);
ChildUser *child_user_ref(ChildUser *u);
/* Returns NULL. */
ChildUser *child_user_unref(ChildUser *u);
const char *child_user_name(const ChildUser *u);
/* 0, or why commands cannot run as this user: -ESRCH (no such user),
 * -EPERM (promvipd is not root, and this is not its own user) or another
 * lookup error; child_user_problem() says it in words. */
int child_user_error(const ChildUser *u);
const char *child_user_problem(const ChildUser *u);

typedef struct ChildSpec {
        char *const *argv;     /* NULL-terminated; argv[0] an absolute path */
        char *const *env;      /* NULL, or NULL-terminated "KEY=VALUE" entries added after
                                * PATH, LANG, HOME, USER and LOGNAME */
        const ChildUser *user; /* the account to run as */
        uint64_t timeout_usec; /* from the start; 0: none */
        const char *name;      /* log prefix, e.g. "probe 'ready'"; NULL: argv[0] */
} ChildSpec;

typedef struct ChildResult {
        /* < 0: the command never ran (the user's child_user_error(); or
         * the pipe, fork, event source failed), why in start_failure; the fields below
         * are then all zero. A failure after fork(), such as execve() or
         * setuid(), is an exit status (CHILD_STATUS_*) with the reason in
         * the output instead. */
        int start_error;
        char start_failure[160];

        bool exited;           /* true: exit status `status`; false: killed by signal `status` */
        int status;
        bool core_dumped;
        bool timed_out;        /* the timeout passed and SIGTERM was sent ... */
        bool killed;           /* ... and SIGKILL after the grace */
        uint64_t timeout_usec; /* the spec's, for messages */
        uint64_t duration_usec;

        size_t output_len;
        bool truncated;        /* it wrote more than CHILD_OUTPUT_MAX bytes */
        char output[CHILD_OUTPUT_MAX + 1]; /* NUL-terminated (output may contain NULs) */
} ChildResult;

/* Called once per run, always from the event loop (never from inside
 * child_run_start()). r is the caller's until done() returns; done() may
 * free the run and start others. */
typedef void (*ChildDone)(ChildRun *run, const ChildResult *r, void *userdata);

/* Starts spec->argv. Everything the child needs is prepared before fork()
 * (spec and its strings are not used after this returns). 0 with *ret set:
 * done() follows, also for a command that could not be started. < 0
 * (-EINVAL, -ENOMEM, or the failure could not be reported): nothing runs
 * and done() will not be called. */
int child_run_start(ChildRun **ret, sd_event *event, const ChildSpec *spec, ChildDone done, void *userdata);

/* Kills (SIGKILL to the group) a child still running, without waiting for
 * it (the loop reaps it), and drops a result not reported yet: done() is
 * not called after this. Safe from inside done(). Returns NULL. */
ChildRun *child_run_free(ChildRun *run);

/* "exit status 3", "killed by SIGUSR1", "killed by SIGSEGV (core dumped)",
 * "no exit within 0.3 s", or start_failure. Writes into buf and returns it. */
const char *child_result_describe(const ChildResult *r, char *buf, size_t size);
/* After a timeout: " (SIGTERM)" or " (SIGTERM, then SIGKILL)"; else "". */
const char *child_result_kill_note(const ChildResult *r);
/* The output on one line: control characters become spaces, line breaks
 * " | ", empty lines and outer blanks are dropped, " | (truncated)" ends
 * output that did not fit. NULL on OOM; free() it. */
char *child_output_line(const ChildResult *r);
