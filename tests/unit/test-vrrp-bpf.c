/* Unit tests: the kernel-side filter of the raw VRRP sockets (vrrp-bpf.c).
 * Each program is run by the kernel itself: attached to one end of a Unix
 * datagram socket pair (where, as on a raw IPv4 socket, the filter sees the
 * datagram from its first byte), crafted packets are sent through it and
 * the test sees which arrive. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vrrp/vrrp-bpf.h"
#include "vrrp/vrrp-packet.h"

typedef struct Filter {
        int fd[2];
} Filter;

static Filter attach_ttl(int family, const uint8_t versions[256], uint8_t min_ttl) {
        struct sock_filter prog[VRRP_BPF_MAX_INSNS];
        struct sock_fprog fprog = { .filter = prog };
        Filter f;
        size_t n = vrrp_bpf_build(family, versions, min_ttl, prog);

        assert_true(n > 0 && n <= VRRP_BPF_MAX_INSNS);
        fprog.len = (unsigned short) n;
        assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, f.fd), 0);
        assert_int_equal(setsockopt(f.fd[1], SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)), 0);
        return f;
}

static Filter attach(int family, const uint8_t versions[256]) {
        return attach_ttl(family, versions, 0);
}

static void detach(Filter *f) {
        close(f->fd[0]);
        close(f->fd[1]);
}

/* Whether `buf` gets through the filter, whole. */
static bool passes(const Filter *f, const uint8_t *buf, size_t len) {
        uint8_t got[128];
        ssize_t n;

        assert_int_equal(send(f->fd[0], buf, len, 0), (ssize_t) len);
        n = recv(f->fd[1], got, sizeof(got), MSG_DONTWAIT);
        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return false;
        }
        assert_int_equal(n, (ssize_t) len);
        assert_memory_equal(got, buf, len);
        return true;
}

/* How many of `count` sends of `buf` get through. */
static unsigned passed_of(const Filter *f, const uint8_t *buf, size_t len, unsigned count) {
        unsigned n = 0;

        for (unsigned k = 0; k < count; k++)
                n += passes(f, buf, len);
        return n;
}

#define SAMPLE_SENDS 2000

/* `buf` is passed as a sample, one in VRRP_BPF_MISMATCH_SAMPLE at random:
 * of SAMPLE_SENDS, Binomial(2000, 1/16), mean 125 and standard deviation
 * 10.8, between half and twice the mean. */
static void assert_sampled(const Filter *f, const uint8_t *buf, size_t len, const char *what) {
        const unsigned expect = SAMPLE_SENDS / VRRP_BPF_MISMATCH_SAMPLE;
        unsigned n = passed_of(f, buf, len, SAMPLE_SENDS);

        if (n < expect / 2 || n > expect * 2)
                fail_msg("%s: %u of %u passed, about %u expected", what, n, SAMPLE_SENDS, expect);
}

/* The VRRP message of a well-formed advert at `p` with `naddr` addresses
 * (IPv4 when al is 4, IPv6 when 16); the version from version_type;
 * returns its length. Checksums do not matter here. */
static size_t vrrp(uint8_t *p, uint8_t version_type, uint8_t vrid, uint8_t naddr, size_t al) {
        bool v2 = version_type >> 4 == 2;
        size_t len = VRRP_HEADER_LEN + naddr * al + (v2 ? VRRP_AUTH_DATA_LEN : 0);

        memset(p, 0, len);
        p[0] = version_type;
        p[1] = vrid;
        p[2] = 100;
        p[3] = naddr;
        if (v2)
                p[5] = 1;               /* interval 1 s */
        else
                p[5] = 100;             /* 100 cs */
        return len;
}

/* An IPv4 datagram: a header with `options` 4-byte words of options, then
 * a VRRP message with one address. */
static size_t ipv4(uint8_t *buf, uint8_t ttl, uint8_t version_type, uint8_t vrid, size_t options) {
        size_t ihl = 20 + 4 * options, len;

        memset(buf, 0, ihl);
        buf[0] = (uint8_t) (0x40 | (ihl / 4));
        buf[8] = ttl;
        buf[9] = VRRP_IPPROTO;
        memset(buf + 20, 0x01, 4 * options);    /* NOPs; a VRID-looking byte among them */
        if (options)
                buf[21] = vrid;
        len = ihl + vrrp(buf + ihl, version_type, vrid, 1, 4);
        buf[3] = (uint8_t) len;
        return len;
}

/* An IPv6 raw socket's datagram: the VRRP message alone, one address. */
static size_t ipv6(uint8_t *buf, uint8_t version_type, uint8_t vrid) {
        return vrrp(buf, version_type, vrid, 1, 16);
}

static void set_of(uint8_t versions[256], const int *list, size_t n, uint8_t mask) {
        memset(versions, 0, 256);
        for (size_t k = 0; k < n; k++)
                versions[list[k]] = mask;
}

