/* /metrics: a Snapshot rendered in the Prometheus text exposition format
 * 0.0.4 (pure; the names, labels and types are the observability contract).
 * Every family appears once with # HELP and # TYPE, even without series. */
#pragma once

#include "endpoint/snapshot.h"

/* Content-Type of what metrics_render() returns. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A malloc'd, NUL-terminated text, or NULL when out of memory. */
char *metrics_render(const Snapshot *s);
