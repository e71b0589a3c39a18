/* promvipctl: the control tool. `status` asks promvipd's HTTP endpoint
 * (the configuration's global.listen, or --address) for /status and prints
 * it as JSON (--json) or as the table of status-table.c; `release` asks the
 * control socket (global.control_socket, or --socket) to hand an instance's
 * mastership over (ctl-release.c).
 *
 * `events` asks for /events (ctl-events.c); `status --watch` polls /status
 * (ctl-status.c).
 *
 * This file is the command line only: arguments, where promvipd answers,
 * messages and exit codes. Requests are in ctl-http.c; rendering stays pure
 * in status-table.c and events-table.c. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "config.h"
#include "ctl/ctl-check-pair.h"
#include "ctl/ctl-conf.h"
#include "ctl/ctl-drain.h"
#include "ctl/ctl-events.h"
#include "ctl/ctl-http.h"
#include "ctl/ctl-import.h"
#include "ctl/ctl-list.h"
#include "ctl/ctl-release.h"
#include "ctl/ctl-status.h"
#include "shared/addr.h"
#include "shared/macro.h"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: promvipctl [-f CONFIG | -a HOST:PORT] status [--json]\n"
                "       promvipctl [-f CONFIG | -a HOST:PORT] status --watch [--interval SECONDS]\n"
                "       promvipctl [-f CONFIG | -a HOST:PORT] events [--json] [INSTANCE]\n"
                "       promvipctl [-f CONFIG | -s SOCKET] release INSTANCE\n"
                "       promvipctl [-f CONFIG] [--probe NAME] drain|undrain INSTANCE\n"
                "       promvipctl check-pair [--target SECONDS] [--strict] CONFIG...\n"
                "       promvipctl import-keepalived [--config-id ID] [FILE]\n"
                "       promvipctl [-f CONFIG] list instances|probes|sync-groups\n"
                "       promvipctl [-f CONFIG] list file-probes [INSTANCE]\n"
                "       promvipctl --version | --help\n"
                "\n"
                "Control tool for promvipd.\n"
                "\n"
                "Commands:\n"
                "  status             instances (state, priority effective/base, VIPs, master,\n"
                "                     last transition) and probes (state, latency, result),\n"
                "                     from the HTTP endpoint (global.listen); with --watch, redraws\n"
                "                     it when it changes until interrupted (SIGINT, SIGTERM: exit 0)\n"
                "  events [INSTANCE]  what happened lately, oldest first (global.event_history per\n"
                "                     instance): transitions, priority changes, probes, tracked\n"
                "                     interfaces, adverts, masters, hand-overs, split brain, hooks,\n"
                "                     reloads; of one instance with INSTANCE (unknown: exit 1)\n"
                "  release INSTANCE   hand the instance's mastership over without stopping:\n"
                "                     it says priority 0, keeps the VIPs until the new master\n"
                "                     is heard, then stays BACKUP (no preemption) until it is\n"
                "                     master again; waits for the end, through the control\n"
                "                     socket (global.control_socket: root and promvipd's user)\n"
                "  drain INSTANCE     keep the instance BACKUP, across restarts and reboots:\n"
                "                     writes 1 to the file of the file probe it tracks\n"
                "                     (atomically); promvipd sees it at once (inotify)\n"
                "  undrain INSTANCE   writes 0 to that file again\n"
                "  check-pair CONFIG...\n"
                "                     check the configurations of every host of the routers\n"
                "                     together: who is master after each failure, and what\n"
                "                     would not move the VIP (promvipctl check-pair --help)\n"
                "  import-keepalived [FILE]\n"
                "                     print keepalived's FILE (default\n"
                "                     " CTL_IMPORT_DEFAULT_PATH ") as promvip.conf, and on\n"
                "                     stderr what is carried over differently or not at all;\n"
                "                     exit 0: complete, 1: something left out, 2: FILE unreadable\n"
                "  list instances|probes|sync-groups|file-probes [INSTANCE]\n"
                "                     print the names of that kind in the configuration, one a\n"
                "                     line (for shell completion); promvipd need not run;\n"
                "                     file-probes: those drain --probe takes (INSTANCE's only)\n"
                "\n"
                "Options:\n"
                "  -f, --config FILE  read global.listen and global.control_socket from FILE\n"
                "                     (default %s)\n"
                "  -a, --address HOST:PORT\n"
                "                     status, events: ask promvipd there, e.g. 127.0.0.1:9662 or\n"
                "                     [::1]:9662\n"
                "                     (the configuration is then not read)\n"
                "  -s, --socket PATH  release: promvipd's control socket (default from the\n"
                "                     configuration, else %s)\n"
                "  -j, --json         status, events: print /status or /events as JSON (pretty)\n"
                "                     instead of a table\n"
                "  -w, --watch        status: poll /status, redraw the table when it changes (on a\n"
                "                     terminal clearing the screen, else followed by a blank line);\n"
                "                     one line while promvipd does not answer; not with --json\n"
                "  -n, --interval SECONDS\n"
                "                     status --watch: between polls, 0.1 to 60 (default 1)\n"
                "  -p, --probe NAME   drain, undrain: the file probe, when the instance tracks several\n"
                "  -i, --config-id ID import-keepalived: keepalived's config id for `@ID` lines, as its\n"
                "                     -i (default: this host's name up to the first dot)\n"
                "  -V, --version      print the version and exit\n"
                "  -h, --help         print this help and exit\n"
                "\n"
                "Exit status:\n"
                "  0  success (release: the instance is BACKUP under a new master)\n"
                "  1  the configuration cannot be read or has errors (try --address or --socket);\n"
                "     release refused (no such instance, not MASTER) or nobody took over\n"
                "     (the instance stays MASTER); other failure\n"
                "  2  bad usage\n"
                "  3  promvipd is not answering (not running, wrong address or socket, timeout\n"
                "     %lds), or the endpoint is disabled (global.listen or control_socket = \"\")\n"
                "  4  promvipd answered, but not with the expected JSON\n"
                "check-pair: 0 no error (warnings allowed), 1 errors found, 2 bad usage or a\n"
                "configuration that does not load\n",
                CONF_DEFAULT_PATH, CONF_DEFAULT_CONTROL_SOCKET, CTL_HTTP_TIMEOUT_MS / 1000);
}

/* "HOST:PORT" or "[IPv6]:PORT" -> "HOST:PORT" fit for a URL: 0 or -EINVAL. */
static int check_address(const char *s) {
        const char *colon, *p;
        char *end;
        unsigned long port;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close == s + 1 || close[1] != ':')
                        return -EINVAL;
                colon = close + 1;
        } else {
                colon = strchr(s, ':');
                if (!colon || colon == s || strchr(colon + 1, ':'))
                        return -EINVAL; /* an IPv6 address needs brackets */
        }
        for (p = s; p < colon; p++)
                if (*p == '/' || *p == '?' || *p == '#' || *p == '@' || *p == ' ')
                        return -EINVAL;
        if (colon[1] < '0' || colon[1] > '9')
                return -EINVAL;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || *end || port == 0 || port > 65535)
                return -EINVAL;
        return 0;
}

