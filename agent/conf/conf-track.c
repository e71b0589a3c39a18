/* keepalived's track_interface (an instance's `track_interfaces`) and
 * track_file (the `file` probe type): their keys and checks. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf-internal.h"

#define WEIGHT_MAX 253

static const char *const track_interface_keys[] = { "interface", "weight", NULL };

/* Settings of the polled probe types that mean nothing for a watched file. */
static const char *const file_refused[] = { "interval", "timeout", "fall", "rise" };

void conf_parse_track_interfaces(ConfCtx *ctx, const config_setting_t *g, InstanceConfig *in) {
        const config_setting_t *s = config_setting_get_member(g, "track_interfaces");
        int n;

        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_LIST && config_setting_type(s) != CONFIG_TYPE_ARRAY) {
                conf_error(ctx, s, "'track_interfaces' must be a list: ( \"eth1\", { interface = \"eth2\"; weight = -50; } )");
                return;
        }
        n = config_setting_length(s);
        in->track_interfaces = conf_calloc(ctx, (size_t) n, sizeof(TrackInterfaceConfig));
        if (!in->track_interfaces)
                return;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                _cleanup_free_ char *name = NULL;
                long long w = 0;

                if (config_setting_type(e) == CONFIG_TYPE_STRING)
                        name = conf_strdup(ctx, config_setting_get_string(e));
                else if (config_setting_type(e) == CONFIG_TYPE_GROUP) {
                        conf_check_keys(ctx, e, track_interface_keys);
                        if (conf_get_string(ctx, e, "interface", &name) == 0)
                                conf_error(ctx, e, "track_interfaces element %d needs 'interface'", i + 1);
                        (void) conf_get_int(ctx, e, "weight", -WEIGHT_MAX, WEIGHT_MAX, &w);
                } else
                        conf_error(ctx, e, "track_interfaces element %d must be an interface name or a group", i + 1);
                if (!name)
                        continue;
                if (!conf_ifname_is_valid(name)) {
                        conf_error(ctx, e, "bad interface name '%s' in track_interfaces", name);
                        continue;
                }
                if (in->interface && strcmp(in->interface, name) == 0) {
                        conf_error(ctx, e, "'%s' is the instance's own interface: it is always tracked (down = FAULT)",
                                   name);
                        continue;
                }
                for (size_t j = 0; j < in->n_track_interfaces; j++)
                        if (strcmp(in->track_interfaces[j].interface, name) == 0) {
                                conf_error(ctx, e, "interface '%s' is tracked twice", name);
                                goto next;
                        }
                in->track_interfaces[in->n_track_interfaces++] = (TrackInterfaceConfig) {
                        .interface = TAKE_PTR(name),
                        .weight = (int) w,
                };
        next:;
        }
}

void conf_track_interfaces_free(InstanceConfig *in) {
        for (size_t k = 0; k < in->n_track_interfaces; k++)
                free(in->track_interfaces[k].interface);
        free(in->track_interfaces);
        in->track_interfaces = NULL;
        in->n_track_interfaces = 0;
}

bool conf_track_interfaces_equal(const InstanceConfig *a, const InstanceConfig *b) {
        if (a->n_track_interfaces != b->n_track_interfaces)
                return false;
        for (size_t k = 0; k < a->n_track_interfaces; k++)
                if (strcmp(a->track_interfaces[k].interface, b->track_interfaces[k].interface) != 0 ||
                    a->track_interfaces[k].weight != b->track_interfaces[k].weight)
                        return false;
        return true;
}

void conf_parse_file_probe(ConfCtx *ctx, const config_setting_t *s, ProbeConfig *p) {
        const config_setting_t *e;
        const char *base;
        long long v;

        for (size_t k = 0; k < ELEMENTSOF(file_refused); k++)
                if ((e = config_setting_get_member(s, file_refused[k])))
                        conf_error(ctx, e, "'%s' does not apply to a file probe: the file is watched (inotify), not polled",
                                   file_refused[k]);
        if (conf_get_string(ctx, s, "path", &p->path) == 0) {
                conf_error(ctx, s, "'path' is required for a probe of type 'file'");
                return;
        }
        if (conf_get_int(ctx, s, "missing", INT32_MIN, INT32_MAX, &v) > 0)
                p->missing = v;
        if (!p->path)
                return;
        e = config_setting_get_member(s, "path");
        base = strrchr(p->path, '/');
        if (p->path[0] != '/')
                conf_error(ctx, e, "'path' must be an absolute path (got '%s')", p->path);
        else if (strlen(p->path) >= PATH_MAX)
                conf_error(ctx, e, "'path' is too long");
        else if (!base[1] || strcmp(base + 1, ".") == 0 || strcmp(base + 1, "..") == 0)
                conf_error(ctx, e, "'path' must name a file, not a directory (got '%s')", p->path);
}
