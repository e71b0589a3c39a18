/* keepalived's VRRP configuration as promvip.conf: global_defs, the probes
 * (keepalived-script.c), vrrp_instance and vrrp_sync_group; everything
 * else is a note saying why it is not carried over. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/keepalived-internal.h"

static const struct {
        const char *keyword, *why;
} top_level_lost[] = {
        { "virtual_server", "LVS virtual servers: promvip moves a VIP, it does not load-balance" },
        { "virtual_server_group", "LVS virtual servers: promvip moves a VIP, it does not load-balance" },
        { "static_ipaddress", "promvip manages only the VIPs of its instances" },
        { "static_routes", "promvip manages only the VIPs of its instances (no routes)" },
        { "static_rules", "promvip manages only the VIPs of its instances (no rules)" },
        { "vrrp_track_process", "no process tracker: an exec probe (e.g. /usr/bin/pgrep -x NAME) does it" },
        { "track_process", "no process tracker: an exec probe (e.g. /usr/bin/pgrep -x NAME) does it" },
        { "garp_group", "garp settings are per instance in promvip (garp_interval)" },
        { "bfd_instance", "no BFD in promvip" },
        { "linkbeat_interfaces", "promvip sees links through netlink" },
};

static int global_defs(KaConv *cv, const KaStmt *s) {
        for (size_t i = 0; i < s->n_children; i++) {
                const KaStmt *c = s->children[i];
                const char *k = ka_stmt_keyword(c), *v = c->n_words > 1 ? c->words[1] : NULL;
                long long t, *dst = NULL;
                int r = -EINVAL;

                if (!strcmp(k, "router_id") && v) {
                        cv->router_id = v;
                        continue;
                }
                if (!strcmp(k, "script_user") && v) {
                        cv->script_user = v;
                        cv->user_set = true;
                        if (c->n_words > 2)
                                NOTE(cv, c, KA_CHANGED, "script_user: the group '%s' is not carried over (promvip uses "
                                     "the user's own groups)", c->words[2]);
                        continue;
                }
                if (!strcmp(k, "enable_script_security")) {
                        NOTE(cv, c, KA_CHANGED, "enable_script_security: promvip always checks scripts so");
                        continue;
                }
                if (!strcmp(k, "vrrp_version"))
                        r = ka_parse_int(v, 2, 3, &t), dst = &cv->version;
                else if (!strcmp(k, "vrrp_garp_master_delay"))
                        r = ka_parse_int(v, 0, 1000, &t), dst = &cv->garp_delay;
                else if (!strcmp(k, "vrrp_garp_master_repeat"))
                        r = ka_parse_int(v, 1, 255, &t), dst = &cv->garp_repeat;
                else if (!strcmp(k, "vrrp_garp_master_refresh"))
                        r = ka_parse_int(v, 0, 1000000, &t), dst = &cv->garp_refresh;
                else if (!strcmp(k, "vrrp_garp_interval") || !strcmp(k, "vrrp_gna_interval")) {
                        r = ka_parse_msec(v, 0, 10000, &t), dst = &cv->garp_interval;
                        if (r == 0 && cv->garp_interval >= 0 && cv->garp_interval != t)
                                NOTE(cv, c, KA_CHANGED, "%s: promvip has one garp_interval for ARP and NA: the larger "
                                     "is used", k);
                        if (r == 0 && cv->garp_interval > t)
                                t = cv->garp_interval;
                } else {
                        bool mail = !strncmp(k, "notification_email", 18) || !strncmp(k, "smtp_", 5);
                        NOTE(cv, c, KA_LOST, "global_defs: '%s' not carried over (%s)", k,
                             mail ? "promvip sends no mail: a notify hook can" : "no promvip equivalent");
                        continue;
                }
                if (r < 0)
                        NOTE(cv, c, KA_LOST, "global_defs: bad %s '%s' ignored", k, v ?: "");
                else
                        *dst = t;
        }
        return 0;
}

KaProbe *ka_find_probe(KaConv *cv, const char *ka_name, bool file) {
        for (size_t i = 0; i < cv->n_probes; i++)
                if (cv->probes[i].file == file && strcmp(cv->probes[i].ka_name, ka_name) == 0)
                        return &cv->probes[i];
        return NULL;
}

/* notify_* "CMD ARGS" [USER [GROUP]] -> key = command; */
static int notify_line(KaConv *cv, const KaStmt *c, const char *owner, const char *key, FILE *out) {
        _cleanup_(ka_strv_freep) char **w = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        r = ka_split(c->raw, false, &w);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !w[1]) {
                NOTE(cv, c, KA_LOST, "%s: '%s' has no command: not carried over", owner, c->words[0]);
                return 0;
        }
        if (w[2])
                NOTE(cv, c, KA_LOST, "%s: %s: the user '%s' is not carried over: hooks run as global.script_user",
                     owner, c->words[0], w[2]);
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        r = ka_command_convert(c, c->words[0], w[1], cv->o, f, cv->notes);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r == 0) {
                fprintf(out, " %s = %s;", key, text);
                cv->commands = true;
        }
        return r < 0 ? r : 0;
}

