/* Loading a whole Config: the file, `global`, and the checks that span
 * several probes or instances. Probes and instances: conf-probe.c,
 * conf-instance.c. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

#include "conf/conf-internal.h"
#include "shared/log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)

#define CONF_UNIX_PATH_MAX ((int) sizeof(((struct sockaddr_un *) NULL)->sun_path))

static const char *const top_keys[] = { "global", "probes", "instances", "sync_groups", NULL };
static const char *const global_keys[] = { "router_id",   "listen",           "control_socket",
                                            "script_user", "log_level",        "realtime_priority",
                                            "lock_memory", "event_history",    NULL };

/* "ADDR:PORT" or "[ADDR6]:PORT"; "" is valid and means disabled. */
static int parse_listen(const char *s, IpAddr *ret_addr, uint16_t *ret_port) {
        char host[IP_ADDR_STRLEN];
        const char *colon, *h = s;
        size_t hl;
        char *end;
        unsigned long port;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                h = s + 1;
                hl = (size_t) (close - h);
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return -EINVAL;
                hl = (size_t) (colon - s);
        }
        if (hl == 0 || hl >= sizeof(host))
                return -EINVAL;
        memcpy(host, h, hl);
        host[hl] = '\0';
        if (ip_addr_parse(host, ret_addr) < 0 || (s[0] == '[') != (ret_addr->family == AF_INET6))
                return -EINVAL;
        if (colon[1] < '0' || colon[1] > '9')
                return -EINVAL;
        port = strtoul(colon + 1, &end, 10);
        if (*end != '\0' || port == 0 || port > 65535)
                return -EINVAL;
        *ret_port = (uint16_t) port;
        return 0;
}

static void parse_global(ConfCtx *ctx, const config_setting_t *root, GlobalConfig *g) {
        const config_setting_t *s = config_setting_get_member(root, "global");
        _cleanup_free_ char *level = NULL;
        char host[256] = "";
        long long rt = 0, history = 0;

        g->log_level = -1;
        g->event_history = CONF_DEFAULT_EVENT_HISTORY;
        if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
                conf_error(ctx, s, "'global' must be a group: global = { ... };");
                s = NULL;
        }
        if (s) {
                snprintf(ctx->where, sizeof(ctx->where), "global");
                conf_check_keys(ctx, s, global_keys);
                (void) conf_get_string(ctx, s, "router_id", &g->router_id);
                (void) conf_get_string(ctx, s, "listen", &g->listen);
                (void) conf_get_string(ctx, s, "script_user", &g->script_user);
                (void) conf_get_string(ctx, s, "control_socket", &g->control_socket);
                /* 0 is accepted as "off" (the default), as keepalived's vrrp_rt_priority. */
                if (conf_get_int(ctx, s, "realtime_priority", 0, CONF_REALTIME_PRIORITY_MAX, &rt) > 0)
                        g->realtime_priority = (int) rt;
                (void) conf_get_bool(ctx, s, "lock_memory", &g->lock_memory);
                if (conf_get_int(ctx, s, "event_history", 0, CONF_EVENT_HISTORY_MAX, &history) > 0)
                        g->event_history = (unsigned) history;
                if (conf_get_string(ctx, s, "log_level", &level) > 0) {
                        g->log_level = log_level_from_string(level);
                        if (g->log_level < 0)
                                conf_error(ctx, config_setting_get_member(s, "log_level"),
                                           "unknown log_level '%s': use %s", level, LOG_LEVEL_NAMES);
                }
                if (g->router_id && !g->router_id[0])
                        conf_error(ctx, config_setting_get_member(s, "router_id"), "'router_id' must not be empty");
                if (g->script_user && !g->script_user[0])
                        conf_error(ctx, config_setting_get_member(s, "script_user"), "'script_user' must not be empty");
                if (g->listen && g->listen[0] && parse_listen(g->listen, &g->listen_addr, &g->listen_port) < 0)
                        conf_error(ctx, config_setting_get_member(s, "listen"),
                                   "bad listen address '%s': expected IPv4:PORT, [IPv6]:PORT or \"\" to disable",
                                   g->listen);
                if (g->control_socket && g->control_socket[0] &&
                    (g->control_socket[0] != '/' || strlen(g->control_socket) >= CONF_UNIX_PATH_MAX))
                        conf_error(ctx, config_setting_get_member(s, "control_socket"),
                                   "bad control_socket '%s': expected an absolute path shorter than %d characters, "
                                   "or \"\" to disable",
                                   g->control_socket, CONF_UNIX_PATH_MAX);
                ctx->where[0] = '\0';
        }
        if (!g->router_id) {
                (void) gethostname(host, sizeof(host) - 1);
                g->router_id = conf_strdup(ctx, host[0] ? host : "promvip");
        }
        if (!g->listen) {
                g->listen = conf_strdup(ctx, CONF_DEFAULT_LISTEN);
                (void) parse_listen(CONF_DEFAULT_LISTEN, &g->listen_addr, &g->listen_port);
        }
        if (!g->control_socket)
                g->control_socket = conf_strdup(ctx, CONF_DEFAULT_CONTROL_SOCKET);
        if (!g->script_user)
                g->script_user = conf_strdup(ctx, CONF_DEFAULT_SCRIPT_USER);
}

