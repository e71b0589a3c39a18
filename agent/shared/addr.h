/* IP addresses and prefixes as plain values: parse and format (pure). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

typedef union {
        struct in_addr in;
        struct in6_addr in6;
} InAddrUnion;

typedef struct IpAddr {
        int family; /* AF_INET or AF_INET6 */
        InAddrUnion u;
} IpAddr;

typedef struct IpPrefix {
        IpAddr addr;
        uint8_t prefixlen;
} IpPrefix;

#define IP_ADDR_STRLEN INET6_ADDRSTRLEN
#define IP_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* A literal IPv4 or IPv6 address, no prefix: 0 or -EINVAL. */
int ip_addr_parse(const char *s, IpAddr *ret);
/* "ADDR" or "ADDR/LEN"; without /LEN the prefix is the full length: 0 or -EINVAL. */
int ip_prefix_parse(const char *s, IpPrefix *ret);

bool ip_addr_equal(const IpAddr *a, const IpAddr *b);
/* Negative when a < b, by value as unsigned numbers in network order; an
 * IPv4 address sorts before an IPv6 one. */
int ip_addr_compare(const IpAddr *a, const IpAddr *b);
/* Unspecified, loopback or multicast: never usable as a virtual or peer address. */
bool ip_addr_is_special(const IpAddr *a);

/* Writes into buf (IP_ADDR_STRLEN / IP_PREFIX_STRLEN bytes) and returns it. */
const char *ip_addr_to_string(const IpAddr *a, char *buf);
const char *ip_prefix_to_string(const IpPrefix *p, char *buf);

/* "IPv4" or "IPv6". */
const char *ip_family_name(int family);
