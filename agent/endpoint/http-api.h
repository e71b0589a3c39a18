/* The HTTP endpoint for /metrics and /status: libmicrohttpd in its epoll
 * mode with no thread of its own, driven by the sd-event loop (one io source
 * on MHD's epoll fd, one timer for MHD's timeout). Every request takes a
 * fresh Snapshot through the callback and renders it with metrics.c or
 * status.c.
 *
 * Routes: GET (or HEAD) /metrics, /status, /events (?instance=NAME: that
 * instance's only, 404 with {"error"} when there is none) and / (a short
 * index); any other
 * path 404; another method on a known path 405 with an Allow header; a
 * request with a body 400. At most HTTP_API_CONNECTION_LIMIT connections,
 * each closed after HTTP_API_CONNECTION_TIMEOUT_SEC idle seconds.
 *
 * The control endpoint (http_api_new_control()) listens on a Unix socket
 * that only root can open, and also takes POST /instances/NAME/release:
 * 202 with {"instance", "timeout_usec"} when the hand-over began, 404 with
 * {"error"} for an unknown instance, 409 with {"error"} when the instance
 * is not MASTER or is already handing over. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "endpoint/snapshot.h"
#include "shared/addr.h"

#define HTTP_API_CONNECTION_LIMIT 32
#define HTTP_API_CONNECTION_TIMEOUT_SEC 5

typedef struct HttpApi HttpApi;

/* Fills *ret with the current state (the endpoint calls snapshot_clear() on
 * it afterwards), with each instance's event history only when
 * `with_events` (/status, /events; /metrics does not show it): 0 or a
 * negative errno, which is answered with a 500. */
typedef int (*HttpApiSnapshot)(void *userdata, bool with_events, Snapshot *ret);

/* Starts the release of an instance: 0 with the longest the hand-over can
 * take, -ENOENT (no such instance), -ENOTCONN (not MASTER; *ret_state says
 * what it is) or -EALREADY (handing over already). */
typedef int (*HttpApiRelease)(void *userdata, const char *instance, uint64_t *ret_timeout_usec,
                              const char **ret_state);

/* Listens on addr:port (port 0: one the kernel picks, see
 * http_api_get_port()). Returns 0, -EADDRINUSE when the address is taken,
 * another negative errno from bind() (-EADDRNOTAVAIL, -EACCES, ...), or
 * -EIO when libmicrohttpd fails for another reason. */
int http_api_new(HttpApi **ret, sd_event *event, const IpAddr *addr, uint16_t port,
                 HttpApiSnapshot get_snapshot, void *userdata);
/* The control endpoint on a Unix socket at `path` (mode 0600; a stale
 * socket there is replaced, one that is answered is not: -EADDRINUSE, nor
 * is any other kind of file: -EEXIST). */
int http_api_new_control(HttpApi **ret, sd_event *event, const char *path, HttpApiSnapshot get_snapshot,
                         HttpApiRelease release, void *userdata);

/* Closes the listening socket and every connection (and removes the
 * control socket's file); returns NULL. */
HttpApi *http_api_free(HttpApi *a);

/* The port it listens on (the kernel's pick when created with port 0). */
uint16_t http_api_get_port(HttpApi *a);
