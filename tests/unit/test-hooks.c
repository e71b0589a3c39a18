/* Tests of the hook queue (hooks.c) with real hook scripts on a real
 * sd-event loop. The scripts live in a root-owned 0755 directory made under
 * /var/tmp (root-owned, 1777), so that script_check_secure() accepts them,
 * and run as "nobody"; they leave evidence in files of that directory made
 * writable by everyone (0666). Script security needs root-owned scripts,
 * so as another user only the argument checks run and the rest are
 * skipped (cmocka's skip(); cmocka-tap.py makes meson count them so).
 * Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "child-test-util.h"
#include "hooks.h"
#include "log.h"

#define OTHER_GID 12345
#define NO_USER "promvip-no-such-user"

static char base[] = "/var/tmp/promvip-test-hooks-XXXXXX";
static TestUser the_user; /* nobody */
static const char *const user_home = the_user.home;

/* Appends "start <script> <argc> <args>|<previous>><state>", waits while
 * the file "gate" exists (at most 5 s), then a bit, appends "end <script>". */
static const char recorder[] = "#!/bin/sh\n"
                               "echo \"start $(basename \"$0\") $# $*|$PROMVIP_PREVIOUS_STATE>$PROMVIP_STATE\" >> %s/log\n"
                               "i=0\n"
                               "while [ -e %s/gate ] && [ $i -lt 500 ]; do /bin/sleep 0.01; i=$((i + 1)); done\n"
                               "/bin/sleep 0.1\n"
                               "echo \"end $(basename \"$0\")\" >> %s/log\n";

enum { HOOK_MASTER, HOOK_BACKUP, HOOK_FAULT, HOOK_STOP, HOOK_ANY, _HOOK_MAX };

typedef struct Fixture {
        sd_event *event;
        HookQueue *q;
        size_t n_fds;
        /* An instance "prom", vrid 51, two VIPs; hooks set by set_hook(). */
        InstanceConfig cfg;
        char name[8];
        IpPrefix vips[2];
        char *argv[_HOOK_MAX][2];
        char paths[_HOOK_MAX][512];
        /* The log while capturing, see capture_begin(). */
        FILE *capture;
        int saved_stderr;
        char *log;
} Fixture;

static bool root(void) {
        return geteuid() == 0;
}

static const char *at(const char *name) {
        static char paths[4][512];
        static unsigned next;
        char *p = paths[next++ % 4];

        snprintf(p, 512, "%s/%s", base, name);
        return p;
}

