/* HTTP probes (kinds http and promql) with libcurl's multi interface driven
 * by the sd-event loop: no threads, no blocking calls. One HttpRunner per
 * daemon holds the multi handle and its event sources; one HttpCheck per
 * probe holds an easy handle that is reused between runs (so connections
 * are reused). */
#pragma once

#include <systemd/sd-event.h>

#include "conf/conf.h"
#include "probe/probe.h"

typedef struct HttpRunner HttpRunner;
typedef struct HttpCheck HttpCheck;

int http_runner_new(HttpRunner **ret, sd_event *event);
/* Frees the runner; every HttpCheck must be freed before. */
HttpRunner *http_runner_free(HttpRunner *h);

/* probe must be of kind http or promql and outlive the check. */
int http_check_new(HttpCheck **ret, HttpRunner *h, const ProbeConfig *probe, ProbeDone done,
                   void *userdata);
/* Aborts a run in flight (its done() is not called). */
HttpCheck *http_check_free(HttpCheck *c);

/* Starts one run: GET the URL (http) or <url>/api/v1/query?query=...
 * (promql), cut at the probe's timeout. done() follows from the event
 * loop, never from inside this call. -EBUSY while a run is in flight. */
int http_check_start(HttpCheck *c);
