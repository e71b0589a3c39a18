/* Unit tests: keepalived-convert.c, keepalived-instance.c and
 * keepalived-script.c, one mapping at a time: the promvip.conf text written
 * and the report notes (changed / not carried over) with their lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/keepalived-convert.h"

typedef struct Result {
        char *text;
        KaNotes notes;
} Result;

static char *resolve(const char *name, void *userdata) {
        char *p = NULL;

        (void) userdata;
        if (strcmp(name, "pidof") == 0 && asprintf(&p, "/usr/bin/%s", name) < 0)
                return NULL;
        return p;
}

static void convert(Result *res, const char *text) {
        KaConvertOptions o = { .resolve = resolve };
        KaLines lines = {};
        KaStmt *root = NULL;
        size_t len = 0;
        const char *file;
        FILE *f;

        *res = (Result) {};
        file = ka_lines_intern(&lines, "k.conf");
        assert_non_null(file);
        assert_int_equal(ka_lex(text, strlen(text), file, "host", &lines, &res->notes), 0);
        assert_int_equal(ka_tree_build(&lines, &root, &res->notes), 0);
        f = open_memstream(&res->text, &len);
        assert_non_null(f);
        assert_int_equal(ka_convert(root, &o, f, &res->notes), 0);
        assert_int_equal(fclose(f), 0);
        ka_stmt_free(root);
        ka_lines_clear(&lines);
}

static void result_clear(Result *r) {
        free(r->text);
        ka_notes_clear(&r->notes);
}

static bool has_note(const Result *r, unsigned line, KaNoteKind kind, const char *text) {
        for (size_t i = 0; i < r->notes.n; i++)
                if (r->notes.v[i].line == line && r->notes.v[i].kind == kind && strstr(r->notes.v[i].text, text))
                        return true;
        for (size_t i = 0; i < r->notes.n; i++)
                printf("# note %u %d %s\n", r->notes.v[i].line, r->notes.v[i].kind, r->notes.v[i].text);
        return false;
}

#define assert_contains(haystack, needle)                                                       \
        do {                                                                                    \
                if (!strstr((haystack), (needle)))                                              \
                        fail_msg("'%s' not in:\n%s", (needle), (haystack));                     \
        } while (0)

#define INSTANCE_HEAD "vrrp_instance VI {\n interface eth0\n virtual_router_id 51\n"

static void test_global_and_instance(void **state) {
        Result r;

        (void) state;
        convert(&r, "global_defs {\n router_id prom-a\n script_user prom grp\n enable_script_security\n"
                    " notification_email { a@b }\n vrrp_garp_master_delay 3\n}\n" INSTANCE_HEAD
                    " state BACKUP\n priority 150\n advert_int 2\n nopreempt\n"
                    " virtual_ipaddress {\n  192.0.2.100/24\n }\n garp_master_repeat 2\n"
                    " garp_master_refresh 60\n smtp_alert\n}\n");
        assert_contains(r.text, "global = { router_id = \"prom-a\"; script_user = \"prom\"; };");
        assert_contains(r.text, "{ name = \"VI\"; interface = \"eth0\"; vrid = 51; priority = 150; version = 2;");
        assert_contains(r.text, "advert_interval = 2; preempt = false;");
        assert_contains(r.text, "virtual_addresses = ( \"192.0.2.100/24\" );");
        assert_contains(r.text, "garp_master_delay = 3;");
        assert_contains(r.text, "garp_master_repeat = 2;");
        assert_contains(r.text, "garp_master_refresh = 60;");
        assert_true(has_note(&r, 3, KA_CHANGED, "the group 'grp'"));
        assert_true(has_note(&r, 4, KA_CHANGED, "always checks scripts"));
        assert_true(has_note(&r, 5, KA_LOST, "sends no mail"));
        assert_true(has_note(&r, 11, KA_CHANGED, "'state BACKUP' has no equivalent"));
        assert_true(has_note(&r, 20, KA_LOST, "'smtp_alert'"));
        result_clear(&r);
}

static void test_preempt_and_garp(void **state) {
        Result r;

        (void) state;
        convert(&r, "global_defs {\n vrrp_garp_interval 0.002\n vrrp_gna_interval 0.005\n vrrp_garp_master_refresh 30\n}\n"
                    INSTANCE_HEAD " virtual_ipaddress { 192.0.2.1 }\n preempt_delay 2.5\n garp_master_delay 0\n}\n"
                    "vrrp_instance N { interface eth0\n virtual_router_id 2\n virtual_ipaddress { 192.0.2.2 }\n"
                    " nopreempt\n preempt_delay 5\n}\n");
        assert_contains(r.text, "advert_interval = 1; preempt_delay = 2.5;\n");
        assert_contains(r.text, "garp_master_delay = 0;\n    garp_master_refresh = 30;\n    garp_interval = 0.005;\n");
        assert_contains(r.text, "advert_interval = 1; preempt = false;\n");
        assert_true(has_note(&r, 3, KA_CHANGED, "one garp_interval for ARP and NA"));
        assert_true(has_note(&r, 17, KA_CHANGED, "preempt_delay with nopreempt"));
        result_clear(&r);
}

static void test_version(void **state) {
        Result r;

        (void) state;
        convert(&r, "global_defs { vrrp_version 3 }\n" INSTANCE_HEAD " advert_int 0.25\n"
                    " virtual_ipaddress { 192.0.2.1 }\n}\n"
                    "vrrp_instance V6 { interface eth0\n virtual_router_id 52\n virtual_ipaddress { 2001:db8::1/64 }\n"
                    " version 2\n advert_int 1.5 }\n"
                    "vrrp_instance V2 { interface eth0\n virtual_router_id 53\n version 2\n advert_int 1.5\n"
                    " virtual_ipaddress { 192.0.2.2 } }\n");
        assert_contains(r.text, "vrid = 51; priority = 100; version = 3;\n    advert_interval = 0.25;");
        assert_contains(r.text, "vrid = 52; priority = 100; version = 3;\n    advert_interval = 1.5;");
        assert_contains(r.text, "vrid = 53; priority = 100; version = 2;\n    advert_interval = 2;");
        assert_true(has_note(&r, 8, KA_CHANGED, "IPv6 runs VRRP version 3"));
        assert_true(has_note(&r, 16, KA_CHANGED, "rounded up to whole seconds"));
        result_clear(&r);
}

static void test_vips(void **state) {
        Result r;

        (void) state;
        convert(&r, INSTANCE_HEAD " virtual_ipaddress {\n  192.0.2.1/24 dev eth0 label eth0:1\n"
                                  "  192.0.2.2 dev eth1\n  192.0.2.3 scope link brd 192.0.2.255 no_track\n"
                                  "  192.0.2.1/24\n  2001:db8::1\n }\n}\n"
                                  "vrrp_instance NOVIP { interface eth0\n virtual_router_id 9\n native_ipv6\n}\n");
        assert_contains(r.text, "virtual_addresses = ( \"192.0.2.1/24\", \"192.0.2.3\" );");
        assert_true(has_note(&r, 5, KA_CHANGED, "'label eth0:1' not carried over"));
        assert_true(has_note(&r, 6, KA_LOST, "on another interface (dev eth1)"));
        assert_true(has_note(&r, 7, KA_CHANGED, "'scope link'"));
        assert_true(has_note(&r, 7, KA_CHANGED, "'brd 192.0.2.255'"));
        assert_true(has_note(&r, 7, KA_CHANGED, "'no_track'"));
        assert_true(has_note(&r, 8, KA_CHANGED, "listed twice"));
        assert_true(has_note(&r, 9, KA_LOST, "not of the instance's address family"));
        assert_contains(r.text, "{ name = \"NOVIP\"");
        assert_contains(r.text, "family = \"ipv6\";");
        assert_true(has_note(&r, 12, KA_CHANGED, "an instance without VIP"));
        result_clear(&r);
}

static void test_unicast_and_auth(void **state) {
        Result r;

        (void) state;
        convert(&r, INSTANCE_HEAD " virtual_ipaddress { 192.0.2.1 }\n unicast_src_ip 192.0.2.10\n unicast_ttl 64\n"
                                  " unicast_peer {\n  192.0.2.11 min_ttl 250\n  192.0.2.12 min_ttl 200\n }\n"
                                  " authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n}\n"
                                  "vrrp_instance B { interface eth0\n virtual_router_id 2\n unicast_ttl 9\n"
                                  " virtual_ipaddress { 192.0.2.2 }\n authentication { auth_type AH\n auth_pass x } }\n");
        assert_contains(r.text, "unicast_peers = ( \"192.0.2.11\", \"192.0.2.12\" );");
        assert_contains(r.text, "source_address = \"192.0.2.10\";");
        assert_contains(r.text, "unicast_ttl = 64;");
        assert_contains(r.text, "unicast_min_ttl = 200;");
        assert_contains(r.text, "auth = { type = \"pass\"; password = \"12345678\"; };");
        assert_true(has_note(&r, 9, KA_CHANGED, "one unicast_min_ttl"));
        assert_true(has_note(&r, 11, KA_CHANGED, "truncated to 8"));
        assert_true(has_note(&r, 18, KA_CHANGED, "unicast_ttl without unicast_peer"));
        assert_true(has_note(&r, 20, KA_LOST, "authentication AH"));
        result_clear(&r);
}

static void test_http_scripts(void **state) {
        Result r;

        (void) state;
        convert(&r, "vrrp_script a {\n script \"/usr/bin/curl -sf http://127.0.0.1:9090/-/ready\"\n interval 2\n"
                    " timeout 1\n fall 3\n rise 2\n weight -60\n}\n"
                    "vrrp_script b {\n script \"curl --fail -s -m 0.5 -k https://h:9090/-/ready\"\n}\n"
                    "vrrp_script c {\n script \"wget -q -O /dev/null -T 3 http://127.0.0.1:9090/-/healthy\"\n"
                    " interval 5\n}\n"
                    "vrrp_script d {\n script \"/usr/bin/curl -s -w %{http_code} http://127.0.0.1:9090/\"\n}\n"
                    "vrrp_script e {\n script \"curl -s http://127.0.0.1:9090/-/ready\"\n timeout 10\n}\n");
        assert_contains(r.text, "{ name = \"a\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; interval = 2; "
                                "timeout = 1; fall = 3; rise = 2; weight = -60; }");
        assert_contains(r.text, "{ name = \"b\"; type = \"http\"; url = \"https://h:9090/-/ready\"; tls_skip_verify = "
                                "true; interval = 1; timeout = 0.5;");
        assert_contains(r.text, "{ name = \"c\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/healthy\"; interval = "
                                "5; timeout = 3;");
        assert_true(has_note(&r, 2, KA_CHANGED, "becomes a native http probe"));
        assert_true(has_note(&r, 1, KA_CHANGED, "needs 2 successes"));
        assert_true(has_note(&r, 13, KA_CHANGED, "wget followed redirects"));
        /* -w is not something an http probe does: an exec probe. */
        assert_true(has_note(&r, 17, KA_CHANGED, "curl not understood ('-w')"));
        assert_contains(r.text, "{ name = \"d\"; type = \"exec\"; command = ( \"/usr/bin/curl\", \"-s\", \"-w\", "
                                "\"%{http_code}\", \"http://127.0.0.1:9090/\" );");
        assert_true(has_note(&r, 20, KA_CHANGED, "without --fail curl succeeded on any HTTP answer"));
        assert_true(has_note(&r, 19, KA_CHANGED, "timeout 10000 ms is not shorter than the interval"));
        assert_contains(r.text, "{ name = \"e\"; type = \"http\"; url = \"http://127.0.0.1:9090/-/ready\"; interval = 1; "
                                "timeout = 0.9;");
        result_clear(&r);
}

