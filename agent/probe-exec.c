/* exec probes (see probe-exec.h): one child process per run, watched by
 * three event sources on the daemon's loop.
 *
 * - A child source (WEXITED) tells when the command ended; sd-event reaps
 *   it after our callback, so its pid stays reserved while we look at it.
 * - An io source reads the child's stdout and stderr (one pipe) as they
 *   come: the first EXEC_OUTPUT_MAX bytes are kept for the log, the rest is
 *   read and dropped, so the child never blocks on a full pipe.
 * - A timer at the probe's timeout sends SIGTERM to the child's process
 *   group (the child calls setsid(), so this reaches its own children too)
 *   and arms a second timer, EXEC_KILL_GRACE_USEC later, that sends
 *   SIGKILL. The grace is shorter than the 1 s of most supervisors: a
 *   health check has nothing to save, and the whole run (timeout + grace)
 *   should stay close to the probe's interval.
 *
 * A run ends when the child is reaped: the pipe is drained of what is
 * there (a background process of the command that keeps the pipe open
 * does not hold the result back) and done() is called. Failures before
 * the child exists (user lookup, pipe, fork) are reported through a defer
 * source, never from exec_check_start() itself.
 *
 * Everything the child needs (argv, environment, uid, gid, groups) is
 * prepared before fork(); the child only makes system calls, since
 * libcurl's resolver threads may hold locks of malloc or stdio. */
#include "probe-exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

#define EXEC_OUTPUT_MAX 4096
#define EXEC_KILL_GRACE_USEC (500 * USEC_PER_MSEC)
#define EXEC_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)
/* Reads per wake-up, so that a chatty child cannot starve the loop. */
#define EXEC_READS_PER_EVENT 16
#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Exit statuses of the child before execve(), as a shell would use them. */
#define EXEC_STATUS_SETUP 126
#define EXEC_STATUS_EXEC 127

enum {
        EXEC_ENV_PATH,
        EXEC_ENV_LANG,
        EXEC_ENV_HOME,
        EXEC_ENV_USER,
        EXEC_ENV_LOGNAME,
        EXEC_ENV_PROBE,
        _EXEC_ENV_MAX,
};

/* What the child needs, allocated before fork(). */
typedef struct ExecSpawn {
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        bool switch_user;
        char *env[_EXEC_ENV_MAX + 1]; /* NULL-terminated */
} ExecSpawn;

struct ExecCheck {
        sd_event *event;
        const ProbeConfig *probe;
        char *user;
        ProbeDone done;
        void *userdata;

        sd_event_source *defer_source; /* reports failures before the child exists */
        ProbeResult pending;           /* what defer_source reports */

        /* One run; all reset by exec_check_reset(). */
        bool running;
        pid_t pid; /* > 0 while the child is not reaped */
        int pipe_fd;
        sd_event_source *child_source;
        sd_event_source *io_source;
        sd_event_source *timeout_source;
        sd_event_source *kill_source;
        uint64_t start_usec;
        bool timed_out;
        bool killed;
        bool eof;
        bool truncated;
        size_t output_len;
        char output[EXEC_OUTPUT_MAX];
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void exec_spawn_done(ExecSpawn *s) {
        free(s->groups);
        s->groups = NULL;
        for (size_t i = 0; i < _EXEC_ENV_MAX; i++) {
                free(s->env[i]);
                s->env[i] = NULL;
        }
}

/* -ESRCH: no such user. */
static int exec_lookup_user(const char *name, ExecSpawn *s, char **ret_home) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *found = NULL;
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        int r;

        if (size <= 0)
                size = 16384;
        for (;;) {
                free(buf);
                buf = malloc((size_t) size);
                if (!buf)
                        return -ENOMEM;
                r = getpwnam_r(name, &pw, buf, (size_t) size, &found);
                if (r != ERANGE || size >= 1024 * 1024)
                        break;
                size *= 2;
        }
        if (!found && (r == 0 || r == ENOENT)) /* some NSS modules say ENOENT */
                return -ESRCH;
        if (r != 0)
                return -r;

        s->uid = pw.pw_uid;
        s->gid = pw.pw_gid;
        *ret_home = strdup(pw.pw_dir && pw.pw_dir[0] ? pw.pw_dir : "/");
        if (!*ret_home)
                return -ENOMEM;

