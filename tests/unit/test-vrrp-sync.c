/* Unit tests: sync group rules (vrrp-sync, keepalived's vrrp_sync_group)
 * and what the state machine does for a member of a group (wants master
 * instead of taking over, SYNC_MASTER / SYNC_BACKUP). Time is in
 * microseconds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fsm-test-util.h"
#include "vrrp/vrrp-sync.h"

#define B VRRP_STATE_BACKUP
#define M VRRP_STATE_MASTER
#define F VRRP_STATE_FAULT
#define I VRRP_STATE_INIT
#define X VRRP_STATE_STOP

static size_t decide3(const VrrpSyncMember *m, size_t n, size_t k, VrrpState old, VrrpSyncAction *a) {
        return vrrp_sync_decide(m, n, k, old, a);
}

static void test_fault_is_a_level(void **state) {
        VrrpSyncMember m[2] = { { .state = M }, { .state = M } };

        (void) state;
        assert_false(vrrp_sync_faulted(m, 2));
        m[1].fault = true;
        assert_true(vrrp_sync_faulted(m, 2));
        assert_int_equal(vrrp_sync_group_state(m, 2), F);
        m[1].fault = false;
        assert_false(vrrp_sync_faulted(m, 2));
        /* A member that is FAULT because of the group does not keep it faulted. */
        m[0].state = F;
        m[1].state = F;
        assert_false(vrrp_sync_faulted(m, 2));
}

static void test_faulted_group_moves_nobody(void **state) {
        VrrpSyncMember m[2] = { { .state = M }, { .state = B, .fault = true } };
        VrrpSyncAction a[2];

        (void) state;
        assert_int_equal(decide3(m, 2, 0, B, a), 0);
        assert_int_equal(a[0], VRRP_SYNC_KEEP);
        assert_int_equal(a[1], VRRP_SYNC_KEEP);
}

static void test_master_pulls(void **state) {
        VrrpSyncMember m[3] = { { .state = M }, { .state = B }, { .state = B } };
        VrrpSyncAction a[3];

        (void) state;
        assert_int_equal(decide3(m, 3, 0, B, a), 2);
        assert_int_equal(a[0], VRRP_SYNC_KEEP);
        assert_int_equal(a[1], VRRP_SYNC_TO_MASTER);
        assert_int_equal(a[2], VRRP_SYNC_TO_MASTER);
        /* From INIT (an address owner starting) too. */
        assert_int_equal(decide3(m, 3, 0, I, a), 2);
        /* Staying master (a release that failed) moves nobody. */
        assert_int_equal(decide3(m, 3, 0, M, a), 0);
}

static void test_backup_pushes(void **state) {
        VrrpSyncMember m[2] = { { .state = B }, { .state = M } };
        VrrpSyncAction a[2];

        (void) state;
        assert_int_equal(decide3(m, 2, 0, M, a), 1);
        assert_int_equal(a[0], VRRP_SYNC_KEEP);
        assert_int_equal(a[1], VRRP_SYNC_TO_BACKUP);
        /* A member that starts as BACKUP among backups moves nobody. */
        m[1].state = B;
        assert_int_equal(decide3(m, 2, 0, I, a), 0);
}

static void test_master_only_when_all_want(void **state) {
        VrrpSyncMember m[2] = { { .state = B, .wants_master = true }, { .state = B } };
        VrrpSyncAction a[2];

        (void) state;
        /* The other still hears its master: prefer BACKUP. */
        assert_int_equal(decide3(m, 2, 0, B, a), 0);
        m[1].wants_master = true;
        assert_int_equal(decide3(m, 2, 1, B, a), 2);
        assert_int_equal(a[0], VRRP_SYNC_TO_MASTER);
        assert_int_equal(a[1], VRRP_SYNC_TO_MASTER);
        /* Another member already MASTER counts as wanting. */
        m[1] = (VrrpSyncMember) { .state = M };
        assert_int_equal(decide3(m, 2, 0, B, a), 1);
        assert_int_equal(a[0], VRRP_SYNC_TO_MASTER);
        /* A FAULT member does not want anything. */
        m[1] = (VrrpSyncMember) { .state = F };
        assert_int_equal(decide3(m, 2, 0, B, a), 0);
}

static void test_joining_member_pulled(void **state) {
        VrrpSyncMember m[2] = { { .state = B }, { .state = M } };
        VrrpSyncAction a[2];

        (void) state;
        assert_int_equal(decide3(m, 2, 0, I, a), 1);
        assert_int_equal(a[0], VRRP_SYNC_TO_MASTER);
        assert_int_equal(decide3(m, 2, 0, F, a), 1);
        assert_int_equal(a[1], VRRP_SYNC_KEEP);
}

