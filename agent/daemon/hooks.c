/* Notify hooks (see hooks.h) on top of child.c: each instance has a FIFO of
 * hook runs, each a full copy of what it needs (argv, environment, user,
 * timeout) taken when the transition was queued.
 *
 * Coalescing: a transition first drops every hook that waits (all but a
 * running head), since those were for states already left; so a flapping
 * router neither grows the queue nor runs hooks for states long gone. The
 * HOOK_QUEUE_MAX check in hook_queue_push() only guards that invariant.
 *
 * At most one hook runs per queue: the head, while `run` is set. The next
 * one starts from the done() of the previous one, whatever its outcome, or
 * from a defer source after hook_queue_transition(), so that the caller
 * (the state machine's shell) does not fork in the middle of its actions.
 * Just before a hook starts, its script must pass script_check_secure(); a
 * refused hook, or one whose user does not exist or cannot be switched to
 * (child.c's -ESRCH, -EPERM), is logged, counted and skipped. */
#include "daemon/hooks.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child/child.h"
#include "child/script-security.h"
#include "shared/addr.h"
#include "shared/log.h"
#include "shared/macro.h"

typedef struct Hook {
        struct Hook *next;
        char **argv;           /* NULL-terminated copy */
        char **env;            /* the PROMVIP_* entries, NULL-terminated */
        ChildUser *user;        /* a reference */
        const char *state;     /* the new state's name (static) */
        bool any;              /* the `any` hook, not the state's */
        uint64_t timeout_usec;
} Hook;

struct HookQueue {
        sd_event *event;
        char *label;           /* "instance '<name>'" or "sync group '<name>'" */
        char *log_field;       /* "PROMVIP_INSTANCE=<name>" or "PROMVIP_SYNC_GROUP=<name>" */
        Hook *head, *tail;     /* the head runs while `run` is set */
        size_t n;
        ChildRun *run;
        sd_event_source *kick; /* starts the head from the loop */
        HookCounters counters;
        HookObserver observer;
        void *observer_data;
};

void hook_queue_set_observer(HookQueue *q, HookObserver observer, void *userdata) {
        q->observer = observer;
        q->observer_data = userdata;
}

/* Tells the observer how hook h ended. */
static void observe(const HookQueue *q, const Hook *h, const char *result, const char *detail) {
        char name[8];
        size_t k;

        if (!q->observer)
                return;
        for (k = 0; !h->any && h->state[k] && k + 1 < sizeof(name); k++)
                name[k] = (char) (h->state[k] >= 'A' && h->state[k] <= 'Z' ? h->state[k] - 'A' + 'a' : h->state[k]);
        name[k] = '\0';
        q->observer(q->observer_data, h->any ? "any" : name, result, detail);
}

_printf_(3, 4) static void log_hook(const HookQueue *q, int level, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (level > log_get_max_level())
                return;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                msg = NULL;
        log_struct(level, ((const char *const[]) { q->log_field, NULL }), "%s: %s", q->label,
                   msg ? msg : "(out of memory)");
}

/* asprintf() that returns the string, or NULL (asprintf() leaves it undefined). */
_printf_(1, 2) static char *strf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* A copy of `a` plus the `n_extra` strings of `extra`; NULL on OOM. */
static char **strv_copy(char *const *a, size_t n, const char *const *extra, size_t n_extra) {
        char **v = calloc(n + n_extra + 1, sizeof(char *));

        if (!v)
                return NULL;
        for (size_t i = 0; i < n + n_extra; i++) {
                v[i] = strdup(i < n ? a[i] : extra[i - n]);
                if (!v[i]) {
                        strv_free(v);
                        return NULL;
                }
        }
        return v;
}

static Hook *hook_free(Hook *h) {
        if (!h)
                return NULL;
        strv_free(h->argv);
        strv_free(h->env);
        child_user_unref(h->user);
        free(h);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Hook *, hook_free);

/* "192.0.2.100/24 2001:db8::1/64"; NULL on OOM. */
static char *vips_to_string(const InstanceConfig *cfg) {
        char *s = calloc(1, cfg->n_vips * (IP_PREFIX_STRLEN + 1) + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < cfg->n_vips; i++) {
                char buf[IP_PREFIX_STRLEN];

                if (i > 0)
                        strcat(s, " ");
                strcat(s, ip_prefix_to_string(&cfg->vips[i], buf));
        }
        return s;
}

