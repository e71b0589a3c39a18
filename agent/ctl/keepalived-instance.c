/* A vrrp_instance as a promvip instance: VIPs and their options, unicast
 * peers, authentication, tracked scripts, files and interfaces, hooks and
 * garp settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-internal.h"

/* track_script / track_file lines: NAME [weight W [reverse]]. */
static int tracks(KaConv *cv, const KaStmt *b, bool file, const char *iname, FILE *out, bool *first) {
        for (size_t i = 0; i < b->n_children; i++) {
                const KaStmt *c = b->children[i];
                const char *n = ka_stmt_keyword(c);
                KaProbe *p = ka_find_probe(cv, n, file);
                long long w = 0;

                if (!p || !p->ok) {
                        NOTE(cv, c, KA_LOST, "instance '%s': %s '%s' %s: not tracked", iname, b->words[0], n,
                             p ? "was not carried over" : "is not defined");
                        continue;
                }
                if (c->n_words > 1 && (c->n_words < 3 || strcmp(c->words[1], "weight") != 0 ||
                                       ka_parse_int(c->words[2], -254, 254, &w) < 0 || c->n_words > 4 ||
                                       (c->n_words == 4 && strcmp(c->words[3], "reverse") != 0))) {
                        NOTE(cv, c, KA_LOST, "instance '%s': '%s' not understood: not tracked", iname, c->raw);
                        continue;
                }
                if (c->n_words == 4) {
                        NOTE(cv, c, KA_LOST, "instance '%s': 'reverse' has no promvip equivalent: '%s' not tracked",
                             iname, n);
                        continue;
                }
                if (w < -253 || w > 253) {
                        NOTE(cv, c, KA_CHANGED, "instance '%s': weight %lld clamped to promvip's -253..253", iname, w);
                        w = w < 0 ? -253 : 253;
                }
                fputs(*first ? "" : ", ", out);
                *first = false;
                if (c->n_words > 1) {
                        fputs("{ probe = ", out);
                        ka_put_string(out, p->name);
                        fprintf(out, "; weight = %lld; }", w);
                } else
                        ka_put_string(out, p->name);
        }
        return 0;
}

static int track_interfaces(KaConv *cv, const KaStmt *b, const char *iname, FILE *out) {
        bool first = true;

        for (size_t i = 0; i < b->n_children; i++) {
                const KaStmt *c = b->children[i];
                long long w = 0;

                if (c->n_words == 4 && !strcmp(c->words[3], "reverse")) {
                        NOTE(cv, c, KA_LOST, "instance '%s': track_interface '%s': 'reverse' has no promvip "
                             "equivalent: not tracked", iname, c->words[0]);
                        continue;
                }
                if (c->n_words != 1 && (c->n_words != 3 || strcmp(c->words[1], "weight") != 0 ||
                                        ka_parse_int(c->words[2], -253, 253, &w) < 0)) {
                        NOTE(cv, c, KA_LOST, "instance '%s': track_interface '%s' not understood: not tracked", iname,
                             c->raw);
                        continue;
                }
                fputs(first ? "    track_interfaces = ( " : ", ", out);
                first = false;
                if (w == 0)
                        ka_put_string(out, c->words[0]);
                else {
                        fputs("{ interface = ", out);
                        ka_put_string(out, c->words[0]);
                        fprintf(out, "; weight = %lld; }", w);
                }
        }
        if (!first)
                fputs(" );\n", out);
        return 0;
}

typedef struct Inst {
        const char *name, *iface, *src;
        long long vrid, prio, advert, version, preempt_delay, ttl, min_ttl;
        long long garp_delay, garp_repeat, garp_refresh;
        bool preempt, native6, fam6, fam_set;
        const KaStmt *vips, *peers, *auth, *tscript, *tfile, *tif, *ttl_stmt, *delay_stmt, *advert_stmt;
} Inst;

static bool is6(const char *a) {
        return strchr(a, ':') != NULL;
}