        /* Supplementary groups from the group database (what initgroups()
         * would set, but initgroups() allocates: not for the child). */
        for (int n = 16, tries = 0;; tries++) {
                gid_t *g = realloc(s->groups, (size_t) n * sizeof(gid_t));

                if (!g)
                        return -ENOMEM;
                s->groups = g;
                s->n_groups = n;
                if (getgrouplist(name, s->gid, s->groups, &s->n_groups) >= 0)
                        break;
                if (tries >= 8)
                        return -E2BIG;
                n = s->n_groups > n ? s->n_groups : n * 2;
        }

        /* Root switches; a daemon already running as this user keeps what
         * it has (it could not call setgroups()); any other switch is tried
         * and fails the run if not permitted. */
        s->switch_user = geteuid() == 0 || s->uid != geteuid() || s->uid != getuid() ||
                         s->gid != getegid() || s->gid != getgid();
        return 0;
}

static char *env_entry(const char *key, const char *value) {
        char *e;

        if (asprintf(&e, "%s=%s", key, value) < 0)
                return NULL;
        return e;
}

static int exec_spawn_prepare(ExecCheck *c, ExecSpawn *s) {
        _cleanup_free_ char *home = NULL;
        int r;

        r = exec_lookup_user(c->user, s, &home);
        if (r < 0)
                return r;
        s->env[EXEC_ENV_PATH] = env_entry("PATH", EXEC_PATH);
        s->env[EXEC_ENV_LANG] = env_entry("LANG", "C.UTF-8");
        s->env[EXEC_ENV_HOME] = env_entry("HOME", home);
        s->env[EXEC_ENV_USER] = env_entry("USER", c->user);
        s->env[EXEC_ENV_LOGNAME] = env_entry("LOGNAME", c->user);
        s->env[EXEC_ENV_PROBE] = env_entry("PROMVIP_PROBE", c->probe->name);
        for (size_t i = 0; i < _EXEC_ENV_MAX; i++)
                if (!s->env[i])
                        return -ENOMEM;
        return 0;
}

/* ---- the child: system calls only ---- */

static void child_write(int fd, const char *s) {
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
static _Noreturn void child_fail(int fd, int status, const char *step, const char *arg, int err) {
        const char *desc = err != 0 ? strerrordesc_np(err) : NULL;

        child_write(fd, "promvip: ");
        child_write(fd, step);
        if (arg) {
                child_write(fd, " ");
                child_write(fd, arg);
        }
        if (err != 0) {
                child_write(fd, ": ");
                child_write(fd, desc ? desc : "unknown error");
        }
        child_write(fd, "\n");
        _exit(status);
}

static void child_reset_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++)
                (void) sigaction(sig, &sa, NULL); /* EINVAL for SIGKILL, SIGSTOP, glibc's own */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

