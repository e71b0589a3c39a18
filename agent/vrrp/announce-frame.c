/* The frames of gratuitous ARP and unsolicited neighbour advertisements
 * (see announce-frame.h): bytes at fixed offsets, no struct overlays. */
#include "vrrp/announce-frame.h"

#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <string.h>

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ND_OPT_TLLA 2                /* RFC 4861 4.6.1, Target Link-Layer Address */
/* RFC 4861 4.4: R=0x80, S=0x40, O=0x20 in the first flags byte; RFC 5798
 * 6.4.1 and 6.4.2: a new master's NA has R and O set, S unset. */
#define ND_NA_FLAGS_BYTE 0xa0

static void put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

size_t arp_build_garp(uint8_t buf[ARP_GARP_LEN], const uint8_t mac[6], const struct in_addr *vip) {
        put_be16(buf + 0, ARP_HTYPE_ETHER);
        put_be16(buf + 2, ETH_P_IP);
        buf[4] = 6; /* hardware address length */
        buf[5] = 4; /* protocol address length */
        put_be16(buf + 6, ARP_OP_REQUEST);
        memcpy(buf + 8, mac, 6);       /* sender hardware address */
        memcpy(buf + 14, vip, 4);      /* sender protocol address */
        memset(buf + 18, 0, 6);        /* target hardware address: unknown */
        memcpy(buf + 24, vip, 4);      /* target protocol address */
        return ARP_GARP_LEN;
}

size_t ndisc_build_na(uint8_t buf[NDISC_NA_LEN], const uint8_t mac[6], const struct in6_addr *vip) {
        memset(buf, 0, NDISC_NA_LEN);
        buf[0] = ND_NEIGHBOR_ADVERT; /* 136; code 0, checksum 0 (the kernel's) */
        buf[4] = ND_NA_FLAGS_BYTE;
        memcpy(buf + 8, vip, 16);    /* target address */
        buf[24] = ND_OPT_TLLA;
        buf[25] = 1;                 /* option length in units of 8 bytes */
        memcpy(buf + 26, mac, 6);
        return NDISC_NA_LEN;
}
