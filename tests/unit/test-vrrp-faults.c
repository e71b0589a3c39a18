/* Unit tests: what the pure core decides under faults and hostile input
 * (issue 13): split-brain answers bounded to one per advertisement
 * interval, version 2 backups that take a new interval from a reload, the
 * address owner that ignores other routers (RFC 5798 7.1), a fault that
 * clears removes VIPs left behind. Time is in microseconds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "fsm-test-util.h"
#include "vrrp/vrrp-filter.h"

static VrrpFsmParams params(uint8_t version, uint8_t prio, uint16_t int_cs) {
        return (VrrpFsmParams) { .version = version, .priority = prio, .adver_int_cs = int_cs, .preempt = true };
}

static VrrpFsm started(const VrrpFsmParams *p, VrrpState want) {
        VrrpFsm f = fsm_with(p);

        assert_int_equal(ev(&f, VRRP_EV_STARTUP, T0).new_state, want);
        return f;
}

static VrrpFsm master_at(uint8_t prio, uint16_t int_cs) {
        VrrpFsmParams p = params(3, prio, int_cs);
        VrrpFsm f = started(&p, VRRP_STATE_BACKUP);

        assert_int_equal(ev(&f, VRRP_EV_TIMER, f.timer_at).new_state, VRRP_STATE_MASTER);
        return f;
}

/* A flood of lower-priority adverts (a forged stream, or a peer that does
 * not hear us): every one is counted, but answered (an advertisement and an
 * announcement) at most once per advertisement interval. */
static void test_split_brain_answers_bounded(void **state) {
        VrrpFsm f = master_at(150, 100);
        uint64_t t = f.timer_at - 900000;
        unsigned answers = 0, counted = 0;

        (void) state;
        for (unsigned k = 0; k < 1000; k++, t += 1000) { /* 1,000 per second for one second */
                VrrpActions a = advert_from(&f, 50, 100, "10.99.0.66", t);

                assert_int_equal(a.new_state, VRRP_STATE_MASTER);
                counted += !!(a.flags & VRRP_ACT_SPLIT_BRAIN);
                if (a.flags & VRRP_ACT_SEND_ADVERT) {
                        assert_true(a.flags & VRRP_ACT_ANNOUNCE);
                        answers++;
                } else
                        assert_false(a.flags & VRRP_ACT_ANNOUNCE);
        }
        assert_int_equal(counted, 1000);
        assert_int_equal(answers, 1);
        /* An interval after the last answer, the next one is answered again. */
        assert_true(advert_from(&f, 50, 100, "10.99.0.66", t + 100000).flags & VRRP_ACT_SEND_ADVERT);
}

/* Version 2 never learns the master's interval from packets: a reload that
 * changes advert_interval must give the backup the new one, and its
 * Master_Down_Timer must not expire before the master's next advert. */
/* A flood of priority-0 adverts (a master leaving, or forged) is answered
 * at most once per advertisement interval too, and one answer per
 * interval covers both kinds: no packet stream turns into a burst. */
static void test_stop_adverts_answered_once_per_interval(void **state) {
        VrrpFsm f = master_at(150, 100);
        uint64_t t = f.timer_at - 900000;
        unsigned answers = 0;

        (void) state;
        for (unsigned k = 0; k < 1000; k++, t += 1000) {
                VrrpActions a = advert_from(&f, k % 2 ? 0 : 50, 100, "10.99.0.66", t);

                assert_int_equal(a.new_state, VRRP_STATE_MASTER);
                answers += !!(a.flags & VRRP_ACT_SEND_ADVERT);
        }
        assert_int_equal(answers, 1);
        assert_true(advert_from(&f, 0, 100, "10.99.0.66", t + 100000).flags & VRRP_ACT_SEND_ADVERT);
        assert_false(advert_from(&f, 0, 100, "10.99.0.66", t + 100001).flags & VRRP_ACT_SEND_ADVERT);
}

