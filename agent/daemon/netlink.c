/* Links and addresses through libnl-route (see netlink.h).
 *
 * Two sockets: a blocking request socket for address add/delete and cache
 * refills, and the cache manager's non-blocking socket for notifications,
 * on which nothing is ever sent. libnl's change callbacks only record what
 * happened and arm a oneshot defer source; the public callbacks run from
 * that source, after libnl has finished with its caches. */
#include "daemon/netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <string.h>
#include <sys/socket.h>

#include "shared/log.h"
#include "shared/macro.h"

/* Notifications queued between two kernel socket reads are a few per
 * link; more means something big happened, and a resync is cheaper. */
#define NETLINK_REMOVED_MAX 32
#define NETLINK_RCVBUF_SIZE (1024 * 1024)
#define NETLINK_REFILL_RETRY_USEC (1 * USEC_PER_SEC)

typedef struct RemovedAddr {
        int ifindex;
        IpPrefix prefix;
} RemovedAddr;

struct Netlink {
        sd_event *event;
        sd_event_source *io_source;
        sd_event_source *defer_source;
        sd_event_source *retry_source;

        struct nl_sock *req;
        struct nl_sock *mngr_sock;
        struct nl_cache_mngr *mngr;
        struct nl_cache *links; /* owned by mngr */
        struct nl_cache *addrs; /* owned by mngr */

        NetlinkCallbacks cb;
        void *userdata;

        /* Recorded by libnl's callbacks, delivered from defer_source. */
        bool links_changed;
        bool need_resync;
        RemovedAddr removed[NETLINK_REMOVED_MAX];
        size_t n_removed;

        /* netlink_free() called from one of our callbacks: finish after it. */
        bool dispatching;
        bool free_pending;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(Netlink *, netlink_free);

/* The one place where libnl's error space becomes errno: the rest of the
 * code sees negative errno values only. */
static int errno_from_nlerr(int nlerr) {
        switch (nlerr < 0 ? -nlerr : nlerr) {
        case NLE_SUCCESS:
                return 0;
        case NLE_EXIST:
                return -EEXIST;
        case NLE_NOADDR:
                return -EADDRNOTAVAIL;
        case NLE_NODEV:
                return -ENODEV;
        case NLE_PERM:
                return -EPERM;
        case NLE_NOACCESS:
                return -EACCES;
        case NLE_NOMEM:
                return -ENOMEM;
        case NLE_INVAL:
                return -EINVAL;
        case NLE_AF_NOSUPPORT:
                return -EAFNOSUPPORT;
        case NLE_BUSY:
                return -EBUSY;
        default:
                return -EIO;
        }
}

/* Keeps libnl's own text at debug level; the caller logs the errno once. */
static int netlink_error(int nlerr, const char *what) {
        int r = errno_from_nlerr(nlerr);

        log_debug("netlink: %s: %s", what, nl_geterror(nlerr));
        return r;
}

static size_t family_addr_len(int family) {
        return family == AF_INET ? sizeof(struct in_addr) : family == AF_INET6 ? sizeof(struct in6_addr) : 0;
}

static bool ip_addr_from_rtnl(struct rtnl_addr *ra, IpAddr *ret) {
        struct nl_addr *local = rtnl_addr_get_local(ra);
        int family = rtnl_addr_get_family(ra);
        size_t len = family_addr_len(family);

        if (!local || len == 0 || nl_addr_get_len(local) != len)
                return false;
        *ret = (IpAddr) { .family = family };
        memcpy(&ret->u, nl_addr_get_binary_addr(local), len);
        return true;
}

static void netlink_schedule(Netlink *nl) {
        int r = sd_event_source_set_enabled(nl->defer_source, SD_EVENT_ONESHOT);

        if (r < 0)
                log_internal(LOG_DEBUG, r, NULL, "netlink: cannot arm the dispatch source: %m");
}

/* libnl change callbacks: record only. They run inside
 * nl_cache_mngr_data_ready() while libnl is updating its caches. */
static void on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *data) {
        Netlink *nl = data;

        (void) cache;
        (void) obj;
        (void) action;
        nl->links_changed = true;
        netlink_schedule(nl);
}

static void on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *data) {
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        Netlink *nl = data;
        RemovedAddr *e;

        (void) cache;
        if (action != NL_ACT_DEL) {
                /* A new address may be the source an instance was waiting for. */
                nl->links_changed = true;
                netlink_schedule(nl);
                return;
        }
        if (nl->n_removed >= NETLINK_REMOVED_MAX) {
                nl->need_resync = true; /* the caches are right, only the queue is full */
                netlink_schedule(nl);
                return;
        }
        e = &nl->removed[nl->n_removed];
        if (!ip_addr_from_rtnl(ra, &e->prefix.addr))
                return;
        e->ifindex = rtnl_addr_get_ifindex(ra);
        e->prefix.prefixlen = (uint8_t) rtnl_addr_get_prefixlen(ra);
        nl->n_removed++;
        netlink_schedule(nl);
}

