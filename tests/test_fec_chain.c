/* The whole coding chain (plc_fec): frame layouts, round trips in every mode and with a
 * partial tone map, noisy soft input, erasures handed to RS, detected failures, and the
 * frame control header path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_fch.h"
#include "plc_fec.h"
#include "plc_interleaver.h"
#include "test_util.h"

static uint8_t bits[PLC_PHY_MAX_FRAME_BITS];
static int8_t soft[PLC_PHY_MAX_FRAME_BITS];

static int setup(void **state)
{
    *state = plc_fec_create();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    plc_fec_destroy(*state);
    return 0;
}

static void test_layouts(void **state)
{
    (void)state;
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_ROBO, 36, 133, &l), PLC_OK);
    assert_int_equal(l.symbols, 252);
    assert_int_equal(l.fl, 63);
    assert_int_equal(l.capacity, 133);
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_ROBO, 36, 134, &l), PLC_ERR_LENGTH);
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 239, &l), PLC_OK);
    assert_int_equal(l.capacity, 239);
    assert_int_equal(l.symbols, 116); /* 4092 coded bits / 36 -> 114 -> 116 */
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 240, &l), PLC_ERR_LENGTH);
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_D8PSK, 36, 239, &l), PLC_OK);
    assert_int_equal(l.symbols, 40);
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DQPSK, 36, 1, &l), PLC_OK);
    assert_int_equal(l.symbols, 4);
    /* 4 DQPSK symbols on 36 carriers carry 288 bits: (144 - 6) / 8 = 17 RS bytes */
    assert_int_equal(l.capacity, 1);
    /* received FL gives the same layout */
    plc_payload_layout r;
    assert_int_equal(plc_payload_layout_for_fl(PLC_MOD_DQPSK, 36, l.fl, &r), PLC_OK);
    assert_memory_equal(&r, &l, sizeof(l));
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 0, &l), PLC_ERR_LENGTH);
    assert_int_equal(plc_payload_layout_for_psdu(7, 36, 10, &l), PLC_ERR_ARG);
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 0, 10, &l), PLC_ERR_LENGTH);
    assert_int_equal(plc_payload_layout_for_fl(PLC_MOD_ROBO, 36, 0, &l), PLC_ERR_LENGTH);
    assert_int_equal(plc_payload_layout_for_fl(PLC_MOD_ROBO, 36, 64, &l), PLC_ERR_LENGTH);
    /* tone map: groups of 6 carriers, tone mask notches single carriers */
    uint8_t idx[36];
    assert_int_equal(plc_active_carriers(0x3F, PLC_TONEMASK_ALL, idx), 36);
    assert_int_equal(plc_active_carriers(0x15, PLC_TONEMASK_ALL, idx), 18);
    assert_int_equal(idx[6], 12);
    assert_int_equal(plc_active_carriers(0x3F, PLC_TONEMASK_ALL & ~0x3ull, idx), 34);
    assert_int_equal(idx[0], 2);
}

static void to_soft(const uint8_t *b, size_t n, int amp)
{
    for (size_t k = 0; k < n; k++)
        soft[k] = (int8_t)(b[k] ? -amp : amp);
}

static void roundtrip(plc_fec *fec, plc_modulation mod, unsigned carriers, size_t len,
                      uint64_t seed)
{
    uint8_t psdu[255], out[255];
    uint64_t rng = seed;
    tu_rand_bytes(&rng, psdu, len);
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(mod, carriers, len, &l), PLC_OK);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, len, bits, NULL), PLC_OK);
    to_soft(bits, l.total_bits, 64);
    plc_fec_result res;
    memset(out, 0xEE, sizeof(out));
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, NULL, 0, out, &res), PLC_OK);
    assert_int_equal(res.rs_corrected, 0);
    assert_memory_equal(out, psdu, len);
    for (size_t k = len; k < l.capacity; k++) /* padding comes back as zeros */
        assert_int_equal(out[k], 0);
    assert_int_equal(out[l.capacity], 0xEE); /* and nothing beyond the capacity */
}

