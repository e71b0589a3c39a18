/* Helpers of the loader's unit tests (test-conf, test-conf-track,
 * test-conf-sync, test-conf-routed): a table of texts that must fail at a
 * line with a message, and texts that must load. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"

typedef struct ConfErrorCase {
        const char *name;
        const char *text;
        unsigned line;
        const char *message;
} ConfErrorCase;

/* Loading `text` as "t.conf" fails, with an error at `line` whose message
 * contains `message` (all errors are printed otherwise). */
void conf_expect_error(const char *text, unsigned line, const char *message);

/* Loads `text` as "t.conf" without an error, or fails the test. */
Config *conf_load_ok(const char *text);

/* Runs `fixed` and then one test per error case, as group `group`. */
int conf_run_tests(const char *group, const struct CMUnitTest *fixed, size_t n_fixed, const ConfErrorCase *cases,
                   size_t n_cases);
