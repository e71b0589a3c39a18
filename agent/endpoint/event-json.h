/* Events as JSON (pure, jansson): one event, an instance's list, and the
 * /events answer of a Snapshot. The fields per type are those of
 * event-log.h; times are RFC 3339 UTC with milliseconds
 * ("2026-12-02T19:30:01.123Z"). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "endpoint/event-log.h"
#include "endpoint/snapshot.h"

#define EVENTS_CONTENT_TYPE "application/json"

/* "2026-12-02T19:30:01.123Z", or JSON null for 0 (never). NULL: out of memory. */
json_t *event_time_json(uint64_t realtime_usec);
/* One event; NULL when out of memory. */
json_t *event_json(const Event *e);
/* The list, oldest first; NULL when out of memory. */
json_t *events_json(const Event *events, size_t n);

/* /events: {"router_id", "now", "event_history", "instances": [{"name",
 * "events"}]}, only the named instance when `instance` is not NULL. A
 * malloc'd text with a final newline; NULL with *ret_unknown set when there
 * is no such instance, NULL alone when out of memory. */
char *events_render_json(const Snapshot *s, const char *instance, bool *ret_unknown);
