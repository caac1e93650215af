/* mbedTLS for the firmware (Debian's source package, built by fw/CMakeLists.txt): only what
 * an ECDSA P-256 check of a firmware image needs (crypto/plc_ecdsa_mbedtls.c). No heap on the
 * target: mbedTLS's numbers come from a static pool (MEMORY_BUFFER_ALLOC, set up by
 * plc_ecdsa on its first check). Option names: mbedTLS 2.28's include/mbedtls/config.h. */
#ifndef PLC_MBEDTLS_CONFIG_H
#define PLC_MBEDTLS_CONFIG_H

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM            /* fast reduction modulo the NIST prime */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C              /* ECDSA_C requires them (unused by the check) */
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ECP_NO_INTERNAL_RNG       /* a check handles only public values: no blinding */

/* RAM over speed: a check is rare (once an image) */
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 64
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0

#include "mbedtls/check_config.h"

#endif
