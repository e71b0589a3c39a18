/* Unit tests: the configuration loader. Every error class yields its
 * message at the right line; valid files give the documented defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "conf-test-util.h"
#include "conf/conf.h"

/* Line 1: a probe. Line 2: an instance's head. Line 3: the case's text.
 * Line 4: the virtual address and the end. */
#define PROBE_LINE "probes = ( { name = \"ready\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; } );\n"
#define INST_HEAD "instances = ( { name = \"prom\"; interface = \"eth0\"; vrid = 51;\n"
#define INST_TAIL "  virtual_addresses = ( \"192.0.2.100/24\" ); } );\n"
#define INST(line3) PROBE_LINE INST_HEAD line3 "\n" INST_TAIL
/* As INST, with the probe's text on line 1 (inside the probe group). */
#define PROBE(line1) "probes = ( { name = \"p\"; " line1 " } );\n" INST_HEAD "\n" INST_TAIL
/* As INST, for cases about vrid/vips: line 3 holds vrid, line 4 the addresses. */
#define INST_V(line2, line3) \
        PROBE_LINE "instances = ( { name = \"prom\"; interface = \"eth0\";\n" line2 "\n" line3 "\n} );\n"

static const ConfErrorCase error_cases[] = {
        /* syntax and types */
        { "syntax error", INST("  priority = ;"), 3, "syntax error" },
        { "vrid wrong type", INST_V("vrid = \"51\";", "virtual_addresses = ( \"192.0.2.1\" );"), 3, "'vrid' must be an integer, not a string" },
        { "priority wrong type", INST("  priority = 1.5;"), 3, "'priority' must be an integer" },
        { "preempt wrong type", INST("  preempt = \"yes\";"), 3, "'preempt' must be true or false" },
        { "interval wrong type", PROBE("type = \"http\"; url = \"http://x/\"; interval = \"1s\";"), 1, "'interval' must be a number" },
        { "global not a group", "global = 1;\n" INST(""), 1, "'global' must be a group" },
        { "instances not a list", PROBE_LINE "instances = { name = \"x\"; };\n", 2, "'instances' must be a list of groups" },
        { "virtual_addresses not a list", INST_V("vrid = 1;", "virtual_addresses = \"192.0.2.1\";"), 4, "'virtual_addresses' must be a list" },
        /* ranges */
        { "vrid 0", INST_V("vrid = 0;", "virtual_addresses = ( \"192.0.2.1\" );"), 3, "'vrid' must be between 1 and 255 (got 0)" },
        { "vrid 256", INST_V("vrid = 256;", "virtual_addresses = ( \"192.0.2.1\" );"), 3, "'vrid' must be between 1 and 255 (got 256)" },
        { "priority 0", INST("  priority = 0;"), 3, "'priority' must be between 1 and 255" },
        { "priority 256", INST("  priority = 256;"), 3, "'priority' must be between 1 and 255" },
        { "version 4", INST("  version = 4;"), 3, "'version' must be between 2 and 3" },
        { "advert_interval v3 too long", INST("  advert_interval = 41;"), 3, "'advert_interval' must be between 0.01 and 40.95 seconds" },
        { "advert_interval v3 too short", INST("  advert_interval = 0.005;"), 3, "'advert_interval' must be between 0.01 and 40.95" },
        { "advert_interval v3 not centiseconds", INST("  advert_interval = 0.015;"), 3, "multiple of 0.01 seconds" },
        { "advert_interval v2 fraction", INST("  version = 2; advert_interval = 1.5;"), 3, "whole seconds with version 2" },
        { "advert_interval v2 too short", INST("  version = 2; advert_interval = 0.5;"), 3, "'advert_interval' must be between 1 and 255 seconds" },
        { "preempt_delay range", INST("  preempt_delay = 2000;"), 3, "'preempt_delay' must be between 0 and 1000 seconds" },
        { "preempt_delay without preempt", INST("  preempt = false; preempt_delay = 5;"), 3, "no effect with preempt = false" },
        { "rapid_preemption without preempt", INST("  preempt = false; rapid_preemption = true;"), 3, "'rapid_preemption' needs preempt = true" },
        { "rapid_preemption wrong type", INST("  rapid_preemption = 1;"), 3, "'rapid_preemption' must be true or false" },
        { "probe weight range", PROBE("type = \"http\"; url = \"http://x/\"; weight = -300;"), 1, "'weight' must be between -253 and 253 (got -300)" },
        { "track weight range", INST("  track = ( { probe = \"ready\"; weight = 254; } );"), 3, "'weight' must be between -253 and 253" },
        { "fall 0", PROBE("type = \"http\"; url = \"http://x/\"; fall = 0;"), 1, "'fall' must be between 1 and 1000" },
        { "rise 0", PROBE("type = \"http\"; url = \"http://x/\"; rise = 0;"), 1, "'rise' must be between 1 and 1000" },
        { "timeout not below interval", PROBE("type = \"http\"; url = \"http://x/\"; interval = 2; timeout = 2;"), 1, "'timeout' (2s) must be shorter than 'interval' (2s)" },
        { "timeout vs default interval", PROBE("type = \"http\"; url = \"http://x/\"; timeout = 3;"), 1, "(1s, the default)" },
        { "interval too short", PROBE("type = \"http\"; url = \"http://x/\"; interval = 0.01;"), 1, "'interval' must be between 0.1 and 3600 seconds" },
        /* families */
        { "IPv6 with version 2", INST_V("vrid = 1; version = 2;", "virtual_addresses = ( \"2001:db8::100/64\" );"), 2, "IPv6 needs version = 3" },
        { "mixed families", INST_V("vrid = 1;", "virtual_addresses = ( \"192.0.2.1\",\n \"2001:db8::1\" );"), 5, "virtual address is IPv6 but the instance's addresses are IPv4" },
        { "peer family", INST("  unicast_peers = ( \"2001:db8::2\" );"), 3, "unicast peer is IPv6 but the instance's addresses are IPv4" },
        { "source family", INST("  source_address = \"2001:db8::2\";"), 3, "source_address is IPv6" },
        /* duplicates */
        { "duplicate probe name", PROBE_LINE "probes = ();\n", 2, "duplicate setting name" },
        { "duplicate probe", "probes = ( { name = \"a\"; type = \"exec\"; command = \"/bin/true\"; },\n"
                             "  { name = \"a\"; type = \"exec\"; command = \"/bin/true\"; } );\n" INST_HEAD INST_TAIL,
          2, "duplicate probe name (first defined at line 1)" },
        { "duplicate instance", PROBE_LINE INST_HEAD "  virtual_addresses = ( \"192.0.2.1\" ); },\n"
                                "  { name = \"prom\"; interface = \"eth1\"; vrid = 52; virtual_addresses = ( \"192.0.2.2\" ); } );\n",
          4, "duplicate instance name (first defined at line 2)" },
        { "duplicate vrid", PROBE_LINE INST_HEAD "  virtual_addresses = ( \"192.0.2.1\" ); },\n"
                            "  { name = \"two\"; interface = \"eth0\"; vrid = 51; virtual_addresses = ( \"192.0.2.2\" ); } );\n",
          4, "vrid 51 on eth0 (IPv4) is already used by instance 'prom' at line 2" },
        { "shared vip", PROBE_LINE INST_HEAD "  virtual_addresses = ( \"192.0.2.1\" ); },\n"
                        "  { name = \"two\"; interface = \"eth0\"; vrid = 52; virtual_addresses = ( \"192.0.2.1/24\" ); } );\n",
          4, "virtual address 192.0.2.1/24 is also held by instance 'prom'" },
        { "vip twice", INST_V("vrid = 1;", "virtual_addresses = ( \"192.0.2.1\", \"192.0.2.1/24\" );"), 4, "listed twice" },
        { "peer twice", INST("  unicast_peers = ( \"192.0.2.2\", \"192.0.2.2\" );"), 3, "unicast peer '192.0.2.2' is listed twice" },
        { "tracked twice", INST("  track = ( \"ready\", \"ready\" );"), 3, "probe 'ready' is tracked twice" },
        /* references, URLs, addresses */
        { "track unknown probe", INST("  track = ( { probe = \"redy\"; weight = -10; } );"), 3, "track names unknown probe 'redy'" },
        { "url scheme", PROBE("type = \"http\"; url = \"ftp://127.0.0.1/\";"), 1, "the scheme must be http or https" },
        { "url garbage", PROBE("type = \"http\"; url = \"not a url\";"), 1, "bad url 'not a url'" },
        { "promql url with query", PROBE("type = \"promql\"; url = \"http://x:9090/?a=b\"; query = \"up\";"), 1, "base URL" },
        { "url missing", PROBE("type = \"http\";"), 1, "'url' is required" },
        { "bad vip", INST_V("vrid = 1;", "virtual_addresses = ( \"192.0.2.300/24\" );"), 4, "bad virtual address '192.0.2.300/24'" },
        { "bad vip prefix", INST_V("vrid = 1;", "virtual_addresses = ( \"192.0.2.1/33\" );"), 4, "bad virtual address" },
        { "vip hostname", INST_V("vrid = 1;", "virtual_addresses = ( \"prometheus.example\" );"), 4, "bad virtual address" },
        { "multicast vip", INST_V("vrid = 1;", "virtual_addresses = ( \"224.0.0.18\" );"), 4, "unspecified, loopback or multicast" },
        { "bad peer", INST("  unicast_peers = ( \"10.99.0\" );"), 3, "bad unicast peer '10.99.0'" },
        { "bad source", INST("  source_address = \"10.99.0.1/24\";"), 3, "bad source_address" },
        { "bad listen", "global = {\n listen = \"localhost:9662\"; };\n" INST(""), 2, "bad listen address 'localhost:9662'" },
        { "bad listen port", "global = {\n listen = \"127.0.0.1:99999\"; };\n" INST(""), 2, "bad listen address" },
        { "relative control_socket", "global = {\n control_socket = \"promvipd.sock\"; };\n" INST(""), 2, "bad control_socket 'promvipd.sock': expected an absolute path" },
        { "long control_socket", "global = {\n control_socket = \"/run/" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "0123456789" "\"; };\n" INST(""), 2, "shorter than 108 characters" },
        { "bad interface", INST_V("interface2 = 1;", ""), 3, "unknown setting 'interface2'" },
        /* unknown keys */
        { "typo priorty", INST("  priorty = 150;"), 3, "unknown setting 'priorty' (did you mean 'priority'?)" },
        { "unknown top key", "globals = {};\n" INST(""), 1, "unknown setting 'globals' (did you mean 'global'?)" },
        { "unknown global key", "global = {\n  listen_address = \"\"; };\n" INST(""), 2, "unknown setting 'listen_address'" },
        { "key of another probe type", PROBE("type = \"http\"; url = \"http://x/\"; query = \"up\";"), 1, "unknown setting 'query'" },
        { "unknown notify key", INST("  notify = { mastr = \"/bin/true\"; };"), 3, "unknown setting 'mastr' (did you mean 'master'?)" },
        /* required */
        { "no instances", PROBE_LINE, 0, "no 'instances' defined" },
        { "instance without name", PROBE_LINE "instances = ( { interface = \"eth0\"; vrid = 1;\n virtual_addresses = ( \"192.0.2.1\" ); } );\n", 2, "'name' is required" },
        { "instance without vrid", INST_V("", "virtual_addresses = ( \"192.0.2.1\" );"), 2, "'vrid' is required" },
        { "instance without interface", PROBE_LINE "instances = ( { name = \"x\"; vrid = 1;\n virtual_addresses = ( \"192.0.2.1\" ); } );\n", 2, "'interface' is required" },
        { "probe without type", "probes = ( { name = \"p\"; } );\n" INST_HEAD INST_TAIL, 1, "'type' is required" },
        { "probe unknown type", PROBE("type = \"tcp\";"), 1, "unknown type 'tcp'" },
        { "bad probe name", PROBE("type = \"exec\"; command = \"/bin/true\"; name2 = 1;"), 1, "unknown setting 'name2'" },
        { "probe name chars", "probes = ( { name = \"a b\"; type = \"exec\"; command = \"/bin/true\"; } );\n" INST_HEAD INST_TAIL, 1, "bad name 'a b'" },
        /* exec, notify, auth, http options */
        { "exec relative", PROBE("type = \"exec\"; command = \"check.sh\";"), 1, "must start with an absolute path (got 'check.sh')" },
        { "exec missing", PROBE("type = \"exec\";"), 1, "'command' is required" },
        { "exec argv element", PROBE("type = \"exec\"; command = ( \"/bin/x\", 1 );"), 1, "'command' element 2 must be a string" },
        { "exec empty argv", PROBE("type = \"exec\"; command = ( );"), 1, "'command' must not be empty" },
        { "notify relative", INST("  notify = { master = \"to-master.sh\"; };"), 3, "'master' must start with an absolute path" },
        { "notify timeout", INST("  notify = { timeout = 0; };"), 3, "'timeout' must be between 0.1 and 3600" },
        { "auth with v3", INST("  auth = { type = \"pass\"; password = \"x\"; };"), 3, "'auth' needs version = 2" },
        { "auth type ah", INST("  version = 2; auth = { type = \"ah\"; password = \"x\"; };"), 3, "auth type 'ah' is not supported" },
        { "auth password long", INST("  version = 2; auth = { type = \"PASS\"; password = \"123456789\"; };"), 3, "'password' must be 1 to 8 characters (got 9)" },
        { "auth without password", INST("  version = 2; auth = { type = \"pass\"; };"), 3, "'auth' needs 'password'" },
        { "checksum with v2", INST("  version = 2; checksum_pseudo_header = false;"), 3, "applies to version 3 over IPv4 only" },
        { "checksum with v6", INST_V("vrid = 1; checksum_pseudo_header = false;", "virtual_addresses = ( \"2001:db8::1\" );"), 3, "applies to version 3 over IPv4 only" },
        { "key without cert", PROBE("type = \"http\"; url = \"https://x/\"; key_file = \"/k.pem\";"), 1, "'key_file' needs 'cert_file'" },
        { "relative ca", PROBE("type = \"http\"; url = \"https://x/\"; ca_file = \"ca.pem\";"), 1, "'ca_file' must be an absolute path" },
        { "username without password", PROBE("type = \"http\"; url = \"http://x/\"; username = \"u\";"), 1, "'username' needs 'password'" },
        { "basic and bearer", PROBE("type = \"http\"; url = \"http://x/\"; username = \"u\"; password = \"p\"; bearer_token_file = \"/t\";"), 1, "not both" },
        { "bad header", PROBE("type = \"http\"; url = \"http://x/\"; headers = ( \"X-Scope-OrgID\" );"), 1, "bad header 'X-Scope-OrgID'" },
        { "promql without query", PROBE("type = \"promql\"; url = \"http://x:9090\";"), 1, "'query' is required" },
        { "promql min above max", PROBE("type = \"promql\"; url = \"http://x:9090\"; query = \"up\"; min = 2; max = 1;"), 1, "'min' (2) must not be greater than 'max' (1)" },
        { "log level", "global = {\n log_level = \"verbose\"; };\n" INST(""), 2, "unknown log_level 'verbose'" },
        /* realtime_priority and lock_memory */
        { "realtime_priority too high", "global = {\n realtime_priority = 100; };\n" INST(""), 2, "'realtime_priority' must be between 0 and 99 (got 100)" },
        { "realtime_priority negative", "global = { router_id = \"a\";\n\n realtime_priority = -1; };\n" INST(""), 3, "'realtime_priority' must be between 0 and 99 (got -1)" },
        { "realtime_priority float", "global = {\n realtime_priority = 50.0; };\n" INST(""), 2, "'realtime_priority' must be an integer, not a number" },
        { "realtime_priority string", "global = {\n realtime_priority = \"rr\"; };\n" INST(""), 2, "'realtime_priority' must be an integer, not a string" },
        { "realtime_priority huge", "global = {\n realtime_priority = 4294967346L; };\n" INST(""), 2, "'realtime_priority' must be between 0 and 99" },
        { "lock_memory string", "global = {\n\n\n lock_memory = \"yes\"; };\n" INST(""), 4, "'lock_memory' must be true or false, not a string" },
        { "lock_memory int", "global = {\n lock_memory = 1; };\n" INST(""), 2, "'lock_memory' must be true or false, not an integer" },
        /* event_history */
        { "event_history too high", "global = {\n event_history = 10001; };\n" INST(""), 2, "'event_history' must be between 0 and 10000 (got 10001)" },
        { "event_history negative", "global = {\n\n event_history = -1; };\n" INST(""), 3, "'event_history' must be between 0 and 10000 (got -1)" },
        { "event_history string", "global = {\n event_history = \"100\"; };\n" INST(""), 2, "'event_history' must be an integer, not a string" },
        { "typo event_histroy", "global = {\n event_histroy = 5; };\n" INST(""), 2, "unknown setting 'event_histroy' (did you mean 'event_history'?)" },
        { "typo realtime_prio", "global = {\n realtime_prio = 50; };\n" INST(""), 2, "unknown setting 'realtime_prio'" },
};

