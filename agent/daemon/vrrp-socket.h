/* Raw VRRP sockets (IP protocol 112), one per interface and address family,
 * shared by the instances there: bound to the interface, joined to
 * 224.0.0.18 / ff02::12, TTL / hop limit 255 on send (another per message
 * for peers across a router), multicast loop off.
 * Received datagrams are decoded here (with the TTL / hop limit and the
 * addresses the kernel reports) and handed on, valid or not. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "vrrp/vrrp-packet.h"

typedef struct VrrpSocket VrrpSocket;

/* err is VRRP_PKT_OK for a valid advertisement (adv filled), else the reason. */
typedef void (*VrrpSocketHandler)(VrrpSocket *s, VrrpPktError err, const VrrpPktCtx *ctx,
                                  const VrrpAdvert *adv, void *userdata);

int vrrp_socket_open(VrrpSocket **ret, sd_event *event, const char *ifname, int ifindex, int family,
                     VrrpSocketHandler handler, void *userdata);
VrrpSocket *vrrp_socket_close(VrrpSocket *s);

/* Lets the kernel pass only what could be an advert for these VRIDs in
 * these versions (versions[v]: a mask of VRRP_BPF_VERSION(); see
 * vrrp-bpf.h) with a TTL / hop limit of at least min_ttl (the lowest an
 * instance on the socket accepts; 0: VRRP_TTL), replacing the previous
 * filter; nothing is done when they are unchanged. Until the first call,
 * all pass and only VRRP_TTL is accepted. */
int vrrp_socket_set_vrids(VrrpSocket *s, const uint8_t versions[256], uint8_t min_ttl);

/* Sends one VRRP message from src to dst (a multicast group or a peer)
 * with TTL / hop limit ttl (0: VRRP_TTL). */
int vrrp_socket_send(VrrpSocket *s, const IpAddr *src, const IpAddr *dst, uint8_t ttl, const uint8_t *buf,
                     size_t len);

/* Between batch_begin() and batch_end(), queue() collects messages and
 * sends them together (sendmmsg, flushed when the batch is full and at the
 * end); otherwise it sends at once. Each message adds one to *sent or to
 * *failed when it has gone out, which must stay valid until then. Without
 * memory for a batch, queue() sends at once. */
void vrrp_socket_batch_begin(VrrpSocket *s);
void vrrp_socket_queue(VrrpSocket *s, const IpAddr *src, const IpAddr *dst, uint8_t ttl, const uint8_t *buf,
                       size_t len, uint64_t *sent, uint64_t *failed);
void vrrp_socket_batch_end(VrrpSocket *s);

/* Reads and hands on what is queued now (at most 64 datagrams), also
 * while the socket waits to read a stream of adverts together. */
void vrrp_socket_receive_now(VrrpSocket *s);

int vrrp_socket_ifindex(const VrrpSocket *s);
int vrrp_socket_family(const VrrpSocket *s);
const char *vrrp_socket_ifname(const VrrpSocket *s);

/* The VRRP multicast group of a family. */
IpAddr vrrp_multicast_group(int family);