static void netlink_destroy(Netlink *nl) {
        nl->io_source = sd_event_source_disable_unref(nl->io_source);
        nl->defer_source = sd_event_source_disable_unref(nl->defer_source);
        nl->retry_source = sd_event_source_disable_unref(nl->retry_source);
        /* Frees the caches and closes, but does not free, the socket we gave it. */
        nl_cache_mngr_free(nl->mngr);
        nl_socket_free(nl->mngr_sock);
        nl_socket_free(nl->req);
        sd_event_unref(nl->event);
        free(nl);
}

/* Runs the public callbacks. A resync covers everything recorded with it:
 * the caller re-reads the caches anyway. */
static int on_dispatch(sd_event_source *s, void *userdata) {
        Netlink *nl = userdata;
        RemovedAddr removed[NETLINK_REMOVED_MAX];
        size_t n_removed = nl->n_removed;
        bool links = nl->links_changed, resync = nl->need_resync;

        (void) s;
        memcpy(removed, nl->removed, n_removed * sizeof(removed[0]));
        nl->n_removed = 0;
        nl->links_changed = nl->need_resync = false;

        nl->dispatching = true;
        if (resync) {
                if (nl->cb.resync)
                        nl->cb.resync(nl, nl->userdata);
        } else {
                if (links && nl->cb.links_changed)
                        nl->cb.links_changed(nl, nl->userdata);
                for (size_t i = 0; i < n_removed && !nl->free_pending; i++)
                        if (nl->cb.addr_removed)
                                nl->cb.addr_removed(nl, removed[i].ifindex, &removed[i].prefix, nl->userdata);
        }
        nl->dispatching = false;

        if (nl->free_pending)
                netlink_destroy(nl);
        return 0;
}

static int on_refill_retry(sd_event_source *s, uint64_t usec, void *userdata);

/* Drops the notifications still queued on the monitor socket: they are
 * older than the dump that follows, and applied on top of it they would
 * replay history (an address deleted and added again meanwhile would go
 * away from the caches for a moment). The dump has their outcome. */
static void netlink_drain(Netlink *nl) {
        int fd = nl_socket_get_fd(nl->mngr_sock);
        char buf[4096];

        for (unsigned i = 0; i < 100000; i++) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

                if (n < 0 && errno != EINTR && errno != ENOBUFS)
                        break; /* EAGAIN: empty */
        }
}

/* Notifications were lost: reload both caches on the request socket (links
 * first, addresses refer to them) and tell the caller to re-derive. */
static void netlink_refill(Netlink *nl) {
        int r;

        netlink_drain(nl);
        r = nl_cache_refill(nl->req, nl->links);
        if (r >= 0)
                r = nl_cache_refill(nl->req, nl->addrs);
        if (r < 0) {
                /* A half-filled cache must not be taken for the truth for
                 * long: try again shortly, resync once it worked. */
                log_warning("netlink: refilling the link and address caches failed, retrying: %s",
                            nl_geterror(r));
                if (!nl->retry_source)
                        r = sd_event_add_time_relative(nl->event, &nl->retry_source, CLOCK_MONOTONIC,
                                                       NETLINK_REFILL_RETRY_USEC, 10 * USEC_PER_MSEC,
                                                       on_refill_retry, nl);
                else {
                        r = sd_event_source_set_time_relative(nl->retry_source, NETLINK_REFILL_RETRY_USEC);
                        if (r >= 0)
                                r = sd_event_source_set_enabled(nl->retry_source, SD_EVENT_ONESHOT);
                }
                if (r < 0)
                        log_internal(LOG_ERR, r, NULL, "netlink: cannot arm the refill retry timer: %m");
                return;
        }
        if (nl->retry_source)
                (void) sd_event_source_set_enabled(nl->retry_source, SD_EVENT_OFF);
        nl->need_resync = true;
        netlink_schedule(nl);
}

static int on_refill_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        netlink_refill(userdata);
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Netlink *nl = userdata;
        int r;

        (void) s;
        (void) fd;
        (void) revents;
        /* Reads until the socket is empty. An overrun (ENOBUFS) shows up
         * as -NLE_NOMEM; after any error, assume something was lost. The
         * caller's resync handler says so; here only the cause, at debug. */
        r = nl_cache_mngr_data_ready(nl->mngr);
        if (r < 0) {
                log_debug("netlink: reading notifications failed: %s, reloading links and addresses",
                          r == -NLE_NOMEM ? "receive buffer overrun" : nl_geterror(r));
                netlink_refill(nl);
        }
        return 0;
}

