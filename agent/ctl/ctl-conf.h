/* The configuration as promvipctl reads it: the loader alone (no checks of
 * the host: any user who can read the file may use it). */
#pragma once

#include "conf/conf.h"

/* Loads `path` into *ret. 0, or EXIT_FAIL after saying why on stderr:
 * "promvipctl: cannot use PATH:" and the loader's FILE:LINE errors. */
int ctl_conf_load(const char *path, Config **ret);
