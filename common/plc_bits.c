#include "plc_bits.h"

void plc_bits_unpack_msb(const uint8_t *bytes, size_t nbits, uint8_t *bits)
{
    for (size_t k = 0; k < nbits; k++)
        bits[k] = (uint8_t)((bytes[k >> 3] >> (7 - (k & 7))) & 1u);
}

void plc_bits_pack_msb(const uint8_t *bits, size_t nbits, uint8_t *bytes)
{
    for (size_t k = 0; k < (nbits + 7) / 8; k++)
        bytes[k] = 0;
    for (size_t k = 0; k < nbits; k++)
        bytes[k >> 3] |= (uint8_t)((bits[k] & 1u) << (7 - (k & 7)));
}

void plc_bits_unpack_lsb(const uint8_t *bytes, size_t nbits, uint8_t *bits)
{
    for (size_t k = 0; k < nbits; k++)
        bits[k] = (uint8_t)((bytes[k >> 3] >> (k & 7)) & 1u);
}

void plc_bits_pack_lsb(const uint8_t *bits, size_t nbits, uint8_t *bytes)
{
    for (size_t k = 0; k < (nbits + 7) / 8; k++)
        bytes[k] = 0;
    for (size_t k = 0; k < nbits; k++)
        bytes[k >> 3] |= (uint8_t)((bits[k] & 1u) << (k & 7));
}

int plc_bits_from_string(const char *s, uint8_t *bits, size_t max)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s != '0' && *s != '1')
            continue;
        if (n == max)
            return -1;
        bits[n++] = (uint8_t)(*s - '0');
    }
    return (int)n;
}
