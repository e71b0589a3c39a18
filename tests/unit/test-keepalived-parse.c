/* Unit tests: keepalived-parse.c, keepalived.conf read as keepalived's
 * lib/parser.c reads it (comments, quotes, braces, @ID lines, includes,
 * broken input) and command lines split as keepalived splits them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/keepalived-parse.h"

typedef struct Parsed {
        KaLines lines;
        KaNotes notes;
        KaStmt *root;
} Parsed;

static void parse(Parsed *p, const char *text, size_t len) {
        const char *file;

        *p = (Parsed) {};
        file = ka_lines_intern(&p->lines, "k.conf");
        assert_non_null(file);
        assert_int_equal(ka_lex(text, len, file, "host", &p->lines, &p->notes), 0);
        assert_int_equal(ka_tree_build(&p->lines, &p->root, &p->notes), 0);
}

static void parsed_clear(Parsed *p) {
        ka_stmt_free(p->root);
        ka_notes_clear(&p->notes);
        ka_lines_clear(&p->lines);
}

static bool has_note(const Parsed *p, unsigned line, KaNoteKind kind, const char *text) {
        for (size_t i = 0; i < p->notes.n; i++)
                if (p->notes.v[i].line == line && p->notes.v[i].kind == kind && strstr(p->notes.v[i].text, text))
                        return true;
        return false;
}

static void test_blocks_and_comments(void **state) {
        static const char text[] = "! a comment\n"
                                   "vrrp_instance VI_1 {   # trailing comment\n"
                                   "    interface eth0 ! also a comment\n"
                                   "    virtual_ipaddress { 192.0.2.1/24\n"
                                   "        192.0.2.2 label \"x # not a comment\" }\n"
                                   "}\n"
                                   "vrrp_script s\n"
                                   "{\n"
                                   "  script \"/bin/true\"\n"
                                   "}\n"
                                   "global_defs { router_id a\\#b }\n";
        const KaStmt *vi, *vips, *s;
        Parsed p;

        (void) state;
        parse(&p, text, strlen(text));
        assert_int_equal(p.root->n_children, 3);
        vi = p.root->children[0];
        assert_string_equal(ka_stmt_keyword(vi), "vrrp_instance");
        assert_int_equal(vi->n_words, 2);
        assert_string_equal(vi->words[1], "VI_1");
        assert_true(vi->block);
        assert_int_equal(vi->line, 2);
        assert_int_equal(vi->n_children, 2);
        assert_int_equal(vi->children[0]->n_words, 2);
        assert_string_equal(vi->children[0]->words[1], "eth0");
        vips = vi->children[1];
        assert_true(vips->block);
        assert_int_equal(vips->n_children, 2);
        assert_string_equal(vips->children[0]->words[0], "192.0.2.1/24");
        assert_int_equal(vips->children[0]->line, 4);
        assert_int_equal(vips->children[1]->n_words, 3);
        assert_string_equal(vips->children[1]->words[2], "x # not a comment");
        s = p.root->children[1];
        assert_true(s->block); /* "{" on the next line */
        assert_string_equal(s->children[0]->raw, "script \"/bin/true\"");
        assert_string_equal(s->children[0]->words[1], "/bin/true");
        assert_string_equal(p.root->children[2]->children[0]->words[1], "a#b");
        assert_int_equal(p.notes.n, 0);
        parsed_clear(&p);
}

static void test_config_id(void **state) {
        static const char text[] = "@host priority 1\n@other priority 2\n@^other priority 3\n@^host priority 4\n@host\n";
        Parsed p;

        (void) state;
        parse(&p, text, strlen(text));
        assert_int_equal(p.root->n_children, 2);
        assert_string_equal(p.root->children[0]->words[1], "1");
        assert_string_equal(p.root->children[1]->words[1], "3");
        assert_true(has_note(&p, 2, KA_CHANGED, "'@other' does not apply"));
        assert_true(has_note(&p, 4, KA_CHANGED, "'@^host' does not apply"));
        parsed_clear(&p);
}

static void test_broken(void **state) {
        static const char text[] = "}\n"
                                   "a \"unmatched\n"
                                   "b {\n"
                                   "  c {\n"
                                   "$X(a)=1\n"
                                   "include conf.d/*.conf\n"
                                   "x\0y\n"
                                   "  }\n";
        Parsed p;

        (void) state;
        parse(&p, text, sizeof(text) - 1);
        assert_true(has_note(&p, 1, KA_LOST, "extra '}'"));
        assert_true(has_note(&p, 2, KA_LOST, "unterminated quote"));
        assert_true(has_note(&p, 2, KA_LOST, "unmatched quote"));
        assert_true(has_note(&p, 3, KA_LOST, "'b' block not closed"));
        assert_true(has_note(&p, 6, KA_LOST, "include 'conf.d/*.conf' not expanded"));
        assert_true(has_note(&p, 7, KA_LOST, "NUL"));
        assert_int_equal(p.root->n_children, 2);
        assert_int_equal(p.root->children[0]->n_words, 1); /* the line ends at the quote */
        parsed_clear(&p);
}

