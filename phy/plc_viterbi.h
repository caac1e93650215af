/* Viterbi decoder for the K=7 rate-1/2 code of plc_conv.h (tail-terminated blocks).
 *
 * Soft input is one signed 8-bit LLR per coded bit, in transmit order:
 * positive favours 0, negative favours 1, 0 means no information (erasure, a carrier
 * switched off, a pad). -128 is treated as -127. The float variant quantises
 * round(llr * scale) with saturation to +/-127; hard input maps 0 -> +1, 1 -> -1.
 *
 * Two kernels compute exactly the same thing (16-bit path metrics, ties resolved to the
 * lower predecessor state): portable C, which firmware builds use, and an SSE2 kernel on
 * x86-64. Tests check they give identical output. The decision memory is allocated at
 * create time for max_bits data bits; no allocation afterwards. */
#ifndef PLC_VITERBI_H
#define PLC_VITERBI_H

#include <stddef.h>
#include <stdint.h>

typedef enum plc_viterbi_kernel {
    PLC_VITERBI_AUTO = 0, /* fastest kernel this build and CPU offer */
    PLC_VITERBI_PORTABLE,
    PLC_VITERBI_SSE2,
} plc_viterbi_kernel;

typedef struct plc_viterbi plc_viterbi;

/* max_bits: largest number of data bits (tail excluded) one call will decode. */
plc_viterbi *plc_viterbi_create(size_t max_bits);
void plc_viterbi_destroy(plc_viterbi *v);

/* Selects a kernel; PLC_ERR_UNSUPPORTED if this build or CPU lacks it. */
int plc_viterbi_set_kernel(plc_viterbi *v, plc_viterbi_kernel kernel);
plc_viterbi_kernel plc_viterbi_get_kernel(const plc_viterbi *v);

/* llr: 2*(nbits+6) values; out: nbits decoded bits (0/1). Returns PLC_OK or an error. */
int plc_viterbi_decode_soft(plc_viterbi *v, const int8_t *llr, size_t nbits, uint8_t *out);
int plc_viterbi_decode_float(plc_viterbi *v, const float *llr, size_t nbits, float scale,
                             uint8_t *out);
int plc_viterbi_decode_hard(plc_viterbi *v, const uint8_t *coded, size_t nbits, uint8_t *out);

#endif
