/* promvipd: arguments, configuration test, start-up. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "config.h"
#include "daemon/conf-check.h"
#include "daemon/manager.h"
#include "shared/exit-codes.h"
#include "shared/log.h"

static void help(void) {
        printf("Usage: promvipd [OPTIONS]\n"
               "\n"
               "VRRP failover agent that keeps a virtual IP on a healthy Prometheus host.\n"
               "\n"
               "  -f, --config FILE      configuration file (default %s)\n"
               "  -t, --config-test      check the configuration, print a summary and exit\n"
               "  -l, --log-level LEVEL  %s (default info)\n"
               "  -V, --version          print the version and exit\n"
               "  -h, --help             print this help and exit\n"
               "\n"
               "Exit codes: 0 success, 1 bad configuration or start-up failure, 2 usage error.\n",
               CONF_DEFAULT_PATH, LOG_LEVEL_NAMES);
}

static void print_error(const ConfError *e, const char *text, void *userdata) {
        (void) e, (void) userdata;
        fprintf(stderr, "%s\n", text);
}

static int config_test(const char *path) {
        _cleanup_(conf_errors_clear) ConfErrors errs = {};
        _cleanup_(conf_unrefp) Config *c = NULL;
        _cleanup_free_ char *summary = NULL;
        int r;

        r = conf_load_checked(path, &c, &errs);
        if (r < 0) {
                conf_errors_print(&errs, print_error, NULL);
                if (r == -ENOMEM)
                        fprintf(stderr, "%s: out of memory\n", path);
                fprintf(stderr, "%s: configuration test failed (%zu error%s)\n", path, errs.n,
                        errs.n == 1 ? "" : "s");
                return EXIT_FAIL;
        }
        summary = conf_summary(c);
        printf("%s: configuration OK: %s\n", path, summary ? summary : "");
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'f' },
                { "config-test", no_argument, NULL, 't' },
                { "log-level", required_argument, NULL, 'l' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(conf_errors_clear) ConfErrors errs = {};
        const char *path = CONF_DEFAULT_PATH;
        bool test_only = false;
        int log_level = -1, c, r;
        Config *config = NULL;
        Manager *m = NULL;

        log_open();
        while ((c = getopt_long(argc, argv, "f:tl:Vh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        path = optarg;
                        break;
                case 't':
                        test_only = true;
                        break;
                case 'l':
                        log_level = log_level_from_string(optarg);
                        if (log_level < 0) {
                                fprintf(stderr, "promvipd: unknown log level '%s': use %s\n", optarg,
                                        LOG_LEVEL_NAMES);
                                return EXIT_USAGE;
                        }
                        break;
                case 'V':
                        printf("promvipd %s\n", PROMVIP_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        fprintf(stderr, "Try 'promvipd --help'.\n");
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "promvipd: unexpected argument '%s'\nTry 'promvipd --help'.\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (test_only)
                return config_test(path);

        if (log_level >= 0)
                log_set_max_level(log_level);
        r = conf_load_checked(path, &config, &errs);
        if (r < 0) {
                conf_errors_log(&errs);
                if (r == -ENOMEM)
                        log_error("%s: out of memory", path);
                log_error("not starting: %s has %zu error%s", path, errs.n, errs.n == 1 ? "" : "s");
                return EXIT_FAIL;
        }
        r = manager_new(&m, config, path, log_level);
        if (r < 0)
                return EXIT_FAIL;
        r = manager_run(m);
        manager_free(m);
        return r;
}
