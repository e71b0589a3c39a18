/* See child-test-util.h. */
#include "child-test-util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

int child_test_setup(void **state) {
        LoopFixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->n_fds = count_fds();
        assert_int_equal(sd_event_new(&f->event), 0);
        *state = f;
        return 0;
}

int child_test_teardown(void **state) {
        LoopFixture *f = *state;

        sd_event_unref(f->event);
        assert_int_equal(count_fds(), f->n_fds);
        assert_int_equal(find_child(), 0); /* not even a zombie */
        free(f);
        return 0;
}

size_t count_fds(void) {
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

static bool proc_stat(const char *pid, char *state, int *ppid, int *pgrp) {
        char path[300], buf[512], *p;
        bool ok = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
                ok = sscanf(p + 1, " %c %d %d", state, ppid, pgrp) == 3;
        fclose(f);
        return ok;
}

/* The first process (as a pid) for which match() holds, or 0. */
static pid_t find_process(bool (*match)(char state, int ppid, int pgrp, int arg), int arg) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        pid_t found = 0;

        assert_non_null(d);
        while (!found && (de = readdir(d))) {
                int ppid, pgrp;
                char st;

                if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && proc_stat(de->d_name, &st, &ppid, &pgrp) &&
                    match(st, ppid, pgrp, arg))
                        found = (pid_t) atoi(de->d_name);
        }
        closedir(d);
        return found;
}

static bool is_child_of(char state, int ppid, int pgrp, int parent) {
        (void) state, (void) pgrp;
        return ppid == parent;
}

static bool is_alive_in_group(char state, int ppid, int pgrp, int pgid) {
        (void) ppid;
        return pgrp == pgid && state != 'Z';
}

pid_t find_child(void) {
        return find_process(is_child_of, (int) getpid());
}

bool process_gone(pid_t pid) {
        return kill(pid, 0) < 0 && errno == ESRCH;
}

bool group_dies(pid_t pgid) {
        for (unsigned i = 0; i < 100; i++) {
                struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

                if (!find_process(is_alive_in_group, (int) pgid))
                        return true;
                nanosleep(&ts, NULL);
        }
        return false;
}

void run_loop_until(sd_event *e, bool (*until)(void *userdata), void *userdata, uint64_t max_usec) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + max_usec;

        for (unsigned i = 0; i < 10000 && !until(userdata) && now_usec(CLOCK_MONOTONIC) < deadline; i++)
                assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
}

typedef struct Count {
        const unsigned *count;
        unsigned n;
} Count;

static bool count_reached(void *userdata) {
        const Count *c = userdata;

        return *c->count >= c->n;
}

void run_loop_until_count(sd_event *e, const unsigned *count, unsigned n, uint64_t max_usec) {
        Count c = { .count = count, .n = n };

        run_loop_until(e, count_reached, &c, max_usec);
}

int block_daemon_signals(void) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

int test_user_pick(TestUser *u, bool nobody) {
        struct passwd *pw = nobody || geteuid() == 0 ? getpwnam("nobody") : getpwuid(geteuid());

        if (!pw || strlen(pw->pw_name) >= sizeof(u->name) || strlen(pw->pw_dir) >= sizeof(u->home))
                return -ESRCH;
        snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
        snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir[0] ? pw->pw_dir : "/");
        u->uid = pw->pw_uid;
        u->gid = pw->pw_gid;
        return 0;
}

int tmpdir_make(char *template, mode_t mode) {
        if (!mkdtemp(template) || chmod(template, mode) < 0)
                return -errno;
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st, (void) ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

int tmpdir_remove(const char *path) {
        return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void child_test_done(ChildRun *c, const ChildResult *r, void *userdata) {
        ChildTestRun *run = userdata;

        run->n_done++;
        run->reported = c;
        run->result = *r;
        if (run->free_in_done)
                run->free_in_done = child_run_free(run->free_in_done);
}

uint64_t child_test_run(sd_event *e, const ChildSpec *spec, ChildTestRun *run) {
        ChildRun *c = NULL;
        uint64_t start = now_usec(CLOCK_MONOTONIC);

        assert_int_equal(child_run_start(&c, e, spec, child_test_done, run), 0);
        assert_non_null(c);
        assert_int_equal(run->n_done, 0); /* never from inside start */
        run_loop_until_count(e, &run->n_done, 1, WAIT_MAX_USEC);
        assert_int_equal(run->n_done, 1);
        assert_ptr_equal(run->reported, c);
        child_run_free(c);
        return now_usec(CLOCK_MONOTONIC) - start;
}

void tmpdir_read(const char *dir, const char *name, char *buf, size_t size) {
        char path[256];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        assert_non_null(f);
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
        assert_int_equal(unlink(path), 0);
}

void tmpdir_script(char *buf, size_t size, const char *dir, const char *script) {
        char *out = buf;

        for (const char *s = script; *s && (size_t) (out - buf) < size - 1; s++) {
                if (s[0] == '%' && s[1] == 's') {
                        out += snprintf(out, size - (size_t) (out - buf), "%s", dir);
                        s++;
                } else
                        *out++ = *s;
        }
        *out = '\0';
}
