/* Typed getters over libconfig settings; see conf-internal.h. */
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf-internal.h"

unsigned conf_line(const config_setting_t *s) {
        return s ? config_setting_source_line(s) : 0;
}

_printf_(4, 0) static void conf_verror_at(ConfCtx *ctx, const char *file, unsigned line, const char *fmt,
                                          va_list ap) {
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                ctx->oom = true;
                return;
        }
        if ((ctx->where[0] ? conf_errors_add(ctx->errs, file, line, "%s: %s", ctx->where, msg)
                           : conf_errors_add(ctx->errs, file, line, "%s", msg)) < 0)
                ctx->oom = true;
}

void conf_error_at(ConfCtx *ctx, const char *file, unsigned line, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        conf_verror_at(ctx, file, line, fmt, ap);
        va_end(ap);
}

void conf_error(ConfCtx *ctx, const config_setting_t *s, const char *fmt, ...) {
        const char *file = s ? config_setting_source_file(s) : NULL;
        va_list ap;

        va_start(ap, fmt);
        conf_verror_at(ctx, file ? file : ctx->file, conf_line(s), fmt, ap);
        va_end(ap);
}

/* Levenshtein distance, capped: enough to suggest "priority" for "priorty". */
static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[CONF_NAME_MAX + 1];

        if (la > CONF_NAME_MAX || lb > CONF_NAME_MAX)
                return 99;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

void conf_check_keys(ConfCtx *ctx, const config_setting_t *s, const char *const *known) {
        int n = config_setting_length(s);

        for (int i = 0; i < n; i++) {
                const config_setting_t *c = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_name(c);
                const char *guess = NULL;
                bool found = false;

                for (size_t k = 0; known[k]; k++) {
                        if (strcmp(known[k], name) == 0) {
                                found = true;
                                break;
                        }
                        if (!guess && edit_distance(known[k], name) <= 2)
                                guess = known[k];
                }
                if (found)
                        continue;
                if (guess)
                        conf_error(ctx, c, "unknown setting '%s' (did you mean '%s'?)", name, guess);
                else
                        conf_error(ctx, c, "unknown setting '%s'", name);
        }
}

static const char *type_name(int type) {
        switch (type) {
        case CONFIG_TYPE_GROUP: return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: return "an integer";
        case CONFIG_TYPE_FLOAT: return "a number";
        case CONFIG_TYPE_STRING: return "a string";
        case CONFIG_TYPE_BOOL: return "true or false";
        case CONFIG_TYPE_ARRAY: return "an array";
        case CONFIG_TYPE_LIST: return "a list";
        default: return "something else";
        }
}

static int type_error(ConfCtx *ctx, const config_setting_t *s, const char *key, const char *want) {
        conf_error(ctx, s, "'%s' must be %s, not %s", key, want, type_name(config_setting_type(s)));
        return -1;
}

int conf_get_string(ConfCtx *ctx, const config_setting_t *g, const char *key, char **ret) {
        const config_setting_t *s = config_setting_get_member(g, key);
        char *v;

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return type_error(ctx, s, key, "a string");
        v = conf_strdup(ctx, config_setting_get_string(s));
        if (!v)
                return -1;
        free(*ret);
        *ret = v;
        return 1;
}

int conf_get_bool(ConfCtx *ctx, const config_setting_t *g, const char *key, bool *ret) {
        const config_setting_t *s = config_setting_get_member(g, key);

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                return type_error(ctx, s, key, "true or false");
        *ret = config_setting_get_bool(s);
        return 1;
}

int conf_get_int(ConfCtx *ctx, const config_setting_t *g, const char *key, long long min,
                 long long max, long long *ret) {
        const config_setting_t *s = config_setting_get_member(g, key);
        long long v;

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
                return type_error(ctx, s, key, "an integer");
        v = config_setting_get_int64(s);
        if (v < min || v > max) {
                conf_error(ctx, s, "'%s' must be between %lld and %lld (got %lld)", key, min, max, v);
                return -1;
        }
        *ret = v;
        return 1;
}

static int get_number(ConfCtx *ctx, const config_setting_t *s, const char *key, double *ret) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                *ret = (double) config_setting_get_int64(s);
                return 1;
        case CONFIG_TYPE_FLOAT:
                *ret = config_setting_get_float(s);
                if (!isfinite(*ret)) {
                        conf_error(ctx, s, "'%s' must be a finite number", key);
                        return -1;
                }
                return 1;
        default:
                return type_error(ctx, s, key, "a number");
        }
}

int conf_get_double(ConfCtx *ctx, const config_setting_t *g, const char *key, double *ret) {
        const config_setting_t *s = config_setting_get_member(g, key);

        return s ? get_number(ctx, s, key, ret) : 0;
}

