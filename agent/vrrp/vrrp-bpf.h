/* The classic BPF program on each raw VRRP socket: the kernel drops what
 * cannot be a valid advertisement for that socket before the daemon wakes
 * (a junk flood then costs no system call and no wake-up).
 *
 * Passed: IPv4 with a TTL of at least the socket's minimum (255 unless an
 * instance there accepts peers across a router; the data starts at the
 * IPv4 header, options allowed), VRRP type 1 of version 2 or 3 (IPv6: version 3 only; the data
 * starts at the VRRP header and the hop limit stays checked in user space,
 * which gets it as ancillary data), a non-zero advertisement interval, a
 * length that fits the address count, and a VRID of the set in a version
 * configured for it. An advertisement of a configured VRID in the other
 * version is passed one time in VRRP_BPF_MISMATCH_SAMPLE (at random): a
 * misconfigured peer still shows in the daemon's drop counters, a flood
 * of them costs a fraction. So is an IPv4 advert with a lower TTL (it
 * crossed a router: a peer across a router without unicast_min_ttl shows
 * as bad_ttl). Everything else (checksum, authentication...)
 * the user-space parser checks; the filter only drops early what it would
 * drop anyway.
 *
 * Pure: builds instructions, attaches nothing. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_BPF_MISMATCH_SAMPLE 16u

/* The versions configured for a VRID: a bit mask, bit v for version v. */
#define VRRP_BPF_VERSION(v) ((uint8_t) (1u << (v)))

/* 33 instructions of header checks, at most 10 per run of consecutive
 * VRIDs with the same versions (at most 255 runs), the final drop: within
 * the kernel's limit of 4096. */
#define VRRP_BPF_MAX_INSNS (33 + 10 * 255 + 1)

/* Writes the program for a socket of `family` (AF_INET or AF_INET6) into
 * prog and returns its length (at most VRRP_BPF_MAX_INSNS). versions[v] is
 * the mask of versions configured for VRID v (0: none; versions[0] is
 * ignored). With no VRID configured, the program drops everything. IPv4:
 * min_ttl is the lowest TTL passed whole (0: VRRP_TTL). */
size_t vrrp_bpf_build(int family, const uint8_t versions[256], uint8_t min_ttl, struct sock_filter *prog);