static void test_exec_scripts(void **state) {
        Result r;

        (void) state;
        convert(&r, "vrrp_script a {\n script \"/usr/bin/test -f '/run/a b'\"\n interval 3\n weight 10\n}\n"
                    "vrrp_script b {\n script \"pidof prometheus\"\n}\n"
                    "vrrp_script c {\n script \"nosuchcmd x\"\n}\n"
                    "vrrp_script d {\n script \"</dev/tcp/127.0.0.1/9090\"\n}\n"
                    "vrrp_script e {\n script \"/usr/bin/pgrep x | /usr/bin/wc\"\n user nobody\n}\n"
                    "vrrp_script f {\n interval 1\n}\n"
                    "vrrp_script g {\n script /bin/true\n weight 2 reverse\n}\n"
                    "vrrp_script h {\n script /bin/true\n interval 0.05\n}\n");
        assert_contains(r.text, "{ name = \"a\"; type = \"exec\"; command = ( \"/usr/bin/test\", \"-f\", \"/run/a b\" ); "
                                "interval = 3; timeout = 2.7; fall = 1; rise = 1; weight = 10; }");
        assert_contains(r.text, "{ name = \"b\"; type = \"exec\"; command = ( \"/usr/bin/pidof\", \"prometheus\" );");
        assert_true(has_note(&r, 7, KA_CHANGED, "resolved by PATH search to /usr/bin/pidof"));
        assert_true(has_note(&r, 10, KA_LOST, "not found in PATH"));
        assert_contains(r.text, "command = ( \"/bin/sh\", \"-c\", \"</dev/tcp/127.0.0.1/9090\" );");
        assert_true(has_note(&r, 13, KA_CHANGED, "through the shell (system())"));
        assert_contains(r.text, "command = ( \"/usr/bin/pgrep\", \"x\", \"|\", \"/usr/bin/wc\" );");
        assert_true(has_note(&r, 16, KA_CHANGED, "keepalived runs no shell"));
        assert_true(has_note(&r, 17, KA_LOST, "runs every probe as global.script_user"));
        assert_true(has_note(&r, 19, KA_LOST, "has no script"));
        assert_true(has_note(&r, 22, KA_LOST, "reverse"));
        assert_contains(r.text, "{ name = \"h\"; type = \"exec\"; command = \"/bin/true\"; interval = 0.1; timeout = 0.09;");
        result_clear(&r);
}

