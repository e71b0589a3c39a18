/* The fixture of the hook queue tests (test-hooks, test-hooks-order):
 * recorder scripts in a root-owned 0755 directory under /var/tmp (so that
 * script_check_secure() accepts them), evidence files everyone can write,
 * the daemon's log captured, and bounded waits on the loop. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hooks-test-util.h"
#include "shared/log.h"

char base[] = "/var/tmp/promvip-test-hooks-XXXXXX";
TestUser the_user;

/* The hook every test uses: appends "start <script> <argc> <args>|<previous>><state>", waits while
 * the file "gate" exists (at most 5 s), then a bit, appends
 * "end <script>". */
const char recorder[] = "#!/bin/sh\n"
                        "echo \"start $(basename \"$0\") $# $*|$PROMVIP_PREVIOUS_STATE>$PROMVIP_STATE\" >> %s/log\n"
                        "i=0\n"
                        "while [ -e %s/gate ] && [ $i -lt 500 ]; do /bin/sleep 0.01; i=$((i + 1)); done\n"
                        "/bin/sleep 0.1\n"
                        "echo \"end $(basename \"$0\")\" >> %s/log\n";

bool root(void) {
        return geteuid() == 0;
}

const char *at(const char *name) {
        static char paths[4][512];
        static unsigned next;
        char *p = paths[next++ % 4];

        snprintf(p, 512, "%s/%s", base, name);
        return p;
}

/* base/name with `text` (each %s: base), root-owned, `mode`. */
void write_file(const char *name, const char *text, mode_t mode) {
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

void read_file(const char *name, char *buf, size_t size) {
        FILE *f = fopen(at(name), "re");
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
}

void set_hook(Fixture *f, unsigned which, const char *script) {
        Argv *a[] = { &f->cfg.notify.master, &f->cfg.notify.backup, &f->cfg.notify.fault, &f->cfg.notify.stop,
                      &f->cfg.notify.any };

        snprintf(f->paths[which], sizeof(f->paths[which]), "%s/%s", base, script);
        f->argv[which][0] = f->paths[which];
        f->argv[which][1] = NULL;
        *a[which] = (Argv) { .argv = f->argv[which], .argc = 1 };
}

/* The recorder's copies, one per hook. */
static const char *const recorders[_HOOK_MAX] = { "master.sh", "backup.sh", "fault.sh", "stop.sh", "any.sh" };

void set_recorders(Fixture *f, unsigned hooks) {
        for (unsigned i = 0; i < _HOOK_MAX; i++)
                if (hooks & BIT(i))
                        set_hook(f, i, recorders[i]);
}

/* As promvipd does: the user looked up (at a configuration load), the
 * queue keeping its own reference. */
void transition(Fixture *f, const char *user, VrrpState from, VrrpState to, uint8_t priority) {
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
void wait_idle(Fixture *f, uint64_t max_usec) {
        run_loop_until(f->event, idle, f, max_usec);
        assert_int_equal(hook_queue_pending(f->q), 0);
}

/* The daemon's log (stderr) goes into f->log until capture_end(). */
void capture_begin(Fixture *f) {
        f->capture = tmpfile();
        assert_non_null(f->capture);
        f->saved_stderr = dup(STDERR_FILENO);
        assert_true(f->saved_stderr >= 0);
        assert_true(dup2(fileno(f->capture), STDERR_FILENO) >= 0);
}

void capture_end(Fixture *f) {
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
size_t count_logged(const Fixture *f, const char *text) {
        size_t n = 0;

        for (const char *p = f->log; (p = strstr(p, text)); p++)
                n++;
        return n;
}

void assert_counters(const Fixture *f, uint64_t runs, uint64_t failures, uint64_t refused,
                            uint64_t dropped) {
        const HookCounters *c = hook_queue_counters(f->q);

        assert_non_null(c);
        assert_int_equal(c->runs, runs);
        assert_int_equal(c->failures, failures);
        assert_int_equal(c->refused, refused);
        assert_int_equal(c->dropped, dropped);
}

/* The recorder hooks wait at the gate while it exists. */
void gate_close(void) {
        write_file("gate", "", 0644);
}

void gate_open(void) {
        assert_int_equal(unlink(at("gate")), 0);
}

/* A line of the captured log "<prefix>/<script> <middle><seconds><suffix>",
 * with the base directory and a duration ("0.123") in between. */
void assert_logged(const Fixture *f, const char *prefix, const char *script, const char *middle,
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
unsigned count_starts(void) {
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
void wait_started(Fixture *f, unsigned n) {
        run_loop_until(f->event, started, &(Started) { n }, WAIT_MAX_USEC);
        assert_true(count_starts() >= n);
}

int hooks_test_setup(void **state) {
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

int hooks_test_teardown(void **state) {
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

int hooks_test_group_setup(void **state) {
        (void) state;
        if (block_daemon_signals() < 0 || test_user_pick(&the_user, true) < 0)
                return -1;
        if (tmpdir_make(base, 0755) < 0)
                return -1;
        for (unsigned i = 0; i < _HOOK_MAX; i++)
                write_file(recorders[i], recorder, 0755);
        log_set_max_level(LOG_DEBUG);
        return 0;
}

int hooks_test_group_teardown(void **state) {
        (void) state;
        return tmpdir_remove(base);
}
