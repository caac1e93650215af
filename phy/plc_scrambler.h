/* Additive scrambler x^7 + x^4 + 1 (G3-PLC, IEEE 1901.2, IEEE 802.11).
 * The state is 7 bits written x1..x7 from bit 6 down to bit 0, so the seed 0x5D is the
 * state "1011101" as IEEE 802.11 Annex G lists it. Each step outputs x7 XOR x4, shifts
 * the register one place towards x7 and feeds the output into x1. Scrambling and
 * descrambling are the same operation. */
#ifndef PLC_SCRAMBLER_H
#define PLC_SCRAMBLER_H

#include <stddef.h>
#include <stdint.h>

typedef struct plc_scrambler {
    uint8_t state;
} plc_scrambler;

/* seed: 7-bit initial state, must not be 0 (the all-zero state never leaves zero). */
void plc_scrambler_init(plc_scrambler *s, uint8_t seed);

/* XORs the scrambling sequence onto a bit array in place. */
void plc_scrambler_bits(plc_scrambler *s, uint8_t *bits, size_t nbits);

/* XORs the sequence onto bytes in place, each byte taken in the PHY's bit order
 * (PLC_PHY_BYTES_MSB_FIRST). */
void plc_scrambler_bytes(plc_scrambler *s, uint8_t *bytes, size_t len);

#endif
