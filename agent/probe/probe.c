#include "probe/probe.h"

#include <errno.h>
#include <stdlib.h>

static const char *const failure_names[_PROBE_FAILURE_MAX] = {
        [PROBE_OK] = "ok",
        [PROBE_FAIL_TIMEOUT] = "timeout",
        [PROBE_FAIL_CONNECT] = "connect",
        [PROBE_FAIL_HTTP_STATUS] = "http_status",
        [PROBE_FAIL_BAD_ANSWER] = "bad_answer",
        [PROBE_FAIL_EMPTY] = "empty",
        [PROBE_FAIL_OUT_OF_RANGE] = "out_of_range",
        [PROBE_FAIL_EXIT_STATUS] = "exit_status",
        [PROBE_FAIL_ERROR] = "error",
};

const char *probe_failure_to_string(ProbeFailure f) {
        return f < _PROBE_FAILURE_MAX ? failure_names[f] : "unknown";
}

const char *probe_failure_name(size_t f) {
        return f < _PROBE_FAILURE_MAX ? failure_names[f] : "unknown";
}

bool probe_state_record(ProbeState *s, const ProbeResult *r, unsigned fall, unsigned rise) {
        bool was = s->up;

        s->runs++;
        s->last = *r;
        if (r->failure == PROBE_OK) {
                s->failures = 0;
                if (s->successes < rise)
                        s->successes++;
                if (s->successes >= rise)
                        s->up = true;
        } else {
                s->failures_total[r->failure < _PROBE_FAILURE_MAX ? r->failure : PROBE_FAIL_ERROR]++;
                s->successes = 0;
                if (s->failures < fall)
                        s->failures++;
                if (s->failures >= fall)
                        s->up = false;
        }
        return s->up != was;
}

bool probe_state_record_value(ProbeState *s, const ProbeResult *r, bool has_value, int64_t value) {
        int64_t was = s->value;

        s->runs++;
        s->last = *r;
        if (r->failure != PROBE_OK)
                s->failures_total[r->failure < _PROBE_FAILURE_MAX ? r->failure : PROBE_FAIL_ERROR]++;
        if (has_value)
                s->value = value;
        s->up = s->value == 0;
        return s->value != was;
}

int probe_file_parse(const char *text, int64_t *ret) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(text, &end, 0);
        *ret = 0;
        if (end == text)
                return -EINVAL;
        if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}
