/* keepalived.conf lines and statements, as keepalived's lib/parser.c reads
 * them (read_line(), decomment(), alloc_strvec_r()). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-parse.h"

#define WHITE_SPACE " \t\n\r\v\f"
#define MAX_DEPTH 32

int ka_note(KaNotes *notes, const char *file, unsigned line, KaNoteKind kind, const char *fmt, ...) {
        char *text = NULL, *f = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                text = NULL;
        if (file)
                f = strdup(file);
        if (!text || (file && !f))
                goto oom;
        if (notes->n == notes->cap) {
                size_t cap = notes->cap ? notes->cap * 2 : 16;
                KaNote *v = realloc(notes->v, cap * sizeof(*v));
                if (!v)
                        goto oom;
                notes->v = v;
                notes->cap = cap;
        }
        notes->v[notes->n++] = (KaNote) { .file = f, .line = line, .kind = kind, .text = text };
        return 0;
oom:
        free(text);
        free(f);
        notes->oom = true;
        return -ENOMEM;
}

void ka_notes_clear(KaNotes *notes) {
        for (size_t i = 0; i < notes->n; i++) {
                free(notes->v[i].file);
                free(notes->v[i].text);
        }
        free(notes->v);
        *notes = (KaNotes) {};
}

size_t ka_notes_count(const KaNotes *notes, KaNoteKind kind) {
        size_t n = 0;

        for (size_t i = 0; i < notes->n; i++)
                n += notes->v[i].kind == kind;
        return n;
}

const char *ka_lines_intern(KaLines *lines, const char *name) {
        char **v, *copy;

        for (size_t i = 0; i < lines->n_files; i++)
                if (strcmp(lines->files[i], name) == 0)
                        return lines->files[i];
        copy = strdup(name);
        v = copy ? realloc(lines->files, (lines->n_files + 1) * sizeof(*v)) : NULL;
        if (!v) {
                free(copy);
                return NULL;
        }
        lines->files = v;
        v[lines->n_files++] = copy;
        return copy;
}

void ka_lines_clear(KaLines *lines) {
        for (size_t i = 0; i < lines->n; i++)
                free(lines->v[i].text);
        for (size_t i = 0; i < lines->n_files; i++)
                free(lines->files[i]);
        free(lines->v);
        free(lines->files);
        *lines = (KaLines) {};
}

static int lines_add(KaLines *lines, const char *file, unsigned line, const char *text, size_t len, KaLineKind kind) {
        char *t;

        if (lines->n == lines->cap) {
                size_t cap = lines->cap ? lines->cap * 2 : 64;
                KaLine *v = realloc(lines->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                lines->v = v;
                lines->cap = cap;
        }
        t = strndup(text, len);
        if (!t)
                return -ENOMEM;
        lines->v[lines->n++] = (KaLine) { .file = file, .line = line, .text = t, .kind = kind };
        return 0;
}

/* decomment(): leading blanks, comments outside "..." (anywhere in the
 * line), \# and \! outside quotes unescaped, trailing blanks. */
static void decomment(char *s, bool *unterminated) {
        bool quote = false;
        char *p = s + strspn(s, " \t");
        size_t len;

        memmove(s, p, strlen(p) + 1);
        p = s;
        while ((p = strpbrk(p, "!#\"\\"))) {
                if (*p == '"') {
                        quote = !quote;
                        p++;
                        continue;
                }
                if (*p == '\\') {
                        if (!p[1])
                                break; /* a continuation: kept, keepalived uses it for definitions only */
                        if (!quote && (p[1] == '#' || p[1] == '!')) {
                                memmove(p, p + 1, strlen(p + 1) + 1);
                                p++;
                        } else
                                p += 2;
                        continue;
                }
                if (!quote) {
                        *p = '\0';
                        break;
                }
                p++;
        }
        *unterminated = quote;
        len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        s[len] = '\0';
}

