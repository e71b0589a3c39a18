/* exec probes (see probe-exec.h): a ProbeConfig on top of child.c. Each
 * run is one ChildRun (as the script user, with the clean environment plus
 * PROMVIP_PROBE, cut at the probe's timeout); its result becomes a
 * ProbeResult and one log line (debug on success, info otherwise, with the
 * command's output). */
#include "probe/probe-exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/child.h"
#include "shared/log.h"
#include "shared/macro.h"

struct ExecCheck {
        sd_event *event;
        const ProbeConfig *probe;
        ChildUser *user;
        char *name;   /* "probe '<name>'", for child.c's own messages */
        char *env[2]; /* PROMVIP_PROBE=<name>, NULL */
        ProbeDone done;
        void *userdata;
        ChildRun *run; /* while a run is in flight */
};

static void exec_log_result(const ExecCheck *c, const ChildResult *cr, const ProbeResult *r) {
        _cleanup_free_ char *out = child_output_line(cr);
        int level = r->failure == PROBE_OK ? LOG_DEBUG : LOG_INFO;
        const char *kill_note = child_result_kill_note(cr);

        if (r->failure == PROBE_FAIL_ERROR)
                log_full(level, "probe '%s': %s", c->probe->name, r->detail);
        else if (out && out[0])
                log_full(level, "probe '%s': %s%s; output: %s", c->probe->name, r->detail, kill_note, out);
        else
                log_full(level, "probe '%s': %s%s; no output", c->probe->name, r->detail, kill_note);
}

static ProbeFailure exec_failure(const ChildResult *r) {
        if (r->start_error < 0)
                return PROBE_FAIL_ERROR;
        if (r->timed_out)
                return PROBE_FAIL_TIMEOUT;
        if (r->exited && r->status == 0)
                return PROBE_OK;
        return PROBE_FAIL_EXIT_STATUS; /* an exit status not 0, or a signal */
}

/* Ends the run and calls done() last: done() may free the check or start
 * the next run. */
static void on_child_done(ChildRun *run, const ChildResult *cr, void *userdata) {
        ExecCheck *c = userdata;
        ProbeDone done = c->done;
        void *done_userdata = c->userdata;
        ProbeResult r = { .failure = exec_failure(cr), .latency_usec = cr->duration_usec };

        (void) run;
        child_result_describe(cr, r.detail, sizeof(r.detail));
        exec_log_result(c, cr, &r);
        c->run = child_run_free(c->run);
        done(done_userdata, &r);
}

int exec_check_start(ExecCheck *c) {
        ChildSpec spec;

        if (!c)
                return -EINVAL;
        if (c->run)
                return -EBUSY;
        spec = (ChildSpec) {
                .argv = c->probe->command.argv,
                .env = c->env,
                .user = c->user,
                .timeout_usec = c->probe->timeout_usec,
                .name = c->name,
        };
        return child_run_start(&c->run, c->event, &spec, on_child_done, c);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ExecCheck *, exec_check_free);

int exec_check_new(ExecCheck **ret, sd_event *event, const ProbeConfig *probe, ChildUser *user,
                   ProbeDone done, void *userdata) {
        _cleanup_(exec_check_freep) ExecCheck *c = NULL;

        if (!ret || !event || !probe || !user || !done || probe->kind != PROBE_EXEC ||
            probe->command.argc == 0 || !probe->command.argv || !probe->command.argv[0])
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->probe = probe;
        c->done = done;
        c->userdata = userdata;
        c->user = child_user_ref(user);
        if (!c->user)
                return -ENOMEM;
        if (asprintf(&c->name, "probe '%s'", probe->name) < 0) {
                c->name = NULL;
                return -ENOMEM;
        }
        if (asprintf(&c->env[0], "PROMVIP_PROBE=%s", probe->name) < 0) {
                c->env[0] = NULL;
                return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

ExecCheck *exec_check_free(ExecCheck *c) {
        if (!c)
                return NULL;
        child_run_free(c->run);
        sd_event_unref(c->event);
        free(c->env[0]);
        free(c->name);
        child_user_unref(c->user);
        free(c);
        return NULL;
}
