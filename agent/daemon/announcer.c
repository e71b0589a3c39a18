/* The Announcer: sends the frames of announce-frame.h. Its two sockets
 * never receive anything. No logging here: errors go back to the caller as
 * -errno. */
#include "daemon/announcer.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "shared/macro.h"
#include "vrrp/announce-frame.h"

struct Announcer {
        int arp_fd; /* AF_PACKET, SOCK_DGRAM, protocol 0 */
        int na_fd;  /* raw ICMPv6, everything filtered out; -1 without IPv6 */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(Announcer *, announcer_free);

static int open_na_socket(void) {
        _cleanup_close_ int fd = -1;
        struct icmp6_filter filter;
        int hops = 255, r;

        fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
        if (fd < 0)
                return -errno;
        /* Send only: without a filter, every ICMPv6 packet of the host
         * would queue up here. */
        ICMP6_FILTER_SETBLOCKALL(&filter);
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0)
                return -errno;
        /* RFC 4861 7.1.2: receivers drop NAs with a hop limit below 255. */
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0)
                return -errno;
        r = fd;
        fd = -1;
        return r;
}

int announcer_new(Announcer **ret) {
        _cleanup_(announcer_freep) Announcer *a = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        a = malloc(sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = (Announcer) { .arp_fd = -1, .na_fd = -1 };

        /* Protocol 0: bound to no ethertype, so it receives nothing. */
        a->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (a->arp_fd < 0)
                return -errno;

        r = open_na_socket();
        if (r < 0 && r != -EAFNOSUPPORT) /* IPv6 disabled: IPv4 still works */
                return r;
        a->na_fd = r;

        *ret = TAKE_PTR(a);
        return 0;
}

Announcer *announcer_free(Announcer *a) {
        if (!a)
                return NULL;
        closep(&a->arp_fd);
        closep(&a->na_fd);
        free(a);
        return NULL;
}

int announce_garp(Announcer *a, int ifindex, const uint8_t mac[6], const struct in_addr *vip) {
        uint8_t buf[ARP_GARP_LEN];
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
                .sll_halen = 6,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };
        size_t len = arp_build_garp(buf, mac, vip);
        ssize_t n;

        n = sendto(a->arp_fd, buf, len, 0, (const struct sockaddr *) &sll, sizeof(sll));
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

int announce_na(Announcer *a, int ifindex, const uint8_t mac[6], const struct in6_addr *src,
                const struct in6_addr *vip) {
        uint8_t buf[NDISC_NA_LEN];
        struct sockaddr_in6 dst = {
                .sin6_family = AF_INET6,
                .sin6_addr = { .s6_addr = { 0xff, 0x02, [15] = 0x01 } }, /* all-nodes */
                .sin6_scope_id = (uint32_t) ifindex,
        };
        union {
                struct cmsghdr hdr;
                uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = ndisc_build_na(buf, mac, vip) };
        struct msghdr msg = {
                .msg_name = &dst,
                .msg_namelen = sizeof(dst),
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned) ifindex };
        ssize_t n;

        if (a->na_fd < 0)
                return -EAFNOSUPPORT;
        if (src)
                pi.ipi6_addr = *src;
        cmsg->cmsg_level = IPPROTO_IPV6;
        cmsg->cmsg_type = IPV6_PKTINFO;
        cmsg->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(cmsg), &pi, sizeof(pi));

        n = sendmsg(a->na_fd, &msg, 0);
        if (n < 0)
                return -errno;
        return (size_t) n == iov.iov_len ? 0 : -EIO;
}
