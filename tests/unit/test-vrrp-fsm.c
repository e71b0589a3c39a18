/* Unit tests: the RFC 5798 state machine (vrrp-fsm.c): every transition of
 * section 6.4 and every timer computation. Time is in microseconds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "fsm-test-util.h"

static VrrpFsm fsm(uint8_t version, uint8_t prio, bool preempt, uint64_t preempt_delay) {
        VrrpFsmParams p = { .version = version, .priority = prio, .adver_int_cs = 100,
                            .preempt = preempt, .preempt_delay_us = preempt_delay };

        return fsm_with(&p);
}

static VrrpFsm backup(uint8_t prio, bool preempt, uint64_t delay) {
        VrrpFsm f = fsm(3, prio, preempt, delay);
        VrrpActions a = ev(&f, VRRP_EV_STARTUP, T0);

        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        return f;
}

static VrrpFsm master(uint8_t prio) {
        VrrpFsm f = backup(prio, true, 0);
        VrrpActions a = ev(&f, VRRP_EV_TIMER, f.timer_at);

        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        return f;
}

static void test_timer_computations(void **state) {
        (void) state;
        /* v3: ((256 - 100) * 100) / 256 = 60 cs (integer arithmetic) */
        assert_int_equal(vrrp_skew_time_us(3, 100, 100), 600000);
        assert_int_equal(vrrp_master_down_us(3, 100, 100), 3600000);
        assert_int_equal(vrrp_skew_time_us(3, 254, 100), 0);     /* 2*100/256 = 0 */
        assert_int_equal(vrrp_skew_time_us(3, 1, 100), 990000);   /* 255*100/256 = 99 */
        assert_int_equal(vrrp_skew_time_us(3, 150, 5), 20000);    /* 106*5/256 = 2 cs */
        assert_int_equal(vrrp_master_down_us(3, 150, 5), 170000); /* 15 + 2 cs */
        assert_int_equal(vrrp_master_down_us(3, 1, 4095), 3 * 40950000ULL + 4079 * 10000ULL);
        /* v2: (256 - Priority) / 256 seconds, whatever the interval */
        assert_int_equal(vrrp_skew_time_us(2, 100, 300), 609375);
        assert_int_equal(vrrp_master_down_us(2, 100, 300), 9609375);
        assert_int_equal(vrrp_master_down_us(2, 255, 100), 3003906);
        /* Timer accuracy: a thousandth of the interval, 10 us to 1 ms. */
        assert_int_equal(vrrp_timer_accuracy_us(1), 10);
        assert_int_equal(vrrp_timer_accuracy_us(10), 100);
        assert_int_equal(vrrp_timer_accuracy_us(50), 500);
        assert_int_equal(vrrp_timer_accuracy_us(100), 1000);
        assert_int_equal(vrrp_timer_accuracy_us(4095), 1000);
}

static void test_startup_backup(void **state) {
        VrrpFsm f = fsm(3, 100, true, 0);
        VrrpActions a = ev(&f, VRRP_EV_STARTUP, T0);

        (void) state;
        assert_int_equal(a.old_state, VRRP_STATE_INIT);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        /* VIPs left by a crashed predecessor go; nothing is sent. */
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_int_equal(f.timer_at, T0 + 3600000);
        assert_int_equal(f.master_adver_int_cs, 100);
}

static void test_startup_owner(void **state) {
        VrrpFsm f = fsm(3, 255, true, 0);
        VrrpActions a = ev(&f, VRRP_EV_STARTUP, T0);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_ANNOUNCE);
        assert_int_equal(f.timer_at, T0 + S);
}

static void test_startup_fault(void **state) {
        VrrpFsm f = fsm(3, 100, true, 0);
        VrrpActions a = ev(&f, VRRP_EV_FAULT, T0);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_INIT);
        a = ev(&f, VRRP_EV_STARTUP, T0);
        assert_int_equal(a.new_state, VRRP_STATE_FAULT);
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_int_equal(f.timer_at, 0);
}

