/* `promvipctl events` (see ctl-events.h): the request, the 404 of an
 * unknown instance, messages and exit codes. Rendering is pure, in
 * events-table.c (the table) and ctl-text.c (--json). */
#include "ctl/ctl-events.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-http.h"
#include "ctl/ctl-text.h"
#include "ctl/events-table.h"
#include "shared/macro.h"

/* "/events", or "/events?instance=NAME" with NAME URL-escaped. */
static char *events_path(const char *instance) {
        char *path = NULL, *escaped;
        CURL *h;

        if (!instance)
                return strdup("/events");
        h = curl_easy_init();
        if (!h)
                return NULL;
        escaped = curl_easy_escape(h, instance, 0);
        curl_easy_cleanup(h);
        if (!escaped)
                return NULL;
        if (asprintf(&path, "/events?instance=%s", escaped) < 0)
                path = NULL;
        curl_free(escaped);
        return path;
}

/* A 404: the instance is unknown (exit 1), or this promvipd has no /events. */
static int not_found(const char *address, const char *instance, const CtlAnswer *a) {
        json_t *body = json_loadb(a->data ?: "", a->len, 0, NULL);
        const char *error = json_string_value(json_object_get(body, "error"));
        _cleanup_free_ char *name = ctl_text_escape(instance ?: "");
        _cleanup_free_ char *said = ctl_text_escape(error ?: "");
        int r;

        if (instance && error) {
                fprintf(stderr, "promvipctl: promvipd on %s has no instance '%s' (%s)\n", address,
                        name ?: "?", said ?: "?");
                r = EXIT_FAIL;
        } else {
                fprintf(stderr, "promvipctl: promvipd on %s does not serve /events (older than this promvipctl?)\n",
                        address);
                r = EXIT_BAD_ANSWER;
        }
        json_decref(body);
        return r;
}

/* A render that failed (k < 0): says why, returns the exit code. */
static int report(const char *address, int k, const char *why) {
        _cleanup_free_ char *escaped = NULL;

        if (k != -EBADMSG) {
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        /* The reason can quote the answer (jansson's "near '...'"). */
        escaped = ctl_text_escape(why);
        fprintf(stderr, "promvipctl: unexpected /events answer from %s: %s\n", address, escaped ?: "(out of memory)");
        return EXIT_BAD_ANSWER;
}

static int print_table(const char *address, const CtlAnswer *a) {
        json_error_t jerr;
        json_t *root = json_loadb(a->data ?: "", a->len, 0, &jerr);
        _cleanup_free_ char *text = NULL;
        char why[256];
        int k;

        if (!root) {
                snprintf(why, sizeof(why), "not JSON: %s (line %d)", jerr.text, jerr.line);
                k = -EBADMSG;
        } else
                k = events_table_render(root, &text, why, sizeof(why));
        json_decref(root);
        if (k < 0)
                return report(address, k, why);
        fputs(text, stdout);
        return EXIT_OK;
}

static int print_json(const char *address, const CtlAnswer *a) {
        char why[256];
        int k = ctl_text_json_pretty(a->data ?: "", a->len, stdout, why, sizeof(why));

        return k < 0 ? report(address, k, why) : EXIT_OK;
}

int ctl_events(const char *address, const char *instance, bool json) {
        _cleanup_free_ char *path = events_path(instance);
        CtlEndpoint e = { .address = address };
        CtlAnswer a = {};
        int r;

        if (!path) {
                fprintf(stderr, "promvipctl: out of memory\n");
                return EXIT_FAIL;
        }
        r = ctl_request(&e, false, path, &a);
        if (r != EXIT_OK)
                goto out;
        if (a.code == 404)
                r = not_found(address, instance, &a);
        else if (a.code != 200) {
                fprintf(stderr, "promvipctl: promvipd on %s answered /events with HTTP %ld\n", address, a.code);
                r = EXIT_BAD_ANSWER;
        } else
                r = json ? print_json(address, &a) : print_table(address, &a);
        if (r == EXIT_OK && fflush(stdout) != 0)
                r = EXIT_FAIL;
out:
        ctl_answer_clear(&a);
        return r;
}
