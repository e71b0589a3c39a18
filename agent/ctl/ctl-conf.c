#include "ctl/ctl-conf.h"

#include <errno.h>
#include <stdio.h>

#include "shared/exit-codes.h"

static void print_error(const ConfError *e, const char *text, void *userdata) {
        (void) e, (void) userdata;
        fprintf(stderr, "  %s\n", text);
}

int ctl_conf_load(const char *path, Config **ret) {
        ConfErrors errs = {};
        int r = conf_load_file(path, ret, &errs);

        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                fprintf(stderr, "promvipctl: out of memory\n");
        else {
                fprintf(stderr, "promvipctl: cannot use %s:\n", path);
                conf_errors_print(&errs, print_error, NULL);
        }
        conf_errors_clear(&errs);
        return EXIT_FAIL;
}
