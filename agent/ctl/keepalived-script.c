/* vrrp_script and vrrp_track_file as promvip probes, and keepalived's
 * command lines (scripts, notify) as promvip commands. keepalived splits a
 * command into argv itself (quotes and backslash escapes) and execve()s it
 * without a shell; a bare name is looked up in PATH; only a command that
 * starts with "</" goes through system(), i.e. /bin/sh -c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-convert.h"

void ka_put_string(FILE *out, const char *s) {
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(out, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", out);
                else if (*p == '\t')
                        fputs("\\t", out);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(out, "\\x%02x", *p);
                else
                        fputc(*p, out);
        }
        fputc('"', out);
}

char *ka_name_sanitize(const char *s, bool *changed) {
        size_t n = strnlen(s, 64);
        char *r = strndup(s, n);

        if (!r)
                return NULL;
        *changed = s[n] != '\0' || n == 0;
        for (char *p = r; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p)) {
                        *p = '_';
                        *changed = true;
                }
        if (n == 0) {
                free(r);
                r = strdup("unnamed");
        }
        return r;
}

int ka_parse_int(const char *s, long long min, long long max, long long *ret) {
        char *end;
        long long v;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int ka_parse_msec(const char *s, long long min_ms, long long max_ms, long long *ret) {
        long long whole = 0, frac = 0;
        int digits = 0;
        const char *p = s;

        if (!s || !*s || *s == '.')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                whole = whole * 10 + (*p - '0');
                if (whole > 100000000)
                        return -EINVAL;
        }
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        if (digits < 3) {
                                frac = frac * 10 + (*p - '0');
                                digits++;
                        }
        if (*p)
                return -EINVAL;
        for (; digits < 3; digits++)
                frac *= 10;
        whole = whole * 1000 + frac;
        if (whole < min_ms || whole > max_ms)
                return -EINVAL;
        *ret = whole;
        return 0;
}

void ka_put_seconds(FILE *out, long long ms) {
        if (ms % 1000 == 0)
                fprintf(out, "%lld", ms / 1000);
        else if (ms % 100 == 0)
                fprintf(out, "%lld.%lld", ms / 1000, (ms % 1000) / 100);
        else if (ms % 10 == 0)
                fprintf(out, "%lld.%02lld", ms / 1000, (ms % 1000) / 10);
        else
                fprintf(out, "%lld.%03lld", ms / 1000, ms % 1000);
}

static bool shell_word(const char *w) {
        static const char *const ops[] = { "|", "||", "&&", ";", "&", ">", ">>", "<", "2>&1", ">/dev/null",
                                           "2>/dev/null" };

        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (strcmp(w, ops[i]) == 0)
                        return true;
        return strstr(w, "$(") || strchr(w, '`');
}

static void put_argv(FILE *out, char *const *argv) {
        if (!argv[1]) {
                ka_put_string(out, argv[0]);
                return;
        }
        fputs("( ", out);
        for (size_t i = 0; argv[i]; i++) {
                if (i)
                        fputs(", ", out);
                ka_put_string(out, argv[i]);
        }
        fputs(" )", out);
}

int ka_command_convert(const KaStmt *s, const char *what, const char *cmdline, const KaConvertOptions *o,
                       FILE *out, KaNotes *notes) {
        _cleanup_(ka_strv_freep) char **argv = NULL;
        const char *a0;
        int r;

        r = ka_split(cmdline, true, &argv);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !argv[0] || !argv[0][0])
                return ka_note(notes, s->file, s->line, KA_LOST, "%s: cannot split '%s' into a command%s", what,
                               cmdline, r < 0 ? " (unmatched quote or trailing backslash)" : "") ?: 1;
        a0 = argv[0];
        if (a0[0] == '<' && a0[1 + strspn(a0 + 1, " \t")] == '/') {
                r = ka_note(notes, s->file, s->line, KA_CHANGED,
                            "%s: '%s' is run by keepalived through the shell (system()), and by promvip as "
                            "/bin/sh -c (on Debian /bin/sh is dash, which has no /dev/tcp)",
                            what, cmdline);
                fputs("( \"/bin/sh\", \"-c\", ", out);
                ka_put_string(out, cmdline);
                fputs(" )", out);
                return r;
        }
        if (!strchr(a0, '/')) {
                _cleanup_free_ char *path = o && o->resolve ? o->resolve(a0, o->userdata) : NULL;

                if (!path)
                        return ka_note(notes, s->file, s->line, KA_LOST,
                                       "%s: '%s' is not an absolute path and is not found in PATH (keepalived "
                                       "would disable it)",
                                       what, a0) ?: 1;
                r = ka_note(notes, s->file, s->line, KA_CHANGED,
                            "%s: '%s' resolved by PATH search to %s, as keepalived does (promvip needs the path)",
                            what, a0, path);
                free(argv[0]);
                argv[0] = TAKE_PTR(path);
                if (r < 0)
                        return r;
        } else if (a0[0] != '/')
                return ka_note(notes, s->file, s->line, KA_LOST,
                               "%s: '%s' is relative to keepalived's working directory; give an absolute path",
                               what, a0) ?: 1;
        for (size_t i = 1; argv[i]; i++)
                if (shell_word(argv[i])) {
                        r = ka_note(notes, s->file, s->line, KA_CHANGED,
                                    "%s: keepalived runs no shell: '%s' reaches %s as an argument, and so it does "
                                    "under promvip (write /bin/sh -c '...' if a shell was meant)",
                                    what, argv[i], argv[0]);
                        if (r < 0)
                                return r;
                        break;
                }
        put_argv(out, argv);
        return 0;
}

/* A curl or wget command line as an http probe. */
typedef struct HttpCheck {
        const char *url;
        long long timeout_ms; /* 0: none given */
        bool fail, insecure, head, redirects;
        const char *headers[16];
        size_t n_headers;
        const char *user, *ca, *cert, *key;
} HttpCheck;

