/* Checks shared by the backends. */
#ifndef PLC_CRYPTO_IMPL_H
#define PLC_CRYPTO_IMPL_H

#include <stddef.h>

static inline int plc_ccm_lengths_ok(size_t nonce_len, size_t mic_len)
{
    return nonce_len >= 7 && nonce_len <= 13 &&
           (mic_len == 0 || (mic_len >= 4 && mic_len <= 16 && mic_len % 2 == 0));
}

#endif
