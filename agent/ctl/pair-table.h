/* promvipctl check-pair, the text: per router its hosts and its scenario
 * table (who is master when all is well, after each failure and once all
 * is well again), then the findings and a summary line. Pure: writes only
 * to the FILE given. */
#pragma once

#include <stdio.h>

#include "ctl/pair-check.h"

/* 0, or -ENOMEM. */
int pair_table_render(const PairReport *rep, FILE *out);

/* "'prometheus' (vrid 51, IPv4)", or with ", eth0" when matched by
 * interface too. Returns buf (of `size` bytes). */
const char *pair_table_router_name(const PairRouter *r, char *buf, size_t size);
