#include "daemon/vrrp-socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "vrrp/vrrp-bpf.h"

/* Room for a burst of genuine adverts from many routers (junk is dropped
 * by the filter before it takes any); beyond net.core.rmem_max with
 * CAP_NET_ADMIN. */
#define RECEIVE_BUFFER (1024 * 1024)

/* Messages queued between vrrp_socket_batch_begin() and _flush(), sent
 * with one sendmmsg(): the adverts of many routers due at once cost one
 * system call and one return to user space. */
#define BATCH_MAX 64

/* See on_readable(). */
#define GATHER_USEC 1000
#define BATCH_BYTES 8192

/* The source (pktinfo) and, for peers across a router, the TTL / hop
 * limit: per message, as the socket is shared by instances that may send
 * with different ones (a setsockopt would change them all). */
typedef union SendControl {
        struct cmsghdr align;
        uint8_t space[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
} SendControl;

typedef union SendAddress {
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} SendAddress;

typedef struct SendBatch {
        size_t n, used;
        struct mmsghdr msgs[BATCH_MAX];
        struct iovec iov[BATCH_MAX];
        SendAddress to[BATCH_MAX];
        SendControl control[BATCH_MAX];
        uint64_t *sent[BATCH_MAX], *failed[BATCH_MAX];
        uint8_t bytes[BATCH_BYTES];
} SendBatch;

struct VrrpSocket {
        int fd;
        int ifindex;
        int family;
        bool filtered;
        uint8_t versions[256];  /* what the attached filter passes */
        uint8_t min_ttl;        /* the lowest TTL / hop limit accepted */
        uint8_t filter_ttl;     /* the one the attached filter passes */
        char ifname[IF_NAMESIZE];
        sd_event_source *io;
        VrrpSocketHandler handler;
        void *userdata;
        SendBatch *batch;       /* allocated on first use */
        sd_event_source *gather;
        uint64_t last_read;
        bool drained;           /* the last read emptied the socket */
        bool batching;
};

IpAddr vrrp_multicast_group(int family) {
        IpAddr a = { .family = family };

        if (family == AF_INET6)
                inet_pton(AF_INET6, "ff02::12", &a.u.in6);
        else
                inet_pton(AF_INET, "224.0.0.18", &a.u.in);
        return a;
}

static int setopt(int fd, int level, int name, const void *v, socklen_t len) {
        return setsockopt(fd, level, name, v, len) < 0 ? -errno : 0;
}

static int setup_ipv4(int fd, int ifindex) {
        int ttl = VRRP_TTL, off = 0, r;
        struct ip_mreqn mreq = { .imr_ifindex = ifindex };

        mreq.imr_multiaddr = vrrp_multicast_group(AF_INET).u.in;
        if ((r = setopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl))) < 0 ||
            (r = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl))) < 0 ||
            (r = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off))) < 0 ||
            (r = setopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq))) < 0)
                return r;
        return setopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
}

static int setup_ipv6(int fd, int ifindex) {
        int hops = VRRP_TTL, off = 0, on = 1, r;
        struct ipv6_mreq mreq = { .ipv6mr_interface = (unsigned) ifindex };

        mreq.ipv6mr_multiaddr = vrrp_multicast_group(AF_INET6).u.in6;
        if ((r = setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops))) < 0 ||
            (r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops))) < 0 ||
            (r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off))) < 0 ||
            (r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex))) < 0 ||
            (r = setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on))) < 0 ||
            (r = setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))) < 0)
                return r;
        return setopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq));
}

static void receive_ipv4(VrrpSocket *s, const uint8_t *buf, size_t len) {
        VrrpPktCtx ctx = {};
        VrrpAdvert adv;
        VrrpPktError e = vrrp_pkt_parse_ipv4(buf, len, s->min_ttl, &ctx, &adv);

        s->handler(s, e, &ctx, e == VRRP_PKT_OK ? &adv : NULL, s->userdata);
}

