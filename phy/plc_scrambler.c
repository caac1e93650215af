#include "plc_scrambler.h"

#include "plc_phy_conventions.h"

void plc_scrambler_init(plc_scrambler *s, uint8_t seed)
{
    s->state = seed & 0x7Fu;
}

static inline unsigned scrambler_step(plc_scrambler *s)
{
    unsigned out = (s->state ^ (s->state >> 3)) & 1u; /* x7 ^ x4 */
    s->state = (uint8_t)((s->state >> 1) | (out << 6));
    return out;
}

void plc_scrambler_bits(plc_scrambler *s, uint8_t *bits, size_t nbits)
{
    for (size_t k = 0; k < nbits; k++)
        bits[k] ^= (uint8_t)scrambler_step(s);
}

void plc_scrambler_bytes(plc_scrambler *s, uint8_t *bytes, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        uint8_t mask = 0;
        for (unsigned b = 0; b < 8; b++) {
            unsigned pos = PLC_PHY_BYTES_MSB_FIRST ? 7 - b : b;
            mask |= (uint8_t)(scrambler_step(s) << pos);
        }
        bytes[k] ^= mask;
    }
}
