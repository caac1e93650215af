/* Portable add-compare-select kernel: the reference the SIMD kernels must match. */
#include "plc_viterbi_kernels.h"

void plc_viterbi_acs_portable(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                              uint64_t *dec)
{
    /* Each butterfly's branch metric is one of four values (+/-l0 +/-l1); sel[k] picks it. */
    uint8_t sel[32];
    for (int k = 0; k < 32; k++)
        sel[k] = (uint8_t)((s->first[k] ? 2 : 0) | (s->second[k] ? 1 : 0));
    int16_t m[64], nm[64];
    m[0] = 0;
    for (int k = 1; k < 64; k++)
        m[k] = -PLC_VITERBI_START_PENALTY;

    for (size_t t = 0; t < nsteps; t++) {
        const int l0 = llr[2 * t] == -128 ? -127 : llr[2 * t];
        const int l1 = llr[2 * t + 1] == -128 ? -127 : llr[2 * t + 1];
        const int16_t bmv[4] = {(int16_t)(l0 + l1), (int16_t)(l0 - l1), (int16_t)(-l0 + l1),
                                (int16_t)(-l0 - l1)};
        uint32_t d_lo = 0, d_hi = 0;
        for (int k = 0; k < 32; k++) {
            const int16_t bm = bmv[sel[k]];
            const int16_t a = (int16_t)(m[k] + bm), b = (int16_t)(m[k + 32] - bm);
            const int16_t c = (int16_t)(m[k] - bm), e = (int16_t)(m[k + 32] + bm);
            const uint32_t da = b > a, de = e > c;
            nm[2 * k] = da ? b : a;
            nm[2 * k + 1] = de ? e : c;
            const uint32_t pair = da | (de << 1);
            if (k < 16)
                d_lo |= pair << (2 * k);
            else
                d_hi |= pair << (2 * (k - 16));
        }
        dec[t] = (uint64_t)d_hi << 32 | d_lo;
        const int16_t norm = (t + 1) % PLC_VITERBI_RENORM == 0 ? nm[0] : 0;
        for (int k = 0; k < 64; k++)
            m[k] = (int16_t)(nm[k] - norm);
    }
}
