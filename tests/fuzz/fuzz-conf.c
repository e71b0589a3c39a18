/* Fuzz target: the configuration loader must turn any text into either a
 * Config or a list of errors, without crashing or leaking. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfErrors errs = {};
        Config *c = NULL;
        char *text;

        /* @include would read files named by the input: not the loader's job to fuzz. */
        if (size > 65536 || memmem(data, size, "@include", 8))
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (conf_load_string(text, "fuzz.conf", &c, &errs) == 0)
                free(conf_summary(c));
        conf_unref(c);
        conf_errors_clear(&errs);
        free(text);
        return 0;
}
