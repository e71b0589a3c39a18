/* Tests of exec probes (probe-exec.c) with real child processes on a real
 * sd-event loop. As root the commands run as "nobody", otherwise as the
 * current user. Commands that must leave evidence write it into a
 * world-writable temporary directory. Every wait is bounded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "probe-exec.h"

#define WAIT_MAX_USEC (5 * USEC_PER_SEC)
#define INHERITED_FD 42 /* left open without O_CLOEXEC: the child must not see it */

static char user[64];
static uid_t user_uid;
static gid_t user_gid;
static char tmpdir[] = "/tmp/promvip-test-probe-exec-XXXXXX";

typedef struct Fixture {
        sd_event *event;
        size_t n_fds;
} Fixture;

typedef struct Run {
        unsigned n_done;
        ProbeResult result;
        ExecCheck *free_in_done; /* freed from inside done() */
} Run;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static size_t count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own fd */
}

/* The pid of our one child process, or 0. */
static pid_t find_child(void) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        pid_t found = 0;

        assert_non_null(d);
        while (!found && (de = readdir(d))) {
                char path[300], buf[512], *p;
                int ppid;
                FILE *f;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
                    sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == getpid())
                        found = (pid_t) atoi(de->d_name);
                fclose(f);
        }
        closedir(d);
        return found;
}

static bool process_gone(pid_t pid) {
        return kill(pid, 0) < 0 && errno == ESRCH;
}

/* Whether a process of group `pgid` still lives (zombies do not count:
 * orphans wait for init to reap them). */
static bool group_alive(pid_t pgid) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        bool alive = false;

        assert_non_null(d);
        while (!alive && (de = readdir(d))) {
                char path[300], buf[512], *p, st;
                int pgrp;
                FILE *f;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
                    sscanf(p + 1, " %c %*d %d", &st, &pgrp) == 2 && pgrp == pgid && st != 'Z')
                        alive = true;
                fclose(f);
        }
        closedir(d);
        return alive;
}

/* SIGKILL is sent to the whole group at once, but each member takes a
 * moment to die: allow it one second. */
static bool group_dies(pid_t pgid) {
        for (unsigned i = 0; i < 100; i++) {
                struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

                if (!group_alive(pgid))
                        return true;
                nanosleep(&ts, NULL);
        }
        return false;
}

static void on_done(void *userdata, const ProbeResult *r) {
        Run *run = userdata;

        run->n_done++;
        run->result = *r;
        if (run->free_in_done)
                run->free_in_done = exec_check_free(run->free_in_done);
}

static ProbeConfig probe_config(const char *const *argv, uint64_t timeout_usec) {
        ProbeConfig p = {
                .name = (char *) "t",
                .kind = PROBE_EXEC,
                .interval_usec = 10 * USEC_PER_SEC,
                .timeout_usec = timeout_usec,
                .command = { .argv = (char **) argv },
        };

        while (argv[p.command.argc])
                p.command.argc++;
        return p;
}

/* Runs the loop until `run` has `n` results or the bound passes. */
static void wait_done(sd_event *e, Run *run, unsigned n, uint64_t max_usec) {
        uint64_t deadline = now_usec() + max_usec;

        for (unsigned i = 0; i < 10000 && run->n_done < n && now_usec() < deadline; i++)
                assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
}

/* One whole run; returns its wall time. */
static uint64_t run_once(sd_event *e, const char *run_user, const char *const *argv, uint64_t timeout_usec,
                         Run *run) {
        ProbeConfig p = probe_config(argv, timeout_usec);
        ExecCheck *c = NULL;
        uint64_t start;

        assert_int_equal(exec_check_new(&c, e, &p, run_user, on_done, run), 0);
        start = now_usec();
        assert_int_equal(exec_check_start(c), 0);
        assert_int_equal(run->n_done, 0); /* never from inside start */
        wait_done(e, run, 1, WAIT_MAX_USEC);
        assert_int_equal(run->n_done, 1);
        exec_check_free(c);
        return now_usec() - start;
}