static void test_defaults(void **state) {
        Config *c = conf_load_ok(INST("  track = ( \"ready\" );"));
        const InstanceConfig *in = &c->instances[0];
        const ProbeConfig *p = &c->probes[0];

        (void) state;
        assert_string_equal(c->global.listen, "127.0.0.1:9662");
        assert_int_equal(c->global.listen_port, 9662);
        assert_string_equal(c->global.control_socket, "/run/promvip/promvipd.sock");
        assert_false(c->instances[0].rapid_preemption);
        assert_string_equal(c->global.script_user, "promvip");
        assert_non_null(c->global.router_id);
        assert_int_equal(c->global.log_level, -1);
        assert_int_equal(c->global.realtime_priority, 0);
        assert_false(c->global.lock_memory);
        assert_int_equal(p->kind, PROBE_HTTP);
        assert_int_equal(p->interval_usec, 1000000);
        assert_int_equal(p->timeout_usec, 500000);
        assert_int_equal(p->fall, 1);
        assert_int_equal(p->rise, 1);
        assert_int_equal(p->weight, 0);
        assert_false(p->http.tls_skip_verify);
        assert_string_equal(in->name, "prom");
        assert_int_equal(in->vrid, 51);
        assert_int_equal(in->priority, 100);
        assert_int_equal(in->version, 3);
        assert_int_equal(in->family, AF_INET);
        assert_int_equal(in->advert_interval_cs, 100);
        assert_true(in->preempt);
        assert_int_equal(in->preempt_delay_usec, 0);
        assert_int_equal(in->n_vips, 1);
        assert_int_equal(in->vips[0].prefixlen, 24);
        assert_int_equal(in->n_unicast_peers, 0);
        assert_false(in->has_source_address);
        assert_int_equal(in->n_tracks, 1);
        assert_int_equal(in->tracks[0].probe, 0);
        assert_int_equal(in->tracks[0].weight, 0);
        assert_int_equal(in->notify.timeout_usec, 30000000);
        assert_null(in->notify.master.argv);
        assert_int_equal(in->auth_type, AUTH_NONE);
        assert_true(in->checksum_pseudo_header);
        conf_unref(c);
}

