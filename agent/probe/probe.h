/* Probe results and the UP/DOWN hysteresis of one probe (keepalived's
 * track_script fall/rise). Pure: no I/O, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ProbeFailure {
        PROBE_OK,
        PROBE_FAIL_TIMEOUT,      /* no answer within the timeout */
        PROBE_FAIL_CONNECT,      /* name, connection or TLS failure */
        PROBE_FAIL_HTTP_STATUS,  /* an answer, but not 2xx */
        PROBE_FAIL_BAD_ANSWER,   /* promql: not JSON, status not "success", unexpected shape */
        PROBE_FAIL_EMPTY,        /* promql: an empty result */
        PROBE_FAIL_OUT_OF_RANGE, /* promql: a value outside [min, max], or NaN */
        PROBE_FAIL_EXIT_STATUS,  /* exec: exit status not 0, or killed by a signal */
        PROBE_FAIL_ERROR,        /* could not run at all (fork, user, token file, curl) */
        _PROBE_FAILURE_MAX,
} ProbeFailure;

typedef struct ProbeResult {
        ProbeFailure failure;
        uint64_t latency_usec;
        char detail[160]; /* for the log: "HTTP 503", "value 75 > max 60", "exit status 2" */
} ProbeResult;

typedef struct ProbeState {
        bool up;                 /* probes start DOWN */
        unsigned successes;      /* consecutive */
        unsigned failures;       /* consecutive */
        uint64_t runs;
        uint64_t failures_total[_PROBE_FAILURE_MAX];
        ProbeResult last;
        int64_t value;           /* file probes: the value in force (UP while 0) */
} ProbeState;

/* Records one result; true when the probe changed between UP and DOWN
 * (after `rise` successes or `fall` failures in a row). */
bool probe_state_record(ProbeState *s, const ProbeResult *r, unsigned fall, unsigned rise);

/* Records one reading of a file probe: `value` when has_value (else the
 * value stays, e.g. a number out of range), UP while the value is 0. True
 * when the value changed. */
bool probe_state_record_value(ProbeState *s, const ProbeResult *r, bool has_value, int64_t value);

/* The integer at the start of a file probe's content, as keepalived reads
 * a track_file (strtol base 0: leading blanks, a sign, decimal, 0x hex or
 * 0 octal; what follows is ignored). 0 with *ret; -EINVAL with *ret = 0
 * when there is no number (keepalived's 0, also for an empty file);
 * -ERANGE when it is outside -2147483648..2147483647 (keepalived ignores
 * such a value). */
int probe_file_parse(const char *text, int64_t *ret);

/* "ok", "timeout", "connect", "http_status", ... (metric label values). */
const char *probe_failure_to_string(ProbeFailure f);
/* The same by index (log_format_counters()). */
const char *probe_failure_name(size_t f);

/* Callback of the probe kinds: one result per started run. */
typedef void (*ProbeDone)(void *userdata, const ProbeResult *r);