static void receive_ipv6(VrrpSocket *s, struct msghdr *mh, const struct sockaddr_in6 *from,
                         const uint8_t *buf, size_t len) {
        VrrpPktCtx ctx = { .family = AF_INET6, .ttl = -1 };
        VrrpAdvert adv;
        VrrpPktError e;

        ctx.src = (IpAddr) { .family = AF_INET6, .u.in6 = from->sin6_addr };
        ctx.dst.family = AF_INET6;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != IPPROTO_IPV6)
                        continue;
                if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int)))
                        memcpy(&ctx.ttl, CMSG_DATA(c), sizeof(int));
                else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
                        struct in6_pktinfo pi;
                        memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                        ctx.dst.u.in6 = pi.ipi6_addr;
                }
        }
        e = vrrp_pkt_parse(buf, len, &ctx, s->min_ttl, &adv);
        s->handler(s, e, &ctx, e == VRRP_PKT_OK ? &adv : NULL, s->userdata);
}

/* Reads what is there, at most 64 datagrams; returns whether that was all. */
static bool read_datagrams(VrrpSocket *s) {
        int fd = s->fd;
        /* Larger than any IP datagram the kernel delivers on a normal MTU;
         * MSG_TRUNC reports a bigger one, which is then dropped as truncated. */
        static uint8_t buf[65536];
        union {
                struct cmsghdr align;
                uint8_t space[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                              CMSG_SPACE(sizeof(struct in_pktinfo))];
        } control;

        /* Bounded: at most 64 datagrams per wake-up, so a flood cannot
         * starve the timers. */
        for (int i = 0; i < 64; i++) {
                struct sockaddr_in6 from = {};
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr mh = {
                        .msg_name = &from, .msg_namelen = sizeof(from),
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof(control),
                };
                ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);

                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(errno, "%s: receiving VRRP failed: %m", s->ifname);
                        return true;
                }
                if ((size_t) n > sizeof(buf) || (mh.msg_flags & MSG_TRUNC)) {
                        s->handler(s, VRRP_PKT_TRUNCATED, &(VrrpPktCtx) { .family = s->family }, NULL,
                                   s->userdata);
                        continue;
                }
                if (s->family == AF_INET)
                        receive_ipv4(s, buf, (size_t) n);
                else
                        receive_ipv6(s, &mh, &from, buf, (size_t) n);
        }
        return false;
}

void vrrp_socket_receive_now(VrrpSocket *s) {
        s->drained = read_datagrams(s);
}

static int on_gathered(sd_event_source *src, uint64_t usec, void *userdata) {
        VrrpSocket *s = userdata;

        (void) src;
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_ON);
        s->last_read = usec;
        s->drained = read_datagrams(s);
        return 0;
}

/* Adverts that stream in (many routers whose masters send at the same
 * moment) are read together a little later, not one wake-up per datagram:
 * a wake-up within GATHER_USEC of the previous read, which had emptied the
 * socket, waits GATHER_USEC with the socket set aside. A lone advert is
 * read at once, and so is a queue that the last read did not empty (a
 * flood is not slowed down). */
static int on_readable(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        VrrpSocket *s = userdata;
        uint64_t now;
        int r;

        (void) fd;
        (void) revents;
        if (sd_event_now(sd_event_source_get_event(src), CLOCK_MONOTONIC, &now) < 0)
                now = 0;
        if (now && s->drained && now < s->last_read + GATHER_USEC) {
                if (!s->gather) {
                        r = sd_event_add_time(sd_event_source_get_event(src), &s->gather, CLOCK_MONOTONIC,
                                              now + GATHER_USEC, 1, on_gathered, s);
                        /* Read before the timers, like the socket itself. */
                        if (r >= 0)
                                r = sd_event_source_set_priority(s->gather, SD_EVENT_PRIORITY_IMPORTANT);
                } else
                        r = sd_event_source_set_time(s->gather, now + GATHER_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->gather, SD_EVENT_ONESHOT);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
                if (r >= 0)
                        return 0;
        }
        s->last_read = now;
        s->drained = read_datagrams(s);
        return 0;
}