static void test_group_state(void **state) {
        VrrpSyncMember m[2] = { { .state = I }, { .state = I } };

        (void) state;
        assert_int_equal(vrrp_sync_group_state(m, 2), I);
        m[0].state = B;
        assert_int_equal(vrrp_sync_group_state(m, 2), I);
        m[1].state = B;
        assert_int_equal(vrrp_sync_group_state(m, 2), B);
        m[1].state = M;
        assert_int_equal(vrrp_sync_group_state(m, 2), M);
        m[0].state = F;
        assert_int_equal(vrrp_sync_group_state(m, 2), F);
        m[0].state = X;
        assert_int_equal(vrrp_sync_group_state(m, 2), M); /* still handing over */
        m[1].state = X;
        m[1].fault = true;
        assert_int_equal(vrrp_sync_group_state(m, 2), X);
}

static VrrpFsmParams member_params(uint8_t prio) {
        return (VrrpFsmParams) { .version = 3, .priority = prio, .adver_int_cs = 100, .preempt = true,
                                 .sync_group = true };
}

static VrrpActions sync_ev(VrrpFsm *f, VrrpEventType type, uint64_t now) {
        VrrpEvent e = { .type = type, .reason = "sync group" };
        VrrpActions a;

        vrrp_fsm_handle(f, &e, now, &a);
        return a;
}

/* A member's Master_Down_Timer running out makes it want MASTER, not be it. */
static void test_fsm_member_wants(void **state) {
        VrrpFsmParams p = member_params(100);
        VrrpFsm f = fsm_with(&p);
        VrrpActions a;
        uint64_t t;

        (void) state;
        assert_int_equal(ev(&f, VRRP_EV_STARTUP, T0).new_state, B);
        t = f.timer_at;
        a = ev(&f, VRRP_EV_TIMER, t);
        assert_int_equal(a.new_state, B);
        assert_true(a.flags & VRRP_ACT_WANT_MASTER);
        assert_false(a.flags & (VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT));
        assert_true(f.wants_master);
        /* The timer runs again: no busy loop, and it says so again later. */
        assert_int_equal(f.timer_at, t + vrrp_master_down_us(3, 100, 100));
        /* Hearing a master it accepts ends the wish. */
        advert_from(&f, 150, 100, "10.99.0.12", t + S);
        assert_false(f.wants_master);
        /* Its group moves it. */
        ev(&f, VRRP_EV_TIMER, f.timer_at);
        a = sync_ev(&f, VRRP_EV_SYNC_MASTER, f.timer_at + 1);
        assert_int_equal(a.new_state, M);
        assert_string_equal(a.reason, "sync group");
        assert_true(a.flags & VRRP_ACT_ADD_VIPS);
        assert_true(a.flags & VRRP_ACT_SEND_ADVERT);
        assert_false(f.wants_master);
}

static void test_fsm_sync_backup(void **state) {
        VrrpFsmParams p = member_params(100);
        VrrpFsm f = fsm_with(&p);
        VrrpActions a;
        uint64_t t;

        (void) state;
        ev(&f, VRRP_EV_STARTUP, T0);
        sync_ev(&f, VRRP_EV_SYNC_MASTER, T0 + 1);
        assert_int_equal(f.state, M);
        t = T0 + 2 * S;
        a = sync_ev(&f, VRRP_EV_SYNC_BACKUP, t);
        assert_int_equal(a.new_state, B);
        assert_true(a.flags & VRRP_ACT_DEL_VIPS);
        assert_false(a.flags & VRRP_ACT_SEND_STOP); /* the other host's group takes over */
        assert_int_equal(f.timer_at, t + vrrp_master_down_us(3, 100, 100));
        /* SYNC_MASTER does nothing to FAULT, SYNC_BACKUP nothing to BACKUP. */
        assert_int_equal(sync_ev(&f, VRRP_EV_SYNC_BACKUP, t + 1).new_state, B);
        ev(&f, VRRP_EV_FAULT, t + 2);
        assert_int_equal(sync_ev(&f, VRRP_EV_SYNC_MASTER, t + 3).new_state, F);
}

static void test_fsm_sync_backup_spares_handover(void **state) {
        VrrpFsmParams p = member_params(100);
        VrrpFsm f = fsm_with(&p);

        (void) state;
        ev(&f, VRRP_EV_STARTUP, T0);
        sync_ev(&f, VRRP_EV_SYNC_MASTER, T0 + 1);
        assert_true(ev(&f, VRRP_EV_RELEASE, T0 + S).flags & VRRP_ACT_HANDOVER);
        assert_int_equal(sync_ev(&f, VRRP_EV_SYNC_BACKUP, T0 + S + 1).new_state, M);
        assert_true(vrrp_fsm_handing_over(&f));
}

