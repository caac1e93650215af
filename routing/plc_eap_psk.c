#include "plc_eap_psk.h"

#include <string.h>

#include "plc_crypto.h"
#include "plc_eax.h"
#include "plc_err.h"

/* out = E_key(in); PLC_ERR_NOMEM when the key cannot be set up */
static int aes(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    plc_aes_key *k = plc_aes_key_create(key);
    if (!k)
        return PLC_ERR_NOMEM;
    plc_aes_encrypt(k, in, out);
    plc_aes_key_destroy(k);
    return PLC_OK;
}

int plc_eap_psk_ak_kdk(const uint8_t psk[PLC_EAP_PSK_KEY], plc_eap_psk_keys *k)
{
    uint8_t zero[16] = {0}, e[16], x[16];
    int rc = aes(psk, zero, e);
    memcpy(x, e, 16);
    x[15] ^= 1;
    if (rc == PLC_OK)
        rc = aes(psk, x, k->ak);
    memcpy(x, e, 16);
    x[15] ^= 2;
    if (rc == PLC_OK)
        rc = aes(psk, x, k->kdk);
    return rc;
}

int plc_eap_psk_derive(const uint8_t rand_p[PLC_EAP_PSK_RAND], plc_eap_psk_keys *k)
{
    plc_aes_key *kdk = plc_aes_key_create(k->kdk);
    if (!kdk)
        return PLC_ERR_NOMEM;
    uint8_t x[16], y[16];
    plc_aes_encrypt(kdk, rand_p, x);
    for (uint8_t i = 1; i <= 9; i++) {
        memcpy(y, x, 16);
        y[15] ^= i;
        uint8_t *out = i == 1 ? k->tek : i <= 5 ? k->msk + 16 * (i - 2) : k->emsk + 16 * (i - 6);
        plc_aes_encrypt(kdk, y, out);
    }
    plc_aes_key_destroy(kdk);
    return PLC_OK;
}

static int cmac_ak(const plc_eap_psk_keys *k, const uint8_t *msg, size_t len, uint8_t mac[16])
{
    plc_aes_key *ak = plc_aes_key_create(k->ak);
    if (!ak)
        return PLC_ERR_NOMEM;
    plc_aes_cmac(ak, msg, len, mac);
    plc_aes_key_destroy(ak);
    return PLC_OK;
}

#define ID_MAX 64

int plc_eap_psk_mac_p(const plc_eap_psk_keys *k, const uint8_t *id_p, size_t id_p_len,
                      const uint8_t *id_s, size_t id_s_len, const uint8_t rand_s[16],
                      const uint8_t rand_p[16], uint8_t mac[16])
{
    uint8_t buf[2 * ID_MAX + 32];
    if (id_p_len > ID_MAX || id_s_len > ID_MAX)
        return PLC_ERR_LENGTH;
    memcpy(buf, id_p, id_p_len);
    memcpy(buf + id_p_len, id_s, id_s_len);
    memcpy(buf + id_p_len + id_s_len, rand_s, 16);
    memcpy(buf + id_p_len + id_s_len + 16, rand_p, 16);
    return cmac_ak(k, buf, id_p_len + id_s_len + 32, mac);
}

int plc_eap_psk_mac_s(const plc_eap_psk_keys *k, const uint8_t *id_s, size_t id_s_len,
                      const uint8_t rand_p[16], uint8_t mac[16])
{
    uint8_t buf[ID_MAX + 16];
    if (id_s_len > ID_MAX)
        return PLC_ERR_LENGTH;
    memcpy(buf, id_s, id_s_len);
    memcpy(buf + id_s_len, rand_p, 16);
    return cmac_ak(k, buf, id_s_len + 16, mac);
}

static void nonce16(uint32_t nonce, uint8_t n[16])
{
    memset(n, 0, 12);
    n[12] = (uint8_t)(nonce >> 24);
    n[13] = (uint8_t)(nonce >> 16);
    n[14] = (uint8_t)(nonce >> 8);
    n[15] = (uint8_t)nonce;
}

/* EAX under TEK with the 16-byte nonce 0^96 | nonce: seal (tag written) or open (checked) */
static int pchannel(const plc_eap_psk_keys *k, uint32_t nonce, const uint8_t *header,
                    uint8_t *data, size_t len, uint8_t *tag, int seal)
{
    plc_aes_key *tek = plc_aes_key_create(k->tek);
    if (!tek)
        return PLC_ERR_NOMEM;
    uint8_t n[16];
    nonce16(nonce, n);
    const int rc = seal ? plc_eax_encrypt(tek, n, 16, header, PLC_EAP_PSK_HEADER, data, len, tag,
                                          PLC_EAP_PSK_TAG)
                        : plc_eax_decrypt(tek, n, 16, header, PLC_EAP_PSK_HEADER, data, len, tag,
                                          PLC_EAP_PSK_TAG);
    plc_aes_key_destroy(tek);
    return rc;
}

int plc_eap_psk_pchannel_seal(const plc_eap_psk_keys *k, uint32_t nonce,
                              const uint8_t header[PLC_EAP_PSK_HEADER], uint8_t *data, size_t len,
                              uint8_t tag[PLC_EAP_PSK_TAG])
{
    return pchannel(k, nonce, header, data, len, tag, 1);
}

int plc_eap_psk_pchannel_open(const plc_eap_psk_keys *k, uint32_t nonce,
                              const uint8_t header[PLC_EAP_PSK_HEADER], uint8_t *data, size_t len,
                              const uint8_t tag[PLC_EAP_PSK_TAG])
{
    uint8_t t[PLC_EAP_PSK_TAG];
    memcpy(t, tag, sizeof(t));
    return pchannel(k, nonce, header, data, len, t, 0);
}