static int netlink_setup_monitor(Netlink *nl) {
        int bufsize = NETLINK_RCVBUF_SIZE, fd, r;

        nl->mngr_sock = nl_socket_alloc();
        if (!nl->mngr_sock)
                return -ENOMEM;
        r = nl_cache_mngr_alloc(nl->mngr_sock, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr);
        if (r < 0)
                return netlink_error(r, "cannot allocate the cache manager");

        /* Notifications come in bursts (a link going down removes its
         * routes and addresses). With CAP_NET_ADMIN, go past rmem_max. */
        fd = nl_cache_mngr_get_fd(nl->mngr);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) < 0) {
                r = nl_socket_set_buffer_size(nl->mngr_sock, NETLINK_RCVBUF_SIZE, 0);
                if (r < 0)
                        (void) netlink_error(r, "cannot enlarge the receive buffer, ignoring");
        }

        /* Each add subscribes to the cache's groups and then dumps; the
         * dump fires no change callbacks. */
        r = nl_cache_mngr_add(nl->mngr, "route/link", on_link_change, nl, &nl->links);
        if (r < 0)
                return netlink_error(r, "cannot watch links");
        r = nl_cache_mngr_add(nl->mngr, "route/addr", on_addr_change, nl, &nl->addrs);
        if (r < 0)
                return netlink_error(r, "cannot watch addresses");

        r = sd_event_add_io(nl->event, &nl->io_source, fd, EPOLLIN, on_io, nl);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(nl->io_source, "netlink-monitor");

        r = sd_event_add_defer(nl->event, &nl->defer_source, on_dispatch, nl);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(nl->defer_source, "netlink-dispatch");
        return sd_event_source_set_enabled(nl->defer_source, SD_EVENT_OFF);
}

int netlink_new(Netlink **ret, sd_event *event, const NetlinkCallbacks *cb, void *userdata) {
        _cleanup_(netlink_freep) Netlink *nl = NULL;
        int r;

        if (!ret || !event)
                return -EINVAL;

        nl = calloc(1, sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        nl->event = sd_event_ref(event);
        if (cb)
                nl->cb = *cb;
        nl->userdata = userdata;

        nl->req = nl_socket_alloc();
        if (!nl->req)
                return -ENOMEM;
        r = nl_connect(nl->req, NETLINK_ROUTE);
        if (r < 0)
                return netlink_error(r, "cannot open the request socket");

        r = netlink_setup_monitor(nl);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(nl);
        return 0;
}

Netlink *netlink_free(Netlink *nl) {
        if (!nl)
                return NULL;
        if (nl->dispatching) {
                /* Called from one of our callbacks: stop delivering and
                 * free once the callback has returned. */
                nl->free_pending = true;
                return NULL;
        }
        netlink_destroy(nl);
        return NULL;
}

/* The link's own (AF_UNSPEC) object: bridge ports also have AF_BRIDGE
 * objects with the same ifindex in the cache. Borrowed, not referenced. */
static struct rtnl_link *netlink_link(Netlink *nl, int ifindex) {
        if (ifindex <= 0)
                return NULL;
        for (struct nl_object *o = nl_cache_get_first(nl->links); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *link = (struct rtnl_link *) o;

                if (rtnl_link_get_ifindex(link) == ifindex && rtnl_link_get_family(link) == AF_UNSPEC)
                        return link;
        }
        return NULL;
}

int netlink_ifindex(Netlink *nl, const char *ifname) {
        int ifindex;

        if (!ifname)
                return -EINVAL;
        ifindex = rtnl_link_name2i(nl->links, ifname);
        return ifindex > 0 ? ifindex : -ENODEV;
}

bool netlink_link_is_up(Netlink *nl, int ifindex) {
        struct rtnl_link *link = netlink_link(nl, ifindex);
        unsigned flags;

        if (!link)
                return false;
        flags = rtnl_link_get_flags(link);
        return (flags & IFF_UP) && (flags & (IFF_LOWER_UP | IFF_RUNNING));
}

int netlink_link_mac(Netlink *nl, int ifindex, uint8_t ret_mac[6]) {
        struct rtnl_link *link = netlink_link(nl, ifindex);
        struct nl_addr *a;

        if (!link)
                return -ENODEV;
        a = rtnl_link_get_addr(link);
        if (rtnl_link_get_arptype(link) != ARPHRD_ETHER || !a || nl_addr_get_len(a) != 6)
                return -EINVAL;
        memcpy(ret_mac, nl_addr_get_binary_addr(a), 6);
        return 0;
}

static bool is_excluded(const IpAddr *a, const IpPrefix *exclude, size_t n_exclude) {
        for (size_t i = 0; i < n_exclude; i++)
                if (ip_addr_equal(a, &exclude[i].addr))
                        return true;
        return false;
}

int netlink_primary_addr(Netlink *nl, int ifindex, int family, bool link_local,
                         const IpPrefix *exclude, size_t n_exclude, IpAddr *ret) {
        IpAddr fallback = {};

        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        if (!netlink_link(nl, ifindex))
                return -ENODEV;

        for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *ra = (struct rtnl_addr *) o;
                unsigned flags = rtnl_addr_get_flags(ra);
                IpAddr a;

                if (rtnl_addr_get_ifindex(ra) != ifindex || rtnl_addr_get_family(ra) != family)
                        continue;
                if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
                        continue;
                if (!ip_addr_from_rtnl(ra, &a) || is_excluded(&a, exclude, n_exclude))
                        continue;

                if (family == AF_INET6) {
                        if (!!IN6_IS_ADDR_LINKLOCAL(&a.u.in6) == link_local) {
                                *ret = a;
                                return 0;
                        }
                } else if (!(flags & IFA_F_SECONDARY)) {
                        *ret = a;
                        return 0;
                } else if (fallback.family == 0)
                        /* Our VIP was added first and became the primary
                         * address: the host's own one is then "secondary". */
                        fallback = a;
        }
        if (fallback.family == 0)
                return -EADDRNOTAVAIL;
        *ret = fallback;
        return 0;
}

