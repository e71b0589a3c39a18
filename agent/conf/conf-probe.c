/* Parsing and validation of one element of `probes`. */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf-internal.h"

#define PROBE_INTERVAL_MIN 0.1
#define PROBE_INTERVAL_MAX 3600.0
#define PROBE_COUNT_MAX 1000
#define WEIGHT_MAX 253

static const char *const probe_kind_names[_PROBE_KIND_MAX] = {
        [PROBE_HTTP] = "http",
        [PROBE_PROMQL] = "promql",
        [PROBE_EXEC] = "exec",
        [PROBE_FILE] = "file",
};

const char *probe_kind_to_string(ProbeKind k) {
        return k < _PROBE_KIND_MAX ? probe_kind_names[k] : "unknown";
}

int probe_kind_from_string(const char *s) {
        for (size_t i = 0; i < _PROBE_KIND_MAX; i++)
                if (strcmp(probe_kind_names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

#define COMMON_KEYS "name", "type", "interval", "timeout", "fall", "rise", "weight"
#define HTTP_KEYS                                                                        \
        "url", "ca_file", "cert_file", "key_file", "tls_skip_verify", "username", "password", \
                "bearer_token_file", "headers"

static const char *const http_keys[] = { COMMON_KEYS, HTTP_KEYS, NULL };
static const char *const promql_keys[] = { COMMON_KEYS, HTTP_KEYS, "query", "min", "max", NULL };
static const char *const exec_keys[] = { COMMON_KEYS, "command", NULL };
/* interval, timeout, fall and rise are refused with a reason (conf-track.c). */
static const char *const file_keys[] = { COMMON_KEYS, "path", "missing", NULL };
static const char *const *const known_keys[_PROBE_KIND_MAX] = {
        [PROBE_HTTP] = http_keys,
        [PROBE_PROMQL] = promql_keys,
        [PROBE_EXEC] = exec_keys,
        [PROBE_FILE] = file_keys,
};

/* http(s) URL with a host, checked by libcurl's own URL parser. For promql
 * the URL is the server's base, so it carries no query or fragment. */
static bool url_is_valid(const char *s, bool base_only, const char **reason) {
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *query = NULL, *fragment = NULL;
        bool ok = false;

        *reason = "not a valid URL";
        if (!u)
                return false;
        if (curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
                *reason = "the scheme must be http or https";
                goto out;
        }
        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
                *reason = "the URL has no host";
                goto out;
        }
        if (base_only && (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
                          curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK)) {
                *reason = "give the server's base URL, without '?' or '#' (the query goes in 'query')";
                goto out;
        }
        ok = true;
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(query);
        curl_free(fragment);
        curl_url_cleanup(u);
        return ok;
}

static bool header_is_valid(const char *h) {
        const char *colon = strchr(h, ':');
        size_t name_len;

        if (!colon || colon == h || strpbrk(h, "\r\n"))
                return false;
        name_len = (size_t) (colon - h);
        return strspn(h, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
               name_len;
}

static void parse_http(ConfCtx *ctx, const config_setting_t *s, ProbeKind kind, HttpConfig *h) {
        const char *reason;

        if (conf_get_string(ctx, s, "url", &h->url) == 0)
                conf_error(ctx, s, "'url' is required for a probe of type '%s'", probe_kind_to_string(kind));
        else if (h->url && !url_is_valid(h->url, kind == PROBE_PROMQL, &reason))
                conf_error(ctx, config_setting_get_member(s, "url"), "bad url '%s': %s", h->url, reason);

        (void) conf_get_string(ctx, s, "ca_file", &h->ca_file);
        (void) conf_get_string(ctx, s, "cert_file", &h->cert_file);
        (void) conf_get_string(ctx, s, "key_file", &h->key_file);
        (void) conf_get_bool(ctx, s, "tls_skip_verify", &h->tls_skip_verify);
        (void) conf_get_string(ctx, s, "username", &h->username);
        (void) conf_get_string(ctx, s, "password", &h->password);
        (void) conf_get_string(ctx, s, "bearer_token_file", &h->bearer_token_file);

        const char *paths[] = { "ca_file", "cert_file", "key_file", "bearer_token_file" };
        char *values[] = { h->ca_file, h->cert_file, h->key_file, h->bearer_token_file };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (values[i] && values[i][0] != '/')
                        conf_error(ctx, config_setting_get_member(s, paths[i]),
                                   "'%s' must be an absolute path (got '%s')", paths[i], values[i]);

        if (h->key_file && !h->cert_file)
                conf_error(ctx, config_setting_get_member(s, "key_file"), "'key_file' needs 'cert_file'");
        if (h->password && !h->username)
                conf_error(ctx, config_setting_get_member(s, "password"), "'password' needs 'username'");
        if (h->username && !h->password)
                conf_error(ctx, config_setting_get_member(s, "username"), "'username' needs 'password'");
        if (h->username && h->bearer_token_file)
                conf_error(ctx, config_setting_get_member(s, "bearer_token_file"),
                           "use either 'username'/'password' or 'bearer_token_file', not both");

        if (conf_get_strings(ctx, s, "headers", &h->headers, &h->n_headers) > 0)
                for (size_t i = 0; i < h->n_headers; i++)
                        if (!header_is_valid(h->headers[i]))
                                conf_error(ctx, config_setting_get_member(s, "headers"),
                                           "bad header '%s': expected \"Name: value\"", h->headers[i]);
}

static void parse_promql(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *p) {
        if (conf_get_string(ctx, s, "query", &p->query) == 0)
                conf_error(ctx, s, "'query' is required for a probe of type 'promql'");
        else if (p->query && !p->query[0])
                conf_error(ctx, config_setting_get_member(s, "query"), "'query' must not be empty");

        p->min = -INFINITY;
        p->max = INFINITY;
        (void) conf_get_double(ctx, s, "min", &p->min);
        (void) conf_get_double(ctx, s, "max", &p->max);
        if (p->min > p->max)
                conf_error(ctx, config_setting_get_member(s, "max"),
                           "'min' (%g) must not be greater than 'max' (%g)", p->min, p->max);
}

static void parse_timing(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *p) {
        long long v;
        int ri, rt;

        p->interval_usec = USEC_PER_SEC;
        ri = conf_get_seconds(ctx, s, "interval", PROBE_INTERVAL_MIN, PROBE_INTERVAL_MAX,
                              &p->interval_usec);
        p->timeout_usec = p->interval_usec / 2;
        rt = conf_get_seconds(ctx, s, "timeout", 0.001, PROBE_INTERVAL_MAX, &p->timeout_usec);
        if (ri >= 0 && rt > 0 && p->timeout_usec >= p->interval_usec)
                conf_error(ctx, config_setting_get_member(s, "timeout"),
                           "'timeout' (%gs) must be shorter than 'interval' (%gs%s)",
                           (double) p->timeout_usec / USEC_PER_SEC,
                           (double) p->interval_usec / USEC_PER_SEC, ri ? "" : ", the default");

        p->fall = p->rise = 1;
        if (conf_get_int(ctx, s, "fall", 1, PROBE_COUNT_MAX, &v) > 0)
                p->fall = (unsigned) v;
        if (conf_get_int(ctx, s, "rise", 1, PROBE_COUNT_MAX, &v) > 0)
                p->rise = (unsigned) v;
        p->weight = 0;
        if (conf_get_int(ctx, s, "weight", -WEIGHT_MAX, WEIGHT_MAX, &v) > 0)
                p->weight = (int) v;
}

int conf_parse_probe(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *p) {
        _cleanup_free_ char *type = NULL;
        int kind;

        p->line = conf_line(s);
        if (conf_get_string(ctx, s, "name", &p->name) == 0)
                conf_error(ctx, s, "'name' is required");
        else if (p->name && !conf_name_is_valid(p->name))
                conf_error(ctx, config_setting_get_member(s, "name"),
                           "bad name '%s': use 1-%d letters, digits, '_', '.' or '-'", p->name,
                           CONF_NAME_MAX);
        if (p->name && conf_name_is_valid(p->name))
                snprintf(ctx->where, sizeof(ctx->where), "probe '%s'", p->name);

        if (conf_get_string(ctx, s, "type", &type) == 0) {
                conf_error(ctx, s, "'type' is required: http, promql, exec or file");
                return -1;
        }
        if (!type)
                return -1;
        kind = probe_kind_from_string(type);
        if (kind < 0) {
                conf_error(ctx, config_setting_get_member(s, "type"),
                           "unknown type '%s': use http, promql, exec or file", type);
                return -1;
        }
        p->kind = (ProbeKind) kind;

        conf_check_keys(ctx, s, known_keys[kind]);
        parse_timing(ctx, s, p);
        if (p->kind == PROBE_HTTP || p->kind == PROBE_PROMQL)
                parse_http(ctx, s, p->kind, &p->http);
        if (p->kind == PROBE_PROMQL)
                parse_promql(ctx, s, p);
        if (p->kind == PROBE_EXEC && conf_get_argv(ctx, s, "command", &p->command) == 0)
                conf_error(ctx, s, "'command' is required for a probe of type 'exec'");
        if (p->kind == PROBE_FILE)
                conf_parse_file_probe(ctx, s, p);
        return 0;
}

void conf_probe_free(ProbeConfig *p) {
        HttpConfig *h = &p->http;

        free(p->name);
        free(h->url);
        free(h->ca_file);
        free(h->cert_file);
        free(h->key_file);
        free(h->username);
        free(h->password);
        free(h->bearer_token_file);
        strv_free(h->headers, h->n_headers);
        free(p->query);
        argv_free(&p->command);
        free(p->path);
        *p = (ProbeConfig) {};
}

static bool str_eq(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, size_t na, char **b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t k = 0; k < na; k++)
                if (strcmp(a[k], b[k]) != 0)
                        return false;
        return true;
}

bool conf_probe_equal(const ProbeConfig *a, const ProbeConfig *b) {
        const HttpConfig *x = &a->http, *y = &b->http;

        /* The weight belongs to the tracks, not to how the probe runs. */
        return str_eq(a->name, b->name) && a->kind == b->kind && a->interval_usec == b->interval_usec &&
               a->timeout_usec == b->timeout_usec && a->fall == b->fall && a->rise == b->rise &&
               str_eq(x->url, y->url) && str_eq(x->ca_file, y->ca_file) && str_eq(x->cert_file, y->cert_file) &&
               str_eq(x->key_file, y->key_file) && x->tls_skip_verify == y->tls_skip_verify &&
               str_eq(x->username, y->username) && str_eq(x->password, y->password) &&
               str_eq(x->bearer_token_file, y->bearer_token_file) &&
               strv_eq(x->headers, x->n_headers, y->headers, y->n_headers) && str_eq(a->query, b->query) &&
               memcmp(&a->min, &b->min, sizeof(a->min)) == 0 && memcmp(&a->max, &b->max, sizeof(a->max)) == 0 &&
               strv_eq(a->command.argv, a->command.argc, b->command.argv, b->command.argc) &&
               str_eq(a->path, b->path) && a->missing == b->missing;
}
