/* promvipctl check-pair; see ctl-check-pair.h. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl/ctl-check-pair.h"
#include "ctl/pair-check.h"
#include "ctl/pair-table.h"
#include "shared/exit-codes.h"
#include "shared/macro.h"

#define TARGET_MAX_SEC 86400.0

static void usage(FILE *f) {
        fprintf(f,
                "Usage: promvipctl check-pair [--target SECONDS] [--strict] CONFIG...\n"
                "\n"
                "Checks the promvip.conf of every host of a set of virtual routers together: which\n"
                "host is master when all is well, after each failure, and whether every failure\n"
                "moves the VIP. Instances are the same router when their vrid and address family\n"
                "are.\n"
                "\n"
                "  -t, --target SECONDS  warn when a probe takes longer to detect a failure\n"
                "                        (fall x interval + timeout)\n"
                "  -s, --strict          warnings are errors too (exit 1)\n"
                "  -h, --help            print this help and exit\n"
                "\n"
                "Exit status: 0 no error (warnings allowed), 1 errors found, 2 a configuration\n"
                "that does not load, or bad usage.\n");
}

static void print_error(const ConfError *e, const char *text, void *userdata) {
        (void) e, (void) userdata;
        fprintf(stderr, "%s\n", text);
}

/* Every file loaded, or EXIT_USAGE after printing the errors of each that does not. */
static int load_all(char **paths, size_t n, Config **configs) {
        int ret = EXIT_OK;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(conf_errors_clear) ConfErrors errs = {};
                int k;

                k = conf_load_file(paths[i], &configs[i], &errs);
                if (k == -ENOMEM) {
                        fprintf(stderr, "promvipctl: out of memory\n");
                        return EXIT_FAIL;
                }
                if (k < 0) {
                        conf_errors_print(&errs, print_error, NULL);
                        fprintf(stderr, "%s: configuration test failed (%zu error%s)\n", paths[i], errs.n,
                                errs.n == 1 ? "" : "s");
                        ret = EXIT_USAGE;
                }
        }
        if (ret != EXIT_OK)
                fprintf(stderr, "promvipctl: check-pair: fix the configurations above first; nothing checked\n");
        return ret;
}

/* A host is called by its router_id, or by its path when another host has the same one. */
static const char *host_label(Config **configs, size_t n, size_t i) {
        for (size_t j = 0; j < n; j++)
                if (j != i && strcmp(configs[j]->global.router_id, configs[i]->global.router_id) == 0)
                        return configs[i]->path;
        return configs[i]->global.router_id;
}

static int check(Config **configs, size_t n, const PairOptions *o, bool strict) {
        _cleanup_free_ PairHost *hosts = calloc(n, sizeof(*hosts));
        PairReport rep = {};
        bool failed;
        int k;

        if (!hosts)
                goto oom;
        for (size_t i = 0; i < n; i++)
                hosts[i] = (PairHost) { .label = host_label(configs, n, i), .config = configs[i] };
        if (pair_check(hosts, n, o, &rep) < 0)
                goto oom;
        k = pair_table_render(&rep, stdout);
        if (k == 0 && fflush(stdout) != 0)
                k = -errno;
        failed = rep.n_errors > 0 || (strict && rep.n_warnings > 0);
        pair_report_clear(&rep);
        if (k == -ENOMEM)
                goto oom;
        if (k < 0) {
                fprintf(stderr, "promvipctl: cannot write the report: %s\n", strerror(-k));
                return EXIT_FAIL;
        }
        return failed ? EXIT_FAIL : EXIT_OK;
oom:
        fprintf(stderr, "promvipctl: out of memory\n");
        return EXIT_FAIL;
}

int ctl_check_pair(int argc, char **argv) {
        static const struct option options[] = {
                { "target", required_argument, NULL, 't' },
                { "strict", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        PairOptions o = {};
        Config **configs = NULL;
        bool strict = false;
        size_t n;
        char *end;
        double d;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "t:sh", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        errno = 0;
                        d = strtod(optarg, &end);
                        if (errno || end == optarg || *end || !isfinite(d) || d <= 0 || d > TARGET_MAX_SEC) {
                                fprintf(stderr, "promvipctl: bad --target '%s': expected seconds, e.g. 5 or 2.5\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        o.target_usec = (uint64_t) (d * USEC_PER_SEC + 0.5);
                        break;
                case 's':
                        strict = true;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                fprintf(stderr, "promvipctl: check-pair needs the configuration of every host\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        n = (size_t) (argc - optind);
        configs = calloc(n, sizeof(*configs));
        if (!configs) {
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        r = load_all(argv + optind, n, configs);
        if (r == EXIT_OK)
                r = check(configs, n, &o, strict);
        for (size_t i = 0; i < n; i++)
                conf_unref(configs[i]);
        free(configs);
        return r;
}
