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

#include "vrrp-bpf.h"
#include "vrrp-packet.h"

typedef struct Filter {
        int fd[2];
} Filter;

static Filter attach(int family, const bool vrids[256]) {
        struct sock_filter prog[VRRP_BPF_MAX_INSNS];
        struct sock_fprog fprog = { .filter = prog };
        Filter f;
        size_t n = vrrp_bpf_build(family, vrids, prog);

        assert_true(n > 0 && n <= VRRP_BPF_MAX_INSNS);
        fprog.len = (unsigned short) n;
        assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, f.fd), 0);
        assert_int_equal(setsockopt(f.fd[1], SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)), 0);
        return f;
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

/* An IPv4 datagram (header with `options` 4-byte words of options, then an
 * 8-byte VRRP header and one address); checksums do not matter here. */
static size_t ipv4(uint8_t *buf, uint8_t ttl, uint8_t version_type, uint8_t vrid, size_t options) {
        size_t ihl = 20 + 4 * options, len = ihl + 12;

        memset(buf, 0, len);
        buf[0] = (uint8_t) (0x40 | (ihl / 4));
        buf[2] = 0;
        buf[3] = (uint8_t) len;
        buf[8] = ttl;
        buf[9] = VRRP_IPPROTO;
        memset(buf + 20, 0x01, 4 * options);    /* NOPs; a VRID-looking byte among them */
        if (options)
                buf[21] = vrid;
        buf[ihl] = version_type;
        buf[ihl + 1] = vrid;
        buf[ihl + 2] = 100;
        buf[ihl + 3] = 1;
        return len;
}

/* An IPv6 raw socket's datagram: the VRRP message alone. */
static size_t ipv6(uint8_t *buf, uint8_t version_type, uint8_t vrid) {
        memset(buf, 0, 24);
        buf[0] = version_type;
        buf[1] = vrid;
        buf[2] = 100;
        buf[3] = 1;
        return 24;
}

static void set_of(bool vrids[256], const int *list, size_t n) {
        memset(vrids, 0, 256 * sizeof(bool));
        for (size_t k = 0; k < n; k++)
                vrids[list[k]] = true;
}

static void test_ipv4_header_checks(void **state) {
        bool vrids[256];
        uint8_t buf[64];
        Filter f;

        (void) state;
        set_of(vrids, (int[]) { 51 }, 1);
        f = attach(AF_INET, vrids);
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x31, 51, 0)));
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x21, 51, 0)));     /* v2 (keepalived) */
        assert_true(passes(&f, buf, ipv4(buf, 255, 0x31, 51, 2)));     /* IP options */
        assert_false(passes(&f, buf, ipv4(buf, 254, 0x31, 51, 0)));    /* TTL */
        assert_false(passes(&f, buf, ipv4(buf, 1, 0x31, 51, 0)));
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

static void test_ipv6_header_checks(void **state) {
        bool vrids[256];
        uint8_t buf[64];
        Filter f;

        (void) state;
        set_of(vrids, (int[]) { 51 }, 1);
        f = attach(AF_INET6, vrids);
        assert_true(passes(&f, buf, ipv6(buf, 0x31, 51)));
        assert_false(passes(&f, buf, ipv6(buf, 0x21, 51)));    /* no v2 over IPv6 */
        assert_false(passes(&f, buf, ipv6(buf, 0x32, 51)));
        assert_false(passes(&f, buf, ipv6(buf, 0x31, 50)));
        assert_false(passes(&f, buf, ipv6(buf, 0x31, 0)));
        assert_false(passes(&f, buf, 1));
        detach(&f);
}

/* Exactly the VRIDs of the set pass, for sets of every shape: runs of
 * consecutive VRIDs, the ends of the range, the longest program. */
static void check_exact(int family, const bool vrids[256]) {
        uint8_t buf[64];
        Filter f = attach(family, vrids);

        for (int v = 0; v < 256; v++) {
                size_t len = family == AF_INET ? ipv4(buf, 255, 0x31, (uint8_t) v, 0)
                                               : ipv6(buf, 0x31, (uint8_t) v);
                if (passes(&f, buf, len) != (v > 0 && vrids[v]))
                        fail_msg("family %d: VRID %d %s", family, v, vrids[v] ? "dropped" : "passed");
        }
        detach(&f);
}

static void test_vrid_sets(void **state) {
        bool vrids[256];

        (void) state;
        set_of(vrids, (int[]) { 1, 2, 3, 10, 254, 255 }, 6);
        check_exact(AF_INET, vrids);
        check_exact(AF_INET6, vrids);
        set_of(vrids, NULL, 0);
        check_exact(AF_INET, vrids);            /* nothing configured: nothing passes */
        for (int v = 0; v < 256; v++)
                vrids[v] = true;                /* vrids[0] is ignored */
        check_exact(AF_INET, vrids);
        for (int v = 0; v < 256; v++)
                vrids[v] = v % 2 == 1;          /* 128 runs: the longest program */
        check_exact(AF_INET, vrids);
        check_exact(AF_INET6, vrids);
}

static void test_program_length(void **state) {
        struct sock_filter prog[VRRP_BPF_MAX_INSNS];
        bool vrids[256];

        (void) state;
        for (int v = 0; v < 256; v++)
                vrids[v] = v % 2 == 1;
        assert_int_equal(vrrp_bpf_build(AF_INET, vrids, prog), 9 + 3 * 128 + 1);
        assert_int_equal(vrrp_bpf_build(AF_INET6, vrids, prog), 4 + 3 * 128 + 1);
        set_of(vrids, (int[]) { 51, 52, 53 }, 3);
        assert_int_equal(vrrp_bpf_build(AF_INET, vrids, prog), 9 + 3 + 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipv4_header_checks),
                cmocka_unit_test(test_ipv6_header_checks),
                cmocka_unit_test(test_vrid_sets),
                cmocka_unit_test(test_program_length),
        };
        return cmocka_run_group_tests_name("vrrp-bpf", tests, NULL, NULL);
}