/* base/name with `text` (each %s: base), root-owned, `mode`. */
static void write_file(const char *name, const char *text, mode_t mode) {
        const char *path = at(name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        for (const char *s = text; *s; s++) {
                if (s[0] == '%' && s[1] == 's') {
                        fputs(base, f);
                        s++;
                } else
                        fputc(*s, f);
        }
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void read_file(const char *name, char *buf, size_t size) {
        FILE *f = fopen(at(name), "re");
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
}

static void set_hook(Fixture *f, unsigned which, const char *script) {
        Argv *a[] = { &f->cfg.notify.master, &f->cfg.notify.backup, &f->cfg.notify.fault, &f->cfg.notify.stop,
                      &f->cfg.notify.any };

        snprintf(f->paths[which], sizeof(f->paths[which]), "%s/%s", base, script);
        f->argv[which][0] = f->paths[which];
        f->argv[which][1] = NULL;
        *a[which] = (Argv) { .argv = f->argv[which], .argc = 1 };
}

/* As promvipd does: the user looked up (at a configuration load), the
 * queue keeping its own reference. */
static void transition(Fixture *f, const char *user, VrrpState from, VrrpState to, uint8_t priority) {
        ChildUser *u = NULL;

        assert_int_equal(child_user_resolve(user, &u), 0);
        hook_queue_transition(f->q, &f->cfg, u, from, to, priority);
        child_user_unref(u);
}

static bool idle(void *userdata) {
        Fixture *f = userdata;

        return hook_queue_pending(f->q) == 0;
}

/* Runs the loop until no hook is queued or running. */
static void wait_idle(Fixture *f, uint64_t max_usec) {
        run_loop_until(f->event, idle, f, max_usec);
        assert_int_equal(hook_queue_pending(f->q), 0);
}

/* The daemon's log (stderr) goes into f->log until capture_end(). */
static void capture_begin(Fixture *f) {
        f->capture = tmpfile();
        assert_non_null(f->capture);
        f->saved_stderr = dup(STDERR_FILENO);
        assert_true(f->saved_stderr >= 0);
        assert_true(dup2(fileno(f->capture), STDERR_FILENO) >= 0);
}

static void capture_end(Fixture *f) {
        long size;
        size_t n;

        assert_true(dup2(f->saved_stderr, STDERR_FILENO) >= 0);
        close(f->saved_stderr);
        assert_int_equal(fseek(f->capture, 0, SEEK_END), 0);
        size = ftell(f->capture);
        assert_true(size >= 0);
        rewind(f->capture);
        free(f->log);
        f->log = malloc((size_t) size + 1);
        assert_non_null(f->log);
        n = fread(f->log, 1, (size_t) size, f->capture);
        f->log[n] = '\0';
        fclose(f->capture);
        fprintf(stderr, "# log:\n%.8192s%s", f->log, n > 8192 ? "\n# (log cut at 8 KiB)\n" : "");
}

/* Occurrences of `text` in the captured log. */
static size_t count_logged(const Fixture *f, const char *text) {
        size_t n = 0;

        for (const char *p = f->log; (p = strstr(p, text)); p++)
                n++;
        return n;
}

static void assert_counters(const Fixture *f, uint64_t runs, uint64_t failures, uint64_t refused,
                            uint64_t dropped) {
        const HookCounters *c = hook_queue_counters(f->q);

        assert_non_null(c);
        assert_int_equal(c->runs, runs);
        assert_int_equal(c->failures, failures);
        assert_int_equal(c->refused, refused);
        assert_int_equal(c->dropped, dropped);
}

/* The recorder hooks wait at the gate while it exists. */
static void gate_close(void) {
        write_file("gate", "", 0644);
}

static void gate_open(void) {
        assert_int_equal(unlink(at("gate")), 0);
}

/* A line of the captured log "<prefix>/<script> <middle><seconds><suffix>",
 * with the base directory and a duration ("0.123") in between. */
static void assert_logged(const Fixture *f, const char *prefix, const char *script, const char *middle,
                          const char *suffix) {
        char start[1024];
        const char *p, *end;

        snprintf(start, sizeof(start), "%s%s/%s %s", prefix, base, script, middle);
        p = strstr(f->log, start);
        assert_non_null(p);
        assert_true(p == f->log || p[-1] == '\n');
        p += strlen(start);
        end = strchr(p, '\n');
        assert_non_null(end);
        assert_true(strspn(p, "0123456789.") == 5);
        p += 5;
        assert_int_equal((size_t) (end - p), strlen(suffix));
        assert_memory_equal(p, suffix, strlen(suffix));
}

/* Lines of the hooks' log file that start with "start ". */
static unsigned count_starts(void) {
        char buf[4096];
        unsigned n = 0;

        read_file("log", buf, sizeof(buf));
        for (const char *p = buf; (p = strstr(p, "start ")); p++)
                if (p == buf || p[-1] == '\n')
                        n++;
        return n;
}

typedef struct Started {
        unsigned n;
} Started;

static bool started(void *userdata) {
        return count_starts() >= ((Started *) userdata)->n;
}

/* Runs the loop until `n` hooks in all have started. */
static void wait_started(Fixture *f, unsigned n) {
        run_loop_until(f->event, started, &(Started) { n }, WAIT_MAX_USEC);
        assert_true(count_starts() >= n);
}

/* Three quick transitions, each after the previous hook started: their
 * hooks in order, one after the other, none started from the caller. */
static void test_order(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        assert_int_equal(hook_queue_pending(f->q), 1);
        assert_int_equal(find_child(), 0); /* started from the loop, not from the caller */
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        assert_int_equal(hook_queue_pending(f->q), 2); /* waits for the running one */
        gate_open();
        wait_started(f, 2);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start backup.sh 0 |MASTER>BACKUP\nend backup.sh\n"
                                 "start master.sh 0 |BACKUP>MASTER\nend master.sh\n");
        assert_counters(f, 3, 0, 0, 0);
        assert_int_equal(count_logged(f, "dropped"), 0);
        assert_true(hook_queue_counters(f->q)->last_duration_usec >= 100 * USEC_PER_MSEC);
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "master.sh", "(MASTER) done in ", " s");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "backup.sh", "(BACKUP) done in ", " s");
}

