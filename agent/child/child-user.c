/* The account commands run as (see child.h): looked up in the user and
 * group databases once, when a configuration is loaded, never per run:
 * with NSS behind LDAP or sssd a lookup can take seconds, and the event
 * loop must not wait for it. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/child-spawn.h"
#include "shared/macro.h"

static ChildUser *child_user_free(ChildUser *u) {
        free(u->name);
        free(u->home);
        free(u->groups);
        free(u);
        return NULL;
}

ChildUser *child_user_ref(ChildUser *u) {
        if (u)
                u->n_ref++;
        return u;
}

ChildUser *child_user_unref(ChildUser *u) {
        if (u && --u->n_ref == 0)
                child_user_free(u);
        return NULL;
}

const char *child_user_name(const ChildUser *u) {
        return u->name;
}

int child_user_error(const ChildUser *u) {
        return u->error;
}

const char *child_user_problem(const ChildUser *u) {
        return u->problem;
}

/* 0, -ESRCH (no such user) or another lookup error. */
static int lookup(ChildUser *u) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *found = NULL;
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        int r;

        if (size <= 0)
                size = 16384;
        for (;;) {
                free(buf);
                buf = malloc((size_t) size);
                if (!buf)
                        return -ENOMEM;
                r = getpwnam_r(u->name, &pw, buf, (size_t) size, &found);
                if (r != ERANGE || size >= 1024 * 1024)
                        break;
                size *= 2;
        }
        if (!found && (r == 0 || r == ENOENT)) /* some NSS modules say ENOENT */
                return -ESRCH;
        if (r != 0)
                return -r;
        u->uid = pw.pw_uid;
        u->gid = pw.pw_gid;
        u->home = strdup(pw.pw_dir && pw.pw_dir[0] ? pw.pw_dir : "/");
        if (!u->home)
                return -ENOMEM;

        /* Supplementary groups from the group database (what initgroups()
         * would set, but initgroups() allocates: not for the child). */
        for (int n = 16, tries = 0;; tries++) {
                gid_t *g = realloc(u->groups, (size_t) n * sizeof(gid_t));

                if (!g)
                        return -ENOMEM;
                u->groups = g;
                u->n_groups = n;
                if (getgrouplist(u->name, u->gid, u->groups, &u->n_groups) >= 0)
                        return 0;
                if (tries >= 8)
                        return -E2BIG;
                n = u->n_groups > n ? u->n_groups : n * 2;
        }
}

int child_user_resolve(const char *name, ChildUser **ret) {
        ChildUser *u = calloc(1, sizeof(*u));
        int r;

        if (!u)
                return -ENOMEM;
        u->n_ref = 1;
        u->name = strdup(name);
        if (!u->name) {
                child_user_free(u);
                return -ENOMEM;
        }
        r = lookup(u);
        if (r == -ENOMEM) {
                child_user_free(u);
                return r;
        }
        /* Root switches. A daemon that runs as this user already (as the
         * packaged unit runs promvipd) keeps its ids and groups; it could
         * not call setgroups(). Nobody else can switch. */
        if (r == -ESRCH)
                snprintf(u->problem, sizeof(u->problem), "user %s does not exist", name);
        else if (r < 0)
                snprintf(u->problem, sizeof(u->problem), "cannot look up user %s: %s", name, strerror(-r));
        else if (geteuid() == 0)
                u->switch_user = true;
        else if (u->uid != geteuid() || u->uid != getuid() || u->gid != getegid() || u->gid != getgid()) {
                r = -EPERM;
                snprintf(u->problem, sizeof(u->problem),
                         "cannot run as user %s: promvipd runs as uid %u, and only root can switch users", name,
                         (unsigned) geteuid());
        }
        u->error = r < 0 ? r : 0;
        *ret = u;
        return 0;
}
