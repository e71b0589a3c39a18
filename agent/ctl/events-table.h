/* The human table of `promvipctl events`: a parsed /events answer
 * ({"now", "instances": [{"name", "events": [...]}]}, each event's fields
 * as README's "Metrics, status and promvipctl" lists them) rendered as
 * INSTANCE / AGE / EVENT / DETAIL rows, every instance's events together,
 * oldest first by "seq", ages relative to the answer's "now".
 *
 * Pure: given the JSON and nothing else (no clock, no I/O), returns text.
 * The endpoint is not trusted: every cell reaches the terminal escaped. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Renders `root` into *ret_text (malloc'ed, NUL-terminated). Returns 0;
 * -EBADMSG when `root` lacks the shape the table needs (not an object,
 * "instances" not an array of objects with a string "name", an instance's
 * "events" neither absent, null nor an array of objects), with the reason
 * in `err` and *ret_text untouched; or -ENOMEM. Missing, null or mistyped
 * event fields show as "?" (or are left out of DETAIL), never fail. */
int events_table_render(json_t *root, char **ret_text, char *err, size_t err_size);

/* The DETAIL cell of one event object (malloc'ed, not yet escaped; NULL
 * on OOM): per "type" as README's examples, any other type as its fields
 * other than seq, time and type, `key=value` separated by spaces. */
char *events_table_detail(json_t *event);
