/* EAX mode (Bellare, Rogaway, Wagner) over the crypto interface's AES and CMAC: what
 * EAP-PSK's protected channel uses (RFC 4764). OMAC_t(x) = CMAC(K, [t]_16 || x);
 * N' = OMAC_0(N), H' = OMAC_1(H), C = CTR_N'(M), tag = N' ^ H' ^ OMAC_2(C), truncated.
 * Nonce, header and message up to PLC_EAX_MAX bytes each (the EAP-PSK messages are far
 * shorter); no allocation. */
#ifndef PLC_EAX_H
#define PLC_EAX_H

#include <stddef.h>
#include <stdint.h>

#include "plc_crypto.h"

#define PLC_EAX_MAX 496

/* Encrypts data in place, writes a tag of tag_len (1..16) bytes. PLC_OK or PLC_ERR_LENGTH. */
int plc_eax_encrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *header, size_t header_len, uint8_t *data, size_t len,
                    uint8_t *tag, size_t tag_len);
/* Checks the tag, then decrypts in place: PLC_OK, PLC_ERR_CRC (data untouched) or
 * PLC_ERR_LENGTH. */
int plc_eax_decrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *header, size_t header_len, uint8_t *data, size_t len,
                    const uint8_t *tag, size_t tag_len);

#endif
