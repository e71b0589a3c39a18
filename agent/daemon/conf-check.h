/* What promvipd accepts as its configuration: what the loader accepts
 * (conf/conf.h, which reads nothing of the host), and then the host's part:
 * every command the configuration names is a file only root can change.
 * Checked at start, on reload and by --config-test. */
#pragma once

#include "conf/conf.h"

/* script_check_secure() on argv[0] of every exec probe and notify hook; a
 * refused one is an error at the line that sets it. 0, -EINVAL with the
 * errors added to *errs (in file order), or -ENOMEM. */
int conf_check_scripts(const Config *c, ConfErrors *errs);

/* conf_load_file(), then conf_check_scripts(): 0 with *ret set, or what
 * failed with the errors in *errs. */
int conf_load_checked(const char *path, Config **ret, ConfErrors *errs);

/* Logs each error; in the journal with CONFIG_FILE= and CONFIG_LINE=. */
void conf_errors_log(const ConfErrors *errs);
