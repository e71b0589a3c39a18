#include "ctl/ctl-list.h"

#include <errno.h>
#include <string.h>

#include "ctl/ctl-conf.h"
#include "shared/exit-codes.h"
#include "shared/macro.h"

static const char *const kind_names[_CTL_LIST_KIND_MAX] = {
        [CTL_LIST_INSTANCES] = "instances",
        [CTL_LIST_PROBES] = "probes",
        [CTL_LIST_SYNC_GROUPS] = "sync-groups",
        [CTL_LIST_FILE_PROBES] = "file-probes",
};

int ctl_list_kind_from_string(const char *s) {
        for (int k = 0; k < _CTL_LIST_KIND_MAX; k++)
                if (strcmp(s, kind_names[k]) == 0)
                        return k;
        return -EINVAL;
}

static int put(FILE *f, const char *name) {
        return fprintf(f, "%s\n", name) < 0 ? -EIO : 0;
}

/* The file probes, or those `in` tracks (in its order). */
static int write_file_probes(const Config *c, const InstanceConfig *in, FILE *f) {
        int r = 0;

        if (in)
                for (size_t k = 0; k < in->n_tracks && r >= 0; k++)
                        if (c->probes[in->tracks[k].probe].kind == PROBE_FILE)
                                r = put(f, in->tracks[k].probe_name);
        for (size_t k = 0; !in && k < c->n_probes && r >= 0; k++)
                if (c->probes[k].kind == PROBE_FILE)
                        r = put(f, c->probes[k].name);
        return r;
}

int ctl_list_write(const Config *c, CtlListKind kind, const char *instance, FILE *f) {
        int r = 0;

        if (kind == CTL_LIST_FILE_PROBES) {
                const InstanceConfig *in = instance ? conf_instance_by_name(c, instance) : NULL;

                if (instance && !in)
                        return -ENOENT;
                return write_file_probes(c, in, f);
        }
        for (size_t k = 0; kind == CTL_LIST_INSTANCES && k < c->n_instances && r >= 0; k++)
                r = put(f, c->instances[k].name);
        for (size_t k = 0; kind == CTL_LIST_PROBES && k < c->n_probes && r >= 0; k++)
                r = put(f, c->probes[k].name);
        for (size_t k = 0; kind == CTL_LIST_SYNC_GROUPS && k < c->n_sync_groups && r >= 0; k++)
                r = put(f, c->sync_groups[k].name);
        return r;
}

int ctl_list(const char *config, const char *kind, const char *instance) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        int k, r;

        k = ctl_list_kind_from_string(kind);
        if (k < 0) {
                fprintf(stderr, "promvipctl: cannot list '%s': expected instances, probes, sync-groups or "
                                "file-probes\n", kind);
                return EXIT_USAGE;
        }
        if (instance && k != CTL_LIST_FILE_PROBES) {
                fprintf(stderr, "promvipctl: list %s takes no instance (only file-probes does)\n", kind);
                return EXIT_USAGE;
        }
        r = ctl_conf_load(config, &c);
        if (r != 0)
                return r;
        r = ctl_list_write(c, (CtlListKind) k, instance, stdout);
        if (r == -ENOENT) {
                fprintf(stderr, "promvipctl: no instance '%s' in %s\n", instance, config);
                return EXIT_FAIL;
        }
        if (r < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "promvipctl: cannot write the names: %m\n");
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