/* A transition drops the hooks that wait (for states already left), not
 * the running one; each drop is counted, and logged once naming the states. */
static void test_coalesce(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100); /* drops any.sh (MASTER) */
        assert_int_equal(hook_queue_pending(f->q), 3);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 140); /* drops backup.sh, any.sh */
        assert_int_equal(hook_queue_pending(f->q), 3);
        gate_open();
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start any.sh 4 INSTANCE prom MASTER 140|BACKUP>MASTER\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 3);
        assert_int_equal(count_logged(f, "dropped"), 2);
        assert_non_null(strstr(f->log, "promvipd: notice: instance 'prom': dropped 1 waiting hook for MASTER: "
                                       "superseded by the transition to BACKUP\n"));
        assert_non_null(strstr(f->log, "promvipd: notice: instance 'prom': dropped 2 waiting hooks for BACKUP: "
                                       "superseded by the transition to MASTER\n"));
}

/* Hooks not started yet go too, even with nothing running; so do those of
 * a transition to a state without hooks. */
static void test_coalesce_not_started(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_FAULT, "fault.sh");
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100); /* no backup hook */
        assert_int_equal(hook_queue_pending(f->q), 0);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        transition(f, "nobody", VRRP_STATE_FAULT, _VRRP_STATE_MAX, 100); /* not a state: ignored */
        assert_int_equal(hook_queue_pending(f->q), 1);
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start fault.sh 0 |BACKUP>FAULT\nend fault.sh\n");
        assert_counters(f, 1, 0, 0, 1);
}

/* A flapping router: a thousand transitions while a slow hook runs. That
 * hook is not interrupted; the queue never holds more than it and one
 * transition's hooks; only the last transition's hooks run after it (state
 * hook, then `any`); every other hook is counted as dropped, with one log
 * line per transition. */
static void test_flood(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        set_hook(f, HOOK_FAULT, "fault.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        f->cfg.notify.timeout_usec = 3600 * USEC_PER_SEC;
        capture_begin(f);
        gate_close();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        for (unsigned i = 1; i < 999; i++) {
                if (i % 2)
                        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
                else
                        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
                assert_true(hook_queue_pending(f->q) <= HOOK_QUEUE_MAX);
        }
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_FAULT, 7); /* the thousandth */
        assert_int_equal(hook_queue_pending(f->q), 3);
        gate_open();
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start fault.sh 0 |MASTER>FAULT\nend fault.sh\n"
                                 "start any.sh 4 INSTANCE prom FAULT 7|MASTER>FAULT\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 1 + 998 * 2);
        assert_int_equal(count_logged(f, ": dropped "), 999);
        assert_int_equal(
                count_logged(f, "dropped 2 waiting hooks for BACKUP: superseded by the transition to MASTER\n"), 499);
        assert_non_null(strstr(f->log, "dropped 2 waiting hooks for MASTER: superseded by the transition to FAULT\n"));
}

/* `any` after the state's hook, with keepalived's arguments. */
static void test_any(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        assert_int_equal(hook_queue_pending(f->q), 2);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 90); /* no backup hook */
        assert_int_equal(hook_queue_pending(f->q), 1);
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start master.sh 0 |BACKUP>MASTER\nend master.sh\n"
                                 "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom BACKUP 90|MASTER>BACKUP\nend any.sh\n");
        assert_counters(f, 3, 0, 0, 0);
}