static void parse_probes(ConfCtx *ctx, const config_setting_t *root, Config *c) {
        const config_setting_t *list = conf_get_group_list(ctx, root, "probes");
        int n = list ? config_setting_length(list) : 0;

        if (n == 0 || !(c->probes = conf_calloc(ctx, (size_t) n, sizeof(ProbeConfig))))
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(list, (unsigned) i);
                ProbeConfig *p = &c->probes[c->n_probes++];

                snprintf(ctx->where, sizeof(ctx->where), "probes[%d]", i + 1);
                (void) conf_parse_probe(ctx, e, p);
                for (size_t j = 0; p->name && j + 1 < c->n_probes; j++)
                        if (c->probes[j].name && strcmp(c->probes[j].name, p->name) == 0)
                                conf_error(ctx, config_setting_get_member(e, "name"),
                                           "duplicate probe name (first defined at line %u)",
                                           c->probes[j].line);
        }
        ctx->where[0] = '\0';
}

static void check_instance_conflicts(ConfCtx *ctx, const config_setting_t *e, const Config *c,
                                     const InstanceConfig *in) {
        char buf[IP_PREFIX_STRLEN];

        for (size_t j = 0; j + 1 < c->n_instances; j++) {
                const InstanceConfig *o = &c->instances[j];

                if (in->name && o->name && strcmp(in->name, o->name) == 0)
                        conf_error(ctx, config_setting_get_member(e, "name"),
                                   "duplicate instance name (first defined at line %u)", o->line);
                if (in->interface && o->interface && strcmp(in->interface, o->interface) == 0 &&
                    in->vrid == o->vrid && in->vrid && in->family == o->family)
                        conf_error(ctx, config_setting_get_member(e, "vrid"),
                                   "vrid %u on %s (%s) is already used by instance '%s' at line %u",
                                   in->vrid, in->interface, ip_family_name(in->family),
                                   o->name ? o->name : "?", o->line);
                for (size_t a = 0; a < in->n_vips; a++)
                        for (size_t b = 0; b < o->n_vips; b++)
                                if (ip_addr_equal(&in->vips[a].addr, &o->vips[b].addr))
                                        conf_error(ctx, config_setting_get_member(e, "virtual_addresses"),
                                                   "virtual address %s is also held by instance '%s' at line %u",
                                                   ip_prefix_to_string(&in->vips[a], buf),
                                                   o->name ? o->name : "?", o->line);
        }
}

static void parse_instances(ConfCtx *ctx, const config_setting_t *root, Config *c) {
        const config_setting_t *list = conf_get_group_list(ctx, root, "instances");
        int n = list ? config_setting_length(list) : 0;

        if (n == 0) {
                if (!config_setting_get_member(root, "instances"))
                        conf_error(ctx, root, "no 'instances' defined: promvipd needs at least one virtual router");
                else if (list)
                        conf_error(ctx, list, "'instances' is empty: promvipd needs at least one virtual router");
                return;
        }
        c->instances = conf_calloc(ctx, (size_t) n, sizeof(InstanceConfig));
        if (!c->instances)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(list, (unsigned) i);
                InstanceConfig *in = &c->instances[c->n_instances++];

                snprintf(ctx->where, sizeof(ctx->where), "instances[%d]", i + 1);
                (void) conf_parse_instance(ctx, e, c, in);
                check_instance_conflicts(ctx, e, c, in);
        }
        ctx->where[0] = '\0';
}