static void test_backup_master_down(void **state) {
        VrrpFsm f = backup(100, true, 0);
        VrrpActions a = ev(&f, VRRP_EV_TIMER, f.timer_at - 1);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP); /* early wake-up: nothing */
        assert_int_equal(a.flags, 0);
        a = ev(&f, VRRP_EV_TIMER, T0 + 3600000);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_ANNOUNCE);
        assert_int_equal(f.timer_at, NEXT_ADVERT(T0 + 3600000));
        assert_int_equal(f.timer_at, T0 + 4 * S);
}

static void test_master_adver_timer(void **state) {
        VrrpFsm f = master(100);
        uint64_t t = f.timer_at;
        VrrpActions a = ev(&f, VRRP_EV_TIMER, t);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT);
        assert_int_equal(f.timer_at, t + S);
}

/* A master's periodic adverts fall on the multiples of its interval: the
 * routers of a host with one interval send in one wake-up, and a late
 * wake-up does not shift the rhythm; no gap is longer than the interval. */
static void test_master_adverts_on_the_grid(void **state) {
        VrrpFsmParams p = { .version = 3, .priority = 100, .adver_int_cs = 10, .preempt = true };
        const uint64_t step = 100000;
        VrrpFsm f = fsm_with(&p);
        uint64_t sent = T0 + 3600000 + 12345, t;
        VrrpActions a;

        (void) state;
        ev(&f, VRRP_EV_STARTUP, T0);
        assert_int_equal(ev(&f, VRRP_EV_TIMER, sent).new_state, VRRP_STATE_MASTER);
        assert_int_equal(f.timer_at % step, 0);
        assert_true(f.timer_at > sent && f.timer_at <= sent + step);
        for (int k = 0; k < 20; k++) {
                t = f.timer_at;
                /* Woken up late by 0..95 ms: the next one is on the grid still. */
                sent = t + (uint64_t) (k * 5000);
                assert_int_equal(ev(&f, VRRP_EV_TIMER, sent).flags, VRRP_ACT_SEND_ADVERT);
                assert_int_equal(f.timer_at, t + step);
                assert_true(f.timer_at - sent <= step);
        }
        /* A priority change sends at once; the next is back on the grid. */
        sent = f.timer_at - 1;
        vrrp_fsm_handle(&f, &(VrrpEvent) { .type = VRRP_EV_PRIORITY, .priority = 90 }, sent, &a);
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT);
        assert_int_equal(f.timer_at, sent + 1);
}

static void test_backup_follows_higher_master(void **state) {
        VrrpFsm f = backup(100, true, 0);
        VrrpActions a = advert_from(&f, 150, 100, "10.99.0.12", T0 + S);

        (void) state;
        assert_int_equal(a.flags, 0);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(f.timer_at, T0 + S + 3600000);
        assert_true(f.master_known);
        IpAddr m = addr("10.99.0.12");
        assert_true(ip_addr_equal(&f.master, &m));
}

static void test_backup_learns_interval_v3(void **state) {
        VrrpFsm f = backup(100, true, 0);

        (void) state;
        advert_from(&f, 150, 200, "10.99.0.12", T0);
        assert_int_equal(f.master_adver_int_cs, 200);
        /* 3 * 2 s + (156 * 200) / 256 = 121 cs */
        assert_int_equal(f.timer_at, T0 + 6000000 + 1210000);
}

static void test_backup_keeps_interval_v2(void **state) {
        VrrpFsm f = fsm(2, 100, true, 0);

        (void) state;
        ev(&f, VRRP_EV_STARTUP, T0);
        advert_from(&f, 150, 200, "10.99.0.12", T0);
        assert_int_equal(f.master_adver_int_cs, 100);
        assert_int_equal(f.timer_at, T0 + 3609375);
}

