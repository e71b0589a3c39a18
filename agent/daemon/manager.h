/* The daemon: owns the event loop, the running Config, signals, reload and
 * the conversation with systemd (sd_notify, watchdog). */
#pragma once

#include "conf/conf.h"

typedef struct Manager Manager;

/* Takes ownership of config. cli_log_level is LOG_* or -1 (use the config's). */
int manager_new(Manager **ret, Config *config, const char *config_path, int cli_log_level);
Manager *manager_free(Manager *m);
/* Runs until SIGTERM/SIGINT; returns the exit code. */
int manager_run(Manager *m);
