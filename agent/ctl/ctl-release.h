/* promvipctl release: asks promvipd (over its control socket) to hand an
 * instance's mastership over, then follows /status until the hand-over
 * ended, and says how. */
#pragma once

#include "ctl/ctl-http.h"

/* EXIT_OK when the instance is BACKUP under a new master; EXIT_FAIL when
 * promvipd refused (no such instance, not MASTER) or nobody took over;
 * else the EXIT_* of the request. */
int ctl_release(const CtlEndpoint *e, const char *instance);
