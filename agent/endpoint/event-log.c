/* A bounded ring of events (see event-log.h): `start` is the oldest's
 * slot in `ring` (`allocated` slots), `count` how many are kept. The array
 * grows as events come, up to `capacity`, so that a large event_history
 * costs memory only once it fills (and locked memory stays small); growing
 * and resizing copy the events into a new array, oldest first. */
#include "endpoint/event-log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct EventLog {
        unsigned n_ref;
        Event *ring;
        size_t allocated;
        size_t capacity;
        size_t start;
        size_t count;
};

static const char *const event_type_names[_EVENT_TYPE_MAX] = {
        [EVENT_TRANSITION] = "transition",
        [EVENT_PRIORITY] = "priority",
        [EVENT_PROBE] = "probe",
        [EVENT_TRACK_INTERFACE] = "track_interface",
        [EVENT_ADVERT] = "advert",
        [EVENT_MASTER] = "master",
        [EVENT_HANDOVER] = "handover",
        [EVENT_SPLIT_BRAIN] = "split_brain",
        [EVENT_HOOK] = "hook",
        [EVENT_RELOAD] = "reload",
};

const char *event_type_to_string(EventType t) {
        return t < _EVENT_TYPE_MAX ? event_type_names[t] : "unknown";
}

EventLog *event_log_new(size_t capacity) {
        EventLog *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->n_ref = 1;
        if (event_log_resize(l, capacity) < 0) {
                free(l);
                return NULL;
        }
        return l;
}

EventLog *event_log_ref(EventLog *l) {
        if (l)
                l->n_ref++;
        return l;
}

EventLog *event_log_unref(EventLog *l) {
        if (!l || --l->n_ref > 0)
                return NULL;
        free(l->ring);
        free(l);
        return NULL;
}

#define EVENT_LOG_FIRST_ALLOCATION 16

/* Moves the newest `keep` events into a new array of `allocated` slots. */
static int reallocate(EventLog *l, size_t allocated, size_t keep) {
        Event *ring = NULL;

        if (allocated > 0) {
                ring = calloc(allocated, sizeof(*ring));
                if (!ring)
                        return -ENOMEM;
        }
        for (size_t k = 0; k < keep; k++)
                ring[k] = *event_log_at(l, l->count - keep + k);
        free(l->ring);
        l->ring = ring;
        l->allocated = allocated;
        l->start = 0;
        l->count = keep;
        return 0;
}

int event_log_resize(EventLog *l, size_t capacity) {
        size_t keep = l->count < capacity ? l->count : capacity;
        size_t first = capacity < EVENT_LOG_FIRST_ALLOCATION ? capacity : EVENT_LOG_FIRST_ALLOCATION;
        int r;

        if (capacity == l->capacity)
                return 0;
        r = reallocate(l, keep > first ? keep : first, keep);
        if (r < 0)
                return r;
        l->capacity = capacity;
        return 0;
}

size_t event_log_capacity(const EventLog *l) {
        return l ? l->capacity : 0;
}

size_t event_log_count(const EventLog *l) {
        return l ? l->count : 0;
}

const Event *event_log_at(const EventLog *l, size_t k) {
        if (!l || k >= l->count)
                return NULL;
        return &l->ring[(l->start + k) % l->allocated];
}

void event_log_add(EventLog *l, uint64_t *seq, const Event *e) {
        Event *slot;

        ++*seq;
        if (!l || l->capacity == 0)
                return;
        /* Full but below capacity: grow (when that fails, the oldest goes). */
        if (l->count == l->allocated && l->allocated < l->capacity) {
                size_t grown = l->allocated < l->capacity / 2 ? l->allocated * 2 : l->capacity;

                (void) reallocate(l, grown > 0 ? grown : 1, l->count);
        }
        if (l->count < l->allocated)
                slot = &l->ring[(l->start + l->count++) % l->allocated];
        else {
                slot = &l->ring[l->start];
                l->start = (l->start + 1) % l->allocated;
        }
        *slot = *e;
        slot->seq = *seq;
}

int event_log_copy(const EventLog *l, Event **ret, size_t *ret_n) {
        size_t n = event_log_count(l);
        Event *a;

        *ret = NULL;
        *ret_n = 0;
        if (n == 0)
                return 0;
        a = calloc(n, sizeof(*a));
        if (!a)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++)
                a[k] = *event_log_at(l, k);
        *ret = a;
        *ret_n = n;
        return 0;
}

bool event_advert_changed(EventAdvertMemo *m, const IpAddr *from, int priority, Event *e) {
        bool has_previous = false;
        int previous = 0;

        if (!from) {
                if (m->sent_known && m->sent == priority)
                        return false;
                has_previous = m->sent_known;
                previous = m->sent;
                m->sent_known = true;
                m->sent = priority;
        } else {
                size_t k, oldest = 0;

                for (k = 0; k < m->n_received; k++)
                        if (ip_addr_equal(&m->received[k].address, from))
                                break;
                if (k < m->n_received) {
                        if (m->received[k].priority == priority) {
                                m->received[k].used = ++m->clock;
                                return false;
                        }
                        has_previous = true;
                        previous = m->received[k].priority;
                } else if (m->n_received < EVENT_ADVERT_SENDERS)
                        k = m->n_received++;
                else {
                        for (k = 1; k < EVENT_ADVERT_SENDERS; k++)
                                if (m->received[k].used < m->received[oldest].used)
                                        oldest = k;
                        k = oldest;
                }
                m->received[k].address = *from;
                m->received[k].priority = priority;
                m->received[k].used = ++m->clock;
        }
        *e = (Event) { .type = EVENT_ADVERT, .sent = !from, .priority = priority, .has_previous = has_previous,
                       .previous = previous };
        if (from) {
                char buf[IP_ADDR_STRLEN];

                snprintf(e->address, sizeof(e->address), "%s", ip_addr_to_string(from, buf));
        }
        return true;
}
