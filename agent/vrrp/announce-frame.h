/* Telling the segment who owns a VIP now: gratuitous ARP for IPv4 (an ARP
 * request with sender = target = VIP, from the interface's MAC, to the
 * broadcast address, as keepalived sends it) and unsolicited neighbour
 * advertisements for IPv6 (RFC 4861 7.2.6: to ff02::1, target link-layer
 * address option, hop limit 255; RFC 5798 6.4.1: Router and Override flags
 * set, Solicited unset).
 *
 * Pure: the frame builders. The Announcer (daemon/announcer.h) sends them;
 * when to send is announce-schedule.h's. */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_GARP_LEN 28
#define NDISC_NA_LEN 32

/* The 28-byte ARP payload (Ethernet/IPv4, opcode request). */
size_t arp_build_garp(uint8_t buf[ARP_GARP_LEN], const uint8_t mac[6], const struct in_addr *vip);
/* The 32-byte ICMPv6 NA with a target link-layer address option; the
 * checksum field is left 0 (the kernel fills it for raw ICMPv6 sockets). */
size_t ndisc_build_na(uint8_t buf[NDISC_NA_LEN], const uint8_t mac[6], const struct in6_addr *vip);
