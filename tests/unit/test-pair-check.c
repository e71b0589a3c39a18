/* Unit tests: promvipctl check-pair's analysis (pair-check.c,
 * pair-findings.c) and text (pair-table.c), on configurations loaded by
 * the real loader: every error and warning, the scenarios, and the
 * keepalived guides' `weight -2` pairs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "ctl/pair-check.h"
#include "ctl/pair-table.h"
#include "shared/macro.h"

#define PROBES                                                                                                 \
        "probes = (\n"                                                                                         \
        "  { name = \"ready\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\";\n"                    \
        "    interval = 1.0; timeout = 0.5; fall = 3; rise = 2; weight = -60; },\n"                            \
        "  { name = \"fresh\"; type = \"promql\"; url = \"http://127.0.0.1:9090\";\n"                          \
        "    query = \"time() - max(timestamp(up))\"; max = 60.0;\n"                                           \
        "    interval = 5.0; timeout = 2.0; fall = 2; rise = 2; weight = -20; },\n"                            \
        "  { name = \"chk\"; type = \"exec\"; command = \"/usr/bin/true\"; interval = 2; fall = 2; weight = -2; },\n" \
        "  { name = \"alive\"; type = \"exec\"; command = \"/usr/bin/true\"; weight = 0; },\n"                 \
        "  { name = \"bonus\"; type = \"exec\"; command = \"/usr/bin/true\"; weight = 60; }\n"                 \
        ");\n"

#define INST(id, name, iface, vrid, prio, vips, track, extra)                                                  \
        "global = { router_id = \"" id "\"; };\n" PROBES "instances = ( { name = \"" name "\"; interface = \"" \
        iface "\"; vrid = " vrid "; priority = " prio ";\n"                                                    \
        "  virtual_addresses = ( " vips " ); track = ( " track " ); " extra " } );\n"

#define VIP "\"192.0.2.100/24\""
#define HOST(id, prio, track, extra) INST(id, "prometheus", "eth0", "51", prio, VIP, track, extra)
#define RAPID "rapid_preemption = true;"

typedef struct Pair {
        Config *c[4];
        PairHost h[4];
        PairReport rep;
        size_t n;
} Pair;

static void pair_done(Pair *p) {
        pair_report_clear(&p->rep);
        for (size_t i = 0; i < p->n; i++)
                conf_unref(p->c[i]);
}

static void run(Pair *p, uint64_t target, const char *a, const char *b, const char *c) {
        const char *texts[] = { a, b, c };
        PairOptions o = { .target_usec = target };

        *p = (Pair) {};
        for (size_t i = 0; i < ELEMENTSOF(texts) && texts[i]; i++) {
                ConfErrors errs = {};
                char name[16];
                int k;

                snprintf(name, sizeof(name), "h%zu.conf", i);
                k = conf_load_string(texts[i], name, &p->c[i], &errs);
                for (size_t e = 0; e < errs.n; e++)
                        print_message("# %s:%u: %s\n", errs.items[e].file, errs.items[e].line, errs.items[e].message);
                conf_errors_clear(&errs);
                assert_int_equal(k, 0);
                p->h[i] = (PairHost) { .label = p->c[i]->global.router_id, .config = p->c[i] };
                p->n++;
        }
        assert_int_equal(pair_check(p->h, p->n, &o, &p->rep), 0);
}

static void dump(const PairReport *r) {
        for (size_t i = 0; i < r->n_findings; i++)
                print_message("# %s: %s\n", r->findings[i].severity == PAIR_ERROR ? "error" : "warning",
                              r->findings[i].message);
}

/* A finding of this severity whose message holds every needle. */
static void expect(const PairReport *r, PairSeverity sev, const char *n1, const char *n2) {
        for (size_t i = 0; i < r->n_findings; i++)
                if (r->findings[i].severity == sev && strstr(r->findings[i].message, n1) &&
                    (!n2 || strstr(r->findings[i].message, n2)))
                        return;
        print_message("# no %s with '%s' '%s' among:\n", sev == PAIR_ERROR ? "error" : "warning", n1, n2 ?: "");
        dump(r);
        fail();
}

