#include "shared/time-util.h"

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

uint64_t loop_now_usec(sd_event *event, clockid_t clock) {
        uint64_t t;

        if (event && sd_event_now(event, clock, &t) >= 0)
                return t;
        return now_usec(clock);
}
