#include "daemon/sync-groups.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/hooks.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "vrrp/vrrp-sync.h"

/* Events that come in while the group moves its members (each move is a
 * transition that comes back here) wait in a small queue: the group
 * handles one event at a time, in order. */
#define SYNC_PENDING_MAX 32
#define SYNC_ROUNDS_MAX 64

typedef struct SyncEvent {
        size_t member;
        VrrpState old_state;
} SyncEvent;

typedef struct SyncGroup {
        const SyncGroupConfig *cfg;
        Instance **members;
        size_t n_members;
        char *member_names;     /* "prom4 prom6", for the hooks */
        char *log_field;        /* "PROMVIP_SYNC_GROUP=<name>" */
        HookQueue *hooks;
        VrrpSyncMember *m;      /* scratch, one per member: process() is not re-entered */
        VrrpSyncAction *a;
        VrrpState state;        /* what its hooks last ran for */
        bool faulted;
        bool busy;
        SyncEvent pending[SYNC_PENDING_MAX];
        size_t n_pending;
} SyncGroup;

struct SyncGroups {
        const InstanceEnv *env;
        SyncGroup *groups;
        size_t n_groups;
};

/* With the journal field PROMVIP_SYNC_GROUP (NULL on OOM: none). */
#define log_group(g, level, fmt, ...)                                                                 \
        log_struct((level), ((const char *const[]) { (g)->log_field, NULL }), "sync group '%s': " fmt, \
                   (g)->cfg->name, ##__VA_ARGS__)

static VrrpSyncMember *read_members(const SyncGroup *g) {
        VrrpSyncMember *m = g->m;

        for (size_t k = 0; k < g->n_members; k++)
                m[k] = (VrrpSyncMember) { .state = instance_state(g->members[k]),
                                          .fault = instance_own_fault(g->members[k]),
                                          .wants_master = instance_wants_master(g->members[k]) };
        return m;
}

static const char *member_name(const SyncGroup *g, size_t k) {
        return instance_config(g->members[k])->name;
}

/* The group's fault is a level over its members' own faults; the member
 * that changed is told first, as keepalived does. */
static void apply_fault(SyncGroup *g, size_t first) {
        const VrrpSyncMember *m = read_members(g);
        char why[CONF_NAME_MAX + 32] = "";
        bool faulted;

        faulted = vrrp_sync_faulted(m, g->n_members);
        for (size_t k = 0; faulted && k < g->n_members && !why[0]; k++)
                if (m[k].fault)
                        snprintf(why, sizeof(why), "instance '%s' is FAULT", member_name(g, k));
        if (faulted != g->faulted)
                log_group(g, LOG_INFO, "%s",
                          faulted ? "fault: every instance goes to FAULT"
                                  : "fault cleared: every instance starts again");
        g->faulted = faulted;
        if (first < g->n_members)
                instance_set_sync_fault(g->members[first], g->cfg->name, faulted ? why : NULL);
        for (size_t k = 0; k < g->n_members; k++)
                if (k != first)
                        instance_set_sync_fault(g->members[k], g->cfg->name, faulted ? why : NULL);
}

static void decide(SyncGroup *g, const SyncEvent *ev) {
        const VrrpSyncMember *m = read_members(g);
        VrrpSyncAction *a = g->a;

        if (vrrp_sync_decide(m, g->n_members, ev->member, ev->old_state, a) == 0) {
                if (m[ev->member].wants_master && ev->old_state == VRRP_STATE_BACKUP)
                        log_group(g, LOG_DEBUG, "instance '%s' would be master; the group stays BACKUP "
                                  "until every member would", member_name(g, ev->member));
                return;
        }
        for (size_t k = 0; k < g->n_members; k++)
                if (a[k] != VRRP_SYNC_KEEP)
                        instance_sync_goto(g->members[k], g->cfg->name,
                                           a[k] == VRRP_SYNC_TO_MASTER ? VRRP_STATE_MASTER : VRRP_STATE_BACKUP);
}

/* Runs the group's hooks when its state changed. */
static void update_state(const SyncGroups *sgs, SyncGroup *g) {
        VrrpState s = vrrp_sync_group_state(read_members(g), g->n_members);

        if (s == g->state)
                return;
        log_group(g, LOG_INFO, "%s -> %s", vrrp_state_to_string(g->state), vrrp_state_to_string(s));
        hook_queue_group_transition(g->hooks, g->cfg, g->member_names, sgs->env->script_user, g->state, s);
        g->state = s;
}

static void process(const SyncGroups *sgs, SyncGroup *g) {
        if (g->busy)
                return;
        g->busy = true;
        for (unsigned round = 0; g->n_pending > 0 && round < SYNC_ROUNDS_MAX; round++) {
                SyncEvent ev = g->pending[0];

                memmove(g->pending, g->pending + 1, --g->n_pending * sizeof(SyncEvent));
                apply_fault(g, ev.member);
                decide(g, &ev);
        }
        if (g->n_pending > 0) {
                log_group(g, LOG_WARNING, "%zu events left unhandled (a loop?)", g->n_pending);
                g->n_pending = 0;
        }
        update_state(sgs, g);
        g->busy = false;
}

static bool find_member(const SyncGroups *sgs, const Instance *i, SyncGroup **ret_group, size_t *ret_k) {
        for (size_t n = 0; sgs && n < sgs->n_groups; n++)
                for (size_t k = 0; k < sgs->groups[n].n_members; k++)
                        if (sgs->groups[n].members[k] == i) {
                                *ret_group = &sgs->groups[n];
                                *ret_k = k;
                                return true;
                        }
        return false;
}

void sync_groups_changed(SyncGroups *sgs, Instance *i, VrrpState old_state) {
        SyncGroup *g;
        size_t k;

        if (!find_member(sgs, i, &g, &k))
                return;
        if (g->n_pending < SYNC_PENDING_MAX)
                g->pending[g->n_pending++] = (SyncEvent) { .member = k, .old_state = old_state };
        else
                log_group(g, LOG_WARNING, "too many events at once, one of '%s' dropped", member_name(g, k));
        process(sgs, g);
}

void sync_groups_settle(SyncGroups *sgs) {
        for (size_t n = 0; sgs && n < sgs->n_groups; n++) {
                SyncGroup *g = &sgs->groups[n];

                /* Each member as if it had just come to its state: a MASTER
                 * pulls the others, and the fault level is applied. */
                for (size_t k = 0; k < g->n_members && g->n_pending < SYNC_PENDING_MAX; k++)
                        g->pending[g->n_pending++] = (SyncEvent) {
                                .member = k,
                                .old_state = instance_state(g->members[k]) == VRRP_STATE_MASTER ? VRRP_STATE_BACKUP
                                                                                             : VRRP_STATE_INIT,
                        };
                process(sgs, g);
        }
}

static Instance *find_instance(Instance *const *instances, size_t n, const char *name) {
        for (size_t k = 0; k < n; k++)
                if (strcmp(instance_config(instances[k])->name, name) == 0)
                        return instances[k];
        return NULL;
}

static int group_init(SyncGroup *g, const SyncGroupConfig *cfg, const Config *config, Instance *const *instances,
                      size_t n_instances) {
        size_t len = 1;

        g->cfg = cfg;
        g->state = VRRP_STATE_INIT;
        g->members = calloc(cfg->n_instances, sizeof(Instance *));
        g->m = calloc(cfg->n_instances, sizeof(VrrpSyncMember));
        g->a = calloc(cfg->n_instances, sizeof(VrrpSyncAction));
        for (size_t k = 0; k < cfg->n_instances; k++)
                len += strlen(config->instances[cfg->instances[k]].name) + 1;
        g->member_names = calloc(1, len);
        if (asprintf(&g->log_field, "PROMVIP_SYNC_GROUP=%s", cfg->name) < 0)
                g->log_field = NULL;
        if (!g->members || !g->m || !g->a || !g->member_names || !g->log_field)
                return -ENOMEM;
        for (size_t k = 0; k < cfg->n_instances; k++) {
                const char *name = config->instances[cfg->instances[k]].name;
                Instance *i = find_instance(instances, n_instances, name);

                if (k > 0)
                        strcat(g->member_names, " ");
                strcat(g->member_names, name);
                if (i)
                        g->members[g->n_members++] = i;
        }
        return 0;
}

/* Whether `in` tracks a probe or an interface called `name`. */
static bool tracks(const InstanceConfig *in, const char *name) {
        for (size_t k = 0; k < in->n_tracks; k++)
                if (strcmp(in->tracks[k].probe_name, name) == 0)
                        return true;
        for (size_t k = 0; k < in->n_track_interfaces; k++)
                if (strcmp(in->track_interfaces[k].interface, name) == 0)
                        return true;
        return false;
}

/* A weight that some members track and others do not never moves the
 * group (its other members do not want MASTER): said at each load, as
 * `promvipctl check-pair` says it before. */
static void warn_partial_weights(const SyncGroup *g, const Config *config) {
        const SyncGroupConfig *cfg = g->cfg;

        for (size_t a = 0; a < cfg->n_instances; a++) {
                const InstanceConfig *in = &config->instances[cfg->instances[a]];

                for (size_t t = 0; t < in->n_tracks + in->n_track_interfaces; t++) {
                        bool probe = t < in->n_tracks;
                        const char *name = probe ? in->tracks[t].probe_name
                                                 : in->track_interfaces[t - in->n_tracks].interface;
                        int weight = probe ? in->tracks[t].weight : in->track_interfaces[t - in->n_tracks].weight;

                        for (size_t b = 0; weight != 0 && b < cfg->n_instances; b++) {
                                const InstanceConfig *other = &config->instances[cfg->instances[b]];

                                if (b == a || tracks(other, name))
                                        continue;
                                log_group(g, LOG_WARNING,
                                          "%s '%s' (weight %d) moves instance '%s' but not '%s': the group "
                                          "takes over only when every member would, so it does not move the "
                                          "VIPs; track it in every member, or with weight 0 (FAULT)",
                                          probe ? "probe" : "tracked interface", name, weight, in->name,
                                          other->name);
                                break;
                        }
                }
        }
}

/* HookObserver: a group's hook is an event of each member. */
static void group_hook_done(void *userdata, const char *hook, const char *result, const char *detail) {
        const SyncGroup *g = userdata;

        for (size_t k = 0; k < g->n_members; k++)
                instance_event_group_hook(g->members[k], g->cfg->name, hook, result, detail);
}

/* Takes the hook queue and state of the group of that name in old. */
static int group_adopt(SyncGroup *g, SyncGroups *old, sd_event *event) {
        int r = 0;

        for (size_t n = 0; old && n < old->n_groups && !g->hooks; n++) {
                SyncGroup *o = &old->groups[n];

                if (strcmp(o->cfg->name, g->cfg->name) == 0 && o->hooks) {
                        g->hooks = TAKE_PTR(o->hooks);
                        g->state = o->state;
                        g->faulted = o->faulted;
                }
        }
        if (!g->hooks)
                r = hook_queue_new_group(&g->hooks, event, g->cfg->name);
        if (r >= 0)
                hook_queue_set_observer(g->hooks, group_hook_done, g);
        return r;
}

static bool in_a_group(const SyncGroups *sgs, const Instance *i) {
        SyncGroup *g;
        size_t k;

        return find_member(sgs, i, &g, &k);
}

int sync_groups_new(SyncGroups **ret, const InstanceEnv *env, const Config *config, Instance *const *instances,
                    size_t n_instances, SyncGroups *old) {
        SyncGroups *sgs = calloc(1, sizeof(*sgs));
        int r = 0;

        if (!sgs)
                return -ENOMEM;
        sgs->env = env;
        if (config->n_sync_groups > 0) {
                sgs->groups = calloc(config->n_sync_groups, sizeof(SyncGroup));
                if (!sgs->groups) {
                        free(sgs);
                        return -ENOMEM;
                }
        }
        for (size_t n = 0; n < config->n_sync_groups && r >= 0; n++) {
                SyncGroup *g = &sgs->groups[sgs->n_groups++];

                r = group_init(g, &config->sync_groups[n], config, instances, n_instances);
                if (r >= 0)
                        r = group_adopt(g, old, env->event);
                if (r >= 0)
                        warn_partial_weights(g, config);
        }
        if (r < 0) {
                sync_groups_free(sgs);
                return r;
        }
        for (size_t k = 0; k < n_instances; k++)
                if (!in_a_group(sgs, instances[k]))
                        instance_set_sync_fault(instances[k], NULL, NULL);
        *ret = sgs;
        return 0;
}

SyncGroups *sync_groups_free(SyncGroups *sgs) {
        if (!sgs)
                return NULL;
        for (size_t n = 0; n < sgs->n_groups; n++) {
                hook_queue_free(sgs->groups[n].hooks);
                free(sgs->groups[n].members);
                free(sgs->groups[n].m);
                free(sgs->groups[n].a);
                free(sgs->groups[n].member_names);
                free(sgs->groups[n].log_field);
        }
        free(sgs->groups);
        free(sgs);
        return NULL;
}

uint64_t sync_groups_release_peers(SyncGroups *sgs, const Instance *i) {
        uint64_t longest = 0;
        SyncGroup *g;
        size_t k;

        if (!find_member(sgs, i, &g, &k))
                return 0;
        for (size_t j = 0; j < g->n_members; j++) {
                Instance *o = g->members[j];

                if (j == k || instance_state(o) != VRRP_STATE_MASTER || instance_release(o) < 0)
                        continue;
                if (instance_handover_max_usec(o) > longest)
                        longest = instance_handover_max_usec(o);
        }
        return longest;
}

uint64_t sync_groups_hook_timeout_usec(const SyncGroups *sgs) {
        uint64_t t = 0;

        for (size_t n = 0; sgs && n < sgs->n_groups; n++)
                if (sgs->groups[n].cfg->notify.timeout_usec > t)
                        t = sgs->groups[n].cfg->notify.timeout_usec;
        return t;
}

void sync_groups_dump(const SyncGroups *sgs) {
        for (size_t n = 0; sgs && n < sgs->n_groups; n++) {
                const SyncGroup *g = &sgs->groups[n];
                const HookCounters *h = hook_queue_counters(g->hooks);
                _cleanup_free_ char *names = strdup(g->member_names);

                for (char *p = names; p && *p; p++)
                        if (*p == ' ')
                                *p = ',';
                log_group(g, LOG_INFO,
                          "state=%s instances=%s hooks_run=%" PRIu64 " hooks_failed=%" PRIu64
                          " hooks_refused=%" PRIu64 " hooks_dropped=%" PRIu64,
                          vrrp_state_to_string(g->state), names ? names : "?", h ? h->runs : 0,
                          h ? h->failures : 0, h ? h->refused : 0, h ? h->dropped : 0);
        }
}

size_t sync_groups_hooks_pending(const SyncGroups *sgs) {
        size_t n = 0;

        for (size_t k = 0; sgs && k < sgs->n_groups; k++)
                n += hook_queue_pending(sgs->groups[k].hooks);
        return n;
}

int sync_groups_snapshot(const SyncGroups *sgs, Snapshot *s) {
        if (!sgs || sgs->n_groups == 0)
                return 0;
        s->sync_groups = calloc(sgs->n_groups, sizeof(SnapshotSyncGroup));
        if (!s->sync_groups)
                return -ENOMEM;
        for (size_t n = 0; n < sgs->n_groups; n++) {
                const SyncGroup *g = &sgs->groups[n];
                SnapshotSyncGroup *o = &s->sync_groups[s->n_sync_groups++];

                snprintf(o->name, sizeof(o->name), "%s", g->cfg->name);
                o->state = g->state;
                o->instances = calloc(g->n_members ? g->n_members : 1, sizeof(*o->instances));
                if (!o->instances)
                        return -ENOMEM;
                for (size_t k = 0; k < g->n_members; k++)
                        snprintf(o->instances[o->n_instances++], sizeof(o->instances[0]), "%s", member_name(g, k));
        }
        return 0;
}
