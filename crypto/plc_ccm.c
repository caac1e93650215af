/* CCM* (IEEE 802.15.4 Annex B, on CCM of NIST SP 800-38C / RFC 3610) over plc_aes_encrypt:
 * CBC-MAC over B0 | encoded adata | payload (each padded to blocks), CTR encryption with
 * counter blocks A_i = flags | nonce | i. A tag length of 0 is CCM*'s encryption-only mode:
 * no MAC at all. */
#include <string.h>

#include "plc_crypto.h"
#include "plc_crypto_impl.h"
#include "plc_err.h"

static void xor_block(uint8_t *x, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] ^= d[i];
}

/* A_i or B0: flags, nonce, then the last L bytes hold v (big endian). */
static void block(uint8_t b[16], uint8_t flags, const uint8_t *nonce, size_t nonce_len,
                  size_t v)
{
    memset(b, 0, 16);
    b[0] = flags;
    memcpy(b + 1, nonce, nonce_len);
    for (size_t i = 15; i > nonce_len && v; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

/* The CBC-MAC T (mic_len bytes, before its encryption with S0). */
static void cbc_mac(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *adata, size_t alen, const uint8_t *msg, size_t len,
                    size_t mic_len, uint8_t t[16])
{
    const size_t l = 15 - nonce_len;
    uint8_t x[16], b[16];
    block(b, (uint8_t)((alen ? 0x40 : 0) | ((mic_len - 2) / 2) << 3 | (l - 1)), nonce,
          nonce_len, len);
    plc_aes_encrypt(k, b, x);
    if (alen) {
        /* the length of adata, 2 bytes below 0xFF00, else 0xFFFE and 4 bytes */
        uint8_t head[6];
        size_t h;
        if (alen < 0xFF00) {
            head[0] = (uint8_t)(alen >> 8);
            head[1] = (uint8_t)alen;
            h = 2;
        } else {
            head[0] = 0xFF;
            head[1] = 0xFE;
            for (int i = 0; i < 4; i++)
                head[2 + i] = (uint8_t)((uint64_t)alen >> (24 - 8 * i));
            h = 6;
        }
        size_t fill = h, used = 0;
        memset(b, 0, 16);
        memcpy(b, head, h);
        for (;;) {
            const size_t take = alen - used < 16 - fill ? alen - used : 16 - fill;
            memcpy(b + fill, adata + used, take);
            used += take;
            xor_block(x, b, 16);
            plc_aes_encrypt(k, x, x);
            if (used == alen)
                break;
            memset(b, 0, 16);
            fill = 0;
        }
    }
    for (size_t off = 0; off < len; off += 16) {
        const size_t n = len - off < 16 ? len - off : 16;
        xor_block(x, msg + off, n);
        plc_aes_encrypt(k, x, x);
    }
    memcpy(t, x, 16);
}

/* data ^= the key stream from A_1 on */
static void ctr(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len, uint8_t *data,
                size_t len)
{
    const uint8_t flags = (uint8_t)(15 - nonce_len - 1);
    uint8_t a[16], s[16];
    for (size_t i = 0, off = 0; off < len; i++, off += 16) {
        block(a, flags, nonce, nonce_len, i + 1);
        plc_aes_encrypt(k, a, s);
        xor_block(data + off, s, len - off < 16 ? len - off : 16);
    }
}

/* U = T ^ S_0 */
static void tag_of(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                   const uint8_t t[16], uint8_t *u, size_t mic_len)
{
    uint8_t a[16], s0[16];
    block(a, (uint8_t)(15 - nonce_len - 1), nonce, nonce_len, 0);
    plc_aes_encrypt(k, a, s0);
    for (size_t i = 0; i < mic_len; i++)
        u[i] = (uint8_t)(t[i] ^ s0[i]);
}

int plc_ccm_star_encrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         uint8_t *mic, size_t mic_len)
{
    if (!k || !nonce || !plc_ccm_lengths_ok(nonce_len, mic_len) || (len && !data) ||
        (alen && !adata) || (mic_len && !mic) || (nonce_len == 13 && len > 0xFFFF))
        return PLC_ERR_ARG;
    if (mic_len) {
        uint8_t t[16];
        cbc_mac(k, nonce, nonce_len, adata, alen, data, len, mic_len, t);
        tag_of(k, nonce, nonce_len, t, mic, mic_len);
    }
    ctr(k, nonce, nonce_len, data, len);
    return PLC_OK;
}

int plc_ccm_star_decrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *adata, size_t alen, uint8_t *data, size_t len,
                         const uint8_t *mic, size_t mic_len)
{
    if (!k || !nonce || !plc_ccm_lengths_ok(nonce_len, mic_len) || (len && !data) ||
        (alen && !adata) || (mic_len && !mic) || (nonce_len == 13 && len > 0xFFFF))
        return PLC_ERR_ARG;
    ctr(k, nonce, nonce_len, data, len);
    if (!mic_len)
        return PLC_OK;
    uint8_t t[16], u[16];
    cbc_mac(k, nonce, nonce_len, adata, alen, data, len, mic_len, t);
    tag_of(k, nonce, nonce_len, t, u, mic_len);
    uint8_t diff = 0;
    for (size_t i = 0; i < mic_len; i++)
        diff |= (uint8_t)(u[i] ^ mic[i]);
    if (diff) {
        memset(data, 0, len);
        return PLC_ERR_CRC;
    }
    return PLC_OK;
}