static const uint8_t V2 = VRRP_BPF_VERSION(2), V3 = VRRP_BPF_VERSION(3);

static void test_ipv4_header_checks(void **state) {
        uint8_t versions[256], buf[64];
        Filter f;

        (void) state;
        set_of(versions, (int[]) { 51 }, 1, V2 | V3);
        f = attach(AF_INET, versions);
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x31, 51, 0)));
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x21, 51, 0)));     /* v2 (keepalived) */
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x31, 51, 2)));     /* IP options */
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x21, 51, 2)));
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x41, 51, 0)));    /* version 4 */
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x11, 51, 0)));
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x32, 51, 0)));    /* type 2 */
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x30, 51, 0)));
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x31, 52, 0)));    /* another VRID */
        assert_false(passes(&f, buf, ipv4(buf, 255, 0x31, 52, 2)));    /* not fooled by options */
        /* Cut before the VRRP header: a load past the end drops. */
        assert_false(passes(&f, buf, 21));
        assert_false(passes(&f, buf, 5));
        detach(&f);
}

/* The length must be what the address count announces; the interval must
 * not be 0 (version 3: its 12 bits; version 2: its byte). */
static void test_ipv4_length_and_interval(void **state) {
        uint8_t versions[256], buf[64];
        size_t len;
        Filter f;

        (void) state;
        set_of(versions, (int[]) { 51 }, 1, V2 | V3);
        f = attach(AF_INET, versions);

        len = ipv4(buf, 255, 0x31, 51, 0);
        buf[23] = 2;                                    /* two addresses announced, one sent */
        assert_false(passes(&f, buf, len));
        buf[23] = 0;
        assert_false(passes(&f, buf, len));
        assert_true(passes(&f, buf, len - 4));          /* none announced, none sent */
        buf[23] = 1;
        assert_false(passes(&f, buf, len + 4));         /* a trailing byte more */
        buf[3] = (uint8_t) (len + 4);
        assert_false(passes(&f, buf, len + 4));

        len = ipv4(buf, 255, 0x31, 51, 0);
        buf[25] = 0;                                    /* interval 0 */
        assert_false(passes(&f, buf, len));
        buf[24] = 0xf0;                                 /* reserved bits set, interval still 0 */
        assert_false(passes(&f, buf, len));
        buf[24] = 0xf1;                                 /* 2.56 s */
        assert_true(passes(&f, buf, len));
        buf[24] = 0;
        buf[25] = 1;                                    /* 10 ms */
        assert_true(passes(&f, buf, len));

        len = ipv4(buf, 255, 0x21, 51, 0);
        assert_int_equal(len, 20 + 8 + 4 + 8);
        assert_false(passes(&f, buf, len - 8));         /* no authentication data */
        buf[25] = 0;                                    /* interval 0 s */
        assert_false(passes(&f, buf, len));
        buf[25] = 255;
        assert_true(passes(&f, buf, len));
        detach(&f);
}

static void test_ipv6_header_checks(void **state) {
        uint8_t versions[256], buf[64];
        Filter f;

        (void) state;
        set_of(versions, (int[]) { 51 }, 1, V2 | V3);
        f = attach(AF_INET6, versions);
        assert_true(passes(&f, buf, ipv6(buf, 0x31, 51)));
        assert_false(passes(&f, buf, ipv6(buf, 0x21, 51)));    /* no v2 over IPv6 */
        assert_false(passes(&f, buf, ipv6(buf, 0x32, 51)));
        assert_false(passes(&f, buf, ipv6(buf, 0x31, 50)));
        assert_false(passes(&f, buf, ipv6(buf, 0x31, 0)));
        assert_false(passes(&f, buf, ipv6(buf, 0x31, 51) - 16));       /* count 1, no address */
        ipv6(buf, 0x31, 51);
        buf[5] = 0;
        assert_false(passes(&f, buf, 24));                             /* interval 0 */
        assert_false(passes(&f, buf, 1));
        detach(&f);
}

/* A VRID configured in one version: the other is passed as a sample (one
 * in VRRP_BPF_MISMATCH_SAMPLE, at random), so a misconfigured peer still
 * shows and a flood of them costs a fraction. */
static void test_version_per_vrid(void **state) {
        uint8_t versions[256] = {}, buf[64];
        Filter f;

        (void) state;
        versions[51] = V3;
        versions[52] = V2;
        versions[53] = V2 | V3;
        f = attach(AF_INET, versions);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x31, 51, 0), 100), 100);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x21, 52, 0), 100), 100);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x31, 53, 0), 100), 100);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x21, 53, 0), 100), 100);
        assert_sampled(&f, buf, ipv4(buf, 255, 0x21, 51, 0), "v2 for a v3 VRID");
        assert_sampled(&f, buf, ipv4(buf, 255, 0x31, 52, 0), "v3 for a v2 VRID");
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x31, 54, 0), 100), 0);
        detach(&f);
}

