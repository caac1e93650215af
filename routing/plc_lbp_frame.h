/* LBP's messages and the EAP-PSK packets and parameters they carry, as bytes (G3's
 * bootstrapping protocol; facts from ../shared/spec/routing-g3.md sections 4-5):
 *   LBP after 0x40 0x02: [T:1 code:3 media:1 no-backup:1 res:10] (big endian), A_LBD (the
 *       joining device's EUI-64, 8 bytes, most significant first [R]), then data: nothing,
 *       an EAP packet (first byte's bit 0 clear) or parameters (bit 0 set);
 *   EAP: code (G3 shifts it left 2: request 0x04, response 0x08, success 0x0C, failure 0x10),
 *       identifier, length (2, the whole packet), type 0x2F, flags (EAP-PSK message number
 *       in bits 7-6), then the message's body:
 *         1  RAND_S(16) ID_S          2  RAND_S RAND_P(16) MAC_P(16) ID_P
 *         3  RAND_S MAC_S(16) PCHAN   4  RAND_S PCHAN
 *       PCHAN: nonce(4) tag(16) and the encrypted part: [R:2 E:1 res:5], with E an
 *       extension: type 0x02 (parameters) and the parameters;
 *   parameter: id = attribute << 2 | M << 1 | 1, length (1), value.
 * Decoding never reads past the buffer; every malformed case is PLC_ERR_LBP_FORMAT. */
#ifndef PLC_LBP_FRAME_H
#define PLC_LBP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "plc_eap_psk.h"
#include "plc_err.h"

/* T << 3 | code */
typedef enum plc_lbp_type {
    PLC_LBP_JOINING = 0x01,       /* LBD -> LBS */
    PLC_LBP_KICK_FROM_LBD = 0x04, /* LBD -> LBS: leaving */
    PLC_LBP_CONFLICT = 0x05,      /* LBA -> LBS: an address conflict */
    PLC_LBP_ACCEPTED = 0x09,      /* LBS -> LBD */
    PLC_LBP_CHALLENGE = 0x0A,     /* LBS -> LBD */
    PLC_LBP_DECLINE = 0x0B,       /* LBS -> LBD */
    PLC_LBP_KICK_TO_LBD = 0x0C,   /* LBS -> LBD: leave */
} plc_lbp_type;

#define PLC_LBP_TO_LBD(type) (((type) & 0x08) != 0)
#define PLC_LBP_HEADER 12 /* 0x40 0x02, the 2-byte header, A_LBD */

typedef struct plc_lbp_msg {
    uint8_t type;          /* plc_lbp_type */
    uint64_t lbd;          /* A_LBD */
    const uint8_t *data;   /* decode: points into the message */
    size_t len;
} plc_lbp_msg;

/* A message after the escape bytes (0x40 0x02). */
int plc_lbp_decode(const uint8_t *p, size_t len, plc_lbp_msg *m);
/* Writes 0x40 0x02, the header, A_LBD and the data; the length or a negative plc_err. */
int plc_lbp_encode(const plc_lbp_msg *m, uint8_t *out, size_t cap);

/* ---- EAP-PSK packets ---- */
#define PLC_EAP_REQUEST 0x04
#define PLC_EAP_RESPONSE 0x08
#define PLC_EAP_SUCCESS 0x0C
#define PLC_EAP_FAILURE 0x10
#define PLC_EAP_TYPE_PSK 0x2F
#define PLC_EAP_PSK_ID 8 /* ID_S and ID_P: 8 bytes (CENELEC; the peer's EUI-64) */
#define PLC_EAP_PCHANNEL_CONT 1
#define PLC_EAP_PCHANNEL_SUCCESS 2
#define PLC_EAP_PCHANNEL_FAILURE 3
#define PLC_EAP_EXT_PARAMETERS 0x02
#define PLC_EAP_MAX_EXT 64

