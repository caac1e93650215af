/* The crypto interface (crypto/plc_crypto.h), against published vectors and an independent
 * implementation; built once per backend (test_crypto: the build's, mbedTLS on Linux;
 * test_crypto_portable: the portable one the firmware uses) and run on the target too:
 *   - AES-128: FIPS-197 Appendix C.1;
 *   - CCM: NIST SP 800-38C Appendix C, examples 1-3 (4-, 6- and 8-byte tags);
 *   - CCM* encryption only: IEEE 802.15.4-2006 Annex C.2.2 (key C0..CF);
 *   - AES-CMAC: RFC 4493 section 4, examples 1-4;
 *   - 180 random CCM and CMAC cases computed by python3-cryptography
 *     (vectors/oracle/crypto.txt, tests/gen_crypto_vectors.py);
 *   - a changed byte fails authentication and leaves no plaintext; bad lengths refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_crypto.h"
#include "plc_err.h"
#include "test_util.h"

static plc_aes_key *key_of(const char *h)
{
    uint8_t k[16];
    assert_int_equal(tu_hex(h, k, 16), 16);
    plc_aes_key *key = plc_aes_key_create(k);
    assert_non_null(key);
    return key;
}

static void test_aes_fips197(void **st)
{
    (void)st;
    plc_aes_key *k = key_of("000102030405060708090a0b0c0d0e0f");
    uint8_t in[16], want[16], out[16];
    tu_hex("00112233445566778899aabbccddeeff", in, 16);
    tu_hex("69c4e0d86a7b0430d8cdb78070b4c55a", want, 16);
    plc_aes_encrypt(k, in, out);
    assert_memory_equal(out, want, 16);
    plc_aes_key_destroy(k);
}

/* Encrypts plain, checks ciphertext || tag against want, decrypts back, then tampers. */
static void ccm_case(plc_aes_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *a,
                     size_t alen, const uint8_t *plain, size_t plen, size_t tlen,
                     const uint8_t *want)
{
    uint8_t data[256], mic[16];
    memcpy(data, plain, plen);
    assert_int_equal(plc_ccm_star_encrypt(k, nonce, nlen, a, alen, data, plen, mic, tlen), PLC_OK);
    assert_memory_equal(data, want, plen);
    if (tlen)
        assert_memory_equal(mic, want + plen, tlen);
    assert_int_equal(plc_ccm_star_decrypt(k, nonce, nlen, a, alen, data, plen, mic, tlen), PLC_OK);
    assert_memory_equal(data, plain, plen);
    if (!tlen || !plen)
        return;
    memcpy(data, want, plen);
    data[plen - 1] ^= 0x01;
    assert_int_equal(plc_ccm_star_decrypt(k, nonce, nlen, a, alen, data, plen, mic, tlen),
                     PLC_ERR_CRC);
    for (size_t i = 0; i < plen; i++)
        assert_int_equal(data[i], 0);
}

static void test_ccm_nist_800_38c(void **st)
{
    (void)st;
    plc_aes_key *k = key_of("404142434445464748494a4b4c4d4e4f");
    uint8_t n[13], a[20], p[24], w[40];
    for (int i = 0; i < 13; i++)
        n[i] = (uint8_t)(0x10 + i);
    for (int i = 0; i < 20; i++)
        a[i] = (uint8_t)i;
    for (int i = 0; i < 24; i++)
        p[i] = (uint8_t)(0x20 + i);
    tu_hex("7162015b4dac255d", w, sizeof(w));
    ccm_case(k, n, 7, a, 8, p, 4, 4, w);
    tu_hex("d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd", w, sizeof(w));
    ccm_case(k, n, 8, a, 16, p, 16, 6, w);
    tu_hex("e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", w, sizeof(w));
    ccm_case(k, n, 12, a, 20, p, 24, 8, w);
    /* lengths CCM* does not have */
    uint8_t d[4] = {0}, mic[16];
    assert_int_equal(plc_ccm_star_encrypt(k, n, 6, a, 0, d, 4, mic, 4), PLC_ERR_ARG);
    assert_int_equal(plc_ccm_star_encrypt(k, n, 13, a, 0, d, 4, mic, 3), PLC_ERR_ARG);
    assert_int_equal(plc_ccm_star_decrypt(k, n, 14, a, 0, d, 4, mic, 4), PLC_ERR_ARG);
    plc_aes_key_destroy(k);
}

