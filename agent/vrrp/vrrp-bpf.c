#include "vrrp/vrrp-bpf.h"

#include <stdbool.h>
#include <sys/socket.h>

#include "vrrp/vrrp-packet.h"

#define PASS 0xffffffffu  /* the whole datagram */
#define DROP 0u

typedef struct Program {
        struct sock_filter *insns;
        size_t n;
        int family;
} Program;

/* The versions of VRID v this family can carry. */
static uint8_t versions_of(const Program *p, const uint8_t versions[256], unsigned v) {
        return versions[v] & (p->family == AF_INET ? VRRP_BPF_VERSION(2) | VRRP_BPF_VERSION(3)
                                                   : VRRP_BPF_VERSION(3));
}

static size_t emit(Program *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
        p->insns[p->n] = (struct sock_filter) { .code = code, .jt = jt, .jf = jf, .k = k };
        return p->n++;
}

/* A = the VRRP header's field of `size` (BPF_B, BPF_H) at `off`, from its
 * start: in X (IPv4, after the IP header) or at 0 (IPv6). */
static void load_vrrp(Program *p, uint16_t size, uint32_t off) {
        emit(p, BPF_LD | size | (p->family == AF_INET ? BPF_IND : BPF_ABS), 0, 0, off);
}

/* Drops unless A == k. */
static void require(Program *p, uint32_t k) {
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, k);
        emit(p, BPF_RET | BPF_K, 0, 0, DROP);
}

/* Drops if A == 0. */
static void require_nonzero(Program *p) {
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
        emit(p, BPF_RET | BPF_K, 0, 0, DROP);
}

/* A = the length the address count announces: header, addresses, and the
 * version 2 authentication data. */
static void expected_length(Program *p, int version) {
        load_vrrp(p, BPF_B, 3);
        emit(p, BPF_ALU | BPF_LSH | BPF_K, 0, 0, p->family == AF_INET ? 2 : 4);
        emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0,
             VRRP_HEADER_LEN + (version == 2 ? VRRP_AUTH_DATA_LEN : 0));
}

/* A run of VRIDs [lo, hi] that share the versions `mask`: pass what is in
 * it in one of them, a sample of what is in it in the other; else on to
 * the next run. M[0] holds the version/type byte; A the VRID. */
static void vrid_run(Program *p, unsigned lo, unsigned hi, uint8_t mask) {
        const uint8_t want = mask & VRRP_BPF_VERSION(3) ? 3 << 4 | VRRP_TYPE_ADVERTISEMENT
                                                         : 2 << 4 | VRRP_TYPE_ADVERTISEMENT;
        const bool both = p->family == AF_INET && mask == (VRRP_BPF_VERSION(2) | VRRP_BPF_VERSION(3));
        const uint8_t len = both ? 1 : 8;       /* after the two range checks */

        emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, (uint8_t) (len + 1), lo);
        emit(p, BPF_JMP | BPF_JGT | BPF_K, len, 0, hi);
        if (both) {
                emit(p, BPF_RET | BPF_K, 0, 0, PASS);
                return;
        }
        emit(p, BPF_LD | BPF_MEM, 0, 0, 0);
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, want);
        emit(p, BPF_RET | BPF_K, 0, 0, PASS);
        emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t) (SKF_AD_OFF + SKF_AD_RANDOM));
        emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, VRRP_BPF_MISMATCH_SAMPLE - 1);
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
        emit(p, BPF_RET | BPF_K, 0, 0, PASS);
        emit(p, BPF_RET | BPF_K, 0, 0, DROP);
}

/* Passes a TTL of at least min_ttl; a lower one, a sample. */
static void ttl_check(Program *p, uint8_t min_ttl) {
        emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, 8);
        emit(p, BPF_JMP | BPF_JGE | BPF_K, 4, 0, min_ttl ? min_ttl : VRRP_TTL);
        emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t) (SKF_AD_OFF + SKF_AD_RANDOM));
        emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, VRRP_BPF_MISMATCH_SAMPLE - 1);
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
        emit(p, BPF_RET | BPF_K, 0, 0, DROP);
}

size_t vrrp_bpf_build(int family, const uint8_t versions[256], uint8_t min_ttl, struct sock_filter *insns) {
        const uint8_t v3 = 3 << 4 | VRRP_TYPE_ADVERTISEMENT, v2 = 2 << 4 | VRRP_TYPE_ADVERTISEMENT;
        Program p = { .insns = insns, .family = family };
        size_t to_v3 = 0, v2_done = 0;

        /* Failed checks jump to a drop right behind them: jump offsets stay
         * short whatever the length of the program. */
        if (family == AF_INET) {
                ttl_check(&p, min_ttl);
                emit(&p, BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);                  /* X = IP header length */
        }
        load_vrrp(&p, BPF_B, 0);                                                /* version, type */
        emit(&p, BPF_ST, 0, 0, 0);
        if (family == AF_INET) {
                to_v3 = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, v3);
                require(&p, v2);
                load_vrrp(&p, BPF_B, 5);                                        /* interval (s) */
                require_nonzero(&p);
                expected_length(&p, 2);
                v2_done = emit(&p, BPF_JMP | BPF_JA, 0, 0, 0);
                p.insns[to_v3].jt = (uint8_t) (p.n - to_v3 - 1);
        } else
                require(&p, v3);
        load_vrrp(&p, BPF_H, 4);                                                /* interval (cs) */
        emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, 0x0fff);
        require_nonzero(&p);
        expected_length(&p, 3);
        if (family == AF_INET) {
                p.insns[v2_done].k = (uint32_t) (p.n - v2_done - 1);
                /* The datagram's length is the IP header's and the VRRP
                 * message's; X is free until it is reloaded below. */
                emit(&p, BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0);
        }
        emit(&p, BPF_MISC | BPF_TAX, 0, 0, 0);
        emit(&p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
        emit(&p, BPF_JMP | BPF_JEQ | BPF_X, 1, 0, 0);
        emit(&p, BPF_RET | BPF_K, 0, 0, DROP);
        if (family == AF_INET)
                emit(&p, BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);
        load_vrrp(&p, BPF_B, 1);                                                /* VRID */

        for (unsigned lo = 1; lo < 256; lo++) {
                uint8_t mask = versions_of(&p, versions, lo);
                unsigned hi = lo;

                if (!mask)
                        continue;
                while (hi < 255 && versions_of(&p, versions, hi + 1) == mask)
                        hi++;
                vrid_run(&p, lo, hi, mask);
                lo = hi;
        }
        emit(&p, BPF_RET | BPF_K, 0, 0, DROP);
        return p.n;
}