/* keepalived's is_include(): "include PATTERN" or include[rmwba] PATTERN. */
static const char *include_pattern(const char *s) {
        if (strncmp(s, "include", 7) != 0 || !s[7])
                return NULL;
        if (s[7] == ' ' || s[7] == '\t')
                return s + 8 + strspn(s + 8, " \t");
        if (strchr("rmwba", s[7]) && (s[8] == ' ' || s[8] == '\t'))
                return s + 9 + strspn(s + 9, " \t");
        return NULL;
}

/* Splits a decommented line at { and } outside "...", as read_line() does. */
static int split_braces(KaLines *out, const char *file, unsigned line, const char *s) {
        int r;

        while (*s) {
                const char *p = s;
                size_t len;

                if (*p != '{' && *p != '}')
                        for (p = strpbrk(p, "{}\""); p && *p == '"'; p = strpbrk(p, "{}\"")) {
                                p = strchr(p + 1, '"');
                                if (!p)
                                        break;
                                p++;
                        }
                if (p && p == s) {
                        r = lines_add(out, file, line, s, 1, KA_LINE_TEXT);
                        if (r < 0)
                                return r;
                        s += 1 + strspn(s + 1, " \t");
                        continue;
                }
                len = p ? (size_t) (p - s) : strlen(s);
                while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                        len--;
                if (len > 0) {
                        r = lines_add(out, file, line, s, len, KA_LINE_TEXT);
                        if (r < 0)
                                return r;
                }
                if (!p)
                        break;
                s = p;
        }
        return 0;
}

static int lex_line(char *s, const char *file, unsigned lineno, const char *config_id, KaLines *out,
                    KaNotes *notes) {
        bool unterminated;
        const char *inc;

        decomment(s, &unterminated);
        if (unterminated)
                ka_note(notes, file, lineno, KA_LOST, "unterminated quote (keepalived reports it too)");
        if (!*s)
                return 0;
        if (s[0] == '@') {
                bool reverse = s[1] == '^';
                const char *id = s + 1 + reverse, *end = strpbrk(id, " \t");
                bool match;

                if (!end)
                        return 0;
                match = config_id && (size_t) (end - id) == strlen(config_id) &&
                        strncmp(id, config_id, (size_t) (end - id)) == 0;
                if (match == reverse) {
                        ka_note(notes, file, lineno, KA_CHANGED,
                                "skipped as keepalived does: '@%.*s' does not apply to config id '%s'",
                                (int) (end - s - 1), s + 1, config_id ?: "");
                        return 0;
                }
                memmove(s, end + strspn(end, " \t"), strlen(end + strspn(end, " \t")) + 1);
                if (!*s)
                        return 0;
        }
        if (s[0] == '$' && ka_definition_name(s) > 0) {
                size_t n = ka_definition_name(s);
                const char *v = s + 1 + n + strspn(s + 1 + n, " \t") + 1;
                _cleanup_free_ char *def = NULL;

                v += strspn(v, " \t");
                if (*v && v[strlen(v) - 1] == '\\')
                        return ka_note(notes, file, lineno, KA_LOST,
                                       "multi-line definitions are not expanded by the importer: expand this "
                                       "one by hand");
                if (asprintf(&def, "%.*s=%s", (int) n, s + 1, v) < 0)
                        return -ENOMEM;
                return lines_add(out, file, lineno, def, strlen(def), KA_LINE_DEFINE);
        }
        if (strncmp(s, "~SEQ", 4) == 0 || strncmp(s, "~LST", 4) == 0) {
                ka_note(notes, file, lineno, KA_LOST, "%.4s is not expanded by the importer", s);
                return 0;
        }
        if (strchr(s, '$'))
                return lines_add(out, file, lineno, s, strlen(s), KA_LINE_EXPAND);
        inc = include_pattern(s);
        if (inc)
                return lines_add(out, file, lineno, inc, strlen(inc), KA_LINE_INCLUDE);
        return split_braces(out, file, lineno, s);
}

