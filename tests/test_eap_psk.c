/* EAX and EAP-PSK's cryptography against published and recomputed vectors
 * (../shared/spec/routing-g3.md section 5):
 *   - EAX: the first four vectors of the EAX paper (Bellare, Rogaway, Wagner);
 *   - EAP-PSK with PSK 00..0f, RAND_S 10..1f, RAND_P 20..2f, ID_S "FreeRADIUS", ID_P
 *     "bob@example.com": AK, KDK, TEK, MSK and EMSK (ends), MAC_P, MAC_S, and the protected
 *     channel of messages 3 and 4 (ciphertext and tag);
 *   - a changed header byte or tag fails and leaves the data as it was;
 *   - the key derivation and MACs of 20 random cases against python3-cryptography.
 * Runs on the host (the build's crypto backend) and on the target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "plc_eap_psk.h"
#include "plc_eax.h"
#include "plc_err.h"

static void test_eax_paper_vectors(void **st)
{
    (void)st;
    static const char *v[4][5] = {
        {"233952dee4d5ed5f9b9c6d6ff80ff478", "62ec67f9c3a4a407fcb2a8c49031a8b3",
         "6bfb914fd07eae6b", "", "e037830e8389f27b025a2d6527e79d01"},
        {"91945d3f4dcbee0bf45ef52255f095a4", "becaf043b0a23d843194ba972c66debd",
         "fa3bfd4806eb53fa", "f7fb", "19dd5c4c9331049d0bdab0277408f67967e5"},
        {"01f74ad64077f2e704c0f60ada3dd523", "70c3db4f0d26368400a10ed05d2bff5e",
         "234a3463c1264ac6", "1a47cb4933", "d851d5bae03a59f238a23e39199dc9266626c40f80"},
        {"d07cf6cbb7f313bdde66b727afd3c5e8", "8408dfff3c1a2b1292dc199e46b7d617",
         "33cce2eabff5a79d", "481c9e39b1", "632a9d131ad4c168a4225d8e1ff755939974a7bede"},
    };
    for (int i = 0; i < 4; i++) {
        uint8_t key[16], n[16], h[16], m[16], want[40], tag[16];
        tu_hex(v[i][0], key, sizeof(key));
        const size_t nl = tu_hex(v[i][1], n, sizeof(n)), hl = tu_hex(v[i][2], h, sizeof(h));
        const size_t ml = tu_hex(v[i][3], m, sizeof(m));
        tu_hex(v[i][4], want, sizeof(want));
        plc_aes_key *k = plc_aes_key_create(key);
        assert_non_null(k);
        uint8_t plain[16];
        memcpy(plain, m, ml);
        assert_int_equal(plc_eax_encrypt(k, n, nl, h, hl, m, ml, tag, 16), PLC_OK);
        assert_memory_equal(m, want, ml);
        assert_memory_equal(tag, want + ml, 16);
        assert_int_equal(plc_eax_decrypt(k, n, nl, h, hl, m, ml, tag, 16), PLC_OK);
        assert_memory_equal(m, plain, ml);
        plc_aes_key_destroy(k);
    }
}

static void test_eap_psk_keys_and_macs(void **st)
{
    (void)st;
    uint8_t psk[16], rs[16], rp[16], x[16];
    for (int i = 0; i < 16; i++) {
        psk[i] = (uint8_t)i;
        rs[i] = (uint8_t)(0x10 + i);
        rp[i] = (uint8_t)(0x20 + i);
    }
    plc_eap_psk_keys k;
    assert_int_equal(plc_eap_psk_ak_kdk(psk, &k), PLC_OK);
    tu_hex("18b62d2c84c5e4571afc41a29db71f4d", x, sizeof(x));
    assert_memory_equal(k.ak, x, 16);
    tu_hex("97b704350085028363924612565b9b0d", x, sizeof(x));
    assert_memory_equal(k.kdk, x, 16);
    assert_int_equal(plc_eap_psk_derive(rp, &k), PLC_OK);
    tu_hex("96a00b888b1f6b2f8e201ee96a2277f6", x, sizeof(x));
    assert_memory_equal(k.tek, x, 16);
    tu_hex("e282c7c3", x, sizeof(x));
    assert_memory_equal(k.msk, x, 4);
    tu_hex("355957d5", x, sizeof(x));
    assert_memory_equal(k.msk + 60, x, 4);
    tu_hex("d20b6b75", x, sizeof(x));
    assert_memory_equal(k.emsk, x, 4);
    tu_hex("7117ac92", x, sizeof(x));
    assert_memory_equal(k.emsk + 60, x, 4);
    static const char id_s[] = "FreeRADIUS", id_p[] = "bob@example.com";
    uint8_t mac[16];
    assert_int_equal(plc_eap_psk_mac_p(&k, (const uint8_t *)id_p, strlen(id_p),
                                       (const uint8_t *)id_s, strlen(id_s), rs, rp, mac),
                     PLC_OK);
    tu_hex("97b0ede689a3e4553d8b302258d19512", x, sizeof(x));
    assert_memory_equal(mac, x, 16);
    assert_int_equal(plc_eap_psk_mac_s(&k, (const uint8_t *)id_s, strlen(id_s), rp, mac), PLC_OK);
    tu_hex("25a1d646879eef187d1cc1ff177e266d", x, sizeof(x));
    assert_memory_equal(mac, x, 16);

    /* message 3: header 01 02 003b 2f 80 | RAND_S, nonce 0, plain 80 -> 8f, tag */
    uint8_t hdr[22], data[1] = {0x80}, tag[16];
    tu_hex("0102003b2f80", hdr, sizeof(hdr));
    memcpy(hdr + 6, rs, 16);
    assert_int_equal(plc_eap_psk_pchannel_seal(&k, 0, hdr, data, 1, tag), PLC_OK);
    assert_int_equal(data[0], 0x8f);
    tu_hex("47d644265cae5a689a40a47ac54ddf80", x, sizeof(x));
    assert_memory_equal(tag, x, 16);
    assert_int_equal(plc_eap_psk_pchannel_open(&k, 0, hdr, data, 1, tag), PLC_OK);
    assert_int_equal(data[0], 0x80);
    /* message 4: 02 02 002b 2f c0 | RAND_S, nonce 1 -> cc, tag */
    tu_hex("0202002b2fc0", hdr, sizeof(hdr));
    data[0] = 0x80;
    assert_int_equal(plc_eap_psk_pchannel_seal(&k, 1, hdr, data, 1, tag), PLC_OK);
    assert_int_equal(data[0], 0xcc);
    tu_hex("7a7a71527b1f047a77fbf0efa673f754", x, sizeof(x));
    assert_memory_equal(tag, x, 16);
    /* tampered: a header byte, the tag, the nonce: refused, data untouched */
    hdr[1] ^= 1;
    assert_int_equal(plc_eap_psk_pchannel_open(&k, 1, hdr, data, 1, tag), PLC_ERR_CRC);
    assert_int_equal(data[0], 0xcc);
    hdr[1] ^= 1;
    tag[0] ^= 0x80;
    assert_int_equal(plc_eap_psk_pchannel_open(&k, 1, hdr, data, 1, tag), PLC_ERR_CRC);
    tag[0] ^= 0x80;
    assert_int_equal(plc_eap_psk_pchannel_open(&k, 2, hdr, data, 1, tag), PLC_ERR_CRC);
    assert_int_equal(plc_eap_psk_pchannel_open(&k, 1, hdr, data, 1, tag), PLC_OK);
    assert_int_equal(data[0], 0x80);
}

