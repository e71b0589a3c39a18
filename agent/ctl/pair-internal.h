/* check-pair's shared internals: the model's helpers (pair-check.c) and
 * the findings (pair-findings.c). Pure. */
#pragma once

#include <string.h>

#include "ctl/pair-check.h"
#include "shared/macro.h"

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* preempt = true, or the owner (255), which takes over as soon as it starts. */
bool pair_member_preempts(const PairMember *m);
const PairSource *pair_member_source(const PairMember *m, const char *name);
void pair_member_state(PairMember *m, const char *failed, PairMemberState *ret);
size_t pair_settle(const PairRouter *r, PairMemberState *st, size_t from, bool mark);

/* Adds a finding to the report: 0, or -ENOMEM. */
int pair_finding(PairReport *rep, PairSeverity sev, size_t router, const char *fmt, ...) _printf_(4, 5);

/* pair-sync.c: the findings about sync groups, per host. 0, or -ENOMEM. */
int pair_sync_findings(PairReport *rep);
/* The FAULT sources of the other members of in's sync group, added to
 * *s (n used, room for more is made here). 0, or -ENOMEM. */
int pair_sync_sources(const Config *c, const InstanceConfig *in, PairSource **s, size_t *n);

/* Adds every finding of the report's routers: 0, or -ENOMEM. */
int pair_findings(PairReport *rep, const PairOptions *o);

/* "3", "3.5", "0.25": seconds, at most 3 decimals. buf: 32 bytes. */
const char *pair_seconds(uint64_t usec, char *buf);
