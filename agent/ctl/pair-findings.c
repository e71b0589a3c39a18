/* check-pair: the errors and warnings of the matched routers and their
 * scenarios (pair-check.c). Each message is one sentence, what is wrong
 * and how to fix it; the router it is about is the renderer's prefix. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/pair-internal.h"
#include "shared/addr.h"
#include "shared/macro.h"

typedef struct Buf {
        char *s;
        size_t n;
        bool oom;
} Buf;

static void buf_done(Buf *b) {
        free(b->s);
}

_printf_(2, 3) static void buf_add(Buf *b, const char *fmt, ...) {
        va_list ap;
        char *s;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (b->oom || k < 0)
                goto oom;
        s = realloc(b->s, b->n + (size_t) k + 1);
        if (!s)
                goto oom;
        b->s = s;
        va_start(ap, fmt);
        (void) vsnprintf(b->s + b->n, (size_t) k + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t) k;
        return;
oom:
        b->oom = true;
}

static const char *buf_str(const Buf *b) {
        return b->s ?: "";
}

const char *pair_seconds(uint64_t usec, char *buf) {
        size_t n;

        usec += 500; /* to the millisecond */
        snprintf(buf, 32, "%llu.%03llu", (unsigned long long) (usec / USEC_PER_SEC),
                 (unsigned long long) (usec % USEC_PER_SEC / USEC_PER_MSEC));
        n = strlen(buf);
        while (buf[n - 1] == '0')
                buf[--n] = '\0';
        if (buf[n - 1] == '.')
                buf[--n] = '\0';
        return buf;
}

int pair_finding(PairReport *rep, PairSeverity sev, size_t router, const char *fmt, ...) {
        PairFinding *a;
        va_list ap;
        char *msg;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        a = reallocarray(rep->findings, rep->n_findings + 1, sizeof(*a));
        if (!a) {
                free(msg);
                return -ENOMEM;
        }
        rep->findings = a;
        a[rep->n_findings++] = (PairFinding) { .severity = sev, .router = router, .message = msg };
        if (sev == PAIR_ERROR)
                rep->n_errors++;
        else
                rep->n_warnings++;
        return 0;
}

static const char *label(const PairReport *rep, const PairRouter *r, size_t member) {
        return rep->hosts[r->members[member].host].label;
}

/* ---- settings that must be the same on every host ---- */

typedef void (*ValueFn)(const PairMember *m, Buf *b);

static void value_version(const PairMember *m, Buf *b) {
        buf_add(b, "%u", m->instance->version);
}

static void value_interval(const PairMember *m, Buf *b) {
        char s[32];
        buf_add(b, "%s s", pair_seconds(m->instance->advert_interval_cs * 10000ULL, s));
}

static int prefix_compare(const void *a, const void *b) {
        const IpPrefix *x = a, *y = b;
        int k = ip_addr_compare(&x->addr, &y->addr);
        return k != 0 ? k : (int) x->prefixlen - (int) y->prefixlen;
}

static void value_vips(const PairMember *m, Buf *b) {
        char s[IP_PREFIX_STRLEN];
        IpPrefix *v;

        if (m->instance->n_vips == 0) {
                buf_add(b, "none");
                return;
        }
        v = calloc(m->instance->n_vips, sizeof(*v));
        if (!v) {
                b->oom = true;
                return;
        }
        memcpy(v, m->instance->vips, m->instance->n_vips * sizeof(*v));
        qsort(v, m->instance->n_vips, sizeof(*v), prefix_compare);
        for (size_t i = 0; i < m->instance->n_vips; i++)
                buf_add(b, "%s%s", i ? " " : "", ip_prefix_to_string(&v[i], s));
        free(v);
}

static void value_auth(const PairMember *m, Buf *b) {
        buf_add(b, "%s", m->instance->auth_type == AUTH_PASS ? "pass" : "none");
}

static void value_password(const PairMember *m, Buf *b) {
        buf_add(b, "%s", m->instance->auth_type == AUTH_PASS ? m->instance->auth_password : "");
}

static void value_unicast(const PairMember *m, Buf *b) {
        buf_add(b, "%s", m->instance->n_unicast_peers > 0 ? "unicast" : "multicast");
}

