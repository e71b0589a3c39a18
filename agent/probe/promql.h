/* Judging a Prometheus instant-query answer (/api/v1/query) against an
 * accepted range. Pure: parses the JSON text with jansson. */
#pragma once

#include <stddef.h>

#include "probe/probe.h"

/* PROBE_OK when "status" is "success" and the result (a scalar, or every
 * sample of a vector) lies within [min, max]; otherwise the failure, with
 * the reason written to detail (detail_size bytes). An empty vector, NaN,
 * an error status or an unexpected shape fail. */
ProbeFailure promql_evaluate(const char *json, size_t len, double min, double max, char *detail,
                             size_t detail_size);
