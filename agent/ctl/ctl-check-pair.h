/* promvipctl check-pair CONFIG...: loads each host's configuration, checks
 * them together (pair-check.h) and prints the tables and findings
 * (pair-table.h). */
#pragma once

/* argv[0] is "check-pair". EXIT_OK: no error (warnings allowed, unless
 * --strict); EXIT_FAIL: errors found; EXIT_USAGE: bad usage, or a
 * configuration that does not load (its errors printed as FILE:LINE). */
int ctl_check_pair(int argc, char **argv);