static void value_preempt(const PairMember *m, Buf *b) {
        char s[32];

        if (!m->instance->preempt)
                buf_add(b, "preempt = false");
        else if (m->instance->preempt_delay_usec > 0)
                buf_add(b, "preempt_delay %s s", pair_seconds(m->instance->preempt_delay_usec, s));
        else
                buf_add(b, "preempt = true");
}

static void value_name(const PairMember *m, Buf *b) {
        buf_add(b, "'%s'", m->instance->name);
}

/* `what` differs between the members: "prom-a 3, prom-b 2" (the values
 * are not shown with show = false). */
static int differ(PairReport *rep, size_t ri, PairSeverity sev, const char *what, ValueFn f, bool show,
                  const char *fix) {
        const PairRouter *r = &rep->routers[ri];
        _cleanup_(buf_done) Buf first = {}, list = {};
        bool same = true;

        f(&r->members[0], &first);
        for (size_t i = 1; i < r->n_members && same; i++) {
                _cleanup_(buf_done) Buf v = {};
                f(&r->members[i], &v);
                same = streq(buf_str(&first), buf_str(&v)) && !v.oom;
        }
        if (same)
                return first.oom ? -ENOMEM : 0;
        for (size_t i = 0; i < r->n_members; i++) {
                buf_add(&list, "%s%s", i ? ", " : "", label(rep, r, i));
                if (show) {
                        buf_add(&list, " ");
                        f(&r->members[i], &list);
                }
        }
        if (list.oom)
                return -ENOMEM;
        return pair_finding(rep, sev, ri, "%s differ%s between hosts (%s)%s", what, show ? "" : "s", buf_str(&list),
                       fix);
}

static int check_settings(PairReport *rep, size_t ri) {
        const PairRouter *r = &rep->routers[ri];
        _cleanup_(buf_done) Buf owners = {}, slow = {}, fast = {};
        size_t n_owners = 0;
        int k = 0;

        if (r->n_members < 2)
                return 0;
        k = k ?: differ(rep, ri, PAIR_ERROR, "VRRP versions", value_version, true, ": they cannot talk");
        k = k ?: differ(rep, ri, PAIR_ERROR, "advert_interval values", value_interval, true,
                        ": backups time the master out by their own interval (version 2 drops the adverts)");
        k = k ?: differ(rep, ri, PAIR_ERROR, "virtual_addresses", value_vips, true,
                        ": every host must hold the same addresses");
        k = k ?: differ(rep, ri, PAIR_ERROR, "auth types", value_auth, true, ": adverts are dropped");
        k = k ?: differ(rep, ri, PAIR_ERROR, "the auth password", value_password, false, ": adverts are dropped");
        k = k ?: differ(rep, ri, PAIR_ERROR, "unicast and multicast settings", value_unicast, true,
                        ": the hosts do not hear each other");
        k = k ?: differ(rep, ri, PAIR_WARNING, "preempt settings", value_preempt, true,
                        ": who takes the VIP back after a failure depends on the host");
        k = k ?: differ(rep, ri, PAIR_WARNING, "instance names", value_name, true,
                        ": the same router in logs and hooks under different names");
        if (k < 0)
                return k;

        for (size_t i = 0; i < r->n_members; i++) {
                const char *l = label(rep, r, i);
                if (r->members[i].instance->priority == 255)
                        buf_add(&owners, "%s%s", n_owners++ ? ", " : "", l);
                buf_add(r->members[i].instance->rapid_preemption ? &fast : &slow, "%s%s",
                        (r->members[i].instance->rapid_preemption ? fast.n : slow.n) ? ", " : "", l);
        }
        if (owners.oom || slow.oom || fast.oom)
                return -ENOMEM;
        if (n_owners > 1)
                k = pair_finding(rep, PAIR_ERROR, ri,
                            "priority 255 (the address owner) on more than one host (%s): only the host that "
                            "owns the virtual addresses may have it",
                            buf_str(&owners));
        if (k == 0 && slow.n > 0)
                k = fast.n > 0 ? pair_finding(rep, PAIR_WARNING, ri,
                                         "rapid_preemption is off on %s (on on %s): there a backup takes over "
                                         "from a master whose priority dropped only after "
                                         "Master_Down_Interval, not at once",
                                         buf_str(&slow), buf_str(&fast))
                               : pair_finding(rep, PAIR_WARNING, ri,
                                         "rapid_preemption is off on every host: a backup takes over from a "
                                         "master whose priority dropped only after Master_Down_Interval "
                                         "(about 3 advert intervals); turn it on when every host runs "
                                         "promvipd");
        return k;
}