static void counts(const PairReport *r, size_t errors, size_t warnings) {
        if (r->n_errors != errors || r->n_warnings != warnings) {
                print_message("# expected %zu errors and %zu warnings, got:\n", errors, warnings);
                dump(r);
                fail();
        }
}

static const PairScenario *scenario(const PairRouter *r, PairScenarioKind kind, const char *source) {
        for (size_t i = 0; i < r->n_scenarios; i++)
                if (r->scenarios[i].kind == kind && (!source || strcmp(r->scenarios[i].source, source) == 0))
                        return &r->scenarios[i];
        fail_msg("no scenario %d %s", kind, source ?: "");
        return NULL;
}

/* The recommended pair, with fresh at -60: every failure moves the VIP. */
static void test_good_pair(void **state) {
        const PairScenario *s;
        const PairRouter *r;
        Pair p;

        (void) state;
        run(&p, 0, HOST("prom-a", "150", "\"ready\", { probe = \"fresh\"; weight = -60; }", RAPID),
            HOST("prom-b", "100", "\"ready\", { probe = \"fresh\"; weight = -60; }", RAPID), NULL);
        counts(&p.rep, 0, 0);
        assert_int_equal(p.rep.n_routers, 1);
        r = &p.rep.routers[0];
        assert_int_equal(r->n_members, 2);
        assert_int_equal(r->vrid, 51);
        /* all well, 2 x fails on master, master dies, 2 x everywhere */
        assert_int_equal(r->n_scenarios, 6);
        assert_int_equal(r->scenarios[0].master, 0);
        assert_int_equal(r->scenarios[0].states[0].priority, 150);
        assert_int_equal(r->scenarios[0].states[1].priority, 100);

        s = scenario(r, PAIR_FAILS_ON_MASTER, "ready");
        assert_int_equal(s->states[0].priority, 90);
        assert_int_equal(s->master, 1);
        assert_int_equal(s->back, 0);
        assert_int_equal(s->detect_usec, 3500000);

        s = scenario(r, PAIR_MASTER_DIES, NULL);
        assert_true(s->states[0].gone);
        assert_int_equal(s->master, 1);
        assert_int_equal(s->back, 0);

        s = scenario(r, PAIR_FAILS_EVERYWHERE, "fresh");
        assert_int_equal(s->states[0].priority, 90);
        assert_int_equal(s->states[1].priority, 40);
        assert_int_equal(s->master, 0); /* the same failure everywhere moves nothing, rightly */
        pair_done(&p);
}

/* The project's old recommended weights: fresh at -20 under 150/100. */
static void test_small_weight_does_not_move(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, HOST("prom-a", "150", "\"ready\", \"fresh\"", RAPID), HOST("prom-b", "100", "\"ready\", \"fresh\"", RAPID),
            NULL);
        counts(&p.rep, 1, 0);
        expect(&p.rep, PAIR_ERROR, "'fresh' failing on prom-a (priority 150 -> 130) does not move the VIP",
               "weight of -51 or lower on prom-a, or 0 (FAULT)");
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "fresh")->master, 0);
        pair_done(&p);
}

