/* Clock reads in microseconds, in one place. Code on the event loop uses
 * loop_now_usec(): the time the loop woke up, which is what its timers
 * compare deadlines against; code without a loop uses now_usec(). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

uint64_t now_usec(clockid_t clock);

/* sd_event_now(); the clock itself when the loop has not run yet or does
 * not know the clock. */
uint64_t loop_now_usec(sd_event *event, clockid_t clock);
