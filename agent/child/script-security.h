/* keepalived's script security: whether a script that promvipd runs (a
 * hook, an exec probe) could be replaced by someone other than root. */
#pragma once

#include <stddef.h>

/* 0 when the executable and every directory above it can be changed by
 * root only: each is owned by root and not writable by group or others —
 * group-writable is fine when the group is root, and an others-writable
 * directory when it has the sticky bit (then nobody else can rename or
 * remove the root-owned entry below it). Otherwise -EPERM with the reason
 * in `reason` ("/srv/hook.sh is writable by group 1000"), -ENOENT and the
 * like when it cannot be examined, or -EACCES when it is not executable. */
int script_check_secure(const char *path, char *reason, size_t size);
