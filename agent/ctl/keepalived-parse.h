/* keepalived.conf as keepalived reads it (lib/parser.c), for
 * `promvipctl import-keepalived`: lines with comments (`#`, `!`) removed,
 * `@ID` lines kept only for this host's config id, split at `{` and `}`
 * outside double quotes, then built into a tree of statements, each with its
 * file and line. Words are split as keepalived splits a keyword's line;
 * ka_split() splits a script's command line into argv as keepalived does.
 *
 * Pure: works on buffers given by the caller (keepalived-read.c reads the
 * files and expands `include`), no I/O, no logging; what keepalived would
 * complain about becomes a KaNote. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

/* A report line: FILE:LINE: what was carried over differently (CHANGED) or
 * could not be (LOST). */
typedef enum KaNoteKind {
        KA_CHANGED,
        KA_LOST,
} KaNoteKind;

typedef struct KaNote {
        char *file;
        unsigned line;
        KaNoteKind kind;
        char *text;
} KaNote;

typedef struct KaNotes {
        KaNote *v;
        size_t n, cap;
        bool oom;
} KaNotes;

/* Adds a note (file may be NULL). On OOM sets notes->oom and returns -ENOMEM. */
int ka_note(KaNotes *notes, const char *file, unsigned line, KaNoteKind kind, const char *fmt, ...)
        _printf_(5, 6);
void ka_notes_clear(KaNotes *notes);
size_t ka_notes_count(const KaNotes *notes, KaNoteKind kind);

typedef enum KaLineKind {
        KA_LINE_TEXT,    /* after comments, conditions and brace splitting */
        KA_LINE_INCLUDE, /* include PATTERN: the pattern */
        KA_LINE_DEFINE,  /* $NAME=VALUE: "NAME=VALUE" */
        KA_LINE_EXPAND,  /* a line with a '$': expanded, then split at braces, by ka_tree_build() */
} KaLineKind;

/* One logical line ("{" and "}" are lines of their own). */
typedef struct KaLine {
        const char *file; /* interned in KaLines.files */
        unsigned line;
        char *text;
        KaLineKind kind;
} KaLine;

typedef struct KaLines {
        KaLine *v;
        size_t n, cap;
        char **files;
        size_t n_files;
} KaLines;

/* A copy of `name` owned by `lines` (freed with it), or NULL on OOM. */
const char *ka_lines_intern(KaLines *lines, const char *name);
void ka_lines_clear(KaLines *lines);

/* Appends the lines of `buf` (`len` bytes, NULs allowed: such a line is
 * ignored as keepalived does) read from `file` (interned in `out`) to `out`.
 * `config_id` is keepalived's -i (its default: the host name up to the
 * first dot); NULL keeps no `@ID` line. 0 or -ENOMEM. */
int ka_lex(const char *buf, size_t len, const char *file, const char *config_id, KaLines *out, KaNotes *notes);

typedef struct KaStmt KaStmt;
struct KaStmt {
        const char *file;
        unsigned line;
        char *raw;    /* the line as keepalived hands it to the keyword */
        char **words; /* split as keepalived does: "..." is one word, quotes removed */
        size_t n_words;
        bool block; /* followed by { ... } */
        KaStmt **children;
        size_t n_children;
};

/* The statement tree of `lines` (include lines must have been expanded:
 * they are noted and skipped). *ret is a root with no words whose children
 * are the top-level statements. 0 or -ENOMEM. */
int ka_tree_build(const KaLines *lines, KaStmt **ret, KaNotes *notes);
void ka_stmt_free(KaStmt *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(KaStmt *, ka_stmt_free);

/* The keyword (first word), or "" for a block without one. */
const char *ka_stmt_keyword(const KaStmt *s);

/* keepalived's definitions, in the order read (keepalived-expand.c). */
typedef struct KaDefs {
        char **names, **values;
        size_t n;
} KaDefs;

/* The length of NAME when s is "$NAME=..." (blanks allowed before '='), else 0. */
size_t ka_definition_name(const char *s);
int ka_defs_set(KaDefs *d, const char *name, size_t len, const char *value);
void ka_defs_clear(KaDefs *d);
/* s with every $NAME / ${NAME} of a definition replaced (again within the
 * replacement, as keepalived does): 0, -E2BIG (too many or too long) or
 * -ENOMEM. */
int ka_defs_expand(const KaDefs *d, const char *s, char **ret);

/* Splits `s` as keepalived's alloc_strvec_quoted_escaped_common(): words
 * separated by blanks, '...' and "..." quote (quotes removed), with
 * `escapes` a backslash escape (\n, \t, \x41, \101, \c...) is decoded,
 * without it the backslash and the next character are kept. *ret is a
 * NULL-terminated malloc'ed array (possibly empty). 0, -EINVAL (unmatched
 * quote, trailing backslash) or -ENOMEM. */
int ka_split(const char *s, bool escapes, char ***ret);
void ka_strv_free(char **v);
size_t ka_strv_length(char *const *v);
/* Appends a copy of s[0..len) to the NULL-terminated *v of *n words. */
int ka_strv_push(char ***v, size_t *n, const char *s, size_t len);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, ka_strv_free);
