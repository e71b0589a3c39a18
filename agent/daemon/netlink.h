/* The kernel's links and addresses through libnl-route: a request socket
 * that adds and deletes addresses (VIPs), and a cache manager on the
 * sd-event loop that watches links and addresses.
 *
 * Callbacks run from a deferred event source after libnl has processed the
 * messages, never inside libnl's own callbacks, so they may call any
 * function here. libnl's -NLE_* codes are turned into -errno here and
 * nowhere else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "shared/addr.h"

typedef struct Netlink Netlink;

typedef struct NetlinkCallbacks {
        /* Some link appeared, changed (up/down, flags) or disappeared, or an
         * address appeared or changed: re-read what depends on them. */
        void (*links_changed)(Netlink *nl, void *userdata);
        /* An address was deleted from interface ifindex (by anyone, us included). */
        void (*addr_removed)(Netlink *nl, int ifindex, const IpPrefix *addr, void *userdata);
        /* Notifications were lost (socket overrun) and the caches were
         * refilled: re-derive everything from the caches. */
        void (*resync)(Netlink *nl, void *userdata);
} NetlinkCallbacks;

int netlink_new(Netlink **ret, sd_event *event, const NetlinkCallbacks *cb, void *userdata);
Netlink *netlink_free(Netlink *nl);

/* ifindex (> 0) of the named interface, or -ENODEV. */
int netlink_ifindex(Netlink *nl, const char *ifname);
/* Administratively up and with carrier (IFF_UP and IFF_LOWER_UP/IFF_RUNNING). */
bool netlink_link_is_up(Netlink *nl, int ifindex);
/* The link-layer address of an Ethernet-like interface: 0, -ENODEV, -EINVAL. */
int netlink_link_mac(Netlink *nl, int ifindex, uint8_t ret_mac[6]);

/* The interface's primary address of `family`, skipping the addresses in
 * `exclude` (our VIPs): for IPv4 the first address that is not secondary;
 * for IPv6 the link-local address if link_local, else the first global one;
 * tentative (DAD) addresses are skipped. 0 or -EADDRNOTAVAIL / -ENODEV. */
int netlink_primary_addr(Netlink *nl, int ifindex, int family, bool link_local,
                         const IpPrefix *exclude, size_t n_exclude, IpAddr *ret);
/* Whether the address is configured on the interface (from the cache). */
bool netlink_has_addr(Netlink *nl, int ifindex, const IpAddr *addr);
/* Whether the address is configured on any interface of this host. */
bool netlink_is_local_addr(Netlink *nl, const IpAddr *addr);

/* Adds the address (IPv6 with IFA_F_NODAD); already present is success. */
int netlink_addr_add(Netlink *nl, int ifindex, const IpPrefix *p);
/* Deletes the address; already absent (or no such device) is success. */
int netlink_addr_del(Netlink *nl, int ifindex, const IpPrefix *p);
