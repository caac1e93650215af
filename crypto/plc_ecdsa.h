/* ECDSA P-256 signature check (FIPS 186-4) of a SHA-256 digest, for firmware images
 * (meter/plc_fw_image.h), through mbedTLS (plc_ecdsa_mbedtls.c): Debian's library on Linux;
 * on the firmware, mbedTLS built for the Cortex-M4F from Debian's source package (fw/), its
 * memory a static pool. */
#ifndef PLC_ECDSA_H
#define PLC_ECDSA_H

#include <stdint.h>

/* 1 when sig (r || s, 32 bytes each, big endian) signs digest under pub (an uncompressed
 * point: 04 x y), 0 otherwise (a bad key included). */
int plc_ecdsa_p256_verify(const uint8_t pub[65], const uint8_t digest[32], const uint8_t sig[64]);

#endif
