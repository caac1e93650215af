#include "plc_mac_sec.h"

#include <stdlib.h>

#include "plc_crypto.h"
#include "plc_err.h"

struct plc_mac_sec {
    plc_aes_key *key[PLC_MAC_KEYS];
};

plc_mac_sec *plc_mac_sec_create(void)
{
    return calloc(1, sizeof(plc_mac_sec));
}

void plc_mac_sec_destroy(plc_mac_sec *s)
{
    if (!s)
        return;
    for (unsigned k = 0; k < PLC_MAC_KEYS; k++)
        plc_aes_key_destroy(s->key[k]);
    free(s);
}

/* Key installation allocates (the key's schedule): at set-up and at a rekey, never per frame. */
int plc_mac_sec_set_key(plc_mac_sec *s, unsigned index, const uint8_t key[PLC_MAC_KEY_LEN])
{
    if (!s || index >= PLC_MAC_KEYS || !key)
        return PLC_ERR_ARG;
    plc_aes_key *k = plc_aes_key_create(key);
    if (!k)
        return PLC_ERR_NOMEM;
    plc_aes_key_destroy(s->key[index]);
    s->key[index] = k;
    return PLC_OK;
}

int plc_mac_sec_has_key(const plc_mac_sec *s, unsigned index)
{
    return s && index < PLC_MAC_KEYS && s->key[index];
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

int plc_mac_sec_encrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        uint8_t *mic, size_t mic_len)
{
    if (!plc_mac_sec_has_key(s, key))
        return PLC_ERR_ARG;
    return plc_ccm_star_encrypt(s->key[key], nonce, nonce_len, adata, alen, data, len, mic,
                                mic_len);
}

int plc_mac_sec_decrypt(plc_mac_sec *s, unsigned key, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                        const uint8_t *mic, size_t mic_len)
{
    if (!plc_mac_sec_has_key(s, key))
        return PLC_ERR_ARG;
    return plc_ccm_star_decrypt(s->key[key], nonce, nonce_len, adata, alen, data, len, mic,
                                mic_len);
}
