/* Unit tests: the file probe runner (probe-file.c) on a real sd-event
 * loop and real inotify: a file written, replaced, removed; a directory
 * that does not exist yet, then appears, is removed and comes back; bad
 * content. No timer is involved: every reading follows an inotify event. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child-test-util.h"
#include "probe/probe-file.h"

typedef struct Seen {
        unsigned n;
        ProbeResult last;
        bool has_value;
        int64_t value;
} Seen;

static void done(void *userdata, const ProbeResult *r, bool has_value, int64_t value) {
        Seen *s = userdata;

        s->n++;
        s->last = *r;
        s->has_value = has_value;
        s->value = value;
}

typedef struct Fixture {
        LoopFixture *loop;
        char dir[64];
        char path[128];
        ProbeConfig cfg;
        Seen seen;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        void *loop;

        if (!f || child_test_setup(&loop) < 0)
                return -1;
        f->loop = loop;
        strcpy(f->dir, "/tmp/test-probe-file-XXXXXX");
        if (tmpdir_make(f->dir, 0755) < 0)
                return -1;
        f->cfg = (ProbeConfig) { .name = (char *) "drain", .kind = PROBE_FILE, .path = f->path, .missing = 7 };
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        void *loop = f->loop;
        int r;

        tmpdir_remove(f->dir);
        r = child_test_teardown(&loop);
        free(f);
        return r;
}

static void write_file(const char *path, const char *text) {
        FILE *w = fopen(path, "we");

        assert_non_null(w);
        fputs(text, w);
        assert_int_equal(fclose(w), 0);
}

/* Runs the loop until a new reading comes (or fails after a bound). */
static void wait_reading(Fixture *f, unsigned n) {
        run_loop_until_count(f->loop->event, &f->seen.n, n, WAIT_MAX_USEC);
        assert_int_equal(f->seen.n, n);
}

/* Runs the loop until it has been idle for 60 ms (at most 2 s): every
 * inotify event of what the test just did is handled. */
static void settle(Fixture *f) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 2 * USEC_PER_SEC;
        unsigned quiet = 0;

        while (quiet < 3 && now_usec(CLOCK_MONOTONIC) < deadline) {
                int r = sd_event_run(f->loop->event, 20 * USEC_PER_MSEC);

                assert_true(r >= 0);
                quiet = r == 0 ? quiet + 1 : 0;
        }
}

static void test_file(void **state) {
        Fixture *f = *state;
        FileCheck *c = NULL;
        char tmp[160];

        snprintf(f->path, sizeof(f->path), "%s/drain", f->dir);
        assert_int_equal(file_check_new(&c, f->loop->event, &f->cfg, done, &f->seen), 0);
        /* Read once at creation: no file, the `missing` value. */
        assert_int_equal(f->seen.n, 1);
        assert_true(f->seen.has_value);
        assert_int_equal(f->seen.value, 7);
        assert_int_equal(f->seen.last.failure, PROBE_OK);
        assert_string_equal(f->seen.last.detail, "no file: value 7 (missing)");

        write_file(f->path, "1\n");
        wait_reading(f, 2);
        assert_int_equal(f->seen.value, 1);
        assert_string_equal(f->seen.last.detail, "value 1");

        /* Replaced by rename, as promvipctl does. */
        snprintf(tmp, sizeof(tmp), "%s/.drain.tmp", f->dir);
        write_file(tmp, "-3");
        assert_int_equal(rename(tmp, f->path), 0);
        settle(f);
        assert_int_equal(f->seen.value, -3);

        /* Removed: the missing value again. */
        assert_int_equal(unlink(f->path), 0);
        settle(f);
        assert_int_equal(f->seen.value, 7);

        /* Not a number: 0, as keepalived; a number out of range: ignored. */
        write_file(f->path, "drained\n");
        settle(f);
        assert_int_equal(f->seen.value, 0);
        assert_int_equal(f->seen.last.failure, PROBE_FAIL_BAD_ANSWER);
        write_file(f->path, "99999999999");
        settle(f);
        assert_false(f->seen.has_value);
        assert_int_equal(f->seen.last.failure, PROBE_FAIL_OUT_OF_RANGE);
        /* Empty: 0, no failure. */
        write_file(f->path, "");
        settle(f);
        assert_true(f->seen.has_value);
        assert_int_equal(f->seen.value, 0);
        assert_int_equal(f->seen.last.failure, PROBE_OK);
        file_check_free(c);
}

/* The directory does not exist: the deepest existing ancestor is watched,
 * and the watch follows the directories as they come and go. */
static void test_missing_directory(void **state) {
        Fixture *f = *state;
        FileCheck *c = NULL;
        char a[96], b[112];

        snprintf(a, sizeof(a), "%s/a", f->dir);
        snprintf(b, sizeof(b), "%s/a/b", f->dir);
        snprintf(f->path, sizeof(f->path), "%s/a/b/drain", f->dir);
        assert_int_equal(file_check_new(&c, f->loop->event, &f->cfg, done, &f->seen), 0);
        assert_int_equal(f->seen.value, 7);

        /* Something else appearing in the watched ancestor: nothing read. */
        snprintf(a, sizeof(a), "%s/other", f->dir);
        write_file(a, "x");
        settle(f);
        assert_int_equal(f->seen.n, 1);
        assert_int_equal(unlink(a), 0);
        snprintf(a, sizeof(a), "%s/a", f->dir);

        assert_int_equal(mkdir(a, 0755), 0);
        settle(f);
        assert_int_equal(mkdir(b, 0755), 0);
        settle(f);
        write_file(f->path, "1");
        settle(f);
        assert_int_equal(f->seen.value, 1);

        /* The directories removed: missing; made again with the file: read. */
        assert_int_equal(unlink(f->path), 0);
        assert_int_equal(rmdir(b), 0);
        assert_int_equal(rmdir(a), 0);
        settle(f);
        assert_int_equal(f->seen.value, 7);
        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(mkdir(b, 0755), 0);
        write_file(f->path, "2");
        settle(f);
        assert_int_equal(f->seen.value, 2);
        write_file(f->path, "3");
        settle(f);
        assert_int_equal(f->seen.value, 3);
        assert_int_equal(unlink(f->path), 0);
        settle(f);
        assert_int_equal(f->seen.value, 7);
        file_check_free(c);
        assert_int_equal(rmdir(b), 0);
        assert_int_equal(rmdir(a), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
        };
        return cmocka_run_group_tests_name("probe-file", tests, NULL, NULL);
}
