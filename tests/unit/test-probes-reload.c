/* Unit test of the probe scheduler's reload (probes.c) when memory runs
 * out: the old configuration goes away after a reload, so no probe may keep
 * pointing into it, whatever failed. calloc() is wrapped (-Wl,--wrap) to
 * fail on demand; run under AddressSanitizer, a use after free aborts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "child-test-util.h"
#include "conf/conf.h"
#include "probe/probes.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static unsigned fail_callocs; /* the next this many calls fail */

void *__wrap_calloc(size_t n, size_t size) {
        if (fail_callocs > 0) {
                fail_callocs--;
                return NULL;
        }
        return __real_calloc(n, size);
}

static TestUser the_user;
static ChildUser *cuser;

static Config *load(const char *command) {
        char text[1024];
        ConfErrors errs = {};
        Config *c = NULL;

        snprintf(text, sizeof(text),
                 "global = { script_user = \"%s\"; };\n"
                 "probes = ( { name = \"p\"; type = \"exec\"; command = \"%s\"; interval = 0.1; } );\n"
                 "instances = ( { name = \"i\"; interface = \"eth0\"; vrid = 1; virtual_addresses = ( \"192.0.2.1\" );\n"
                 "  track = ( \"p\" ); } );\n",
                 the_user.name, command);
        assert_int_equal(conf_load_string(text, "t.conf", &c, &errs), 0);
        conf_errors_clear(&errs);
        return c;
}

static void on_changed(void *userdata) {
        (*(unsigned *) userdata)++;
}

static bool is_up(void *userdata) {
        return probes_is_up(userdata, "p");
}

/* Every calloc of the reload fails in turn: the reload says so, and the
 * probes never touch the old configuration after it is freed. */
static void test_reload_out_of_memory(void **state) {
        LoopFixture *f = *state;

        for (unsigned failing = 1; failing <= 3; failing++) {
                Config *a = load("/bin/true"), *b = load("/bin/true");
                Probes *ps = NULL;
                unsigned changes = 0;

                assert_int_equal(probes_new(&ps, f->event, a, cuser, on_changed, &changes), 0);
                probes_start(ps);
                run_loop_until(f->event, is_up, ps, WAIT_MAX_USEC);
                assert_true(probes_is_up(ps, "p"));

                fail_callocs = failing;
                (void) probes_reload(ps, b, cuser);
                fail_callocs = 0;
                conf_unref(a); /* as the daemon does after a reload, failed or not */

                /* The probes run on (or are gone), without the old config. */
                for (unsigned k = 0; k < 5; k++)
                        assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
                (void) probes_is_up(ps, "p");
                for (size_t k = 0; k < probes_count(ps); k++) {
                        assert_string_equal(probes_config_at(ps, k)->name, "p");
                        assert_non_null(probes_state_at(ps, k));
                }
                probes_free(ps);
                for (unsigned k = 0; k < 5; k++) /* reap what the runs left */
                        assert_true(sd_event_run(f->event, 20 * USEC_PER_MSEC) >= 0);
                conf_unref(b);
        }
}

static int group_setup(void **state) {
        (void) state;
        return block_daemon_signals() < 0 || test_user_pick(&the_user, false) < 0 ||
                               child_user_resolve(the_user.name, &cuser) < 0
                       ? -1
                       : 0;
}

static int group_teardown(void **state) {
        (void) state;
        cuser = child_user_unref(cuser);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_reload_out_of_memory, child_test_setup, child_test_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
