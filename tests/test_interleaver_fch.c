/* 2-D interleaver (parameters, bijection for every m <= 72, spreading), repetition
 * combining, and frame control header packing with CRC checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_crc.h"
#include "plc_err.h"
#include "plc_fch.h"
#include "plc_interleaver.h"
#include "plc_repetition.h"
#include "test_util.h"

static void test_parameters_match_published_tables(void **state)
{
    (void)state;
    /* (m, m_i, m_j) rows of TI's interleaverSubCarrierParams.h, reduced modulo m */
    const unsigned mrows[][3] = {{36, 5, 7}, {30, 7, 11}, {42, 5, 11}, {72, 5, 7},
                                 {60, 7, 11}, {18, 5, 7}, {70, 3, 9}, {4, 3, 1}, {6, 5, 1}};
    /* (n, n_i, n_j) rows of interleaverSymbolParams.h */
    const unsigned nrows[][3] = {{36, 7, 5}, {4, 1, 3}, {5, 4, 3}, {9, 5, 4},
                                 {70, 9, 3}, {105, 8, 4}, {210, 13, 11}, {330, 13, 7},
                                 {462, 13, 5}, {756, 11, 5}, {13, 4, 3}, {252, 11, 5}};
    plc_interleaver il;
    for (size_t r = 0; r < sizeof(mrows) / sizeof(mrows[0]); r++) {
        assert_int_equal(plc_interleaver_init(&il, mrows[r][0], 36), PLC_OK);
        assert_int_equal(il.m_i, mrows[r][1]);
        assert_int_equal(il.m_j, mrows[r][2]);
    }
    for (size_t r = 0; r < sizeof(nrows) / sizeof(nrows[0]); r++) {
        assert_int_equal(plc_interleaver_init(&il, 36, nrows[r][0]), PLC_OK);
        assert_int_equal(il.n_i, nrows[r][1]);
        assert_int_equal(il.n_j, nrows[r][2]);
    }
}

static void test_bijection_every_carrier_count(void **state)
{
    (void)state;
    static uint8_t seen[65535];
    const unsigned ns[] = {1, 2, 3, 4, 13, 36, 72, 100, 252, 504, 756};
    plc_interleaver il;
    for (unsigned m = 1; m <= 72; m++) {
        for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
            const unsigned n = ns[t];
            assert_int_equal(plc_interleaver_init(&il, m, n), PLC_OK);
            const size_t total = (size_t)m * n;
            memset(seen, 0, total);
            for (size_t k = 0; k < total; k++) {
                size_t q = plc_interleaver_index(&il, k);
                assert_true(q < total);
                assert_int_equal(seen[q], 0);
                seen[q] = 1;
            }
        }
    }
    assert_int_equal(plc_interleaver_init(&il, 0, 5), PLC_ERR_LENGTH);
    assert_int_equal(plc_interleaver_init(&il, 72, 1000), PLC_ERR_LENGTH);
}

static void test_interleave_roundtrip_and_spreading(void **state)
{
    (void)state;
    plc_interleaver il;
    assert_int_equal(plc_interleaver_init(&il, 36, 36), PLC_OK);
    uint8_t in[1296], out[1296];
    int8_t soft[1296], back[1296];
    uint64_t rng = 9;
    tu_rand_bits(&rng, in, sizeof(in));
    plc_interleave_bits(&il, in, out);
    for (size_t k = 0; k < sizeof(out); k++)
        soft[k] = (int8_t)(out[k] ? -5 : 5);
    plc_deinterleave_soft(&il, soft, back);
    for (size_t k = 0; k < sizeof(in); k++)
        assert_int_equal(back[k], in[k] ? -5 : 5);
    /* consecutive coded bits never share a carrier or a bit slot */
    for (size_t k = 0; k + 1 < 1296; k++) {
        size_t a = plc_interleaver_index(&il, k), b = plc_interleaver_index(&il, k + 1);
        assert_int_not_equal(a % 36, b % 36);
        assert_int_not_equal(a / 36, b / 36);
    }
}

static void test_repetition_combining(void **state)
{
    (void)state;
    const uint8_t bits[3] = {1, 0, 1};
    uint8_t rep[12];
    plc_repeat_bits(bits, 3, 4, rep);
    const uint8_t expect[12] = {1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1};
    assert_memory_equal(rep, expect, 12);
    /* one copy wrong and strong loses against three weaker right copies; sums saturate */
    const int8_t soft[12] = {-20, 100, -100, -20, 100, -100, -20, 100, -100, 50, 100, -100};
    int8_t comb[3];
    plc_repeat_combine(soft, 3, 4, comb);
    assert_int_equal(comb[0], -10);
    assert_int_equal(comb[1], 127);
    assert_int_equal(comb[2], -127);
}