/* Where promvipd answers, from the configuration: *ret_address (status)
 * or *ret_socket (release), malloc'ed, NULL when that endpoint is disabled;
 * the defaults when the default configuration does not exist. 0, or EXIT_*
 * (> 0) after saying why. */
static int endpoint_from_config(const char *path, bool explicit_path, bool want_socket, char **ret) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        const char *hint = want_socket ? "--socket " CONF_DEFAULT_CONTROL_SOCKET : "--address " CONF_DEFAULT_LISTEN;
        const char *fallback = want_socket ? CONF_DEFAULT_CONTROL_SOCKET : CONF_DEFAULT_LISTEN;
        const char *flag = want_socket ? "--socket" : "--address";
        char buf[IP_ADDR_STRLEN];
        IpAddr a;
        int r;

        if (explicit_path && access(path, R_OK) < 0) {
                fprintf(stderr, "promvipctl: cannot read %s: %m\nSay where promvipd answers instead: %s\n", path,
                        hint);
                return EXIT_FAIL;
        }
        if (!explicit_path && access(path, R_OK) < 0) {
                if (errno != ENOENT)
                        fprintf(stderr, "promvipctl: cannot read %s (%m); trying %s (use %s to choose)\n", path,
                                fallback, flag);
                *ret = strdup(fallback);
                return *ret ? 0 : EXIT_FAIL;
        }
        r = ctl_conf_load(path, &c);
        if (r != 0) {
                fprintf(stderr, "Fix it, or say where promvipd answers: %s\n", hint);
                return r;
        }
        if (want_socket) {
                *ret = c->global.control_socket[0] ? strdup(c->global.control_socket) : NULL;
                return !c->global.control_socket[0] || *ret ? 0 : EXIT_FAIL;
        }
        if (!c->global.listen || !c->global.listen[0]) {
                *ret = NULL;
                return 0;
        }
        /* A wildcard listen answers on loopback. */
        a = c->global.listen_addr;
        if (a.family == AF_INET && a.u.in.s_addr == htonl(INADDR_ANY))
                a.u.in.s_addr = htonl(INADDR_LOOPBACK);
        else if (a.family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a.u.in6))
                a.u.in6 = in6addr_loopback;
        ip_addr_to_string(&a, buf);
        if (asprintf(ret, a.family == AF_INET6 ? "[%s]:%u" : "%s:%u", buf, (unsigned) c->global.listen_port) < 0)
                return EXIT_FAIL;
        return 0;
}