/* keepalived guides: a check with weight -2 and priorities 150/100, 100/100, 101/100, 102/100. */
static void test_guide_weight_minus_two(void **state) {
        const PairRouter *r;
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "150", "\"chk\"", RAPID), HOST("b", "100", "\"chk\"", RAPID), NULL);
        counts(&p.rep, 1, 0);
        expect(&p.rep, PAIR_ERROR, "'chk' failing on a (priority 150 -> 148) does not move the VIP",
               "b (100) takes over only from a lower priority than its own; give 'chk' a weight of -51 or lower");
        pair_done(&p);

        /* Both 100: which is master is the primary addresses' call. */
        run(&p, 0, HOST("a", "100", "\"chk\"", RAPID), HOST("b", "100", "\"chk\"", RAPID), NULL);
        r = &p.rep.routers[0];
        assert_int_equal(r->scenarios[0].master, PAIR_TIE);
        assert_true(r->scenarios[0].states[0].tied && r->scenarios[0].states[1].tied);
        assert_int_equal(r->n_scenarios, 1);
        counts(&p.rep, 1, 0);
        expect(&p.rep, PAIR_ERROR, "a and b tie at priority 100 when all is well", "own priority");
        pair_done(&p);

        /* 101/100: 99 < 100 moves; everywhere 99 > 98 stays, which is right. */
        run(&p, 0, HOST("a", "101", "\"chk\"", RAPID), HOST("b", "100", "\"chk\"", RAPID), NULL);
        counts(&p.rep, 0, 0);
        r = &p.rep.routers[0];
        assert_int_equal(scenario(r, PAIR_FAILS_ON_MASTER, "chk")->master, 1);
        assert_int_equal(scenario(r, PAIR_FAILS_EVERYWHERE, "chk")->master, 0);
        pair_done(&p);

        /* 102/100: 100 = 100, and a backup takes over only from a lower priority. */
        run(&p, 0, HOST("a", "102", "\"chk\"", RAPID), HOST("b", "100", "\"chk\"", RAPID), NULL);
        counts(&p.rep, 1, 0);
        expect(&p.rep, PAIR_ERROR, "(priority 102 -> 100) does not move the VIP", "weight of -3 or lower");
        pair_done(&p);
}

/* nopreempt on the backup: no weight moves the VIP; the master does not take it back. */
static void test_nopreempt(void **state) {
        const PairScenario *s;
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "150", "\"ready\"", ""), HOST("b", "100", "\"ready\"", "preempt = false;"), NULL);
        expect(&p.rep, PAIR_ERROR, "'ready' failing on a (priority 150 -> 90) does not move the VIP",
               "b (100) does not preempt (preempt = false); no other host preempts, so only a FAULT");
        expect(&p.rep, PAIR_WARNING, "preempt settings differ between hosts (a preempt = true, b preempt = false)",
               NULL);
        expect(&p.rep, PAIR_WARNING, "rapid_preemption is off on every host", NULL);
        counts(&p.rep, 1, 2);
        pair_done(&p);

        /* The preferred host does not preempt: after a failure the VIP stays away. */
        run(&p, 0, HOST("a", "150", "\"ready\"", "preempt = false;"), HOST("b", "100", "\"ready\"", ""), NULL);
        s = scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "ready");
        assert_int_equal(s->master, 1);
        assert_int_equal(s->back, 1);
        s = scenario(&p.rep.routers[0], PAIR_MASTER_DIES, NULL);
        assert_int_equal(s->back, 1);
        counts(&p.rep, 0, 2);
        pair_done(&p);
}

/* weight 0: FAULT moves the VIP; everywhere nobody holds it. */
static void test_fault(void **state) {
        const PairScenario *s;
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "150", "\"alive\"", RAPID), HOST("b", "100", "\"alive\"", RAPID), NULL);
        s = scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "alive");
        assert_true(s->states[0].fault);
        assert_int_equal(s->master, 1);
        s = scenario(&p.rep.routers[0], PAIR_FAILS_EVERYWHERE, "alive");
        assert_int_equal(s->master, PAIR_NOBODY);
        counts(&p.rep, 0, 1);
        expect(&p.rep, PAIR_WARNING, "when 'alive' fails everywhere no host holds the VIP", NULL);
        pair_done(&p);
}