int vrrp_socket_open(VrrpSocket **ret, sd_event *event, const char *ifname, int ifindex, int family,
                     VrrpSocketHandler handler, void *userdata) {
        _cleanup_close_ int fd = -1;
        VrrpSocket *s;
        int r;

        fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_IPPROTO);
        if (fd < 0)
                return -errno;
        r = setopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t) strlen(ifname));
        if (r < 0)
                return r;
        r = family == AF_INET ? setup_ipv4(fd, ifindex) : setup_ipv6(fd, ifindex);
        if (r < 0)
                return r;
        if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int) { RECEIVE_BUFFER }, sizeof(int)) < 0)
                (void) setopt(fd, SOL_SOCKET, SO_RCVBUF, &(int) { RECEIVE_BUFFER }, sizeof(int));

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (VrrpSocket) { .fd = -1, .ifindex = ifindex, .family = family, .min_ttl = VRRP_TTL,
                            .handler = handler, .userdata = userdata };
        snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
        r = sd_event_add_io(event, &s->io, fd, EPOLLIN, on_readable, s);
        if (r < 0) {
                free(s);
                return r;
        }
        (void) sd_event_source_set_description(s->io, "vrrp-socket");
        /* Adverts that arrived are handled before the timers they would have
         * reset: after a freeze (SIGSTOP, a stalled host) both are ready in
         * the same loop iteration, and a backup must not act on its overdue
         * Master_Down_Timer before it reads the master's queued adverts. */
        r = sd_event_source_set_priority(s->io, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                sd_event_source_disable_unref(s->io);
                free(s);
                return r;
        }
        s->fd = TAKE_FD(fd);
        *ret = s;
        return 0;
}

int vrrp_socket_set_vrids(VrrpSocket *s, const uint8_t versions[256], uint8_t min_ttl) {
        struct sock_filter prog[VRRP_BPF_MAX_INSNS];
        struct sock_fprog fprog = { .filter = prog };
        int r;

        if (min_ttl == 0)
                min_ttl = VRRP_TTL;
        /* Accepted in user space at once, whether the filter attaches or not. */
        s->min_ttl = min_ttl;
        if (s->filtered && memcmp(s->versions, versions, sizeof(s->versions)) == 0 && s->filter_ttl == min_ttl)
                return 0;
        fprog.len = (unsigned short) vrrp_bpf_build(s->family, versions, min_ttl, prog);
        r = setopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
        if (r < 0)
                return r;
        memcpy(s->versions, versions, sizeof(s->versions));
        s->filter_ttl = min_ttl;
        s->filtered = true;
        return 0;
}

VrrpSocket *vrrp_socket_close(VrrpSocket *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->io);
        sd_event_source_disable_unref(s->gather);
        free(s->batch);
        if (s->fd >= 0)
                close(s->fd);
        free(s);
        return NULL;
}

/* Appends the TTL / hop limit to mh's control data, unless it is the socket's. */
static void add_ttl(const VrrpSocket *s, uint8_t ttl, struct msghdr *mh) {
        struct cmsghdr *c = (struct cmsghdr *) ((uint8_t *) mh->msg_control + mh->msg_controllen);
        int v = ttl;

        if (ttl == 0 || ttl == VRRP_TTL)
                return;
        c->cmsg_level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
        c->cmsg_type = s->family == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
        c->cmsg_len = CMSG_LEN(sizeof(v));
        memcpy(CMSG_DATA(c), &v, sizeof(v));
        mh->msg_controllen += CMSG_SPACE(sizeof(v));
}

