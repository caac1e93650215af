/* EAP-PSK's cryptography (RFC 4764, as G3's admission uses it; ../shared/spec/routing-g3.md
 * section 5): the keys derived from the pre-shared key and the nonces, the two MACs that
 * authenticate server and peer, and the protected channel (EAX under TEK). The message
 * exchange itself (LBP) is built on this. Each call sets up the AES key it needs and frees it
 * (a heap allocation through plc_aes_key_create): admission runs once per join, not per
 * frame, but a firmware heap must allow for one key schedule during it. */
#ifndef PLC_EAP_PSK_H
#define PLC_EAP_PSK_H

#include <stddef.h>
#include <stdint.h>

#define PLC_EAP_PSK_KEY 16
#define PLC_EAP_PSK_RAND 16
#define PLC_EAP_PSK_MSK 64
#define PLC_EAP_PSK_TAG 16
#define PLC_EAP_PSK_HEADER 22 /* EAP header (code, id, length, type, flags) and RAND_S */

typedef struct plc_eap_psk_keys {
    uint8_t ak[PLC_EAP_PSK_KEY], kdk[PLC_EAP_PSK_KEY];
    uint8_t tek[PLC_EAP_PSK_KEY], msk[PLC_EAP_PSK_MSK], emsk[PLC_EAP_PSK_MSK];
} plc_eap_psk_keys;

/* AK and KDK from the PSK: AK = E_PSK(E_PSK(0) ^ 1), KDK = E_PSK(E_PSK(0) ^ 2). */
int plc_eap_psk_ak_kdk(const uint8_t psk[PLC_EAP_PSK_KEY], plc_eap_psk_keys *k);
/* TEK, MSK and EMSK once RAND_P is known: X = E_KDK(RAND_P), TEK = E_KDK(X ^ 1),
 * MSK = E_KDK(X ^ 2..5), EMSK = E_KDK(X ^ 6..9). */
int plc_eap_psk_derive(const uint8_t rand_p[PLC_EAP_PSK_RAND], plc_eap_psk_keys *k);
/* MAC_P = CMAC_AK(ID_P | ID_S | RAND_S | RAND_P); MAC_S = CMAC_AK(ID_S | RAND_P). */
int plc_eap_psk_mac_p(const plc_eap_psk_keys *k, const uint8_t *id_p, size_t id_p_len,
                      const uint8_t *id_s, size_t id_s_len, const uint8_t rand_s[16],
                      const uint8_t rand_p[16], uint8_t mac[16]);
int plc_eap_psk_mac_s(const plc_eap_psk_keys *k, const uint8_t *id_s, size_t id_s_len,
                      const uint8_t rand_p[16], uint8_t mac[16]);
/* The protected channel: EAX under TEK, nonce 0^96 | nonce (32 bits), the first 22 bytes of
 * the EAP packet as the header; data encrypted / decrypted in place. */
int plc_eap_psk_pchannel_seal(const plc_eap_psk_keys *k, uint32_t nonce,
                              const uint8_t header[PLC_EAP_PSK_HEADER], uint8_t *data, size_t len,
                              uint8_t tag[PLC_EAP_PSK_TAG]);
int plc_eap_psk_pchannel_open(const plc_eap_psk_keys *k, uint32_t nonce,
                              const uint8_t header[PLC_EAP_PSK_HEADER], uint8_t *data, size_t len,
                              const uint8_t tag[PLC_EAP_PSK_TAG]);

#endif