/* What one transition's hooks get: `any` appends KIND NAME STATE PRIORITY,
 * every hook gets env (the PROMVIP_* entries). */
typedef struct HookInfo {
        const NotifyConfig *notify;
        const char *kind;      /* "INSTANCE" or "GROUP" */
        const char *name;
        VrrpState new_state;
        uint8_t priority;
        char *env[7];          /* NULL-terminated */
} HookInfo;

static void hook_info_done(HookInfo *info) {
        for (size_t i = 0; i < ELEMENTSOF(info->env); i++)
                free(info->env[i]);
}

/* The PROMVIP_* entries of an instance's transition; -ENOMEM. */
static int instance_env(HookInfo *info, const InstanceConfig *cfg, VrrpState old_state) {
        _cleanup_free_ char *vips = vips_to_string(cfg);

        if (!vips)
                return -ENOMEM;
        info->env[0] = strf("PROMVIP_INSTANCE=%s", cfg->name);
        info->env[1] = strf("PROMVIP_STATE=%s", vrrp_state_to_string(info->new_state));
        info->env[2] = strf("PROMVIP_PREVIOUS_STATE=%s", vrrp_state_to_string(old_state));
        info->env[3] = strf("PROMVIP_PRIORITY=%u", info->priority);
        info->env[4] = strf("PROMVIP_VRID=%u", cfg->vrid);
        info->env[5] = strf("PROMVIP_VIPS=%s", vips);
        for (size_t i = 0; i < 6; i++)
                if (!info->env[i])
                        return -ENOMEM;
        return 0;
}

/* One hook for `command`; the transition's arguments appended when any_args is set. */
static Hook *hook_new(const Argv *command, bool any_args, const HookInfo *info, ChildUser *user) {
        _cleanup_(hook_freep) Hook *h = calloc(1, sizeof(Hook));
        char prio[4];
        const char *args[] = { info->kind, info->name, vrrp_state_to_string(info->new_state), prio };
        size_t n_env = 0;

        if (!h)
                return NULL;
        snprintf(prio, sizeof(prio), "%u", info->priority);
        while (info->env[n_env])
                n_env++;
        h->argv = strv_copy(command->argv, command->argc, args, any_args ? ELEMENTSOF(args) : 0);
        h->env = strv_copy(NULL, 0, (const char *const *) info->env, n_env);
        h->user = child_user_ref(user);
        if (!h->argv || !h->env)
                return NULL;
        h->state = vrrp_state_to_string(info->new_state);
        h->any = any_args;
        h->timeout_usec = info->notify->timeout_usec;
        return TAKE_PTR(h);
}

/* Drops up to `max` hooks that wait (not the running head), oldest first,
 * and logs it once, naming their states. */
static void hook_queue_drop_waiting(HookQueue *q, size_t max, const char *superseded_by) {
        Hook **first = q->run ? &q->head->next : &q->head;
        const char *last = NULL;
        char states[64] = "", why[64];
        size_t n = 0, len = 0;

        snprintf(why, sizeof(why), "superseded by the transition to %s", superseded_by);
        while (*first && n < max) {
                Hook *h = *first;

                if (h->state != last && len < sizeof(states))
                        len += (size_t) snprintf(states + len, sizeof(states) - len, "%s%s", last ? ", " : "",
                                                 h->state);
                last = h->state;
                observe(q, h, "dropped", why);
                *first = h->next;
                hook_free(h);
                q->n--;
                n++;
        }
        if (!*first)
                q->tail = q->run ? q->head : NULL;
        if (n == 0)
                return;
        q->counters.dropped += n;
        log_hook(q, LOG_NOTICE, "dropped %zu waiting hook%s for %s: superseded by the transition to %s", n,
                 n == 1 ? "" : "s", states, superseded_by);
}

static void hook_queue_push(HookQueue *q, Hook *h) {
        if (q->n >= HOOK_QUEUE_MAX)
                hook_queue_drop_waiting(q, q->n - HOOK_QUEUE_MAX + 1, h->state);
        if (q->tail)
                q->tail->next = h;
        else
                q->head = h;
        q->tail = h;
        q->n++;
}

static void hook_queue_pop(HookQueue *q) {
        Hook *h = q->head;

        q->head = h->next;
        if (!q->head)
                q->tail = NULL;
        q->n--;
        hook_free(h);
}

