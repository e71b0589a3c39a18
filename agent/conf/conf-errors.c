/* ConfErrors: the list every check adds to, its order, and the one way the
 * programs show it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

int conf_errors_add(ConfErrors *errs, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *f = NULL, *msg = NULL;
        ConfError *items;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                msg = NULL; /* undefined after a failure */
                return -ENOMEM;
        }
        f = strdup(file);
        if (!f)
                return -ENOMEM;
        items = realloc(errs->items, (errs->n + 1) * sizeof(*items));
        if (!items)
                return -ENOMEM;
        errs->items = items;
        items[errs->n++] = (ConfError) { .file = TAKE_PTR(f), .line = line, .message = TAKE_PTR(msg) };
        return 0;
}

/* Insertion sort: stable, and the lists are short. */
void conf_errors_sort(ConfErrors *errs, size_t from) {
        for (size_t i = from + 1; i < errs->n; i++) {
                ConfError e = errs->items[i];
                size_t j = i;

                for (; j > from && errs->items[j - 1].line > e.line &&
                       strcmp(errs->items[j - 1].file, e.file) == 0; j--)
                        errs->items[j] = errs->items[j - 1];
                errs->items[j] = e;
        }
}

void conf_errors_print(const ConfErrors *errs, ConfErrorPrint print, void *userdata) {
        for (size_t i = 0; i < errs->n; i++) {
                const ConfError *e = &errs->items[i];
                _cleanup_free_ char *text = NULL;
                int r;

                if (e->line)
                        r = asprintf(&text, "%s:%u: %s", e->file, e->line, e->message);
                else
                        r = asprintf(&text, "%s: %s", e->file, e->message);
                if (r < 0)
                        text = NULL; /* out of memory: the message alone still says something */
                print(e, text ?: e->message, userdata);
        }
}

void conf_errors_clear(ConfErrors *errs) {
        for (size_t i = 0; i < errs->n; i++) {
                free(errs->items[i].file);
                free(errs->items[i].message);
        }
        free(errs->items);
        *errs = (ConfErrors) {};
}
