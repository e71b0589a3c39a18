/* The master's announcement schedule (see announce-schedule.h). */
#include "vrrp/announce-schedule.h"

void announce_schedule_start(AnnounceSchedule *s, const AnnounceTiming *t) {
        s->rounds_left = t->repeat;
        s->second_burst = t->delay_usec > 0;
}

AnnounceStep announce_schedule_step(AnnounceSchedule *s, const AnnounceTiming *t, uint64_t now) {
        AnnounceStep step = {};

        /* Paced rounds go one per step; unpaced ones all at once. */
        step.rounds = t->interval_usec > 0 && s->rounds_left > 1 ? 1 : s->rounds_left;
        s->rounds_left -= step.rounds;
        if (s->rounds_left > 0)
                step.next_usec = now + t->interval_usec;
        else if (s->second_burst) {
                s->second_burst = false;
                s->rounds_left = t->repeat;
                step.next_usec = now + t->delay_usec;
        } else if (t->refresh_usec > 0) {
                s->rounds_left = 1;
                step.next_usec = now + t->refresh_usec;
        }
        return step;
}
