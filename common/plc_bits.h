/* Conversion between packed bytes and bit arrays (one bit per byte, value 0 or 1).
 * The coding chain works on bit arrays: it keeps every block simple and lets soft
 * values line up one-to-one with bits. Which end of a byte goes first on the air is a
 * protocol convention; the PHY picks it in phy/plc_phy_conventions.h. */
#ifndef PLC_BITS_H
#define PLC_BITS_H

#include <stddef.h>
#include <stdint.h>

/* Bit k of the output is bit (7 - k%8) of byte k/8: most significant bit first. */
void plc_bits_unpack_msb(const uint8_t *bytes, size_t nbits, uint8_t *bits);
void plc_bits_pack_msb(const uint8_t *bits, size_t nbits, uint8_t *bytes);

/* Bit k of the output is bit (k%8) of byte k/8: least significant bit first. */
void plc_bits_unpack_lsb(const uint8_t *bytes, size_t nbits, uint8_t *bits);
void plc_bits_pack_lsb(const uint8_t *bits, size_t nbits, uint8_t *bytes);

/* Parses a string of '0'/'1' characters (other characters are skipped) into a bit
 * array; returns the number of bits written, or -1 if more than max bits are present. */
int plc_bits_from_string(const char *s, uint8_t *bits, size_t max);

#endif
