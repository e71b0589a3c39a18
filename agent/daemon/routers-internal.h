/* The router set's inside, shared by routers.c (instances, sockets,
 * reload) and routers-snapshot.c (what /status, /metrics and SIGUSR1
 * show). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf/conf.h"
#include "daemon/announcer.h"
#include "daemon/instance.h"
#include "daemon/netlink.h"
#include "daemon/routers.h"
#include "daemon/sync-groups.h"
#include "daemon/vrrp-socket.h"
#include "probe/probes.h"
#include "vrrp/vrrp-filter.h"

/* A shared VRRP socket and the drops counted before a VRID was known. */
typedef struct SocketEntry {
        Routers *routers;
        VrrpSocket *sock;
        uint64_t received;
        uint64_t drops[_VRRP_DROP_MAX];
        /* Where the instance of a VRID was last found in rs->instances: a
         * hint, checked before use, so a flood of adverts from many routers
         * does not scan them all per packet. */
        uint16_t hint[256];
} SocketEntry;

/* A removed instance keeps the configuration it was made from. */
typedef struct Retired {
        Instance *instance;
        Config *config;
} Retired;

struct Routers {
        sd_event *event;
        Netlink *netlink;
        Announcer *announcer;
        Probes *probes;
        InstanceEnv env;
        Config *config;         /* referenced: the instances point into it */
        Instance **instances;
        size_t n_instances;
        Retired *retired;       /* removed by a reload: handing over, then their stop hooks */
        size_t n_retired;
        sd_event_source *reaper;
        SocketEntry **sockets;
        size_t n_sockets;
        SyncGroups *sync_groups; /* over `instances`, rebuilt on reload */
        uint64_t event_seq;      /* the last event's sequence number, daemon-wide */
};