static void test_tracks(void **state) {
        Result r;

        (void) state;
        convert(&r, "vrrp_script s { script /bin/true\n weight -10 }\n"
                    "vrrp_track_file drain {\n file /var/lib/promvip/drain\n weight -100\n init_file 1\n}\n"
                    "track_file other { file /run/x }\n" INSTANCE_HEAD " virtual_ipaddress { 192.0.2.1 }\n"
                    " track_script {\n  s\n  s2\n }\n track_file {\n  drain weight -50\n  other\n }\n"
                    " track_interface {\n  eth1\n  eth2 weight -20\n  eth3 weight 5 reverse\n }\n}\n"
                    "vrrp_instance W { interface eth0\n virtual_router_id 2\n virtual_ipaddress { 192.0.2.2 }\n"
                    " track_script { s weight 30 }\n}\n");
        assert_contains(r.text, "{ name = \"drain\"; type = \"file\"; path = \"/var/lib/promvip/drain\"; weight = -100; "
                                "missing = 1; }");
        assert_contains(r.text, "{ name = \"other\"; type = \"file\"; path = \"/run/x\"; weight = 1; missing = 0; }");
        assert_true(has_note(&r, 6, KA_CHANGED, "does not create the file"));
        assert_contains(r.text, "track = ( \"s\", { probe = \"drain\"; weight = -50; }, \"other\" );");
        assert_true(has_note(&r, 15, KA_LOST, "'s2' is not defined"));
        assert_contains(r.text, "track_interfaces = ( \"eth1\", { interface = \"eth2\"; weight = -20; } );");
        assert_true(has_note(&r, 24, KA_LOST, "'reverse' has no promvip equivalent"));
        assert_contains(r.text, "track = ( { probe = \"s\"; weight = 30; } );");
        result_clear(&r);
}

