#include "shared/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#define LOG_MAX_FIELDS 16

static int max_level = LOG_INFO;
static bool use_journal;

static const char *const level_names[] = {
        [LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* stderr goes to the journal when JOURNAL_STREAM names its device:inode. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_open(void) {
        use_journal = stderr_is_journal();
}

bool log_to_journal(void) {
        return use_journal;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (level_names[i] && strcmp(level_names[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(level_names) || !level_names[level])
                return "error";
        return level_names[level];
}

static struct iovec iov_str(const char *s) {
        return (struct iovec) { .iov_base = (char *) s, .iov_len = strlen(s) };
}

/* 0, or negative errno when the journal did not take the message. */
static int log_write_journal(const char *file, int line, const char *func, int level,
                             const char *const *fields, const char *msg) {
        _cleanup_free_ char *message = NULL, *code_file = NULL, *code_func = NULL;
        char prio[16], code_line[32];
        struct iovec iov[LOG_MAX_FIELDS + 6];
        size_t n = 0;

        if (asprintf(&message, "MESSAGE=%s", msg) < 0 || asprintf(&code_file, "CODE_FILE=%s", file) < 0 ||
            asprintf(&code_func, "CODE_FUNC=%s", func) < 0)
                return -ENOMEM;
        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        iov[n++] = iov_str(message);
        iov[n++] = iov_str(prio);
        iov[n++] = iov_str("SYSLOG_IDENTIFIER=promvipd");
        iov[n++] = iov_str(code_file);
        iov[n++] = iov_str(code_line);
        iov[n++] = iov_str(code_func);
        for (size_t i = 0; fields && fields[i] && i < LOG_MAX_FIELDS; i++)
                iov[n++] = iov_str(fields[i]);
        return sd_journal_sendv(iov, (int) n);
}

int log_internal_at(const char *file, int line, const char *func, int level, int error,
                    const char *const *fields, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        errno = error;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        if (!msg)
                fprintf(stderr, "promvipd: %s: (out of memory formatting a message)\n",
                        log_level_to_string(level));
        else if (!use_journal || log_write_journal(file, line, func, level, fields, msg) < 0)
                /* Without the journal, or when it is gone, stderr still reaches someone. */
                fprintf(stderr, "promvipd: %s: %s\n", log_level_to_string(level), msg);

        errno = saved;
        return -error;
}

void log_format_counters(char *buf, size_t size, const char *prefix, const uint64_t *values, size_t n,
                         const char *(*name)(size_t k)) {
        size_t len = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (size_t k = 1; k < n && len < size; k++) {
                int w;

                if (!values[k])
                        continue;
                w = snprintf(buf + len, size - len, " %s%s=%" PRIu64, prefix, name(k), values[k]);
                if (w < 0)
                        return;
                len += (size_t) w;
        }
}
