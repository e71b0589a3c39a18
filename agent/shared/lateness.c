#include "shared/lateness.h"

/* From well within a 10 ms advert interval to a whole second. */
const LatenessBucket lateness_buckets[LATENESS_BUCKETS] = {
        { 100, "0.0001" },   { 500, "0.0005" },   { 1000, "0.001" },    { 2000, "0.002" },
        { 5000, "0.005" },   { 10000, "0.01" },   { 50000, "0.05" },    { 100000, "0.1" },
        { 500000, "0.5" },   { 1000000, "1" },
};

void lateness_observe(Lateness *l, uint64_t late_usec) {
        l->count++;
        l->sum_usec += late_usec;
        for (size_t k = 0; k < LATENESS_BUCKETS; k++)
                if (late_usec <= lateness_buckets[k].le_usec) {
                        l->in_bucket[k]++;
                        return;
                }
}

uint64_t lateness_cumulative(const Lateness *l, size_t k) {
        uint64_t n = 0;

        if (k >= LATENESS_BUCKETS)
                return l->count;
        for (size_t j = 0; j <= k; j++)
                n += l->in_bucket[j];
        return n;
}