/* One virtual_ipaddress line: ADDRESS[/LEN] [dev IF] [label L] [scope S] ... */
static int vip_line(KaConv *cv, const Inst *in, const KaStmt *c, FILE *out, size_t *n) {
        static const char *const with_value[] = { "dev", "scope", "label", "brd", "broadcast", "preferred_lft",
                                                  "peer" };
        const char *a = c->words[0];

        for (size_t i = 1; i < c->n_words; i++) {
                const char *o = c->words[i], *v = i + 1 < c->n_words ? c->words[i + 1] : "";
                bool takes = false;

                for (size_t k = 0; k < ELEMENTSOF(with_value); k++)
                        takes = takes || !strcmp(o, with_value[k]);
                if (!strcmp(o, "dev") && in->iface && strcmp(v, in->iface) != 0) {
                        NOTE(cv, c, KA_LOST,
                             "instance '%s': VIP %s on another interface (dev %s): promvip puts the VIPs "
                             "on the instance's interface: left out", in->name, a, v);
                        return 0;
                }
                if (strcmp(o, "dev") != 0)
                        NOTE(cv, c, KA_CHANGED, "instance '%s': VIP %s: '%s%s%s' not carried over (promvip adds the "
                             "address with its prefix only)", in->name, a, o, takes ? " " : "", takes ? v : "");
                i += takes;
        }
        if (*n > 0 && in->fam6 != is6(a)) {
                NOTE(cv, c, KA_LOST,
                     "instance '%s': VIP %s is not of the instance's address family: left out", in->name, a);
                return 0;
        }
        for (size_t k = 0; k < in->vips->n_children; k++) {
                const KaStmt *o = in->vips->children[k];
                if (o == c)
                        break;
                if (o->n_words > 0 && !strcmp(o->words[0], a)) {
                        NOTE(cv, c, KA_CHANGED, "instance '%s': VIP %s listed twice: once", in->name, a);
                        return 0;
                }
        }
        fputs(*n ? ", " : "    virtual_addresses = ( ", out);
        ka_put_string(out, a);
        (*n)++;
        return 0;
}

static int peers(KaConv *cv, Inst *in, FILE *out) {
        size_t n = 0;

        for (size_t i = 0; i < in->peers->n_children; i++) {
                const KaStmt *c = in->peers->children[i];
                if (c->n_words == 0)
                        continue;
                for (size_t j = 1; j < c->n_words; j += 2) {
                        long long t;
                        bool min = !strcmp(c->words[j], "min_ttl");
                        if ((!min && strcmp(c->words[j], "max_ttl")) || j + 1 >= c->n_words ||
                            ka_parse_int(c->words[j + 1], 0, 255, &t) < 0)
                                NOTE(cv, c, KA_LOST, "instance '%s': unicast_peer %s: '%s' not understood", in->name,
                                     c->words[0], c->words[j]);
                        else if (!min && t != 255)
                                NOTE(cv, c, KA_LOST,
                                     "instance '%s': unicast_peer %s: max_ttl has no promvip equivalent",
                                     in->name, c->words[0]);
                        else if (min && t > 0) {
                                if (in->min_ttl >= 0 && in->min_ttl != t)
                                        NOTE(cv, c, KA_CHANGED,
                                             "instance '%s': promvip has one unicast_min_ttl for all "
                                             "peers: the smallest is used", in->name);
                                if (in->min_ttl < 0 || t < in->min_ttl)
                                        in->min_ttl = t;
                        }
                }
                fputs(n++ ? ", " : "    unicast_peers = ( ", out);
                ka_put_string(out, c->words[0]);
                if (n == 1 && !in->vips) {
                        in->fam6 = is6(c->words[0]);
                        in->fam_set = true;
                }
        }
        if (n)
                fputs(" );\n", out);
        return 0;
}

static int auth(KaConv *cv, const Inst *in, FILE *out) {
        const char *type = NULL, *pass = NULL;

        for (size_t i = 0; i < in->auth->n_children; i++) {
                const KaStmt *c = in->auth->children[i];
                const char *k = ka_stmt_keyword(c);
                if (!strcmp(k, "auth_type") && c->n_words > 1)
                        type = c->words[1];
                else if (!strcmp(k, "auth_pass") && c->n_words > 1)
                        pass = c->words[1];
                else
                        NOTE(cv, c, KA_LOST, "instance '%s': authentication: '%s' not carried over", in->name, k);
        }
        if (!type || strcasecmp(type, "PASS") != 0 || !pass || !pass[0]) {
                NOTE(cv, in->auth, KA_LOST, "instance '%s': authentication %s: not carried over (promvip has auth_type "
                     "PASS only; IPsec AH is not supported)", in->name, type ?: "without auth_type");
                return 0;
        }
        if (in->version == 3) {
                NOTE(cv, in->auth, KA_CHANGED, "instance '%s': authentication is ignored with VRRP version 3, by "
                     "keepalived too: left out", in->name);
                return 0;
        }
        if (strlen(pass) > 8)
                NOTE(cv, in->auth, KA_CHANGED, "instance '%s': auth_pass truncated to 8 characters, as keepalived does",
                     in->name);
        fprintf(out, "    auth = { type = \"pass\"; password = ");
        _cleanup_free_ char *p8 = strndup(pass, 8);
        if (!p8)
                return -ENOMEM;
        ka_put_string(out, p8);
        fputs("; };\n", out);
        return 0;
}

