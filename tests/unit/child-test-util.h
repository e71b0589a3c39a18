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

#include "macro.h"

#define WAIT_MAX_USEC (5 * USEC_PER_SEC)

/* The fixture of a test with a fresh loop: child_test_teardown() checks
 * that no fd is left open and no child (not even a zombie) is left. */
typedef struct LoopFixture {
        sd_event *event;
        size_t n_fds;
} LoopFixture;

int child_test_setup(void **state);
int child_test_teardown(void **state);

uint64_t now_usec(void);
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
