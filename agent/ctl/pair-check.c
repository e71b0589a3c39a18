/* check-pair: the model (routers, members, failure sources) and the
 * scenarios. The findings are pair-findings.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/pair-check.h"
#include "ctl/pair-internal.h"

const char *pair_source_kind_to_string(PairSourceKind k) {
        static const char *const names[_PAIR_SOURCE_KIND_MAX] = {
                [PAIR_SOURCE_PROBE] = "probe",
                [PAIR_SOURCE_INTERFACE] = "interface",
                [PAIR_SOURCE_FILE] = "file probe",
        };
        return k >= 0 && k < _PAIR_SOURCE_KIND_MAX ? names[k] : NULL;
}

void pair_source_set_down_weight(PairSource *s, int weight) {
        s->weight = weight;
        s->healthy = (TrackState) { .weight = weight, .up = true };
        s->failed = (TrackState) { .weight = weight, .up = false };
}

void pair_source_set_value_weight(PairSource *s, int weight) {
        /* A file probe: 0 while all is well (undrained), 1 when drained. */
        s->weight = weight;
        s->healthy = (TrackState) { .weight = weight, .valued = true, .value = 0 };
        s->failed = (TrackState) { .weight = weight, .valued = true, .value = 1 };
}

/* Every kind of failure source an instance has, and what its failure does
 * (as priority_effective() sees it: a weight, or FAULT for weight 0):
 *
 *   PAIR_SOURCE_PROBE      a tracked http, promql or exec probe; fails when
 *                          DOWN (pair_source_set_down_weight()); detected
 *                          after fall x interval + timeout.
 *   PAIR_SOURCE_FILE       a tracked file probe; fails when the file says 1
 *                          (drained): value x weight
 *                          (pair_source_set_value_weight()); seen at once
 *                          through inotify.
 *   PAIR_SOURCE_INTERFACE  a tracked interface; fails when its link goes
 *                          down (pair_source_set_down_weight(); without a
 *                          weight: 0, FAULT); seen at once through netlink.
 *
 * In a sync group, the other members' FAULT sources are this one's too
 * (pair_sync_sources()).
 *
 * This function is the only place that knows the configuration's kinds:
 * the scenarios and findings only see PairSource. */
int pair_sources_build(const Config *c, const InstanceConfig *in, PairSource **ret, size_t *ret_n) {
        size_t total = in->n_tracks + in->n_track_interfaces, n = 0;
        PairSource *s = NULL;
        int k;

        if (total > 0) {
                s = calloc(total, sizeof(*s));
                if (!s)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < in->n_tracks; i++) {
                const TrackConfig *t = &in->tracks[i];
                const ProbeConfig *p = &c->probes[t->probe];

                s[n] = (PairSource) { .name = p->name, .probe = p };
                if (p->kind == PROBE_FILE) {
                        s[n].kind = PAIR_SOURCE_FILE;
                        pair_source_set_value_weight(&s[n++], t->weight);
                        continue;
                }
                s[n].kind = PAIR_SOURCE_PROBE;
                s[n].detect_usec = p->fall * p->interval_usec + p->timeout_usec;
                pair_source_set_down_weight(&s[n++], t->weight);
        }
        for (size_t i = 0; i < in->n_track_interfaces; i++) {
                const TrackInterfaceConfig *t = &in->track_interfaces[i];

                s[n] = (PairSource) { .name = t->interface, .kind = PAIR_SOURCE_INTERFACE };
                pair_source_set_down_weight(&s[n++], t->weight);
        }
        k = pair_sync_sources(c, in, &s, &n);
        if (k < 0) {
                free(s);
                return k;
        }
        *ret = s;
        *ret_n = n;
        return 0;
}

bool pair_member_preempts(const PairMember *m) {
        /* The owner takes over as soon as it starts, preempt or not. */
        return m->instance->preempt || m->instance->priority == 255;
}

const PairSource *pair_member_source(const PairMember *m, const char *name) {
        for (size_t i = 0; i < m->n_sources; i++)
                if (streq(m->sources[i].name, name))
                        return &m->sources[i];
        return NULL;
}

/* The member's effective priority with `failed` failed (NULL: none). */
void pair_member_state(PairMember *m, const char *failed, PairMemberState *ret) {
        bool fault;

        for (size_t i = 0; i < m->n_sources; i++)
                m->scratch[i] = failed && streq(m->sources[i].name, failed) ? m->sources[i].failed
                                                                            : m->sources[i].healthy;
        ret->priority = priority_effective(m->instance->priority, m->scratch, m->n_sources, &fault);
        ret->fault = fault;
        ret->gone = false;
        ret->tied = false;
}