/* Each state its hook; INIT none. */
static void test_states(void **state) {
        Fixture *f = *state;
        char buf[4096];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        set_hook(f, HOOK_FAULT, "fault.sh");
        set_hook(f, HOOK_STOP, "stop.sh");
        transition(f, "nobody", VRRP_STATE_INIT, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_FAULT, VRRP_STATE_STOP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_STOP, VRRP_STATE_INIT, 100);
        transition(f, "nobody", VRRP_STATE_STOP, _VRRP_STATE_MAX, 100);
        assert_int_equal(hook_queue_pending(f->q), 0);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start backup.sh 0 |INIT>BACKUP\nend backup.sh\n"
                                 "start fault.sh 0 |BACKUP>FAULT\nend fault.sh\n"
                                 "start stop.sh 0 |FAULT>STOP\nend stop.sh\n");
        assert_counters(f, 3, 0, 0, 0);
}

/* Exactly the documented environment. */
static void test_environment(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[2048];

        if (!root())
                skip();
        write_file("env.sh", "#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > %s/env\n", 0755);
        set_hook(f, HOOK_ANY, "env.sh");
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);

        snprintf(expected, sizeof(expected),
                 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C.UTF-8\n"
                 "HOME=%s\nUSER=nobody\nLOGNAME=nobody\n"
                 "PROMVIP_INSTANCE=prom\nPROMVIP_STATE=BACKUP\nPROMVIP_PREVIOUS_STATE=MASTER\n"
                 "PROMVIP_PRIORITY=100\nPROMVIP_VRID=51\nPROMVIP_VIPS=192.0.2.100/24 192.0.2.101/32\n",
                 user_home);
        read_file("env", buf, sizeof(buf));
        assert_string_equal(buf, expected);
        assert_counters(f, 1, 0, 0, 0);
}

/* A hanging hook is cut at its timeout, then the next one runs. */
static void test_timeout(void **state) {
        Fixture *f = *state;
        char buf[4096];
        uint64_t start, elapsed;

        if (!root())
                skip();
        write_file("hang.sh", "#!/bin/sh\necho \"start hang.sh\" >> %s/log\necho hanging\nexec /bin/sleep 5\n", 0755);
        set_hook(f, HOOK_MASTER, "hang.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        f->cfg.notify.timeout_usec = 300 * USEC_PER_MSEC;
        capture_begin(f);
        start = now_usec();
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_started(f, 1);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        elapsed = now_usec() - start;
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start hang.sh\nstart backup.sh 0 |MASTER>BACKUP\nend backup.sh\n");
        assert_true(elapsed >= 400 * USEC_PER_MSEC); /* the timeout, then the next hook's 0.1 s */
        assert_true(elapsed < 2500 * USEC_PER_MSEC);
        assert_counters(f, 2, 1, 0, 0);
        assert_logged(f, "promvipd: warning: instance 'prom': hook ", "hang.sh", "(MASTER) timed out after ",
                      " s: no exit within 0.3 s (SIGTERM); output: hanging");
}

/* One line per run: the outcome, and the output if there is any. */
static void test_results_logged(void **state) {
        Fixture *f = *state;

        if (!root())
                skip();
        write_file("fail.sh", "#!/bin/sh\necho oops >&2\nexit 3\n", 0755);
        write_file("talk.sh", "#!/bin/sh\necho all; echo well\n", 0755);
        set_hook(f, HOOK_FAULT, "fail.sh");
        set_hook(f, HOOK_MASTER, "talk.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        capture_begin(f);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_FAULT, VRRP_STATE_MASTER, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        assert_counters(f, 3, 1, 0, 0);
        assert_logged(f, "promvipd: warning: instance 'prom': hook ", "fail.sh", "(FAULT) failed after ",
                      " s: exit status 3; output: oops");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "talk.sh", "(MASTER) done in ",
                      " s; output: all | well");
        assert_logged(f, "promvipd: info: instance 'prom': hook ", "backup.sh", "(BACKUP) done in ", " s");
}

/* Scripts others could change are refused, counted and skipped. */
static void test_insecure(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[1024];

        if (!root())
                skip();
        write_file("ww.sh", recorder, 0757);
        write_file("gw.sh", recorder, 0775);
        assert_int_equal(chown(at("gw.sh"), 0, OTHER_GID), 0);
        assert_int_equal(chmod(at("gw.sh"), 0775), 0);
        assert_int_equal(mkdir(at("open"), 0777), 0);
        assert_int_equal(chmod(at("open"), 0777), 0); /* whatever the umask */
        write_file("open/x.sh", recorder, 0755);
        set_hook(f, HOOK_MASTER, "ww.sh");
        set_hook(f, HOOK_BACKUP, "gw.sh");
        set_hook(f, HOOK_FAULT, "open/x.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        capture_begin(f);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        wait_idle(f, WAIT_MAX_USEC);
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_FAULT, 100);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom BACKUP 100|MASTER>BACKUP\nend any.sh\n"
                                 "start any.sh 4 INSTANCE prom FAULT 100|BACKUP>FAULT\nend any.sh\n");
        assert_counters(f, 3, 0, 3, 0);
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/ww.sh refused: %s/ww.sh is writable by everyone\n",
                 base, base);
        assert_non_null(strstr(f->log, expected));
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/gw.sh refused: %s/gw.sh is writable by group %u\n",
                 base, base, OTHER_GID);
        assert_non_null(strstr(f->log, expected));
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/open/x.sh refused: %s/open is writable by everyone\n",
                 base, base);
        assert_non_null(strstr(f->log, expected));

        (void) unlink(at("open/x.sh"));
        (void) rmdir(at("open"));
}