static void test_backup_priority_zero(void **state) {
        VrrpFsm f = backup(100, true, 0);

        (void) state;
        advert_from(&f, 150, 100, "10.99.0.12", T0);
        VrrpActions a = advert_from(&f, 0, 100, "10.99.0.12", T0 + S);
        assert_int_equal(a.flags, 0);
        assert_int_equal(f.timer_at, T0 + S + 600000); /* Skew_Time */
        assert_false(f.master_known);
        a = ev(&f, VRRP_EV_TIMER, T0 + S + 600000);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
}

static void test_backup_preempts_lower_master(void **state) {
        VrrpFsm f = backup(150, true, 0);
        uint64_t deadline = f.timer_at;

        (void) state;
        advert_from(&f, 100, 100, "10.99.0.12", T0 + S);
        assert_int_equal(f.timer_at, deadline); /* discarded: the timer runs on */
        assert_int_equal(ev(&f, VRRP_EV_TIMER, deadline).new_state, VRRP_STATE_MASTER);
}

static void test_backup_equal_priority_accepted(void **state) {
        VrrpFsm f = backup(100, true, 0);

        (void) state;
        advert_from(&f, 100, 100, "10.99.0.1", T0 + S);
        assert_int_equal(f.timer_at, T0 + S + 3600000);
}

static void test_backup_no_preempt(void **state) {
        VrrpFsm f = backup(150, false, 0);

        (void) state;
        advert_from(&f, 100, 100, "10.99.0.12", T0 + S);
        assert_int_equal(f.timer_at, T0 + S + vrrp_master_down_us(3, 150, 100));
        advert_from(&f, 100, 100, "10.99.0.12", T0 + 2 * S);
        assert_int_equal(f.timer_at, T0 + 2 * S + vrrp_master_down_us(3, 150, 100));
}

static void test_backup_preempt_delay(void **state) {
        VrrpFsm f = backup(150, true, 5 * S);
        uint64_t mdi = vrrp_master_down_us(3, 150, 100);

        (void) state;
        /* Tolerated for 5 s from the first lower-priority advertisement... */
        advert_from(&f, 100, 100, "10.99.0.12", T0 + S);
        assert_int_equal(f.preempt_at, T0 + 6 * S);
        assert_int_equal(f.timer_at, T0 + S + mdi);
        advert_from(&f, 100, 100, "10.99.0.12", T0 + 5 * S);
        assert_int_equal(f.timer_at, T0 + 5 * S + mdi);
        /* ...then discarded, so the master down timer takes over. */
        advert_from(&f, 100, 100, "10.99.0.12", T0 + 6 * S);
        assert_int_equal(f.timer_at, T0 + 5 * S + mdi);
        assert_int_equal(ev(&f, VRRP_EV_TIMER, T0 + 5 * S + mdi).new_state, VRRP_STATE_MASTER);
        /* A higher-priority master resets the wait. */
        VrrpFsm g = backup(150, true, 5 * S);
        advert_from(&g, 100, 100, "10.99.0.12", T0 + S);
        advert_from(&g, 200, 100, "10.99.0.13", T0 + 2 * S);
        assert_int_equal(g.preempt_at, 0);
}

static void test_master_yields_to_higher(void **state) {
        VrrpFsm f = master(100);
        uint64_t now = f.timer_at - 1000;
        VrrpActions a = advert_from(&f, 150, 200, "10.99.0.12", now);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_string_equal(a.reason, "higher priority master");
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
        assert_int_equal(f.master_adver_int_cs, 200);
        assert_int_equal(f.timer_at, now + vrrp_master_down_us(3, 100, 200));
        assert_true(f.master_known);
}

static void test_master_tie_break(void **state) {
        VrrpFsm f = master(100);
        uint64_t now = f.timer_at - 1000;
        VrrpActions a = advert_from(&f, 100, 100, "10.99.0.10", now); /* lower address: we stay */

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_true(a.flags & VRRP_ACT_SPLIT_BRAIN);
        a = advert_from(&f, 100, 100, "10.99.0.12", now); /* higher address: we yield */
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_string_equal(a.reason, "master with equal priority and higher address");
}

/* Our address changes (the interface's primary address): the tie-break
 * uses the new one. */
