/* Golden per-stage vectors (vectors/golden, written by tools/plc-vectors): every stage of
 * the transmit chain must match bit-exact, the scrambled stage must also equal the PSDU
 * XOR the published 127-bit scrambler sequence, and the receive chain must return the
 * PSDU / header from the interleaved bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_bits.h"
#include "plc_err.h"
#include "plc_fch.h"
#include "plc_fec.h"
#include "test_util.h"

static char line[65536];
static uint8_t expect[PLC_PHY_MAX_FRAME_BITS], got_bits[PLC_PHY_MAX_FRAME_BITS],
    coded[PLC_PHY_MAX_FRAME_BITS], repeated[PLC_PHY_MAX_FRAME_BITS];
static int8_t soft[PLC_PHY_MAX_FRAME_BITS];

static void get(const char *file, const char *key)
{
    if (tu_vector_line(file, key, line, sizeof(line)) != 0)
        fail_msg("%s: no '%s' line", file, key);
}

static void expect_bits(const char *file, const char *key, const uint8_t *bits, size_t n)
{
    get(file, key);
    assert_int_equal(plc_bits_from_string(line, expect, sizeof(expect)), (int)n);
    if (memcmp(expect, bits, n) != 0)
        fail_msg("%s: stage '%s' differs from the golden vector", file, key);
}

static void expect_hex(const char *file, const char *key, const uint8_t *bytes, size_t n)
{
    uint8_t buf[256];
    get(file, key);
    assert_int_equal(tu_parse_hex(line, buf, 256), (int)n);
    if (memcmp(buf, bytes, n) != 0)
        fail_msg("%s: stage '%s' differs from the golden vector", file, key);
}

static void check_payload(const char *name)
{
    char file[128];
    snprintf(file, sizeof(file), "golden/%s.txt", name);
    get(file, "mode");
    int mod = plc_mode_parse(line);
    assert_true(mod >= 0);
    get(file, "tonemap");
    unsigned tonemap = (unsigned)strtoul(line, NULL, 16);
    get(file, "tonemask");
    uint64_t tonemask = strtoull(line, NULL, 16);
    uint8_t psdu[256], scrambled[255], rs[255], out[255];
    get(file, "psdu");
    int len = tu_parse_hex(line, psdu, 256);
    assert_true(len > 0);

    unsigned m = plc_active_carriers(tonemap, tonemask, NULL);
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu((plc_modulation)mod, m, (size_t)len, &l), PLC_OK);
    get(file, "symbols");
    assert_int_equal(atoi(line), (int)l.symbols);

    plc_fec *fec = plc_fec_create();
    plc_fec_trace tr = {scrambled, rs, coded, repeated};
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, (size_t)len, got_bits, &tr), PLC_OK);
    expect_hex(file, "scrambled", scrambled, l.capacity);
    expect_hex(file, "rs_codeword", rs, l.rs_len);
    expect_bits(file, "coded", coded, l.coded_bits);
    expect_bits(file, "repeated", repeated, l.repeated_bits);
    expect_bits(file, "interleaved", got_bits, l.total_bits);

    /* independent check of the first stage: PSDU (zero-padded, MSB first) XOR the
     * published scrambler sequence */
    char seqline[1024];
    uint8_t seq[127];
    assert_int_equal(tu_vector_line("published/g3-cenelec-a-tables.txt", "scrambler_127", seqline,
                                    sizeof(seqline)), 0);
    assert_int_equal(plc_bits_from_string(seqline, seq, 127), 127);
    for (size_t k = 0; k < 8 * l.capacity; k++) {
        unsigned in = k / 8 < (size_t)len ? (psdu[k / 8] >> (7 - k % 8)) & 1u : 0u;
        unsigned sc = (scrambled[k / 8] >> (7 - k % 8)) & 1u;
        assert_int_equal(sc, in ^ seq[k % 127]);
    }

    /* and back */
    for (size_t k = 0; k < l.total_bits; k++)
        soft[k] = (int8_t)(got_bits[k] ? -32 : 32);
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, NULL, 0, out, NULL), PLC_OK);
    assert_memory_equal(out, psdu, (size_t)len);
    plc_fec_destroy(fec);
}

static void check_header(const char *name)
{
    char file[128];
    snprintf(file, sizeof(file), "golden/%s.txt", name);
    uint8_t hdr[8], back[PLC_FCH_CENELEC_BYTES];
    get(file, "header");
    assert_int_equal(tu_parse_hex(line, hdr, 8), PLC_FCH_CENELEC_BYTES);
    plc_fch f;
    assert_int_equal(plc_fch_unpack_cenelec(hdr, &f), PLC_OK);
    plc_fch_layout fl;
    assert_int_equal(plc_fch_layout_get(PLC_FCH_CENELEC_BITS, PLC_PHY_CARRIERS, &fl), PLC_OK);
    plc_fec *fec = plc_fec_create();
    plc_fec_trace tr = {NULL, NULL, coded, repeated};
    assert_int_equal(plc_fec_encode_fch(fec, &fl, hdr, got_bits, &tr), PLC_OK);
    expect_bits(file, "coded", coded, fl.coded_bits);
    expect_bits(file, "repeated", repeated, fl.repeated_bits);
    expect_bits(file, "interleaved", got_bits, fl.total_bits);
    for (size_t k = 0; k < fl.total_bits; k++)
        soft[k] = (int8_t)(got_bits[k] ? -32 : 32);
    assert_int_equal(plc_fec_decode_fch(fec, &fl, soft, back), PLC_OK);
    assert_memory_equal(back, hdr, PLC_FCH_CENELEC_BYTES);
    plc_fec_destroy(fec);
}

static void test_robo_40(void **s) { (void)s; check_payload("robo_40"); }
static void test_robo_133(void **s) { (void)s; check_payload("robo_133"); }
static void test_dbpsk_133(void **s) { (void)s; check_payload("dbpsk_133"); }
static void test_dbpsk_64_notched(void **s) { (void)s; check_payload("dbpsk_64_notched"); }
static void test_dqpsk_100_tm3b(void **s) { (void)s; check_payload("dqpsk_100_tm3b"); }
static void test_d8psk_239(void **s) { (void)s; check_payload("d8psk_239"); }
static void test_fch_sof(void **s) { (void)s; check_header("fch_sof"); }
static void test_fch_ack(void **s) { (void)s; check_header("fch_ack"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robo_40),        cmocka_unit_test(test_robo_133),
        cmocka_unit_test(test_dbpsk_133),      cmocka_unit_test(test_dbpsk_64_notched),
        cmocka_unit_test(test_dqpsk_100_tm3b), cmocka_unit_test(test_d8psk_239),
        cmocka_unit_test(test_fch_sof),        cmocka_unit_test(test_fch_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
