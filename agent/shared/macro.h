/* Small helpers shared by every module: cleanup attributes and array size.
 * No I/O here. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand a pointer out of a cleanup scope: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                       \
        ({                                \
                __typeof__(p) _p_ = (p);  \
                (p) = NULL;               \
                _p_;                      \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)  \
        static inline void func##p(type *p) {    \
                if (*p)                          \
                        func(*p);                \
        }

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL

/* Hand a file descriptor out of a cleanup scope: returns it and leaves -1 behind. */
#define TAKE_FD(fd)                       \
        ({                                \
                int _fd_ = (fd);          \
                (fd) = -1;                \
                _fd_;                     \
        })
