/* When a master announces its VIPs (gratuitous ARPs / unsolicited NAs), as
 * keepalived's garp_master_* settings do: a burst of `repeat` rounds
 * `interval` apart (back to back if 0), a second such burst `delay` after
 * the first one's last round (none if 0), then one round every `refresh`
 * (never if 0). A round is one frame per VIP.
 *
 * Pure: the caller passes the time in, sends what a step says and calls
 * again when the step says. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct AnnounceTiming {
        unsigned repeat;        /* rounds in a burst */
        uint64_t interval_usec; /* between the rounds of a burst */
        uint64_t delay_usec;    /* before the second burst */
        uint64_t refresh_usec;  /* between the rounds after the bursts */
} AnnounceTiming;

typedef struct AnnounceSchedule {
        unsigned rounds_left;   /* of the current burst */
        bool second_burst;      /* still to come */
} AnnounceSchedule;

typedef struct AnnounceStep {
        unsigned rounds;        /* to send now */
        uint64_t next_usec;     /* when to step again; 0: the schedule is done */
} AnnounceStep;

/* From the first burst again: a new master, or a VIP it (re)added. */
void announce_schedule_start(AnnounceSchedule *s, const AnnounceTiming *t);
/* What goes out at `now` and when the next step is due. A reload's new
 * timing applies from the next step on, but a burst already scheduled keeps
 * its number of rounds. */
AnnounceStep announce_schedule_step(AnnounceSchedule *s, const AnnounceTiming *t, uint64_t now);
