/* Parsing and validation of `sync_groups` (keepalived's vrrp_sync_group):
 * a name, at least two known instances, each in at most one group, and the
 * group's notify hooks. */
#include <stdio.h>
#include <string.h>

#include "conf/conf-internal.h"

static const char *const sync_group_keys[] = { "name", "instances", "notify", NULL };

/* The group that already holds instance k, or NULL. */
static const SyncGroupConfig *holder(const Config *c, size_t k) {
        for (size_t g = 0; g < c->n_sync_groups; g++)
                for (size_t m = 0; m < c->sync_groups[g].n_instances; m++)
                        if (c->sync_groups[g].instances[m] == k)
                                return &c->sync_groups[g];
        return NULL;
}

static void parse_members(ConfCtx *ctx, const config_setting_t *e, Config *c, SyncGroupConfig *sg) {
        const config_setting_t *s = config_setting_get_member(e, "instances");
        int n;

        if (!s) {
                conf_error(ctx, e, "'instances' is required: the names of at least 2 instances");
                return;
        }
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
                conf_error(ctx, s, "'instances' must be a list of instance names such as ( \"prom4\", \"prom6\" )");
                return;
        }
        n = config_setting_length(s);
        if (n < 2) {
                conf_error(ctx, s, "'instances' must name at least 2 instances (got %d)", n);
                return;
        }
        sg->instances = conf_calloc(ctx, (size_t) n, sizeof(size_t));
        if (!sg->instances)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_get_string(m);
                const InstanceConfig *in;
                const SyncGroupConfig *other;
                size_t k;

                if (!name) {
                        conf_error(ctx, m, "'instances' element %d must be a string", i + 1);
                        continue;
                }
                in = conf_instance_by_name(c, name);
                if (!in) {
                        conf_error(ctx, m, "unknown instance '%s'", name);
                        continue;
                }
                k = (size_t) (in - c->instances);
                for (size_t j = 0; j < sg->n_instances; j++)
                        if (sg->instances[j] == k) {
                                conf_error(ctx, m, "instance '%s' is listed twice", name);
                                goto next;
                        }
                other = holder(c, k);
                if (other) {
                        conf_error(ctx, m, "instance '%s' is already in sync group '%s' at line %u: "
                                   "an instance belongs to at most one group", name, other->name, other->line);
                        continue;
                }
                sg->instances[sg->n_instances++] = k;
        next:;
        }
}

static void parse_sync_group(ConfCtx *ctx, const config_setting_t *e, Config *c, SyncGroupConfig *sg) {
        sg->line = conf_line(e);
        if (conf_get_string(ctx, e, "name", &sg->name) == 0)
                conf_error(ctx, e, "'name' is required");
        else if (sg->name && !conf_name_is_valid(sg->name))
                conf_error(ctx, config_setting_get_member(e, "name"),
                           "bad name '%s': use 1-%d letters, digits, '_', '.' or '-'", sg->name, CONF_NAME_MAX);
        if (sg->name && conf_name_is_valid(sg->name))
                snprintf(ctx->where, sizeof(ctx->where), "sync group '%s'", sg->name);
        conf_check_keys(ctx, e, sync_group_keys);
        parse_members(ctx, e, c, sg);
        conf_parse_notify(ctx, e, &sg->notify);
        for (size_t g = 0; sg->name && g + 1 < c->n_sync_groups; g++)
                if (c->sync_groups[g].name && strcmp(c->sync_groups[g].name, sg->name) == 0)
                        conf_error(ctx, config_setting_get_member(e, "name"),
                                   "duplicate sync group name (first defined at line %u)", c->sync_groups[g].line);
}

void conf_parse_sync_groups(ConfCtx *ctx, const config_setting_t *root, Config *c) {
        const config_setting_t *list = conf_get_group_list(ctx, root, "sync_groups");
        int n = list ? config_setting_length(list) : 0;

        if (n == 0 || !(c->sync_groups = conf_calloc(ctx, (size_t) n, sizeof(SyncGroupConfig))))
                return;
        for (int i = 0; i < n; i++) {
                SyncGroupConfig *sg = &c->sync_groups[c->n_sync_groups++];

                snprintf(ctx->where, sizeof(ctx->where), "sync_groups[%d]", i + 1);
                parse_sync_group(ctx, config_setting_get_elem(list, (unsigned) i), c, sg);
        }
        ctx->where[0] = '\0';
        for (size_t g = 0; g < c->n_sync_groups; g++)
                for (size_t m = 0; c->sync_groups[g].name && m < c->sync_groups[g].n_instances; m++) {
                        InstanceConfig *in = &c->instances[c->sync_groups[g].instances[m]];

                        if (!in->sync_group)
                                in->sync_group = conf_strdup(ctx, c->sync_groups[g].name);
                }
}

void conf_sync_group_free(SyncGroupConfig *sg) {
        free(sg->name);
        free(sg->instances);
        conf_notify_free(&sg->notify);
        *sg = (SyncGroupConfig) {};
}
