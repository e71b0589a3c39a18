#include "daemon/conf-check.h"

#include <stdio.h>

#include "child/script-security.h"
#include "shared/log.h"

/* 1 with an error added when a's script is refused, 0 when it passes (or
 * a is not set), -ENOMEM. */
static int check_argv(const Argv *a, const char *what, const char *name, const char *key, ConfErrors *errs) {
        char reason[512];
        int r;

        if (!a->argv || script_check_secure(a->argv[0], reason, sizeof(reason)) >= 0)
                return 0;
        r = conf_errors_add(errs, a->file, a->line, "%s '%s': '%s': %s (scripts must be changeable by root only)",
                            what, name, key, reason);
        return r < 0 ? r : 1;
}

static int check_notify(const NotifyConfig *n, const char *what, const char *name, ConfErrors *errs) {
        const struct {
                const char *key;
                const Argv *argv;
        } hooks[] = {
                { "master", &n->master }, { "backup", &n->backup }, { "fault", &n->fault },
                { "stop", &n->stop },     { "any", &n->any },
        };
        int r;

        for (size_t k = 0; k < ELEMENTSOF(hooks); k++) {
                r = check_argv(hooks[k].argv, what, name, hooks[k].key, errs);
                if (r < 0)
                        return r;
        }
        return 0;
}

int conf_check_scripts(const Config *c, ConfErrors *errs) {
        size_t errors_before = errs->n;
        int r;

        for (size_t i = 0; i < c->n_probes; i++) {
                const ProbeConfig *p = &c->probes[i];

                if (p->kind != PROBE_EXEC)
                        continue;
                r = check_argv(&p->command, "probe", p->name, "command", errs);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_instances; i++) {
                r = check_notify(&c->instances[i].notify, "instance", c->instances[i].name, errs);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_sync_groups; i++) {
                r = check_notify(&c->sync_groups[i].notify, "sync group", c->sync_groups[i].name, errs);
                if (r < 0)
                        return r;
        }
        if (errs->n == errors_before)
                return 0;
        conf_errors_sort(errs, errors_before);
        return -EINVAL;
}

int conf_load_checked(const char *path, Config **ret, ConfErrors *errs) {
        _cleanup_(conf_unrefp) Config *c = NULL;
        int r;

        r = conf_load_file(path, &c, errs);
        if (r < 0)
                return r;
        r = conf_check_scripts(c, errs);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static void log_conf_error(const ConfError *e, const char *text, void *userdata) {
        _cleanup_free_ char *file = NULL, *line = NULL;

        (void) userdata;
        /* Out of memory, a field is left out: the list ends at the first NULL. */
        if (asprintf(&file, "CONFIG_FILE=%s", e->file) < 0)
                file = NULL;
        if (e->line && asprintf(&line, "CONFIG_LINE=%u", e->line) < 0)
                line = NULL;
        log_struct(LOG_ERR, ((const char *const[]) { file, line, NULL }), "%s", text);
}

void conf_errors_log(const ConfErrors *errs) {
        conf_errors_print(errs, log_conf_error, NULL);
}
