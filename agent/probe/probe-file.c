#include "probe/probe-file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/time-util.h"

#define FILE_READ_MAX 127 /* as keepalived */
#define REWATCH_TRIES 8   /* a directory created while we move the watch down */

/* The file's own directory: the file written, replaced, removed, chmod'ed. */
#define PARENT_MASK                                                                                    \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
         IN_MOVE_SELF | IN_ONLYDIR)
/* An ancestor, while the directory does not exist: a directory appearing. */
#define ANCESTOR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* Events after which the watch itself must move. */
#define REWATCH_EVENTS (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_Q_OVERFLOW)

struct FileCheck {
        sd_event *event;
        const ProbeConfig *cfg;
        const char *base;        /* the file's name in its directory */
        sd_event_source *watch;
        bool watching_parent;    /* else an ancestor: the directory is missing */
        char next[NAME_MAX + 1]; /* an ancestor's: the directory below it we wait for */
        FileCheckDone done;
        void *userdata;
};

static void read_file(FileCheck *c) {
        const ProbeConfig *p = c->cfg;
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        _cleanup_close_ int fd = -EBADF;
        ProbeResult r = {};
        char buf[FILE_READ_MAX + 1];
        bool has_value = true;
        int64_t value = p->missing;
        struct stat st;
        ssize_t n;
        int k;

        fd = open(p->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                snprintf(r.detail, sizeof(r.detail), "no file: value %" PRId64 " (missing)", value);
        else if (fd < 0) {
                r.failure = PROBE_FAIL_ERROR;
                snprintf(r.detail, sizeof(r.detail), "cannot open: %m; value %" PRId64 " (missing)", value);
        } else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                r.failure = PROBE_FAIL_ERROR;
                snprintf(r.detail, sizeof(r.detail), "not a regular file; value %" PRId64 " (missing)", value);
        } else if ((n = read(fd, buf, FILE_READ_MAX)) < 0) {
                r.failure = PROBE_FAIL_ERROR;
                snprintf(r.detail, sizeof(r.detail), "cannot read: %m; value %" PRId64 " (missing)", value);
        } else {
                buf[n] = '\0';
                k = probe_file_parse(buf, &value);
                if (k == -ERANGE) {
                        has_value = false;
                        r.failure = PROBE_FAIL_OUT_OF_RANGE;
                        snprintf(r.detail, sizeof(r.detail), "number out of range: ignored, the value stays");
                } else if (k < 0 && strspn(buf, " \t\r\n") != (size_t) n) {
                        r.failure = PROBE_FAIL_BAD_ANSWER;
                        snprintf(r.detail, sizeof(r.detail), "no number in the file: value 0");
                } else
                        snprintf(r.detail, sizeof(r.detail), "value %" PRId64, value);
        }
        r.latency_usec = now_usec(CLOCK_MONOTONIC) - start;
        c->done(c->userdata, &r, has_value, value);
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata);

/* Watches the file's directory, or the deepest ancestor that exists. */
static int rewatch(FileCheck *c) {
        for (unsigned tries = 0; tries < REWATCH_TRIES; tries++) {
                char dir[PATH_MAX];
                bool parent = true;
                char *slash;
                size_t len;
                int r;

                c->watch = sd_event_source_disable_unref(c->watch);
                snprintf(dir, sizeof(dir), "%s", c->cfg->path);
                for (;;) {
                        slash = strrchr(dir, '/');
                        if (slash == dir)
                                slash++; /* keep "/" */
                        *slash = '\0';
                        r = sd_event_add_inotify(c->event, &c->watch, dir, parent ? PARENT_MASK : ANCESTOR_MASK,
                                                 on_inotify, c);
                        if (r >= 0)
                                break;
                        if ((r != -ENOENT && r != -ENOTDIR) || strcmp(dir, "/") == 0)
                                return log_warning_errno(r, "probe '%s': cannot watch %s: %m", c->cfg->name, dir);
                        parent = false;
                }
                (void) sd_event_source_set_description(c->watch, "probe-file");
                c->watching_parent = parent;
                if (parent)
                        return 0;
                len = strlen(dir) + (strcmp(dir, "/") != 0);
                snprintf(c->next, sizeof(c->next), "%s", c->cfg->path + len);
                *strchrnul(c->next, '/') = '\0';
                /* The next directory down may have appeared before the watch. */
                snprintf(dir, sizeof(dir), "%.*s", (int) (len + strlen(c->next)), c->cfg->path);
                if (access(dir, F_OK) < 0)
                        return 0;
        }
        return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        FileCheck *c = userdata;

        (void) s;
        /* An ancestor (/tmp, say) sees much else come and go. */
        if (!c->watching_parent && !(ev->mask & REWATCH_EVENTS) && (ev->len == 0 || strcmp(ev->name, c->next) != 0))
                return 0;
        if (!c->watching_parent || (ev->mask & REWATCH_EVENTS)) {
                if (rewatch(c) < 0)
                        log_warning("probe '%s': the file is not watched until the next reload", c->cfg->name);
                read_file(c);
        } else if (ev->len > 0 && strcmp(ev->name, c->base) == 0)
                read_file(c);
        return 0;
}

int file_check_new(FileCheck **ret, sd_event *event, const ProbeConfig *probe, FileCheckDone done,
                   void *userdata) {
        FileCheck *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        *c = (FileCheck) { .event = event, .cfg = probe, .base = strrchr(probe->path, '/') + 1, .done = done,
                           .userdata = userdata };
        if (rewatch(c) < 0)
                log_warning("probe '%s': the file is not watched until the next reload", probe->name);
        else if (!c->watching_parent)
                log_notice("probe '%s': the directory of %s does not exist yet: watching for it", probe->name,
                           probe->path);
        read_file(c);
        *ret = c;
        return 0;
}

FileCheck *file_check_free(FileCheck *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->watch);
        free(c);
        return NULL;
}