/* Positive weights: the bonus lost. */
static void test_positive_weight(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "100", "\"bonus\"", RAPID), HOST("b", "120", "", RAPID), NULL);
        assert_int_equal(p.rep.routers[0].scenarios[0].master, 0); /* 160 > 120 */
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "bonus")->master, 1);
        expect(&p.rep, PAIR_WARNING, "probe 'bonus' is not tracked on b", NULL);
        counts(&p.rep, 0, 1);
        pair_done(&p);

        run(&p, 0, HOST("a", "150", "\"bonus\"", RAPID), HOST("b", "100", "", RAPID), NULL);
        expect(&p.rep, PAIR_ERROR, "'bonus' failing on a (priority 210 -> 150) does not move the VIP",
               "give a a priority below 100, or track 'bonus' with weight 0 (FAULT)");
        pair_done(&p);
}

/* The owner: never lowered; and only one. */
static void test_owner(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "255", "\"ready\"", RAPID), HOST("b", "100", "\"ready\"", RAPID), NULL);
        expect(&p.rep, PAIR_ERROR, "'ready' failing on a does not move the VIP: priority 255", "weight 0 (FAULT)");
        counts(&p.rep, 1, 0);
        pair_done(&p);

        run(&p, 0, HOST("a", "255", "\"alive\"", RAPID), HOST("b", "255", "\"alive\"", RAPID), NULL);
        expect(&p.rep, PAIR_ERROR, "priority 255 (the address owner) on more than one host (a, b)", NULL);
        expect(&p.rep, PAIR_ERROR, "a and b tie at priority 255 when all is well", NULL);
        counts(&p.rep, 2, 0);
        pair_done(&p);
}

/* A backup tie once the master is gone, and a tie between backups that preempt. */
static void test_ties(void **state) {
        const PairScenario *s;
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "150", "\"ready\"", RAPID), HOST("b", "100", "\"ready\"", RAPID),
            HOST("c", "100", "\"ready\"", RAPID));
        s = scenario(&p.rep.routers[0], PAIR_MASTER_DIES, NULL);
        assert_int_equal(s->master, PAIR_TIE);
        assert_int_equal(s->back, PAIR_TIE);
        assert_true(s->states[1].tied && s->states[2].tied && !s->states[0].tied);
        expect(&p.rep, PAIR_ERROR, "b and c tie at priority 100 when a is down", NULL);
        expect(&p.rep, PAIR_ERROR, "b and c tie at priority 100 when 'ready' fails on a", NULL);
        /* everywhere: a stays at 90 > 40. */
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_EVERYWHERE, "ready")->master, 0);
        counts(&p.rep, 2, 0);
        pair_done(&p);
}

/* Settings that must match, each an error. */
static void test_differences(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, HOST("a", "150", "\"ready\"", "version = 2; advert_interval = 1; auth = { type = \"pass\"; password = \"one\"; };"),
            HOST("b", "100", "\"ready\"", "version = 3; advert_interval = 2;"), NULL);
        expect(&p.rep, PAIR_ERROR, "VRRP versions differ between hosts (a 2, b 3)", NULL);
        expect(&p.rep, PAIR_ERROR, "advert_interval values differ between hosts (a 1 s, b 2 s)", NULL);
        expect(&p.rep, PAIR_ERROR, "auth types differ between hosts (a pass, b none)", NULL);
        pair_done(&p);

        run(&p, 0, HOST("a", "150", "\"ready\"", "version = 2; auth = { type = \"pass\"; password = \"one\"; };"),
            HOST("b", "100", "\"ready\"", "version = 2; auth = { type = \"pass\"; password = \"two\"; };"), NULL);
        expect(&p.rep, PAIR_ERROR, "the auth password differs between hosts (a, b)", NULL);
        for (size_t i = 0; i < p.rep.n_findings; i++)
                assert_null(strstr(p.rep.findings[i].message, "two")); /* never shown */
        pair_done(&p);

        run(&p, 0, INST("a", "prometheus", "eth0", "51", "150", "\"192.0.2.100/24\", \"192.0.2.101/24\"", "\"ready\"", RAPID),
            INST("b", "prom", "ens3", "51", "100", "\"192.0.2.101/24\"", "\"ready\"", RAPID "unicast_peers = ( \"192.0.2.11\" );"),
            NULL);
        assert_int_equal(p.rep.n_routers, 1); /* interfaces may differ */
        expect(&p.rep, PAIR_ERROR, "virtual_addresses differ between hosts (a 192.0.2.100/24 192.0.2.101/24, b 192.0.2.101/24)",
               NULL);
        expect(&p.rep, PAIR_ERROR, "unicast and multicast settings differ between hosts (a multicast, b unicast)", NULL);
        expect(&p.rep, PAIR_WARNING, "instance names differ between hosts (a 'prometheus', b 'prom')", NULL);
        counts(&p.rep, 2, 1);
        pair_done(&p);
}