static void test_full(void **state) {
        Config *c = conf_load_ok(
                "global = { router_id = \"prom-a\"; listen = \"[::1]:9100\"; script_user = \"nobody\"; log_level = \"debug\";\n"
                "  control_socket = \"/run/pv/ctl.sock\"; };\n"
                "probes = (\n"
                "  { name = \"ready\"; type = \"http\"; url = \"https://127.0.0.1:9090/-/ready\"; interval = 2; timeout = 0.25;\n"
                "    fall = 3; rise = 2; weight = -60; ca_file = \"/etc/ssl/ca.pem\"; cert_file = \"/c.pem\"; key_file = \"/k.pem\";\n"
                "    bearer_token_file = \"/run/token\"; headers = ( \"X-Scope-OrgID: team-a\" ); },\n"
                "  { name = \"fresh\"; type = \"promql\"; url = \"http://127.0.0.1:9090/prom\"; query = \"time() - max(timestamp(up))\"; max = 60; },\n"
                "  { name = \"script\"; type = \"exec\"; command = [ \"/usr/bin/test\", \"-f\", \"/tmp/x\" ]; weight = 10; }\n"
                ");\n"
                "instances = (\n"
                "  { name = \"v4\"; interface = \"eth0\"; vrid = 51; priority = 150; version = 2; advert_interval = 3;\n"
                "    preempt_delay = 1.5; rapid_preemption = true; virtual_addresses = [ \"192.0.2.100/24\", \"192.0.2.101\" ];\n"
                "    unicast_peers = ( \"192.0.2.2\", \"192.0.2.3\" ); source_address = \"192.0.2.1\";\n"
                "    track = ( \"ready\", { probe = \"fresh\"; weight = -20; }, { probe = \"script\"; } );\n"
                "    notify = { master = \"/bin/true\"; any = ( \"/usr/bin/env\", \"-t\", \"promvip\" ); timeout = 5; };\n"
                "    auth = { type = \"PASS\"; password = \"secret\"; }; },\n"
                "  { name = \"v6\"; interface = \"eth0\"; vrid = 51; advert_interval = 0.05; preempt = false;\n"
                "    virtual_addresses = ( \"2001:db8::100/64\" ); }\n"
                ");\n");
        const InstanceConfig *a = &c->instances[0], *b = &c->instances[1];

        (void) state;
        assert_string_equal(c->global.router_id, "prom-a");
        assert_int_equal(c->global.listen_addr.family, AF_INET6);
        assert_int_equal(c->global.listen_port, 9100);
        assert_int_equal(c->global.log_level, LOG_DEBUG);
        assert_string_equal(c->global.control_socket, "/run/pv/ctl.sock");
        assert_true(a->rapid_preemption);
        assert_false(b->rapid_preemption);
        assert_int_equal(c->n_probes, 3);
        assert_int_equal(c->probes[0].interval_usec, 2000000);
        assert_int_equal(c->probes[0].timeout_usec, 250000);
        assert_int_equal(c->probes[0].http.n_headers, 1);
        assert_true(isinf(c->probes[1].min) && c->probes[1].min < 0);
        assert_true(c->probes[1].max == 60.0);
        assert_int_equal(c->probes[2].kind, PROBE_EXEC);
        assert_int_equal(c->probes[2].command.argc, 3);
        assert_string_equal(c->probes[2].command.argv[2], "/tmp/x");
        assert_null(c->probes[2].command.argv[3]);
        assert_int_equal(a->version, 2);
        assert_int_equal(a->advert_interval_cs, 300);
        assert_int_equal(a->preempt_delay_usec, 1500000);
        assert_int_equal(a->n_vips, 2);
        assert_int_equal(a->vips[1].prefixlen, 32);
        assert_int_equal(a->n_unicast_peers, 2);
        assert_true(a->has_source_address);
        assert_int_equal(a->n_tracks, 3);
        assert_int_equal(a->tracks[0].weight, -60);
        assert_int_equal(a->tracks[1].weight, -20);
        assert_int_equal(a->tracks[2].weight, 10);
        assert_int_equal(a->notify.master.argc, 1);
        assert_int_equal(a->notify.any.argc, 3);
        assert_int_equal(a->notify.timeout_usec, 5000000);
        assert_int_equal(a->auth_type, AUTH_PASS);
        assert_string_equal(a->auth_password, "secret");
        /* Same interface and vrid, other family: a separate virtual router. */
        assert_int_equal(b->family, AF_INET6);
        assert_int_equal(b->advert_interval_cs, 5);
        assert_false(b->preempt);

        char *s = conf_summary(c);
        assert_string_equal(s, "3 probes, 2 instances (v4: eth0 vrid 51 IPv4 v2, v6: eth0 vrid 51 IPv6 v3)");
        free(s);
        conf_unref(c);
}