/* Reads an already parsed libconfig tree into a Config. */
static int conf_from_libconfig(config_t *cfg, const char *name, Config **ret, ConfErrors *errs) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        const config_setting_t *root = config_root_setting(cfg);
        ConfCtx ctx = { .file = name, .errs = errs };
        size_t errors_before = errs->n;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        if (!(c->path = strdup(name)))
                return -ENOMEM;

        conf_check_keys(&ctx, root, top_keys);
        parse_global(&ctx, root, &c->global);
        parse_probes(&ctx, root, c);
        parse_instances(&ctx, root, c);
        conf_parse_sync_groups(&ctx, root, c);

        if (ctx.oom)
                return -ENOMEM;
        if (errs->n > errors_before) {
                conf_errors_sort(errs, errors_before);
                return -EINVAL;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static int parse_error(config_t *cfg, const char *name, ConfErrors *errs) {
        ConfCtx ctx = { .file = name, .errs = errs };
        const char *file = config_error_file(cfg);

        conf_error_at(&ctx, file ? file : name, (unsigned) config_error_line(cfg), "%s",
                      config_error_text(cfg));
        return ctx.oom ? -ENOMEM : -EINVAL;
}

int conf_load_file(const char *path, Config **ret, ConfErrors *errs) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *dir = NULL;
        config_t cfg;
        int r;

        f = fopen(path, "re");
        if (!f) {
                ConfCtx ctx = { .file = path, .errs = errs };
                conf_error_at(&ctx, path, 0, "cannot open: %s", strerror(errno));
                return ctx.oom ? -ENOMEM : -errno;
        }
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;

        config_init(&cfg);
        config_set_include_dir(&cfg, dirname(dir));
        if (config_read(&cfg, f) != CONFIG_TRUE)
                r = parse_error(&cfg, path, errs);
        else
                r = conf_from_libconfig(&cfg, path, ret, errs);
        config_destroy(&cfg);
        return r;
}

int conf_load_string(const char *text, const char *name, Config **ret, ConfErrors *errs) {
        config_t cfg;
        int r;

        config_init(&cfg);
        if (config_read_string(&cfg, text) != CONFIG_TRUE)
                r = parse_error(&cfg, name, errs);
        else
                r = conf_from_libconfig(&cfg, name, ret, errs);
        config_destroy(&cfg);
        return r;
}

Config *conf_ref(Config *c) {
        if (c)
                c->n_ref++;
        return c;
}

Config *conf_unref(Config *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        for (size_t i = 0; i < c->n_probes; i++)
                conf_probe_free(&c->probes[i]);
        free(c->probes);
        for (size_t i = 0; i < c->n_instances; i++)
                conf_instance_free(&c->instances[i]);
        free(c->instances);
        for (size_t i = 0; i < c->n_sync_groups; i++)
                conf_sync_group_free(&c->sync_groups[i]);
        free(c->sync_groups);
        free(c->global.router_id);
        free(c->global.listen);
        free(c->global.control_socket);
        free(c->global.script_user);
        free(c->path);
        free(c);
        return NULL;
}

void conf_unrefp(Config **c) {
        *c = conf_unref(*c);
}

static bool has_hooks(const NotifyConfig *n) {
        return n->master.argv || n->backup.argv || n->fault.argv || n->stop.argv || n->any.argv;
}

bool conf_runs_commands(const Config *c) {
        for (size_t k = 0; k < c->n_probes; k++)
                if (c->probes[k].kind == PROBE_EXEC)
                        return true;
        for (size_t k = 0; k < c->n_instances; k++)
                if (has_hooks(&c->instances[k].notify))
                        return true;
        for (size_t k = 0; k < c->n_sync_groups; k++)
                if (has_hooks(&c->sync_groups[k].notify))
                        return true;
        return false;
}

char *conf_summary(const Config *c) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        fprintf(f, "%zu probe%s, %zu instance%s (", c->n_probes, c->n_probes == 1 ? "" : "s",
                c->n_instances, c->n_instances == 1 ? "" : "s");
        for (size_t i = 0; i < c->n_instances; i++) {
                const InstanceConfig *in = &c->instances[i];
                fprintf(f, "%s%s: %s vrid %u %s v%u", i ? ", " : "", in->name, in->interface, in->vrid,
                        ip_family_name(in->family), in->version);
        }
        fputc(')', f);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}
