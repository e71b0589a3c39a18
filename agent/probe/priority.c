#include "probe/priority.h"

uint8_t priority_effective(uint8_t base, const TrackState *tracks, size_t n, bool *ret_fault) {
        int p = base;

        *ret_fault = false;
        for (size_t i = 0; i < n; i++) {
                if (tracks[i].weight == 0 && !tracks[i].up)
                        *ret_fault = true;
                else if (tracks[i].weight < 0 && !tracks[i].up)
                        p += tracks[i].weight;
                else if (tracks[i].weight > 0 && tracks[i].up)
                        p += tracks[i].weight;
        }
        if (base == 255)
                return 255;
        return (uint8_t) (p < 1 ? 1 : p > 254 ? 254 : p);
}
