/* The effective priority of an instance from its base priority and the
 * states of the probes it tracks (keepalived's track_script weights).
 * Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TrackState {
        int weight; /* -253..253 */
        bool up;
} TrackState;

/* base + the weights of the DOWN probes with negative weights + the weights
 * of the UP probes with positive weights, clamped to 1..254; 255 (the
 * address owner) is never adjusted. *ret_fault is set when a probe with
 * weight 0 is DOWN. */
uint8_t priority_effective(uint8_t base, const TrackState *tracks, size_t n, bool *ret_fault);
