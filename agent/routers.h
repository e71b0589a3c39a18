/* The set of virtual routers of one configuration: owns the netlink
 * watcher, the announcer, the shared VRRP sockets and the instances;
 * dispatches received packets to the instance of their VRID and netlink
 * events to every instance. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "snapshot.h"

typedef struct Routers Routers;

/* Instances are created for config's instances but not started. The
 * config must outlive the Routers or be replaced with routers_reload(). */
int routers_new(Routers **ret, sd_event *event, const Config *config);
Routers *routers_free(Routers *r);

void routers_start(Routers *r);
/* Orderly stop of every instance (masters send priority 0, VIPs released). */
void routers_stop(Routers *r);
/* Switches to a new configuration: unchanged instances keep running as they
 * are, removed or changed ones stop, new or changed ones start. */
int routers_reload(Routers *r, const Config *config);

/* Hooks queued or running, e.g. the stop hooks after routers_stop(). */
size_t routers_hooks_pending(const Routers *r);
/* The longest hook timeout of the instances. */
uint64_t routers_hook_timeout_usec(const Routers *r);

/* Fills the instances, probes and sockets of s (the caller clears s). */
int routers_snapshot(const Routers *r, Snapshot *s);

/* Logs every instance's and socket's state and counters (SIGUSR1). */
void routers_dump(const Routers *r);