int ka_notify_key(const char *k) {
        static const char *const ka[] = { "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify" };
        for (size_t i = 0; i < ELEMENTSOF(ka); i++)
                if (!strcmp(k, ka[i]))
                        return (int) i;
        return -1;
}

static const char *const notify_names[] = { "master", "backup", "fault", "stop", "any" };

int ka_notify_block(KaConv *cv, const KaStmt *s, const char *owner, const char *indent, FILE *out) {
        const KaStmt *last[5] = {};
        bool any = false;
        int r;

        for (size_t i = 0; i < s->n_children; i++) {
                int k = ka_notify_key(ka_stmt_keyword(s->children[i]));
                if (k >= 0) {
                        if (last[k])
                                NOTE(cv, s->children[i], KA_CHANGED, "%s: %s given twice: the first one counts, as in "
                                     "keepalived", owner, ka_stmt_keyword(s->children[i]));
                        else
                                last[k] = s->children[i];
                }
        }
        for (size_t k = 0; k < 5; k++) {
                if (!last[k])
                        continue;
                fputs(any ? "" : indent, out);
                fputs(any ? "" : "notify = {", out);
                any = true;
                r = notify_line(cv, last[k], owner, notify_names[k], out);
                if (r < 0)
                        return r;
        }
        if (any)
                fputs(" };\n", out);
        return 0;
}

