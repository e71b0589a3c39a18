/* Child processes (see child.h): one process per run, watched by three
 * event sources on the daemon's loop.
 *
 * - A child source (WEXITED) tells when the command ended; sd-event reaps
 *   it after our callback, so its pid stays reserved while we look at it.
 * - An io source reads the child's stdout and stderr (one pipe) as they
 *   come: the first CHILD_OUTPUT_MAX bytes are kept, the rest is read and
 *   dropped, so the child never blocks on a full pipe.
 * - A timer at the timeout sends SIGTERM to the child's process group (the
 *   child calls setsid(), so this reaches its own children too) and arms a
 *   second timer, CHILD_KILL_GRACE_USEC later, that sends SIGKILL. The
 *   grace is shorter than the 1 s of most supervisors: a health check or a
 *   hook past its timeout has nothing to save, and the whole run (timeout +
 *   grace) should stay close to what its caller configured.
 *
 * A run ends when the child is reaped: the pipe is drained of what is
 * there (a background process of the command that keeps the pipe open
 * does not hold the result back) and done() is called. Failures before
 * the child exists (user lookup, pipe, fork) are reported through a defer
 * source, never from child_run_start() itself.
 *
 * Everything the child needs (argv, environment, uid, gid, groups) is
 * prepared before fork(), and the forked side makes system calls only: see
 * child-spawn.c. */
#include "child/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child/child-spawn.h"
#include "shared/log.h"
#include "shared/time-util.h"

#define CHILD_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)
/* Reads per wake-up, so that a chatty child cannot starve the loop. */
#define CHILD_READS_PER_EVENT 16

struct ChildRun {
        sd_event *event;
        char *name;
        ChildDone done;
        void *userdata;
        uint64_t timeout_usec;
        uint64_t start_usec;

        sd_event_source *defer_source; /* reports a failure before the child exists */
        int start_error;               /* what defer_source reports */
        char start_failure[sizeof(((ChildResult *) NULL)->start_failure)];

        pid_t pid; /* > 0 while the child is not reaped */
        int pipe_fd;
        sd_event_source *child_source;
        sd_event_source *io_source;
        sd_event_source *timeout_source;
        sd_event_source *kill_source;
        bool timed_out;
        bool killed;
        bool eof;
        bool truncated;
        size_t output_len;
        char output[CHILD_OUTPUT_MAX];
};

/* ---- the parent ---- */

/* Every source off and the pipe closed; the pid must be reaped already. */
static void child_run_release(ChildRun *run) {
        run->defer_source = sd_event_source_disable_unref(run->defer_source);
        run->child_source = sd_event_source_disable_unref(run->child_source);
        run->io_source = sd_event_source_disable_unref(run->io_source);
        run->timeout_source = sd_event_source_disable_unref(run->timeout_source);
        run->kill_source = sd_event_source_disable_unref(run->kill_source);
        if (run->pipe_fd >= 0)
                (void) close(TAKE_FD(run->pipe_fd));
        run->pid = 0;
}

/* Ends the run and calls done() last: done() may free the run. */
static void child_run_finish(ChildRun *run, const ChildResult *r) {
        child_run_release(run);
        run->done(run, r, run->userdata);
}

static int on_deferred(sd_event_source *s, void *userdata) {
        ChildRun *run = userdata;
        ChildResult r = { .start_error = run->start_error, .timeout_usec = run->timeout_usec };

        (void) s;
        memcpy(r.start_failure, run->start_failure, sizeof(r.start_failure));
        child_run_finish(run, &r);
        return 0;
}