/* 20 random cases of the key derivation and both MACs, as python3-cryptography computes
 * them from RFC 4764 (tests/gen_crypto_vectors.py; test_crypto_oracle.sh checks the file is
 * the oracle's): an independent implementation, not our own output. */
static void test_eap_psk_against_python_cryptography(void **st)
{
    (void)st;
    FILE *f = fopen(tu_vector_path("oracle/crypto.txt"), "r");
    assert_non_null(f);
    static char line[2048], w[12][140];
    unsigned cases = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "eappsk ", 7) != 0)
            continue;
        assert_int_equal(sscanf(line + 7, "%139s %139s %139s %139s %139s %139s %139s %139s %139s "
                                          "%139s %139s %139s",
                                w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9],
                                w[10], w[11]),
                         12);
        uint8_t psk[16], id_p[8], id_s[8], rs[16], rp[16], want[64], mac[16];
        assert_int_equal(tu_hex(w[0], psk, 16), 16);
        assert_int_equal(tu_hex(w[1], id_p, 8), 8);
        assert_int_equal(tu_hex(w[2], id_s, 8), 8);
        assert_int_equal(tu_hex(w[3], rs, 16), 16);
        assert_int_equal(tu_hex(w[4], rp, 16), 16);
        plc_eap_psk_keys k;
        assert_int_equal(plc_eap_psk_ak_kdk(psk, &k), PLC_OK);
        assert_int_equal(plc_eap_psk_derive(rp, &k), PLC_OK);
        const struct {
            const uint8_t *got;
            size_t len;
        } keys[] = {{k.ak, 16}, {k.kdk, 16}, {k.tek, 16}, {k.msk, 64}, {k.emsk, 64}};
        for (unsigned i = 0; i < 5; i++) {
            assert_int_equal(tu_hex(w[5 + i], want, sizeof(want)), keys[i].len);
            assert_memory_equal(keys[i].got, want, keys[i].len);
        }
        assert_int_equal(plc_eap_psk_mac_p(&k, id_p, 8, id_s, 8, rs, rp, mac), PLC_OK);
        tu_hex(w[10], want, 16);
        assert_memory_equal(mac, want, 16);
        assert_int_equal(plc_eap_psk_mac_s(&k, id_s, 8, rp, mac), PLC_OK);
        tu_hex(w[11], want, 16);
        assert_memory_equal(mac, want, 16);
        cases++;
    }
    fclose(f);
    assert_int_equal(cases, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eax_paper_vectors),
        cmocka_unit_test(test_eap_psk_keys_and_macs),
        cmocka_unit_test(test_eap_psk_against_python_cryptography),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
