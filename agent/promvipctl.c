/* promvipctl: the control tool. For now it knows its version and usage;
 * the commands that talk to promvipd come with the daemon's HTTP API. */
#include <stdio.h>
#include <string.h>

#include "config.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: promvipctl [--version | --help]\n"
                   "\n"
                   "Control tool for promvipd.\n"
                   "\n"
                   "  -V, --version  print the version and exit\n"
                   "  -h, --help     print this help and exit\n");
}

int main(int argc, char **argv) {
        if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
                printf("promvipctl %s\n", PROMVIP_VERSION);
                return 0;
        }
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc > 1)
                fprintf(stderr, "promvipctl: unknown command or option '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
