#include "ctl/ctl-drain.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl-conf.h"
#include "shared/exit-codes.h"
#include "shared/macro.h"

#define DIR_MODE 0755  /* promvipd (user promvip) reads what root writes */
#define FILE_MODE 0644
#define TEMP_TRIES 16

static int fail(char **why, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **why, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(why, fmt, ap) < 0)
                *why = NULL;
        va_end(ap);
        return r;
}

int ctl_drain_find(const Config *c, const char *instance, const char *probe, const ProbeConfig **ret,
                   int *ret_weight, char **why) {
        const InstanceConfig *in = conf_instance_by_name(c, instance);
        const TrackConfig *found = NULL;
        size_t n = 0;

        *why = NULL;
        if (!in)
                return fail(why, -ENOENT, "no instance '%s' in %s", instance, c->path);
        for (size_t k = 0; k < in->n_tracks; k++) {
                const TrackConfig *t = &in->tracks[k];

                if (c->probes[t->probe].kind != PROBE_FILE)
                        continue;
                if (probe && strcmp(t->probe_name, probe) != 0)
                        continue;
                n++;
                found = t;
        }
        if (probe && n == 0)
                return fail(why, -ESRCH, "instance '%s' tracks no file probe named '%s'", instance, probe);
        if (n == 0)
                return fail(why, -ENODATA,
                            "instance '%s' tracks no file probe, so there is nothing to drain it with.\n"
                            "Add one to %s, e.g.\n"
                            "  probes = ( ..., { name = \"drain\"; type = \"file\"; path = \"/var/lib/promvip/drain\"; "
                            "weight = -100; } );\n"
                            "and track it in the instance: track = ( ..., \"drain\" );\n"
                            "then reload promvipd (systemctl reload promvipd)",
                            instance, c->path);
        if (n > 1) {
                _cleanup_free_ char *names = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&names, &len);

                if (!f)
                        return -ENOMEM;
                for (size_t k = 0, i = 0; k < in->n_tracks; k++)
                        if (c->probes[in->tracks[k].probe].kind == PROBE_FILE)
                                fprintf(f, "%s'%s'", i++ ? ", " : "", in->tracks[k].probe_name);
                if (fclose(f) != 0)
                        return -ENOMEM;
                return fail(why, -EMLINK, "instance '%s' tracks several file probes (%s): choose one with --probe NAME",
                            instance, names);
        }
        *ret = &c->probes[found->probe];
        *ret_weight = found->weight;
        return 0;
}

/* A directory only root can change: symlinks in it may be followed. */
static bool trusted(int fd) {
        struct stat st;

        return fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 0022);
}

/* Opens the directory `dir`, creating what is missing (mode 0755), one
 * component at a time: in a directory that someone other than root can
 * change, a symlink is not followed (no one can send root's write
 * elsewhere). An fd, or -errno with *where set to the component. */
static int open_dir(const char *dir, char **where) {
        _cleanup_free_ char *copy = strdup(dir);
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        fd = open("/", O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int flags = O_DIRECTORY | O_CLOEXEC | O_RDONLY | (trusted(fd) ? 0 : O_NOFOLLOW);
                int next = openat(fd, c, flags);

                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, c, DIR_MODE) < 0 && errno != EEXIST) {
                                *where = strdup(c);
                                return -errno;
                        }
                        next = openat(fd, c, flags | O_NOFOLLOW);
                        /* Whatever root's umask: promvipd's user must get through. */
                        if (next >= 0 && fchmod(next, DIR_MODE) < 0) {
                                int r = -errno;
                                close(next);
                                *where = strdup(c);
                                return r;
                        }
                }
                if (next < 0) {
                        int r = -errno;
                        struct stat st;

                        if ((flags & O_NOFOLLOW) && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(st.st_mode))
                                r = -ELOOP;
                        *where = strdup(c);
                        return r;
                }
                close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* Writes text to dirfd/base through a temporary file in the same directory:
 * fsync, rename over base, fsync of the directory. 0 or -errno. */