/* ifindex 0: any interface. */
static bool has_addr(Netlink *nl, int ifindex, const IpAddr *addr) {
        for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *ra = (struct rtnl_addr *) o;
                IpAddr a;

                if ((ifindex == 0 || rtnl_addr_get_ifindex(ra) == ifindex) && ip_addr_from_rtnl(ra, &a) &&
                    ip_addr_equal(&a, addr))
                        return true;
        }
        return false;
}

bool netlink_has_addr(Netlink *nl, int ifindex, const IpAddr *addr) {
        return ifindex > 0 && has_addr(nl, ifindex, addr);
}

bool netlink_is_local_addr(Netlink *nl, const IpAddr *addr) {
        return has_addr(nl, 0, addr);
}

/* The request object: ifindex, family, local address and prefix length,
 * which is what both add and delete need. */
static int netlink_addr_request(int ifindex, const IpPrefix *p, struct rtnl_addr **ret) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *ra = NULL;
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL;
        size_t len = family_addr_len(p->addr.family);
        int r;

        if (len == 0)
                return -EAFNOSUPPORT;
        if (ifindex <= 0 || p->prefixlen > len * 8)
                return -EINVAL;

        ra = rtnl_addr_alloc();
        local = nl_addr_build(p->addr.family, &p->addr.u, len);
        if (!ra || !local)
                return -ENOMEM;
        nl_addr_set_prefixlen(local, p->prefixlen);

        rtnl_addr_set_ifindex(ra, ifindex);
        rtnl_addr_set_family(ra, p->addr.family);
        r = rtnl_addr_set_local(ra, local);
        if (r < 0)
                return netlink_error(r, "cannot set the local address");
        rtnl_addr_set_prefixlen(ra, p->prefixlen);

        *ret = TAKE_PTR(ra);
        return 0;
}

int netlink_addr_add(Netlink *nl, int ifindex, const IpPrefix *p) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *ra = NULL;
        int r;

        r = netlink_addr_request(ifindex, p, &ra);
        if (r < 0)
                return r;
        /* A VIP moves between hosts: duplicate address detection would
         * keep it tentative (unusable) for a second or more. */
        if (p->addr.family == AF_INET6)
                rtnl_addr_set_flags(ra, IFA_F_NODAD);

        r = rtnl_addr_add(nl->req, ra, 0);
        if (r == -NLE_EXIST)
                return 0;
        if (r < 0)
                return netlink_error(r, "adding an address failed");
        return 0;
}

int netlink_addr_del(Netlink *nl, int ifindex, const IpPrefix *p) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *ra = NULL;
        int r;

        r = netlink_addr_request(ifindex, p, &ra);
        if (r < 0)
                return r;

        r = rtnl_addr_delete(nl->req, ra, 0);
        if (r == -NLE_NOADDR || r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
                return 0;
        if (r < 0)
                return netlink_error(r, "deleting an address failed");
        return 0;
}