/* Who is master once the routers settle, starting with `from` as master
 * (PAIR_NOBODY: an election). A live master keeps the VIP unless a backup
 * that preempts has a strictly higher priority (RFC 5798 6.4.2); without
 * a live master the highest priority wins. PAIR_TIE when the highest
 * priority is shared (the primary addresses decide, which no config says);
 * `mark` marks the tied ones. */
size_t pair_settle(const PairRouter *r, PairMemberState *st, size_t from, bool mark) {
        bool election = from >= r->n_members || st[from].gone || st[from].fault;
        size_t who = PAIR_NOBODY, count = 0;
        int best = -1;

        for (size_t i = 0; i < r->n_members; i++) {
                if (st[i].gone || st[i].fault)
                        continue;
                if (!election && (i == from || !pair_member_preempts(&r->members[i]) ||
                                  st[i].priority <= st[from].priority))
                        continue;
                if (st[i].priority > best) {
                        best = st[i].priority;
                        who = i;
                        count = 1;
                } else if (st[i].priority == best)
                        count++;
        }
        if (who == PAIR_NOBODY)
                return election ? PAIR_NOBODY : from;
        if (count == 1)
                return who;
        if (mark)
                for (size_t i = who; i < r->n_members; i++)
                        if (!st[i].gone && !st[i].fault && st[i].priority == best &&
                            (election || (i != from && pair_member_preempts(&r->members[i]))))
                                st[i].tied = true;
        return PAIR_TIE;
}