static int sync_group(KaConv *cv, const KaStmt *s, FILE *out, bool *first, char ***grouped, size_t *n_grouped) {
        _cleanup_free_ char *name = NULL, *members = NULL, *hooks = NULL;
        size_t mlen = 0, hlen = 0, n = 0;
        const KaStmt *group = NULL;
        FILE *m, *h;
        bool changed;
        int r = 0;

        if (s->n_words != 2 || !s->block) {
                NOTE(cv, s, KA_LOST, "vrrp_sync_group needs a name and a { } block: not carried over");
                return 0;
        }
        for (size_t i = 0; i < s->n_children; i++) {
                const KaStmt *c = s->children[i];
                const char *k = ka_stmt_keyword(c);

                if (!strcmp(k, "group") && c->block && !group)
                        group = c;
                else if (ka_notify_key(k) < 0)
                        NOTE(cv, c, KA_LOST, "vrrp_sync_group '%s': '%s' not carried over (%s)", s->words[1], k,
                             !strcmp(k, "smtp_alert") ? "promvip sends no mail: a notify hook can"
                             : !strncmp(k, "track_", 6) || strstr(k, "tracking")
                                     ? "promvip tracks per instance: track in each instance of the group"
                             : !c->block && c->n_words == 1 ? "keepalived reads instance names only inside group { }"
                                                            : "no promvip equivalent");
        }
        if (!group) {
                NOTE(cv, s, KA_LOST, "vrrp_sync_group '%s' has no group { } block (keepalived ignores it): not "
                     "carried over", s->words[1]);
                return 0;
        }
        name = ka_name_sanitize(s->words[1], &changed);
        m = open_memstream(&members, &mlen);
        if (!name || !m) {
                if (m)
                        fclose(m);
                return -ENOMEM;
        }
        for (size_t i = 0; i < group->n_children && r >= 0; i++)
                for (size_t j = 0; j < group->children[i]->n_words && r >= 0; j++) {
                        const char *in = group->children[i]->words[j];
                        _cleanup_free_ char *iname = NULL;
                        bool known = false, taken = false;
                        char **v;

                        for (size_t k = 0; k < cv->n_instances; k++)
                                known = known || !strcmp(cv->instances[k], in);
                        for (size_t k = 0; k < *n_grouped; k++)
                                taken = taken || !strcmp((*grouped)[k], in);
                        if (!known || taken) {
                                r = ka_note(cv->notes, group->children[i]->file, group->children[i]->line, KA_LOST,
                                            "vrrp_sync_group '%s': instance '%s' %s: left out of the group",
                                            s->words[1], in,
                                            taken ? "is already in a sync group" : "was not carried over");
                                continue;
                        }
                        v = realloc(*grouped, (*n_grouped + 1) * sizeof(char *));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        *grouped = v;
                        v[(*n_grouped)++] = (char *) in;
                        iname = ka_name_sanitize(in, &changed);
                        if (!iname) {
                                r = -ENOMEM;
                                break;
                        }
                        fputs(n++ ? ", " : "", m);
                        ka_put_string(m, iname);
                }
        if (fclose(m) != 0 || r < 0)
                return r < 0 ? r : -ENOMEM;
        if (n < 2) {
                NOTE(cv, s, KA_LOST, "vrrp_sync_group '%s' has %zu instance%s carried over (keepalived removes a "
                     "group of one): not carried over", s->words[1], n, n == 1 ? "" : "s");
                return 0;
        }
        h = open_memstream(&hooks, &hlen);
        if (!h)
                return -ENOMEM;
        r = ka_notify_block(cv, s, s->words[1], "    ", h);
        if (fclose(h) != 0 || r < 0)
                return r < 0 ? r : -ENOMEM;
        fputs(*first ? "sync_groups = (\n" : ",\n", out);
        *first = false;
        fputs("  { name = ", out);
        ka_put_string(out, name);
        fprintf(out, ";\n    instances = ( %s );\n%s  }", members, hooks);
        return 0;
}

static int top_level_note(KaConv *cv, const KaStmt *s) {
        const char *k = ka_stmt_keyword(s);

        for (size_t i = 0; i < ELEMENTSOF(top_level_lost); i++)
                if (!strcmp(k, top_level_lost[i].keyword)) {
                        NOTE(cv, s, KA_LOST, "'%s' not carried over: %s", s->raw, top_level_lost[i].why);
                        return 0;
                }
        NOTE(cv, s, KA_LOST, "'%s' not carried over: no promvip equivalent", k[0] ? k : "{");
        return 0;
}

