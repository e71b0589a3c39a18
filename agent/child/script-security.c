#include "child/script-security.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_one(const char *path, bool is_dir, char *reason, size_t size) {
        struct stat st;

        if (stat(path, &st) < 0) {
                int r = -errno;
                snprintf(reason, size, "%s: %s", path, strerror(errno));
                return r;
        }
        if (!is_dir && !S_ISREG(st.st_mode)) {
                snprintf(reason, size, "%s is not a regular file", path);
                return -EACCES;
        }
        if (!is_dir && !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
                snprintf(reason, size, "%s is not executable", path);
                return -EACCES;
        }
        if (st.st_uid != 0) {
                snprintf(reason, size, "%s is owned by uid %u, not root", path, (unsigned) st.st_uid);
                return -EPERM;
        }
        if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
                snprintf(reason, size, "%s is writable by group %u", path, (unsigned) st.st_gid);
                return -EPERM;
        }
        if ((st.st_mode & S_IWOTH) && !(is_dir && (st.st_mode & S_ISVTX))) {
                snprintf(reason, size, "%s is writable by everyone", path);
                return -EPERM;
        }
        return 0;
}

/* Every directory above the absolute path p, up to "/". */
static int check_dirs(const char *p, char *reason, size_t size) {
        char dir[PATH_MAX];
        char *slash;
        int r;

        snprintf(dir, sizeof(dir), "%s", p);
        while ((slash = strrchr(dir, '/'))) {
                slash[slash == dir] = '\0'; /* keep "/" itself */
                r = check_one(dir, true, reason, size);
                if (r < 0 || slash == dir)
                        return r;
        }
        return 0;
}

int script_check_secure(const char *path, char *reason, size_t size) {
        char real[PATH_MAX];
        int r;

        /* The path as written (its directories decide which file runs) and,
         * after symlinks, the file that does run. */
        if ((r = check_one(path, false, reason, size)) < 0 || (r = check_dirs(path, reason, size)) < 0)
                return r;
        if (!realpath(path, real)) {
                r = -errno;
                snprintf(reason, size, "%s: %s", path, strerror(errno));
                return r;
        }
        if (strcmp(real, path) == 0)
                return 0;
        if ((r = check_one(real, false, reason, size)) < 0)
                return r;
        return check_dirs(real, reason, size);
}