static void test_notify_and_sync_groups(void **state) {
        Result r;

        (void) state;
        convert(&r, INSTANCE_HEAD " virtual_ipaddress { 192.0.2.1 }\n"
                                  " notify_master \"/usr/local/bin/n.sh master 'a b'\"\n notify /usr/bin/logger\n"
                                  " notify_stop \"/usr/bin/x\" root\n}\n"
                                  "vrrp_instance V6 { interface eth0\n virtual_router_id 52\n"
                                  " virtual_ipaddress { 2001:db8::1 } }\n"
                                  "vrrp_sync_group G {\n group {\n  VI V6\n  nope\n }\n"
                                  " notify_fault \"/usr/bin/f g\"\n smtp_alert\n}\n"
                                  "vrrp_sync_group ONE { group { VI } }\n"
                                  "vrrp_sync_group OLD { VI\n V6 }\n");
        assert_contains(r.text, "notify = { master = ( \"/usr/local/bin/n.sh\", \"master\", \"a b\" ); stop = "
                                "\"/usr/bin/x\"; any = \"/usr/bin/logger\"; };");
        assert_true(has_note(&r, 7, KA_LOST, "the user 'root' is not carried over"));
        assert_contains(r.text, "sync_groups = (\n  { name = \"G\";\n    instances = ( \"VI\", \"V6\" );\n"
                                "    notify = { fault = ( \"/usr/bin/f\", \"g\" ); };\n  }\n);");
        assert_true(has_note(&r, 15, KA_LOST, "instance 'nope' was not carried over"));
        assert_true(has_note(&r, 18, KA_LOST, "'smtp_alert' not carried over (promvip sends no mail"));
        assert_true(has_note(&r, 20, KA_LOST, "instance 'VI' is already in a sync group"));
        assert_true(has_note(&r, 20, KA_LOST, "has 0 instances carried over"));
        assert_true(has_note(&r, 21, KA_LOST, "'VI' not carried over (keepalived reads instance names only inside"));
        assert_true(has_note(&r, 21, KA_LOST, "no group { } block"));
        result_clear(&r);
}