static int write_probes(KaConv *cv, const KaStmt *root, FILE *out) {
        bool first = true;

        for (size_t i = 0; i < root->n_children; i++) {
                const KaStmt *s = root->children[i];
                const char *k = ka_stmt_keyword(s);
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                KaProbe *v;
                FILE *f;
                int r;

                if (strcmp(k, "vrrp_script") && strcmp(k, "vrrp_track_file") && strcmp(k, "track_file"))
                        continue;
                if (s->n_words == 2 && ka_find_probe(cv, s->words[1], strcmp(k, "vrrp_script") != 0)) {
                        NOTE(cv, s, KA_LOST, "%s '%s' defined twice: the first one counts", k, s->words[1]);
                        continue;
                }
                v = realloc(cv->probes, (cv->n_probes + 1) * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                cv->probes = v;
                v[cv->n_probes] = (KaProbe) { .file = strcmp(k, "vrrp_script") != 0 };
                f = open_memstream(&text, &len);
                if (!f)
                        return -ENOMEM;
                r = strcmp(k, "vrrp_script") == 0
                            ? ka_script_convert(s, cv->o, cv->script_user, f, &v[cv->n_probes], cv->notes)
                            : ka_track_file_convert(s, f, &v[cv->n_probes], cv->notes);
                cv->n_probes++;
                if (fclose(f) != 0 && r == 0)
                        r = -ENOMEM;
                if (r < 0)
                        return r;
                if (!v[cv->n_probes - 1].ka_name) { /* no name: nothing can track it */
                        cv->n_probes--;
                        free(v[cv->n_probes].name);
                }
                if (r == 0) {
                        cv->commands = cv->commands || strcmp(k, "vrrp_script") == 0;
                        fputs(first ? "probes = (\n" : ",\n", out);
                        fputs(text, out);
                        first = false;
                }
        }
        if (!first)
                fputs("\n);\n\n", out);
        return 0;
}

int ka_convert(const KaStmt *root, const KaConvertOptions *o, FILE *out, KaNotes *notes) {
        KaConv cv = { .o = o, .notes = notes, .script_user = "promvip", .garp_delay = -1, .garp_repeat = -1,
                    .garp_refresh = -1, .garp_interval = -1 };
        _cleanup_free_ char **grouped = NULL;
        size_t n_grouped = 0;
        bool first = true, user_given = false;
        int r = 0;

        for (size_t i = 0; i < root->n_children && r >= 0; i++)
                if (!strcmp(ka_stmt_keyword(root->children[i]), "global_defs")) {
                        user_given = true;
                        r = global_defs(&cv, root->children[i]);
                }
        user_given = user_given && strcmp(cv.script_user, "promvip") != 0;
        fputs("# Converted from keepalived by promvipctl import-keepalived; see its report.\n", out);
        if (r >= 0 && (cv.router_id || user_given)) {
                fputs("global = {", out);
                if (cv.router_id)
                        fputs(" router_id = ", out), ka_put_string(out, cv.router_id), fputs(";", out);
                if (user_given)
                        fputs(" script_user = ", out), ka_put_string(out, cv.script_user), fputs(";", out);
                fputs(" };\n\n", out);
        }
        if (r >= 0)
                r = write_probes(&cv, root, out);
        for (size_t i = 0; i < root->n_children && r >= 0; i++)
                if (!strcmp(ka_stmt_keyword(root->children[i]), "vrrp_instance"))
                        r = ka_instance(&cv, root->children[i], out, &first);
        if (r >= 0 && first)
                r = ka_note(notes, root->n_children ? root->children[0]->file : NULL, 0, KA_LOST,
                            "no vrrp_instance carried over: promvip needs at least one instance");
        else if (r >= 0 && !first)
                fputs("\n);\n", out);
        first = true;
        for (size_t i = 0; i < root->n_children && r >= 0; i++)
                if (!strcmp(ka_stmt_keyword(root->children[i]), "vrrp_sync_group"))
                        r = sync_group(&cv, root->children[i], out, &first, &grouped, &n_grouped);
        if (r >= 0 && !first)
                fputs("\n);\n", out);
        for (size_t i = 0; i < root->n_children && r >= 0; i++) {
                const char *k = ka_stmt_keyword(root->children[i]);
                if (strcmp(k, "global_defs") && strcmp(k, "vrrp_instance") && strcmp(k, "vrrp_sync_group") &&
                    strcmp(k, "vrrp_script") && strcmp(k, "vrrp_track_file") && strcmp(k, "track_file"))
                        r = top_level_note(&cv, root->children[i]);
        }
        if (r >= 0 && cv.commands && !cv.user_set)
                r = ka_note(notes, root->children[0]->file, 0, KA_CHANGED,
                            "scripts and hooks run as promvip's default script_user 'promvip' (keepalived's default: "
                            "'keepalived_script' if it exists, else root); set global.script_user if they need more");
        for (size_t i = 0; i < cv.n_probes; i++) {
                free(cv.probes[i].ka_name);
                free(cv.probes[i].name);
        }
        free(cv.probes);
        for (size_t i = 0; i < cv.n_instances; i++)
                free(cv.instances[i]);
        free(cv.instances);
        return r < 0 || notes->oom ? -ENOMEM : 0;
}