/* As run_once(), with the log (stderr) captured into `log`. */
static void run_logged(sd_event *e, const char *run_user, const char *const *argv, Run *run, char *log,
                       size_t size) {
        FILE *f = tmpfile();
        int saved = dup(STDERR_FILENO);
        size_t n;

        assert_non_null(f);
        assert_true(saved >= 0);
        assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
        run_once(e, run_user, argv, 2 * USEC_PER_SEC, run);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        rewind(f);
        n = fread(log, 1, size - 1, f);
        log[n] = '\0';
        fclose(f);
        fprintf(stderr, "# log: %s", log);
}

static size_t count_lines(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static void read_file(const char *name, char *buf, size_t size) {
        char path[256];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        f = fopen(path, "re");
        assert_non_null(f);
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
        assert_int_equal(unlink(path), 0);
}

/* "sh -c SCRIPT" with each %s in SCRIPT replaced by the temporary dir. */
static void sh_command(char *buf, size_t size, const char *script) {
        char *out = buf;

        for (const char *s = script; *s && (size_t) (out - buf) < size - 1; s++) {
                if (s[0] == '%' && s[1] == 's') {
                        out += snprintf(out, size - (size_t) (out - buf), "%s", tmpdir);
                        s++;
                } else
                        *out++ = *s;
        }
        *out = '\0';
}

static void test_true(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_string_equal(run.result.detail, "exit status 0");
        assert_true(run.result.latency_usec > 0);
        assert_true(run.result.latency_usec < 2 * USEC_PER_SEC);
}

static void test_false(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/false", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 1");
}

/* stdout and stderr both reach the log, on one line, once per run. */
static void test_output_logged(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo hello; echo; echo '  world  ' >&2; exit 3", NULL };
        Run run = {};
        char log[4096];

        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 3");
        assert_non_null(strstr(log, "probe 't': exit status 3; output: hello | world\n"));
        assert_int_equal(count_lines(log), 1);
}

static void test_killed_by_signal(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
        Run run = {};

        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "killed by SIGUSR1");
}

/* Far more output than is kept: read and dropped, the child never blocks. */
static void test_large_output(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x", NULL };
        Run run = {};
        char log[16384];

        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_non_null(strstr(log, "xxxx | (truncated)\n"));
        assert_int_equal(count_lines(log), 1);
}