typedef struct plc_eap_msg {
    uint8_t code;          /* PLC_EAP_* (G3's shifted codes) */
    uint8_t id;
    uint8_t psk;           /* EAP-PSK message 1..4 (requests and responses only) */
    uint8_t rand_s[16], rand_p[16], mac[16]; /* MAC_P (2) or MAC_S (3) */
    uint8_t id_x[PLC_EAP_PSK_ID];            /* ID_S (1) or ID_P (2) */
    /* messages 3 and 4: the protected channel, decrypted or to encrypt */
    uint32_t nonce;
    uint8_t tag[16];
    uint8_t result;        /* PLC_EAP_PCHANNEL_* */
    size_t ext_len;        /* parameters in the extension (0: none) */
    uint8_t ext[PLC_EAP_MAX_EXT];
} plc_eap_msg;

/* Writes an EAP packet; messages 3 and 4 are sealed under keys (TEK) on the way. The
 * length or a negative plc_err. */
int plc_eap_encode(const plc_eap_msg *m, const plc_eap_psk_keys *keys, uint8_t *out, size_t cap);
/* Reads the clear part of an EAP packet (code, id, message number and the fields before
 * the protected channel). */
int plc_eap_decode(const uint8_t *p, size_t len, plc_eap_msg *m);
/* Opens the protected channel of message 3 or 4 (p, len: the same packet) under keys:
 * PLC_OK with result and ext filled, PLC_ERR_LBP_AUTH when the tag fails. */
int plc_eap_open(const uint8_t *p, size_t len, const plc_eap_psk_keys *keys, plc_eap_msg *m);

/* An LBP message carrying an EAP packet (encoded under keys where it has a protected
 * channel): the length or a negative plc_err. */
int plc_lbp_encode_eap(uint8_t type, uint64_t lbd, const plc_eap_msg *m,
                       const plc_eap_psk_keys *keys, uint8_t *out, size_t cap);
/* The 8 bytes of an EUI-64, most significant first (ID_P and A_LBD). */
void plc_lbp_eui_bytes(uint64_t eui, uint8_t out[8]);

/* ---- parameters ---- */
#define PLC_LBP_PARAM_SHORT_ADDR 0x1D
#define PLC_LBP_PARAM_GMK 0x27
#define PLC_LBP_PARAM_GMK_ACTIVATION 0x2B
#define PLC_LBP_PARAM_GMK_REMOVAL 0x2F
#define PLC_LBP_PARAM_RESULT 0x31
/* [R] not G3's: in a DECLINE after the EAP failure, the seconds after which the device
 * may send its JOINING again (2 bytes, big endian): the coordinator paces admission */
#define PLC_LBP_PARAM_RETRY_AFTER 0xFD
#define PLC_LBP_RESULT_OK 0
#define PLC_LBP_RESULT_MISSING 1
#define PLC_LBP_RESULT_INVALID 2
#define PLC_LBP_RESULT_UNKNOWN 3

typedef struct plc_lbp_params {
    int has_short, has_gmk, has_activation, has_removal, has_result, has_retry;
    uint16_t short_addr, retry_s;
    uint8_t gmk_id, gmk[16];
    uint8_t activation_id, removal_id;
    uint8_t result, result_attr;
} plc_lbp_params;

/* Writes the parameters present; the length or a negative plc_err. */
int plc_lbp_params_encode(const plc_lbp_params *p, uint8_t *out, size_t cap);
/* Reads parameters: PLC_OK, PLC_ERR_LBP_FORMAT (bad length, cut short) or, for an id it
 * does not know, PLC_ERR_LBP_FORMAT with *unknown set to it. */
int plc_lbp_params_decode(const uint8_t *b, size_t len, plc_lbp_params *p, uint8_t *unknown);
/* A DECLINE's data: EAP failure (id), then, when retry_s > 0, PLC_LBP_PARAM_RETRY_AFTER.
 * The length or a negative plc_err. */
int plc_lbp_decline_encode(uint8_t eap_id, unsigned retry_s, uint8_t *out, size_t cap);
/* The seconds a DECLINE's data asks the device to wait before it tries again (0: none
 * given, as from a G3 coordinator: it starts again after its own back-off); bytes after
 * the EAP packet that are not that parameter are PLC_ERR_LBP_FORMAT. */
int plc_lbp_decline_retry(const uint8_t *data, size_t len, unsigned *retry_s);

#endif
