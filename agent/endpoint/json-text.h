/* Text into JSON for the endpoint's renderers. */
#pragma once

#include <jansson.h>

/* A JSON string of `s`; text that is not valid UTF-8 (a probe's detail may
 * quote what a server sent) gets '?' for every non-ASCII byte rather than
 * failing. NULL only when out of memory. */
json_t *json_string_lossy(const char *s);