/* A TTL below the socket's minimum (255 unless an instance accepts peers
 * across a router) is passed as a sample, for a configured VRID only: a
 * pair across a router without unicast_min_ttl shows as bad_ttl. */
static void test_ttl(void **state) {
        uint8_t versions[256] = {}, buf[64];
        Filter f;

        (void) state;
        versions[51] = V3;
        f = attach(AF_INET, versions);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x31, 51, 0), 100), 100);
        assert_sampled(&f, buf, ipv4(buf, 1, 0x31, 51, 0), "TTL 1");
        assert_sampled(&f, buf, ipv4(buf, 254, 0x31, 51, 0), "TTL 254");
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 254, 0x31, 52, 0), 200), 0);   /* another VRID */
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 254, 0x41, 51, 0), 200), 0);   /* version 4 */
        detach(&f);

        f = attach_ttl(AF_INET, versions, 63);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 63, 0x31, 51, 0), 100), 100);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 200, 0x31, 51, 0), 100), 100);
        assert_int_equal(passed_of(&f, buf, ipv4(buf, 255, 0x31, 51, 0), 100), 100);
        assert_sampled(&f, buf, ipv4(buf, 62, 0x31, 51, 0), "TTL 62 under 63");
        detach(&f);
}

/* Exactly the VRIDs of the set pass, for sets of every shape: runs of
 * consecutive VRIDs, the ends of the range, the longest program. */
static void check_exact(int family, const uint8_t versions[256]) {
        uint8_t buf[64];
        Filter f = attach(family, versions);

        for (int v = 0; v < 256; v++) {
                bool want = v > 0 && versions[v] & V3;
                size_t len = family == AF_INET ? ipv4(buf, 255, 0x31, (uint8_t) v, 0)
                                               : ipv6(buf, 0x31, (uint8_t) v);

                if (passes(&f, buf, len) != want)
                        fail_msg("family %d: VRID %d %s", family, v, want ? "dropped" : "passed");
                if (family == AF_INET && versions[v] & V2 && v > 0 &&
                    !passes(&f, buf, ipv4(buf, 255, 0x21, (uint8_t) v, 0)))
                        fail_msg("VRID %d: v2 dropped", v);
        }
        detach(&f);
}

static void test_vrid_sets(void **state) {
        uint8_t versions[256];

        (void) state;
        set_of(versions, (int[]) { 1, 2, 3, 10, 254, 255 }, 6, V3);
        check_exact(AF_INET, versions);
        check_exact(AF_INET6, versions);
        set_of(versions, NULL, 0, 0);
        check_exact(AF_INET, versions);         /* nothing configured: nothing passes */
        memset(versions, V2 | V3, 256);         /* versions[0] is ignored */
        check_exact(AF_INET, versions);
        check_exact(AF_INET6, versions);
        for (int v = 0; v < 256; v++)
                versions[v] = v % 2 == 1 ? V3 : 0;     /* 128 runs */
        check_exact(AF_INET, versions);
        check_exact(AF_INET6, versions);
        for (int v = 0; v < 256; v++)
                versions[v] = v % 2 == 1 ? V3 : V2 | V3;      /* 255 runs: the longest program */
        check_exact(AF_INET, versions);
}

static void test_program_length(void **state) {
        struct sock_filter prog[VRRP_BPF_MAX_INSNS];
        uint8_t versions[256];

        (void) state;
        for (int v = 0; v < 256; v++)
                versions[v] = v % 2 == 1 ? V3 : V2;
        assert_int_equal(vrrp_bpf_build(AF_INET, versions, 0, prog), VRRP_BPF_MAX_INSNS);
        assert_true(VRRP_BPF_MAX_INSNS <= BPF_MAXINSNS);
        set_of(versions, (int[]) { 51, 52, 53 }, 3, V3);
        assert_int_equal(vrrp_bpf_build(AF_INET, versions, 0, prog), 33 + 10 + 1);
        set_of(versions, (int[]) { 51, 52, 53 }, 3, V2 | V3);
        assert_int_equal(vrrp_bpf_build(AF_INET, versions, 0, prog), 33 + 3 + 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipv4_header_checks),
                cmocka_unit_test(test_ipv4_length_and_interval),
                cmocka_unit_test(test_version_per_vrid),
                cmocka_unit_test(test_ttl),
                cmocka_unit_test(test_ipv6_header_checks),
                cmocka_unit_test(test_vrid_sets),
                cmocka_unit_test(test_program_length),
        };
        return cmocka_run_group_tests_name("vrrp-bpf", tests, NULL, NULL);
}
