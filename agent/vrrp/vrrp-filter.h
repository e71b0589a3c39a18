/* Which advertisements a virtual router accepts (RFC 5798 7.1, RFC 3768
 * 7.1), and the names of every reason a packet is dropped.
 *
 * Pure: checks a decoded advertisement against a virtual router's settings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/addr.h"
#include "vrrp/vrrp-packet.h"

/* The settings of a virtual router that decide what it accepts. */
typedef struct VrrpFilterParams {
        uint8_t version;           /* 2 or 3 */
        uint8_t priority;          /* ours: VRRP_PRIO_OWNER drops every advertisement */
        uint16_t adver_int_cs;     /* version 2: the master's must be the same */
        uint8_t auth_type;         /* version 2: VRRP_V2_AUTH_NONE or VRRP_V2_AUTH_PASS */
        const char *auth_password; /* with VRRP_V2_AUTH_PASS */
        const IpPrefix *vips;      /* the advertised addresses must be these, in any order */
        size_t n_vips;
        const IpAddr *peers;       /* unicast: the only senders accepted; none: any */
        size_t n_peers;
        uint8_t min_ttl;           /* lowest TTL / hop limit accepted; 0: VRRP_TTL */
} VrrpFilterParams;

/* Drop reasons: the decoder's (VrrpPktError, 0 meaning accepted), then the
 * ones decided against the configuration. */
typedef enum VrrpDrop {
        VRRP_DROP_NONE = VRRP_PKT_OK,
        VRRP_DROP_UNKNOWN_VRID = _VRRP_PKT_ERROR_MAX, /* no instance for this VRID here */
        VRRP_DROP_VERSION_MISMATCH,                   /* VRRP version other than configured */
        VRRP_DROP_INTERVAL_MISMATCH,                  /* version 2: advertisement interval differs */
        VRRP_DROP_ADDR_MISMATCH,                      /* virtual addresses differ from ours */
        VRRP_DROP_UNKNOWN_PEER,                       /* unicast mode: sender not in unicast_peers */
        VRRP_DROP_ADDRESS_OWNER,                      /* we own the addresses (priority 255): RFC 5798 7.1 */
        VRRP_DROP_OWN_ADDRESS,                        /* sent from an address of this host (the shell decides) */
        _VRRP_DROP_MAX,
} VrrpDrop;

/* VRRP_DROP_NONE, or why a router with settings `p` must drop the
 * advertisement. The TTL is checked after the sender: one below 255 is
 * accepted only from a listed peer (bad_ttl otherwise, or unknown_peer). The address owner (priority 255) drops every
 * advertisement (RFC 5798 7.1), except while it hands over
 * (`handing_over`): then it waits for the new master's. */
VrrpDrop vrrp_filter(const VrrpFilterParams *p, const VrrpPktCtx *ctx, const VrrpAdvert *adv, bool handing_over);

/* "bad_checksum", "unknown_vrid", ... (label values of the drop counters). */
const char *vrrp_drop_to_string(VrrpDrop d);
/* The same by index (log_format_counters()). */
const char *vrrp_drop_name(size_t d);
