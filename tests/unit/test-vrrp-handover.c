/* Unit tests: the state machine's hand-over (a master's stop or release:
 * priority 0, VIPs kept until a new master is heard) and rapid preemption
 * (vrrp-fsm.c). Time is in microseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fsm-test-util.h"

#define MDI_100 3600000ULL /* Master_Down_Interval of priority 100 at 1 s */
#define PEER "10.99.0.12"

static VrrpFsm backup_with(uint8_t prio, bool rapid, uint64_t preempt_delay) {
        VrrpFsmParams p = { .version = 3, .priority = prio, .adver_int_cs = 100, .preempt = true,
                            .preempt_delay_us = preempt_delay, .rapid_preemption = rapid };
        VrrpFsm f = fsm_with(&p);
        VrrpActions a = ev(&f, VRRP_EV_STARTUP, T0);

        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        return f;
}

static VrrpActions advert(VrrpFsm *f, uint8_t prio, uint64_t now) {
        return advert_from(f, prio, 100, PEER, now);
}

/* MASTER since T0 + 4 s. */
static VrrpFsm master_with(uint8_t prio, bool rapid) {
        VrrpFsm f = backup_with(prio, rapid, 0);
        VrrpActions a = ev(&f, VRRP_EV_TIMER, f.timer_at);

        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        return f;
}

#define T1 (T0 + 10 * S)

static void test_stop_hands_over_to_new_master(void **state) {
        VrrpFsm m = master_with(100, false);
        VrrpActions a = ev(&m, VRRP_EV_SHUTDOWN, T1);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_HANDOVER); /* no DEL_VIPS yet */
        assert_int_equal(m.handover, VRRP_HANDOVER_STOP);
        assert_true(vrrp_fsm_handing_over(&m));
        assert_int_equal(m.handover_deadline, T1 + MDI_100);
        assert_int_equal(m.timer_at, T1 + S);
        /* Priority 0 from someone else ends nothing. */
        assert_int_equal(advert(&m, 0, T1 + 100).flags, 0);
        /* Priority 0 again each interval, no advert with our priority. */
        a = ev(&m, VRRP_EV_TIMER, T1 + S);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP);
        assert_int_equal(m.timer_at, T1 + 2 * S);
        /* A new master of any priority (here lower): VIPs go, then STOP. */
        a = advert(&m, 50, T1 + S + 600000);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_string_equal(a.reason, "handed over to the new master");
        assert_int_equal(m.timer_at, 0);
        assert_int_equal(m.handover, VRRP_HANDOVER_NONE);
        assert_false(vrrp_fsm_handing_over(&m));
}

static void test_stop_without_peer_ends_at_master_down_interval(void **state) {
        VrrpFsm m = master_with(100, false);
        VrrpActions a = ev(&m, VRRP_EV_SHUTDOWN, T1);

        (void) state;
        for (unsigned k = 1; k <= 3; k++) {
                a = ev(&m, VRRP_EV_TIMER, m.timer_at);
                assert_int_equal(a.flags, VRRP_ACT_SEND_STOP);
                assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        }
        assert_int_equal(m.timer_at, T1 + MDI_100); /* capped at the deadline */
        a = ev(&m, VRRP_EV_TIMER, T1 + MDI_100);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_string_equal(a.reason, "no new master within Master_Down_Interval");
}

static void test_second_stop_is_at_once(void **state) {
        VrrpFsm m = master_with(100, false);
        VrrpActions a;

        (void) state;
        ev(&m, VRRP_EV_SHUTDOWN, T1);
        a = ev(&m, VRRP_EV_SHUTDOWN, T1 + 100);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS);
}

static void test_fault_during_stop_ends_in_stop(void **state) {
        VrrpFsm m = master_with(100, false), r = master_with(100, false);
        VrrpActions a;

        (void) state;
        ev(&m, VRRP_EV_SHUTDOWN, T1);
        a = ev(&m, VRRP_EV_FAULT, T1 + 100);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS);
        /* A release cut short by a fault is a plain fault. */
        ev(&r, VRRP_EV_RELEASE, T1);
        a = ev(&r, VRRP_EV_FAULT, T1 + 100);
        assert_int_equal(a.new_state, VRRP_STATE_FAULT);
        assert_int_equal(r.handover, VRRP_HANDOVER_NONE);
}

static void test_release_then_stays_backup(void **state) {
        VrrpFsm m = master_with(200, true);
        VrrpActions a = ev(&m, VRRP_EV_RELEASE, T1);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_HANDOVER);
        assert_int_equal(m.handover, VRRP_HANDOVER_RELEASE);
        /* Asked again while handing over: nothing. */
        assert_int_equal(ev(&m, VRRP_EV_RELEASE, T1 + 1).flags, 0);
        /* A priority change says nothing while handing over. */
        VrrpEvent p = { .type = VRRP_EV_PRIORITY, .priority = 190 };
        vrrp_fsm_handle(&m, &p, T1 + 2, &a);
        assert_int_equal(a.flags, 0);

        a = advert(&m, 100, T1 + 700000);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_string_equal(a.reason, "released to the new master");
        assert_true(m.released);
        assert_true(m.master_known);
        /* Higher priority, preempt and rapid preemption on: still it follows. */
        a = advert(&m, 100, T1 + 2 * S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(a.flags, 0);
        assert_int_equal(m.timer_at, T1 + 2 * S + 3250000); /* MDI of 190: 66 * 100 / 256 = 25 cs skew */
        /* Until it is master again: the new master leaves. */
        advert(&m, 0, T1 + 3 * S);
        a = ev(&m, VRRP_EV_TIMER, m.timer_at);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_false(m.released);
}

