/* Reads a keepalived.conf and the files it includes into lines
 * (keepalived-parse.h), as keepalived finds them: `include` patterns are
 * glob(3)bed with braces, relative to the including file's directory
 * (keepalived changes into it), in glob order; directories and executable
 * files are skipped. */
#pragma once

#include "ctl/keepalived-parse.h"

/* 0, or -errno when `path` itself cannot be read (an include that cannot
 * be read is a note). -ENOMEM on OOM. */
int ka_read(const char *path, const char *config_id, KaLines *out, KaNotes *notes);