static void test_roundtrip_every_mode(void **state)
{
    plc_fec *fec = *state;
    const size_t lens[] = {1, 32, 133, 200, 239};
    for (int mod = PLC_MOD_ROBO; mod <= PLC_MOD_D8PSK; mod++)
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            if (mod == PLC_MOD_ROBO && lens[i] > 133)
                continue;
            roundtrip(fec, (plc_modulation)mod, 36, lens[i], 100 + i * 4 + (unsigned)mod);
        }
}

static void test_roundtrip_partial_tonemap(void **state)
{
    plc_fec *fec = *state;
    /* tone map 0x15: 18 carriers; tone mask notching two more: 16; down to 3 */
    const unsigned counts[] = {18, 16, 6, 3};
    for (size_t i = 0; i < 4; i++) {
        roundtrip(fec, PLC_MOD_DBPSK, counts[i], counts[i] >= 6 ? 60 : 4, 200 + i);
        roundtrip(fec, PLC_MOD_D8PSK, counts[i], counts[i] >= 6 ? 120 : 10, 300 + i);
        roundtrip(fec, PLC_MOD_ROBO, counts[i], counts[i] >= 16 ? 20 : (counts[i] >= 6 ? 10 : 1),
                  400 + i);
    }
    /* one ROBO RS block (9 bytes) needs 624 coded bits: more than 252 symbols of 1 carrier */
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_ROBO, 1, 1, &l), PLC_ERR_LENGTH);
}

static void test_noisy_soft_input_corrected(void **state)
{
    plc_fec *fec = *state;
    uint8_t psdu[200], out[255];
    uint64_t rng = 55;
    tu_rand_bytes(&rng, psdu, sizeof(psdu));
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DQPSK, 36, 200, &l), PLC_OK);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, 200, bits, NULL), PLC_OK);
    int rs_used = 0;
    for (int trial = 0; trial < 20; trial++) {
        /* Es/N0 about 2.5 dB per coded bit: Viterbi leaves a few byte errors for RS */
        for (size_t k = 0; k < l.total_bits; k++)
            soft[k] = tu_awgn_llr(&rng, bits[k], 0.72, 24.0);
        plc_fec_result res;
        assert_int_equal(plc_fec_decode_payload(fec, &l, soft, NULL, 0, out, &res), PLC_OK);
        assert_memory_equal(out, psdu, 200);
        rs_used += res.rs_corrected > 0;
    }
    assert_true(rs_used > 0); /* the noise level did make RS work */
}

/* Strong wrong soft values on the coded bits of RS bytes [first, last]. */
static void damage_bytes(const plc_payload_layout *l, size_t first, size_t last)
{
    plc_interleaver il;
    plc_interleaver_init(&il, l->carriers, (unsigned)(l->total_bits / l->carriers));
    for (size_t k = 16 * first; k < 16 * (last + 1); k++) {
        size_t q = plc_interleaver_index(&il, k);
        soft[q] = (int8_t)(-soft[q]);
    }
}

static void test_erasures_extend_correction(void **state)
{
    plc_fec *fec = *state;
    uint8_t psdu[150], out[255], sentinel[255];
    uint64_t rng = 66;
    tu_rand_bytes(&rng, psdu, sizeof(psdu));
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 150, &l), PLC_OK);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, 150, bits, NULL), PLC_OK);
    to_soft(bits, l.total_bits, 40);
    damage_bytes(&l, 40, 47); /* 8 bytes, and the Viterbi error spills into the neighbours:
                                * about 10 byte errors, more than t = 8 */
    memset(out, 0x5C, sizeof(out));
    memcpy(sentinel, out, sizeof(out));
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, NULL, 0, out, NULL),
                     PLC_ERR_UNCORRECTABLE);
    assert_memory_equal(out, sentinel, sizeof(out)); /* nothing delivered on failure */
    int eras[16];
    for (int i = 0; i < 16; i++)
        eras[i] = 39 + i;
    /* 39..46 flagged: the errors left (47 and the spill) keep 2e + 8 <= 14 */
    plc_fec_result res;
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, eras, 8, out, &res), PLC_OK);
    assert_memory_equal(out, psdu, 150);
    assert_int_equal(res.rs_erasures_used, 8);
    assert_true(res.rs_corrected >= 10);
    /* more erasures than half the parity are not trusted: errors only, which fails here */
    memcpy(out, sentinel, sizeof(out));
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, eras, 9, out, &res),
                     PLC_ERR_UNCORRECTABLE);
    assert_memory_equal(out, sentinel, sizeof(out));
}