static int child_close_fds_from(int first) {
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

static _Noreturn void child_run(const ExecCheck *c, const ExecSpawn *s, int pipe_w) {
        int fd, null_fd;

        child_reset_signals();
        if (setsid() < 0)
                child_fail(pipe_w, EXEC_STATUS_SETUP, "setsid", NULL, errno);

        /* Lift the pipe above 0..2 first, so the dup2()s below cannot
         * overwrite it (the daemon might run with a standard fd closed). */
        fd = fcntl(pipe_w, F_DUPFD, 3);
        if (fd < 0)
                child_fail(pipe_w, EXEC_STATUS_SETUP, "fcntl", NULL, errno);
        pipe_w = fd;
        null_fd = open("/dev/null", O_RDONLY | O_NOCTTY); /* no O_CLOEXEC: may already be 0 */
        if (null_fd < 0)
                child_fail(pipe_w, EXEC_STATUS_SETUP, "open", "/dev/null", errno);
        if ((null_fd != STDIN_FILENO && dup2(null_fd, STDIN_FILENO) < 0) ||
            dup2(pipe_w, STDOUT_FILENO) < 0 || dup2(pipe_w, STDERR_FILENO) < 0)
                child_fail(pipe_w, EXEC_STATUS_SETUP, "dup2", NULL, errno);
        (void) child_close_fds_from(3);

        if (s->switch_user) {
                if (setgroups((size_t) s->n_groups, s->groups) < 0)
                        child_fail(STDERR_FILENO, EXEC_STATUS_SETUP, "setgroups for user", c->user, errno);
                if (setresgid(s->gid, s->gid, s->gid) < 0)
                        child_fail(STDERR_FILENO, EXEC_STATUS_SETUP, "setgid for user", c->user, errno);
                if (setresuid(s->uid, s->uid, s->uid) < 0)
                        child_fail(STDERR_FILENO, EXEC_STATUS_SETUP, "setuid for user", c->user, errno);
                /* Dropped for good: no way back to root (a daemon with
                 * CAP_SETUID but not uid 0 would keep it across setuid). */
                if (s->uid != 0 && setuid(0) == 0)
                        child_fail(STDERR_FILENO, EXEC_STATUS_SETUP, "could regain root as user", c->user, 0);
        }
        if (chdir("/") < 0)
                child_fail(STDERR_FILENO, EXEC_STATUS_SETUP, "chdir", "/", errno);

        execve(c->probe->command.argv[0], c->probe->command.argv, s->env);
        child_fail(STDERR_FILENO, EXEC_STATUS_EXEC, "execve", c->probe->command.argv[0], errno);
}

/* ---- the parent ---- */

static void exec_check_reset(ExecCheck *c) {
        c->child_source = sd_event_source_disable_unref(c->child_source);
        c->io_source = sd_event_source_disable_unref(c->io_source);
        c->timeout_source = sd_event_source_disable_unref(c->timeout_source);
        c->kill_source = sd_event_source_disable_unref(c->kill_source);
        if (c->pipe_fd >= 0)
                (void) close(TAKE_FD(c->pipe_fd));
        c->pid = 0;
        c->running = false;
        c->timed_out = c->killed = c->eof = c->truncated = false;
        c->output_len = 0;
}

/* The collected output on one line: control characters become spaces,
 * line breaks " | ", empty lines and outer blanks are dropped. */
static char *exec_output_line(const ExecCheck *c) {
        char *line = malloc(c->output_len * 3 + sizeof(" | (truncated)"));
        size_t n = 0;
        bool line_start = true;

        if (!line)
                return NULL;
        for (size_t i = 0; i < c->output_len; i++) {
                unsigned char ch = (unsigned char) c->output[i];

                if (ch == '\n') {
                        while (n > 0 && line[n - 1] == ' ')
                                n--;
                        line_start = true;
                        continue;
                }
                if (ch < 0x20 || ch == 0x7f)
                        ch = ' ';
                if (line_start && ch == ' ')
                        continue;
                if (line_start && n > 0) {
                        memcpy(line + n, " | ", 3);
                        n += 3;
                }
                line_start = false;
                line[n++] = (char) ch;
        }
        while (n > 0 && line[n - 1] == ' ')
                n--;
        line[n] = '\0';
        if (c->truncated)
                strcat(line, n > 0 ? " | (truncated)" : "(truncated)");
        return line;
}

static void exec_log_result(const ExecCheck *c, const ProbeResult *r) {
        _cleanup_free_ char *out = exec_output_line(c);
        int level = r->failure == PROBE_OK ? LOG_DEBUG : LOG_INFO;
        const char *kill_note = !c->timed_out ? "" : c->killed ? " (SIGTERM, then SIGKILL)" : " (SIGTERM)";

        if (r->failure == PROBE_FAIL_ERROR)
                log_full(level, "probe '%s': %s", c->probe->name, r->detail);
        else if (out && out[0])
                log_full(level, "probe '%s': %s%s; output: %s", c->probe->name, r->detail, kill_note, out);
        else
                log_full(level, "probe '%s': %s%s; no output", c->probe->name, r->detail, kill_note);
}

/* Ends the run and calls done() last: done() may free the check or start
 * the next run. */
static void exec_check_finish(ExecCheck *c, const ProbeResult *r) {
        ProbeDone done = c->done;
        void *userdata = c->userdata;
        ProbeResult result = *r;

        exec_log_result(c, &result);
        exec_check_reset(c);
        done(userdata, &result);
}

static int on_deferred(sd_event_source *s, void *userdata) {
        ExecCheck *c = userdata;

        (void) s;
        exec_check_finish(c, &c->pending);
        return 0;
}

/* Reads what is there, at most `max_reads` times; sets c->eof at the end. */
static void exec_read_output(ExecCheck *c, unsigned max_reads) {
        char discard[EXEC_OUTPUT_MAX];

        for (unsigned i = 0; i < max_reads && !c->eof; i++) {
                bool keep = c->output_len < sizeof(c->output);
                char *buf = keep ? c->output + c->output_len : discard;
                size_t size = keep ? sizeof(c->output) - c->output_len : sizeof(discard);
                ssize_t n = read(c->pipe_fd, buf, size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        /* EOF, or an error that will not go away. */
                        c->eof = true;
                        (void) sd_event_source_set_enabled(c->io_source, SD_EVENT_OFF);
                        return;
                }
                if (keep)
                        c->output_len += (size_t) n;
                else
                        c->truncated = true;
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ExecCheck *c = userdata;

        (void) s, (void) fd, (void) revents;
        exec_read_output(c, EXEC_READS_PER_EVENT);
        return 0;
}

static void exec_describe_exit(const ExecCheck *c, const siginfo_t *si, ProbeResult *r) {
        if (c->timed_out) {
                r->failure = PROBE_FAIL_TIMEOUT;
                snprintf(r->detail, sizeof(r->detail), "no exit within %g s",
                         (double) c->probe->timeout_usec / USEC_PER_SEC);
        } else if (si->si_code == CLD_EXITED) {
                r->failure = si->si_status == 0 ? PROBE_OK : PROBE_FAIL_EXIT_STATUS;
                snprintf(r->detail, sizeof(r->detail), "exit status %d", si->si_status);
        } else {
                const char *name = sigabbrev_np(si->si_status);

                r->failure = PROBE_FAIL_EXIT_STATUS;
                if (name)
                        snprintf(r->detail, sizeof(r->detail), "killed by SIG%s%s", name,
                                 si->si_code == CLD_DUMPED ? " (core dumped)" : "");
                else
                        snprintf(r->detail, sizeof(r->detail), "killed by signal %d", si->si_status);
        }
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        ExecCheck *c = userdata;
        ProbeResult r = { .latency_usec = now_usec() - c->start_usec };

        (void) s;
        /* Everything the child wrote is in the pipe by now; a background
         * process holding the pipe open is not waited for. The bound keeps
         * one that writes without pause from holding the loop. */
        if (!c->eof)
                exec_read_output(c, 4 * EXEC_READS_PER_EVENT);
        exec_describe_exit(c, si, &r);
        exec_check_finish(c, &r);
        return 0;
}

/* The child's process group, or the child alone before its setsid(). Only
 * called while the child is not reaped, so the pid cannot be someone
 * else's. */
static void exec_signal(ExecCheck *c, int sig) {
        if (kill(-c->pid, sig) < 0 && errno == ESRCH)
                (void) kill(c->pid, sig);
}

static int on_kill(sd_event_source *s, uint64_t usec, void *userdata) {
        ExecCheck *c = userdata;

        (void) s, (void) usec;
        c->killed = true;
        exec_signal(c, SIGKILL);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ExecCheck *c = userdata;
        siginfo_t si = {};
        int r;

        (void) s, (void) usec;
        /* Exited already, with its child event not yet dispatched: in time. */
        if (waitid(P_PID, (id_t) c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c->pid)
                return 0;

        c->timed_out = true;
        exec_signal(c, SIGTERM);
        r = sd_event_add_time(c->event, &c->kill_source, CLOCK_MONOTONIC, now_usec() + EXEC_KILL_GRACE_USEC,
                              EXEC_TIMER_ACCURACY_USEC, on_kill, c);
        if (r < 0) {
                log_warning_errno(r, "probe '%s': cannot arm the kill timer, sending SIGKILL now: %m",
                                  c->probe->name);
                c->killed = true;
                exec_signal(c, SIGKILL);
        } else
                (void) sd_event_source_set_description(c->kill_source, "exec-probe-kill");
        return 0;
}

/* Reports a failure to run at all from the loop. */
static int exec_check_defer_failure(ExecCheck *c, const char *fmt, ...) _printf_(2, 3);
static int exec_check_defer_failure(ExecCheck *c, const char *fmt, ...) {
        va_list ap;
        int r;

        c->pending = (ProbeResult) { .failure = PROBE_FAIL_ERROR };
        va_start(ap, fmt);
        vsnprintf(c->pending.detail, sizeof(c->pending.detail), fmt, ap);
        va_end(ap);
        r = sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
        if (r < 0)
                exec_check_reset(c); /* no run after all; done() will not follow */
        return r;
}

/* Kills the child (group) and reaps it: the child is new, or dying. */
static void exec_kill_and_reap(ExecCheck *c) {
        exec_signal(c, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        c->pid = 0;
}

static int exec_watch_child(ExecCheck *c) {
        int r;

        r = sd_event_add_child(c->event, &c->child_source, c->pid, WEXITED, on_child, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->child_source, "exec-probe-child");
        r = sd_event_add_io(c->event, &c->io_source, c->pipe_fd, EPOLLIN, on_output, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->io_source, "exec-probe-output");
        r = sd_event_add_time(c->event, &c->timeout_source, CLOCK_MONOTONIC,
                              c->start_usec + c->probe->timeout_usec, EXEC_TIMER_ACCURACY_USEC, on_timeout, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->timeout_source, "exec-probe-timeout");
        return 0;
}

int exec_check_start(ExecCheck *c) {
        ExecSpawn spawn = {};
        pid_t pid;
        int fds[2], r;

        if (!c)
                return -EINVAL;
        if (c->running)
                return -EBUSY;
        c->running = true;
        c->start_usec = now_usec();

        r = exec_spawn_prepare(c, &spawn);
        if (r < 0) {
                exec_spawn_done(&spawn);
                if (r == -ESRCH)
                        return exec_check_defer_failure(c, "user %s does not exist", c->user);
                errno = -r;
                return exec_check_defer_failure(c, "cannot look up user %s: %m", c->user);
        }
        if (pipe2(fds, O_CLOEXEC) < 0) {
                exec_spawn_done(&spawn);
                return exec_check_defer_failure(c, "cannot create a pipe: %m");
        }
        c->pipe_fd = fds[0];
        if (fcntl(c->pipe_fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                (void) close(fds[1]);
                exec_spawn_done(&spawn);
                errno = -r;
                return exec_check_defer_failure(c, "cannot set up the pipe: %m");
        }

        pid = fork();
        if (pid == 0)
                child_run(c, &spawn, fds[1]);
        r = -errno;
        (void) close(fds[1]);
        exec_spawn_done(&spawn);
        if (pid < 0) {
                (void) close(TAKE_FD(c->pipe_fd));
                errno = -r;
                return exec_check_defer_failure(c, "cannot fork: %m");
        }
        c->pid = pid;

        r = exec_watch_child(c);
        if (r < 0) {
                exec_kill_and_reap(c);
                exec_check_reset(c);
                c->running = true; /* until the failure is reported */
                errno = -r;
                return exec_check_defer_failure(c, "cannot watch the child: %m");
        }
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ExecCheck *, exec_check_free);

int exec_check_new(ExecCheck **ret, sd_event *event, const ProbeConfig *probe, const char *user,
                   ProbeDone done, void *userdata) {
        _cleanup_(exec_check_freep) ExecCheck *c = NULL;
        int r;

        if (!ret || !event || !probe || !user || !done || probe->kind != PROBE_EXEC ||
            probe->command.argc == 0 || !probe->command.argv || !probe->command.argv[0])
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->pipe_fd = -1;
        c->event = sd_event_ref(event);
        c->probe = probe;
        c->done = done;
        c->userdata = userdata;
        c->user = strdup(user);
        if (!c->user)
                return -ENOMEM;
        r = sd_event_add_defer(event, &c->defer_source, on_deferred, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->defer_source, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->defer_source, "exec-probe-failure");
        *ret = TAKE_PTR(c);
        return 0;
}

ExecCheck *exec_check_free(ExecCheck *c) {
        if (!c)
                return NULL;
        if (c->pid > 0)
                exec_kill_and_reap(c);
        exec_check_reset(c);
        c->defer_source = sd_event_source_disable_unref(c->defer_source);
        sd_event_unref(c->event);
        free(c->user);
        free(c);
        return NULL;
}
