/* What keepalived-convert.c and keepalived-instance.c share. Pure. */
#pragma once

#include "ctl/keepalived-convert.h"

typedef struct KaConv {
        const KaConvertOptions *o;
        KaNotes *notes;
        const char *router_id, *script_user;
        long long version; /* global vrrp_version, 0: keepalived's default, 2 */
        long long garp_delay, garp_repeat, garp_refresh, garp_interval; /* -1: not set */
        KaProbe *probes;
        size_t n_probes;
        char **instances; /* keepalived names of the instances written */
        size_t n_instances;
        bool commands;      /* a script or hook was carried over */
        bool user_set;      /* global_defs has script_user */
} KaConv;

/* Adds a note at statement s; returns -ENOMEM from the function on OOM. */
#define NOTE(cv, s, kind, ...)                                                  \
        do {                                                                    \
                if (ka_note((cv)->notes, (s)->file, (s)->line, kind, __VA_ARGS__) < 0) \
                        return -ENOMEM;                                         \
        } while (0)

/* The probe a track names (vrrp_script, or with file a track_file). */
KaProbe *ka_find_probe(KaConv *cv, const char *ka_name, bool file);

/* 0..4 for notify_master, _backup, _fault, _stop and notify; else -1. */
int ka_notify_key(const char *k);

/* The notify_* lines of block s as "notify = { ... };" (nothing when none). */
int ka_notify_block(KaConv *cv, const KaStmt *s, const char *owner, const char *indent, FILE *out);

/* A vrrp_instance as an element of `instances` ("instances = (" first). */
int ka_instance(KaConv *cv, const KaStmt *s, FILE *out, bool *first);
