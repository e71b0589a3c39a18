#include "shared/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int ip_addr_parse(const char *s, IpAddr *ret) {
        IpAddr a = {};

        if (inet_pton(AF_INET, s, &a.u.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.u.in6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret = a;
        return 0;
}

int ip_prefix_parse(const char *s, IpPrefix *ret) {
        char buf[IP_PREFIX_STRLEN];
        const char *slash = strchr(s, '/');
        IpPrefix p = {};
        size_t len = slash ? (size_t) (slash - s) : strlen(s);
        unsigned max;

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (ip_addr_parse(buf, &p.addr) < 0)
                return -EINVAL;

        max = p.addr.family == AF_INET ? 32 : 128;
        p.prefixlen = (uint8_t) max;
        if (slash) {
                const char *d = slash + 1;
                char *end;
                unsigned long n;

                /* Digits only: strtoul would accept " 24", "+24" and "-1". */
                if (*d < '0' || *d > '9' || strlen(d) > 3)
                        return -EINVAL;
                n = strtoul(d, &end, 10);
                if (*end != '\0' || n > max)
                        return -EINVAL;
                p.prefixlen = (uint8_t) n;
        }
        *ret = p;
        return 0;
}

bool ip_addr_equal(const IpAddr *a, const IpAddr *b) {
        if (a->family != b->family)
                return false;
        if (a->family == AF_INET)
                return a->u.in.s_addr == b->u.in.s_addr;
        return memcmp(&a->u.in6, &b->u.in6, sizeof(a->u.in6)) == 0;
}

int ip_addr_compare(const IpAddr *a, const IpAddr *b) {
        size_t len = a->family == AF_INET6 ? 16 : 4;

        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(&a->u, &b->u, len);
}

bool ip_addr_is_special(const IpAddr *a) {
        if (a->family == AF_INET) {
                uint32_t h = ntohl(a->u.in.s_addr);
                return h == 0 || (h >> 24) == 127 || (h >> 28) == 0xe || h == 0xffffffffu;
        }
        return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6) || IN6_IS_ADDR_LOOPBACK(&a->u.in6) ||
               IN6_IS_ADDR_MULTICAST(&a->u.in6);
}

const char *ip_addr_to_string(const IpAddr *a, char *buf) {
        if (!inet_ntop(a->family, &a->u, buf, IP_ADDR_STRLEN))
                snprintf(buf, IP_ADDR_STRLEN, "(invalid)");
        return buf;
}

const char *ip_prefix_to_string(const IpPrefix *p, char *buf) {
        char a[IP_ADDR_STRLEN];

        snprintf(buf, IP_PREFIX_STRLEN, "%s/%u", ip_addr_to_string(&p->addr, a), p->prefixlen);
        return buf;
}

const char *ip_family_name(int family) {
        return family == AF_INET6 ? "IPv6" : "IPv4";
}
