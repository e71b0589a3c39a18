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
};

int ctl_list_kind_from_string(const char *s) {
        for (int k = 0; k < _CTL_LIST_KIND_MAX; k++)
                if (strcmp(s, kind_names[k]) == 0)
                        return k;
        return -EINVAL;
}

int ctl_list_write(const Config *c, CtlListKind kind, FILE *f) {
        size_t n = kind == CTL_LIST_INSTANCES ? c->n_instances
                 : kind == CTL_LIST_PROBES    ? c->n_probes
                                              : c->n_sync_groups;

        for (size_t k = 0; k < n; k++) {
                const char *name = kind == CTL_LIST_INSTANCES ? c->instances[k].name
                                 : kind == CTL_LIST_PROBES    ? c->probes[k].name
                                                              : c->sync_groups[k].name;
                if (fprintf(f, "%s\n", name) < 0)
                        return -EIO;
        }
        return 0;
}

int ctl_list(const char *config, const char *kind) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        int k, r;

        k = ctl_list_kind_from_string(kind);
        if (k < 0) {
                fprintf(stderr, "promvipctl: cannot list '%s': expected instances, probes or sync-groups\n", kind);
                return EXIT_USAGE;
        }
        r = ctl_conf_load(config, &c);
        if (r != 0)
                return r;
        if (ctl_list_write(c, (CtlListKind) k, stdout) < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "promvipctl: cannot write the names: %m\n");
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
