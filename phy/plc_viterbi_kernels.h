/* Internal: the add-compare-select kernels shared by plc_viterbi.c. Both kernels walk the
 * 64-state trellis of the K=7 code with the newest input bit in the state's LSB, so
 * states k and k+32 feed states 2k and 2k+1. For each step they store a 64-bit word whose
 * bit s is 1 when new state s came from its upper predecessor (s>>1)+32. */
#ifndef PLC_VITERBI_KERNELS_H
#define PLC_VITERBI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Per-butterfly output signs: -1 when the expected coded bit is 1 for the transition
 * from state k with input 0, else 0. Filled by plc_viterbi_branch_signs(). */
typedef struct plc_viterbi_signs {
    int16_t first[32];
    int16_t second[32];
} plc_viterbi_signs;

void plc_viterbi_branch_signs(plc_viterbi_signs *s);

/* Metrics are renormalised (state 0 subtracted) every PLC_VITERBI_RENORM steps; with
 * |branch metric| <= 254 this keeps 16-bit metrics far from overflow. */
#define PLC_VITERBI_RENORM 8
#define PLC_VITERBI_START_PENALTY 4096

void plc_viterbi_acs_portable(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                              uint64_t *dec);
#if defined(PLC_HAVE_SSE2)
void plc_viterbi_acs_sse2(const plc_viterbi_signs *s, const int8_t *llr, size_t nsteps,
                          uint64_t *dec);
#endif

#endif