static int scenario_add(PairRouter *r, PairScenarioKind kind, const char *source, PairScenario **ret) {
        PairScenario *a, *s;

        a = reallocarray(r->scenarios, r->n_scenarios + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        r->scenarios = a;
        s = &a[r->n_scenarios];
        *s = (PairScenario) { .kind = kind, .source = source, .master = PAIR_NOBODY, .back = PAIR_NOBODY };
        s->states = calloc(r->n_members, sizeof(*s->states));
        if (!s->states)
                return -ENOMEM;
        r->n_scenarios++;
        *ret = s;
        return 0;
}

/* `failed` fails on `on` (SIZE_MAX: everywhere it is tracked); `gone` is down. */
static void scenario_states(PairRouter *r, PairScenario *s, const char *failed, size_t on, size_t gone) {
        for (size_t i = 0; i < r->n_members; i++) {
                pair_member_state(&r->members[i], on == SIZE_MAX || on == i ? failed : NULL, &s->states[i]);
                s->states[i].gone = i == gone;
        }
}

static bool name_seen_before(const PairRouter *r, size_t member, size_t source) {
        const char *name = r->members[member].sources[source].name;

        for (size_t i = 0; i <= member; i++)
                for (size_t j = 0; j < (i == member ? source : r->members[i].n_sources); j++)
                        if (streq(r->members[i].sources[j].name, name))
                                return true;
        return false;
}

/* The master once all is well again after `master` took over from `m`. */
static size_t back_to_normal(const PairRouter *r, size_t master, size_t m) {
        if (master == PAIR_NOBODY)
                return m;
        if (master == PAIR_TIE)
                return PAIR_TIE;
        return pair_settle(r, r->scenarios[0].states, master, false);
}

static int router_scenarios(PairRouter *r) {
        PairScenario *all, *s;
        size_t m;
        int k;

        k = scenario_add(r, PAIR_ALL_WELL, NULL, &all);
        if (k < 0)
                return k;
        scenario_states(r, all, NULL, SIZE_MAX, SIZE_MAX);
        all->master = m = pair_settle(r, all->states, PAIR_NOBODY, true);
        if (m >= r->n_members)
                return 0; /* a tie: which host the failures hit is not known */

        for (size_t j = 0; j < r->members[m].n_sources; j++) {
                const PairSource *src = &r->members[m].sources[j];

                k = scenario_add(r, PAIR_FAILS_ON_MASTER, src->name, &s);
                if (k < 0)
                        return k;
                s->detect_usec = src->detect_usec;
                scenario_states(r, s, src->name, m, SIZE_MAX);
                s->master = pair_settle(r, s->states, m, true);
                s->back = back_to_normal(r, s->master, m);
        }

        k = scenario_add(r, PAIR_MASTER_DIES, NULL, &s);
        if (k < 0)
                return k;
        scenario_states(r, s, NULL, SIZE_MAX, m);
        s->master = pair_settle(r, s->states, PAIR_NOBODY, true);
        /* Back up, it starts as backup (its probes start DOWN and rise). */
        s->back = back_to_normal(r, s->master, m);

        for (size_t i = 0; i < r->n_members; i++)
                for (size_t j = 0; j < r->members[i].n_sources; j++) {
                        if (name_seen_before(r, i, j))
                                continue;
                        k = scenario_add(r, PAIR_FAILS_EVERYWHERE, r->members[i].sources[j].name, &s);
                        if (k < 0)
                                return k;
                        scenario_states(r, s, s->source, SIZE_MAX, SIZE_MAX);
                        s->master = pair_settle(r, s->states, m, true);
                }
        return 0;
}

static bool router_matches(const PairRouter *r, const InstanceConfig *in, const PairHost *hosts, size_t n_hosts) {
        bool split = false;

        if (r->vrid != in->vrid || r->family != in->family)
                return false;
        /* Matched by interface too when a host has this VRID and family on two interfaces. */
        for (size_t h = 0; h < n_hosts && !split; h++) {
                size_t count = 0;
                for (size_t i = 0; i < hosts[h].config->n_instances; i++) {
                        const InstanceConfig *x = &hosts[h].config->instances[i];
                        count += x->vrid == in->vrid && x->family == in->family;
                }
                split = count > 1;
        }
        return !split || streq(r->interface, in->interface);
}

static int member_add(PairReport *rep, const PairHost *hosts, size_t n_hosts, size_t h, const InstanceConfig *in) {
        PairRouter *r = NULL, *a;
        PairMember *m;
        int k;

        for (size_t i = 0; i < rep->n_routers && !r; i++)
                if (router_matches(&rep->routers[i], in, hosts, n_hosts))
                        r = &rep->routers[i];
        if (!r) {
                a = reallocarray(rep->routers, rep->n_routers + 1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                rep->routers = a;
                r = &a[rep->n_routers++];
                *r = (PairRouter) { .vrid = in->vrid, .family = in->family, .interface = in->interface };
        }
        m = reallocarray(r->members, r->n_members + 1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        r->members = m;
        m = &m[r->n_members];
        *m = (PairMember) { .host = h, .instance = in };
        k = pair_sources_build(hosts[h].config, in, &m->sources, &m->n_sources);
        if (k < 0)
                return k;
        m->scratch = calloc(m->n_sources ?: 1, sizeof(*m->scratch));
        if (!m->scratch) {
                free(m->sources);
                return -ENOMEM;
        }
        r->n_members++;
        return 0;
}

static int router_compare(const void *a, const void *b) {
        const PairRouter *x = a, *y = b;

        if (x->vrid != y->vrid)
                return x->vrid < y->vrid ? -1 : 1;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        return strcmp(x->interface, y->interface);
}

int pair_check(const PairHost *hosts, size_t n_hosts, const PairOptions *o, PairReport *ret) {
        PairReport rep = { .hosts = hosts, .n_hosts = n_hosts };
        int k;

        for (size_t h = 0; h < n_hosts; h++)
                for (size_t i = 0; i < hosts[h].config->n_instances; i++) {
                        k = member_add(&rep, hosts, n_hosts, h, &hosts[h].config->instances[i]);
                        if (k < 0)
                                goto fail;
                }
        if (rep.n_routers > 1)
                qsort(rep.routers, rep.n_routers, sizeof(*rep.routers), router_compare);
        for (size_t i = 0; i < rep.n_routers; i++) {
                PairRouter *r = &rep.routers[i];
                bool split = false;

                for (size_t j = 0; j < rep.n_routers; j++)
                        split = split || (j != i && rep.routers[j].vrid == r->vrid &&
                                          rep.routers[j].family == r->family);
                if (!split)
                        r->interface = NULL;
                k = router_scenarios(r);
                if (k < 0)
                        goto fail;
        }
        k = pair_findings(&rep, o);
        if (k < 0)
                goto fail;
        *ret = rep;
        return 0;
fail:
        pair_report_clear(&rep);
        return k;
}

void pair_report_clear(PairReport *r) {
        for (size_t i = 0; i < r->n_routers; i++) {
                PairRouter *x = &r->routers[i];

                for (size_t j = 0; j < x->n_members; j++) {
                        free(x->members[j].sources);
                        free(x->members[j].scratch);
                }
                for (size_t j = 0; j < x->n_scenarios; j++)
                        free(x->scenarios[j].states);
                free(x->members);
                free(x->scenarios);
        }
        free(r->routers);
        for (size_t i = 0; i < r->n_findings; i++)
                free(r->findings[i].message);
        free(r->findings);
        *r = (PairReport) {};
}