/* The same VIP or name under two VRIDs. */
static void test_vrid_differs(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, INST("a", "prometheus", "eth0", "51", "150", VIP, "\"ready\"", RAPID),
            INST("b", "prometheus", "eth0", "52", "100", VIP, "\"ready\"", RAPID), NULL);
        assert_int_equal(p.rep.n_routers, 2);
        expect(&p.rep, PAIR_ERROR,
               "the VRID differs between hosts: virtual address 192.0.2.100/24 has vrid 51 on a and vrid 52 on b", NULL);
        counts(&p.rep, 1, 0); /* not also "only a has this router" */
        pair_done(&p);

        run(&p, 0, INST("a", "prometheus", "eth0", "51", "150", VIP, "\"ready\"", RAPID),
            INST("b", "other", "eth0", "52", "100", "\"192.0.2.200/24\"", "\"ready\"", RAPID), NULL);
        expect(&p.rep, PAIR_WARNING, "only a has this router", NULL);
        expect(&p.rep, PAIR_WARNING, "only b has this router", NULL);
        counts(&p.rep, 0, 2);
        pair_done(&p);
}

/* One host with the VRID on two interfaces: matched by interface name too. */
static void test_match_by_interface(void **state) {
#define TWO(id, prio)                                                                                         \
        "global = { router_id = \"" id "\"; };\n" PROBES "instances = (\n"                                    \
        "  { name = \"p1\"; interface = \"eth0\"; vrid = 51; priority = " prio ";\n"                           \
        "    virtual_addresses = ( \"192.0.2.100/24\" ); track = ( \"ready\" ); rapid_preemption = true; },\n" \
        "  { name = \"p2\"; interface = \"eth1\"; vrid = 51; priority = " prio ";\n"                           \
        "    virtual_addresses = ( \"192.0.2.200/24\" ); track = ( \"ready\" ); rapid_preemption = true; } );\n"
        static const char *a = TWO("a", "150"), *b = TWO("b", "100");
        char name[128];
        Pair p;

        (void) state;
        run(&p, 0, a, b, NULL);
        assert_int_equal(p.rep.n_routers, 2);
        assert_int_equal(p.rep.routers[0].n_members, 2);
        assert_int_equal(p.rep.routers[1].n_members, 2);
        assert_string_equal(pair_table_router_name(&p.rep.routers[0], name, sizeof(name)), "'p1' (vrid 51, IPv4, eth0)");
        counts(&p.rep, 0, 0);
        pair_done(&p);
}

static void test_target_and_rapid(void **state) {
        Pair p;

        (void) state;
        run(&p, 5 * 1000000ULL, HOST("a", "150", "\"ready\", { probe = \"fresh\"; weight = -60; }", RAPID),
            HOST("b", "100", "\"ready\", { probe = \"fresh\"; weight = -60; }", ""), NULL);
        expect(&p.rep, PAIR_WARNING,
               "probe 'fresh' on a: fall 2 x interval 5 s + timeout 2 s = 12 s to detect a failure, more than the target 5 s",
               NULL);
        expect(&p.rep, PAIR_WARNING, "probe 'fresh' on b", NULL);
        expect(&p.rep, PAIR_WARNING, "rapid_preemption is off on b (on on a)", NULL);
        counts(&p.rep, 0, 3); /* ready: 3 x 1 + 0.5 = 3.5 s is within */
        pair_done(&p);
}

