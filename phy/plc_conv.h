/* K=7 rate-1/2 convolutional encoder, generators 133 and 171 (octal), as in G3-PLC,
 * IEEE 1901.2 and IEEE 802.11. The register starts at zero and every block is
 * terminated with 6 zero tail bits, so nbits input bits give 2*(nbits+6) output bits.
 * Output order per input bit follows PLC_PHY_CONV_133_FIRST. */
#ifndef PLC_CONV_H
#define PLC_CONV_H

#include <stddef.h>
#include <stdint.h>

#define PLC_CONV_K 7
#define PLC_CONV_TAIL 6
#define PLC_CONV_G0 0133 /* octal; MSB is the current input bit */
#define PLC_CONV_G1 0171

/* Parity of the low 7 bits: one generator output for a register value. */
static inline unsigned plc_conv_parity7(unsigned x)
{
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return x & 1u;
}

/* Number of coded bits for nbits data bits (tail included). */
static inline size_t plc_conv_coded_len(size_t nbits)
{
    return 2 * (nbits + PLC_CONV_TAIL);
}

/* bits: nbits data bits (0/1); out: plc_conv_coded_len(nbits) coded bits. */
void plc_conv_encode(const uint8_t *bits, size_t nbits, uint8_t *out);

#endif