/* IEEE 802.15.4-2006 C.2.2: MAC data frame, security level 4 (ENC, no MIC). */
static void test_ccm_star_ieee_c22(void **st)
{
    (void)st;
    plc_aes_key *k = key_of("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
    uint8_t nonce[13], plain[4] = {0x61, 0x62, 0x63, 0x64}, want[4];
    tu_hex("acde4800000000010000000504", nonce, 13);
    tu_hex("d43e022b", want, 4);
    ccm_case(k, nonce, 13, NULL, 0, plain, 4, 0, want);
    plc_aes_key_destroy(k);
}

static void test_cmac_rfc4493(void **st)
{
    (void)st;
    plc_aes_key *k = key_of("2b7e151628aed2a6abf7158809cf4f3c");
    uint8_t m[64], mac[16], want[16];
    tu_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710", m, 64);
    static const struct {
        size_t len;
        const char *mac;
    } ex[4] = {{0, "bb1d6929e95937287fa37d129b756746"},
               {16, "070a16b46b4d4144f79bdd9dd04a287c"},
               {40, "dfa66747de9ae63030ca32611497c827"},
               {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
    for (int i = 0; i < 4; i++) {
        tu_hex(ex[i].mac, want, 16);
        plc_aes_cmac(k, m, ex[i].len, mac);
        assert_memory_equal(mac, want, 16);
    }
    plc_aes_key_destroy(k);
}

static void test_oracle_cases(void **st)
{
    (void)st;
    FILE *f = fopen(tu_vector_path("oracle/crypto.txt"), "r");
    assert_non_null(f);
    static char line[2048], kind[8], k[40], n[40], a[512], p[512], w[600];
    unsigned ccm = 0, cmac = 0, tlen;
    while (fgets(line, sizeof(line), f)) {
        static uint8_t nb[16], ab[256], pb[256], wb[300];
        if (sscanf(line, "%7s", kind) != 1)
            continue;
        if (!strcmp(kind, "ccm")) {
            assert_int_equal(sscanf(line, "%*s %39s %39s %511s %511s %u %599s", k, n, a, p, &tlen, w), 6);
            plc_aes_key *key = key_of(k);
            const size_t nl = tu_hex(n, nb, 16), al = tu_hex(a, ab, 256), pl = tu_hex(p, pb, 256);
            assert_int_equal(tu_hex(w, wb, 300), pl + tlen);
            ccm_case(key, nb, nl, ab, al, pb, pl, tlen, wb);
            plc_aes_key_destroy(key);
            ccm++;
        } else if (!strcmp(kind, "cmac")) {
            assert_int_equal(sscanf(line, "%*s %39s %511s %599s", k, p, w), 3);
            plc_aes_key *key = key_of(k);
            uint8_t mac[16];
            const size_t pl = tu_hex(p, pb, 256);
            tu_hex(w, wb, 16);
            plc_aes_cmac(key, pb, pl, mac);
            assert_memory_equal(mac, wb, 16);
            plc_aes_key_destroy(key);
            cmac++;
        }
    }
    fclose(f);
    assert_int_equal(ccm, 120);
    assert_int_equal(cmac, 60);
}

int main(void)
{
    printf("crypto backend: %s\n", plc_crypto_backend());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes_fips197),
        cmocka_unit_test(test_ccm_nist_800_38c),
        cmocka_unit_test(test_ccm_star_ieee_c22),
        cmocka_unit_test(test_cmac_rfc4493),
        cmocka_unit_test(test_oracle_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
