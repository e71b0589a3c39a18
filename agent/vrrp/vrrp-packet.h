/* VRRP advertisements on the wire: decode, encode and checksum VRRPv3
 * (RFC 5798 / RFC 9568, IPv4 and IPv6) and VRRPv2 (RFC 3768, IPv4, with
 * simple text authentication).
 *
 * Pure: no sockets, no clock, no logging, no globals. The parser copies
 * fields out of the buffer (never casts into it) and returns a distinct
 * reason for everything it rejects; the caller counts and logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/addr.h"

#define VRRP_IPPROTO 112
#define VRRP_TTL 255
#define VRRP_TYPE_ADVERTISEMENT 1
#define VRRP_MAX_ADDRS 255
#define VRRP_HEADER_LEN 8
#define VRRP_AUTH_DATA_LEN 8
#define VRRP_PRIO_STOP 0     /* the master stops: "take over now" */
#define VRRP_PRIO_OWNER 255  /* the address owner */
#define VRRP_V3_MAX_ADVER_INT_CS 4095
#define VRRP_V2_AUTH_NONE 0
#define VRRP_V2_AUTH_PASS 1
#define VRRP_V2_AUTH_AH 2
#define VRRP_PKT_MAX_LEN (VRRP_HEADER_LEN + VRRP_MAX_ADDRS * 16 + VRRP_AUTH_DATA_LEN)

typedef enum VrrpPktError {
        VRRP_PKT_OK,
        VRRP_PKT_TOO_SHORT,       /* shorter than a header */
        VRRP_PKT_TRUNCATED,       /* IPv4: fewer bytes than the IP header announces */
        VRRP_PKT_BAD_IP_HEADER,   /* IPv4: not IPv4, bad header length, not protocol 112 */
        VRRP_PKT_BAD_TTL,         /* TTL / hop limit below the minimum (255 unless configured) */
        VRRP_PKT_BAD_VERSION,     /* not 2 or 3, or version 2 over IPv6 */
        VRRP_PKT_BAD_TYPE,        /* not an advertisement */
        VRRP_PKT_BAD_CHECKSUM,
        VRRP_PKT_BAD_ADDR_COUNT,  /* the address count does not fit the length */
        VRRP_PKT_BAD_ADVER_INT,   /* advertisement interval 0 */
        VRRP_PKT_BAD_AUTH,        /* version 2 authentication does not match */
        _VRRP_PKT_ERROR_MAX,
} VrrpPktError;

/* What the socket layer knows about a received datagram. */
typedef struct VrrpPktCtx {
        int family;
        IpAddr src;
        IpAddr dst;
        int ttl; /* TTL or hop limit */
} VrrpPktCtx;

typedef struct VrrpAdvert {
        uint8_t version;
        uint8_t vrid;
        uint8_t priority;
        uint8_t naddr;
        uint16_t adver_int_cs; /* v3: Max Adver Int; v2: Adver Int (seconds) x 100 */
        uint8_t auth_type;     /* v2 only */
        char auth_data[VRRP_AUTH_DATA_LEN];
        bool pseudo_header;    /* v3 over IPv4: the checksum included the pseudo-header */
        int family;
        InAddrUnion addrs[VRRP_MAX_ADDRS];
} VrrpAdvert;

/* Decodes the VRRP part of a datagram (what follows the IP header).
 * Checks in this order: TTL (at least min_ttl: VRRP_TTL, or lower for peers
 * across a router), length, version, checksum, type, address count (0 is
 * accepted: RFC 5798 asks for at least 1, keepalived's no_virtual_ipaddress
 * sends 0), interval. Version 3 over IPv4 accepts the checksum with or
 * without the pseudo-header and says which in ret->pseudo_header. */
VrrpPktError vrrp_pkt_parse(const uint8_t *buf, size_t len, const VrrpPktCtx *ctx, uint8_t min_ttl,
                            VrrpAdvert *ret);

/* Decodes a whole IPv4 datagram as a raw IPv4 socket delivers it: fills the
 * context (addresses, TTL) from the IP header, then vrrp_pkt_parse(). */
VrrpPktError vrrp_pkt_parse_ipv4(const uint8_t *buf, size_t len, uint8_t min_ttl, VrrpPktCtx *ret_ctx,
                                 VrrpAdvert *ret);

/* Version 2: VRRP_PKT_OK when the advertisement carries the expected
 * authentication (type and, for PASS, the password padded with zeros). */
VrrpPktError vrrp_pkt_check_auth(const VrrpAdvert *adv, uint8_t auth_type, const char *password);

/* Encodes adv (version, vrid, priority, naddr, addrs, adver_int_cs,
 * auth_type/auth_data for v2) into buf. The checksum covers the
 * pseudo-header built from src and dst for v3 over IPv6 always, for v3 over
 * IPv4 when pseudo_header is set, never for v2. Returns the length, or
 * -ENOBUFS / -EINVAL. */
int vrrp_pkt_build(uint8_t *buf, size_t size, const VrrpAdvert *adv, const IpAddr *src,
                   const IpAddr *dst, bool pseudo_header);

/* The Internet checksum of the VRRP message, with the pseudo-header if src is not NULL. */
uint16_t vrrp_pkt_checksum(const uint8_t *buf, size_t len, const IpAddr *src, const IpAddr *dst);

/* "too_short", "bad_checksum", ...: names for logs and metrics labels. */
const char *vrrp_pkt_error_to_string(VrrpPktError e);