static void test_v2_interval_from_reload(void **state) {
        VrrpFsmParams p = params(2, 100, 100), q = params(2, 100, 500);
        VrrpFsm f = started(&p, VRRP_STATE_BACKUP);
        uint64_t now = T0 + S;

        (void) state;
        advert_from(&f, 150, 100, "10.99.0.12", now);
        vrrp_fsm_update_params(&f, &q, now + 1000);
        assert_int_equal(f.master_adver_int_cs, 500);
        assert_int_equal(f.timer_at, now + 1000 + vrrp_master_down_us(2, 100, 500));
        /* The master, reloaded too, says the new interval 5 s later: */
        advert_from(&f, 150, 500, "10.99.0.12", now + 5 * S);
        assert_int_equal(f.timer_at, now + 5 * S + vrrp_master_down_us(2, 100, 500));
        assert_int_equal(ev(&f, VRRP_EV_TIMER, now + 9 * S).new_state, VRRP_STATE_BACKUP);
}

/* Version 3 learns the master's interval; an update does not overwrite it. */
static void test_v3_update_keeps_learned_interval(void **state) {
        VrrpFsmParams p = params(3, 100, 100), q = params(3, 100, 50);
        VrrpFsm f = started(&p, VRRP_STATE_BACKUP);

        (void) state;
        advert_from(&f, 150, 200, "10.99.0.12", T0 + S);
        vrrp_fsm_update_params(&f, &q, T0 + S + 1000);
        assert_int_equal(f.master_adver_int_cs, 200);
        assert_int_equal(f.params.adver_int_cs, 50);
}

/* RFC 5798 7.1: the address owner (priority 255) discards advertisements;
 * it never yields, not even to another 255 with a higher address. While it
 * hands over (stopping), it listens for the new master. */
static IpPrefix vips[1];

static void test_owner_discards_adverts(void **state) {
        VrrpFilterParams in = { .version = 3, .priority = 255, .adver_int_cs = 100, .vips = vips, .n_vips = 1 };
        VrrpAdvert a = { .version = 3, .vrid = 51, .priority = 255, .naddr = 1, .adver_int_cs = 100,
                         .family = AF_INET };
        VrrpPktCtx c = { .family = AF_INET, .ttl = 255 };

        (void) state;
        assert_int_equal(ip_prefix_parse("192.0.2.100/24", &vips[0]), 0);
        inet_pton(AF_INET, "192.0.2.100", &a.addrs[0]);
        assert_int_equal(ip_addr_parse("10.99.0.99", &c.src), 0);
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_ADDRESS_OWNER);
        assert_int_equal(vrrp_filter(&in, &c, &a, true), VRRP_DROP_NONE);
        assert_string_equal(vrrp_drop_to_string(VRRP_DROP_ADDRESS_OWNER), "address_owner");
        in.priority = 254;
        assert_int_equal(vrrp_filter(&in, &c, &a, false), VRRP_DROP_NONE);
}

/* The own-address reason has its name among the drop counters. */
static void test_own_address_reason(void **state) {
        (void) state;
        assert_string_equal(vrrp_drop_to_string(VRRP_DROP_OWN_ADDRESS), "own_address");
}

/* A fault that clears starts as BACKUP without VIPs: whatever a master left
 * on an interface that went away and came back is removed. */
static void test_fault_cleared_removes_vips(void **state) {
        VrrpFsm f = master_at(100, 100);
        VrrpActions a;

        (void) state;
        assert_int_equal(ev(&f, VRRP_EV_FAULT, T0 + 10 * S).new_state, VRRP_STATE_FAULT);
        a = ev(&f, VRRP_EV_FAULT_CLEARED, T0 + 20 * S);
        assert_int_equal(a.new_state, VRRP_STATE_BACKUP);
        assert_int_equal(a.flags, VRRP_ACT_DEL_VIPS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split_brain_answers_bounded),
                cmocka_unit_test(test_stop_adverts_answered_once_per_interval),
                cmocka_unit_test(test_v2_interval_from_reload),
                cmocka_unit_test(test_v3_update_keeps_learned_interval),
                cmocka_unit_test(test_owner_discards_adverts),
                cmocka_unit_test(test_own_address_reason),
                cmocka_unit_test(test_fault_cleared_removes_vips),
        };
        return cmocka_run_group_tests_name("vrrp-faults", tests, NULL, NULL);
}