/* A source tracked on some hosts only. */
static int check_sources(PairReport *rep, size_t ri) {
        const PairRouter *r = &rep->routers[ri];
        int k;

        if (r->n_members < 2)
                return 0;
        for (size_t i = 0; i < r->n_members; i++)
                for (size_t j = 0; j < r->members[i].n_sources; j++) {
                        const PairSource *src = &r->members[i].sources[j];
                        _cleanup_(buf_done) Buf without = {};
                        bool earlier = false;

                        for (size_t h = 0; h < i && !earlier; h++)
                                earlier = pair_member_source(&r->members[h], src->name) != NULL;
                        if (earlier)
                                continue;
                        for (size_t h = 0; h < r->n_members; h++)
                                if (!pair_member_source(&r->members[h], src->name))
                                        buf_add(&without, "%s%s", without.n ? ", " : "", label(rep, r, h));
                        if (without.oom)
                                return -ENOMEM;
                        if (without.n == 0)
                                continue;
                        k = pair_finding(rep, PAIR_WARNING, ri,
                                    "%s '%s' is not tracked on %s: its failure there moves nothing",
                                    pair_source_kind_to_string(src->kind), src->name, buf_str(&without));
                        if (k < 0)
                                return k;
                }
        return 0;
}

static int check_target(PairReport *rep, size_t ri, uint64_t target) {
        const PairRouter *r = &rep->routers[ri];
        char a[32], b[32], c[32], d[32], e[32];
        int k;

        if (target == 0)
                return 0;
        for (size_t i = 0; i < r->n_members; i++)
                for (size_t j = 0; j < r->members[i].n_sources; j++) {
                        const PairSource *src = &r->members[i].sources[j];
                        const ProbeConfig *p = src->probe;

                        if (src->detect_usec <= target)
                                continue;
                        if (p)
                                k = pair_finding(rep, PAIR_WARNING, ri,
                                            "%s '%s' on %s: fall %u x interval %s s + timeout %s s = %s s to "
                                            "detect a failure, more than the target %s s",
                                            pair_source_kind_to_string(src->kind), src->name, label(rep, r, i),
                                            p->fall, pair_seconds(p->interval_usec, a),
                                            pair_seconds(p->timeout_usec, b), pair_seconds(src->detect_usec, c),
                                            pair_seconds(target, d));
                        else
                                k = pair_finding(rep, PAIR_WARNING, ri,
                                            "%s '%s' on %s: %s s to detect a failure, more than the target %s s",
                                            pair_source_kind_to_string(src->kind), src->name, label(rep, r, i),
                                            pair_seconds(src->detect_usec, e), pair_seconds(target, d));
                        if (k < 0)
                                return k;
                }
        return 0;
}

/* ---- the scenarios ---- */

static void scenario_text(const PairReport *rep, const PairRouter *r, const PairScenario *s, Buf *b) {
        size_t m = r->scenarios[0].master;

        switch (s->kind) {
        case PAIR_ALL_WELL:
                buf_add(b, "when all is well");
                break;
        case PAIR_FAILS_ON_MASTER:
                buf_add(b, "when '%s' fails on %s", s->source, label(rep, r, m));
                break;
        case PAIR_MASTER_DIES:
                buf_add(b, "when %s is down", label(rep, r, m));
                break;
        default:
                buf_add(b, "when '%s' fails everywhere", s->source);
        }
}