static const char *const instance_lost[][2] = {
        { "smtp_alert", "promvip sends no mail: a notify hook can" },
        { "use_vmac", "no VMAC interfaces in promvip: the VIPs go on the interface with its MAC" },
        { "virtual_ipaddress_excluded", "promvip advertises every VIP it adds" },
        { "virtual_routes", "promvip manages only the VIPs (no routes)" },
        { "virtual_rules", "promvip manages only the VIPs (no rules)" },
        { "lvs_sync_daemon_interface", "no LVS in promvip" },
        { "dont_track_primary", "promvip always goes to FAULT when the instance's interface is down" },
        { "notify_deleted", "no such hook in promvip" },
        { "notify_master_rx_lower_pri", "no such hook in promvip" },
        { "strict_mode", "promvip is strict about adverts always (RFC 5798 checks)" },
};

static int collect(KaConv *cv, Inst *in, const KaStmt *s) {
        for (size_t i = 0; i < s->n_children; i++) {
                const KaStmt *c = s->children[i];
                const char *k = ka_stmt_keyword(c), *v = c->n_words > 1 ? c->words[1] : NULL;
                const KaStmt **blk = NULL;
                int r = 0;

                if (!strcmp(k, "virtual_ipaddress"))
                        blk = &in->vips;
                else if (!strcmp(k, "unicast_peer"))
                        blk = &in->peers;
                else if (!strcmp(k, "authentication"))
                        blk = &in->auth;
                else if (!strcmp(k, "track_script"))
                        blk = &in->tscript;
                else if (!strcmp(k, "track_file"))
                        blk = &in->tfile;
                else if (!strcmp(k, "track_interface"))
                        blk = &in->tif;
                if (blk) {
                        if (!c->block)
                                NOTE(cv, c, KA_LOST, "instance '%s': %s without a { } block ignored", in->name, k);
                        else if (*blk)
                                NOTE(cv, c, KA_LOST, "instance '%s': second %s block ignored", in->name, k);
                        else
                                *blk = c;
                        continue;
                }
                if (!strcmp(k, "state")) {
                        NOTE(cv, c, KA_CHANGED, "instance '%s': 'state %s' has no equivalent: promvip starts as "
                             "BACKUP and the election (priorities) picks the master", in->name, v ?: "");
                        continue;
                }
                if (!strcmp(k, "interface") && v)
                        in->iface = v;
                else if (!strcmp(k, "unicast_src_ip") || !strcmp(k, "mcast_src_ip"))
                        in->src = v;
                else if (!strcmp(k, "virtual_router_id"))
                        r = ka_parse_int(v, 1, 255, &in->vrid);
                else if (!strcmp(k, "priority"))
                        r = ka_parse_int(v, 1, 255, &in->prio);
                else if (!strcmp(k, "advert_int"))
                        r = ka_parse_msec(v, 10, 255000, &in->advert), in->advert_stmt = c;
                else if (!strcmp(k, "version"))
                        r = ka_parse_int(v, 2, 3, &in->version);
                else if (!strcmp(k, "nopreempt"))
                        in->preempt = false;
                else if (!strcmp(k, "preempt"))
                        in->preempt = true;
                else if (!strcmp(k, "preempt_delay"))
                        r = ka_parse_msec(v, 0, 1000000, &in->preempt_delay), in->delay_stmt = c;
                else if (!strcmp(k, "unicast_ttl"))
                        r = ka_parse_int(v, 1, 255, &in->ttl), in->ttl_stmt = c;
                else if (!strcmp(k, "garp_master_delay"))
                        r = ka_parse_int(v, 0, 1000, &in->garp_delay);
                else if (!strcmp(k, "garp_master_repeat"))
                        r = ka_parse_int(v, 1, 255, &in->garp_repeat);
                else if (!strcmp(k, "garp_master_refresh"))
                        r = ka_parse_int(v, 0, 1000000, &in->garp_refresh);
                else if (!strcmp(k, "native_ipv6"))
                        in->native6 = true;
                else if (!strcmp(k, "no_virtual_ipaddress"))
                        ;
                else if (ka_notify_key(k) >= 0)
                        ;
                else {
                        const char *why = "no promvip equivalent";
                        for (size_t j = 0; j < ELEMENTSOF(instance_lost); j++)
                                if (!strcmp(k, instance_lost[j][0]))
                                        why = instance_lost[j][1];
                        NOTE(cv, c, KA_LOST, "instance '%s': '%s' not carried over (%s)", in->name, k, why);
                        continue;
                }
                if (r < 0 || (!v && (strcmp(k, "nopreempt") && strcmp(k, "preempt") && strcmp(k, "native_ipv6") &&
                                     strcmp(k, "no_virtual_ipaddress") && ka_notify_key(k) < 0)))
                        NOTE(cv, c, KA_LOST, "instance '%s': bad %s '%s' ignored", in->name, k, v ?: "");
        }
        return 0;
}

