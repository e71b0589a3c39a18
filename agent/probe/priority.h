/* The effective priority of an instance from its base priority and the
 * states of what it tracks: probes and interfaces (keepalived's
 * track_script and track_interface weights) and file probes (track_file:
 * the value times the weight). Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACK_WEIGHT_MAX 253

typedef struct TrackState {
        int weight;     /* -253..253 */
        bool up;        /* a probe UP, a link up */
        bool valued;    /* a file probe: `value` counts, not `up` */
        int64_t value;  /* the file's integer */
} TrackState;

/* What one track adds to the priority, -253..253. An UP/DOWN track adds a
 * negative weight while DOWN and a positive one while UP; with weight 0 a
 * DOWN track sets *ret_fault. A valued track adds value x weight, capped at
 * 253; below -253 sets *ret_fault, and with weight 0 so does any non-zero
 * value. *ret_fault is only ever set to true. */
int track_contribution(const TrackState *t, bool *ret_fault);

/* Whether this track alone puts the instance into FAULT. */
bool track_faults(const TrackState *t);

/* base + every track's contribution, clamped to 1..254; 255 (the address
 * owner) is never adjusted. *ret_fault is set when a track faults. */
uint8_t priority_effective(uint8_t base, const TrackState *tracks, size_t n, bool *ret_fault);
