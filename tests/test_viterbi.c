/* K=7 convolutional encoder against IEEE 802.11 Annex G table G.8, and the Viterbi
 * decoder: round trips, error-free at high SNR, correction of scattered hard errors,
 * float and hard entry points, identical output of the portable and SIMD kernels, and
 * malformed arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_bits.h"
#include "plc_conv.h"
#include "plc_err.h"
#include "plc_viterbi.h"
#include "test_util.h"

#define MAXB 2048

static void test_encoder_80211_signal_field(void **state)
{
    (void)state;
    char rest[256];
    uint8_t in[3], expect[6], inbits[24], coded[60], expbits[48];
    assert_int_equal(tu_vector_line("published/ieee80211a-annex-g.txt", "G7_signal_bits", rest,
                                    sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, in, 3), 3);
    assert_int_equal(tu_vector_line("published/ieee80211a-annex-g.txt", "G8_signal_encoded", rest,
                                    sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, expect, 6), 6);
    plc_bits_unpack_msb(in, 24, inbits);
    plc_bits_unpack_msb(expect, 48, expbits);
    /* The SIGNAL field already ends in 6 zero tail bits: encode 18 bits + our 6-bit tail. */
    for (int k = 18; k < 24; k++)
        assert_int_equal(inbits[k], 0);
    plc_conv_encode(inbits, 18, coded);
    assert_memory_equal(coded, expbits, 48);
}

static void to_llr(const uint8_t *bits, size_t n, int8_t *llr, int amp)
{
    for (size_t k = 0; k < n; k++)
        llr[k] = (int8_t)(bits[k] ? -amp : amp);
}

static void test_roundtrip_all_lengths(void **state)
{
    (void)state;
    plc_viterbi *v = plc_viterbi_create(MAXB);
    assert_non_null(v);
    uint64_t rng = 3;
    static uint8_t bits[MAXB], coded[2 * MAXB + 12], out[MAXB];
    static int8_t llr[2 * MAXB + 12];
    const size_t lens[] = {1, 2, 7, 39, 66, 1192, 2040, MAXB};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        tu_rand_bits(&rng, bits, lens[i]);
        plc_conv_encode(bits, lens[i], coded);
        to_llr(coded, plc_conv_coded_len(lens[i]), llr, 100);
        memset(out, 0xAA, lens[i]);
        assert_int_equal(plc_viterbi_decode_soft(v, llr, lens[i], out), PLC_OK);
        assert_memory_equal(out, bits, lens[i]);
        assert_int_equal(plc_viterbi_decode_hard(v, coded, lens[i], out), PLC_OK);
        assert_memory_equal(out, bits, lens[i]);
    }
    plc_viterbi_destroy(v);
}

static void test_error_free_at_high_snr(void **state)
{
    (void)state;
    plc_viterbi *v = plc_viterbi_create(MAXB);
    uint64_t rng = 4;
    static uint8_t bits[1192], coded[2 * 1192 + 12], out[1192];
    static int8_t llr[2 * 1192 + 12];
    /* Eb/N0 = 6 dB at rate 1/2: Es/N0 = 3 dB, sigma^2 = 1/(2 Es/N0) */
    const double sigma = 0.5006;
    long errors = 0;
    for (int blk = 0; blk < 100; blk++) {
        tu_rand_bits(&rng, bits, 1192);
        plc_conv_encode(bits, 1192, coded);
        for (size_t k = 0; k < plc_conv_coded_len(1192); k++)
            llr[k] = tu_awgn_llr(&rng, coded[k], sigma, 32.0);
        plc_viterbi_decode_soft(v, llr, 1192, out);
        for (int k = 0; k < 1192; k++)
            errors += out[k] != bits[k];
    }
    assert_int_equal(errors, 0);
    plc_viterbi_destroy(v);
}

static void test_hard_decisions_correct_scattered_errors(void **state)
{
    (void)state;
    plc_viterbi *v = plc_viterbi_create(MAXB);
    uint64_t rng = 5;
    static uint8_t bits[500], coded[1012], out[500];
    tu_rand_bits(&rng, bits, 500);
    plc_conv_encode(bits, 500, coded);
    /* free distance 10: up to 4 errors per constraint span are always corrected; flip
     * two bits every 40 coded bits */
    for (size_t k = 5; k + 1 < sizeof(coded); k += 40) {
        coded[k] ^= 1;
        coded[k + 3] ^= 1;
    }
    assert_int_equal(plc_viterbi_decode_hard(v, coded, 500, out), PLC_OK);
    assert_memory_equal(out, bits, 500);
    plc_viterbi_destroy(v);
}