/* The endpoint of a command: from --address / --socket or the configuration. */
static int endpoint(const char *given, const char *config, bool want_socket, char **ret) {
        int r;

        if (given) {
                if (!want_socket && check_address(given) < 0) {
                        fprintf(stderr, "promvipctl: bad address '%s': expected HOST:PORT or [IPv6]:PORT\n", given);
                        return EXIT_USAGE;
                }
                *ret = strdup(given);
                return *ret ? EXIT_OK : EXIT_FAIL;
        }
        r = endpoint_from_config(config ?: CONF_DEFAULT_PATH, config != NULL, want_socket, ret);
        if (r != 0)
                return r;
        if (!*ret) {
                fprintf(stderr,
                        want_socket ? "promvipd's control socket is disabled in %s (global.control_socket = \"\"): "
                                      "set it, or give --socket PATH\n"
                                    : "promvipd's HTTP endpoint is disabled in %s (global.listen = \"\"): "
                                      "set global.listen, or give --address HOST:PORT\n",
                        config ?: CONF_DEFAULT_PATH);
                return EXIT_UNREACHABLE;
        }
        return EXIT_OK;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'f' },
                { "address", required_argument, NULL, 'a' },
                { "socket", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "probe", required_argument, NULL, 'p' },
                { "config-id", required_argument, NULL, 'i' },
                { "watch", no_argument, NULL, 'w' },
                { "interval", required_argument, NULL, 'n' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *config = NULL, *address = NULL, *socket_path = NULL, *probe = NULL, *config_id = NULL, *command;
        const char *interval = NULL;
        _cleanup_free_ char *where = NULL;
        bool json = false, watch = false, release, events;
        uint64_t interval_usec = USEC_PER_SEC;
        int c, r;

        if (argc > 1 && strcmp(argv[1], "check-pair") == 0)
                return ctl_check_pair(argc - 1, argv + 1);
        while ((c = getopt_long(argc, argv, "f:a:s:jp:i:wn:Vh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        config = optarg;
                        break;
                case 'a':
                        address = optarg;
                        break;
                case 's':
                        socket_path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'p':
                        probe = optarg;
                        break;
                case 'i':
                        config_id = optarg;
                        break;
                case 'w':
                        watch = true;
                        break;
                case 'n':
                        interval = optarg;
                        break;
                case 'V':
                        printf("promvipctl %s\n", PROMVIP_VERSION);
                        return EXIT_OK;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                fprintf(stderr, "promvipctl: no command given\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        command = argv[optind];
        if ((watch || interval) && strcmp(command, "status") != 0) {
                fprintf(stderr, "promvipctl: --watch and --interval go with status\n");
                return EXIT_USAGE;
        }
        if (strcmp(command, "list") == 0) {
                if (optind + 2 > argc || optind + 3 < argc || address || socket_path || json || probe ||
                    config_id) {
                        fprintf(stderr, "promvipctl: list takes instances, probes, sync-groups or file-probes "
                                        "[INSTANCE], and goes with --config only\n");
                        return EXIT_USAGE;
                }
                return ctl_list(config ?: CONF_DEFAULT_PATH, argv[optind + 1],
                                optind + 3 == argc ? argv[optind + 2] : NULL);
        }
        if (strcmp(command, "drain") == 0 || strcmp(command, "undrain") == 0) {
                if (optind + 2 != argc || address || socket_path || json) {
                        fprintf(stderr, "promvipctl: %s takes one argument, the instance's name, and goes with "
                                        "--config and --probe only\n", command);
                        return EXIT_USAGE;
                }
                return ctl_drain(config ?: CONF_DEFAULT_PATH, argv[optind + 1], probe, command[0] == 'd');
        }
        if (probe) {
                fprintf(stderr, "promvipctl: --probe goes with drain and undrain\n");
                return EXIT_USAGE;
        }
        if (strcmp(command, "import-keepalived") == 0) {
                if (optind + 2 < argc || config || address || socket_path || json) {
                        fprintf(stderr, "promvipctl: import-keepalived takes at most one argument, the file\n");
                        return EXIT_USAGE;
                }
                return ctl_import_keepalived(optind + 1 < argc ? argv[optind + 1] : CTL_IMPORT_DEFAULT_PATH,
                                             config_id);
        }
        if (config_id) {
                fprintf(stderr, "promvipctl: --config-id goes with import-keepalived\n");
                return EXIT_USAGE;
        }
        release = strcmp(command, "release") == 0;
        events = strcmp(command, "events") == 0;
        if (!release && !events && strcmp(command, "status") != 0) {
                fprintf(stderr, "promvipctl: unknown command '%s'\n", command);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (release && optind + 2 != argc) {
                fprintf(stderr, "promvipctl: release takes one argument, the instance's name\n");
                return EXIT_USAGE;
        }
        if (events && optind + 2 < argc) {
                fprintf(stderr, "promvipctl: events takes at most one argument, an instance's name\n");
                return EXIT_USAGE;
        }
        if (!release && !events && optind + 1 < argc) {
                fprintf(stderr, "promvipctl: status takes no argument ('%s')\n", argv[optind + 1]);
                return EXIT_USAGE;
        }
        if ((release && (address || json)) || (!release && socket_path)) {
                fprintf(stderr, "promvipctl: %s goes with %s\n", command,
                        release ? "--config or --socket (not --address, --json)" : "--config or --address (not --socket)");
                return EXIT_USAGE;
        }
        if (interval && !watch) {
                fprintf(stderr, "promvipctl: --interval goes with --watch\n");
                return EXIT_USAGE;
        }
        if (watch && json) {
                fprintf(stderr, "promvipctl: --watch shows the table; it does not go with --json\n");
                return EXIT_USAGE;
        }
        if (interval && ctl_watch_parse_interval(interval, &interval_usec) < 0) {
                fprintf(stderr, "promvipctl: bad --interval '%s': expected seconds from 0.1 to 60\n", interval);
                return EXIT_USAGE;
        }
        r = endpoint(release ? socket_path : address, config, release, &where);
        if (r != EXIT_OK)
                return r;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "promvipctl: cannot initialize libcurl\n");
                return EXIT_FAIL;
        }
        if (release)
                r = ctl_release(&(CtlEndpoint) { .socket = where }, argv[optind + 1]);
        else if (events)
                r = ctl_events(where, optind + 1 < argc ? argv[optind + 1] : NULL, json);
        else if (watch)
                r = ctl_status_watch(where, interval_usec, isatty(STDOUT_FILENO) == 1);
        else
                r = ctl_status(where, json);
        curl_global_cleanup();
        return r;
}