static void test_listen_disabled(void **state) {
        Config *c = conf_load_ok("global = { listen = \"\"; };\n" INST(""));

        (void) state;
        assert_string_equal(c->global.listen, "");
        conf_unref(c);
}

/* What runs as global.script_user: exec probes and hooks, nothing else. */
static void test_runs_commands(void **state) {
        Config *plain = conf_load_ok(INST("  track = ( \"ready\" );"));
        Config *hook = conf_load_ok(INST("  notify = { stop = \"/bin/true\"; };"));
        Config *exec = conf_load_ok("probes = ( { name = \"x\"; type = \"exec\"; command = \"/bin/true\"; } );\n"
                               INST_HEAD "\n" INST_TAIL);

        (void) state;
        assert_false(conf_runs_commands(plain));
        assert_true(conf_runs_commands(hook));
        assert_true(conf_runs_commands(exec));
        conf_unref(plain);
        conf_unref(hook);
        conf_unref(exec);
}

/* One run reports every error, each at its own line. */
static void test_all_errors_reported(void **state) {
        static const char text[] =
                "probes = ( { name = \"ready\"; type = \"http\"; url = \"gopher://x\"; fall = 0; } );\n"
                "instances = ( { name = \"prom\"; interface = \"eth0\";\n"
                "  vrid = 300;\n"
                "  priorty = 150;\n"
                "  virtual_addresses = ( \"192.0.2.1\",\n"
                "    \"not-an-address\" );\n"
                "  track = ( \"nope\" ); } );\n";
        static const unsigned want[] = { 1, 1, 3, 4, 6, 7 };
        ConfErrors errs = {};
        Config *c = NULL;

        (void) state;
        assert_int_equal(conf_load_string(text, "t.conf", &c, &errs), -EINVAL);
        assert_int_equal(errs.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < errs.n; i++)
                assert_int_equal(errs.items[i].line, want[i]);
        conf_errors_clear(&errs);
}

