/* What instance.c and instance-vips.c share; not for other modules. */
#pragma once

#include "daemon/instance.h"
#include "shared/macro.h"

/* sd-event's default accuracy (250 ms) would ruin failover timing. */
#define INSTANCE_TIMER_ACCURACY_USEC 100

uint64_t instance_now_usec(void);
/* Arms a one-shot timer source at the absolute time `at`; 0 disarms it. */
void instance_arm(sd_event_source *s, uint64_t at);
_printf_(3, 4) void log_instance(const Instance *i, int level, const char *fmt, ...);
/* The link, probe or VIP fault changed: tell the state machine. */
void instance_update_fault(Instance *i);

/* ---- instance-vips.c ---- */

/* Its timers; 0 or a negative errno. */
int instance_vips_init(Instance *i);
void instance_vips_done(Instance *i);
/* Adds (hold) or removes the VIPs on the interface. A VIP that cannot be
 * added makes the instance fault for a while (a peer takes over), one that
 * cannot be removed is retried; both with a backoff, counted. VIPs that
 * another instance of ours holds as master (one retired by a reload, still
 * handing over) are not removed. `at_start`: say which VIPs a previous run
 * left behind. */
void instance_vips_set(Instance *i, bool hold, bool at_start);
/* Gratuitous ARP / unsolicited NA bursts of a master (not while it hands
 * over: the new master's must win), and their end. */
void instance_vips_announce(Instance *i);
void instance_vips_announce_stop(Instance *i);
/* A master adds and removes only the VIPs that differ between `old` and
 * the current config (a reload). */
void instance_vips_update(Instance *i, const InstanceConfig *old);
/* A master puts back a VIP that is not on its interface any more. */
void instance_vips_restore(Instance *i, const IpPrefix *p);
