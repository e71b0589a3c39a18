/* Sends gratuitous ARPs and unsolicited NAs (vrrp/announce-frame.h) over
 * two sockets it owns: an AF_PACKET SOCK_DGRAM socket and a raw ICMPv6
 * socket that receives nothing; one packet per call. */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

typedef struct Announcer Announcer;

int announcer_new(Announcer **ret);
Announcer *announcer_free(Announcer *a);

/* Sends one gratuitous ARP for vip out of ifindex: 0 or -errno. */
int announce_garp(Announcer *a, int ifindex, const uint8_t mac[6], const struct in_addr *vip);
/* Sends one unsolicited NA for vip out of ifindex from the link-local
 * address src: 0 or -errno. */
int announce_na(Announcer *a, int ifindex, const uint8_t mac[6], const struct in6_addr *src,
                const struct in6_addr *vip);
