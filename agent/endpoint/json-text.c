#include "endpoint/json-text.h"

#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"

json_t *json_string_lossy(const char *s) {
        _cleanup_free_ char *copy = NULL;
        json_t *j = json_string(s);

        if (j)
                return j;
        copy = strdup(s);
        if (!copy)
                return NULL;
        for (char *p = copy; *p; p++)
                if ((unsigned char) *p >= 0x80)
                        *p = '?';
        return json_string(copy);
}
