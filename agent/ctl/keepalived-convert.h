/* keepalived's VRRP configuration (a statement tree, keepalived-parse.h) as
 * promvip.conf text: global_defs, vrrp_script (a curl or wget of a URL
 * becomes an `http` probe, anything else an `exec` probe), vrrp_track_file
 * (`file` probes), vrrp_instance and vrrp_sync_group. Everything carried
 * over differently, or not at all (LVS, unsupported options), becomes a
 * note with its file and line.
 *
 * Pure: writes only to the FILE given; the PATH search for a bare command
 * name is the caller's (KaConvertOptions.resolve). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "ctl/keepalived-parse.h"

typedef struct KaConvertOptions {
        /* keepalived's PATH search for a command given without a '/': the
         * absolute path (malloc'ed) or NULL when not found. NULL: none found. */
        char *(*resolve)(const char *name, void *userdata);
        void *userdata;
} KaConvertOptions;

/* Writes promvip.conf for `root` to `out`; notes go to `notes`. 0 or -ENOMEM. */
int ka_convert(const KaStmt *root, const KaConvertOptions *o, FILE *out, KaNotes *notes);

/* --- shared by keepalived-convert.c and keepalived-script.c --- */

/* A vrrp_script or vrrp_track_file carried over as a probe. */
typedef struct KaProbe {
        char *ka_name; /* keepalived's name, what track_script / track_file use */
        char *name;    /* promvip's */
        bool file;     /* from vrrp_track_file */
        bool ok;       /* written out (else its tracks are dropped) */
} KaProbe;

/* Writes the probe group of a `vrrp_script NAME { ... }` (or
 * `vrrp_track_file`) to out, "    { name = ...; ... }", without separator;
 * sets p. 0 when written, 1 when it could not be carried over (noted), or
 * -ENOMEM. */
int ka_script_convert(const KaStmt *s, const KaConvertOptions *o, const char *script_user, FILE *out,
                      KaProbe *p, KaNotes *notes);
int ka_track_file_convert(const KaStmt *s, FILE *out, KaProbe *p, KaNotes *notes);

/* A command line (keepalived's script or notify string) as a promvip
 * command: a string or ( "argv0", ... ) written to out. 0, 1 when it
 * cannot be carried over (noted at s), or -ENOMEM. */
int ka_command_convert(const KaStmt *s, const char *what, const char *cmdline, const KaConvertOptions *o,
                       FILE *out, KaNotes *notes);

/* A libconfig string literal of s, quoted and escaped. */
void ka_put_string(FILE *out, const char *s);
/* s as a promvip name (letters, digits, '_', '.', '-', at most 64):
 * malloc'ed; *changed when it had to be altered. */
char *ka_name_sanitize(const char *s, bool *changed);
/* Seconds "1", "0.5" (at most 3 decimals, keepalived's resolution) into
 * milliseconds: 0 or -EINVAL. */
int ka_parse_msec(const char *s, long long min_ms, long long max_ms, long long *ret);
/* Writes milliseconds as seconds: "1", "0.5", "2.25". */
void ka_put_seconds(FILE *out, long long ms);
int ka_parse_int(const char *s, long long min, long long max, long long *ret);
