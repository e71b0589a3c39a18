/* Helpers of the state machine's unit tests (test-vrrp-fsm.c,
 * test-vrrp-handover.c): feed one event, get the actions. Time is in
 * microseconds; include after cmocka.h. */
#pragma once

#include "vrrp/vrrp-fsm.h"

#define S 1000000ULL
#define T0 (100 * S)
/* A master's next periodic advert after `now` at a 1 s interval: the
 * last whole second within one interval (see next_advert_at()). */
#define NEXT_ADVERT(now) (((now) + S) / S * S)
#define FSM_TEST_SELF "10.99.0.11"

static inline IpAddr addr(const char *s) {
        IpAddr a;
        assert_int_equal(ip_addr_parse(s, &a), 0);
        return a;
}

/* In INIT, our address FSM_TEST_SELF. */
static inline VrrpFsm fsm_with(const VrrpFsmParams *p) {
        IpAddr me = addr(FSM_TEST_SELF);
        VrrpFsm f;

        vrrp_fsm_init(&f, p, &me);
        return f;
}

static inline VrrpActions ev(VrrpFsm *f, VrrpEventType type, uint64_t now) {
        VrrpEvent e = { .type = type };
        VrrpActions a;

        vrrp_fsm_handle(f, &e, now, &a);
        return a;
}

static inline VrrpActions advert_from(VrrpFsm *f, uint8_t prio, uint16_t int_cs, const char *src, uint64_t now) {
        VrrpEvent e = { .type = VRRP_EV_ADVERT, .priority = prio, .adver_int_cs = int_cs, .src = addr(src) };
        VrrpActions a;

        vrrp_fsm_handle(f, &e, now, &a);
        return a;
}
