/* Portable add-compare-select kernel: the reference the SIMD kernels must match, and the
 * kernel firmware builds use.
 *
 * SIMD within a register, in plain C: the 64 path metrics live as four 16-bit lanes in
 * each of 16 uint64_t words (state s in word s / 4, lane s % 4), so one word operation
 * does four butterflies' adds, compares and selects. For that to work without carries or
 * borrows crossing lanes, every metric is kept in 0..0x7FFF: it is offset by BIAS, the
 * branch metrics are offset to be non-negative (254 + bm and 254 - bm, which shifts every
 * new metric by the same 254 and changes no decision), and every PLC_VITERBI_RENORM steps
 * state 0's metric is subtracted again. A compare is then one subtraction: in
 * (a | 0x8000) - b the lane's top bit is set exactly when a >= b. Decisions are therefore
 * those of the plain add-compare-select (ties to the lower predecessor), bit for bit.
 * The code's polynomials are compile-time constants, so which branch metric each lane uses
 * is a constant mask. */
#include "plc_conv.h"
#include "plc_phy_conventions.h"
#include "plc_viterbi_kernels.h"

/* Parity and bit reversal of 7-bit values, as constant expressions. */
#define P7(x) ((((x) >> 0) ^ ((x) >> 1) ^ ((x) >> 2) ^ ((x) >> 3) ^ ((x) >> 4) ^ ((x) >> 5) ^ \
                ((x) >> 6)) & 1)
#define REV7(x) ((((x) & 1) << 6) | (((x) & 2) << 4) | (((x) & 4) << 2) | ((x) & 8) |          \
                 (((x) & 16) >> 2) | (((x) & 32) >> 4) | (((x) & 64) >> 6))
/* The decoder's register has the newest bit in bit 0, the encoder's in bit 6. */
#define G_FIRST REV7(PLC_PHY_CONV_133_FIRST ? PLC_CONV_G0 : PLC_CONV_G1)
#define G_SECOND REV7(PLC_PHY_CONV_133_FIRST ? PLC_CONV_G1 : PLC_CONV_G0)
/* Expected first / second coded bit of butterfly k (predecessor k, input 0). */
#define BIT1(k) P7(((k) << 1) & G_FIRST)
#define BIT2(k) P7(((k) << 1) & G_SECOND)
/* Lane masks of group w (butterflies 4w .. 4w+3): 0xFFFF where the coded bit is 0, i.e.
 * where the branch metric takes +l rather than -l. */
#define LANE(v, i) ((uint64_t)(v) << (16 * (i)))
#define MASK1(w) (LANE(BIT1(4 * (w)) ? 0 : 0xFFFF, 0) | LANE(BIT1(4 * (w) + 1) ? 0 : 0xFFFF, 1) | \
                  LANE(BIT1(4 * (w) + 2) ? 0 : 0xFFFF, 2) | LANE(BIT1(4 * (w) + 3) ? 0 : 0xFFFF, 3))
#define MASK2(w) (LANE(BIT2(4 * (w)) ? 0 : 0xFFFF, 0) | LANE(BIT2(4 * (w) + 1) ? 0 : 0xFFFF, 1) | \
                  LANE(BIT2(4 * (w) + 2) ? 0 : 0xFFFF, 2) | LANE(BIT2(4 * (w) + 3) ? 0 : 0xFFFF, 3))

#define ONES 0x0001000100010001ull /* 1 in every lane */
#define TOP 0x8000800080008000ull  /* every lane's top bit */
#define BIAS 16384 /* metrics sit around here: 0..0x7FFF holds the spread plus 8 steps */

/* Group w of one step: butterflies k = 4w..4w+3 read states k (word w) and k+32 (word
 * w+8) and write states 2k, 2k+1 (words 2w and 2w+1, interleaved); decision bits 2k, 2k+1
 * go to bits 8w .. 8w+7 of the step's word. */
#define GROUP(w)                                                                              \
    do {                                                                                      \
        const uint64_t m1 = MASK1(w), m2 = MASK2(w);                                          \
        const uint64_t x_ = ((l0 & m1) | (n0 & ~m1)) + ((l1 & m2) | (n1 & ~m2)); /* 254+bm */ \
        const uint64_t y_ = 508 * ONES - x_;                                      /* 254-bm */ \
        const uint64_t lo = m[w], hi = m[(w) + 8];                                            \
        const uint64_t a = lo + x_, b = hi + y_, c = lo + y_, e = hi + x_;                    \
        const uint64_t da = ~((a | TOP) - b) & TOP, de = ~((c | TOP) - e) & TOP;              \
        const uint64_t ev = a ^ ((a ^ b) & (da - (da >> 15)));  /* states 2k */               \
        const uint64_t od = c ^ ((c ^ e) & (de - (de >> 15)));  /* states 2k+1 */             \
        const uint64_t ev_lo = (ev & 0xFFFF) | ((ev & 0xFFFF0000) << 16);                     \
        const uint64_t od_lo = (od & 0xFFFF) | ((od & 0xFFFF0000) << 16);                     \
        const uint64_t ev_hi = ((ev >> 32) & 0xFFFF) | ((ev >> 16) & 0xFFFF00000000ull);      \
        const uint64_t od_hi = ((od >> 32) & 0xFFFF) | ((od >> 16) & 0xFFFF00000000ull);      \
        nm[2 * (w)] = ev_lo | od_lo << 16;                                                    \
        nm[2 * (w) + 1] = ev_hi | od_hi << 16;                                                \
        const uint64_t z = (da >> 15) | (de >> 14); /* lane i: bits 16i, 16i+1 */             \
        d |= ((z | z >> 14 | z >> 28 | z >> 42) & 0xFF) << (8 * (w));                         \
    } while (0)

void plc_viterbi_acs_portable(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                              uint64_t *dec)
{
    (void)s; /* the signs are compile-time constants here (tests check both kernels agree) */
    uint64_t buf[2][16];
    uint64_t *m = buf[0], *nm = buf[1];
    const uint64_t start = (BIAS - PLC_VITERBI_START_PENALTY) * ONES;
    for (int w = 0; w < 16; w++)
        m[w] = start;
    m[0] = (start & ~0xFFFFull) | BIAS; /* state 0: no penalty */

    for (size_t t = 0; t < nsteps; t++) {
        const int s0 = llr[2 * t] == -128 ? -127 : llr[2 * t];
        const int s1 = llr[2 * t + 1] == -128 ? -127 : llr[2 * t + 1];
        /* +l and -l per lane, both offset by 127 so they are 0..254 */
        const uint64_t l0 = (uint64_t)(s0 + 127) * ONES, n0 = (uint64_t)(127 - s0) * ONES;
        const uint64_t l1 = (uint64_t)(s1 + 127) * ONES, n1 = (uint64_t)(127 - s1) * ONES;
        uint64_t d = 0;
        GROUP(0); GROUP(1); GROUP(2); GROUP(3); GROUP(4); GROUP(5); GROUP(6); GROUP(7);
        dec[t] = d;
        if ((t + 1) % PLC_VITERBI_RENORM == 0) {
            /* add BIAS first, then take state 0's metric away: no lane goes below 0 */
            const uint64_t shift = (uint64_t)BIAS * ONES, norm = (nm[0] & 0xFFFF) * ONES;
            for (int w = 0; w < 16; w++)
                nm[w] = nm[w] + shift - norm;
        }
        uint64_t *swap = m;
        m = nm;
        nm = swap;
    }
}
