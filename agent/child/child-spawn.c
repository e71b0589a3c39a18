/* Starting a child process (see child-spawn.h): what it needs, prepared
 * before fork(), and the forked side, system calls only. */
#include "child/child-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared/macro.h"

#define CHILD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum {
        CHILD_ENV_PATH,
        CHILD_ENV_LANG,
        CHILD_ENV_HOME,
        CHILD_ENV_USER,
        CHILD_ENV_LOGNAME,
        _CHILD_ENV_BASE,
};

void child_spawn_done(ChildSpawn *s) {
        if (s->env)
                for (size_t i = 0; i < _CHILD_ENV_BASE; i++)
                        free(s->env[i]);
        free(s->env);
        s->env = NULL;
}

static char *env_entry(const char *key, const char *value) {
        char *e;

        if (asprintf(&e, "%s=%s", key, value) < 0)
                return NULL;
        return e;
}

int child_spawn_prepare(const ChildSpec *spec, ChildSpawn *s) {
        const ChildUser *u = spec->user;
        size_t n_extra = 0;

        s->argv = spec->argv;
        s->user = u;
        while (spec->env && spec->env[n_extra])
                n_extra++;
        s->env = calloc(_CHILD_ENV_BASE + n_extra + 1, sizeof(char *));
        if (!s->env)
                return -ENOMEM;
        s->env[CHILD_ENV_PATH] = env_entry("PATH", CHILD_PATH);
        s->env[CHILD_ENV_LANG] = env_entry("LANG", "C.UTF-8");
        s->env[CHILD_ENV_HOME] = env_entry("HOME", u->home);
        s->env[CHILD_ENV_USER] = env_entry("USER", u->name);
        s->env[CHILD_ENV_LOGNAME] = env_entry("LOGNAME", u->name);
        for (size_t i = 0; i < _CHILD_ENV_BASE; i++)
                if (!s->env[i])
                        return -ENOMEM;
        for (size_t i = 0; i < n_extra; i++)
                s->env[_CHILD_ENV_BASE + i] = spec->env[i];
        return 0;
}

/* ---- the child: system calls only ---- */

static void forked_write(int fd, const char *s) {
        size_t n = strlen(s);

        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

/* "promvip: <step> <arg>: <error>" on the pipe, then exit; err 0: no
 * ": <error>". strerrordesc_np() reads a constant table (no locale, no
 * allocation), unlike strerror(). */
static _Noreturn void forked_fail(int fd, int status, const char *step, const char *arg, int err) {
        const char *desc = err != 0 ? strerrordesc_np(err) : NULL;

        forked_write(fd, "promvip: ");
        forked_write(fd, step);
        if (arg) {
                forked_write(fd, " ");
                forked_write(fd, arg);
        }
        if (err != 0) {
                forked_write(fd, ": ");
                forked_write(fd, desc ? desc : "unknown error");
        }
        forked_write(fd, "\n");
        _exit(status);
}

/* Every signal at its default and none blocked, whatever the daemon
 * inherited: ignored signals stay ignored across execve(), and GNU make,
 * for one, starts its children with signals 32 and 33 ignored. Raw system
 * calls, because glibc's sigaction() refuses those two (it reserves them).
 * An all-zero kernel sigaction is SIG_DFL with no flags and an empty mask
 * in every architecture's layout. */
static void forked_reset_signals(void) {
        static const unsigned long dfl[8];
        static const uint64_t none[2];
        const size_t sigset_size = (_NSIG - 1) / 8;

        for (int sig = 1; sig < _NSIG; sig++)
                (void) syscall(SYS_rt_sigaction, sig, dfl, NULL, sigset_size); /* EINVAL: SIGKILL, SIGSTOP */
        (void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, none, NULL, sigset_size);
}

static int forked_close_fds_from(int first) {
#ifdef SYS_close_range
        if (syscall(SYS_close_range, (unsigned) first, ~0U, 0) == 0)
                return 0;
#endif
        struct rlimit rl;
        int max = 65536;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t) max)
                max = (int) rl.rlim_cur;
        for (int fd = first; fd < max; fd++)
                (void) close(fd);
        return 0;
}

_Noreturn void child_spawn_exec(const ChildSpawn *s, int pipe_w) {
        const ChildUser *u = s->user;
        int fd, null_fd;

        forked_reset_signals();
        if (setsid() < 0)
                forked_fail(pipe_w, CHILD_STATUS_SETUP, "setsid", NULL, errno);

        /* Lift the pipe above 0..2 first, so the dup2()s below cannot
         * overwrite it (the daemon might run with a standard fd closed). */
        fd = fcntl(pipe_w, F_DUPFD, 3);
        if (fd < 0)
                forked_fail(pipe_w, CHILD_STATUS_SETUP, "fcntl", NULL, errno);
        pipe_w = fd;
        null_fd = open("/dev/null", O_RDONLY | O_NOCTTY); /* no O_CLOEXEC: may already be 0 */
        if (null_fd < 0)
                forked_fail(pipe_w, CHILD_STATUS_SETUP, "open", "/dev/null", errno);
        if ((null_fd != STDIN_FILENO && dup2(null_fd, STDIN_FILENO) < 0) ||
            dup2(pipe_w, STDOUT_FILENO) < 0 || dup2(pipe_w, STDERR_FILENO) < 0)
                forked_fail(pipe_w, CHILD_STATUS_SETUP, "dup2", NULL, errno);
        (void) forked_close_fds_from(3);

        if (u->switch_user) {
                if (setgroups((size_t) u->n_groups, u->groups) < 0)
                        forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "setgroups for user", u->name, errno);
                if (setresgid(u->gid, u->gid, u->gid) < 0)
                        forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "setgid for user", u->name, errno);
                if (setresuid(u->uid, u->uid, u->uid) < 0)
                        forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "setuid for user", u->name, errno);
                /* Dropped for good: no way back to root. */
                if (u->uid != 0 && setuid(0) == 0)
                        forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "could regain root as user", u->name, 0);
        }
        /* A daemon that is not root keeps its capabilities as ambient ones
         * (the unit's AmbientCapabilities=), which execve() would hand on:
         * commands run without any. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "dropping ambient capabilities", NULL, errno);
        if (chdir("/") < 0)
                forked_fail(STDERR_FILENO, CHILD_STATUS_SETUP, "chdir", "/", errno);

        execve(s->argv[0], s->argv, s->env);
        forked_fail(STDERR_FILENO, CHILD_STATUS_EXEC, "execve", s->argv[0], errno);
}

