/* Real-time scheduling and locked memory for promvipd itself
 * (global.realtime_priority, global.lock_memory; keepalived's
 * vrrp_rt_priority and vrrp_no_swap), applied at start and on each reload.
 *
 * Contract: tuning_apply() moves the process from its current Tuning to what
 * the configuration asks for, turning each part on or off; a part the kernel
 * refuses (EPERM, ENOMEM...) is logged once per attempt as one error that
 * says what to do, and stays off: a failover agent never stops for a tuning
 * option. *t always holds the state in effect (for the metrics). */
#pragma once

#include <stdbool.h>

#include "conf/conf.h"

typedef struct Tuning {
        int realtime_priority; /* SCHED_RR priority of the main thread; 0: SCHED_OTHER */
        bool memory_locked;    /* mlockall(MCL_CURRENT | MCL_FUTURE) in force */
} Tuning;

void tuning_apply(Tuning *t, const GlobalConfig *g);