static int body(KaConv *cv, Inst *in, const KaStmt *s, FILE *out) {
        size_t n = 0;
        bool first = true;

        if (in->vips)
                for (size_t i = 0; i < in->vips->n_children; i++) {
                        const KaStmt *c = in->vips->children[i];
                        if (c->n_words == 0)
                                continue;
                        if (n == 0) {
                                in->fam6 = is6(c->words[0]);
                                in->fam_set = true;
                        }
                        if (vip_line(cv, in, c, out, &n) < 0)
                                return -ENOMEM;
                }
        if (n)
                fputs(" );\n", out);
        else
                NOTE(cv, in->vips ?: s, KA_CHANGED, "instance '%s' has no VIP: an instance without VIP, whose notify "
                     "hooks move the address", in->name);
        if (in->peers && peers(cv, in, out) < 0)
                return -ENOMEM;
        if (in->src) {
                fputs("    source_address = ", out);
                ka_put_string(out, in->src);
                fputs(";\n", out);
                if (!in->fam_set) {
                        in->fam6 = is6(in->src);
                        in->fam_set = true;
                }
        }
        if (!n && !in->fam_set && in->native6)
                fputs("    family = \"ipv6\";\n", out);
        if (in->ttl_stmt && in->ttl >= 0) {
                if (!in->peers)
                        NOTE(cv, in->ttl_stmt, KA_CHANGED, "instance '%s': unicast_ttl without unicast_peer: left out, "
                             "as keepalived ignores it", in->name);
                else
                        fprintf(out, "    unicast_ttl = %lld;\n", in->ttl);
        }
        if (in->peers && in->min_ttl > 0)
                fprintf(out, "    unicast_min_ttl = %lld;\n", in->min_ttl);
        if (in->auth && auth(cv, in, out) < 0)
                return -ENOMEM;
        if (in->tscript || in->tfile) {
                _cleanup_free_ char *t = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&t, &len);
                int r = 0;
                if (!f)
                        return -ENOMEM;
                if (in->tscript)
                        r = tracks(cv, in->tscript, false, in->name, f, &first);
                if (r >= 0 && in->tfile)
                        r = tracks(cv, in->tfile, true, in->name, f, &first);
                if (fclose(f) != 0 || r < 0)
                        return -ENOMEM;
                if (!first)
                        fprintf(out, "    track = ( %s );\n", t);
        }
        if (in->tif && track_interfaces(cv, in->tif, in->name, out) < 0)
                return -ENOMEM;
        if (ka_notify_block(cv, s, in->name, "    ", out) < 0)
                return -ENOMEM;
        if (in->garp_delay >= 0)
                fprintf(out, "    garp_master_delay = %lld;\n", in->garp_delay);
        if (in->garp_repeat >= 0)
                fprintf(out, "    garp_master_repeat = %lld;\n", in->garp_repeat);
        if (in->garp_refresh >= 0)
                fprintf(out, "    garp_master_refresh = %lld;\n", in->garp_refresh);
        if (cv->garp_interval >= 0) {
                fputs("    garp_interval = ", out);
                ka_put_seconds(out, cv->garp_interval);
                fputs(";\n", out);
        }
        return 0;
}

