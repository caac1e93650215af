#include "plc_mac_sec.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/ccm.h>

#include "plc_err.h"

struct plc_mac_sec {
    mbedtls_ccm_context ccm[PLC_MAC_KEYS];
    int have[PLC_MAC_KEYS];
};

plc_mac_sec *plc_mac_sec_create(void)
{
    plc_mac_sec *s = calloc(1, sizeof(*s));
    if (s)
        for (unsigned k = 0; k < PLC_MAC_KEYS; k++)
            mbedtls_ccm_init(&s->ccm[k]);
    return s;
}

void plc_mac_sec_destroy(plc_mac_sec *s)
{
    if (!s)
        return;
    for (unsigned k = 0; k < PLC_MAC_KEYS; k++)
        mbedtls_ccm_free(&s->ccm[k]);
    free(s);
}

int plc_mac_sec_set_key(plc_mac_sec *s, unsigned index, const uint8_t key[PLC_MAC_KEY_LEN])
{
    if (!s || index >= PLC_MAC_KEYS || !key)
        return PLC_ERR_ARG;
    if (mbedtls_ccm_setkey(&s->ccm[index], MBEDTLS_CIPHER_ID_AES, key, 128) != 0)
        return PLC_ERR_ARG;
    s->have[index] = 1;
    return PLC_OK;
}

int plc_mac_sec_has_key(const plc_mac_sec *s, unsigned index)
{
    return s && index < PLC_MAC_KEYS && s->have[index];
}

void plc_mac_nonce(uint64_t src, uint32_t frame_counter, uint8_t level,
                   uint8_t nonce[PLC_MAC_NONCE_LEN])
{
    for (int i = 0; i < 8; i++)
        nonce[i] = (uint8_t)(src >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        nonce[8 + i] = (uint8_t)(frame_counter >> (24 - 8 * i));
    nonce[12] = level;
}

uint64_t plc_mac_nonce_addr_short(uint16_t pan, uint16_t short_addr)
{
    return (uint64_t)pan << 48 | (uint64_t)0x00FFFE00u << 16 | short_addr;
}

static int usable(const plc_mac_sec *s, unsigned key, size_t nonce_len, size_t mic_len)
{
    return s && key < PLC_MAC_KEYS && s->have[key] && nonce_len >= 7 && nonce_len <= 13 &&
           (mic_len == 0 || (mic_len >= 4 && mic_len <= 16 && mic_len % 2 == 0));
}

int plc_mac_sec_encrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        uint8_t *mic, size_t mic_len)
{
    if (!usable(s, key, nonce_len, mic_len))
        return PLC_ERR_ARG;
    return mbedtls_ccm_star_encrypt_and_tag(&s->ccm[key], len, nonce, nonce_len, adata, alen,
                                            data, data, mic, mic_len) == 0
               ? PLC_OK
               : PLC_ERR_ARG;
}

int plc_mac_sec_decrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        const uint8_t *mic, size_t mic_len)
{
    if (!usable(s, key, nonce_len, mic_len))
        return PLC_ERR_ARG;
    const int r = mbedtls_ccm_star_auth_decrypt(&s->ccm[key], len, nonce, nonce_len, adata, alen,
                                                data, data, mic, mic_len);
    if (r == MBEDTLS_ERR_CCM_AUTH_FAILED)
        return PLC_ERR_CRC;
    return r == 0 ? PLC_OK : PLC_ERR_ARG;
}