/* Fills mh (pointing at to, control and iov) for one message from src to dst. */
static void build_message(const VrrpSocket *s, const IpAddr *src, const IpAddr *dst, uint8_t ttl,
                          struct msghdr *mh, SendAddress *to, SendControl *control, struct iovec *iov) {
        struct cmsghdr *c = (struct cmsghdr *) control;

        *to = (SendAddress) {};
        *control = (SendControl) {};
        *mh = (struct msghdr) { .msg_name = to, .msg_iov = iov, .msg_iovlen = 1, .msg_control = control };
        if (s->family == AF_INET) {
                struct in_pktinfo pi = { .ipi_ifindex = s->ifindex, .ipi_spec_dst = src->u.in };
                to->in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_addr = dst->u.in };
                mh->msg_namelen = sizeof(to->in);
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(pi));
                memcpy(CMSG_DATA(c), &pi, sizeof(pi));
                mh->msg_controllen = CMSG_SPACE(sizeof(pi));
        } else {
                struct in6_pktinfo pi = { .ipi6_addr = src->u.in6, .ipi6_ifindex = (unsigned) s->ifindex };
                to->in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_addr = dst->u.in6,
                                                  .sin6_scope_id = (uint32_t) s->ifindex };
                mh->msg_namelen = sizeof(to->in6);
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(pi));
                memcpy(CMSG_DATA(c), &pi, sizeof(pi));
                mh->msg_controllen = CMSG_SPACE(sizeof(pi));
        }
        add_ttl(s, ttl, mh);
}

int vrrp_socket_send(VrrpSocket *s, const IpAddr *src, const IpAddr *dst, uint8_t ttl, const uint8_t *buf,
                     size_t len) {
        SendControl control;
        SendAddress to;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh;

        build_message(s, src, dst, ttl, &mh, &to, &control, &iov);
        if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0)
                return -errno;
        return 0;
}

void vrrp_socket_batch_begin(VrrpSocket *s) {
        if (!s->batch)
                s->batch = calloc(1, sizeof(*s->batch));
        s->batching = s->batch;
}

static void batch_flush(VrrpSocket *s) {
        SendBatch *b = s->batch;
        size_t done = 0;

        if (!b)
                return;
        /* Bounded: every round sends at least one message or fails one. */
        while (done < b->n) {
                int n = sendmmsg(s->fd, b->msgs + done, (unsigned) (b->n - done), MSG_DONTWAIT);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        (*b->failed[done])++;
                        done++;
                        continue;
                }
                for (int k = 0; k < n; k++)
                        (*b->sent[done + (size_t) k])++;
                done += (size_t) n;
        }
        b->n = b->used = 0;
}

void vrrp_socket_batch_end(VrrpSocket *s) {
        batch_flush(s);
        s->batching = false;
}

void vrrp_socket_queue(VrrpSocket *s, const IpAddr *src, const IpAddr *dst, uint8_t ttl, const uint8_t *buf,
                       size_t len, uint64_t *sent, uint64_t *failed) {
        SendBatch *b = s->batch;

        if (!s->batching || len > BATCH_BYTES) {
                if (vrrp_socket_send(s, src, dst, ttl, buf, len) < 0)
                        (*failed)++;
                else
                        (*sent)++;
                return;
        }
        if (b->n == BATCH_MAX || b->used + len > BATCH_BYTES)
                batch_flush(s);
        memcpy(b->bytes + b->used, buf, len);
        b->iov[b->n] = (struct iovec) { .iov_base = b->bytes + b->used, .iov_len = len };
        build_message(s, src, dst, ttl, &b->msgs[b->n].msg_hdr, &b->to[b->n], &b->control[b->n],
                      &b->iov[b->n]);
        b->sent[b->n] = sent;
        b->failed[b->n] = failed;
        b->used += len;
        b->n++;
}

int vrrp_socket_ifindex(const VrrpSocket *s) {
        return s->ifindex;
}

int vrrp_socket_family(const VrrpSocket *s) {
        return s->family;
}

const char *vrrp_socket_ifname(const VrrpSocket *s) {
        return s->ifname;
}