/* Options taking a value: curl's and wget's short ones, and the long ones. */
static int http_option(HttpCheck *h, bool curl, const char *opt, const char *val) {
        bool file_ok = val && (strcmp(val, "/dev/null") == 0 || strcmp(val, "-") == 0);

        if (curl ? (!strcmp(opt, "m") || !strcmp(opt, "max-time"))
                 : (!strcmp(opt, "T") || !strcmp(opt, "timeout") || !strcmp(opt, "read-timeout")))
                return ka_parse_msec(val, 1, 3600000, &h->timeout_ms);
        if (curl ? (!strcmp(opt, "o") || !strcmp(opt, "output"))
                 : (!strcmp(opt, "O") || !strcmp(opt, "output-document")))
                return file_ok ? 0 : -EINVAL;
        if (!strcmp(opt, "connect-timeout") || (!curl && !strcmp(opt, "dns-timeout")))
                return 0; /* bounded by the probe's timeout */
        if (!strcmp(opt, "H") || !strcmp(opt, "header")) {
                if (h->n_headers == ELEMENTSOF(h->headers))
                        return -EINVAL;
                h->headers[h->n_headers++] = val;
                return 0;
        }
        if (curl && (!strcmp(opt, "u") || !strcmp(opt, "user")))
                return strchr(val, ':') ? (h->user = val, 0) : -EINVAL;
        if (!strcmp(opt, curl ? "cacert" : "ca-certificate"))
                return h->ca = val, 0;
        if (!strcmp(opt, curl ? "cert" : "certificate"))
                return h->cert = val, 0;
        if (!strcmp(opt, curl ? "key" : "private-key"))
                return h->key = val, 0;
        if (!curl && (!strcmp(opt, "t") || !strcmp(opt, "tries")))
                return strcmp(val, "1") == 0 ? 0 : -EINVAL;
        return -EINVAL;
}