/* Flags wrongly placed on good bytes cost nothing: the decode falls back to errors only
 * when the erasure decode does not keep its margin. */
static void test_wrong_erasures_fall_back(void **state)
{
    plc_fec *fec = *state;
    uint8_t psdu[150], out[255];
    uint64_t rng = 67;
    tu_rand_bytes(&rng, psdu, sizeof(psdu));
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 150, &l), PLC_OK);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, 150, bits, NULL), PLC_OK);
    to_soft(bits, l.total_bits, 40);
    damage_bytes(&l, 100, 105); /* 6 or 7 errors: 2*6 + 8 erasures > 14 */
    const int eras[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    plc_fec_result res;
    assert_int_equal(plc_fec_decode_payload(fec, &l, soft, eras, 8, out, &res), PLC_OK);
    assert_memory_equal(out, psdu, 150);
    assert_int_equal(res.rs_erasures_used, 0);
    assert_true(res.rs_corrected >= 6 && res.rs_corrected <= 8);
}

/* Symbol erasures map to RS bytes through the deinterleaver, as an independent count
 * with plc_interleaver_index says. */
static void test_symbol_erasures_to_rs_positions(void **state)
{
    plc_fec *fec = *state;
    plc_payload_layout l;
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DQPSK, 36, 120, &l), PLC_OK);
    uint8_t erased[PLC_PHY_MAX_SYMBOLS] = {0};
    int pos[255];
    assert_int_equal(plc_fec_payload_erasures(fec, &l, erased, pos, 255), 0);
    for (size_t s = 0; s < l.symbols; s++)
        erased[s] = 1;
    assert_int_equal(plc_fec_payload_erasures(fec, &l, erased, pos, 255), (int)l.rs_len);
    assert_int_equal(plc_fec_payload_erasures(fec, &l, erased, pos, 5), 5);

    memset(erased, 0, sizeof(erased));
    for (size_t s = l.symbols / 3; s < 2 * l.symbols / 3; s++)
        erased[s] = 1;
    const int n = plc_fec_payload_erasures(fec, &l, erased, pos, 255);
    plc_interleaver il;
    plc_interleaver_init(&il, l.carriers, (unsigned)(l.total_bits / l.carriers));
    const size_t per_symbol = l.total_bits / l.symbols;
    int want = 0;
    for (size_t j = 0; j < l.rs_len; j++) {
        size_t hi = 16 * j + 28 < l.coded_bits ? 16 * j + 28 : l.coded_bits, hit = 0;
        for (size_t t = 16 * j; t < hi; t++)
            hit += erased[plc_interleaver_index(&il, t) / per_symbol];
        if (2 * hit >= hi - 16 * j) {
            assert_true(want < n);
            assert_int_equal(pos[want], (int)j);
            want++;
        }
    }
    assert_int_equal(n, want);
    assert_true(n > 0 && n < (int)l.rs_len);
    assert_int_equal(plc_fec_payload_erasures(fec, NULL, erased, pos, 255), PLC_ERR_ARG);
}

static void test_pure_noise_is_rejected(void **state)
{
    plc_fec *fec = *state;
    uint64_t rng = 77;
    plc_payload_layout l;
    uint8_t out[255];
    int failures = 0;
    for (int trial = 0; trial < 50; trial++) {
        int mod = trial % 4;
        /* FL >= 5: the smallest ROBO payload that holds an RS block */
        assert_int_equal(plc_payload_layout_for_fl((plc_modulation)mod, 36, 5 + trial % 20, &l),
                         PLC_OK);
        for (size_t k = 0; k < l.total_bits; k++)
            soft[k] = (int8_t)(tu_rand(&rng) % 255 - 127);
        failures += plc_fec_decode_payload(fec, &l, soft, NULL, 0, out, NULL) ==
                    PLC_ERR_UNCORRECTABLE;
    }
    assert_int_equal(failures, 50);
}