static void test_set_primary(void **state) {
        VrrpFsm f = master(100);
        uint64_t now = f.timer_at - 1000;
        IpAddr higher = addr("10.99.0.13");
        VrrpActions a;

        (void) state;
        vrrp_fsm_set_primary(&f, &higher);
        assert_true(ip_addr_equal(&f.primary, &higher));
        a = advert_from(&f, 100, 100, "10.99.0.12", now); /* now lower than ours: we stay */
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_true(a.flags & VRRP_ACT_SPLIT_BRAIN);
        vrrp_fsm_set_primary(&f, &(IpAddr) { .family = AF_INET });
        a = advert_from(&f, 100, 100, "10.99.0.12", now);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_string_equal(a.reason, "master with equal priority and higher address");
}

static void test_master_split_brain(void **state) {
        VrrpFsm f = master(150);
        uint64_t now = f.timer_at - 500000;
        VrrpActions a = advert_from(&f, 100, 100, "10.99.0.12", now);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SPLIT_BRAIN | VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE);
        assert_int_equal(f.timer_at, NEXT_ADVERT(now));
}

/* New settings (a reload) keep the state and apply from the next event; a
 * backup that has not heard a master restarts its Master_Down_Timer. */
static void test_update_params(void **state) {
        VrrpFsm f = backup(100, true, 0);
        VrrpFsmParams q = f.params;
        VrrpActions a;
        uint64_t at;

        (void) state;
        q.preempt = false;
        q.priority = 90;
        vrrp_fsm_update_params(&f, &q, T0 + 1000);
        assert_int_equal(f.state, VRRP_STATE_BACKUP);
        assert_false(f.params.preempt);
        assert_int_equal(f.params.priority, 90);
        assert_int_equal(f.priority, 100); /* the effective one changes with VRRP_EV_PRIORITY */
        assert_int_equal(f.timer_at, T0 + 1000 + vrrp_master_down_us(3, 100, 100));
        /* Without preemption, a lower priority master is followed. */
        a = advert_from(&f, 50, 100, "10.99.0.12", T0 + S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(a.flags, 0);
        assert_true(f.master_known);
        assert_int_equal(f.timer_at, T0 + S + vrrp_master_down_us(3, 100, 100));
        /* A master keeps its state and its advert timer. */
        f = master(100);
        q = f.params;
        q.adver_int_cs = 200;
        at = f.timer_at;
        vrrp_fsm_update_params(&f, &q, at - 1000);
        assert_int_equal(f.state, VRRP_STATE_MASTER);
        assert_int_equal(f.timer_at, at);
        assert_int_equal(f.master_adver_int_cs, 200);
}

static void test_master_priority_zero(void **state) {
        VrrpFsm f = master(100);
        uint64_t now = f.timer_at - 500000;
        VrrpActions a = advert_from(&f, 0, 100, "10.99.0.12", now);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT);
        assert_int_equal(f.timer_at, NEXT_ADVERT(now));
}

static void test_shutdown(void **state) {
        VrrpFsm m = master(100), b = backup(100, true, 0);
        VrrpActions a = ev(&m, VRRP_EV_SHUTDOWN, T0 + 10 * S);

        (void) state;
        /* A master hands over first (test-vrrp-handover.c); a second
         * shutdown stops it at once. */
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_HANDOVER);
        a = ev(&m, VRRP_EV_SHUTDOWN, T0 + 10 * S);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS);
        assert_int_equal(m.timer_at, 0);
        a = ev(&b, VRRP_EV_SHUTDOWN, T0 + S);
        assert_int_equal(a.new_state, VRRP_STATE_STOP);
        assert_int_equal(a.flags, 0);
        /* Nothing moves a stopped machine. */
        a = advert_from(&b, 200, 100, "10.99.0.12", T0 + 2 * S);
        assert_int_equal(a.flags, 0);
        assert_int_equal(ev(&b, VRRP_EV_FAULT_CLEARED, T0).new_state, VRRP_STATE_STOP);
        assert_int_equal(ev(&b, VRRP_EV_STARTUP, T0).new_state, VRRP_STATE_STOP);
}

