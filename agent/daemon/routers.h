/* The set of virtual routers of one configuration: owns the netlink
 * watcher, the announcer, the shared VRRP sockets and the instances;
 * dispatches received packets to the instance of their VRID and netlink
 * events to every instance. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf/conf.h"
#include "endpoint/snapshot.h"

typedef struct Routers Routers;

/* Instances are created for config's instances but not started. The
 * Routers hold a reference to the config (conf_ref()). */
int routers_new(Routers **ret, sd_event *event, Config *config);
Routers *routers_free(Routers *rs);

void routers_start(Routers *rs);
/* Orderly stop of every instance: masters hand over (instance_stop());
 * called again, the hand-overs still going on end at once. */
void routers_stop(Routers *rs);
/* Every instance is stopped and no hook is queued or running. */
bool routers_stopped(const Routers *rs);
/* The longest a stop can take: hand-over plus stop hook. */
uint64_t routers_stop_timeout_usec(const Routers *rs);
/* Switches to a new configuration: unchanged instances keep running as they
 * are, removed or changed ones stop (masters hand over first), new or
 * changed ones start. */
int routers_reload(Routers *rs, Config *config);
/* Hands mastership of the named instance over (instance_release()), with
 * the longest that can take and the state it was in: -ENOENT when there is
 * no such instance. */
int routers_release(Routers *rs, const char *name, uint64_t *ret_timeout_usec, const char **ret_state);

/* Hooks queued or running. */
size_t routers_hooks_pending(const Routers *rs);

/* Fills the instances, probes and sockets of s (the caller clears s). */
int routers_snapshot(const Routers *rs, bool with_events, Snapshot *s);

/* Logs every instance's and socket's state and counters (SIGUSR1). */
void routers_dump(const Routers *rs);