static void test_timeout(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sleep", "5", NULL };
        ProbeConfig p = probe_config(argv, 300 * USEC_PER_MSEC);
        ExecCheck *c = NULL;
        Run run = {};
        uint64_t start, elapsed;
        pid_t pid;

        assert_int_equal(exec_check_new(&c, f->event, &p, user, on_done, &run), 0);
        start = now_usec();
        assert_int_equal(exec_check_start(c), 0);
        pid = find_child();
        assert_true(pid > 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        elapsed = now_usec() - start;
        assert_int_equal(run.n_done, 1);
        assert_int_equal(run.result.failure, PROBE_FAIL_TIMEOUT);
        assert_string_equal(run.result.detail, "no exit within 0.3 s");
        assert_true(elapsed >= 300 * USEC_PER_MSEC);
        assert_true(elapsed < 1500 * USEC_PER_MSEC);
        assert_true(run.result.latency_usec >= 300 * USEC_PER_MSEC);
        assert_true(process_gone(pid)); /* reaped, not a zombie */
        exec_check_free(c);
}

/* A command deaf to SIGTERM gets SIGKILL, and so do its children. */
static void test_timeout_sigkill(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "trap '' TERM; /bin/sleep 5", NULL };
        ProbeConfig p = probe_config(argv, 300 * USEC_PER_MSEC);
        ExecCheck *c = NULL;
        Run run = {};
        uint64_t start, elapsed;
        pid_t pid;

        assert_int_equal(exec_check_new(&c, f->event, &p, user, on_done, &run), 0);
        start = now_usec();
        assert_int_equal(exec_check_start(c), 0);
        pid = find_child();
        assert_true(pid > 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        elapsed = now_usec() - start;
        assert_int_equal(run.n_done, 1);
        assert_int_equal(run.result.failure, PROBE_FAIL_TIMEOUT);
        assert_true(elapsed >= 700 * USEC_PER_MSEC); /* timeout + the SIGTERM grace */
        assert_true(elapsed < 2000 * USEC_PER_MSEC);
        assert_true(process_gone(pid));
        assert_true(group_dies(pid)); /* the sleep too */
        exec_check_free(c);
}

static void test_no_program(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/nonexistent/promvip-probe", NULL };
        Run run = {};
        char log[4096];

        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 127");
        assert_non_null(strstr(log, "execve /nonexistent/promvip-probe: No such file or directory"));
}

static void test_no_user(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        Run run = {};

        run_once(f->event, "promvip-no-such-user", argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_FAIL_ERROR);
        assert_string_equal(run.result.detail, "user promvip-no-such-user does not exist");
        assert_null(find_child());
}

/* Exactly the documented environment, in this order. */
/* Without privileges, running as someone else fails in the child, visibly.
 * Only without root (cmocka 1.1's TAP "not ok # SKIP" fails in meson). */
static void test_switch_refused(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        Run run = {};
        char log[4096];

        if (geteuid() == 0)
                return;
        run_logged(f->event, "root", argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_FAIL_EXIT_STATUS);
        assert_string_equal(run.result.detail, "exit status 126");
        assert_non_null(strstr(log, "output: promvip: setgroups for user root: Operation not permitted\n"));
}

static void test_environment(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/usr/bin/env", NULL };
        struct passwd *pw = getpwnam(user);
        Run run = {};
        char log[4096], expected[1024];

        assert_non_null(pw);
        snprintf(expected, sizeof(expected),
                 "output: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin | LANG=C.UTF-8 | "
                 "HOME=%s | USER=%s | LOGNAME=%s | PROMVIP_PROBE=t\n",
                 pw->pw_dir, user, user);
        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_non_null(strstr(log, expected));
}

/* User, groups, session, signals, fds and directory of the child. */
static void test_sandbox(void **state) {
        Fixture *f = *state;
        char script[2048], buf[4096], expected[256];
        const char *argv[] = { "/bin/sh", "-c", script, NULL };
        gid_t groups[64];
        int n_groups = 64, pid, pgrp, session;
        char *p = expected;
        Run run = {};

        sh_command(script, sizeof(script),
                   "id -u > %s/uid; id -G > %s/groups; cat /proc/$$/stat > %s/stat; "
                   "grep -E '^Sig(Blk|Ign)' /proc/self/status > %s/signals; "
                   "readlink /proc/$$/fd/0 > %s/stdin; pwd > %s/pwd; "
                   "env > %s/env");
        run_once(f->event, user, argv, 2 * USEC_PER_SEC, &run);
        assert_int_equal(run.result.failure, PROBE_OK);

        read_file("uid", buf, sizeof(buf));
        assert_int_equal(atoi(buf), user_uid);

        assert_true(getgrouplist(user, user_gid, groups, &n_groups) >= 0);
        if (geteuid() == 0) {
                /* Exactly the user's groups: none of root's left. */
                p += sprintf(p, "%u", (unsigned) user_gid);
                for (int i = 0; i < n_groups; i++)
                        if (groups[i] != user_gid)
                                p += sprintf(p, " %u", (unsigned) groups[i]);
                strcat(expected, "\n");
                read_file("groups", buf, sizeof(buf));
                assert_string_equal(buf, expected);
        } else
                read_file("groups", buf, sizeof(buf));

        read_file("stat", buf, sizeof(buf));
        assert_int_equal(sscanf(buf, "%d", &pid), 1);
        assert_int_equal(sscanf(strrchr(buf, ')') + 1, " %*c %*d %d %d", &pgrp, &session), 2);
        assert_int_equal(pgrp, pid);
        assert_int_equal(session, pid);

        read_file("signals", buf, sizeof(buf));
        assert_string_equal(buf, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");

        read_file("stdin", buf, sizeof(buf));
        assert_string_equal(buf, "/dev/null\n");

        read_file("pwd", buf, sizeof(buf));
        assert_string_equal(buf, "/\n");

        read_file("env", buf, sizeof(buf));
        assert_null(strstr(buf, "SECRET"));
}

/* Only stdin, stdout and stderr are inherited (3 is ls's directory). */
static void test_fds(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/ls", "/proc/self/fd", NULL };
        Run run = {};
        char log[4096];

        run_logged(f->event, user, argv, &run, log, sizeof(log));
        assert_int_equal(run.result.failure, PROBE_OK);
        assert_non_null(strstr(log, "output: 0 | 1 | 2 | 3\n"));
}

static void test_free_during_run(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sleep", "5", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};
        pid_t pid;

        assert_int_equal(exec_check_new(&c, f->event, &p, user, on_done, &run), 0);
        assert_int_equal(exec_check_start(c), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        pid = find_child();
        assert_true(pid > 0);
        assert_null(exec_check_free(c));
        assert_true(process_gone(pid));
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 0);
        assert_null(exec_check_free(NULL));
}

/* A failure waiting in the loop is dropped by free() too. */
static void test_free_pending_failure(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ProbeConfig p = probe_config(argv, USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};

        assert_int_equal(exec_check_new(&c, f->event, &p, "promvip-no-such-user", on_done, &run), 0);
        assert_int_equal(exec_check_start(c), 0);
        exec_check_free(c);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 0);
}

static void test_busy_and_again(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};

        assert_int_equal(exec_check_new(&c, f->event, &p, user, on_done, &run), 0);
        assert_int_equal(exec_check_start(c), 0);
        assert_int_equal(exec_check_start(c), -EBUSY);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 1);
        assert_int_equal(run.result.failure, PROBE_OK);

        assert_int_equal(exec_check_start(c), 0);
        wait_done(f->event, &run, 2, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 2);
        assert_int_equal(run.result.failure, PROBE_OK);
        /* Nothing more comes. */
        assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(run.n_done, 2);
        exec_check_free(c);
}

