/* Helpers shared by the tests that run real child processes on a real
 * sd-event loop (test-child, test-probe-exec, test-hooks): bounded waits on
 * the loop, /proc inspection, fd counting, the user the commands run as and
 * temporary directories. Failures are cmocka assertions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "child/child.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define WAIT_MAX_USEC (5 * USEC_PER_SEC)

/* The fixture of a test with a fresh loop: child_test_teardown() checks
 * that no fd is left open and no child (not even a zombie) is left. */
typedef struct LoopFixture {
        sd_event *event;
        size_t n_fds;
} LoopFixture;

int child_test_setup(void **state);
int child_test_teardown(void **state);

/* The fds this process has open. */
size_t count_fds(void);
/* The pid of a child process of ours (zombie or not), or 0. */
pid_t find_child(void);
/* Killed and reaped: not even a zombie. */
bool process_gone(pid_t pid);
/* Whether no live (not zombie) process of group `pgid` is left within one
 * second: each member of a killed group takes a moment to die. */
bool group_dies(pid_t pgid);

/* Runs the loop until `until` says so or `max_usec` passes. */
void run_loop_until(sd_event *e, bool (*until)(void *userdata), void *userdata, uint64_t max_usec);
/* Runs the loop until *count reaches n or `max_usec` passes. */
void run_loop_until_count(sd_event *e, const unsigned *count, unsigned n, uint64_t max_usec);

/* Blocks the signals the daemon blocks for sd-event (the children must not
 * keep them) and ignores SIGPIPE. < 0 on failure. */
int block_daemon_signals(void);

/* The user the commands run as: "nobody" as root (or always, with
 * `nobody`), else the current user; home "/" when it has none. */
typedef struct TestUser {
        char name[64];
        uid_t uid;
        gid_t gid;
        char home[256];
} TestUser;

int test_user_pick(TestUser *u, bool nobody);

/* mkdtemp(template), made `mode` whatever the umask. < 0 on failure. */
int tmpdir_make(char *template, mode_t mode);
/* Removes the directory and all below it (files left by a failed test). */
int tmpdir_remove(const char *path);

/* One child run watched by a test: what done() reported. */
typedef struct ChildTestRun {
        unsigned n_done;
        ChildRun *reported;     /* the run done() was called for */
        ChildResult result;
        ChildRun *free_in_done; /* freed from inside done() */
        sd_event *event;
        const ChildSpec *again; /* started from inside done(), once */
        ChildRun *started;
} ChildTestRun;

/* The ChildDone of a ChildTestRun (userdata). */
void child_test_done(ChildRun *c, const ChildResult *r, void *userdata);
/* One whole run of `spec` on `e`, done() checked to come once and from the
 * loop; returns its wall time. */
uint64_t child_test_run(sd_event *e, const ChildSpec *spec, ChildTestRun *run);

/* Reads `dir`/`name` into buf (NUL-terminated) and removes the file. */
void tmpdir_read(const char *dir, const char *name, char *buf, size_t size);
/* SCRIPT with each %s replaced by `dir`, into buf. */
void tmpdir_script(char *buf, size_t size, const char *dir, const char *script);
