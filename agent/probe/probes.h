/* The probes of one configuration: runs each one every `interval`, first
 * runs spread over the interval so that probes do not fire together, keeps
 * each one's state (probe.h), and tells the owner when one changes between
 * UP and DOWN. The kinds are in probe-http.c and probe-exec.c. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "child/child.h"
#include "conf/conf.h"
#include "probe/priority.h"
#include "probe/probe.h"

typedef struct Probes Probes;
typedef void (*ProbesChanged)(void *userdata);

/* user: what exec probes run as (a reference is kept). */
int probes_new(Probes **ret, sd_event *event, const Config *config, ChildUser *user, ProbesChanged changed,
               void *userdata);
Probes *probes_free(Probes *p);

void probes_start(Probes *p);
/* Switches to a new configuration: a probe whose definition did not change
 * keeps its state and history; others start anew (DOWN). */
int probes_reload(Probes *p, const Config *config, ChildUser *user);

/* The state of the named probe; NULL for an unknown name. */
const ProbeState *probes_state(const Probes *p, const char *name);
bool probes_is_up(const Probes *p, const char *name);
/* The named probe as a track of this weight (a file probe by its value);
 * an unknown name is DOWN. */
TrackState probes_track_state(const Probes *p, const char *name, int weight);

/* The probes in configuration order: k < probes_count(), else NULL. */
size_t probes_count(const Probes *p);
const ProbeConfig *probes_config_at(const Probes *p, size_t k);
const ProbeState *probes_state_at(const Probes *p, size_t k);

/* One log line per probe with its state and counters (SIGUSR1). */
void probes_dump(const Probes *p);