static void test_not_vrrp(void **state) {
        Result r;

        (void) state;
        convert(&r, "virtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 { weight 1 }\n}\n"
                    "static_routes {\n 192.0.2.0/24 dev eth0\n}\nsomething_new\n");
        assert_true(has_note(&r, 1, KA_LOST, "LVS virtual servers"));
        assert_true(has_note(&r, 4, KA_LOST, "promvip manages only the VIPs"));
        assert_true(has_note(&r, 7, KA_LOST, "'something_new' not carried over"));
        assert_true(has_note(&r, 0, KA_LOST, "no vrrp_instance carried over"));
        assert_false(strstr(r.text, "instances"));
        result_clear(&r);
}

static void test_helpers(void **state) {
        long long v;
        char *buf = NULL;
        size_t len = 0;
        bool changed;
        FILE *f;
        char *n;

        (void) state;
        assert_int_equal(ka_parse_msec("1.5", 0, 10000, &v), 0);
        assert_int_equal(v, 1500);
        assert_int_equal(ka_parse_msec("0.0015", 0, 10000, &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(ka_parse_msec("1e3", 0, 10000, &v), -EINVAL);
        assert_int_equal(ka_parse_msec("11", 0, 10000, &v), -EINVAL);
        assert_int_equal(ka_parse_int("-5", -10, 10, &v), 0);
        assert_int_equal(ka_parse_int("5x", -10, 10, &v), -EINVAL);
        n = ka_name_sanitize("VI 1/a", &changed);
        assert_string_equal(n, "VI_1_a");
        assert_true(changed);
        free(n);
        f = open_memstream(&buf, &len);
        ka_put_string(f, "a\"b\\c\nd\x01");
        fputc(' ', f);
        ka_put_seconds(f, 1050);
        fputc(' ', f);
        ka_put_seconds(f, 90);
        fclose(f);
        assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\x01\" 1.05 0.09");
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_global_and_instance),
                cmocka_unit_test(test_preempt_and_garp),
                cmocka_unit_test(test_version),
                cmocka_unit_test(test_vips),
                cmocka_unit_test(test_unicast_and_auth),
                cmocka_unit_test(test_http_scripts),
                cmocka_unit_test(test_exec_scripts),
                cmocka_unit_test(test_tracks),
                cmocka_unit_test(test_notify_and_sync_groups),
                cmocka_unit_test(test_not_vrrp),
                cmocka_unit_test(test_helpers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
