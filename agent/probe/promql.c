/* Judging a Prometheus instant-query answer (see promql.h).
 *
 * The answer of /api/v1/query is
 *   {"status":"success","data":{"resultType":"vector","result":[
 *       {"metric":{"job":"node"},"value":[1700000000.123,"42"]}, ...]}}
 * or, for a scalar, "result":[1700000000.123,"42"]; values are strings
 * ("NaN", "+Inf" and "-Inf" included). Anything else is a bad answer.
 *
 * Everything that ends up in the detail text and comes from the answer
 * (labels, error messages, values) is escaped and bounded, so the detail is
 * always valid UTF-8 (jansson only accepts valid UTF-8) and fits the
 * caller's buffer. No I/O, no logging, no globals. */
#include "probe/promql.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"

/* How much of one piece of foreign text goes into the detail. */
#define PROMQL_VALUE_TEXT_MAX 32
#define PROMQL_LABEL_TEXT_MAX 48
#define PROMQL_ERROR_TEXT_MAX 120

/* A bounded, always NUL-terminated text builder. Appends are all or
 * nothing, and once one did not fit, nothing more is appended (so a later,
 * shorter piece never follows a missing one); finishing marks the cut. */
typedef struct Text {
        char *buf;
        size_t size; /* > 0 */
        size_t len;
        bool truncated;
} Text;

static void text_init(Text *t, char *buf, size_t size) {
        *t = (Text) { .buf = buf, .size = size };
        buf[0] = '\0';
}

static bool text_append(Text *t, const char *s, size_t n) {
        if (t->truncated || n >= t->size - t->len) {
                t->truncated = true;
                return false;
        }
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
        return true;
}

static bool text_add(Text *t, const char *s) {
        return text_append(t, s, strlen(s));
}

_printf_(2, 3) static bool text_addf(Text *t, const char *fmt, ...) {
        char tmp[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(tmp)) {
                t->truncated = true;
                return false;
        }
        return text_append(t, tmp, (size_t) n);
}

/* Bytes of the UTF-8 sequence that starts with c (jansson validated it). */
static size_t utf8_seq_len(unsigned char c) {
        return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

typedef enum ForeignFlags {
        FOREIGN_QUOTED = 1 << 0, /* inside "...": escape '"' and '\\' */
        FOREIGN_ASCII = 1 << 1,  /* not validated by jansson: '?' for every byte outside printable ASCII */
} ForeignFlags;

/* Appends foreign text, at most max bytes of it, with control characters
 * shown as '?'. */
static void text_add_foreign(Text *t, const char *s, size_t n, size_t max, ForeignFlags flags) {
        size_t i = 0;

        while (i < n) {
                unsigned char c = (unsigned char) s[i];
                size_t k = (flags & FOREIGN_ASCII) ? 1 : utf8_seq_len(c);

                if (i + k > n)
                        k = n - i;
                if (i + k > max) {
                        (void) text_add(t, "...");
                        return;
                }
                if ((flags & FOREIGN_QUOTED) && (c == '"' || c == '\\')) {
                        char esc[2] = { '\\', (char) c };
                        if (!text_append(t, esc, 2))
                                return;
                } else if (c < 0x20 || c == 0x7f || ((flags & FOREIGN_ASCII) && c >= 0x80)) {
                        if (!text_append(t, "?", 1))
                                return;
                } else if (!text_append(t, s + i, k))
                        return;
                i += k;
        }
}

static void text_add_json_string(Text *t, const json_t *s, size_t max, ForeignFlags flags) {
        text_add_foreign(t, json_string_value(s), json_string_length(s), max, flags);
}

/* Ends the text with "..." when something did not fit. */
static void text_finish(Text *t) {
        if (!t->truncated || t->size < 4)
                return;
        if (t->len > t->size - 4)
                t->len = t->size - 4;
        while (t->len > 0 && ((unsigned char) t->buf[t->len] & 0xc0) == 0x80)
                t->len--; /* do not cut a UTF-8 sequence */
        memcpy(t->buf + t->len, "...", 4);
        t->len += 3;
}

/* The shortest text of a limit that reads back as the same number. */
static void text_add_limit(Text *t, double v) {
        char tmp[32];

        (void) snprintf(tmp, sizeof(tmp), "%.15g", v);
        if (!isnan(v) && strtod(tmp, NULL) != v)
                (void) snprintf(tmp, sizeof(tmp), "%.17g", v);
        (void) text_add(t, tmp);
}

_printf_(2, 3) static ProbeFailure bad_answer(Text *t, const char *fmt, ...) {
        char tmp[128];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        (void) text_add(t, tmp);
        return PROBE_FAIL_BAD_ANSWER;
}

/* Labels the way Prometheus prints them: name{label="value",...}. The
 * metric is an object whose values are all strings (checked before). */
static void text_add_metric(Text *t, const json_t *metric) {
        const json_t *name = json_object_get(metric, "__name__");
        const char *key;
        json_t *value;
        bool first = true;

        if (json_is_string(name))
                text_add_json_string(t, name, PROMQL_LABEL_TEXT_MAX, 0);
        (void) text_add(t, "{");
        json_object_foreach ((json_t *) metric, key, value) {
                if (value == name)
                        continue;
                if (!first)
                        (void) text_add(t, ",");
                first = false;
                text_add_foreign(t, key, strlen(key), PROMQL_LABEL_TEXT_MAX, 0);
                (void) text_add(t, "=\"");
                text_add_json_string(t, value, PROMQL_LABEL_TEXT_MAX, FOREIGN_QUOTED);
                (void) text_add(t, "\"");
        }
        (void) text_add(t, "}");
}

static bool metric_is_valid(const json_t *metric) {
        const char *key;
        json_t *value;

        if (!json_is_object(metric))
                return false;
        json_object_foreach ((json_t *) metric, key, value)
                if (!json_is_string(value))
                        return false;
        return true;
}

/* A sample value: the whole string must be a number. strtod() also takes
 * "NaN", "+Inf" and "-Inf" (Prometheus' spellings); a value beyond the
 * range of a double becomes +-Inf (ERANGE), which compares as it should.
 * The daemon runs in the C locale, so '.' is the decimal point. */
static bool parse_value(const json_t *v, double *ret) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        char *end;

        if (n == 0 || !((s[0] >= '0' && s[0] <= '9') || strchr("+-.IiNn", s[0])))
                return false; /* strtod() would skip leading white space */
        *ret = strtod(s, &end);
        return end == s + n;
}

