/* The node's side of a firmware image transfer (portable core, beside the meter node app):
 * the concentrator announces an image (id, size, block size, its ECDSA P-256 signature over
 * the SHA-256 of the image), sends blocks each with its own CRC-16, asks which are missing
 * (the transfer resumes from there), asks for the check, and names when to switch. The node
 * writes blocks into a bounded store the platform provides (the inactive flash bank), keeps
 * a bitmap of those received, and refuses an image whose length or signature does not check;
 * the running image is untouched until the activation time, when the platform switches.
 * [R] The messages (DLMS image transfer's steps, IC 18; ours on the mesh's data service), all
 * fields big endian:
 *   INIT     01 id:4 size:4 block:2 sig:64        -> 81 status
 *   BLOCK    02 n:2 crc:2 data                     (no answer: STATUS tells)
 *   STATUS   03                                    -> 83 state id:4 received:2 blocks:2
 *                                                        first_missing:2 bitmap:4 (the 32
 *                                                        blocks from first_missing, bit 7
 *                                                        first, 1: missing)
 *   VERIFY   04                                    -> 84 status
 *   ACTIVATE 05 in:4 (seconds from now)            -> 85 status
 * status: 0 ok, or one of PLC_FW_* below. Nothing is allocated after create; time comes from
 * the loop. */
#ifndef PLC_FW_IMAGE_H
#define PLC_FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"

enum {
    PLC_FW_OK = 0,
    PLC_FW_TOO_BIG = 1,      /* INIT: the image does not fit the store */
    PLC_FW_BAD_ARG = 2,      /* a message of the wrong length or field */
    PLC_FW_NO_TRANSFER = 3,  /* no INIT yet */
    PLC_FW_INCOMPLETE = 4,   /* VERIFY with blocks missing */
    PLC_FW_BAD_SIGNATURE = 5,/* the digest's signature does not check (or none given) */
    PLC_FW_NOT_VERIFIED = 6, /* ACTIVATE before a good VERIFY */
    PLC_FW_STORE = 7,        /* the store refused a write or read */
};

typedef enum plc_fw_state {
    PLC_FW_IDLE,
    PLC_FW_RECEIVING,
    PLC_FW_VERIFIED,
    PLC_FW_ACTIVATING,  /* verified, the switch scheduled */
    PLC_FW_ACTIVE,      /* the new image runs */
    PLC_FW_REFUSED,     /* the last verify failed: the old image runs on */
} plc_fw_state;

typedef struct plc_fw_image_ops {
    /* the bounded store: bytes at offset (off + len <= max_size) */
    int (*write)(void *user, uint32_t off, const uint8_t *data, size_t len);
    int (*read)(void *user, uint32_t off, uint8_t *data, size_t len);
    /* 1 when sig (r || s, 32 bytes each) is a valid ECDSA P-256 signature of digest under the
     * platform's trusted key (Linux: mbedTLS, crypto/plc_ecdsa.h) */
    int (*verify)(void *user, const uint8_t digest[32], const uint8_t sig[64]);
    /* switch to image id now (the platform reboots into it) */
    void (*activate)(void *user, uint32_t id);
    void *user;
} plc_fw_image_ops;

typedef struct plc_fw_image_config {
    uint32_t max_size;     /* the store: 65536 */
    uint16_t max_block;    /* largest block: 200 (fits one MSDU with the headers) */
} plc_fw_image_config;

void plc_fw_image_config_default(plc_fw_image_config *cfg);

typedef struct plc_fw_image_counters {
    uint64_t blocks, duplicates, bad_crc, bad_messages, refused, activated;
} plc_fw_image_counters;

typedef struct plc_fw_image plc_fw_image;

plc_fw_image *plc_fw_image_create(const plc_fw_image_config *cfg, const plc_fw_image_ops *ops,
                                  plc_loop *loop);
void plc_fw_image_destroy(plc_fw_image *f);
/* One message in; the answer (if any) into out: its length, 0 for none. */
size_t plc_fw_image_input(plc_fw_image *f, const uint8_t *msg, size_t len, uint8_t *out,
                          size_t cap);
plc_fw_state plc_fw_image_state(const plc_fw_image *f);
void plc_fw_image_get_counters(const plc_fw_image *f, plc_fw_image_counters *c);

#endif
