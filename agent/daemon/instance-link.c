/* An instance's own link: its interface, the VRRP socket on it, the
 * address it sends from (netlink's cache), and the unicast peers that are
 * addresses of this host. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/instance-internal.h"
#include "shared/log.h"

bool instance_is_self_peer(const Instance *i, size_t k) {
        return netlink_is_local_addr(i->env->netlink, &i->cfg->unicast_peers[k]);
}

void instance_notice_self_peers(Instance *i) {
        char buf[IP_ADDR_STRLEN];

        for (size_t k = 0; k < i->cfg->n_unicast_peers; k++) {
                uint64_t bit = 1ULL << (k < 63 ? k : 63);

                if ((i->self_peers_noticed & bit) || !instance_is_self_peer(i, k))
                        continue;
                i->self_peers_noticed |= bit;
                log_instance(i, LOG_NOTICE, "unicast peer %s is an address of this host: not sending to it",
                             ip_addr_to_string(&i->cfg->unicast_peers[k], buf));
        }
}

const char *instance_read_link(Instance *i, InstanceLink *l) {
        Netlink *nl = i->env->netlink;
        const InstanceConfig *c = i->cfg;
        int ifindex = netlink_ifindex(nl, c->interface);
        bool link_local = c->family == AF_INET6 && c->n_unicast_peers == 0;

        *l = (InstanceLink) { .ifindex = ifindex > 0 ? ifindex : 0 };
        l->up = l->ifindex > 0 && netlink_link_is_up(nl, l->ifindex);
        l->sock = l->ifindex > 0 ? i->env->socket_for(i->env->userdata, c->interface, l->ifindex, c->family) : NULL;
        if (c->has_source_address) {
                l->source = c->source_address;
                l->have_source = l->ifindex > 0;
        } else
                l->have_source = l->ifindex > 0 &&
                                 netlink_primary_addr(nl, l->ifindex, c->family, link_local, c->vips,
                                                      c->n_vips, &l->source) >= 0;
        if (l->ifindex == 0)
                return "interface does not exist";
        if (!l->up)
                return "interface is down";
        if (!l->sock)
                return "no VRRP socket on the interface";
        if (!l->have_source)
                return c->family == AF_INET ? "interface has no IPv4 address"
                                            : "interface has no usable IPv6 address";
        return NULL;
}

void instance_set_link(Instance *i, const InstanceLink *l) {
        i->ifindex = l->ifindex;
        i->link_up = l->up;
        i->sock = l->sock;
        i->have_source = l->have_source;
        if (l->have_source)
                i->source = l->source;
}