static void test_free_in_done(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/sh", "-c", "echo bye", NULL };
        ProbeConfig p = probe_config(argv, 2 * USEC_PER_SEC);
        Run run = {};

        assert_int_equal(exec_check_new(&run.free_in_done, f->event, &p, user, on_done, &run), 0);
        assert_int_equal(exec_check_start(run.free_in_done), 0);
        wait_done(f->event, &run, 1, WAIT_MAX_USEC);
        assert_int_equal(run.n_done, 1);
        assert_null(run.free_in_done);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
}

static void test_invalid(void **state) {
        Fixture *f = *state;
        const char *argv[] = { "/bin/true", NULL };
        ProbeConfig p = probe_config(argv, USEC_PER_SEC);
        ExecCheck *c = NULL;
        Run run = {};

        p.kind = PROBE_HTTP;
        assert_int_equal(exec_check_new(&c, f->event, &p, user, on_done, &run), -EINVAL);
        p.kind = PROBE_EXEC;
        assert_int_equal(exec_check_new(&c, f->event, &p, NULL, on_done, &run), -EINVAL);
        assert_null(c);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->n_fds = count_fds();
        assert_int_equal(sd_event_new(&f->event), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        sd_event_unref(f->event);
        assert_int_equal(count_fds(), f->n_fds);
        assert_int_equal(find_child(), 0); /* not even a zombie */
        free(f);
        return 0;
}

static int group_setup(void **state) {
        sigset_t mask;
        struct passwd *pw;

        (void) state;
        /* As the daemon does for sd-event; the children must not keep it. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -1;
        signal(SIGPIPE, SIG_IGN);

        pw = geteuid() == 0 ? getpwnam("nobody") : getpwuid(geteuid());
        if (!pw || strlen(pw->pw_name) >= sizeof(user))
                return -1;
        snprintf(user, sizeof(user), "%s", pw->pw_name);
        user_uid = pw->pw_uid;
        user_gid = pw->pw_gid;

        if (!mkdtemp(tmpdir) || chmod(tmpdir, 0777) < 0)
                return -1;
        if (dup2(STDIN_FILENO, INHERITED_FD) < 0)
                return -1;
        setenv("SECRET", "inherited", 1);
        log_set_max_level(LOG_DEBUG);
        return 0;
}

static int group_teardown(void **state) {
        DIR *d = opendir(tmpdir);
        struct dirent *de;

        (void) state;
        close(INHERITED_FD);
        /* Files left by a failed test. */
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        if (d)
                closedir(d);
        return rmdir(tmpdir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_true, setup, teardown),
                cmocka_unit_test_setup_teardown(test_false, setup, teardown),
                cmocka_unit_test_setup_teardown(test_output_logged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_large_output, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout_sigkill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_switch_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sandbox, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_during_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_pending_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy_and_again, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_in_done, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