static bool hook_succeeded(const ChildResult *r) {
        return r->start_error == 0 && !r->timed_out && r->exited && r->status == 0;
}

/* One line per run; the output (as the hook's own log) on success too. */
static void hook_log_result(HookQueue *q, const Hook *h, const ChildResult *r) {
        _cleanup_free_ char *out = NULL;
        char what[200];
        double seconds = (double) r->duration_usec / USEC_PER_SEC;
        bool has_out;

        child_result_describe(r, what, sizeof(what));
        if (r->start_error < 0) {
                log_hook(q, LOG_WARNING, "hook %s (%s) failed: %s", h->argv[0], h->state, what);
                return;
        }
        out = child_output_line(r);
        has_out = out && out[0];
        if (hook_succeeded(r))
                log_hook(q, LOG_INFO, "hook %s (%s) done in %.3f s%s%s", h->argv[0], h->state, seconds,
                         has_out ? "; output: " : "", has_out ? out : "");
        else
                log_hook(q, LOG_WARNING, "hook %s (%s) %s after %.3f s: %s%s; %s%s", h->argv[0], h->state,
                         r->timed_out ? "timed out" : "failed", seconds, what, child_result_kill_note(r),
                         has_out ? "output: " : "no output", has_out ? out : "");
}

static void hook_queue_next(HookQueue *q);

static void on_hook_done(ChildRun *run, const ChildResult *r, void *userdata) {
        HookQueue *q = userdata;
        const Hook *h = q->head;

        (void) run;
        if (r->start_error == -ESRCH || r->start_error == -EPERM) {
                log_hook(q, LOG_ERR, "hook %s refused: %s: set global.script_user", h->argv[0], r->start_failure);
                q->counters.refused++;
                observe(q, h, "refused", r->start_failure);
        } else {
                char what[200];

                hook_log_result(q, h, r);
                observe(q, h, hook_succeeded(r) ? "ok" : r->timed_out ? "timeout" : "failed",
                        child_result_describe(r, what, sizeof(what)));
                q->counters.runs++;
                q->counters.last_duration_usec = r->duration_usec;
                if (!hook_succeeded(r))
                        q->counters.failures++;
        }
        q->run = child_run_free(q->run);
        hook_queue_pop(q);
        hook_queue_next(q);
}

/* Starts the head, skipping refused hooks, unless one runs already. */
static void hook_queue_next(HookQueue *q) {
        while (q->head && !q->run) {
                const Hook *h = q->head;
                char reason[512];
                ChildSpec spec = {
                        .argv = h->argv,
                        .env = h->env,
                        .user = h->user,
                        .timeout_usec = h->timeout_usec,
                };
                _cleanup_free_ char *name = NULL;
                int r;

                r = script_check_secure(h->argv[0], reason, sizeof(reason));
                if (r < 0) {
                        log_hook(q, LOG_ERR, "hook %s refused: %s", h->argv[0], reason);
                        q->counters.refused++;
                        observe(q, h, "refused", reason);
                        hook_queue_pop(q);
                        continue;
                }
                spec.name = name = strf("%s: hook %s", q->label, h->argv[0]);
                r = child_run_start(&q->run, q->event, &spec, on_hook_done, q);
                if (r >= 0)
                        return;
                log_hook(q, LOG_WARNING, "hook %s (%s) failed: cannot start: %s", h->argv[0], h->state,
                         strerror(-r));
                q->counters.runs++;
                q->counters.failures++;
                observe(q, h, "failed", strerror(-r));
                hook_queue_pop(q);
        }
}

static int on_kick(sd_event_source *s, void *userdata) {
        (void) s;
        hook_queue_next(userdata);
        return 0;
}

