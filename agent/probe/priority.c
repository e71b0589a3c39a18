#include "probe/priority.h"

static int valued_contribution(const TrackState *t, bool *ret_fault) {
        int64_t c;

        if (t->weight == 0) {
                if (t->value != 0)
                        *ret_fault = true;
                return 0;
        }
        /* An overflow is far beyond either bound: its sign decides. */
        if (__builtin_mul_overflow(t->value, (int64_t) t->weight, &c))
                c = (t->value < 0) != (t->weight < 0) ? INT64_MIN : INT64_MAX;
        if (c < -TRACK_WEIGHT_MAX) {
                *ret_fault = true;
                return 0;
        }
        return c > TRACK_WEIGHT_MAX ? TRACK_WEIGHT_MAX : (int) c;
}

int track_contribution(const TrackState *t, bool *ret_fault) {
        if (t->valued)
                return valued_contribution(t, ret_fault);
        if (t->weight == 0 && !t->up)
                *ret_fault = true;
        else if (t->weight < 0 && !t->up)
                return t->weight;
        else if (t->weight > 0 && t->up)
                return t->weight;
        return 0;
}

bool track_faults(const TrackState *t) {
        bool fault = false;

        (void) track_contribution(t, &fault);
        return fault;
}

uint8_t priority_effective(uint8_t base, const TrackState *tracks, size_t n, bool *ret_fault) {
        int64_t p = base;

        *ret_fault = false;
        for (size_t i = 0; i < n; i++)
                p += track_contribution(&tracks[i], ret_fault);
        if (base == 255)
                return 255;
        return (uint8_t) (p < 1 ? 1 : p > 254 ? 254 : p);
}
