/* promvipctl import-keepalived [--config-id ID] [FILE]: keepalived.conf (default
 * /etc/keepalived/keepalived.conf) as promvip.conf on stdout, and a report
 * on stderr of what was carried over differently or not at all, each line
 * FILE:LINE. */
#pragma once

#define CTL_IMPORT_DEFAULT_PATH "/etc/keepalived/keepalived.conf"

/* config_id: keepalived's config id for `@ID` lines (its -i); NULL: its
 * default, this host's name up to the first dot.
 * 0 when everything was carried over, 1 when something was left out (or
 * out of memory), 2 when FILE cannot be read. */
int ctl_import_keepalived(const char *path, const char *config_id);