static int tie(PairReport *rep, size_t ri, const PairScenario *s) {
        const PairRouter *r = &rep->routers[ri];
        _cleanup_(buf_done) Buf who = {}, when = {};
        size_t n = 0, last = 0;
        unsigned prio = 0;

        for (size_t i = 0; i < r->n_members; i++)
                if (s->states[i].tied) {
                        n++;
                        last = i;
                        prio = s->states[i].priority;
                }
        for (size_t i = 0, j = 0; i < r->n_members; i++)
                if (s->states[i].tied)
                        buf_add(&who, "%s%s", j++ == 0 ? "" : i == last ? " and " : ", ", label(rep, r, i));
        scenario_text(rep, r, s, &when);
        if (who.oom || when.oom)
                return -ENOMEM;
        return pair_finding(rep, PAIR_ERROR, ri,
                       "%s tie at priority %u %s: the higher primary address wins, which the configs do not say; "
                       "give every host its own priority so that no failure makes two equal",
                       buf_str(&who), prio, buf_str(&when));
}

/* The source failed on the all-well master m, and m stays master. */
static int not_moving(PairReport *rep, size_t ri, const PairScenario *s) {
        const PairRouter *r = &rep->routers[ri];
        size_t m = r->scenarios[0].master, pb = PAIR_NOBODY;
        const PairSource *src = pair_member_source(&r->members[m], s->source);
        unsigned before = r->scenarios[0].states[m].priority, after = s->states[m].priority;
        _cleanup_(buf_done) Buf why = {}, fix = {};
        const char *lm = label(rep, r, m);

        if (r->members[m].instance->priority == 255)
                return pair_finding(rep, PAIR_ERROR, ri,
                               "'%s' failing on %s does not move the VIP: priority 255 (the address owner) is never "
                               "lowered by a weight; track it with weight 0 (FAULT), or give %s a priority below 255",
                               s->source, lm, lm);
        for (size_t i = 0; i < r->n_members; i++) {
                if (i == m || s->states[i].gone || s->states[i].fault)
                        continue;
                if (pair_member_preempts(&r->members[i])) {
                        if (pb == PAIR_NOBODY || s->states[i].priority > s->states[pb].priority)
                                pb = i;
                } else if (s->states[i].priority > after)
                        buf_add(&why, "%s%s (%u) does not preempt (preempt = false)", why.n ? ", " : "",
                                label(rep, r, i), s->states[i].priority);
        }
        if (pb == PAIR_NOBODY)
                buf_add(&fix, "no other host preempts, so only a FAULT (weight 0) moves the VIP");
        else {
                int limit = (int) s->states[pb].priority - 1 - (int) before; /* the change needed, at most */

                buf_add(&why, "%s%s (%u) takes over only from a lower priority than its own", why.n ? ", " : "",
                        label(rep, r, pb), s->states[pb].priority);
                if (src->healthy.weight > 0 && src->healthy.up)
                        /* Its failure takes back what it added, whatever the weight. */
                        buf_add(&fix, "a positive weight only takes back what it added: give %s a priority below "
                                "%u, or track '%s' with weight 0 (FAULT)",
                                lm, s->states[pb].priority, s->source);
                else if (src->failed.weight > 0 && src->failed.up)
                        buf_add(&fix, "its failure adds its positive weight: give '%s' a weight of %d or lower on %s",
                                s->source, limit, lm);
                else if (limit >= -253)
                        buf_add(&fix, "give '%s' a weight of %d or lower on %s, or 0 (FAULT)", s->source, limit, lm);
                else
                        buf_add(&fix, "no weight closes a gap of %d, track '%s' with weight 0 (FAULT)",
                                (int) before - (int) s->states[pb].priority + 1, s->source);
        }
        if (why.oom || fix.oom)
                return -ENOMEM;
        return pair_finding(rep, PAIR_ERROR, ri, "'%s' failing on %s (priority %u -> %u) does not move the VIP: %s%s%s",
                       s->source, lm, before, after, buf_str(&why), why.n ? "; " : "", buf_str(&fix));
}

