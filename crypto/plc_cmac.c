/* AES-CMAC (RFC 4493 / NIST SP 800-38B) over plc_aes_encrypt. */
#include <string.h>

#include "plc_crypto.h"

/* x << 1 in GF(2^128), reduced by 0x87 */
static void dbl(const uint8_t in[16], uint8_t out[16])
{
    const uint8_t carry = in[0] >> 7;
    for (int i = 0; i < 15; i++)
        out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
    out[15] = (uint8_t)(in[15] << 1 ^ (carry ? 0x87 : 0));
}

void plc_aes_cmac(const plc_aes_key *k, const uint8_t *msg, size_t len,
                  uint8_t mac[PLC_AES_BLOCK])
{
    uint8_t l[16] = {0}, k1[16], k2[16], x[16] = {0}, last[16];
    plc_aes_encrypt(k, l, l);
    dbl(l, k1);
    dbl(k1, k2);
    const size_t blocks = len ? (len + 15) / 16 : 1;
    const int complete = len && len % 16 == 0;
    for (size_t b = 0; b + 1 < blocks; b++) {
        for (int i = 0; i < 16; i++)
            x[i] ^= msg[16 * b + i];
        plc_aes_encrypt(k, x, x);
    }
    const size_t rest = len - 16 * (blocks - 1);
    memset(last, 0, 16);
    if (rest)
        memcpy(last, msg + 16 * (blocks - 1), rest);
    if (complete) {
        for (int i = 0; i < 16; i++)
            last[i] ^= k1[i];
    } else {
        last[rest] = 0x80;
        for (int i = 0; i < 16; i++)
            last[i] ^= k2[i];
    }
    for (int i = 0; i < 16; i++)
        x[i] ^= last[i];
    plc_aes_encrypt(k, x, mac);
}
