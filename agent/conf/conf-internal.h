/* Shared by the conf-*.c files only: typed, range-checked getters over
 * libconfig settings that record errors with file:line instead of failing. */
#pragma once

#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "shared/macro.h"

typedef struct ConfCtx {
        const char *file;  /* the main file, for settings without their own */
        ConfErrors *errs;
        char where[CONF_NAME_MAX + 32]; /* "instance 'x'": prefixes messages */
        bool oom;
} ConfCtx;

/* Records "FILE:LINE: [where: ]message" for setting s (the file's line 0 if s is NULL). */
void conf_error(ConfCtx *ctx, const config_setting_t *s, const char *fmt, ...) _printf_(3, 4);
void conf_error_at(ConfCtx *ctx, const char *file, unsigned line, const char *fmt, ...)
        _printf_(4, 5);

unsigned conf_line(const config_setting_t *s);

/* Flags every child of group s whose name is not in `known` (NULL-terminated). */
void conf_check_keys(ConfCtx *ctx, const config_setting_t *s, const char *const *known);

/* Each getter: 0 when the key is absent (ret untouched), 1 when present and
 * valid, -1 when present and invalid (error recorded). */
int conf_get_string(ConfCtx *ctx, const config_setting_t *g, const char *key, char **ret);
int conf_get_bool(ConfCtx *ctx, const config_setting_t *g, const char *key, bool *ret);
int conf_get_int(ConfCtx *ctx, const config_setting_t *g, const char *key, long long min,
                 long long max, long long *ret);
int conf_get_double(ConfCtx *ctx, const config_setting_t *g, const char *key, double *ret);
/* Seconds as an int or float within [min, max] seconds, returned in microseconds. */
int conf_get_seconds(ConfCtx *ctx, const config_setting_t *g, const char *key, double min,
                     double max, uint64_t *ret_usec);
/* A string (one executable) or a list/array of strings (argv); argv[0] is
 * absolute. Records where it is set (Argv.file, Argv.line). */
int conf_get_argv(ConfCtx *ctx, const config_setting_t *g, const char *key, Argv *ret);
/* A list or array of strings. */
int conf_get_strings(ConfCtx *ctx, const config_setting_t *g, const char *key, char ***ret,
                     size_t *ret_n);
/* A list of groups: returns the list setting or NULL, errors if not a list of groups. */
const config_setting_t *conf_get_group_list(ConfCtx *ctx, const config_setting_t *g,
                                            const char *key);

/* Names of probes and instances: 1..64 characters of [A-Za-z0-9_.-]. */
bool conf_name_is_valid(const char *s);

/* Interface names, as the kernel's dev_valid_name(). */
bool conf_ifname_is_valid(const char *s);

char *conf_strdup(ConfCtx *ctx, const char *s);
void *conf_calloc(ConfCtx *ctx, size_t n, size_t size);

void argv_free(Argv *a);
void strv_free(char **v, size_t n);

int conf_parse_probe(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *ret);
void conf_probe_free(ProbeConfig *p);
int conf_parse_instance(ConfCtx *ctx, const config_setting_t *s, const Config *c,
                        InstanceConfig *ret);
void conf_instance_free(InstanceConfig *i);
/* unicast_ttl, unicast_min_ttl and family, after the addresses. */
void conf_parse_instance_routed(ConfCtx *ctx, const config_setting_t *s, InstanceConfig *in);

/* conf-track.c: `track_interfaces` of an instance and the `file` probe type. */
void conf_parse_track_interfaces(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in);
void conf_track_interfaces_free(InstanceConfig *in);
bool conf_track_interfaces_equal(const InstanceConfig *a, const InstanceConfig *b);
void conf_parse_file_probe(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *p);
/* The `notify` group of an instance or a sync group (absent: no hooks, default timeout). */
void conf_parse_notify(ConfCtx *ctx, const config_setting_t *g, NotifyConfig *ret);
void conf_notify_free(NotifyConfig *n);
/* `sync_groups`, after the instances: sets InstanceConfig.sync_group. */
void conf_parse_sync_groups(ConfCtx *ctx, const config_setting_t *root, Config *c);
void conf_sync_group_free(SyncGroupConfig *g);