/* One [timestamp, "value"] pair against [min, max]; metric is NULL for a
 * scalar. */
static ProbeFailure evaluate_sample(const json_t *pair, const json_t *metric, double min, double max,
                                    Text *t, const json_t **ret_value) {
        const json_t *ts = json_array_get(pair, 0), *value = json_array_get(pair, 1);
        bool below, above;
        double v;

        if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_number(ts) ||
            !json_is_string(value))
                return bad_answer(t, "a sample is not [timestamp, \"value\"]");
        if (!parse_value(value, &v)) {
                (void) text_add(t, "value \"");
                text_add_json_string(t, value, PROMQL_VALUE_TEXT_MAX, FOREIGN_QUOTED);
                (void) text_add(t, "\" is not a number");
                return PROBE_FAIL_BAD_ANSWER;
        }
        *ret_value = value;

        below = v < min;
        above = v > max;
        if (!isnan(v) && !below && !above)
                return PROBE_OK;

        (void) text_add(t, "value ");
        text_add_json_string(t, value, PROMQL_VALUE_TEXT_MAX, 0);
        if (!isnan(v)) {
                (void) text_add(t, below ? " < min " : " > max ");
                text_add_limit(t, below ? min : max);
        }
        if (metric) {
                (void) text_add(t, " for ");
                text_add_metric(t, metric);
        }
        return PROBE_FAIL_OUT_OF_RANGE;
}