static void test_erasures_and_float_input(void **state)
{
    (void)state;
    plc_viterbi *v = plc_viterbi_create(MAXB);
    uint64_t rng = 6;
    static uint8_t bits[800], coded[1612], out[800];
    static int8_t llr[1612];
    static float fl[1612];
    tu_rand_bits(&rng, bits, 800);
    plc_conv_encode(bits, 800, coded);
    /* every fourth coded bit erased (LLR 0): a rate-2/3 puncturing the code survives */
    for (size_t k = 0; k < sizeof(coded); k++) {
        llr[k] = (k % 4 == 3) ? 0 : (coded[k] ? -50 : 50);
        fl[k] = (k % 4 == 3) ? 0.0f : (coded[k] ? -3.1f : 3.1f);
    }
    assert_int_equal(plc_viterbi_decode_soft(v, llr, 800, out), PLC_OK);
    assert_memory_equal(out, bits, 800);
    memset(out, 0, sizeof(out));
    assert_int_equal(plc_viterbi_decode_float(v, fl, 800, 16.0f, out), PLC_OK);
    assert_memory_equal(out, bits, 800);
    /* NaN counts as an erasure and huge values are clamped, not propagated */
    fl[10] = 0.0f / 0.0f;
    fl[11] = coded[11] ? -1e30f : 1e30f;
    fl[12] = coded[12] ? -1e30f : 1e30f;
    assert_int_equal(plc_viterbi_decode_float(v, fl, 800, 16.0f, out), PLC_OK);
    assert_memory_equal(out, bits, 800);
    plc_viterbi_destroy(v);
}

static void test_kernels_identical(void **state)
{
    (void)state;
    plc_viterbi *a = plc_viterbi_create(MAXB), *b = plc_viterbi_create(MAXB);
    assert_int_equal(plc_viterbi_set_kernel(a, PLC_VITERBI_PORTABLE), PLC_OK);
    if (plc_viterbi_set_kernel(b, PLC_VITERBI_SSE2) != PLC_OK) {
        print_message("no SIMD kernel in this build: nothing to compare\n");
        plc_viterbi_destroy(a);
        plc_viterbi_destroy(b);
        skip();
    }
    uint64_t rng = 7;
    static uint8_t bits[MAXB], coded[2 * MAXB + 12], oa[MAXB], ob[MAXB];
    static int8_t llr[2 * MAXB + 12];
    long differing = 0, decoded_errors = 0;
    for (int blk = 0; blk < 300; blk++) {
        size_t n = 1 + tu_rand_below(&rng, MAXB);
        tu_rand_bits(&rng, bits, n);
        plc_conv_encode(bits, n, coded);
        /* from hopeless (sigma 1.6) to clean, plus saturated values including -128 */
        double sigma = 0.3 + 1.3 * (blk % 10) / 9.0;
        for (size_t k = 0; k < plc_conv_coded_len(n); k++) {
            llr[k] = tu_awgn_llr(&rng, coded[k], sigma, 60.0);
            if (tu_rand_below(&rng, 50) == 0)
                llr[k] = (tu_rand(&rng) & 1) ? -128 : 127;
        }
        plc_viterbi_decode_soft(a, llr, n, oa);
        plc_viterbi_decode_soft(b, llr, n, ob);
        differing += memcmp(oa, ob, n) != 0;
        for (size_t k = 0; k < n; k++)
            decoded_errors += oa[k] != bits[k];
    }
    assert_int_equal(differing, 0);
    assert_true(decoded_errors > 0); /* the noisy blocks really did exercise ties and errors */
    plc_viterbi_destroy(a);
    plc_viterbi_destroy(b);
}

static void test_malformed_arguments(void **state)
{
    (void)state;
    assert_null(plc_viterbi_create(0));
    plc_viterbi *v = plc_viterbi_create(100);
    uint8_t out[200];
    int8_t llr[300] = {0};
    assert_int_equal(plc_viterbi_decode_soft(v, llr, 0, out), PLC_ERR_LENGTH);
    assert_int_equal(plc_viterbi_decode_soft(v, llr, 101, out), PLC_ERR_LENGTH);
    assert_int_equal(plc_viterbi_decode_soft(v, NULL, 10, out), PLC_ERR_ARG);
    assert_int_equal(plc_viterbi_decode_soft(NULL, llr, 10, out), PLC_ERR_ARG);
    float fl[300] = {0};
    assert_int_equal(plc_viterbi_decode_float(v, fl, 10, 0.0f, out), PLC_ERR_ARG);
    assert_int_equal(plc_viterbi_set_kernel(v, (plc_viterbi_kernel)99), PLC_ERR_ARG);
    /* all-erased input still decodes to something without crashing: all zeros by the
     * tie rule */
    assert_int_equal(plc_viterbi_decode_soft(v, llr, 100, out), PLC_OK);
    for (int k = 0; k < 100; k++)
        assert_int_equal(out[k], 0);
    plc_viterbi_destroy(v);
    plc_viterbi_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_80211_signal_field),
        cmocka_unit_test(test_roundtrip_all_lengths),
        cmocka_unit_test(test_error_free_at_high_snr),
        cmocka_unit_test(test_hard_decisions_correct_scattered_errors),
        cmocka_unit_test(test_erasures_and_float_input),
        cmocka_unit_test(test_kernels_identical),
        cmocka_unit_test(test_malformed_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
