/* Portable add-compare-select kernel: the reference the SIMD kernels must match. */
#include "plc_viterbi_kernels.h"

static inline int clamp_llr(int8_t x)
{
    return x == -128 ? -127 : x;
}

void plc_viterbi_acs_portable(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                              uint64_t *dec)
{
    int32_t m[64], nm[64];
    m[0] = 0;
    for (int k = 1; k < 64; k++)
        m[k] = -PLC_VITERBI_START_PENALTY;

    for (size_t t = 0; t < nsteps; t++) {
        const int l0 = clamp_llr(llr[2 * t]), l1 = clamp_llr(llr[2 * t + 1]);
        uint64_t d = 0;
        for (int k = 0; k < 32; k++) {
            /* Correlation metric of the branch from state k with input 0; the other three
             * branches of the butterfly carry +/- the same value. */
            const int32_t bm = (s->first[k] ? -l0 : l0) + (s->second[k] ? -l1 : l1);
            const int32_t a = m[k] + bm, b = m[k + 32] - bm;
            const int32_t c = m[k] - bm, e = m[k + 32] + bm;
            nm[2 * k] = b > a ? b : a;
            nm[2 * k + 1] = e > c ? e : c;
            d |= (uint64_t)(b > a) << (2 * k);
            d |= (uint64_t)(e > c) << (2 * k + 1);
        }
        dec[t] = d;
        const int32_t norm = (t + 1) % PLC_VITERBI_RENORM == 0 ? nm[0] : 0;
        for (int k = 0; k < 64; k++)
            m[k] = nm[k] - norm;
    }
}