static void test_fch_cenelec_roundtrip_and_crc(void **state)
{
    (void)state;
    plc_fch f = {.pdc = 0xAB, .mod = 1, .fl = 5, .tm = 0x3F, .pms = 0, .dt = PLC_DT_SOF_RESPONSE};
    uint8_t buf[PLC_FCH_CENELEC_BYTES];
    assert_int_equal(plc_fch_pack_cenelec(&f, buf), PLC_OK);
    /* b0 = PDC, b1 = MOD|FL = 01 000101, b2 = 00 111111, b3 = PMS DT FCCS[4:1] */
    assert_int_equal(buf[0], 0xAB);
    assert_int_equal(buf[1], 0x45);
    assert_int_equal(buf[2], 0x3F);
    assert_int_equal(buf[3] >> 4, 0x1);
    /* published example: AB 45 3F 1x -> CRC 0x05 */
    assert_int_equal(((buf[3] & 0x0F) << 1) | (buf[4] >> 7), 0x05);
    assert_int_equal(buf[4] & 0x7F, 0);
    plc_fch g;
    assert_int_equal(plc_fch_unpack_cenelec(buf, &g), PLC_OK);
    assert_int_equal(g.pdc, 0xAB);
    assert_int_equal(g.mod, 1);
    assert_int_equal(g.fl, 5);
    assert_int_equal(g.tm, 0x3F);
    assert_int_equal(g.dt, PLC_DT_SOF_RESPONSE);
    /* every single-bit error in the 33 bits is detected */
    for (unsigned k = 0; k < 33; k++) {
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
        assert_int_equal(plc_fch_unpack_cenelec(buf, &g), PLC_ERR_CRC);
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
    }
    /* ACK carries the FCS of the acknowledged frame */
    plc_fch ack = {.pdc = 3, .dt = PLC_DT_ACK, .fcs = 0xBEEF};
    assert_int_equal(plc_fch_pack_cenelec(&ack, buf), PLC_OK);
    assert_int_equal(plc_fch_unpack_cenelec(buf, &g), PLC_OK);
    assert_int_equal(g.dt, PLC_DT_ACK);
    assert_int_equal(g.fcs, 0xBEEF);
}

static void test_fch_malformed(void **state)
{
    (void)state;
    uint8_t buf[PLC_FCH_FCC_BYTES];
    plc_fch f = {.mod = 4};
    assert_int_equal(plc_fch_pack_cenelec(&f, buf), PLC_ERR_FORMAT);
    f = (plc_fch){.fl = 64};
    assert_int_equal(plc_fch_pack_cenelec(&f, buf), PLC_ERR_FORMAT);
    f = (plc_fch){.tm = 64};
    assert_int_equal(plc_fch_pack_cenelec(&f, buf), PLC_ERR_FORMAT);
    f = (plc_fch){.dt = 4};
    assert_int_equal(plc_fch_pack_cenelec(&f, buf), PLC_ERR_FORMAT);
    f = (plc_fch){.pms = 2};
    assert_int_equal(plc_fch_pack_fcc(&f, buf), PLC_ERR_FORMAT);
    assert_int_equal(plc_fch_pack_cenelec(NULL, buf), PLC_ERR_ARG);
    assert_int_equal(plc_fch_unpack_cenelec(buf, NULL), PLC_ERR_ARG);
    /* a reserved DT value with a valid CRC is a format error, not a header */
    uint8_t raw[5] = {0x12, 0x34, 0x15, 0x40, 0};
    unsigned crc = plc_crc5_g3(raw, 28);
    raw[3] |= (uint8_t)(crc >> 1);
    raw[4] = (uint8_t)((crc & 1) << 7);
    plc_fch g;
    assert_int_equal(plc_fch_unpack_cenelec(raw, &g), PLC_ERR_FORMAT);
    /* random headers: the CRC-5 passes 1 in 32 by chance, and half of those carry a
     * reserved DT; everything else is a CRC error */
    uint64_t rng = 77;
    int accepted = 0, reserved = 0, crc_errors = 0;
    for (int t = 0; t < 32000; t++) {
        tu_rand_bytes(&rng, raw, 5);
        int rc = plc_fch_unpack_cenelec(raw, &g);
        accepted += rc == PLC_OK;
        reserved += rc == PLC_ERR_FORMAT;
        crc_errors += rc == PLC_ERR_CRC;
    }
    assert_int_equal(accepted + reserved + crc_errors, 32000);
    assert_in_range(accepted, 400, 600);
    assert_in_range(reserved, 400, 600);
}

static void test_fch_fcc_roundtrip(void **state)
{
    (void)state;
    plc_fch f = {.pdc = 0x5A, .mod = 5, .pms = 1, .dt = 0, .fl = 300, .tm = 0xABCDEF};
    uint8_t buf[PLC_FCH_FCC_BYTES];
    assert_int_equal(plc_fch_pack_fcc(&f, buf), PLC_OK);
    plc_fch g;
    assert_int_equal(plc_fch_unpack_fcc(buf, &g), PLC_OK);
    assert_int_equal(g.pdc, 0x5A);
    assert_int_equal(g.mod, 5);
    assert_int_equal(g.pms, 1);
    assert_int_equal(g.fl, 300);
    assert_int_equal(g.tm, 0xABCDEF);
    for (unsigned k = 0; k < 66; k++) {
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
        assert_int_equal(plc_fch_unpack_fcc(buf, &g), PLC_ERR_CRC);
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
    }
    plc_fch nack = {.dt = PLC_DT_NACK, .fcs = 0x1234};
    assert_int_equal(plc_fch_pack_fcc(&nack, buf), PLC_OK);
    assert_int_equal(plc_fch_unpack_fcc(buf, &g), PLC_OK);
    assert_int_equal(g.dt, PLC_DT_NACK);
    assert_int_equal(g.fcs, 0x1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameters_match_published_tables),
        cmocka_unit_test(test_bijection_every_carrier_count),
        cmocka_unit_test(test_interleave_roundtrip_and_spreading),
        cmocka_unit_test(test_repetition_combining),
        cmocka_unit_test(test_fch_cenelec_roundtrip_and_crc),
        cmocka_unit_test(test_fch_malformed),
        cmocka_unit_test(test_fch_fcc_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