static bool http_takes_value(bool curl, const char *opt) {
        static const char *const c[] = { "m", "max-time", "o", "output", "connect-timeout", "H", "header",
                                         "u", "user", "cacert", "cert", "key" };
        static const char *const w[] = { "T", "timeout", "read-timeout", "O", "output-document", "connect-timeout",
                                         "dns-timeout", "header", "ca-certificate", "certificate",
                                         "private-key", "t", "tries" };
        const char *const *v = curl ? c : w;
        size_t n = curl ? ELEMENTSOF(c) : ELEMENTSOF(w);

        for (size_t i = 0; i < n; i++)
                if (strcmp(opt, v[i]) == 0)
                        return true;
        return false;
}

static bool http_flag(HttpCheck *h, bool curl, const char *opt) {
        static const char *const c[] = { "s", "silent", "S", "show-error", "f", "fail", "fail-with-body", "k",
                                         "insecure", "I", "head", "q", "disable", "L", "location", "noproxy" };
        static const char *const w[] = { "q", "quiet", "spider", "no-check-certificate", "no-verbose", "nv",
                                         "no-proxy", "S", "server-response" };
        const char *const *v = curl ? c : w;
        size_t n = curl ? ELEMENTSOF(c) : ELEMENTSOF(w);
        size_t i;

        for (i = 0; i < n && strcmp(opt, v[i]) != 0; i++)
                ;
        if (i == n)
                return false;
        if (!strcmp(opt, "f") || !strcmp(opt, "fail") || !strcmp(opt, "fail-with-body"))
                h->fail = true;
        else if (!strcmp(opt, "k") || !strcmp(opt, "insecure") || !strcmp(opt, "no-check-certificate"))
                h->insecure = true;
        else if (!strcmp(opt, "I") || !strcmp(opt, "head") || !strcmp(opt, "spider"))
                h->head = true;
        else if (!strcmp(opt, "L") || !strcmp(opt, "location"))
                h->redirects = true;
        return true;
}

/* 0 when argv is a curl/wget that an http probe can do, with *h set; else
 * -EINVAL with *why set to the word not understood. */
static int http_parse(char *const *argv, bool curl, HttpCheck *h, const char **why) {
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i];

                *why = a;
                if (strncmp(a, "--", 2) == 0 && a[2]) {
                        _cleanup_free_ char *opt = strndup(a + 2, strcspn(a + 2, "="));
                        const char *eq = strchr(a, '=');

                        if (!opt)
                                return -ENOMEM;
                        if (!eq && http_flag(h, curl, opt))
                                continue;
                        if (!http_takes_value(curl, opt))
                                return -EINVAL;
                        if (!eq && !argv[i + 1])
                                return -EINVAL;
                        if (http_option(h, curl, opt, eq ? eq + 1 : argv[++i]) < 0)
                                return -EINVAL;
                        continue;
                }
                if (a[0] == '-' && a[1]) {
                        for (const char *c = a + 1; *c; c++) {
                                char opt[2] = { *c, 0 };

                                if (http_flag(h, curl, opt))
                                        continue;
                                if (!http_takes_value(curl, opt))
                                        return -EINVAL;
                                if (!c[1] && !argv[i + 1])
                                        return -EINVAL;
                                if (http_option(h, curl, opt, c[1] ? c + 1 : argv[++i]) < 0)
                                        return -EINVAL;
                                break;
                        }
                        continue;
                }
                if (h->url || (strncmp(a, "http://", 7) != 0 && strncmp(a, "https://", 8) != 0) ||
                    strpbrk(a, " \"\\"))
                        return -EINVAL;
                h->url = a;
        }
        if (!h->url) {
                *why = "(no http:// or https:// URL)";
                return -EINVAL;
        }
        if (curl && h->redirects) {
                *why = "--location (the http probe does not follow redirects)";
                return -EINVAL;
        }
        return 0;
}

