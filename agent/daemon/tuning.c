/* Real-time scheduling and locked memory (see tuning.h). Only the main
 * thread, the event loop, runs SCHED_RR: SCHED_RESET_ON_FORK gives every
 * process and thread it creates (hooks, exec probes, libcurl's resolver
 * threads) the normal policy back. Locked memory is not inherited either:
 * fork() never copies mlockall()'s locks. */
#include "daemon/tuning.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "shared/log.h"

#define TUNING_HINT "under systemd install the real-time drop-in (see README, \"Real-time scheduling and locked memory\")"

static void rlimit_text(int resource, char *buf, size_t size) {
        struct rlimit rl;

        if (getrlimit(resource, &rl) < 0)
                snprintf(buf, size, "unknown");
        else if (rl.rlim_cur == RLIM_INFINITY)
                snprintf(buf, size, "unlimited");
        else
                snprintf(buf, size, "%" PRIu64, (uint64_t) rl.rlim_cur);
}

static void apply_realtime(Tuning *t, int want) {
        struct sched_param p = { .sched_priority = want };
        char limit[32];

        if (want == t->realtime_priority)
                return;
        if (want == 0) {
                if (sched_setscheduler(0, SCHED_OTHER, &p) < 0) {
                        log_error_errno(errno, "realtime_priority off: sched_setscheduler(SCHED_OTHER): %m; "
                                        "still running SCHED_RR at priority %d", t->realtime_priority);
                        return;
                }
                log_info("realtime_priority off: back to SCHED_OTHER");
                t->realtime_priority = 0;
                return;
        }
        if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p) < 0) {
                int err = errno;
                char keeping[64] = "running without it";

                if (t->realtime_priority)
                        snprintf(keeping, sizeof(keeping), "keeping SCHED_RR priority %d", t->realtime_priority);
                rlimit_text(RLIMIT_RTPRIO, limit, sizeof(limit));
                if (err == EPERM)
                        log_error_errno(err, "realtime_priority %d: sched_setscheduler: %m (RLIMIT_RTPRIO %s); %s: "
                                        TUNING_HINT ", or raise RLIMIT_RTPRIO to %d",
                                        want, limit, keeping, want);
                else
                        log_error_errno(err, "realtime_priority %d: sched_setscheduler: %m; %s", want, keeping);
                return;
        }
        log_info("realtime_priority %d: the main thread runs SCHED_RR (children start SCHED_OTHER)", want);
        t->realtime_priority = want;
}

static void apply_lock(Tuning *t, bool want) {
        char limit[32];

        if (want == t->memory_locked)
                return;
        if (!want) {
                if (munlockall() < 0) {
                        log_error_errno(errno, "lock_memory off: munlockall: %m; memory stays locked");
                        return;
                }
                log_info("lock_memory off: memory unlocked");
                t->memory_locked = false;
                return;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
                int err = errno;

                rlimit_text(RLIMIT_MEMLOCK, limit, sizeof(limit));
                /* ENOMEM: the mappings exceed RLIMIT_MEMLOCK; EPERM: the
                 * limit is 0, or a system call filter. */
                log_error_errno(err, "lock_memory: mlockall: %m (RLIMIT_MEMLOCK %s bytes); running with "
                                "memory that can be swapped out: " TUNING_HINT ", or raise RLIMIT_MEMLOCK",
                                limit);
                /* A refused mlockall() changes nothing, but be sure MCL_FUTURE is not left behind. */
                (void) munlockall();
                return;
        }
        log_info("lock_memory: all of promvipd's memory is locked (mlockall)");
        t->memory_locked = true;
}

void tuning_apply(Tuning *t, const GlobalConfig *g) {
        /* Lock first: a real-time thread faulting pages in is what locking avoids. */
        apply_lock(t, g->lock_memory);
        apply_realtime(t, g->realtime_priority);
}