static void test_release_without_taker_stays_master(void **state) {
        VrrpFsm m = master_with(100, false);
        VrrpActions a = ev(&m, VRRP_EV_RELEASE, T1);

        (void) state;
        while (m.timer_at < T1 + MDI_100)
                assert_int_equal(ev(&m, VRRP_EV_TIMER, m.timer_at).flags, VRRP_ACT_SEND_STOP);
        a = ev(&m, VRRP_EV_TIMER, m.timer_at);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_RELEASE_FAILED | VRRP_ACT_ANNOUNCE | VRRP_ACT_SEND_ADVERT);
        assert_int_equal(m.handover, VRRP_HANDOVER_NONE);
        assert_int_equal(m.timer_at, NEXT_ADVERT(T1 + MDI_100));
        /* A master again in full: a lower master is a split brain. */
        a = advert(&m, 50, T1 + MDI_100 + 100);
        assert_true(a.flags & VRRP_ACT_SPLIT_BRAIN);
}

static void test_release_needs_master(void **state) {
        VrrpFsm b = backup_with(100, false, 0);

        (void) state;
        assert_int_equal(ev(&b, VRRP_EV_RELEASE, T1).flags, 0);
        assert_int_equal(b.handover, VRRP_HANDOVER_NONE);
        assert_int_equal(b.state, VRRP_STATE_BACKUP);
}

static void test_rapid_preemption(void **state) {
        VrrpFsm rapid = backup_with(200, true, 0), rfc = backup_with(200, false, 0);
        VrrpActions a;

        (void) state;
        a = advert(&rapid, 150, T1);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_ADD_VIPS | VRRP_ACT_ANNOUNCE | VRRP_ACT_SEND_ADVERT);
        assert_string_equal(a.reason, "rapid preemption: the master's priority is lower");
        /* RFC 5798: discarded, the Master_Down_Timer decides. */
        uint64_t timer = rfc.timer_at;
        a = advert(&rfc, 150, T0 + S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(a.flags, 0);
        assert_int_equal(rfc.timer_at, timer);
        /* Equal or higher priority, or priority 0: as the RFC says. */
        VrrpFsm eq = backup_with(200, true, 0);
        assert_int_equal(advert(&eq, 200, T1).new_state, VRRP_STATE_BACKUP);
        assert_int_equal(advert(&eq, 0, T1 + S).new_state, VRRP_STATE_BACKUP);
}

static void test_rapid_preemption_after_preempt_delay(void **state) {
        VrrpFsm f = backup_with(200, true, 2 * S);
        VrrpActions a;

        (void) state;
        a = advert(&f, 150, T1);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(f.timer_at, T1 + 2 * S); /* the end of the delay, before Master_Down_Interval */
        a = advert(&f, 150, T1 + S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(f.timer_at, T1 + 2 * S);
        a = ev(&f, VRRP_EV_TIMER, T1 + 2 * S);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_string_equal(a.reason, "rapid preemption after preempt_delay");

        /* The master recovering within the delay resets it. */
        VrrpFsm g = backup_with(200, true, 2 * S);
        advert(&g, 150, T1);
        advert(&g, 250, T1 + S);
        assert_int_equal(g.preempt_at, 0);
        assert_int_equal(g.timer_at, T1 + S + 3210000); /* MDI of 200: 56 * 100 / 256 = 21 cs skew */
}

static void test_two_rapid_backups_settle_by_priority(void **state) {
        VrrpFsm hi = backup_with(200, true, 0), lo = backup_with(150, true, 0);
        VrrpEvent e = { .type = VRRP_EV_ADVERT, .priority = 200, .adver_int_cs = 100,
                        .src = addr("10.99.0.13") };
        VrrpActions a;

        (void) state;
        /* Both hear the lowered master (100) and take over at once. */
        assert_int_equal(advert(&hi, 100, T1).new_state, VRRP_STATE_MASTER);
        assert_int_equal(advert(&lo, 100, T1).new_state, VRRP_STATE_MASTER);
        /* Then they hear each other: 150 yields, 200 stays. */
        vrrp_fsm_handle(&lo, &e, T1 + 1000, &a);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        e.priority = 150;
        vrrp_fsm_handle(&hi, &e, T1 + 1000, &a);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop_hands_over_to_new_master),
                cmocka_unit_test(test_stop_without_peer_ends_at_master_down_interval),
                cmocka_unit_test(test_second_stop_is_at_once),
                cmocka_unit_test(test_fault_during_stop_ends_in_stop),
                cmocka_unit_test(test_release_then_stays_backup),
                cmocka_unit_test(test_release_without_taker_stays_master),
                cmocka_unit_test(test_release_needs_master),
                cmocka_unit_test(test_rapid_preemption),
                cmocka_unit_test(test_rapid_preemption_after_preempt_delay),
                cmocka_unit_test(test_two_rapid_backups_settle_by_priority),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
