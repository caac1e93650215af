/* The crypto the stack needs, behind one interface: AES-128, CCM* (the MAC's frame
 * security: CCM with a tag of 0, 4..16 bytes) and AES-CMAC (RFC 4493: the admission's
 * EAP-PSK and EAX). Two backends with the same behaviour, chosen at build time
 * (PLC_CRYPTO): mbedTLS on Linux (plc_crypto_mbedtls.c), and a portable implementation for
 * firmware (plc_aes.c, plc_ccm.c, plc_cmac.c: no allocation but the key at create, no
 * tables beyond the S-box). Both are checked against FIPS-197, NIST SP 800-38C, IEEE
 * 802.15.4 and RFC 4493 vectors (tests/test_crypto.c), on the host and on the target. */
#ifndef PLC_CRYPTO_H
#define PLC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define PLC_AES_KEY_LEN 16
#define PLC_AES_BLOCK 16

typedef struct plc_aes_key plc_aes_key;

/* A key ready for use (its schedule, or the backend's context); NULL when out of memory. */
plc_aes_key *plc_aes_key_create(const uint8_t key[PLC_AES_KEY_LEN]);
void plc_aes_key_destroy(plc_aes_key *k);
/* One block. */
void plc_aes_encrypt(const plc_aes_key *k, const uint8_t in[PLC_AES_BLOCK],
                     uint8_t out[PLC_AES_BLOCK]);

/* CCM*: encrypts data (len bytes) in place and writes a tag of mic_len bytes (0: encryption
 * only, or 4, 6, ..., 16); nonce_len 7..13. PLC_OK or PLC_ERR_ARG. */
int plc_ccm_star_encrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         uint8_t *mic, size_t mic_len);
/* Decrypts in place and checks the tag: PLC_ERR_CRC when it does not match (data is then
 * zeroed, never left half-decrypted), PLC_ERR_ARG for bad lengths. */
int plc_ccm_star_decrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         const uint8_t *mic, size_t mic_len);

/* AES-CMAC of len bytes (RFC 4493). */
void plc_aes_cmac(const plc_aes_key *k, const uint8_t *msg, size_t len,
                  uint8_t mac[PLC_AES_BLOCK]);

/* "mbedtls" or "portable". */
const char *plc_crypto_backend(void);

#endif