static void test_include_line(void **state) {
        static const char text[] = "include  /etc/keepalived/*.conf\nincludes x\nincluder a.conf\n";
        Parsed p = {};
        const char *file = ka_lines_intern(&p.lines, "k.conf");

        (void) state;
        assert_int_equal(ka_lex(text, strlen(text), file, NULL, &p.lines, &p.notes), 0);
        assert_int_equal(p.lines.n, 3);
        assert_int_equal(p.lines.v[0].kind, KA_LINE_INCLUDE);
        assert_string_equal(p.lines.v[0].text, "/etc/keepalived/*.conf");
        assert_int_equal(p.lines.v[1].kind, KA_LINE_TEXT); /* "includes" is a keyword */
        assert_int_equal(p.lines.v[2].kind, KA_LINE_INCLUDE);
        assert_string_equal(p.lines.v[2].text, "a.conf");
        parsed_clear(&p);
}

static void test_deep(void **state) {
        char text[512] = "";
        Parsed p;

        (void) state;
        for (int i = 0; i < 40; i++)
                strcat(text, "a {\n");
        for (int i = 0; i < 40; i++)
                strcat(text, "}\n");
        parse(&p, text, strlen(text));
        assert_true(has_note(&p, 33, KA_LOST, "nested deeper"));
        assert_int_equal(ka_notes_count(&p.notes, KA_LOST), 1);
        parsed_clear(&p);
}

static void test_definitions(void **state) {
        static const char text[] = "$IF=eth0\n"
                                   "$VIP = 192.0.2.1/24   # a comment\n"
                                   "$BLOCK=virtual_ipaddress { ${VIP} }\n"
                                   "$MULTI=a \\\n"
                                   "vrrp_instance $IF-x { interface $IF\n"
                                   "  $BLOCK\n"
                                   "  script \"$(date) $UNDEFINED\"\n"
                                   "}\n"
                                   "$IF=eth1\n"
                                   "x $IF\n"
                                   "$LOOP=$LOOP$LOOP\n"
                                   "y $LOOP\n"
                                   "z ${_PWD}/x\n"
                                   "w \"${_HASH}${_BANG} $_HASH\"\n";
        const KaStmt *vi;
        Parsed p;

        (void) state;
        parse(&p, text, strlen(text));
        assert_int_equal(p.root->n_children, 3);
        vi = p.root->children[0];
        assert_string_equal(vi->words[1], "$IF-x"); /* a name is followed by a blank, ',' or ')' */
        assert_int_equal(vi->line, 5);
        assert_int_equal(vi->n_children, 3);
        assert_string_equal(vi->children[0]->raw, "interface eth0");
        assert_string_equal(ka_stmt_keyword(vi->children[1]), "virtual_ipaddress");
        assert_true(vi->children[1]->block);
        assert_string_equal(vi->children[1]->children[0]->words[0], "192.0.2.1/24");
        assert_int_equal(vi->children[1]->children[0]->line, 6);
        assert_string_equal(vi->children[2]->words[1], "$(date) $UNDEFINED");
        assert_string_equal(p.root->children[1]->raw, "x eth1");
        assert_true(has_note(&p, 4, KA_LOST, "multi-line definitions"));
        assert_true(has_note(&p, 12, KA_LOST, "expand without end"));
        assert_true(has_note(&p, 13, KA_LOST, "built-in definitions"));
        assert_string_equal(p.root->children[2]->words[1], "#! $_HASH"); /* followed by a quote: not a name end */
        parsed_clear(&p);
}

static void test_split(void **state) {
        _cleanup_(ka_strv_freep) char **a = NULL, **b = NULL, **c = NULL;
        char **bad = NULL;

        (void) state;
        assert_int_equal(ka_split("  /bin/x  'a b' \"c\\\"d\" e\\ f \\x41\\101\\t ", true, &a), 0);
        assert_int_equal(ka_strv_length(a), 5);
        assert_string_equal(a[0], "/bin/x");
        assert_string_equal(a[1], "a b");
        assert_string_equal(a[2], "c\"d");
        assert_string_equal(a[3], "e f");
        assert_string_equal(a[4], "AA\t");
        assert_int_equal(ka_split("script \"x \\t y\" user", false, &b), 0);
        assert_int_equal(ka_strv_length(b), 3);
        assert_string_equal(b[1], "x \\t y");
        assert_int_equal(ka_split("", true, &c), 0);
        assert_null(c[0]);
        assert_int_equal(ka_split("a 'b", true, &bad), -EINVAL);
        assert_int_equal(ka_split("a \\", true, &bad), -EINVAL);
        assert_null(bad);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_blocks_and_comments),
                cmocka_unit_test(test_config_id),
                cmocka_unit_test(test_broken),
                cmocka_unit_test(test_include_line),
                cmocka_unit_test(test_deep),
                cmocka_unit_test(test_definitions),
                cmocka_unit_test(test_split),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