static int check_scenarios(PairReport *rep, size_t ri) {
        const PairRouter *r = &rep->routers[ri];
        size_t m = r->n_scenarios > 0 ? r->scenarios[0].master : PAIR_NOBODY;
        int k = 0;

        for (size_t i = 0; i < r->n_scenarios && k == 0; i++) {
                const PairScenario *s = &r->scenarios[i];

                if (s->master == PAIR_TIE)
                        k = tie(rep, ri, s);
                else if (s->kind == PAIR_FAILS_ON_MASTER && s->master == m && r->n_members > 1)
                        k = not_moving(rep, ri, s);
                else if (s->kind == PAIR_FAILS_EVERYWHERE && s->master == PAIR_NOBODY)
                        k = pair_finding(rep, PAIR_WARNING, ri,
                                    "when '%s' fails everywhere no host holds the VIP (FAULT on every host: "
                                    "weight 0)",
                                    s->source);
        }
        return k;
}

/* ---- across routers ---- */

static bool share_vip(const PairRouter *a, const PairRouter *b, IpPrefix *ret) {
        for (size_t i = 0; i < a->n_members; i++)
                for (size_t j = 0; j < b->n_members; j++)
                        for (size_t x = 0; x < a->members[i].instance->n_vips; x++)
                                for (size_t y = 0; y < b->members[j].instance->n_vips; y++)
                                        if (ip_addr_equal(&a->members[i].instance->vips[x].addr,
                                                          &b->members[j].instance->vips[y].addr)) {
                                                *ret = a->members[i].instance->vips[x];
                                                return true;
                                        }
        return false;
}

static bool share_name(const PairRouter *a, const PairRouter *b, const char **ret) {
        for (size_t i = 0; i < a->n_members; i++)
                for (size_t j = 0; j < b->n_members; j++)
                        if (streq(a->members[i].instance->name, b->members[j].instance->name)) {
                                *ret = a->members[i].instance->name;
                                return true;
                        }
        return false;
}

static void hosts_of(const PairReport *rep, const PairRouter *r, Buf *b) {
        for (size_t i = 0; i < r->n_members; i++)
                buf_add(b, "%s%s", i ? ", " : "", label(rep, r, i));
}

/* Two routers that are one: the VRID differs between hosts. */
static int check_vrids(PairReport *rep, bool *flagged) {
        char s[IP_PREFIX_STRLEN];
        const char *name;
        IpPrefix vip;
        int k;

        for (size_t i = 0; i < rep->n_routers; i++)
                for (size_t j = i + 1; j < rep->n_routers; j++) {
                        const PairRouter *a = &rep->routers[i], *b = &rep->routers[j];
                        _cleanup_(buf_done) Buf ha = {}, hb = {}, what = {};

                        if (a->family != b->family || a->vrid == b->vrid)
                                continue;
                        if (share_vip(a, b, &vip))
                                buf_add(&what, "virtual address %s", ip_prefix_to_string(&vip, s));
                        else if (share_name(a, b, &name))
                                buf_add(&what, "instance '%s'", name);
                        else
                                continue;
                        hosts_of(rep, a, &ha);
                        hosts_of(rep, b, &hb);
                        if (ha.oom || hb.oom || what.oom)
                                return -ENOMEM;
                        k = pair_finding(rep, PAIR_ERROR, SIZE_MAX,
                                    "the VRID differs between hosts: %s has vrid %u on %s and vrid %u on %s; "
                                    "give it the same vrid everywhere",
                                    buf_str(&what), a->vrid, buf_str(&ha), b->vrid, buf_str(&hb));
                        if (k < 0)
                                return k;
                        flagged[i] = flagged[j] = true;
                }
        return 0;
}

int pair_findings(PairReport *rep, const PairOptions *o) {
        _cleanup_free_ bool *flagged = calloc(rep->n_routers ?: 1, sizeof(bool));
        int k;

        if (!flagged)
                return -ENOMEM;
        k = check_vrids(rep, flagged);
        for (size_t i = 0; i < rep->n_routers && k == 0; i++) {
                if (rep->n_hosts > 1 && rep->routers[i].n_members == 1 && !flagged[i])
                        k = pair_finding(rep, PAIR_WARNING, i,
                                    "only %s has this router: no other host takes the VIP over when it fails",
                                    label(rep, &rep->routers[i], 0));
                k = k ?: check_settings(rep, i);
                k = k ?: check_sources(rep, i);
                k = k ?: check_target(rep, i, o ? o->target_usec : 0);
                k = k ?: check_scenarios(rep, i);
        }
        return k ?: pair_sync_findings(rep);
}
