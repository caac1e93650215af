/* CRCs used by the PHY and MAC.
 *  - CRC-5  (G3 CENELEC frame control): poly 0x05, init 0x1F, MSB first, xorout 0x1F
 *  - CRC-8  (G3 FCC/ARIB frame control): poly 0x07, init 0xFF, MSB first, xorout 0xFF
 *  - CRC-16 (G3 MAC FCS): CRC-16/XMODEM, poly 0x1021, init 0, not reflected, xorout 0
 *    (check 0x31C3), as two independent vendor sources compute it (Microchip ATPL250 PAL,
 *    Renesas G3 dissector); not the reflected 802.15.4 CRC (KERMIT)
 *  - CRC-32 (ISO-HDLC, IEEE 802.3): poly 0x04C11DB7 reflected, init/xorout 0xFFFFFFFF
 * The frame control CRCs cover a bit count that is not a whole number of bytes, so
 * they take the number of bits, read MSB first from the byte buffer. */
#ifndef PLC_CRC_H
#define PLC_CRC_H

#include <stddef.h>
#include <stdint.h>

uint8_t plc_crc5_g3(const uint8_t *data, size_t nbits);
uint8_t plc_crc8_g3(const uint8_t *data, size_t nbits);
uint16_t plc_crc16_xmodem(const uint8_t *data, size_t len);
uint32_t plc_crc32(const uint8_t *data, size_t len);

/* Generic MSB-first (non-reflected) CRC of width <= 16 over nbits bits, for checks
 * against catalogue definitions such as CRC-8/SMBUS. */
uint16_t plc_crc_msb_bits(const uint8_t *data, size_t nbits, unsigned width, uint16_t poly,
                          uint16_t init, uint16_t xorout);

#endif
