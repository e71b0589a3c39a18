/* Internal to the HTTP probes: libcurl's multi interface driven by the
 * sd-event loop, so that no transfer blocks it. A CurlGlue owns the multi
 * handle, one timer for curl's timeout, one defer source that hands finished
 * transfers out one per loop pass, and one io source per socket curl wants
 * watched.
 * It knows nothing of probes: it never reads or writes an easy handle's
 * options, never closes a socket, and logs at debug level only. */
#pragma once

#include <curl/curl.h>
#include <systemd/sd-event.h>

typedef struct CurlGlue CurlGlue;
typedef struct CurlGlueTransfer CurlGlueTransfer;

/* Called from the loop (never from inside curl_glue_add()) when the
 * transfer of an easy handle is over, with curl's result. The handle is
 * still in the multi handle: the callee takes it out with
 * curl_glue_remove(). The glue touches nothing after the call returns, so
 * the callee may add the handle again, free it or free the whole glue. */
typedef void (*CurlGlueDone)(CurlGlueTransfer *t, CURLcode result);

/* The first member of the struct that an easy handle's CURLOPT_PRIVATE
 * points at; the owner of the easy handle sets that option. */
struct CurlGlueTransfer {
        CurlGlueDone done;
};

/* Calls curl_global_init() on first use; the daemon has one thread. */
int curl_glue_new(CurlGlue **ret, sd_event *event);
/* Every easy handle must be out of the multi handle (or freed) before. */
CurlGlue *curl_glue_free(CurlGlue *g);

sd_event *curl_glue_get_event(CurlGlue *g);

/* Add or remove an easy handle; curl's own codes are handed back. */
CURLMcode curl_glue_add(CurlGlue *g, CURL *easy);
CURLMcode curl_glue_remove(CurlGlue *g, CURL *easy);
