/* Text expansion as keepalived does it: `$NAME=VALUE` definitions replacing
 * `$NAME` and `${NAME}` (lib/parser.c's check_definition() and
 * replace_param(), single-line definitions without parameters), and a
 * command line split into argv (alloc_strvec_quoted_escaped_common()). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-parse.h"

#define WHITE_SPACE " \t\n\r\v\f"
#define MAX_EXPANDED (64u << 10)
#define MAX_REPLACEMENTS 256

static bool name_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c) {
        return name_start(c) || (c >= '0' && c <= '9');
}

size_t ka_definition_name(const char *s) {
        size_t n = 1;

        if (s[0] != '$' || !name_start(s[1]))
                return 0;
        while (name_char(s[n + 1]))
                n++;
        return s[1 + n + strspn(s + 1 + n, " \t")] == '=' ? n : 0;
}

int ka_defs_set(KaDefs *d, const char *name, size_t len, const char *value) {
        char *v = strdup(value), *n;
        char **nv;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < d->n; i++)
                if (strlen(d->names[i]) == len && strncmp(d->names[i], name, len) == 0) {
                        free(d->values[i]);
                        d->values[i] = v;
                        return 0;
                }
        n = strndup(name, len);
        nv = n ? realloc(d->names, (d->n + 1) * sizeof(char *)) : NULL;
        if (nv)
                d->names = nv;
        nv = nv ? realloc(d->values, (d->n + 1) * sizeof(char *)) : NULL;
        if (!nv) {
                free(n);
                free(v);
                return -ENOMEM;
        }
        d->values = nv;
        d->names[d->n] = n;
        d->values[d->n++] = v;
        return 0;
}

void ka_defs_clear(KaDefs *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->names[i]);
                free(d->values[i]);
        }
        free(d->names);
        free(d->values);
        *d = (KaDefs) {};
}

/* The definition named at s (after the '$'): its value, and in *len how
 * much of s the reference takes; NULL when none matches. */
static const char *lookup(const KaDefs *d, const char *s, size_t *len) {
        bool braces = s[0] == '{';
        const char *name = s + braces;
        size_t n = 0;

        if (!name_start(name[0]))
                return NULL;
        while (name_char(name[n]))
                n++;
        if (braces ? name[n] != '}' : (name[n] && !strchr(" \t,)", name[n])))
                return NULL;
        for (size_t i = 0; i < d->n; i++)
                if (strlen(d->names[i]) == n && strncmp(d->names[i], name, n) == 0) {
                        *len = n + 2 * braces;
                        return d->values[i];
                }
        return NULL;
}

int ka_defs_expand(const KaDefs *d, const char *s, char **ret) {
        _cleanup_free_ char *buf = strdup(s);
        size_t pos = 0;
        unsigned done = 0;

        if (!buf)
                return -ENOMEM;
        /* As keepalived: the replacement is scanned again, so definitions nest. */
        while (buf[pos]) {
                const char *value;
                size_t len, vlen, total;
                char *nb;

                if (buf[pos] != '$' || !(value = lookup(d, buf + pos + 1, &len))) {
                        pos++;
                        continue;
                }
                vlen = strlen(value);
                total = strlen(buf) - len - 1 + vlen;
                if (++done > MAX_REPLACEMENTS || total > MAX_EXPANDED)
                        return -E2BIG;
                nb = malloc(total + 1);
                if (!nb)
                        return -ENOMEM;
                memcpy(nb, buf, pos);
                memcpy(nb + pos, value, vlen);
                strcpy(nb + pos + vlen, buf + pos + 1 + len);
                free(buf);
                buf = nb;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static char decode_escape(const char **pp) {
        const char *p = *pp;
        char c = 0;

        if (*p == 'x' && strchr("0123456789abcdefABCDEF", p[1]) && p[1]) {
                p++;
                for (int i = 0; i < 2 && *p && strchr("0123456789abcdefABCDEF", *p); i++, p++)
                        c = (char) ((c << 4) | (*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10));
        } else if (*p == 'c' && p[1]) {
                c = (char) (p[1] & 0x1f);
                p += 2;
        } else if (*p >= '0' && *p <= '7') {
                c = (char) (*p++ - '0');
                for (int i = 0; i < 2 && *p >= '0' && *p <= '7'; i++)
                        c = (char) ((c << 3) + (*p++ - '0'));
        } else {
                static const char from[] = "abEfnrtv", to[] = "\a\b\x1b\f\n\r\t\v";
                const char *k = strchr(from, *p);
                c = k ? to[k - from] : *p;
                p++;
        }
        *pp = p;
        return c;
}

int ka_split(const char *s, bool escapes, char ***ret) {
        _cleanup_(ka_strv_freep) char **v = calloc(1, sizeof(char *));
        _cleanup_free_ char *word = malloc(strlen(s) * 2 + 1);
        size_t n = 0;
        int r;

        if (!v || !word)
                return -ENOMEM;
        for (;;) {
                char quote = 0, *w = word;

                s += strspn(s, WHITE_SPACE);
                if (!*s)
                        break;
                while (*s) {
                        const char *stop = strpbrk(s, quote == '"'    ? "\"\\"
                                                      : quote == '\'' ? "'\\"
                                                                      : WHITE_SPACE "'\"\\");

                        if (!stop) {
                                if (quote)
                                        return -EINVAL;
                                w = stpcpy(w, s);
                                s += strlen(s);
                                break;
                        }
                        memcpy(w, s, (size_t) (stop - s));
                        w += stop - s;
                        s = stop;
                        if (*s == '\\') {
                                s++;
                                if (!*s)
                                        return -EINVAL;
                                if (escapes)
                                        *w++ = decode_escape(&s);
                                else {
                                        *w++ = '\\';
                                        *w++ = *s++;
                                }
                                continue;
                        }
                        if (quote) {
                                quote = 0;
                                s++;
                                continue;
                        }
                        if (*s == '"' || *s == '\'') {
                                quote = *s++;
                                continue;
                        }
                        break; /* white space */
                }
                r = ka_strv_push(&v, &n, word, (size_t) (w - word));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

