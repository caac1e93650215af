/* Repetition code (ROBO payload x4, frame control header x6). Copy c of bit k is placed
 * at c*len + k (PLC_PHY_REPEAT_WHOLE_BLOCK); the interleaver spreads the copies. The
 * receiver adds the soft values of all copies (maximum-ratio combining for equal-noise
 * copies) and saturates the sum to the int8 LLR range. */
#ifndef PLC_REPETITION_H
#define PLC_REPETITION_H

#include <stddef.h>
#include <stdint.h>

void plc_repeat_bits(const uint8_t *in, size_t len, unsigned copies, uint8_t *out);
void plc_repeat_combine(const int8_t *in, size_t len, unsigned copies, int8_t *out);

#endif
