/* promvipctl import-keepalived: reads the files (keepalived-read.c), builds
 * the statement tree and converts it (both pure), prints the configuration
 * and the report. keepalived's config id (for `@ID` lines) is the one
 * given, else its default, the host name up to the first dot; a bare command name is looked up in
 * the PATH keepalived has under systemd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ctl/ctl-import.h"
#include "ctl/keepalived-convert.h"
#include "ctl/keepalived-read.h"

#define KEEPALIVED_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char *resolve(const char *name, void *userdata) {
        const char *p = KEEPALIVED_PATH;

        (void) userdata;
        while (*p) {
                size_t n = strcspn(p, ":");
                char *c;

                if (n > 0 && asprintf(&c, "%.*s/%s", (int) n, p, name) >= 0) {
                        if (access(c, X_OK) == 0)
                                return c;
                        free(c);
                }
                p += n + (p[n] == ':');
        }
        return NULL;
}

static size_t file_index(const KaLines *lines, const char *file) {
        for (size_t i = 0; file && i < lines->n_files; i++)
                if (strcmp(lines->files[i], file) == 0)
                        return i;
        return 0;
}

/* Report order: files in the order read, then lines; stable. */
static void sort_notes(KaNotes *notes, const KaLines *lines) {
        for (size_t i = 1; i < notes->n; i++) {
                KaNote n = notes->v[i];
                size_t fi = file_index(lines, n.file), j = i;

                while (j > 0) {
                        const KaNote *p = &notes->v[j - 1];
                        size_t pi = file_index(lines, p->file);
                        if (pi < fi || (pi == fi && p->line <= n.line))
                                break;
                        notes->v[j] = *p;
                        j--;
                }
                notes->v[j] = n;
        }
}

int ctl_import_keepalived(const char *path, const char *config_id) {
        _cleanup_(ka_stmt_freep) KaStmt *root = NULL;
        _cleanup_free_ char *text = NULL, *id = NULL;
        KaConvertOptions o = { .resolve = resolve };
        KaLines lines = {};
        KaNotes notes = {};
        struct utsname u;
        size_t len = 0, lost;
        FILE *f = NULL;
        int r;

        if (!config_id && uname(&u) == 0)
                id = strndup(u.nodename, strcspn(u.nodename, "."));
        r = ka_read(path, config_id ?: id, &lines, &notes);
        if (r < 0 && r != -ENOMEM) {
                errno = -r;
                fprintf(stderr, "promvipctl: cannot read %s: %m\n", path);
                r = 2;
                goto out;
        }
        if (r >= 0)
                r = ka_tree_build(&lines, &root, &notes);
        if (r >= 0)
                f = open_memstream(&text, &len);
        if (r >= 0 && !f)
                r = -ENOMEM;
        if (r >= 0)
                r = ka_convert(root, &o, f, &notes);
        if (f && fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                fprintf(stderr, "promvipctl: out of memory\n");
                r = 1;
                goto out;
        }
        fputs(text, stdout);
        sort_notes(&notes, &lines);
        for (size_t i = 0; i < notes.n; i++) {
                const KaNote *n = &notes.v[i];
                if (n->line)
                        fprintf(stderr, "%s:%u: ", n->file ?: path, n->line);
                else
                        fprintf(stderr, "%s: ", n->file ?: path);
                fprintf(stderr, "%s: %s\n", n->kind == KA_LOST ? "not carried over" : "changed", n->text);
        }
        lost = ka_notes_count(&notes, KA_LOST);
        fprintf(stderr, "promvipctl: imported %s: %zu statement%s carried over differently, %zu not carried over\n",
                path, notes.n - lost, notes.n - lost == 1 ? "" : "s", lost);
        r = fflush(stdout) != 0 ? 1 : lost > 0;
out:
        ka_notes_clear(&notes);
        ka_lines_clear(&lines);
        return r;
}
