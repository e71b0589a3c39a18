/* Exit codes both programs use alike; promvipctl adds its own above these
 * (ctl/ctl-http.h). */
#pragma once

enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,  /* bad configuration, start-up or request failed, out of memory, ... */
        EXIT_USAGE = 2, /* bad arguments */
};