int ka_lex(const char *buf, size_t len, const char *file, const char *config_id, KaLines *out, KaNotes *notes) {
        unsigned lineno = 0;
        size_t pos = 0;

        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t end = nl ? (size_t) (nl - buf) : len, l = end - pos;
                _cleanup_free_ char *s = NULL;
                int r;

                lineno++;
                if (memchr(buf + pos, '\0', l)) {
                        ka_note(notes, file, lineno, KA_LOST, "line with a NUL byte ignored (as keepalived does)");
                        pos = end + 1;
                        continue;
                }
                while (l > 0 && buf[pos + l - 1] == '\r')
                        l--;
                s = strndup(buf + pos, l);
                if (!s)
                        return -ENOMEM;
                r = lex_line(s, file, lineno, config_id, out, notes);
                if (r < 0)
                        return r;
                if (notes->oom)
                        return -ENOMEM;
                pos = end + 1;
        }
        return 0;
}

void ka_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

size_t ka_strv_length(char *const *v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

int ka_strv_push(char ***v, size_t *n, const char *s, size_t len) {
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));

        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = strndup(s, len);
        if (!nv[*n])
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

/* The words of a keyword's line (alloc_strvec_r()): a word starting with "
 * runs to the next " (an unmatched one ends the line, as keepalived does). */