static void test_missing_file(void **state) {
        ConfErrors errs = {};
        Config *c = NULL;

        (void) state;
        assert_int_equal(conf_load_file("/nonexistent/promvip.conf", &c, &errs), -ENOENT);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.items[0].file, "/nonexistent/promvip.conf");
        assert_non_null(strstr(errs.items[0].message, "cannot open"));
        conf_errors_clear(&errs);
}

/* The loader reads nothing of the host: commands that do not exist or
 * that are not safe to run load (promvipd checks them, conf-check.c), each
 * with where it is set. */
static void test_commands_not_examined(void **state) {
        Config *c = conf_load_ok("probes = ( { name = \"p\"; type = \"exec\"; command = \"/nonexistent/check\"; } );\n"
                            INST_HEAD
                            "  notify = { backup = \"/etc/passwd\";\n"
                            "    master = [ \"/nonexistent/to-master.sh\", \"x\" ]; };\n" INST_TAIL);
        const NotifyConfig *n = &c->instances[0].notify;

        (void) state;
        assert_string_equal(c->probes[0].command.argv[0], "/nonexistent/check");
        assert_string_equal(c->probes[0].command.file, "t.conf");
        assert_int_equal(c->probes[0].command.line, 1);
        assert_string_equal(n->backup.argv[0], "/etc/passwd");
        assert_string_equal(n->backup.file, "t.conf");
        assert_int_equal(n->backup.line, 3);
        assert_int_equal(n->master.argc, 2);
        assert_int_equal(n->master.line, 4);
        assert_null(n->stop.argv);
        conf_unref(c);
}

