/* SSE2 add-compare-select kernel: eight 16-bit state metrics per register. Same
 * arithmetic, tie rule and renormalisation schedule as plc_viterbi_portable.c. */
#include "plc_viterbi_kernels.h"

#include <emmintrin.h>

void plc_viterbi_acs_sse2(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                          uint64_t *dec)
{
    __m128i m[8], sa[4], sb[4];
    for (int g = 0; g < 4; g++) {
        sa[g] = _mm_loadu_si128((const __m128i *)&s->first[8 * g]);
        sb[g] = _mm_loadu_si128((const __m128i *)&s->second[8 * g]);
    }
    m[0] = _mm_set_epi16(-PLC_VITERBI_START_PENALTY, -PLC_VITERBI_START_PENALTY,
                         -PLC_VITERBI_START_PENALTY, -PLC_VITERBI_START_PENALTY,
                         -PLC_VITERBI_START_PENALTY, -PLC_VITERBI_START_PENALTY,
                         -PLC_VITERBI_START_PENALTY, 0);
    for (int g = 1; g < 8; g++)
        m[g] = _mm_set1_epi16(-PLC_VITERBI_START_PENALTY);

    for (size_t t = 0; t < nsteps; t++) {
        int8_t r0 = llr[2 * t], r1 = llr[2 * t + 1];
        const __m128i l0 = _mm_set1_epi16(r0 == -128 ? -127 : r0);
        const __m128i l1 = _mm_set1_epi16(r1 == -128 ? -127 : r1);
        __m128i nm[8];
        uint64_t d = 0;
        for (int g = 0; g < 4; g++) {
            /* (x ^ s) - s negates x where s = -1 */
            __m128i bm = _mm_add_epi16(_mm_sub_epi16(_mm_xor_si128(l0, sa[g]), sa[g]),
                                       _mm_sub_epi16(_mm_xor_si128(l1, sb[g]), sb[g]));
            __m128i lo = m[g], hi = m[g + 4];
            __m128i a = _mm_add_epi16(lo, bm), b = _mm_sub_epi16(hi, bm);
            __m128i c = _mm_sub_epi16(lo, bm), e = _mm_add_epi16(hi, bm);
            __m128i n0 = _mm_max_epi16(a, b), d0 = _mm_cmpgt_epi16(b, a);
            __m128i n1 = _mm_max_epi16(c, e), d1 = _mm_cmpgt_epi16(e, c);
            nm[2 * g] = _mm_unpacklo_epi16(n0, n1);
            nm[2 * g + 1] = _mm_unpackhi_epi16(n0, n1);
            __m128i dd = _mm_packs_epi16(_mm_unpacklo_epi16(d0, d1), _mm_unpackhi_epi16(d0, d1));
            d |= (uint64_t)(uint16_t)_mm_movemask_epi8(dd) << (16 * g);
        }
        dec[t] = d;
        if ((t + 1) % PLC_VITERBI_RENORM == 0) {
            __m128i norm = _mm_set1_epi16((int16_t)_mm_extract_epi16(nm[0], 0));
            for (int g = 0; g < 8; g++)
                m[g] = _mm_sub_epi16(nm[g], norm);
        } else {
            for (int g = 0; g < 8; g++)
                m[g] = nm[g];
        }
    }
}