static void test_fault_and_recovery(void **state) {
        VrrpFsm f = master(100);
        VrrpActions a = ev(&f, VRRP_EV_FAULT, T0 + 10 * S);

        (void) state;
        assert_int_equal(a.new_state, VRRP_STATE_FAULT);
        assert_int_equal(a.flags, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS);
        assert_int_equal(f.timer_at, 0);
        /* No adverts or timers act in FAULT. */
        assert_int_equal(advert_from(&f, 50, 100, "10.99.0.12", T0 + 11 * S).flags, 0);
        assert_int_equal(ev(&f, VRRP_EV_TIMER, T0 + 12 * S).flags, 0);
        a = ev(&f, VRRP_EV_FAULT_CLEARED, T0 + 20 * S);
        assert_int_equal(a.old_state, VRRP_STATE_FAULT);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(f.timer_at, T0 + 20 * S + 3600000);

        VrrpFsm b = backup(100, true, 0);
        a = ev(&b, VRRP_EV_FAULT, T0 + S);
        assert_int_equal(a.new_state, VRRP_STATE_FAULT);
        assert_int_equal(a.flags, 0);
}

static void test_priority_change(void **state) {
        VrrpFsm m = master(150);
        VrrpEvent e = { .type = VRRP_EV_PRIORITY, .priority = 90 };
        VrrpActions a;

        (void) state;
        vrrp_fsm_handle(&m, &e, T0 + 5 * S, &a);
        assert_int_equal(a.new_state, VRRP_STATE_MASTER);
        assert_int_equal(m.priority, 90);
        /* Said at once, and the rhythm restarts from there. */
        assert_int_equal(a.flags, VRRP_ACT_SEND_ADVERT);
        assert_int_equal(m.timer_at, T0 + 6 * S);
        vrrp_fsm_handle(&m, &e, T0 + 5 * S + 1, &a);
        assert_int_equal(a.flags, 0);
        /* The lowered master now yields to a 100. */
        a = advert_from(&m, 100, 100, "10.99.0.12", T0 + 5 * S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);

        VrrpFsm b = backup(100, true, 0);
        e.priority = 200;
        vrrp_fsm_handle(&b, &e, T0 + S, &a);
        advert_from(&b, 150, 100, "10.99.0.12", T0 + 2 * S); /* now lower than us: discarded */
        assert_int_equal(b.timer_at, T0 + 3600000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timer_computations),
                cmocka_unit_test(test_startup_backup),
                cmocka_unit_test(test_startup_owner),
                cmocka_unit_test(test_startup_fault),
                cmocka_unit_test(test_backup_master_down),
                cmocka_unit_test(test_master_adver_timer),
                cmocka_unit_test(test_master_adverts_on_the_grid),
                cmocka_unit_test(test_backup_follows_higher_master),
                cmocka_unit_test(test_backup_learns_interval_v3),
                cmocka_unit_test(test_backup_keeps_interval_v2),
                cmocka_unit_test(test_backup_priority_zero),
                cmocka_unit_test(test_backup_preempts_lower_master),
                cmocka_unit_test(test_backup_equal_priority_accepted),
                cmocka_unit_test(test_backup_no_preempt),
                cmocka_unit_test(test_backup_preempt_delay),
                cmocka_unit_test(test_master_yields_to_higher),
                cmocka_unit_test(test_master_tie_break),
                cmocka_unit_test(test_set_primary),
                cmocka_unit_test(test_master_split_brain),
                cmocka_unit_test(test_master_priority_zero),
                cmocka_unit_test(test_update_params),
                cmocka_unit_test(test_shutdown),
                cmocka_unit_test(test_fault_and_recovery),
                cmocka_unit_test(test_priority_change),
        };
        return cmocka_run_group_tests_name("vrrp-fsm", tests, NULL, NULL);
}
