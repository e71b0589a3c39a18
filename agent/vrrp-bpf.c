#include "vrrp-bpf.h"

#include <sys/socket.h>

#include "vrrp-packet.h"

#define PASS 0xffffffffu  /* the whole datagram */
#define DROP 0u

static size_t emit(struct sock_filter *prog, size_t n, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
        prog[n] = (struct sock_filter) { .code = code, .jt = jt, .jf = jf, .k = k };
        return n + 1;
}

/* A = the VRRP header's byte `off`, from its start: in X (IPv4, after the
 * IP header) or at 0 (IPv6). */
static size_t load_vrrp_byte(struct sock_filter *prog, size_t n, int family, uint32_t off) {
        if (family == AF_INET)
                return emit(prog, n, BPF_LD | BPF_B | BPF_IND, 0, 0, off);
        return emit(prog, n, BPF_LD | BPF_B | BPF_ABS, 0, 0, off);
}

size_t vrrp_bpf_build(int family, const bool vrids[256], struct sock_filter *prog) {
        const uint8_t v3 = 3 << 4 | VRRP_TYPE_ADVERTISEMENT, v2 = 2 << 4 | VRRP_TYPE_ADVERTISEMENT;
        size_t n = 0;

        /* Every failed check jumps over one instruction at most, to a drop
         * right behind it: jump offsets stay short whatever the length. */
        if (family == AF_INET) {
                n = emit(prog, n, BPF_LD | BPF_B | BPF_ABS, 0, 0, 8);          /* TTL */
                n = emit(prog, n, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, VRRP_TTL);
                n = emit(prog, n, BPF_RET | BPF_K, 0, 0, DROP);
                n = emit(prog, n, BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);          /* X = IP header length */
        }
        n = load_vrrp_byte(prog, n, family, 0);                                 /* version, type */
        if (family == AF_INET) {
                n = emit(prog, n, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, v3);
                n = emit(prog, n, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, v2);
        } else
                n = emit(prog, n, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, v3);
        n = emit(prog, n, BPF_RET | BPF_K, 0, 0, DROP);
        n = load_vrrp_byte(prog, n, family, 1);                                 /* VRID */

        for (unsigned lo = 1; lo < 256; lo++) {
                unsigned hi = lo;

                if (!vrids[lo])
                        continue;
                while (hi < 255 && vrids[hi + 1])
                        hi++;
                /* lo <= A <= hi: pass; else on to the next run. */
                n = emit(prog, n, BPF_JMP | BPF_JGE | BPF_K, 0, 2, lo);
                n = emit(prog, n, BPF_JMP | BPF_JGT | BPF_K, 1, 0, hi);
                n = emit(prog, n, BPF_RET | BPF_K, 0, 0, PASS);
                lo = hi;
        }
        return emit(prog, n, BPF_RET | BPF_K, 0, 0, DROP);
}
