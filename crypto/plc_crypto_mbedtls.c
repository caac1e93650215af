/* The crypto interface on mbedTLS (Linux): AES, CCM* and CMAC as Debian's libmbedcrypto
 * (2.28) provides them. */
#include <stdlib.h>

#include <mbedtls/aes.h>
#include <mbedtls/ccm.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "plc_crypto.h"
#include "plc_crypto_impl.h"
#include "plc_err.h"

struct plc_aes_key {
    uint8_t raw[PLC_AES_KEY_LEN];
    mbedtls_aes_context aes;
    mbedtls_ccm_context ccm;
};

plc_aes_key *plc_aes_key_create(const uint8_t key[PLC_AES_KEY_LEN])
{
    plc_aes_key *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    for (int i = 0; i < PLC_AES_KEY_LEN; i++)
        k->raw[i] = key[i];
    mbedtls_aes_init(&k->aes);
    mbedtls_ccm_init(&k->ccm);
    if (mbedtls_aes_setkey_enc(&k->aes, key, 128) != 0 ||
        mbedtls_ccm_setkey(&k->ccm, MBEDTLS_CIPHER_ID_AES, key, 128) != 0) {
        plc_aes_key_destroy(k);
        return NULL;
    }
    return k;
}

void plc_aes_key_destroy(plc_aes_key *k)
{
    if (!k)
        return;
    mbedtls_aes_free(&k->aes);
    mbedtls_ccm_free(&k->ccm);
    free(k);
}

void plc_aes_encrypt(const plc_aes_key *k, const uint8_t in[PLC_AES_BLOCK],
                     uint8_t out[PLC_AES_BLOCK])
{
    mbedtls_aes_crypt_ecb((mbedtls_aes_context *)&k->aes, MBEDTLS_AES_ENCRYPT, in, out);
}

int plc_ccm_star_encrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         uint8_t *mic, size_t mic_len)
{
    if (!k || !nonce || !plc_ccm_lengths_ok(nonce_len, mic_len))
        return PLC_ERR_ARG;
    return mbedtls_ccm_star_encrypt_and_tag((mbedtls_ccm_context *)&k->ccm, len, nonce,
                                            nonce_len, adata, alen, data, data, mic,
                                            mic_len) == 0
               ? PLC_OK
               : PLC_ERR_ARG;
}

int plc_ccm_star_decrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         const uint8_t *mic, size_t mic_len)
{
    if (!k || !nonce || !plc_ccm_lengths_ok(nonce_len, mic_len))
        return PLC_ERR_ARG;
    const int r = mbedtls_ccm_star_auth_decrypt((mbedtls_ccm_context *)&k->ccm, len, nonce,
                                                nonce_len, adata, alen, data, data, mic,
                                                mic_len);
    if (r == MBEDTLS_ERR_CCM_AUTH_FAILED)
        return PLC_ERR_CRC;
    return r == 0 ? PLC_OK : PLC_ERR_ARG;
}

void plc_aes_cmac(const plc_aes_key *k, const uint8_t *msg, size_t len,
                  uint8_t mac[PLC_AES_BLOCK])
{
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
    mbedtls_cipher_cmac(info, k->raw, 128, msg, len, mac);
}

const char *plc_crypto_backend(void)
{
    return "mbedtls";
}
