/* MAC security: AES-128 CCM* ENC-MIC-32 through the crypto interface (crypto/plc_crypto.h:
 * mbedTLS on Linux, portable on firmware), two group master keys.
 *
 * Nonce (13 bytes): source address (8, most significant byte first) | frame counter (4,
 * most significant first) | security level (1), as IEEE 802.15.4 builds it. A source known
 * only by its short address uses PAN id | 00 FF FE 00 | short address as its 8 bytes (the
 * RFC 4944 interface identifier of a short address; G3 nodes address each other by short
 * address, so the receiver can always rebuild it). [R] choice, kept here only.
 * Authenticated data: the MHR including the auxiliary security header (segment control
 * excluded: it is not part of the 802.15.4 frame). Keys are set at init (their schedules are
 * allocated then); encrypting and decrypting allocate nothing. */
#ifndef PLC_MAC_SEC_H
#define PLC_MAC_SEC_H

#include <stddef.h>
#include <stdint.h>

#define PLC_MAC_KEY_LEN 16
#define PLC_MAC_NONCE_LEN 13
#define PLC_MAC_KEYS 2

typedef struct plc_mac_sec plc_mac_sec;

plc_mac_sec *plc_mac_sec_create(void);
void plc_mac_sec_destroy(plc_mac_sec *s);
/* Installs group master key index (0 or 1). */
int plc_mac_sec_set_key(plc_mac_sec *s, unsigned index, const uint8_t key[PLC_MAC_KEY_LEN]);
int plc_mac_sec_has_key(const plc_mac_sec *s, unsigned index);

void plc_mac_nonce(uint64_t src, uint32_t frame_counter, uint8_t level,
                   uint8_t nonce[PLC_MAC_NONCE_LEN]);
/* The 8 nonce address bytes of a short address, as a number. */
uint64_t plc_mac_nonce_addr_short(uint16_t pan, uint16_t short_addr);

/* CCM* with key index: encrypts data in place and writes a tag of mic_len bytes (0 or 4..16;
 * 0 is CCM*'s encryption-only mode). nonce_len 7..13. PLC_ERR_ARG without the key. */
int plc_mac_sec_encrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        uint8_t *mic, size_t mic_len);
/* Decrypts in place and checks the tag: PLC_ERR_CRC when it does not match (data is then
 * left zeroed, never half-decrypted). */
int plc_mac_sec_decrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        const uint8_t *mic, size_t mic_len);

#endif