static const char *base_name(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static void put_http(FILE *out, const HttpCheck *h) {
        fputs("type = \"http\"; url = ", out);
        ka_put_string(out, h->url);
        fputs(";", out);
        if (h->insecure)
                fputs(" tls_skip_verify = true;", out);
        if (h->ca)
                fputs(" ca_file = ", out), ka_put_string(out, h->ca), fputs(";", out);
        if (h->cert)
                fputs(" cert_file = ", out), ka_put_string(out, h->cert), fputs(";", out);
        if (h->key)
                fputs(" key_file = ", out), ka_put_string(out, h->key), fputs(";", out);
        if (h->user) {
                _cleanup_free_ char *u = strndup(h->user, strcspn(h->user, ":"));
                if (u) {
                        fputs(" username = ", out), ka_put_string(out, u);
                        fputs("; password = ", out), ka_put_string(out, h->user + strlen(u) + 1), fputs(";", out);
                }
        }
        if (h->n_headers > 0) {
                fputs(" headers = ( ", out);
                for (size_t i = 0; i < h->n_headers; i++)
                        fputs(i ? ", " : "", out), ka_put_string(out, h->headers[i]);
                fputs(" );", out);
        }
}

/* The http check of a script's argv (h points into it), or 1 when it is
 * not one (noted when it is a curl or wget the probe cannot do). */
static int script_http(const KaStmt *s, const char *name, char *const *argv, HttpCheck *h, KaNotes *notes) {
        const char *tool = argv[0] ? base_name(argv[0]) : "", *why = "";
        bool curl = strcmp(tool, "curl") == 0;
        int r;

        if (!curl && strcmp(tool, "wget") != 0)
                return 1;
        r = http_parse(argv, curl, h, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ka_note(notes, s->file, s->line, KA_CHANGED,
                               "vrrp_script '%s': %s not understood ('%s'): kept as an exec probe", name, tool,
                               why) ?: 1;
        return 0;
}

int ka_script_convert(const KaStmt *s, const KaConvertOptions *o, const char *script_user, FILE *out,
                      KaProbe *p, KaNotes *notes) {
        _cleanup_free_ char *cmdline = NULL, *cmd_text = NULL;
        _cleanup_(ka_strv_freep) char **argv = NULL;
        long long interval = 1000, timeout = 0, weight = 0, rise = 1, fall = 1, t;
        const KaStmt *script = NULL;
        HttpCheck h = {};
        bool changed, reverse = false, http = false;
        size_t cmd_len = 0;
        int r;

        if (s->n_words != 2 || !s->block)
                return ka_note(notes, s->file, s->line, KA_LOST, "vrrp_script needs a name and a { } block") ?: 1;
        p->ka_name = strdup(s->words[1]);
        p->name = ka_name_sanitize(s->words[1], &changed);
        if (!p->ka_name || !p->name)
                return -ENOMEM;
        if (changed && ka_note(notes, s->file, s->line, KA_CHANGED,
                               "vrrp_script '%s' is named '%s' (promvip's name rules)",
                               s->words[1], p->name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_children; i++) {
                const KaStmt *c = s->children[i];
                const char *k = ka_stmt_keyword(c), *v = c->n_words > 1 ? c->words[1] : NULL;
                long long *dst = NULL, lo = 1, hi = 1000;
                bool secs = false;

                if (!strcmp(k, "script")) {
                        _cleanup_(ka_strv_freep) char **w = NULL;
                        r = ka_split(c->raw, false, &w);
                        if (r == -ENOMEM)
                                return r;
                        free(cmdline);
                        cmdline = r == 0 && w[0] && w[1] ? strdup(w[1]) : NULL;
                        script = c;
                        continue;
                }
                if (!strcmp(k, "interval") || !strcmp(k, "timeout")) {
                        dst = !strcmp(k, "interval") ? &interval : &timeout;
                        secs = true;
                        lo = 1, hi = 3600000;
                } else if (!strcmp(k, "weight")) {
                        dst = &weight, lo = -253, hi = 253;
                        reverse = c->n_words > 2 && !strcmp(c->words[2], "reverse");
                } else if (!strcmp(k, "rise") || !strcmp(k, "fall")) {
                        dst = !strcmp(k, "rise") ? &rise : &fall;
                } else if (!strcmp(k, "user")) {
                        if (!v || strcmp(v, script_user) != 0)
                                r = ka_note(notes, c->file, c->line, KA_LOST,
                                            "vrrp_script '%s': user: promvip runs every probe as global.script_user "
                                            "('%s')",
                                            p->ka_name, script_user);
                        else
                                r = ka_note(notes, c->file, c->line, KA_CHANGED,
                                            "vrrp_script '%s': user: the same as global.script_user", p->ka_name);
                        if (r < 0)
                                return r;
                        continue;
                } else if (!strcmp(k, "init_fail"))
                        continue; /* promvip's probes start DOWN anyway */
                else {
                        if (ka_note(notes, c->file, c->line, KA_LOST,
                                    "vrrp_script '%s': '%s' has no promvip equivalent",
                                    p->ka_name, k) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = secs ? ka_parse_msec(v, lo, hi, &t) : ka_parse_int(v, lo, hi, &t);
                if (r < 0) {
                        if (ka_note(notes, c->file, c->line, KA_LOST,
                                    "vrrp_script '%s': bad %s '%s' (%lld..%lld%s) ignored",
                                    p->ka_name, k, v ?: "", secs ? lo / 1000 : lo, secs ? hi / 1000 : hi,
                                    secs ? " s" : "") < 0)
                                return -ENOMEM;
                        continue;
                }
                *dst = t;
        }
        if (!script || !cmdline)
                return ka_note(notes, s->file, s->line, KA_LOST,
                               "vrrp_script '%s' has no script (keepalived removes it): not carried over",
                               p->ka_name) ?: 1;
        if (reverse)
                return ka_note(notes, s->file, s->line, KA_LOST,
                               "vrrp_script '%s': 'weight ... reverse' has no promvip equivalent: not carried over",
                               p->ka_name) ?: 1;
        if (interval < 100) {
                if (ka_note(notes, s->file, s->line, KA_CHANGED,
                            "vrrp_script '%s': interval raised to promvip's minimum, 0.1 s",
                            p->ka_name) < 0)
                        return -ENOMEM;
                interval = 100;
        }
        r = ka_split(cmdline, true, &argv); /* keeps the words HttpCheck points to */
        if (r == -ENOMEM)
                return r;
        if (r == 0) {
                r = script_http(script, p->ka_name, argv, &h, notes);
                if (r < 0)
                        return r;
                http = r == 0;
        }
        /* keepalived kills the script after its timeout; curl's own may be shorter. */
        t = timeout ? timeout : interval;
        if (http && h.timeout_ms && (!timeout || h.timeout_ms < timeout))
                t = h.timeout_ms;
        if (t >= interval) {
                long long nt = interval * 9 / 10 / 10 * 10;
                bool given = (http && h.timeout_ms) || timeout;
                if (ka_note(notes, s->file, s->line, KA_CHANGED,
                            "vrrp_script '%s': %s%lld ms%s is not shorter than the interval (%lld ms), as promvip "
                            "needs: timeout %lld ms (a run that takes longer now fails)",
                            p->ka_name, given ? "timeout " : "no timeout: keepalived's is the interval, ", t,
                            given ? "" : ", which", interval, nt) < 0)
                        return -ENOMEM;
                t = nt;
        }
        if (http) {
                bool curl = strcmp(base_name(argv[0]), "curl") == 0;
                r = ka_note(notes, script->file, script->line, KA_CHANGED,
                            "vrrp_script '%s': %s of %s becomes a native http probe: GET, success = a 2xx answer "
                            "within the timeout%s%s%s",
                            p->ka_name, curl ? "curl" : "wget", h.url,
                            curl && !h.fail ? " (without --fail curl succeeded on any HTTP answer)" : "",
                            curl && h.fail ? " (curl --fail also accepted 1xx and 3xx)" : "",
                            !curl ? " (wget followed redirects)" : "");
                if (r < 0)
                        return r;
        } else {
                FILE *f = open_memstream(&cmd_text, &cmd_len);
                if (!f)
                        return -ENOMEM;
                r = ka_command_convert(script, "vrrp_script", cmdline, o, f, notes);
                if (fclose(f) != 0 && r == 0)
                        r = -ENOMEM;
                if (r != 0)
                        return r;
        }
        if (rise > 1 && ka_note(notes, s->file, s->line, KA_CHANGED,
                                "vrrp_script '%s': starts DOWN and needs %lld successes to be UP (keepalived counts it "
                                "up after its first success at start)",
                                p->ka_name, rise) < 0)
                return -ENOMEM;
        fputs("    { name = ", out);
        ka_put_string(out, p->name);
        fputs("; ", out);
        if (http)
                put_http(out, &h);
        else
                fprintf(out, "type = \"exec\"; command = %s;", cmd_text);
        fputs(" interval = ", out);
        ka_put_seconds(out, interval);
        fputs("; timeout = ", out);
        ka_put_seconds(out, t);
        fprintf(out, "; fall = %lld; rise = %lld; weight = %lld; }", fall, rise, weight);
        p->ok = true;
        return 0;
}

int ka_track_file_convert(const KaStmt *s, FILE *out, KaProbe *p, KaNotes *notes) {
        const char *path = NULL;
        long long weight = 1, missing = 0, t;
        bool changed;

        if (s->n_words != 2 || !s->block)
                return ka_note(notes, s->file, s->line, KA_LOST, "%s needs a name and a { } block", s->words[0]) ?: 1;
        p->ka_name = strdup(s->words[1]);
        p->name = ka_name_sanitize(s->words[1], &changed);
        p->file = true;
        if (!p->ka_name || !p->name)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_children; i++) {
                const KaStmt *c = s->children[i];
                const char *k = ka_stmt_keyword(c), *v = c->n_words > 1 ? c->words[1] : "";
                int r = 0;

                if (!strcmp(k, "file") && v[0] == '/')
                        path = v;
                else if (!strcmp(k, "weight") && ka_parse_int(v, -253, 253, &t) == 0 && c->n_words == 2)
                        weight = t;
                else if (!strcmp(k, "init_file") && (c->n_words == 1 || ka_parse_int(v, -1000000, 1000000, &t) == 0 ||
                                                     !strcmp(v, "overwrite"))) {
                        missing = c->n_words > 1 && strcmp(v, "overwrite") ? t : 0;
                        r = ka_note(notes, c->file, c->line, KA_CHANGED,
                                    "%s '%s': promvip does not create the file; a missing file counts as %lld",
                                    s->words[0], p->ka_name, missing);
                } else
                        r = ka_note(notes, c->file, c->line, KA_LOST,
                                    "%s '%s': '%s' not carried over (%s)", s->words[0],
                                    p->ka_name, c->raw,
                                    !strcmp(k, "file") ? "not an absolute path"
                                    : !strcmp(k, "weight") ? "-253..253 without reverse"
                                                           : "no promvip equivalent");
                if (r < 0)
                        return r;
        }
        if (!path)
                return ka_note(notes, s->file, s->line, KA_LOST, "%s '%s' has no file: not carried over", s->words[0],
                               p->ka_name) ?: 1;
        fputs("    { name = ", out);
        ka_put_string(out, p->name);
        fputs("; type = \"file\"; path = ", out);
        ka_put_string(out, path);
        fprintf(out, "; weight = %lld; missing = %lld; }", weight, missing);
        p->ok = true;
        return 0;
}