static ProbeFailure evaluate_vector(const json_t *result, double min, double max, Text *t) {
        const json_t *last = NULL;
        size_t n = json_array_size(result);

        if (!json_is_array(result))
                return bad_answer(t, "vector result is not an array");
        if (n == 0) {
                (void) text_add(t, "empty result");
                return PROBE_FAIL_EMPTY;
        }

        for (size_t i = 0; i < n; i++) {
                const json_t *sample = json_array_get(result, i);
                const json_t *metric = json_object_get(sample, "metric");
                ProbeFailure f;

                if (!json_is_object(sample))
                        return bad_answer(t, "vector sample %zu is not an object", i);
                if (!metric_is_valid(metric))
                        return bad_answer(t, "vector sample %zu has no valid \"metric\"", i);
                if (!json_object_get(sample, "value"))
                        return bad_answer(t, "vector sample %zu has no \"value\"%s", i,
                                          json_object_get(sample, "histogram") ? " (a histogram)" : "");
                f = evaluate_sample(json_object_get(sample, "value"), metric, min, max, t, &last);
                if (f != PROBE_OK)
                        return f;
        }

        if (n == 1) {
                (void) text_add(t, "value ");
                text_add_json_string(t, last, PROMQL_VALUE_TEXT_MAX, 0);
        } else
                (void) text_addf(t, "%zu samples in range", n);
        return PROBE_OK;
}

static ProbeFailure evaluate_error(const json_t *root, Text *t) {
        const json_t *type = json_object_get(root, "errorType"), *error = json_object_get(root, "error");

        (void) text_add(t, "query error");
        if (json_is_string(type)) {
                (void) text_add(t, " (");
                text_add_json_string(t, type, PROMQL_LABEL_TEXT_MAX, 0);
                (void) text_add(t, ")");
        }
        if (json_is_string(error)) {
                (void) text_add(t, ": ");
                text_add_json_string(t, error, PROMQL_ERROR_TEXT_MAX, 0);
        }
        return PROBE_FAIL_BAD_ANSWER;
}

static ProbeFailure evaluate(const char *json, size_t len, double min, double max, Text *t) {
        json_auto_t *root = NULL; /* jansson's own cleanup attribute */
        const json_t *status, *data, *type, *result, *value = NULL;
        const char *type_name;
        json_error_t err;
        ProbeFailure f;

        if (!json || len == 0)
                return bad_answer(t, "empty answer");
        root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
        if (!root) {
                /* jansson's text quotes the input near the error: keep it ASCII. */
                (void) text_add(t, "not JSON: ");
                text_add_foreign(t, err.text, strnlen(err.text, sizeof(err.text)), PROMQL_ERROR_TEXT_MAX,
                                 FOREIGN_ASCII);
                return PROBE_FAIL_BAD_ANSWER;
        }
        if (!json_is_object(root))
                return bad_answer(t, "not a JSON object");

        status = json_object_get(root, "status");
        if (!json_is_string(status))
                return bad_answer(t, "no \"status\"");
        if (strcmp(json_string_value(status), "error") == 0)
                return evaluate_error(root, t);
        if (strcmp(json_string_value(status), "success") != 0) {
                (void) text_add(t, "status \"");
                text_add_json_string(t, status, PROMQL_LABEL_TEXT_MAX, FOREIGN_QUOTED);
                (void) text_add(t, "\"");
                return PROBE_FAIL_BAD_ANSWER;
        }

        data = json_object_get(root, "data");
        if (!json_is_object(data))
                return bad_answer(t, "no \"data\" object");
        type = json_object_get(data, "resultType");
        result = json_object_get(data, "result");
        if (!json_is_string(type))
                return bad_answer(t, "no \"resultType\"");
        if (!result)
                return bad_answer(t, "no \"result\"");

        type_name = json_string_value(type);
        if (strcmp(type_name, "vector") == 0)
                return evaluate_vector(result, min, max, t);
        if (strcmp(type_name, "scalar") == 0) {
                f = evaluate_sample(result, NULL, min, max, t, &value);
                if (f == PROBE_OK) {
                        (void) text_add(t, "value ");
                        text_add_json_string(t, value, PROMQL_VALUE_TEXT_MAX, 0);
                }
                return f;
        }

        (void) text_add(t, "result type \"");
        text_add_json_string(t, type, PROMQL_LABEL_TEXT_MAX, FOREIGN_QUOTED);
        (void) text_add(t, "\", expected a vector or a scalar");
        return PROBE_FAIL_BAD_ANSWER;
}

ProbeFailure promql_evaluate(const char *json, size_t len, double min, double max, char *detail,
                             size_t detail_size) {
        char scratch[1];
        ProbeFailure f;
        Text t;

        if (!detail || detail_size == 0) {
                detail = scratch;
                detail_size = sizeof(scratch);
        }
        text_init(&t, detail, detail_size);
        f = evaluate(json, len, min, max, &t);
        text_finish(&t);
        return f;
}
