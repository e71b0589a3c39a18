/* The two halves of starting a child process for child.c: what the child
 * needs, looked up and allocated in the daemon before fork(), and the
 * forked side, which makes system calls only until execve() (libcurl's
 * resolver threads may hold locks of malloc or stdio at fork()).
 *
 * The child starts clean whatever the daemon inherited or holds: its own
 * session and process group, stdin /dev/null and stdout/stderr the pipe
 * only, no other fd, every signal at its default and none blocked, no
 * ambient capabilities, the user's uid, gid and groups (when the daemon is
 * root), directory /, and exactly the environment prepared here. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "child/child.h"

/* See child.h; child-user.c. */
struct ChildUser {
        unsigned n_ref;
        char *name;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        char *home;
        bool switch_user; /* we are root: setgroups(), setresgid(), setresuid() */
        int error;
        char problem[128];
};

/* What the child needs, allocated before fork(). */
typedef struct ChildSpawn {
        char *const *argv;
        const ChildUser *user;
        char **env; /* NULL-terminated; we own the base entries, the spec the rest */
} ChildSpawn;

/* Builds the environment for spec->user, which must have no error. 0 or
 * -ENOMEM. */
int child_spawn_prepare(const ChildSpec *spec, ChildSpawn *s);
void child_spawn_done(ChildSpawn *s);

/* In the forked child: sets it up and execs s->argv with stdout and
 * stderr on pipe_w. A step that fails writes "promvip: <step>: <error>" to
 * the pipe and exits CHILD_STATUS_SETUP (CHILD_STATUS_EXEC for execve). */
_Noreturn void child_spawn_exec(const ChildSpawn *s, int pipe_w);
