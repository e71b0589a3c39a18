/* promvipctl: the control tool. It finds promvipd's HTTP endpoint (from
 * the configuration's global.listen, or --address), asks it for /status and
 * prints the answer as JSON (--json) or as the table of status-table.c.
 *
 * This file is the command line only: arguments, the address, the HTTP
 * request (libcurl), messages and exit codes. It must not format the table
 * itself; rendering stays pure in status-table.c, which it hands the answer
 * and the time. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "config.h"
#include "macro.h"
#include "status-table.h"

/* Exit codes, documented in --help. */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,         /* configuration unreadable, out of memory, ... */
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,  /* promvipd not answering, or its endpoint disabled */
        EXIT_BAD_ANSWER = 4,   /* an answer that is not the expected JSON */
};

#define HTTP_TIMEOUT_MS 2000L
#define ANSWER_MAX (16u << 20)

static void usage(FILE *f) {
        fprintf(f,
                "Usage: promvipctl [-f CONFIG | -a HOST:PORT] status [--json]\n"
                "       promvipctl --version | --help\n"
                "\n"
                "Control tool for promvipd: asks the daemon's HTTP endpoint (global.listen).\n"
                "\n"
                "Commands:\n"
                "  status             instances (state, priority effective/base, VIPs, master,\n"
                "                     last transition) and probes (state, latency, result)\n"
                "\n"
                "Options:\n"
                "  -f, --config FILE  read global.listen from FILE (default %s)\n"
                "  -a, --address HOST:PORT\n"
                "                     ask promvipd there, e.g. 127.0.0.1:9662 or [::1]:9662\n"
                "                     (the configuration is then not read)\n"
                "  -j, --json         status: print /status as JSON (pretty) instead of a table\n"
                "  -V, --version      print the version and exit\n"
                "  -h, --help         print this help and exit\n"
                "\n"
                "Exit status:\n"
                "  0  success\n"
                "  1  the configuration cannot be read or has errors (try --address), other failure\n"
                "  2  bad usage\n"
                "  3  promvipd is not answering (not running, wrong address, timeout %lds),\n"
                "     or its HTTP endpoint is disabled (global.listen = \"\")\n"
                "  4  promvipd answered, but not with the expected JSON\n",
                CONF_DEFAULT_PATH, HTTP_TIMEOUT_MS / 1000);
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

/* The address from the configuration: 0 with *ret (malloc'ed), 0 with *ret
 * NULL when the endpoint is disabled, or EXIT_* (> 0) after saying why. */
static int address_from_config(const char *path, bool explicit_path, char **ret) {
        _cleanup_(conf_freep) Config *c = NULL;
        ConfErrors errs = {};
        char buf[IP_ADDR_STRLEN];
        IpAddr a;
        int r;

        if (explicit_path && access(path, R_OK) < 0) {
                fprintf(stderr, "promvipctl: cannot read %s: %m\n"
                                "Give the address instead: promvipctl --address %s status\n",
                        path, CONF_DEFAULT_LISTEN);
                return EXIT_FAIL;
        }
        if (!explicit_path && access(path, R_OK) < 0) {
                if (errno != ENOENT)
                        fprintf(stderr, "promvipctl: cannot read %s (%m); trying %s (use --address to choose)\n",
                                path, CONF_DEFAULT_LISTEN);
                *ret = strdup(CONF_DEFAULT_LISTEN);
                return *ret ? 0 : EXIT_FAIL;
        }
        r = conf_load_file(path, &c, &errs);
        if (r < 0) {
                if (r == -ENOMEM)
                        fprintf(stderr, "promvipctl: out of memory\n");
                else {
                        fprintf(stderr, "promvipctl: %s has errors, cannot tell where promvipd listens:\n", path);
                        for (size_t i = 0; i < errs.n; i++) {
                                if (errs.items[i].line)
                                        fprintf(stderr, "  %s:%u: %s\n", errs.items[i].file, errs.items[i].line,
                                                errs.items[i].message);
                                else
                                        fprintf(stderr, "  %s: %s\n", errs.items[i].file, errs.items[i].message);
                        }
                        fprintf(stderr, "Fix it, or give the address: promvipctl --address %s status\n",
                                CONF_DEFAULT_LISTEN);
                }
                conf_errors_clear(&errs);
                return EXIT_FAIL;
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

typedef struct Answer {
        char *data;
        size_t len;
        bool too_big;
} Answer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Answer *a = userdata;
        size_t n = size * nmemb;
        char *d;

        if (a->len + n > ANSWER_MAX) {
                a->too_big = true;
                return 0;
        }
        d = realloc(a->data, a->len + n + 1);
        if (!d)
                return 0;
        memcpy(d + a->len, ptr, n);
        a->len += n;
        d[a->len] = '\0';
        a->data = d;
        return n;
}

static void lowercase_first(char *s) {
        if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
                s[0] = (char) (s[0] - 'A' + 'a');
}

/* GET http://ADDRESS/PATH: EXIT_OK with the body in *a, or EXIT_* after
 * saying why. */
static int fetch(const char *address, const char *path, Answer *a) {
        char errbuf[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 64];
        _cleanup_free_ char *url = NULL;
        long code = 0, os_errno = 0;
        CURLcode cr;
        CURL *h;

        if (asprintf(&url, "http://%s%s", address, path) < 0)
                return EXIT_FAIL;
        h = curl_easy_init();
        if (!h) {
                fprintf(stderr, "promvipctl: cannot initialize libcurl\n");
                return EXIT_FAIL;
        }
        (void) curl_easy_setopt(h, CURLOPT_URL, url);
        (void) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        (void) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
        (void) curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
        (void) curl_easy_setopt(h, CURLOPT_USERAGENT, "promvipctl/" PROMVIP_VERSION);
        cr = curl_easy_perform(h);
        (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        (void) curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        curl_easy_cleanup(h);

        if (cr == CURLE_OK && code == 200)
                return EXIT_OK;
        if (cr == CURLE_OK) {
                fprintf(stderr, "promvipctl: promvipd on %s answered %s with HTTP %ld\n", address, path, code);
                return EXIT_BAD_ANSWER;
        }
        if (a->too_big) {
                fprintf(stderr, "promvipctl: the answer of %s on %s is larger than %u MiB\n", path, address,
                        ANSWER_MAX >> 20);
                return EXIT_BAD_ANSWER;
        }
        if (cr == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof(why), "no answer within %ld s", HTTP_TIMEOUT_MS / 1000);
        else if (cr == CURLE_COULDNT_CONNECT && os_errno > 0)
                snprintf(why, sizeof(why), "%s", strerror((int) os_errno));
        else if (errbuf[0])
                snprintf(why, sizeof(why), "%s", errbuf);
        else
                snprintf(why, sizeof(why), "%s", curl_easy_strerror(cr));
        lowercase_first(why);
        if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_COULDNT_RESOLVE_HOST ||
            cr == CURLE_RECV_ERROR || cr == CURLE_SEND_ERROR || cr == CURLE_GOT_NOTHING) {
                fprintf(stderr, "promvipd is not answering on %s: %s (is it running? is global.listen set?)\n",
                        address, why);
                return EXIT_UNREACHABLE;
        }
        if (cr == CURLE_OUT_OF_MEMORY || cr == CURLE_WRITE_ERROR) {
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        fprintf(stderr, "promvipctl: asking promvipd on %s failed: %s\n", address, why);
        return EXIT_BAD_ANSWER;
}

static int cmd_status(const char *address, bool json) {
        Answer a = {};
        int r;

        r = fetch(address, "/status", &a);
        if (r != EXIT_OK)
                goto out;
        if (json) {
                json_error_t err;
                json_t *root = json_loadb(a.data ?: "", a.len, 0, &err);
                char *text;

                if (!json_is_object(root)) {
                        fprintf(stderr, "promvipctl: the /status answer of %s is not a JSON object%s%s\n", address,
                                root ? "" : ": ", root ? "" : err.text);
                        json_decref(root);
                        r = EXIT_BAD_ANSWER;
                        goto out;
                }
                text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(root);
                if (!text) {
                        r = EXIT_FAIL;
                        goto out;
                }
                printf("%s\n", text);
                free(text);
        } else {
                char why[256];
                int k = status_table_render(a.data ?: "", a.len, (uint64_t) time(NULL) * USEC_PER_SEC, stdout, why,
                                            sizeof(why));

                if (k == -EBADMSG) {
                        fprintf(stderr, "promvipctl: unexpected /status answer from %s: %s\n", address, why);
                        r = EXIT_BAD_ANSWER;
                } else if (k < 0) {
                        fprintf(stderr, "promvipctl: out of memory\n");
                        r = EXIT_FAIL;
                }
        }
        if (r == EXIT_OK && fflush(stdout) != 0)
                r = EXIT_FAIL;
out:
        free(a.data);
        return r;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'f' },
                { "address", required_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *config = NULL, *address = NULL, *command;
        _cleanup_free_ char *where = NULL;
        bool json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "f:a:jVh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        config = optarg;
                        break;
                case 'a':
                        address = optarg;
                        break;
                case 'j':
                        json = true;
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
        if (strcmp(command, "status") != 0) {
                fprintf(stderr, "promvipctl: unknown command '%s'\n", command);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "promvipctl: status takes no argument ('%s')\n", argv[optind + 1]);
                return EXIT_USAGE;
        }
        if (address) {
                if (check_address(address) < 0) {
                        fprintf(stderr, "promvipctl: bad address '%s': expected HOST:PORT or [IPv6]:PORT\n", address);
                        return EXIT_USAGE;
                }
                where = strdup(address);
                if (!where)
                        return EXIT_FAIL;
        } else {
                r = address_from_config(config ?: CONF_DEFAULT_PATH, config != NULL, &where);
                if (r != 0)
                        return r;
                if (!where) {
                        fprintf(stderr,
                                "promvipd's HTTP endpoint is disabled in %s (global.listen = \"\"): "
                                "set global.listen, or give --address HOST:PORT\n",
                                config ?: CONF_DEFAULT_PATH);
                        return EXIT_UNREACHABLE;
                }
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "promvipctl: cannot initialize libcurl\n");
                return EXIT_FAIL;
        }
        r = cmd_status(where, json);
        curl_global_cleanup();
        return r;
}
