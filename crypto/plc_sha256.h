/* SHA-256 (FIPS 180-4), portable: the firmware image's digest (meter/plc_fw_image.h). No
 * allocation, no tables beyond the 64 round constants. Checked against the FIPS 180-2
 * examples and Python's hashlib (tests/test_fw_image.c). */
#ifndef PLC_SHA256_H
#define PLC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define PLC_SHA256_LEN 32

typedef struct plc_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t block[64];
    unsigned fill;
} plc_sha256_ctx;

void plc_sha256_init(plc_sha256_ctx *s);
void plc_sha256_update(plc_sha256_ctx *s, const uint8_t *data, size_t len);
void plc_sha256_final(plc_sha256_ctx *s, uint8_t out[PLC_SHA256_LEN]);
void plc_sha256(const uint8_t *data, size_t len, uint8_t out[PLC_SHA256_LEN]);

#endif
