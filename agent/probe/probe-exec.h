/* exec probes: run a command (argv, no shell) as the script user with a
 * clean environment, on the event loop (a child event source); success is
 * exit status 0 within the timeout. On timeout the child gets SIGTERM, and
 * SIGKILL if it is still there a moment later. Its output (stdout and
 * stderr) is collected up to a bound and logged. */
#pragma once

#include <systemd/sd-event.h>

#include "child/child.h"
#include "conf/conf.h"
#include "probe/probe.h"

typedef struct ExecCheck ExecCheck;

/* probe must be of kind exec and outlive the check. user: the account to
 * run as (the check keeps a reference; one that cannot be used fails each
 * run with its reason). */
int exec_check_new(ExecCheck **ret, sd_event *event, const ProbeConfig *probe, ChildUser *user,
                   ProbeDone done, void *userdata);
/* Kills (SIGKILL) and reaps a child still running; its done() is not called. */
ExecCheck *exec_check_free(ExecCheck *c);

/* Starts one run; done() follows from the event loop. -EBUSY while a run
 * is in flight. */
int exec_check_start(ExecCheck *c);