int ka_instance(KaConv *cv, const KaStmt *s, FILE *out, bool *first) {
        _cleanup_free_ char *name = NULL, *text = NULL;
        Inst in = { .prio = 100, .advert = 1000, .preempt = true, .preempt_delay = -1, .ttl = -1, .min_ttl = -1,
                    .garp_delay = cv->garp_delay, .garp_repeat = cv->garp_repeat, .garp_refresh = cv->garp_refresh };
        size_t len = 0;
        bool changed;
        char **v;
        FILE *f;
        int r;

        if (s->n_words != 2 || !s->block) {
                NOTE(cv, s, KA_LOST, "vrrp_instance needs a name and a { } block: not carried over");
                return 0;
        }
        in.name = s->words[1];
        name = ka_name_sanitize(in.name, &changed);
        if (!name)
                return -ENOMEM;
        if (changed)
                NOTE(cv, s, KA_CHANGED, "vrrp_instance '%s' is named '%s' (promvip's name rules)", in.name, name);
        if (collect(cv, &in, s) < 0)
                return -ENOMEM;
        if (!in.iface || !in.vrid) {
                NOTE(cv, s, KA_LOST, "vrrp_instance '%s' has no %s (keepalived rejects it too): not carried over",
                     in.name, in.iface ? "virtual_router_id" : "interface");
                return 0;
        }
        /* The family decides the version: keepalived runs IPv6 with version 3. */
        if (in.vips && in.vips->n_children > 0 && in.vips->children[0]->n_words > 0)
                in.fam6 = is6(in.vips->children[0]->words[0]);
        else if (in.peers && in.peers->n_children > 0 && in.peers->children[0]->n_words > 0)
                in.fam6 = is6(in.peers->children[0]->words[0]);
        else if (in.src)
                in.fam6 = is6(in.src);
        else
                in.fam6 = in.native6;
        if (!in.version)
                in.version = cv->version ?: 2;
        if (in.fam6 && in.version == 2) {
                NOTE(cv, s, KA_CHANGED, "instance '%s': IPv6 runs VRRP version 3 (keepalived switches to it too)",
                     in.name);
                in.version = 3;
        }
        if (in.version == 2 && in.advert % 1000) {
                NOTE(cv, in.advert_stmt, KA_CHANGED, "instance '%s': advert_int rounded up to whole seconds for "
                     "version 2", in.name);
                in.advert = (in.advert / 1000 + 1) * 1000;
        } else if (in.version == 3 && in.advert % 10)
                in.advert = (in.advert / 10 + 1) * 10;
        if (in.version == 3 && in.advert > 40950) {
                NOTE(cv, in.advert_stmt, KA_CHANGED,
                     "instance '%s': advert_int lowered to version 3's maximum, 40.95 s",
                     in.name);
                in.advert = 40950;
        }
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fputs("  { name = ", f);
        ka_put_string(f, name);
        fputs("; interface = ", f);
        ka_put_string(f, in.iface);
        fprintf(f, "; vrid = %lld; priority = %lld; version = %lld;\n    advert_interval = ", in.vrid, in.prio,
                in.version);
        ka_put_seconds(f, in.advert);
        fputs(";", f);
        if (!in.preempt)
                fputs(" preempt = false;", f);
        if (in.preempt_delay > 0 && !in.preempt)
                (void) ka_note(cv->notes, in.delay_stmt->file, in.delay_stmt->line, KA_CHANGED,
                               "instance '%s': preempt_delay with nopreempt: left out (keepalived ignores it too)",
                               in.name);
        else if (in.preempt_delay > 0) {
                fputs(" preempt_delay = ", f);
                ka_put_seconds(f, in.preempt_delay);
                fputs(";", f);
        }
        fputs("\n", f);
        r = body(cv, &in, s, f);
        fputs("  }", f);
        if (fclose(f) != 0 || r < 0)
                return -ENOMEM;
        v = realloc(cv->instances, (cv->n_instances + 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        cv->instances = v;
        v[cv->n_instances] = strdup(in.name);
        if (!v[cv->n_instances])
                return -ENOMEM;
        cv->n_instances++;
        fputs(*first ? "instances = (\n" : ",\n", out);
        *first = false;
        fputs(text, out);
        return 0;
}
