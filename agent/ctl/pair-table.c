/* check-pair's text; see pair-table.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/pair-internal.h"
#include "ctl/pair-table.h"
#include "shared/addr.h"
#include "shared/macro.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct Table {
        size_t ncols;
        char **cells;
        size_t ncells;
        bool oom;
} Table;

static void table_done(Table *t) {
        for (size_t i = 0; i < t->ncells; i++)
                free(t->cells[i]);
        free(t->cells);
}

_printf_(2, 3) static void cell(Table *t, const char *fmt, ...) {
        char **cells, *s;
        va_list ap;
        int k;

        if (t->oom)
                return;
        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                goto oom;
        cells = reallocarray(t->cells, t->ncells + 1, sizeof(*cells));
        if (!cells) {
                free(s);
                goto oom;
        }
        t->cells = cells;
        t->cells[t->ncells++] = s;
        return;
oom:
        t->oom = true;
}

/* Columns two spaces apart, indented by two, no blanks at the ends of lines. */
static int table_print(const Table *t, FILE *out) {
        _cleanup_free_ size_t *width = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        if (t->oom)
                return -ENOMEM;
        width = calloc(t->ncols, sizeof(*width));
        if (!width)
                return -ENOMEM;
        for (size_t i = 0; i < t->ncells; i++) {
                width[i % t->ncols] = MAX(width[i % t->ncols], strlen(t->cells[i]));
                size += strlen(t->cells[i]);
        }
        for (size_t c = 0; c < t->ncols; c++)
                size += width[c] + 2;
        line = malloc(size + 1);
        if (!line)
                return -ENOMEM;
        for (size_t row = 0; row * t->ncols < t->ncells; row++) {
                size_t n = 0;

                for (size_t c = 0; c < t->ncols && row * t->ncols + c < t->ncells; c++)
                        n += (size_t) sprintf(line + n, "  %-*s", (int) width[c], t->cells[row * t->ncols + c]);
                while (n > 0 && line[n - 1] == ' ')
                        n--;
                fprintf(out, "%.*s\n", (int) n, line);
        }
        return 0;
}

const char *pair_table_router_name(const PairRouter *r, char *buf, size_t size) {
        snprintf(buf, size, "'%s' (vrid %u, %s%s%s)", r->n_members > 0 ? r->members[0].instance->name : "?",
                 r->vrid, ip_family_name(r->family), r->interface ? ", " : "", r->interface ?: "");
        return buf;
}

static const char *label(const PairReport *rep, const PairRouter *r, size_t member) {
        return rep->hosts[r->members[member].host].label;
}

static void who(const PairReport *rep, const PairRouter *r, const PairScenario *s, size_t m, Table *t) {
        if (m == PAIR_NOBODY)
                cell(t, "nobody");
        else if (m == PAIR_TIE)
                cell(t, "tie");
        else if (s && s->kind == PAIR_FAILS_ON_MASTER && m == r->scenarios[0].master)
                cell(t, "%s (stays)", label(rep, r, m));
        else
                cell(t, "%s", label(rep, r, m));
}

static void hosts_table(const PairReport *rep, const PairRouter *r, Table *t) {
        cell(t, "host");
        cell(t, "file");
        cell(t, "priority");
        cell(t, "preempt");
        cell(t, "rapid");
        cell(t, "tracks");
        for (size_t i = 0; i < r->n_members; i++) {
                const PairMember *m = &r->members[i];
                size_t n = 0, len = 0;
                char *s = NULL;
                FILE *f;

                cell(t, "%s", label(rep, r, i));
                cell(t, "%s", rep->hosts[m->host].config->path ?: "");
                cell(t, "%u%s", m->instance->priority, m->instance->priority == 255 ? " (owner)" : "");
                cell(t, "%s", m->instance->preempt ? "yes" : "no");
                cell(t, "%s", m->instance->rapid_preemption ? "yes" : "no");
                f = open_memstream(&s, &len);
                if (!f) {
                        t->oom = true;
                        return;
                }
                for (size_t j = 0; j < m->n_sources; j++, n++) {
                        const PairSource *src = &m->sources[j];
                        bool probe = src->kind == PAIR_SOURCE_PROBE;

                        fprintf(f, "%s%s%s%s ", n ? ", " : "", probe ? "" : pair_source_kind_to_string(src->kind),
                                probe ? "" : " ", src->name);
                        if (src->weight == 0)
                                fprintf(f, "FAULT");
                        else
                                fprintf(f, "%+d", src->weight);
                }
                if (n == 0)
                        fprintf(f, "-");
                if (fclose(f) != 0 || !s) {
                        free(s);
                        t->oom = true;
                        return;
                }
                cell(t, "%s", s);
                free(s);
        }
}