static void collect_line(const ConfError *e, const char *text, void *userdata) {
        char *out = userdata;

        (void) e;
        strcat(out, text);
        strcat(out, "\n");
}

/* The one format every program prints: FILE:LINE: or FILE: without a line. */
static void test_errors_print(void **state) {
        ConfErrors errs = {};
        char out[256] = "";

        (void) state;
        assert_int_equal(conf_errors_add(&errs, "a.conf", 3, "bad %s", "thing"), 0);
        assert_int_equal(conf_errors_add(&errs, "/etc/x.conf", 0, "cannot open: %s", "No such file"), 0);
        conf_errors_print(&errs, collect_line, out);
        assert_string_equal(out, "a.conf:3: bad thing\n/etc/x.conf: cannot open: No such file\n");
        conf_errors_clear(&errs);
}

/* realtime_priority takes 0 (off) to 99, the bounds included. */
static void test_realtime_bounds(void **state) {
        static const int values[] = { 0, 1, 50, 99 };

        (void) state;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                char text[512];
                Config *c;

                snprintf(text, sizeof(text), "global = { realtime_priority = %d; lock_memory = %s; };\n" INST(""),
                         values[i], i % 2 ? "true" : "false");
                c = conf_load_ok(text);
                assert_int_equal(c->global.realtime_priority, values[i]);
                assert_int_equal(c->global.lock_memory, i % 2 == 1);
                conf_unref(c);
        }
}