static void test_fsm_fault_reason(void **state) {
        VrrpFsmParams p = member_params(100);
        VrrpFsm f = fsm_with(&p);
        VrrpActions a;

        (void) state;
        ev(&f, VRRP_EV_STARTUP, T0);
        sync_ev(&f, VRRP_EV_SYNC_MASTER, T0 + 1);
        a = sync_ev(&f, VRRP_EV_FAULT, T0 + 2);
        assert_int_equal(a.new_state, F);
        assert_string_equal(a.reason, "sync group");
        assert_true(a.flags & VRRP_ACT_SEND_STOP); /* a master leaving for FAULT says priority 0 */
        assert_true(a.flags & VRRP_ACT_DEL_VIPS);
        a = ev(&f, VRRP_EV_FAULT_CLEARED, T0 + 3);
        assert_int_equal(a.new_state, B);
}

static void test_fsm_rapid_preemption_wants(void **state) {
        VrrpFsmParams p = member_params(150);
        VrrpFsm f;
        VrrpActions a;

        (void) state;
        p.rapid_preemption = true;
        f = fsm_with(&p);
        ev(&f, VRRP_EV_STARTUP, T0);
        a = advert_from(&f, 100, 100, "10.99.0.12", T0 + S);
        assert_int_equal(a.new_state, B);
        assert_true(a.flags & VRRP_ACT_WANT_MASTER);
        assert_true(f.wants_master);
        /* Out of the group (a reload), the wish goes and it acts alone. */
        p.sync_group = false;
        vrrp_fsm_update_params(&f, &p, T0 + S);
        assert_false(f.wants_master);
        assert_int_equal(advert_from(&f, 100, 100, "10.99.0.12", T0 + 2 * S).new_state, M);
}

/* Two members on the backup host; the master host dies. Each member's
 * timer runs out at its own time: the first only wants, the second makes
 * the group go MASTER, both at once. */
static void test_two_members_take_over_together(void **state) {
        VrrpFsmParams p4 = member_params(100), p6 = member_params(100);
        VrrpFsm f[2] = { fsm_with(&p4), fsm_with(&p6) };
        VrrpSyncMember m[2];
        VrrpSyncAction act[2];
        VrrpActions a;
        uint64_t t4, t6;

        (void) state;
        ev(&f[0], VRRP_EV_STARTUP, T0);
        ev(&f[1], VRRP_EV_STARTUP, T0);
        advert_from(&f[0], 150, 100, "10.99.0.12", T0 + S);
        advert_from(&f[1], 150, 100, "10.99.0.12", T0 + S + 5000);
        t4 = f[0].timer_at;
        t6 = f[1].timer_at;
        assert_true(t4 < t6);

        a = ev(&f[0], VRRP_EV_TIMER, t4);
        assert_true(a.flags & VRRP_ACT_WANT_MASTER);
        for (size_t k = 0; k < 2; k++)
                m[k] = (VrrpSyncMember) { .state = f[k].state, .wants_master = f[k].wants_master };
        assert_int_equal(vrrp_sync_decide(m, 2, 0, B, act), 0);

        a = ev(&f[1], VRRP_EV_TIMER, t6);
        assert_true(a.flags & VRRP_ACT_WANT_MASTER);
        for (size_t k = 0; k < 2; k++)
                m[k] = (VrrpSyncMember) { .state = f[k].state, .wants_master = f[k].wants_master };
        assert_int_equal(vrrp_sync_decide(m, 2, 1, B, act), 2);
        for (size_t k = 0; k < 2; k++) {
                assert_int_equal(act[k], VRRP_SYNC_TO_MASTER);
                assert_int_equal(sync_ev(&f[k], VRRP_EV_SYNC_MASTER, t6).new_state, M);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fault_is_a_level),
                cmocka_unit_test(test_faulted_group_moves_nobody),
                cmocka_unit_test(test_master_pulls),
                cmocka_unit_test(test_backup_pushes),
                cmocka_unit_test(test_master_only_when_all_want),
                cmocka_unit_test(test_joining_member_pulled),
                cmocka_unit_test(test_group_state),
                cmocka_unit_test(test_fsm_member_wants),
                cmocka_unit_test(test_fsm_sync_backup),
                cmocka_unit_test(test_fsm_sync_backup_spares_handover),
                cmocka_unit_test(test_fsm_fault_reason),
                cmocka_unit_test(test_fsm_rapid_preemption_wants),
                cmocka_unit_test(test_two_members_take_over_together),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
