/* The files of a keepalived configuration: reading them and expanding
 * `include` (the only I/O of the importer's parsing). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/keepalived-read.h"

#define MAX_FILE_SIZE (16u << 20)
#define MAX_INCLUDE_DEPTH 16

static int read_all(const char *path, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        FILE *f = fopen(path, "re");
        int r = 0;

        if (!f)
                return -errno;
        for (;;) {
                size_t k;

                if (len == cap) {
                        char *nb;
                        if (cap >= MAX_FILE_SIZE) {
                                r = -EFBIG;
                                break;
                        }
                        cap = cap ? cap * 2 : 4096;
                        nb = realloc(buf, cap);
                        if (!nb) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = nb;
                }
                k = fread(buf + len, 1, cap - len, f);
                len += k;
                if (k == 0) {
                        if (ferror(f))
                                r = errno ? -errno : -EIO;
                        break;
                }
        }
        fclose(f);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int read_file(const char *path, const char *config_id, unsigned depth, KaLines *out, KaNotes *notes);

/* One include line: its pattern relative to the including file's directory. */
static int expand_include(const KaLine *l, const char *config_id, unsigned depth, KaLines *out, KaNotes *notes) {
        _cleanup_free_ char *pattern = NULL;
        const char *slash = strrchr(l->file, '/');
        glob_t g = {};
        int r = 0, k;

        if (l->text[0] != '/' && slash)
                r = asprintf(&pattern, "%.*s/%s", (int) (slash - l->file), l->file, l->text);
        else
                pattern = strdup(l->text);
        if (r < 0 || !pattern)
                return -ENOMEM;
        if (depth >= MAX_INCLUDE_DEPTH)
                return ka_note(notes, l->file, l->line, KA_LOST, "include '%s': includes nested deeper than %d",
                               l->text, MAX_INCLUDE_DEPTH);
        k = glob(pattern, GLOB_MARK | GLOB_BRACE, NULL, &g);
        if (k == GLOB_NOSPACE)
                return -ENOMEM;
        if (k != 0) {
                ka_note(notes, l->file, l->line, KA_CHANGED, "include '%s' matches no file (skipped, as by keepalived)",
                        pattern);
                globfree(&g);
                return notes->oom ? -ENOMEM : 0;
        }
        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++) {
                const char *p = g.gl_pathv[i];
                struct stat st;

                if (p[0] && p[strlen(p) - 1] == '/') {
                        ka_note(notes, l->file, l->line, KA_CHANGED,
                                "include: %s is a directory (skipped, as by keepalived)", p);
                        continue;
                }
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111)) {
                        ka_note(notes, l->file, l->line, KA_CHANGED,
                                "include: %s is not a regular non-executable file (skipped, as by keepalived)", p);
                        continue;
                }
                r = read_file(p, config_id, depth + 1, out, notes);
                if (r < 0 && r != -ENOMEM) {
                        errno = -r;
                        r = ka_note(notes, l->file, l->line, KA_LOST, "include: cannot read %s: %m", p);
                }
        }
        globfree(&g);
        return r < 0 ? r : notes->oom ? -ENOMEM : 0;
}

static int read_file(const char *path, const char *config_id, unsigned depth, KaLines *out, KaNotes *notes) {
        _cleanup_free_ char *buf = NULL;
        KaLines tmp = {};
        const char *file;
        size_t len = 0;
        int r;

        r = read_all(path, &buf, &len);
        if (r < 0)
                return r;
        file = ka_lines_intern(out, path);
        if (!file)
                return -ENOMEM;
        r = ka_lex(buf, len, file, config_id, &tmp, notes);
        for (size_t i = 0; r >= 0 && i < tmp.n; i++) {
                KaLine *l = &tmp.v[i];

                if (l->kind == KA_LINE_INCLUDE) {
                        r = expand_include(l, config_id, depth, out, notes);
                        continue;
                }
                if (out->n == out->cap) {
                        size_t cap = out->cap ? out->cap * 2 : 64;
                        KaLine *v = realloc(out->v, cap * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        out->v = v;
                        out->cap = cap;
                }
                out->v[out->n++] = *l;
                l->text = NULL;
        }
        ka_lines_clear(&tmp);
        return r;
}

int ka_read(const char *path, const char *config_id, KaLines *out, KaNotes *notes) {
        return read_file(path, config_id, 0, out, notes);
}