/* Queues a transition's hooks: its state's, then `any`. */
static void queue_hooks(HookQueue *q, const HookInfo *info, ChildUser *user, bool env_ok) {
        const NotifyConfig *n = info->notify;
        const Argv *state_hook;
        const Argv *hooks[2];
        int r;

        hook_queue_drop_waiting(q, SIZE_MAX, vrrp_state_to_string(info->new_state));
        switch (info->new_state) {
        case VRRP_STATE_MASTER:
                state_hook = &n->master;
                break;
        case VRRP_STATE_BACKUP:
                state_hook = &n->backup;
                break;
        case VRRP_STATE_FAULT:
                state_hook = &n->fault;
                break;
        case VRRP_STATE_STOP:
                state_hook = &n->stop;
                break;
        default:
                return;
        }
        hooks[0] = state_hook;
        hooks[1] = &n->any;

        for (size_t i = 0; i < ELEMENTSOF(hooks); i++) {
                Hook *h;

                if (hooks[i]->argc == 0 || !hooks[i]->argv || !hooks[i]->argv[0])
                        continue;
                h = env_ok ? hook_new(hooks[i], hooks[i] == &n->any, info, user) : NULL;
                if (!h) {
                        log_hook(q, LOG_ERR, "hook %s (%s) not run: out of memory", hooks[i]->argv[0],
                                 vrrp_state_to_string(info->new_state));
                        q->counters.runs++;
                        q->counters.failures++;
                        continue;
                }
                hook_queue_push(q, h);
        }
        if (q->head && !q->run) {
                r = sd_event_source_set_enabled(q->kick, SD_EVENT_ONESHOT);
                if (r < 0) {
                        /* Start from here then: the caller is not held for long. */
                        log_hook(q, LOG_DEBUG, "cannot defer the hook start, starting now: %s", strerror(-r));
                        hook_queue_next(q);
                }
        }
}

void hook_queue_transition(HookQueue *q, const InstanceConfig *cfg, ChildUser *user, VrrpState old_state,
                           VrrpState new_state, uint8_t priority) {
        HookInfo info = {};
        bool ok;

        if (!q || !cfg || !user || new_state >= _VRRP_STATE_MAX)
                return;
        info = (HookInfo) { .notify = &cfg->notify, .kind = "INSTANCE", .name = cfg->name,
                            .new_state = new_state, .priority = priority };
        ok = instance_env(&info, cfg, old_state) >= 0;
        queue_hooks(q, &info, user, ok);
        hook_info_done(&info);
}

void hook_queue_group_transition(HookQueue *q, const SyncGroupConfig *g, const char *members, ChildUser *user,
                                 VrrpState old_state, VrrpState new_state) {
        HookInfo info = {};
        bool ok;

        if (!q || !g || !user || new_state >= _VRRP_STATE_MAX)
                return;
        /* keepalived passes priority 0 for a group. */
        info = (HookInfo) { .notify = &g->notify, .kind = "GROUP", .name = g->name, .new_state = new_state };
        info.env[0] = strf("PROMVIP_SYNC_GROUP=%s", g->name);
        info.env[1] = strf("PROMVIP_STATE=%s", vrrp_state_to_string(new_state));
        info.env[2] = strf("PROMVIP_PREVIOUS_STATE=%s", vrrp_state_to_string(old_state));
        info.env[3] = strf("PROMVIP_INSTANCES=%s", members);
        ok = info.env[0] && info.env[1] && info.env[2] && info.env[3];
        queue_hooks(q, &info, user, ok);
        hook_info_done(&info);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(HookQueue *, hook_queue_free);

static int queue_new(HookQueue **ret, sd_event *event, const char *what, const char *field, const char *name) {
        _cleanup_(hook_queue_freep) HookQueue *q = NULL;
        int r;

        if (!ret || !event || !name)
                return -EINVAL;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->event = sd_event_ref(event);
        q->label = strf("%s '%s'", what, name);
        q->log_field = strf("%s=%s", field, name);
        if (!q->label || !q->log_field)
                return -ENOMEM;
        r = sd_event_add_defer(event, &q->kick, on_kick, q);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(q->kick, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(q->kick, "hook-queue-start");
        *ret = TAKE_PTR(q);
        return 0;
}

int hook_queue_new(HookQueue **ret, sd_event *event, const char *instance) {
        return queue_new(ret, event, "instance", "PROMVIP_INSTANCE", instance);
}

int hook_queue_new_group(HookQueue **ret, sd_event *event, const char *group) {
        return queue_new(ret, event, "sync group", "PROMVIP_SYNC_GROUP", group);
}

HookQueue *hook_queue_free(HookQueue *q) {
        if (!q)
                return NULL;
        q->run = child_run_free(q->run);
        while (q->head)
                hook_queue_pop(q);
        q->kick = sd_event_source_disable_unref(q->kick);
        sd_event_unref(q->event);
        free(q->log_field);
        free(q->label);
        free(q);
        return NULL;
}

const HookCounters *hook_queue_counters(const HookQueue *q) {
        return q ? &q->counters : NULL;
}

size_t hook_queue_pending(const HookQueue *q) {
        return q ? q->n : 0;
}
