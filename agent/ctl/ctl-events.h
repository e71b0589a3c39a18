/* `promvipctl events [--json] [INSTANCE]`: asks promvipd's HTTP endpoint for
 * /events (or /events?instance=INSTANCE) and prints the table of
 * events-table.c, or the answer as pretty JSON. */
#pragma once

#include <stdbool.h>

/* `address` is HOST:PORT; `instance` NULL for all. Returns an exit code
 * (ctl-http.h): EXIT_FAIL also for an instance promvipd does not know. */
int ctl_events(const char *address, const char *instance, bool json);