static int write_atomic(int dirfd, const char *base, const char *text) {
        char tmp[NAME_MAX + 1];
        size_t len = strlen(text);
        int fd = -EBADF, r;

        for (unsigned i = 0; i < TEMP_TRIES && fd < 0; i++) {
                uint64_t rnd = 0;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (uint64_t) getpid() << 16 | i;
                if (snprintf(tmp, sizeof(tmp), ".%.200s.%016" PRIx64, base, rnd) >= (int) sizeof(tmp))
                        return -ENAMETOOLONG;
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        errno = 0;
        if (fchmod(fd, FILE_MODE) < 0 || write(fd, text, len) != (ssize_t) len || fsync(fd) < 0) {
                r = errno ? -errno : -EIO;
                goto fail;
        }
        if (close(fd) < 0) {
                fd = -EBADF;
                r = -errno;
                goto fail;
        }
        fd = -EBADF;
        if (renameat(dirfd, tmp, dirfd, base) < 0) {
                r = -errno;
                goto fail;
        }
        (void) fsync(dirfd);
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        (void) unlinkat(dirfd, tmp, 0);
        return r;
}

/* The other instances that the same probe's file drains too. */
static void say_others(const Config *c, const char *instance, const ProbeConfig *p, bool drain) {
        for (size_t k = 0; k < c->n_instances; k++) {
                const InstanceConfig *in = &c->instances[k];

                if (strcmp(in->name, instance) == 0)
                        continue;
                for (size_t j = 0; j < in->n_tracks; j++)
                        if (&c->probes[in->tracks[j].probe] == p)
                                printf("instance '%s' tracks probe '%s' too: it is %s as well\n", in->name, p->name,
                                       drain ? "drained" : "undrained");
        }
}

int ctl_drain(const char *config, const char *instance, const char *probe, bool drain) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        _cleanup_free_ char *why = NULL, *dir = NULL, *where = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        const ProbeConfig *p = NULL;
        const char *base;
        int weight = 0, r;

        r = ctl_conf_load(config, &c);
        if (r != 0)
                return r;
        r = ctl_drain_find(c, instance, probe, &p, &weight, &why);
        if (r < 0) {
                fprintf(stderr, "promvipctl: %s\n", why ?: "out of memory");
                return r == -EMLINK ? EXIT_USAGE : EXIT_FAIL;
        }
        if (drain && weight > 0) {
                fprintf(stderr,
                        "promvipctl: probe '%s' has weight %d in instance '%s': a value of 1 would raise its priority, "
                        "not drain it. Give the track a negative weight (or 0: FAULT while drained)\n",
                        p->name, weight, instance);
                return EXIT_FAIL;
        }
        dir = strndup(p->path, (size_t) (strrchr(p->path, '/') - p->path));
        if (!dir)
                return EXIT_FAIL;
        base = strrchr(p->path, '/') + 1;
        dirfd = open_dir(dir, &where);
        if (dirfd < 0) {
                errno = -dirfd;
                fprintf(stderr, "promvipctl: cannot open or create the directory of %s (at '%s'): %m%s\n", p->path,
                        where ?: "/",
                        dirfd == -ELOOP ? " (a symlink in a directory that others than root can change)" : "");
                return EXIT_FAIL;
        }
        r = write_atomic(dirfd, base, drain ? "1\n" : "0\n");
        if (r < 0) {
                errno = -r;
                fprintf(stderr, "promvipctl: cannot write %s: %m\n", p->path);
                return EXIT_FAIL;
        }
        printf("instance '%s' %s: wrote %d to %s (file probe '%s', weight %d%s)\n", instance,
               drain ? "drained" : "undrained", drain, p->path, p->name, weight,
               !drain ? "" : weight == 0 ? ": FAULT while drained" : ": applies while drained");
        say_others(c, instance, p, drain);
        if (drain)
                printf("It stays drained across promvipd restarts and reboots; 'promvipctl undrain %s' undoes it.\n",
                       instance);
        return EXIT_OK;
}
