#include "plc_eax.h"

#include <string.h>

#include "plc_err.h"

static void omac(const plc_aes_key *k, uint8_t t, const uint8_t *x, size_t n, uint8_t out[16])
{
    uint8_t buf[16 + PLC_EAX_MAX];
    memset(buf, 0, 16);
    buf[15] = t;
    memcpy(buf + 16, x, n);
    plc_aes_cmac(k, buf, 16 + n, out);
}

/* data ^= AES-CTR key stream starting at counter ctr (a 128-bit big-endian integer) */
static void ctr(const plc_aes_key *k, const uint8_t start[16], uint8_t *data, size_t len)
{
    uint8_t c[16], s[16];
    memcpy(c, start, 16);
    for (size_t off = 0; off < len; off += 16) {
        plc_aes_encrypt(k, c, s);
        const size_t n = len - off < 16 ? len - off : 16;
        for (size_t i = 0; i < n; i++)
            data[off + i] ^= s[i];
        for (int i = 15; i >= 0 && ++c[i] == 0; i--) {
        }
    }
}

static int lengths_ok(size_t nonce_len, size_t header_len, size_t len, size_t tag_len)
{
    return nonce_len <= PLC_EAX_MAX && header_len <= PLC_EAX_MAX && len <= PLC_EAX_MAX &&
           tag_len >= 1 && tag_len <= 16;
}

int plc_eax_encrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *header, size_t header_len, uint8_t *data, size_t len,
                    uint8_t *tag, size_t tag_len)
{
    if (!k || !lengths_ok(nonce_len, header_len, len, tag_len))
        return PLC_ERR_LENGTH;
    uint8_t n[16], h[16], c[16];
    omac(k, 0, nonce, nonce_len, n);
    omac(k, 1, header, header_len, h);
    ctr(k, n, data, len);
    omac(k, 2, data, len, c);
    for (size_t i = 0; i < tag_len; i++)
        tag[i] = (uint8_t)(n[i] ^ h[i] ^ c[i]);
    return PLC_OK;
}

int plc_eax_decrypt(const plc_aes_key *k, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *header, size_t header_len, uint8_t *data, size_t len,
                    const uint8_t *tag, size_t tag_len)
{
    if (!k || !lengths_ok(nonce_len, header_len, len, tag_len))
        return PLC_ERR_LENGTH;
    uint8_t n[16], h[16], c[16];
    omac(k, 0, nonce, nonce_len, n);
    omac(k, 1, header, header_len, h);
    omac(k, 2, data, len, c);
    uint8_t diff = 0;
    for (size_t i = 0; i < tag_len; i++)
        diff |= (uint8_t)(tag[i] ^ n[i] ^ h[i] ^ c[i]);
    if (diff)
        return PLC_ERR_CRC;
    ctr(k, n, data, len);
    return PLC_OK;
}