/* Reads what is there, at most `max_reads` times; sets run->eof at the end. */
static void child_read_output(ChildRun *run, unsigned max_reads) {
        char discard[CHILD_OUTPUT_MAX];

        for (unsigned i = 0; i < max_reads && !run->eof; i++) {
                bool keep = run->output_len < sizeof(run->output);
                char *buf = keep ? run->output + run->output_len : discard;
                size_t size = keep ? sizeof(run->output) - run->output_len : sizeof(discard);
                ssize_t n = read(run->pipe_fd, buf, size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        /* EOF, or an error that will not go away. */
                        run->eof = true;
                        (void) sd_event_source_set_enabled(run->io_source, SD_EVENT_OFF);
                        return;
                }
                if (keep)
                        run->output_len += (size_t) n;
                else
                        run->truncated = true;
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ChildRun *run = userdata;

        (void) s, (void) fd, (void) revents;
        child_read_output(run, CHILD_READS_PER_EVENT);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        ChildRun *run = userdata;
        ChildResult r = {
                .exited = si->si_code == CLD_EXITED,
                .status = si->si_status,
                .core_dumped = si->si_code == CLD_DUMPED,
                .timed_out = run->timed_out,
                .killed = run->killed,
                .timeout_usec = run->timeout_usec,
                .duration_usec = loop_now_usec(run->event, CLOCK_MONOTONIC) - run->start_usec,
        };

        (void) s;
        /* Everything the child wrote is in the pipe by now; a background
         * process holding the pipe open is not waited for. The bound keeps
         * one that writes without pause from holding the loop. */
        if (!run->eof)
                child_read_output(run, 4 * CHILD_READS_PER_EVENT);
        memcpy(r.output, run->output, run->output_len);
        r.output_len = run->output_len;
        r.truncated = run->truncated;
        child_run_finish(run, &r);
        return 0;
}

/* The child's process group, or the child alone before its setsid(). Only
 * called while the child is not reaped, so the pid cannot be someone
 * else's. */
static void child_signal(ChildRun *run, int sig) {
        if (kill(-run->pid, sig) < 0 && errno == ESRCH)
                (void) kill(run->pid, sig);
}

static int on_kill(sd_event_source *s, uint64_t usec, void *userdata) {
        ChildRun *run = userdata;

        (void) s, (void) usec;
        run->killed = true;
        child_signal(run, SIGKILL);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ChildRun *run = userdata;
        siginfo_t si = {};
        int r;

        (void) s, (void) usec;
        /* Exited already, with its child event not yet dispatched: in time. */
        if (waitid(P_PID, (id_t) run->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == run->pid)
                return 0;

        run->timed_out = true;
        child_signal(run, SIGTERM);
        r = sd_event_add_time(run->event, &run->kill_source, CLOCK_MONOTONIC,
                              loop_now_usec(run->event, CLOCK_MONOTONIC) + CHILD_KILL_GRACE_USEC,
                              CHILD_TIMER_ACCURACY_USEC, on_kill, run);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot arm the kill timer, sending SIGKILL now: %m", run->name);
                run->killed = true;
                child_signal(run, SIGKILL);
        } else
                (void) sd_event_source_set_description(run->kill_source, "child-kill");
        return 0;
}

/* Reports a failure to run at all from the loop. error: negative errno,
 * also what "%m" in fmt names. */
static int child_run_defer_failure(ChildRun *run, int error, const char *fmt, ...) _printf_(3, 4);
static int child_run_defer_failure(ChildRun *run, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        child_run_release(run);
        run->start_error = error;
        errno = -error;
        va_start(ap, fmt);
        vsnprintf(run->start_failure, sizeof(run->start_failure), fmt, ap);
        va_end(ap);
        r = sd_event_add_defer(run->event, &run->defer_source, on_deferred, run);
        if (r < 0)
                return r; /* no run after all; done() will not follow */
        (void) sd_event_source_set_description(run->defer_source, "child-failure");
        return 0;
}

/* A killed child that nobody waits for any more: the loop reaps it when it
 * exits (after this callback). Its source is floating (the loop's); no
 * longer floating, it has no owner left and goes after this dispatch. */
static int on_orphan_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        (void) si, (void) userdata;
        (void) sd_event_source_set_floating(s, false);
        return 0;
}

/* Kills the child (group) without waiting for it: a child can take its time
 * to die (a process in uninterruptible sleep), and the loop must not stall
 * meanwhile. */
static void child_kill(ChildRun *run) {
        pid_t pid = run->pid;

        child_signal(run, SIGKILL);
        run->child_source = sd_event_source_disable_unref(run->child_source);
        run->pid = 0;
        if (sd_event_add_child(run->event, NULL, pid, WEXITED, on_orphan_exit, NULL) >= 0)
                return;
        /* No source to reap it later (out of memory): a zombie until
         * promvipd exits rather than a wait on the loop. */
        if (waitpid(pid, NULL, WNOHANG) == 0)
                log_warning("%s: cannot watch the killed process %d; it stays a zombie", run->name, (int) pid);
}