static int split_words(const char *s, char ***ret, size_t *ret_n, bool *unmatched) {
        _cleanup_(ka_strv_freep) char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        int r;

        if (!v)
                return -ENOMEM;
        *unmatched = false;
        for (;;) {
                const char *start, *end;

                s += strspn(s, WHITE_SPACE);
                if (!*s)
                        break;
                if (*s == '"') {
                        start = s + 1;
                        end = strchr(start, '"');
                        if (!end) {
                                *unmatched = true;
                                break;
                        }
                        s = end + 1;
                } else {
                        start = s;
                        end = s + strcspn(s, WHITE_SPACE "\"");
                        s = end;
                }
                r = ka_strv_push(&v, &n, start, (size_t) (end - start));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

void ka_stmt_free(KaStmt *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_children; i++)
                ka_stmt_free(s->children[i]);
        free(s->children);
        ka_strv_free(s->words);
        free(s->raw);
        free(s);
}

const char *ka_stmt_keyword(const KaStmt *s) {
        return s->n_words > 0 ? s->words[0] : "";
}

static int stmt_add_child(KaStmt *parent, KaStmt *child) {
        KaStmt **v = realloc(parent->children, (parent->n_children + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        parent->children = v;
        v[parent->n_children++] = child;
        return 0;
}

static KaStmt *stmt_new(const KaLine *l, const char *text) {
        KaStmt *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->file = l->file;
        s->line = l->line;
        s->raw = strdup(text);
        if (!s->raw) {
                free(s);
                return NULL;
        }
        return s;
}

typedef struct Tree {
        KaStmt *stack[MAX_DEPTH + 1];
        KaStmt *last; /* the statement of the previous line, if it can take a block */
        unsigned depth, skipping;
        KaNotes *notes;
} Tree;

static int tree_line(Tree *t, const KaLine *l) {
        KaStmt *s;
        bool unmatched;
        int r;

        if (t->skipping) {
                t->skipping += strcmp(l->text, "{") == 0;
                t->skipping -= strcmp(l->text, "}") == 0;
                return 0;
        }
        if (strcmp(l->text, "}") == 0) {
                if (t->depth == 0)
                        ka_note(t->notes, l->file, l->line, KA_LOST, "extra '}' ignored (as keepalived does)");
                else
                        t->depth--;
                t->last = NULL;
                return 0;
        }
        if (strcmp(l->text, "{") == 0) {
                if (t->depth == MAX_DEPTH) {
                        ka_note(t->notes, l->file, l->line, KA_LOST, "blocks nested deeper than %d ignored", MAX_DEPTH);
                        t->skipping = 1;
                        return 0;
                }
                if (!t->last) {
                        /* keepalived ignores the brace; the lines after still need closing. */
                        s = stmt_new(l, "");
                        if (!s || stmt_add_child(t->stack[t->depth], s) < 0) {
                                ka_stmt_free(s);
                                return -ENOMEM;
                        }
                        s->words = calloc(1, sizeof(char *));
                        if (!s->words)
                                return -ENOMEM;
                        t->last = s;
                }
                t->last->block = true;
                t->stack[++t->depth] = t->last;
                t->last = NULL;
                return 0;
        }
        s = stmt_new(l, l->text);
        if (!s || stmt_add_child(t->stack[t->depth], s) < 0) {
                ka_stmt_free(s);
                return -ENOMEM;
        }
        r = split_words(l->text, &s->words, &s->n_words, &unmatched);
        if (r < 0)
                return r;
        if (unmatched)
                ka_note(t->notes, l->file, l->line, KA_LOST,
                        "unmatched quote: the line ends there (as keepalived reads it)");
        t->last = s;
        return 0;
}

/* A line with a '$': the definitions replaced, comments removed again, then
 * split at braces, as read_line() does. */
static int tree_expand(Tree *t, const KaDefs *defs, const KaLine *l) {
        _cleanup_free_ char *text = NULL;
        KaLines split = {};
        bool unterminated;
        int r;

        r = ka_defs_expand(defs, l->text, &text);
        if (r == -E2BIG)
                return ka_note(t->notes, l->file, l->line, KA_LOST, "definitions expand without end: line ignored");
        if (r < 0)
                return r;
        decomment(text, &unterminated);
        for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$'))
                if (!strncmp(p + 1 + (p[1] == '{'), "_PWD", 4) || !strncmp(p + 1 + (p[1] == '{'), "_INSTANCE", 9) ||
                    !strncmp(p + 1 + (p[1] == '{'), "_RANDOM", 7) || !strncmp(p + 1 + (p[1] == '{'), "_ENV", 4))
                        return ka_note(t->notes, l->file, l->line, KA_LOST,
                                       "keepalived's built-in definitions $_PWD, $_INSTANCE, $_RANDOM and $_ENV "
                                       "are not expanded by the importer: line ignored");
        if (include_pattern(text))
                return ka_note(t->notes, l->file, l->line, KA_LOST, "include built from a definition not expanded");
        r = split_braces(&split, l->file, l->line, text);
        for (size_t i = 0; r >= 0 && i < split.n; i++)
                r = tree_line(t, &split.v[i]);
        ka_lines_clear(&split);
        return r;
}

int ka_tree_build(const KaLines *lines, KaStmt **ret, KaNotes *notes) {
        _cleanup_(ka_stmt_freep) KaStmt *root = calloc(1, sizeof(KaStmt));
        Tree t = { .notes = notes };
        KaDefs defs = {};
        int r = 0;

        if (!root)
                return -ENOMEM;
        t.stack[0] = root;
        /* keepalived's constant built-in definitions */
        if (ka_defs_set(&defs, "_HASH", 5, "#") < 0 || ka_defs_set(&defs, "_BANG", 5, "!") < 0)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < lines->n; i++) {
                const KaLine *l = &lines->v[i];

                switch (l->kind) {
                case KA_LINE_INCLUDE:
                        r = ka_note(notes, l->file, l->line, KA_LOST, "include '%s' not expanded", l->text);
                        t.last = NULL;
                        break;
                case KA_LINE_DEFINE:
                        r = ka_defs_set(&defs, l->text, strcspn(l->text, "="), l->text + strcspn(l->text, "=") + 1);
                        break;
                case KA_LINE_EXPAND:
                        r = tree_expand(&t, &defs, l);
                        break;
                default:
                        r = tree_line(&t, l);
                }
        }
        ka_defs_clear(&defs);
        if (r < 0)
                return r;
        for (; t.depth > 0; t.depth--)
                ka_note(notes, t.stack[t.depth]->file, t.stack[t.depth]->line, KA_LOST,
                        "'%s' block not closed before the end of the configuration", ka_stmt_keyword(t.stack[t.depth]));
        if (notes->oom)
                return -ENOMEM;
        *ret = TAKE_PTR(root);
        return 0;
}
