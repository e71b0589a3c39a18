/* check-pair's shared internals: the model's helpers (pair-check.c) and
 * the findings (pair-findings.c). Pure. */
#pragma once

#include <string.h>

#include "ctl/pair-check.h"

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* preempt = true, or the owner (255), which takes over as soon as it starts. */
bool pair_member_preempts(const PairMember *m);
const PairSource *pair_member_source(const PairMember *m, const char *name);
void pair_member_state(PairMember *m, const char *failed, PairMemberState *ret);
size_t pair_settle(const PairRouter *r, PairMemberState *st, size_t from, bool mark);

/* Adds every finding of the report's routers: 0, or -ENOMEM. */
int pair_findings(PairReport *rep, const PairOptions *o);

/* "3", "3.5", "0.25": seconds, at most 3 decimals. buf: 32 bytes. */
const char *pair_seconds(uint64_t usec, char *buf);
