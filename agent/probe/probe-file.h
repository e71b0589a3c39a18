/* file probes (keepalived's track_file): the integer in a file, read when
 * inotify says the file changed; never polled. The file's directory is
 * watched, so that creation, replacement (rename) and removal are seen; a
 * directory that does not exist yet is waited for by watching the deepest
 * ancestor that does. The file is read at once on the event (a small local
 * file, at most 127 bytes read, O_NONBLOCK). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf/conf.h"
#include "probe/probe.h"

typedef struct FileCheck FileCheck;

/* One reading: has_value false keeps the value in force (a number out of
 * range); a missing or unreadable file gives the probe's `missing`. */
typedef void (*FileCheckDone)(void *userdata, const ProbeResult *r, bool has_value, int64_t value);

/* probe must be of kind file and outlive the check. Watches and reads the
 * file once before returning (done() is called from here too). */
int file_check_new(FileCheck **ret, sd_event *event, const ProbeConfig *probe, FileCheckDone done,
                   void *userdata);
FileCheck *file_check_free(FileCheck *c);
