/* CCM* through mbedTLS against published vectors, and the nonce layout.
 *  - NIST SP 800-38C Appendix C, Example 1: 4-byte MIC (the MIC-32 of ENC-MIC-32).
 *  - IEEE 802.15.4-2006 Annex C.2.2 (MAC data frame, level 4 ENC, no MIC): CCM*'s
 *    encryption-only mode with the standard's key, nonce and payload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_mac_sec.h"

static void test_nist_example1_mic32(void **state)
{
    (void)state;
    static const uint8_t key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                    0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
    static const uint8_t nonce[7] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16};
    static const uint8_t adata[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const uint8_t ct[4] = {0x71, 0x62, 0x01, 0x5b};
    static const uint8_t tag[4] = {0x4d, 0xac, 0x25, 0x5d};
    plc_mac_sec *s = plc_mac_sec_create();
    assert_non_null(s);
    assert_int_equal(plc_mac_sec_set_key(s, 1, key), PLC_OK);
    uint8_t data[4] = {0x20, 0x21, 0x22, 0x23}, mic[4];
    assert_int_equal(plc_mac_sec_encrypt(s, 1, nonce, 7, adata, 8, data, 4, mic, 4), PLC_OK);
    assert_memory_equal(data, ct, 4);
    assert_memory_equal(mic, tag, 4);
    assert_int_equal(plc_mac_sec_decrypt(s, 1, nonce, 7, adata, 8, data, 4, mic, 4), PLC_OK);
    static const uint8_t plain[4] = {0x20, 0x21, 0x22, 0x23};
    assert_memory_equal(data, plain, 4);
    /* a changed byte anywhere fails authentication and leaves no plaintext behind */
    memcpy(data, ct, 4);
    uint8_t bad_ad[8];
    memcpy(bad_ad, adata, 8);
    bad_ad[3] ^= 0x40;
    assert_int_equal(plc_mac_sec_decrypt(s, 1, nonce, 7, bad_ad, 8, data, 4, mic, 4), PLC_ERR_CRC);
    memcpy(data, ct, 4);
    data[0] ^= 1;
    assert_int_equal(plc_mac_sec_decrypt(s, 1, nonce, 7, adata, 8, data, 4, mic, 4), PLC_ERR_CRC);
    static const uint8_t zero[4] = {0};
    assert_memory_equal(data, zero, 4);
    /* key index 0 was never installed */
    assert_int_equal(plc_mac_sec_encrypt(s, 0, nonce, 7, adata, 8, data, 4, mic, 4), PLC_ERR_ARG);
    assert_int_equal(plc_mac_sec_has_key(s, 0), 0);
    plc_mac_sec_destroy(s);
}

static void test_ieee_c22_encryption_only(void **state)
{
    (void)state;
    static const uint8_t key[16] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7,
                                    0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF};
    plc_mac_sec *s = plc_mac_sec_create();
    assert_int_equal(plc_mac_sec_set_key(s, 0, key), PLC_OK);
    /* source ACDE480000000001, frame counter 5, level 4 */
    uint8_t nonce[13];
    plc_mac_nonce(0xACDE480000000001ull, 5, 4, nonce);
    static const uint8_t expect_nonce[13] = {0xAC, 0xDE, 0x48, 0, 0, 0, 0, 1, 0, 0, 0, 5, 4};
    assert_memory_equal(nonce, expect_nonce, 13);
    uint8_t data[4] = {0x61, 0x62, 0x63, 0x64};
    static const uint8_t expect[4] = {0xD4, 0x3E, 0x02, 0x2B};
    assert_int_equal(plc_mac_sec_encrypt(s, 0, nonce, 13, NULL, 0, data, 4, NULL, 0), PLC_OK);
    assert_memory_equal(data, expect, 4);
    plc_mac_sec_destroy(s);
}

static void test_short_address_nonce(void **state)
{
    (void)state;
    /* PAN id | 00 FF FE 00 | short address */
    assert_int_equal(plc_mac_nonce_addr_short(0x781D, 0x0042), 0x781D00FFFE000042ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_example1_mic32),
        cmocka_unit_test(test_ieee_c22_encryption_only),
        cmocka_unit_test(test_short_address_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
