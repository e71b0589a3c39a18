/* The event history of one instance (/events, "events" of /status): a
 * bounded ring of what happened to it, oldest dropped first, and the
 * memory of the advertised priorities that decides when an advert is worth
 * an event (only when the priority changes).
 *
 * Pure: the caller stamps each event with the time (CLOCK_REALTIME) and
 * passes the daemon-wide sequence counter; no I/O, no clock, no logging.
 * A log is shared by reference: an instance replaced by a reload hands its
 * history to the one that replaces it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/addr.h"
#include "vrrp/vrrp-fsm.h"

typedef enum EventType {
        EVENT_TRANSITION,
        EVENT_PRIORITY,
        EVENT_PROBE,
        EVENT_TRACK_INTERFACE,
        EVENT_ADVERT,
        EVENT_MASTER,
        EVENT_HANDOVER,
        EVENT_SPLIT_BRAIN,
        EVENT_HOOK,
        EVENT_RELOAD,
        _EVENT_TYPE_MAX,
} EventType;

#define EVENT_NAME_MAX 65
#define EVENT_ADDR_MAX 50
#define EVENT_TEXT_MAX 200

/* One event; which fields count depends on the type (the JSON names in
 * brackets, see event-json.h). A text of "" with has_text false is null. */
typedef struct Event {
        uint64_t seq;                 /* set by event_log_add() */
        uint64_t realtime_usec;       /* ["time"] */
        EventType type;
        VrrpState state_from, state_to; /* transition ["from", "to"] */
        int from, to;                 /* priority ["from", "to"] */
        bool was_up, up;              /* probe ["from", "to"]; track_interface ["up"] */
        bool sent;                    /* advert ["direction"] */
        int priority;                 /* advert, split_brain ["priority"] */
        bool has_previous;            /* advert ["previous"], null without */
        int previous;
        bool answered;                /* split_brain ["answered"] */
        VrrpHandover handover;        /* handover ["kind"] */
        bool begin;                   /* handover ["phase"]: begin or end */
        char name[EVENT_NAME_MAX];    /* probe ["probe"], track_interface ["interface"], hook ["hook"] */
        char result[16];              /* hook ["result"]: ok, failed, timeout, refused, dropped */
        char group[EVENT_NAME_MAX];   /* hook ["sync_group"]: a sync group's hook; "" (null): the instance's */
        char address[EVENT_ADDR_MAX]; /* advert (received), split_brain ["address"]; master ["from"] */
        char address_to[EVENT_ADDR_MAX]; /* master ["to"]; "" is null for both master addresses */
        bool has_text;
        char text[EVENT_TEXT_MAX];    /* transition ["reason"], priority ["cause"], else ["detail"] */
} Event;

typedef struct EventLog EventLog;

/* A log that keeps the newest `capacity` events (0: none). NULL when out
 * of memory. */
EventLog *event_log_new(size_t capacity);
EventLog *event_log_ref(EventLog *l);
/* Drops one reference; the last frees the log. Returns NULL. */
EventLog *event_log_unref(EventLog *l);

/* A new capacity: the newest events that fit stay. 0, or -ENOMEM with the
 * log unchanged. */
int event_log_resize(EventLog *l, size_t capacity);
size_t event_log_capacity(const EventLog *l);
size_t event_log_count(const EventLog *l);
/* The k-th event kept, 0 the oldest; NULL past the end. */
const Event *event_log_at(const EventLog *l, size_t k);

/* Appends a copy of *e with seq = ++*seq (the daemon-wide counter: it
 * rises even when the log keeps nothing), dropping the oldest when full. */
void event_log_add(EventLog *l, uint64_t *seq, const Event *e);

/* A malloc'd copy of the events kept, oldest first (*ret NULL when there
 * are none). 0 or -ENOMEM. */
int event_log_copy(const EventLog *l, Event **ret, size_t *ret_n);

/* "transition", "priority", ... (the JSON "type"). */
const char *event_type_to_string(EventType t);

/* The advertised priorities last recorded: one for those we sent, one per
 * sender for those we received (the few most recent senders). */
#define EVENT_ADVERT_SENDERS 8
typedef struct EventAdvertMemo {
        bool sent_known;
        int sent;
        size_t n_received;
        struct {
                IpAddr address;
                int priority;
                uint64_t used;        /* for replacing the least recent */
        } received[EVENT_ADVERT_SENDERS];
        uint64_t clock;
} EventAdvertMemo;

/* Whether an advert with `priority` (sent: `from` NULL, or received from
 * `from`) differs from the last one recorded for that direction and
 * sender; if so, remembers it and fills *e (type advert, without seq or
 * time). Compares addresses, formats one only for an event: it runs for
 * every advert. */
bool event_advert_changed(EventAdvertMemo *m, const IpAddr *from, int priority, Event *e);