/* event_history: 100 by default, 0 to 10000 with the bounds included. */
static void test_event_history_bounds(void **state) {
        static const int values[] = { 0, 1, 5, 10000 };
        Config *c;

        (void) state;
        c = conf_load_ok(INST(""));
        assert_int_equal(c->global.event_history, CONF_DEFAULT_EVENT_HISTORY);
        assert_int_equal(c->global.event_history, 100);
        conf_unref(c);
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                char text[512];

                snprintf(text, sizeof(text), "global = { event_history = %d; };\n" INST(""), values[i]);
                c = conf_load_ok(text);
                assert_int_equal(c->global.event_history, values[i]);
                conf_unref(c);
        }
}

/* The shipped example must pass (it is documented as a starting point). */
static void test_example_file(void **state) {
        ConfErrors errs = {};
        Config *c = NULL;
        int r;

        (void) state;
        r = conf_load_file(SOURCE_ROOT "/conf/promvip.conf", &c, &errs);
        for (size_t i = 0; i < errs.n; i++)
                print_error("%s:%u: %s\n", errs.items[i].file, errs.items[i].line, errs.items[i].message);
        assert_int_equal(r, 0);
        assert_int_equal(c->n_probes, 2);
        assert_int_equal(c->n_instances, 1);
        conf_unref(c);
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_listen_disabled),
                cmocka_unit_test(test_runs_commands),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_commands_not_examined),
                cmocka_unit_test(test_errors_print),
                cmocka_unit_test(test_example_file),
                cmocka_unit_test(test_realtime_bounds),
                cmocka_unit_test(test_event_history_bounds),
        };

        return conf_run_tests("conf", fixed, sizeof(fixed) / sizeof(fixed[0]), error_cases,
                              sizeof(error_cases) / sizeof(error_cases[0]));
}
