/* Logging: to the journal with structured fields when stderr is connected to
 * it (JOURNAL_STREAM, as under systemd), otherwise plain lines on stderr.
 * Levels are syslog's (LOG_ERR ... LOG_DEBUG). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "shared/macro.h"

void log_open(void);
void log_set_max_level(int level);
int log_get_max_level(void);
bool log_to_journal(void);

/* "debug", "info", "notice", "warning", "error" -> LOG_*; -EINVAL if unknown. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);
#define LOG_LEVEL_NAMES "debug, info, notice, warning, error"

/* Logs one message. `fields` is NULL or a NULL-terminated list of extra
 * journal fields ("KEY=value"); the journal also gets CODE_FILE, CODE_LINE
 * and CODE_FUNC. If error != 0, errno is set to |error| while formatting, so
 * "%m" names it. Returns -|error|, so callers can write
 * `return log_error_errno(r, "...: %m");`. */
int log_internal_at(const char *file, int line, const char *func, int level, int error,
                    const char *const *fields, const char *fmt, ...) _printf_(7, 8);

#define log_internal(level, error, fields, ...) \
        log_internal_at(__FILE__, __LINE__, __func__, (level), (error), (fields), __VA_ARGS__)
#define log_full(level, ...) log_internal((level), 0, NULL, __VA_ARGS__)
#define log_struct(level, fields, ...) log_internal((level), 0, (fields), __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), NULL, __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, (error), NULL, __VA_ARGS__)

/* For the SIGUSR1 lines: " <prefix><name(k)>=<value>" for every non-zero
 * values[k], k from 1 (0 is "none" in the reason enums), into buf; cut
 * when full, always terminated. */
void log_format_counters(char *buf, size_t size, const char *prefix, const uint64_t *values, size_t n,
                         const char *(*name)(size_t k));