static void test_no_user(void **state) {
        Fixture *f = *state;
        char buf[4096], expected[1024];

        if (!root())
                skip();
        set_hook(f, HOOK_MASTER, "master.sh");
        set_hook(f, HOOK_ANY, "any.sh");
        capture_begin(f);
        transition(f, NO_USER, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        wait_idle(f, WAIT_MAX_USEC);
        capture_end(f);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_counters(f, 0, 0, 2, 0);
        snprintf(expected, sizeof(expected),
                 "promvipd: error: instance 'prom': hook %s/master.sh refused: user " NO_USER
                 " does not exist: set global.script_user\n",
                 base);
        assert_non_null(strstr(f->log, expected));
}

/* Freeing the queue kills the running hook; nothing queued runs. */
static void test_free_during_run(void **state) {
        Fixture *f = *state;
        char buf[4096];
        pid_t pid = 0;

        if (!root())
                skip();
        write_file("hang.sh", "#!/bin/sh\necho \"start hang.sh\" >> %s/log\nexec /bin/sleep 5\n", 0755);
        set_hook(f, HOOK_MASTER, "hang.sh");
        set_hook(f, HOOK_BACKUP, "backup.sh");
        transition(f, "nobody", VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        for (unsigned i = 0; i < 100 && pid == 0; i++) {
                assert_true(sd_event_run(f->event, 10 * USEC_PER_MSEC) >= 0);
                pid = find_child();
        }
        assert_true(pid > 0);
        transition(f, "nobody", VRRP_STATE_MASTER, VRRP_STATE_BACKUP, 100);
        assert_int_equal(hook_queue_pending(f->q), 2);
        assert_null(hook_queue_free(f->q));
        f->q = NULL;
        /* Killed; reaped at once or by the loop, whichever child.c does. */
        for (unsigned i = 0; i < 100 && !process_gone(pid); i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_true(process_gone(pid));
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        read_file("log", buf, sizeof(buf));
        assert_true(strcmp(buf, "") == 0 || strcmp(buf, "start hang.sh\n") == 0);
}

/* Everything is copied when queued: the config may go right after. */
static void test_copied_at_push(void **state) {
        Fixture *f = *state;
        char *name, *path = NULL, *user;
        char *argv[] = { NULL, NULL };
        char buf[4096];

        if (!root())
                skip();
        name = strdup("prom");
        user = strdup("nobody");
        assert_true(name && user);
        assert_true(asprintf(&path, "%s/any.sh", base) > 0);
        argv[0] = path;
        f->cfg.name = name;
        f->cfg.notify.any = (Argv) { .argv = argv, .argc = 1 };
        transition(f, user, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 150);
        memset(name, 'x', strlen(name));
        memset(path, 'x', strlen(path));
        free(name);
        free(path);
        free(user);
        f->cfg.name = f->name;
        f->cfg.notify.any = (Argv) {};
        f->cfg.n_vips = 0;
        wait_idle(f, WAIT_MAX_USEC);

        read_file("log", buf, sizeof(buf));
        assert_string_equal(buf, "start any.sh 4 INSTANCE prom MASTER 150|BACKUP>MASTER\nend any.sh\n");
        assert_counters(f, 1, 0, 0, 0);
}

/* Argument checks: these need no root. */
static void test_invalid(void **state) {
        Fixture *f = *state;
        HookQueue *q = NULL;
        ChildUser *u = NULL;

        assert_int_equal(hook_queue_new(&q, NULL, "x"), -EINVAL);
        assert_int_equal(hook_queue_new(&q, f->event, NULL), -EINVAL);
        assert_int_equal(hook_queue_new(NULL, f->event, "x"), -EINVAL);
        assert_null(q);
        assert_null(hook_queue_free(NULL));
        assert_int_equal(hook_queue_pending(NULL), 0);
        assert_null(hook_queue_counters(NULL));
        assert_int_equal(child_user_resolve("nobody", &u), 0);
        hook_queue_transition(NULL, &f->cfg, u, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        hook_queue_transition(f->q, NULL, u, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        child_user_unref(u);
        set_hook(f, HOOK_MASTER, "master.sh");
        hook_queue_transition(f->q, &f->cfg, NULL, VRRP_STATE_BACKUP, VRRP_STATE_MASTER, 100);
        assert_int_equal(hook_queue_pending(f->q), 0);
        assert_counters(f, 0, 0, 0, 0);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        int fd;

        assert_non_null(f);
        f->n_fds = count_fds();
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(hook_queue_new(&f->q, f->event, "prom"), 0);
        snprintf(f->name, sizeof(f->name), "prom");
        f->cfg.name = f->name;
        f->cfg.vrid = 51;
        f->cfg.priority = 100;
        assert_int_equal(ip_prefix_parse("192.0.2.100/24", &f->vips[0]), 0);
        assert_int_equal(ip_prefix_parse("192.0.2.101", &f->vips[1]), 0);
        f->cfg.vips = f->vips;
        f->cfg.n_vips = 2;
        f->cfg.notify.timeout_usec = 2 * USEC_PER_SEC;

        /* Empty evidence files that the hooks (as nobody) can write. */
        for (unsigned i = 0; i < 2; i++) {
                const char *path = at(i == 0 ? "log" : "env");

                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
                assert_true(fd >= 0);
                assert_int_equal(fchmod(fd, 0666), 0);
                close(fd);
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        hook_queue_free(f->q);
        sd_event_unref(f->event);
        (void) unlink(at("gate"));
        free(f->log);
        assert_int_equal(count_fds(), f->n_fds);
        assert_int_equal(find_child(), 0); /* not even a zombie */
        free(f);
        return 0;
}

static int group_setup(void **state) {
        static const char *const recorders[] = { "master.sh", "backup.sh", "fault.sh", "stop.sh", "any.sh" };

        (void) state;
        if (block_daemon_signals() < 0 || test_user_pick(&the_user, true) < 0)
                return -1;
        if (tmpdir_make(base, 0755) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(recorders) / sizeof(recorders[0]); i++)
                write_file(recorders[i], recorder, 0755);
        log_set_max_level(LOG_DEBUG);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        return tmpdir_remove(base);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_coalesce, setup, teardown),
                cmocka_unit_test_setup_teardown(test_coalesce_not_started, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
                cmocka_unit_test_setup_teardown(test_any, setup, teardown),
                cmocka_unit_test_setup_teardown(test_states, setup, teardown),
                cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_results_logged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_insecure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_during_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_copied_at_push, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