int conf_get_seconds(ConfCtx *ctx, const config_setting_t *g, const char *key, double min,
                     double max, uint64_t *ret_usec) {
        const config_setting_t *s = config_setting_get_member(g, key);
        double v;
        int r;

        if (!s)
                return 0;
        r = get_number(ctx, s, key, &v);
        if (r < 0)
                return r;
        if (v < min || v > max) {
                conf_error(ctx, s, "'%s' must be between %g and %g seconds (got %g)", key, min, max, v);
                return -1;
        }
        *ret_usec = (uint64_t) llround(v * (double) USEC_PER_SEC);
        return 1;
}

void strv_free(char **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void argv_free(Argv *a) {
        strv_free(a->argv, a->argc);
        free(a->file);
        *a = (Argv) {};
}

/* Elements of a list or array that must all be strings; counts bad ones. */
static int collect_strings(ConfCtx *ctx, const config_setting_t *s, const char *key, char ***ret,
                           size_t *ret_n) {
        int n = config_setting_length(s);
        char **v = conf_calloc(ctx, (size_t) n + 1, sizeof(char *));
        size_t k = 0;
        int bad = 0;

        if (!v)
                return -1;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        conf_error(ctx, e, "'%s' element %d must be a string, not %s", key, i + 1,
                                   type_name(config_setting_type(e)));
                        bad++;
                        continue;
                }
                v[k] = conf_strdup(ctx, config_setting_get_string(e));
                if (!v[k]) {
                        strv_free(v, k);
                        return -1;
                }
                k++;
        }
        if (bad) {
                strv_free(v, k);
                return -1;
        }
        *ret = v;
        *ret_n = k;
        return 1;
}

int conf_get_strings(ConfCtx *ctx, const config_setting_t *g, const char *key, char ***ret,
                     size_t *ret_n) {
        const config_setting_t *s = config_setting_get_member(g, key);

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY)
                return type_error(ctx, s, key, "a list of strings");
        return collect_strings(ctx, s, key, ret, ret_n);
}

int conf_get_argv(ConfCtx *ctx, const config_setting_t *g, const char *key, Argv *ret) {
        const config_setting_t *s = config_setting_get_member(g, key);
        const char *file;
        Argv a = {};
        int r;

        if (!s)
                return 0;
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_STRING:
                a.argv = conf_calloc(ctx, 2, sizeof(char *));
                if (!a.argv)
                        return -1;
                a.argv[0] = conf_strdup(ctx, config_setting_get_string(s));
                if (!a.argv[0]) {
                        argv_free(&a);
                        return -1;
                }
                a.argc = 1;
                break;
        case CONFIG_TYPE_LIST:
        case CONFIG_TYPE_ARRAY:
                r = collect_strings(ctx, s, key, &a.argv, &a.argc);
                if (r < 0)
                        return r;
                break;
        default:
                return type_error(ctx, s, key, "a path or a list of strings (argv)");
        }
        if (a.argc == 0) {
                conf_error(ctx, s, "'%s' must not be empty", key);
                argv_free(&a);
                return -1;
        }
        if (a.argv[0][0] != '/') {
                conf_error(ctx, s, "'%s' must start with an absolute path (got '%s'); commands run without a shell",
                           key, a.argv[0]);
                argv_free(&a);
                return -1;
        }
        file = config_setting_source_file(s);
        a.file = conf_strdup(ctx, file ? file : ctx->file);
        if (!a.file) {
                argv_free(&a);
                return -1;
        }
        a.line = conf_line(s);
        argv_free(ret);
        *ret = a;
        return 1;
}

const config_setting_t *conf_get_group_list(ConfCtx *ctx, const config_setting_t *g,
                                            const char *key) {
        const config_setting_t *s = config_setting_get_member(g, key);
        int n;

        if (!s)
                return NULL;
        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                type_error(ctx, s, key, "a list of groups: ( { ... }, { ... } )");
                return NULL;
        }
        n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
                        conf_error(ctx, e, "'%s' element %d must be a group { ... }, not %s", key,
                                   i + 1, type_name(config_setting_type(e)));
                        return NULL;
                }
        }
        return s;
}

/* As the kernel's dev_valid_name(). */
bool conf_ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
                        return false;
        return true;
}

bool conf_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CONF_NAME_MAX)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

char *conf_strdup(ConfCtx *ctx, const char *s) {
        char *d = strdup(s ? s : "");

        if (!d)
                ctx->oom = true;
        return d;
}

void *conf_calloc(ConfCtx *ctx, size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size);

        if (!p)
                ctx->oom = true;
        return p;
}