static void test_table(void **state) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        Pair p;

        (void) state;
        run(&p, 0, HOST("prom-a", "150", "\"ready\", \"fresh\"", ""), HOST("prom-b", "100", "\"ready\", \"fresh\"", ""),
            NULL);
        f = open_memstream(&text, &len);
        assert_non_null(f);
        assert_int_equal(pair_table_render(&p.rep, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_non_null(strstr(text, "'prometheus' (vrid 51, IPv4): 192.0.2.100/24\n"));
        assert_non_null(strstr(text, "  prom-a  h0.conf  150       yes      no     ready -60, fresh -20\n"));
        assert_non_null(strstr(text, "  'ready' fails on prom-a (3.5 s)  90      100     prom-b          prom-a\n"));
        assert_non_null(strstr(text, "  'fresh' fails on prom-a (12 s)   130     100     prom-a (stays)\n"));
        assert_non_null(strstr(text, "  prom-a is down                   down    100     prom-b          prom-a\n"));
        assert_non_null(strstr(text, "\nerror: 'prometheus' (vrid 51, IPv4): 'fresh' failing on prom-a"));
        assert_non_null(strstr(text, "\n2 hosts, 1 router: 1 error, 1 warning\n"));
        assert_null(strstr(text, " \n")); /* no trailing blanks */
        /* Errors before warnings. */
        assert_true(strstr(text, "error:") < strstr(text, "warning:"));
        pair_done(&p);
}

/* The kinds the issue adds: a weighted interface fails as a probe does;
 * a file probe counts value x weight, FAULT at 1 with weight 0. */
static void test_source_kinds(void **state) {
        static const struct {
                bool value;
                int weight;
                uint8_t healthy, failed;
                bool fault;
        } cases[] = {
                { false, -50, 150, 100, false }, { false, 20, 170, 150, false }, { false, 0, 150, 150, true },
                { true, -100, 150, 50, false },  { true, 30, 150, 180, false },  { true, 0, 150, 150, true },
        };

        (void) state;
        assert_string_equal(pair_source_kind_to_string(PAIR_SOURCE_INTERFACE), "interface");
        assert_string_equal(pair_source_kind_to_string(PAIR_SOURCE_FILE), "file probe");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                PairSource s = {};
                bool fault;

                if (cases[i].value)
                        pair_source_set_value_weight(&s, cases[i].weight);
                else
                        pair_source_set_down_weight(&s, cases[i].weight);
                assert_int_equal(s.weight, cases[i].weight);
                assert_int_equal(priority_effective(150, &s.healthy, 1, &fault), cases[i].healthy);
                assert_false(fault);
                assert_int_equal(priority_effective(150, &s.failed, 1, &fault), cases[i].failed);
                assert_int_equal(fault, cases[i].fault);
        }
}

/* The kinds beyond probes: a file probe (drained: 1 x weight) and tracked
 * interfaces (a weight while down, or FAULT without one). */
#define KINDS(id, prio, drain_weight, ifaces)                                                                 \
        "global = { router_id = \"" id "\"; };\n"                                                            \
        "probes = ( { name = \"drain\"; type = \"file\"; path = \"/var/lib/promvip/drain\"; weight = "      \
        drain_weight "; } );\n"                                                                               \
        "instances = ( { name = \"prometheus\"; interface = \"eth0\"; vrid = 51; priority = " prio ";\n"     \
        "  virtual_addresses = ( " VIP " ); track = ( \"drain\" ); track_interfaces = ( " ifaces " ); "       \
        RAPID " } );\n"

