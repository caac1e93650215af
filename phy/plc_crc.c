#include "plc_crc.h"

uint16_t plc_crc_msb_bits(const uint8_t *data, size_t nbits, unsigned width, uint16_t poly,
                          uint16_t init, uint16_t xorout)
{
    const uint16_t top = (uint16_t)(1u << (width - 1));
    const uint16_t mask = (uint16_t)((1u << width) - 1u);
    uint16_t crc = init & mask;
    for (size_t k = 0; k < nbits; k++) {
        unsigned bit = (data[k >> 3] >> (7 - (k & 7))) & 1u;
        unsigned fb = ((crc & top) ? 1u : 0u) ^ bit;
        crc = (uint16_t)((crc << 1) & mask);
        if (fb)
            crc ^= poly;
    }
    return (uint16_t)((crc ^ xorout) & mask);
}

uint8_t plc_crc5_g3(const uint8_t *data, size_t nbits)
{
    return (uint8_t)plc_crc_msb_bits(data, nbits, 5, 0x05, 0x1F, 0x1F);
}

uint8_t plc_crc8_g3(const uint8_t *data, size_t nbits)
{
    return (uint8_t)plc_crc_msb_bits(data, nbits, 8, 0x07, 0xFF, 0xFF);
}

/* CRC-16/XMODEM a nibble at a time, most significant nibble first: a 16-entry table,
 * small enough for firmware. */
uint16_t plc_crc16_xmodem(const uint8_t *data, size_t len)
{
    static const uint16_t tab[16] = {
        0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
        0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
    };
    uint16_t crc = 0;
    for (size_t k = 0; k < len; k++) {
        crc = (uint16_t)((crc << 4) ^ tab[((crc >> 12) ^ (data[k] >> 4)) & 0xF]);
        crc = (uint16_t)((crc << 4) ^ tab[((crc >> 12) ^ data[k]) & 0xF]);
    }
    return crc;
}

/* Reflected CRC-32, a nibble at a time. */
uint32_t plc_crc32(const uint8_t *data, size_t len)
{
    static const uint32_t tab[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
    };
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t k = 0; k < len; k++) {
        crc = (crc >> 4) ^ tab[(crc ^ data[k]) & 0xF];
        crc = (crc >> 4) ^ tab[(crc ^ (data[k] >> 4)) & 0xF];
    }
    return crc ^ 0xFFFFFFFFu;
}