static void test_malformed_calls(void **state)
{
    plc_fec *fec = *state;
    plc_payload_layout l;
    uint8_t psdu[10] = {0}, out[255];
    assert_int_equal(plc_payload_layout_for_psdu(PLC_MOD_DBPSK, 36, 10, &l), PLC_OK);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, 0, bits, NULL), PLC_ERR_LENGTH);
    assert_int_equal(plc_fec_encode_payload(fec, &l, psdu, l.capacity + 1, bits, NULL),
                     PLC_ERR_LENGTH);
    plc_payload_layout bad = l;
    bad.capacity += 1; /* a layout that was not computed by the library */
    assert_int_equal(plc_fec_encode_payload(fec, &bad, psdu, 10, bits, NULL), PLC_ERR_ARG);
    assert_int_equal(plc_fec_decode_payload(fec, &bad, soft, NULL, 0, out, NULL), PLC_ERR_ARG);
    assert_int_equal(plc_fec_decode_payload(fec, &l, NULL, NULL, 0, out, NULL), PLC_ERR_ARG);
    assert_int_equal(plc_fec_encode_payload(NULL, &l, psdu, 10, bits, NULL), PLC_ERR_ARG);
}

static void test_fch_through_chain(void **state)
{
    plc_fec *fec = *state;
    plc_fch_layout fl;
    assert_int_equal(plc_fch_layout_get(PLC_FCH_CENELEC_BITS, 36, &fl), PLC_OK);
    assert_int_equal(fl.symbols, 13);
    assert_int_equal(fl.total_bits, 468);
    assert_int_equal(fl.repeated_bits, 468);
    plc_fch_layout ffcc;
    assert_int_equal(plc_fch_layout_get(PLC_FCH_FCC_BITS, 72, &ffcc), PLC_OK);
    assert_int_equal(ffcc.symbols, 12);

    plc_fch f = {.pdc = 7, .mod = PLC_MOD_D8PSK, .fl = 10, .tm = 0x3F, .dt = 1};
    uint8_t hdr[PLC_FCH_CENELEC_BYTES], back[PLC_FCH_CENELEC_BYTES];
    assert_int_equal(plc_fch_pack_cenelec(&f, hdr), PLC_OK);
    assert_int_equal(plc_fec_encode_fch(fec, &fl, hdr, bits, NULL), PLC_OK);
    uint64_t rng = 88;
    /* x6 repetition and the code survive Es/N0 of -5 dB per coded bit */
    for (int trial = 0; trial < 20; trial++) {
        for (size_t k = 0; k < fl.total_bits; k++)
            soft[k] = tu_awgn_llr(&rng, bits[k], 1.25, 20.0);
        assert_int_equal(plc_fec_decode_fch(fec, &fl, soft, back), PLC_OK);
        plc_fch g;
        assert_int_equal(plc_fch_unpack_cenelec(back, &g), PLC_OK);
        assert_int_equal(g.fl, 10);
        assert_int_equal(g.mod, PLC_MOD_D8PSK);
    }
    /* noise alone: the CRC rejects it (1 in 32 would pass by chance; this seed does not) */
    int rejected = 0;
    for (int trial = 0; trial < 64; trial++) {
        for (size_t k = 0; k < fl.total_bits; k++)
            soft[k] = (int8_t)(tu_rand(&rng) % 255 - 127);
        plc_fec_decode_fch(fec, &fl, soft, back);
        plc_fch g;
        rejected += plc_fch_unpack_cenelec(back, &g) != PLC_OK;
    }
    assert_in_range(rejected, 56, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_roundtrip_every_mode),
        cmocka_unit_test(test_roundtrip_partial_tonemap),
        cmocka_unit_test(test_noisy_soft_input_corrected),
        cmocka_unit_test(test_erasures_extend_correction),
        cmocka_unit_test(test_wrong_erasures_fall_back),
        cmocka_unit_test(test_symbol_erasures_to_rs_positions),
        cmocka_unit_test(test_pure_noise_is_rejected),
        cmocka_unit_test(test_malformed_calls),
        cmocka_unit_test(test_fch_through_chain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
