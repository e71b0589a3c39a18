/* Fuzz target: judging PromQL answers (promql.c). The first input byte
 * picks the accepted range (low nibble) and the size of the detail buffer
 * (high nibble); the rest is the answer. Whatever the input, the verdict
 * is a known failure, the detail is NUL-terminated within its buffer and
 * nothing is written past it. Corpus files are real answers behind one
 * selector byte (e.g. "0{...}"). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/promql.h"
#include "shared/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
        double min, max;
} ranges[] = {
        { -INFINITY, INFINITY }, { -INFINITY, 60 }, { 0, 1 },      { 1, 1 },
        { -1, -1 },              { 0.5, INFINITY }, { 1e308, INFINITY }, { -INFINITY, -1e308 },
        { NAN, NAN },            { 0, NAN },        { -0.0, 0.0 }, { 59.999, 60.001 },
};

static const size_t detail_sizes[] = { 0, 1, 2, 4, 5, 16, 64, 160 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char guard[160 + 16];
        size_t dsize;
        ProbeFailure f;

        if (size < 1)
                return 0;
        dsize = detail_sizes[(data[0] >> 4) % ELEMENTSOF(detail_sizes)];
        memset(guard, 0x5a, sizeof(guard));
        f = promql_evaluate((const char *) data + 1, size - 1, ranges[(data[0] & 0x0f) % ELEMENTSOF(ranges)].min,
                            ranges[(data[0] & 0x0f) % ELEMENTSOF(ranges)].max, dsize ? guard : NULL, dsize);

        if (f != PROBE_OK && f != PROBE_FAIL_BAD_ANSWER && f != PROBE_FAIL_EMPTY && f != PROBE_FAIL_OUT_OF_RANGE)
                abort();
        if (dsize > 0 && strnlen(guard, dsize) >= dsize)
                abort();
        for (size_t i = dsize; i < sizeof(guard); i++)
                if (guard[i] != 0x5a)
                        abort();
        return 0;
}
