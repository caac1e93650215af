#include "plc_ecdsa.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#ifdef PLC_ECDSA_STATIC_POOL
#include <mbedtls/memory_buffer_alloc.h>
/* The firmware has no heap: mbedTLS's numbers come from this pool, set up at the first check
 * and freed back to it by every check (fw/include/plc_mbedtls_config.h). */
static unsigned char pool[PLC_ECDSA_STATIC_POOL];
static int pool_ready;
#endif

int plc_ecdsa_p256_verify(const uint8_t pub[65], const uint8_t digest[32], const uint8_t sig[64])
{
#ifdef PLC_ECDSA_STATIC_POOL
    if (!pool_ready) {
        mbedtls_memory_buffer_alloc_init(pool, sizeof(pool));
        pool_ready = 1;
    }
#endif
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    const int ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
                   mbedtls_ecp_point_read_binary(&grp, &q, pub, 65) == 0 &&
                   mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
                   mbedtls_mpi_read_binary(&r, sig, 32) == 0 &&
                   mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0 &&
                   mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s) == 0;
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ok;
}
