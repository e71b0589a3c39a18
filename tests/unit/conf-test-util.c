#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf-test-util.h"

void conf_expect_error(const char *text, unsigned line, const char *message) {
        ConfErrors errs = {};
        Config *conf = NULL;
        bool found = false;

        assert_int_equal(conf_load_string(text, "t.conf", &conf, &errs), -EINVAL);
        assert_null(conf);
        assert_true(errs.n > 0);
        for (size_t i = 0; i < errs.n; i++) {
                assert_string_equal(errs.items[i].file, "t.conf");
                if (errs.items[i].line == line && strstr(errs.items[i].message, message))
                        found = true;
        }
        if (!found)
                for (size_t i = 0; i < errs.n; i++)
                        print_error("got t.conf:%u: %s\n", errs.items[i].line, errs.items[i].message);
        conf_errors_clear(&errs);
        assert_true(found);
}

Config *conf_load_ok(const char *text) {
        ConfErrors errs = {};
        Config *c = NULL;
        int r = conf_load_string(text, "t.conf", &c, &errs);

        for (size_t i = 0; i < errs.n; i++)
                print_error("t.conf:%u: %s\n", errs.items[i].line, errs.items[i].message);
        assert_int_equal(r, 0);
        assert_int_equal(errs.n, 0);
        return c;
}

static void error_case(void **state) {
        const ConfErrorCase *c = *state;

        conf_expect_error(c->text, c->line, c->message);
}

int conf_run_tests(const char *group, const struct CMUnitTest *fixed, size_t n_fixed, const ConfErrorCase *cases,
                   size_t n_cases) {
        struct CMUnitTest *tests = calloc(n_fixed + n_cases, sizeof(*tests));
        int r;

        if (!tests)
                return 1;
        memcpy(tests, fixed, n_fixed * sizeof(*tests));
        for (size_t i = 0; i < n_cases; i++)
                tests[n_fixed + i] = (struct CMUnitTest) {
                        .name = cases[i].name,
                        .test_func = error_case,
                        .initial_state = (void *) &cases[i],
                };
        r = _cmocka_run_group_tests(group, tests, n_fixed + n_cases, NULL, NULL);
        free(tests);
        return r;
}