static void scenarios_table(const PairReport *rep, const PairRouter *r, Table *t) {
        size_t m = r->scenarios[0].master;
        char sec[32];

        cell(t, "scenario");
        for (size_t i = 0; i < r->n_members; i++)
                cell(t, "%s", label(rep, r, i));
        cell(t, "master");
        cell(t, "once all is well again");
        for (size_t i = 0; i < r->n_scenarios; i++) {
                const PairScenario *s = &r->scenarios[i];

                switch (s->kind) {
                case PAIR_ALL_WELL:
                        cell(t, "all is well");
                        break;
                case PAIR_FAILS_ON_MASTER:
                        if (s->detect_usec > 0)
                                cell(t, "'%s' fails on %s (%s s)", s->source, label(rep, r, m),
                                     pair_seconds(s->detect_usec, sec));
                        else
                                cell(t, "'%s' fails on %s", s->source, label(rep, r, m));
                        break;
                case PAIR_MASTER_DIES:
                        cell(t, "%s is down", label(rep, r, m));
                        break;
                default:
                        cell(t, "'%s' fails everywhere", s->source);
                }
                for (size_t j = 0; j < r->n_members; j++) {
                        const PairMemberState *st = &s->states[j];
                        if (st->gone)
                                cell(t, "down");
                        else if (st->fault)
                                cell(t, "FAULT");
                        else
                                cell(t, "%u%s", st->priority, st->tied ? " (tie)" : "");
                }
                who(rep, r, s, s->master, t);
                if ((s->kind != PAIR_FAILS_ON_MASTER && s->kind != PAIR_MASTER_DIES) ||
                    (s->kind == PAIR_FAILS_ON_MASTER && s->master == m))
                        cell(t, "%s", "");
                else if (s->back == m || s->back >= r->n_members)
                        who(rep, r, NULL, s->back, t);
                else
                        cell(t, "%s (%s does not preempt)", label(rep, r, s->back), label(rep, r, m));
        }
}

static int render_router(const PairReport *rep, size_t ri, FILE *out) {
        const PairRouter *r = &rep->routers[ri];
        _cleanup_(table_done) Table hosts = { .ncols = 6 }, sc = { .ncols = r->n_members + 3 };
        const InstanceConfig *in = r->members[0].instance;
        char name[CONF_NAME_MAX + 64], a[IP_PREFIX_STRLEN];
        int k;

        fprintf(out, "%s", pair_table_router_name(r, name, sizeof(name)));
        for (size_t i = 0; i < in->n_vips; i++)
                fprintf(out, "%s%s", i ? " " : ": ", ip_prefix_to_string(&in->vips[i], a));
        fprintf(out, "\n");
        hosts_table(rep, r, &hosts);
        k = table_print(&hosts, out);
        if (k < 0)
                return k;
        if (r->n_scenarios == 0)
                return 0;
        fprintf(out, "\n");
        scenarios_table(rep, r, &sc);
        k = table_print(&sc, out);
        if (k < 0)
                return k;
        if (r->scenarios[0].master == PAIR_TIE)
                fprintf(out, "  (no failure is shown: which host is master is not known)\n");
        return 0;
}

int pair_table_render(const PairReport *rep, FILE *out) {
        char name[CONF_NAME_MAX + 64];
        int k;

        for (size_t i = 0; i < rep->n_routers; i++) {
                if (i > 0)
                        fprintf(out, "\n");
                k = render_router(rep, i, out);
                if (k < 0)
                        return k;
        }
        if (rep->n_findings > 0)
                fprintf(out, "\n");
        /* Errors first. */
        for (size_t i = 0; i < 2 * rep->n_findings; i++) {
                const PairFinding *f = &rep->findings[i % rep->n_findings];

                if ((f->severity == PAIR_ERROR) != (i < rep->n_findings))
                        continue;
                fprintf(out, "%s: ", f->severity == PAIR_ERROR ? "error" : "warning");
                if (f->router < rep->n_routers)
                        fprintf(out, "%s: ", pair_table_router_name(&rep->routers[f->router], name, sizeof(name)));
                fprintf(out, "%s\n", f->message);
        }
        fprintf(out, "\n%zu host%s, %zu router%s: %zu error%s, %zu warning%s\n", rep->n_hosts,
                rep->n_hosts == 1 ? "" : "s", rep->n_routers, rep->n_routers == 1 ? "" : "s", rep->n_errors,
                rep->n_errors == 1 ? "" : "s", rep->n_warnings, rep->n_warnings == 1 ? "" : "s");
        return 0;
}
