/* How late the master's advertisement timer fired: a histogram with fixed
 * buckets, rendered as promvip_advert_lateness_seconds. A host that is
 * close to a false failover (a stalled loop, a starved CPU) shows here
 * before its backups give up on it.
 *
 * Pure: counts what it is given. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define LATENESS_BUCKETS 10

typedef struct LatenessBucket {
        uint64_t le_usec;       /* upper bound, inclusive */
        const char *le;         /* the same in seconds, as the `le` label */
} LatenessBucket;

extern const LatenessBucket lateness_buckets[LATENESS_BUCKETS];

typedef struct Lateness {
        uint64_t count;
        uint64_t sum_usec;
        uint64_t in_bucket[LATENESS_BUCKETS]; /* above the previous bound, up to this one */
} Lateness;

void lateness_observe(Lateness *l, uint64_t late_usec);

/* Observations up to and including bucket k's bound (Prometheus buckets
 * are cumulative); k == LATENESS_BUCKETS: all of them (+Inf). */
uint64_t lateness_cumulative(const Lateness *l, size_t k);
