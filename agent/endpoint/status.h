/* /status: a Snapshot as JSON (pure, jansson), the observability
 * contract's schema. Keys come in a fixed order (JSON_PRESERVE_ORDER) with
 * an indent of 2, so the text is stable for a given snapshot. Times are
 * RFC 3339 UTC to the second ("2026-11-22T00:00:00Z"); "last_reload",
 * "master", "last_transition" are null when there is none; for a probe that
 * has not run yet, "last_latency_seconds", "last_result" and "last_detail"
 * are null; a track's "up" is null when no probe of that name exists. */
#pragma once

#include "endpoint/snapshot.h"

#define STATUS_CONTENT_TYPE "application/json"

/* A malloc'd, NUL-terminated JSON text (with a final newline), or NULL when
 * out of memory. */
char *status_render_json(const Snapshot *s);
