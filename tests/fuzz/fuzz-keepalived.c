/* Fuzz target: the keepalived.conf lexer, tree builder and converter must
 * turn any text into a promvip.conf text and notes, without crashing or
 * leaking. Includes are not expanded (that is file reading). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *resolve(const char *name, void *userdata) {
        char *p = NULL;

        (void) userdata;
        /* Deterministic: names starting with 'x' are "found". */
        if (name[0] == 'x' && asprintf(&p, "/usr/bin/%s", name) < 0)
                return NULL;
        return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        KaConvertOptions o = { .resolve = resolve };
        KaLines lines = {};
        KaNotes notes = {};
        KaStmt *root = NULL;
        char *text = NULL;
        size_t len = 0;
        const char *file;
        FILE *f;

        if (size > 65536)
                return 0;
        file = ka_lines_intern(&lines, "fuzz.conf");
        if (file && ka_lex((const char *) data, size, file, "fuzz", &lines, &notes) == 0 &&
            ka_tree_build(&lines, &root, &notes) == 0) {
                f = open_memstream(&text, &len);
                if (f) {
                        (void) ka_convert(root, &o, f, &notes);
                        fclose(f);
                }
        }
        free(text);
        ka_stmt_free(root);
        ka_notes_clear(&notes);
        ka_lines_clear(&lines);
        return 0;
}
