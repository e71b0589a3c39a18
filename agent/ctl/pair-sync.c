/* check-pair and sync groups. A sync group's members change state
 * together: a FAULT of one faults all (so a member's FAULT sources are
 * every member's), and the group takes over only when every member would,
 * so a weight that moves some members and not the others moves nothing.
 * Pure. */
#include <errno.h>
#include <stdlib.h>

#include "ctl/pair-internal.h"

static const SyncGroupConfig *group_of(const Config *c, const InstanceConfig *in) {
        if (!in->sync_group)
                return NULL;
        for (size_t g = 0; g < c->n_sync_groups; g++)
                if (streq(c->sync_groups[g].name, in->sync_group))
                        return &c->sync_groups[g];
        return NULL;
}

/* Whether `in` tracks a probe or an interface called `name`. */
static bool tracks(const InstanceConfig *in, const char *name) {
        for (size_t i = 0; i < in->n_tracks; i++)
                if (streq(in->tracks[i].probe_name, name))
                        return true;
        for (size_t i = 0; i < in->n_track_interfaces; i++)
                if (streq(in->track_interfaces[i].interface, name))
                        return true;
        return false;
}

static int add_fault_source(const char *name, PairSourceKind kind, const ProbeConfig *p, PairSource **s,
                            size_t *n) {
        bool valued = kind == PAIR_SOURCE_FILE;
        PairSource *x;

        for (size_t i = 0; i < *n; i++)
                if (streq((*s)[i].name, name)) {
                        /* The group's FAULT outweighs this member's own weight. */
                        if ((*s)[i].kind == PAIR_SOURCE_FILE)
                                pair_source_set_value_weight(&(*s)[i], 0);
                        else
                                pair_source_set_down_weight(&(*s)[i], 0);
                        return 0;
                }
        x = reallocarray(*s, *n + 1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        *s = x;
        x[*n] = (PairSource) { .name = name, .kind = kind, .probe = p };
        if (p && kind == PAIR_SOURCE_PROBE)
                x[*n].detect_usec = p->fall * p->interval_usec + p->timeout_usec;
        if (valued)
                pair_source_set_value_weight(&x[(*n)++], 0);
        else
                pair_source_set_down_weight(&x[(*n)++], 0);
        return 0;
}

int pair_sync_sources(const Config *c, const InstanceConfig *in, PairSource **s, size_t *n) {
        const SyncGroupConfig *g = group_of(c, in);
        int k;

        for (size_t m = 0; g && m < g->n_instances; m++) {
                const InstanceConfig *other = &c->instances[g->instances[m]];

                if (other == in)
                        continue;
                for (size_t i = 0; i < other->n_tracks; i++) {
                        const TrackConfig *t = &other->tracks[i];
                        const ProbeConfig *p = &c->probes[t->probe];

                        if (t->weight != 0)
                                continue;
                        k = add_fault_source(p->name, p->kind == PROBE_FILE ? PAIR_SOURCE_FILE : PAIR_SOURCE_PROBE,
                                             p, s, n);
                        if (k < 0)
                                return k;
                }
                for (size_t i = 0; i < other->n_track_interfaces; i++) {
                        if (other->track_interfaces[i].weight != 0)
                                continue;
                        k = add_fault_source(other->track_interfaces[i].interface, PAIR_SOURCE_INTERFACE, NULL, s, n);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

/* A weighted source that some members of a sync group track and others do
 * not: on the backup host the group never wants MASTER as a whole. */
static int check_group_weights(PairReport *rep, const PairHost *h, const SyncGroupConfig *g) {
        const Config *c = h->config;
        int k;

        for (size_t a = 0; a < g->n_instances; a++) {
                const InstanceConfig *in = &c->instances[g->instances[a]];

                for (size_t t = 0; t < in->n_tracks + in->n_track_interfaces; t++) {
                        bool own = t < in->n_tracks;
                        const char *name = own ? in->tracks[t].probe_name
                                               : in->track_interfaces[t - in->n_tracks].interface;
                        int weight = own ? in->tracks[t].weight : in->track_interfaces[t - in->n_tracks].weight;

                        if (weight == 0)
                                continue;
                        for (size_t b = 0; b < g->n_instances; b++) {
                                const InstanceConfig *other = &c->instances[g->instances[b]];

                                if (b == a || tracks(other, name))
                                        continue;
                                k = pair_finding(rep, PAIR_ERROR, SIZE_MAX,
                                                 "on %s, '%s' (weight %d) moves instance '%s' but not '%s' of sync "
                                                 "group '%s': a sync group takes over only when every member "
                                                 "would, so its failure alone does not move the VIP; track it in "
                                                 "every member, or with weight 0 (FAULT)",
                                                 h->label, name, weight, in->name, other->name, g->name);
                                if (k < 0)
                                        return k;
                                break;
                        }
                }
        }
        return 0;
}

int pair_sync_findings(PairReport *rep) {
        int k;

        for (size_t h = 0; h < rep->n_hosts; h++)
                for (size_t g = 0; g < rep->hosts[h].config->n_sync_groups; g++) {
                        k = check_group_weights(rep, &rep->hosts[h], &rep->hosts[h].config->sync_groups[g]);
                        if (k < 0)
                                return k;
                }
        for (size_t i = 0; i < rep->n_routers; i++) {
                const PairRouter *r = &rep->routers[i];
                size_t in_group = 0;

                for (size_t m = 0; m < r->n_members; m++)
                        in_group += r->members[m].instance->sync_group != NULL;
                if (in_group == 0 || in_group == r->n_members)
                        continue;
                for (size_t m = 0; m < r->n_members; m++)
                        if (!r->members[m].instance->sync_group) {
                                k = pair_finding(rep, PAIR_WARNING, i,
                                                 "instance '%s' is in a sync group on some hosts but not on %s: "
                                                 "the hosts do not move the same VIPs together",
                                                 r->members[m].instance->name,
                                                 rep->hosts[r->members[m].host].label);
                                if (k < 0)
                                        return k;
                        }
        }
        return 0;
}