static int child_run_watch(ChildRun *run) {
        int r;

        r = sd_event_add_child(run->event, &run->child_source, run->pid, WEXITED, on_child, run);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(run->child_source, "child-exit");
        r = sd_event_add_io(run->event, &run->io_source, run->pipe_fd, EPOLLIN, on_output, run);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(run->io_source, "child-output");
        if (run->timeout_usec == 0)
                return 0;
        r = sd_event_add_time(run->event, &run->timeout_source, CLOCK_MONOTONIC,
                              run->start_usec + run->timeout_usec, CHILD_TIMER_ACCURACY_USEC, on_timeout, run);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(run->timeout_source, "child-timeout");
        return 0;
}

/* Forks and watches the child, or defers the failure. < 0: neither. */
static int child_run_spawn(ChildRun *run, const ChildSpec *spec) {
        _cleanup_(child_spawn_done) ChildSpawn spawn = {};
        pid_t pid;
        int fds[2], r;

        if (child_user_error(spec->user) < 0)
                return child_run_defer_failure(run, child_user_error(spec->user), "%s",
                                               child_user_problem(spec->user));
        r = child_spawn_prepare(spec, &spawn);
        if (r < 0)
                return child_run_defer_failure(run, r, "cannot prepare the command: %m");
        if (pipe2(fds, O_CLOEXEC) < 0)
                return child_run_defer_failure(run, -errno, "cannot create a pipe: %m");
        run->pipe_fd = fds[0];
        if (fcntl(run->pipe_fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                (void) close(fds[1]);
                return child_run_defer_failure(run, r, "cannot set up the pipe: %m");
        }

        pid = fork();
        if (pid == 0)
                child_spawn_exec(&spawn, fds[1]);
        r = -errno;
        (void) close(fds[1]);
        if (pid < 0)
                return child_run_defer_failure(run, r, "cannot fork: %m");
        run->pid = pid;

        r = child_run_watch(run);
        if (r < 0) {
                child_kill(run);
                return child_run_defer_failure(run, r, "cannot watch the child: %m");
        }
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ChildRun *, child_run_free);

int child_run_start(ChildRun **ret, sd_event *event, const ChildSpec *spec, ChildDone done, void *userdata) {
        _cleanup_(child_run_freep) ChildRun *run = NULL;
        int r;

        if (!ret || !event || !spec || !spec->argv || !spec->argv[0] || !spec->user || !done)
                return -EINVAL;

        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        run->pipe_fd = -1;
        run->event = sd_event_ref(event);
        run->done = done;
        run->userdata = userdata;
        run->timeout_usec = spec->timeout_usec;
        run->start_usec = loop_now_usec(run->event, CLOCK_MONOTONIC);
        run->name = strdup(spec->name ? spec->name : spec->argv[0]);
        if (!run->name)
                return -ENOMEM;

        r = child_run_spawn(run, spec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(run);
        return 0;
}

ChildRun *child_run_free(ChildRun *run) {
        if (!run)
                return NULL;
        if (run->pid > 0)
                child_kill(run);
        child_run_release(run);
        sd_event_unref(run->event);
        free(run->name);
        free(run);
        return NULL;
}

/* ---- results, for the callers' logs ---- */

const char *child_result_describe(const ChildResult *r, char *buf, size_t size) {
        const char *name;

        if (r->start_error < 0)
                snprintf(buf, size, "%s", r->start_failure);
        else if (r->timed_out)
                snprintf(buf, size, "no exit within %g s", (double) r->timeout_usec / USEC_PER_SEC);
        else if (r->exited)
                snprintf(buf, size, "exit status %d", r->status);
        else if ((name = sigabbrev_np(r->status)))
                snprintf(buf, size, "killed by SIG%s%s", name, r->core_dumped ? " (core dumped)" : "");
        else
                snprintf(buf, size, "killed by signal %d", r->status);
        return buf;
}

const char *child_result_kill_note(const ChildResult *r) {
        return !r->timed_out ? "" : r->killed ? " (SIGTERM, then SIGKILL)" : " (SIGTERM)";
}

char *child_output_line(const ChildResult *r) {
        char *line = malloc(r->output_len * 3 + sizeof(" | (truncated)"));
        size_t n = 0;
        bool line_start = true;

        if (!line)
                return NULL;
        for (size_t i = 0; i < r->output_len; i++) {
                unsigned char ch = (unsigned char) r->output[i];

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
        if (r->truncated)
                strcat(line, n > 0 ? " | (truncated)" : "(truncated)");
        return line;
}
