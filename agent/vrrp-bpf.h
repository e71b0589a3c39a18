/* The classic BPF program on each raw VRRP socket: the kernel drops what
 * cannot be a valid advertisement for that socket before the daemon wakes
 * (a junk flood then costs no system call and no wake-up).
 *
 * Passed: IPv4 with TTL 255 (the data starts at the IPv4 header, options
 * allowed), VRRP version 2 or 3 with type 1 (IPv6: version 3 only; the data
 * starts at the VRRP header and the hop limit stays checked in user space,
 * which gets it as ancillary data), and a VRID of the set. Everything else
 * the user-space parser checks again; the filter only drops early what it
 * would drop anyway.
 *
 * Pure: builds instructions, attaches nothing. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

/* Header checks, then 3 instructions per run of consecutive VRIDs (at most
 * 128 runs among VRIDs 1..255), then the final drop. */
#define VRRP_BPF_MAX_INSNS (12 + 3 * 128 + 1)

/* Writes the program for a socket of `family` (AF_INET or AF_INET6) that
 * passes the VRIDs v with vrids[v] set (vrids[0] is ignored) into prog;
 * returns its length (at most VRRP_BPF_MAX_INSNS). With no VRID set, the
 * program drops everything. */
size_t vrrp_bpf_build(int family, const bool vrids[256], struct sock_filter *prog);