static void test_file_probe_and_interfaces(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, KINDS("prom-a", "150", "-100", "\"eth1\", { interface = \"eth2\"; weight = -60; }"),
            KINDS("prom-b", "100", "-100", "\"eth1\", { interface = \"eth2\"; weight = -60; }"), NULL);
        counts(&p.rep, 0, 1);
        expect(&p.rep, PAIR_WARNING, "when 'eth1' fails everywhere no host holds the VIP", NULL);
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "drain")->master, 1);
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "eth1")->master, 1);
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "eth2")->master, 1);
        pair_done(&p);

        /* A drain flag too light to drain, a link weight too light to move. */
        run(&p, 0, KINDS("prom-a", "150", "-10", "{ interface = \"eth2\"; weight = -20; }"),
            KINDS("prom-b", "100", "-10", "{ interface = \"eth2\"; weight = -20; }"), NULL);
        counts(&p.rep, 2, 0);
        expect(&p.rep, PAIR_ERROR, "'drain' failing on prom-a (priority 150 -> 140) does not move the VIP", NULL);
        expect(&p.rep, PAIR_ERROR, "'eth2' failing on prom-a (priority 150 -> 130) does not move the VIP", NULL);
        assert_int_equal(scenario(&p.rep.routers[0], PAIR_FAILS_ON_MASTER, "drain")->master, 0);
        pair_done(&p);
}

/* Sync groups: a member's FAULT sources fault the whole group, so they move
 * the other member's VIP too; a weight only one member tracks moves nothing. */
#define SYNCED(id, prio, track4)                                                                              \
        "global = { router_id = \"" id "\"; };\n" PROBES                                                     \
        "instances = (\n"                                                                                     \
        "  { name = \"prom4\"; interface = \"eth0\"; vrid = 51; priority = " prio ";\n"                       \
        "    virtual_addresses = ( " VIP " ); track = ( " track4 " ); " RAPID " },\n"                           \
        "  { name = \"prom6\"; interface = \"eth0\"; vrid = 52; priority = " prio ";\n"                       \
        "    virtual_addresses = ( \"2001:db8::100/64\" ); " RAPID " } );\n"                                    \
        "sync_groups = ( { name = \"prom\"; instances = ( \"prom4\", \"prom6\" ); } );\n"

static void test_sync_group(void **state) {
        Pair p;

        (void) state;
        run(&p, 0, SYNCED("prom-a", "150", "\"alive\""), SYNCED("prom-b", "100", "\"alive\""), NULL);
        counts(&p.rep, 0, 2); /* 'alive' failing everywhere: no master, in both routers */
        assert_int_equal(p.rep.n_routers, 2);
        /* prom6 tracks nothing itself: its group's FAULT moves it. */
        assert_int_equal(scenario(&p.rep.routers[1], PAIR_FAILS_ON_MASTER, "alive")->master, 1);
        pair_done(&p);

        run(&p, 0, SYNCED("prom-a", "150", "\"ready\""), SYNCED("prom-b", "100", "\"ready\""), NULL);
        counts(&p.rep, 2, 0);
        expect(&p.rep, PAIR_ERROR, "on prom-a, 'ready' (weight -60) moves instance 'prom4' but not 'prom6'", NULL);
        expect(&p.rep, PAIR_ERROR, "on prom-b, 'ready' (weight -60) moves instance 'prom4' but not 'prom6'", NULL);
        pair_done(&p);

        run(&p, 0, SYNCED("prom-a", "150", "\"alive\""), HOST("prom-b", "100", "\"alive\"", RAPID), NULL);
        expect(&p.rep, PAIR_WARNING, "instance 'prometheus' is in a sync group on some hosts but not on prom-b",
               NULL);
        pair_done(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_pair),
                cmocka_unit_test(test_sync_group),
                cmocka_unit_test(test_file_probe_and_interfaces),
                cmocka_unit_test(test_small_weight_does_not_move),
                cmocka_unit_test(test_guide_weight_minus_two),
                cmocka_unit_test(test_nopreempt),
                cmocka_unit_test(test_fault),
                cmocka_unit_test(test_positive_weight),
                cmocka_unit_test(test_owner),
                cmocka_unit_test(test_ties),
                cmocka_unit_test(test_differences),
                cmocka_unit_test(test_vrid_differs),
                cmocka_unit_test(test_match_by_interface),
                cmocka_unit_test(test_target_and_rapid),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_source_kinds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
