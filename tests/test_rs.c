/* Reed-Solomon: published generator and codeword, correction up to the limit
 * (errors, erasures and mixes, counted over many random trials), detected failure beyond
 * it, and malformed arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_rs.h"
#include "test_util.h"

#define VEC "published/rs-255-239-example.txt"

static void test_generator_matches_published(void **state)
{
    (void)state;
    char rest[4096];
    int expect[17];
    assert_int_equal(tu_vector_line(VEC, "generator_t8", rest, sizeof(rest)), 0);
    assert_int_equal(tu_parse_dec(rest, expect, 17), 17);
    plc_rs *rs = plc_rs_create(16);
    assert_non_null(rs);
    uint8_t coef[17];
    plc_rs_generator(rs, coef);
    for (int i = 0; i < 17; i++)
        assert_int_equal(coef[i], expect[i]);
    plc_rs_destroy(rs);
}

static void test_shortened_codeword_matches_published(void **state)
{
    (void)state;
    char rest[8192];
    int data_dec[300];
    uint8_t data[255], parity_expect[16], parity[16];
    assert_int_equal(tu_vector_line(VEC, "data", rest, sizeof(rest)), 0);
    int k = tu_parse_dec(rest, data_dec, 300);
    assert_int_equal(k, 235);
    for (int i = 0; i < k; i++)
        data[i] = (uint8_t)data_dec[i];
    assert_int_equal(tu_vector_line(VEC, "parity", rest, sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, parity_expect, 16), 16);

    plc_rs *rs = plc_rs_create(16);
    assert_int_equal(plc_rs_encode(rs, data, (size_t)k, parity), PLC_OK);
    assert_memory_equal(parity, parity_expect, 16);

    /* and the decoder repairs 8 errors in that codeword */
    uint8_t cw[251];
    memcpy(cw, data, 235);
    memcpy(cw + 235, parity, 16);
    const int pos[8] = {0, 17, 100, 101, 200, 234, 235, 250};
    for (int i = 0; i < 8; i++)
        cw[pos[i]] ^= (uint8_t)(0x5A + i);
    int where[16];
    assert_int_equal(plc_rs_decode(rs, cw, 251, NULL, 0, where), 8);
    assert_memory_equal(cw, data, 235);
    assert_memory_equal(cw + 235, parity, 16);
    plc_rs_destroy(rs);
}

/* Corrupts e distinct random positions with nonzero error values, plus s erasures (which
 * may or may not change the byte). Positions are distinct across both sets. */
static void corrupt(uint64_t *rng, uint8_t *cw, int n, int e, int s, int *eras)
{
    int used[255] = {0};
    for (int i = 0; i < e + s; i++) {
        int p;
        do
            p = (int)tu_rand_below(rng, (unsigned)n);
        while (used[p]);
        used[p] = 1;
        if (i < e)
            cw[p] ^= (uint8_t)(1 + tu_rand_below(rng, 255));
        else {
            cw[p] = (uint8_t)tu_rand(rng);
            eras[i - e] = p;
        }
    }
}

static void check_within_capability(unsigned nroots, uint64_t seed, int trials)
{
    plc_rs *rs = plc_rs_create(nroots);
    assert_non_null(rs);
    uint64_t rng = seed;
    uint8_t ref[255], cw[255];
    int eras[32];
    int ok = 0;
    for (int t = 0; t < trials; t++) {
        int k = 1 + (int)tu_rand_below(&rng, 255 - nroots);
        int n = k + (int)nroots;
        tu_rand_bytes(&rng, ref, (size_t)k);
        assert_int_equal(plc_rs_encode(rs, ref, (size_t)k, ref + k), PLC_OK);
        /* pick s erasures and e errors with 2e + s <= nroots, limited by n */
        int s = (int)tu_rand_below(&rng, nroots + 1);
        int e = (int)tu_rand_below(&rng, (unsigned)((int)nroots - s) / 2 + 1);
        if (e + s > n)
            continue;
        memcpy(cw, ref, (size_t)n);
        corrupt(&rng, cw, n, e, s, eras);
        int rc = plc_rs_decode(rs, cw, (size_t)n, eras, s, NULL);
        assert_true(rc >= 0);
        assert_true(rc <= e + s);
        assert_memory_equal(cw, ref, (size_t)n);
        ok++;
    }
    assert_true(ok > trials * 9 / 10);
    plc_rs_destroy(rs);
}

static void test_corrects_up_to_capability_t8(void **state)
{
    (void)state;
    check_within_capability(16, 11, 4000);
}

static void test_corrects_up_to_capability_t4(void **state)
{
    (void)state;
    check_within_capability(8, 12, 4000);
}

static void test_exact_limits(void **state)
{
    (void)state;
    /* exactly t errors, exactly 2t erasures, full-length and shortened codewords */
    const unsigned nr[2] = {16, 8};
    const int lens[3] = {255, 100, 30};
    uint64_t rng = 5;
    for (int c = 0; c < 2; c++) {
        plc_rs *rs = plc_rs_create(nr[c]);
        for (int L = 0; L < 3; L++) {
            const int n = lens[L], k = n - (int)nr[c];
            for (int trial = 0; trial < 200; trial++) {
                uint8_t ref[255], cw[255];
                int eras[32];
                tu_rand_bytes(&rng, ref, (size_t)k);
                plc_rs_encode(rs, ref, (size_t)k, ref + k);
                memcpy(cw, ref, (size_t)n);
                corrupt(&rng, cw, n, (int)nr[c] / 2, 0, eras);
                assert_int_equal(plc_rs_decode(rs, cw, (size_t)n, NULL, 0, NULL), (int)nr[c] / 2);
                assert_memory_equal(cw, ref, (size_t)n);
                memcpy(cw, ref, (size_t)n);
                corrupt(&rng, cw, n, 0, (int)nr[c], eras);
                assert_true(plc_rs_decode(rs, cw, (size_t)n, eras, (int)nr[c], NULL) >= 0);
                assert_memory_equal(cw, ref, (size_t)n);
            }
        }
        plc_rs_destroy(rs);
    }
}

/* Beyond the limit the decoder must say so; when it does not, its output must at least
 * be a valid codeword (a miscorrection, which no decoder can detect), never garbage. */
static void check_beyond(unsigned nroots, int n, double max_miscorrect, uint64_t seed)
{
    plc_rs *rs = plc_rs_create(nroots);
    uint64_t rng = seed;
    const int trials = 3000, k = n - (int)nroots;
    int failed = 0, miscorrected = 0;
    for (int t = 0; t < trials; t++) {
        uint8_t ref[255], cw[255], before[255], parity[32];
        int eras[32];
        tu_rand_bytes(&rng, ref, (size_t)k);
        plc_rs_encode(rs, ref, (size_t)k, ref + k);
        memcpy(cw, ref, (size_t)n);
        /* one more error than correctable, sometimes with erasures */
        int s = (t % 3 == 0) ? 2 : 0;
        int e = ((int)nroots - s) / 2 + 1;
        corrupt(&rng, cw, n, e, s, eras);
        memcpy(before, cw, (size_t)n);
        int rc = plc_rs_decode(rs, cw, (size_t)n, eras, s, NULL);
        if (rc == PLC_ERR_UNCORRECTABLE) {
            assert_memory_equal(cw, before, (size_t)n); /* untouched on failure */
            failed++;
            continue;
        }
        assert_true(rc >= 0);
        assert_memory_not_equal(cw, ref, (size_t)n);
        plc_rs_encode(rs, cw, (size_t)k, parity);
        assert_memory_equal(parity, cw + k, nroots); /* a codeword, just the wrong one */
        miscorrected++;
    }
    print_message("RS nroots=%u n=%d, t+1 errors: %d/%d reported uncorrectable, %d miscorrected\n",
                  nroots, n, failed, trials, miscorrected);
    assert_int_equal(failed + miscorrected, trials);
    assert_true(miscorrected <= max_miscorrect * trials);
    plc_rs_destroy(rs);
}

static void test_failure_reported_beyond_capability(void **state)
{
    (void)state;
    /* Miscorrection probability is about V(t)/256^(2t-s): ~1e-5 for t=8; for t=4 about 4%
     * with errors only and 15% with 2 erasures, ~8% for this mix. */
    check_beyond(16, 255, 0.002, 21);
    check_beyond(16, 60, 0.002, 22);
    check_beyond(8, 255, 0.12, 23);
    check_beyond(8, 141, 0.12, 24);
}

static void test_malformed_arguments(void **state)
{
    (void)state;
    assert_null(plc_rs_create(0));
    assert_null(plc_rs_create(7));
    assert_null(plc_rs_create(34));
    plc_rs *rs = plc_rs_create(16);
    uint8_t buf[256] = {0}, parity[16];
    assert_int_equal(plc_rs_encode(rs, buf, 0, parity), PLC_ERR_LENGTH);
    assert_int_equal(plc_rs_encode(rs, buf, 240, parity), PLC_ERR_LENGTH);
    assert_int_equal(plc_rs_encode(rs, NULL, 10, parity), PLC_ERR_ARG);
    assert_int_equal(plc_rs_decode(rs, buf, 256, NULL, 0, NULL), PLC_ERR_LENGTH);
    assert_int_equal(plc_rs_decode(rs, buf, 16, NULL, 0, NULL), PLC_ERR_LENGTH);
    assert_int_equal(plc_rs_decode(rs, buf, 100, NULL, 3, NULL), PLC_ERR_ARG);
    int bad[2] = {5, 100};
    assert_int_equal(plc_rs_decode(rs, buf, 100, bad, 2, NULL), PLC_ERR_ARG);
    int many[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    assert_int_equal(plc_rs_decode(rs, buf, 100, many, 17, NULL), PLC_ERR_UNCORRECTABLE);
    assert_int_equal(plc_rs_decode(rs, buf, 100, NULL, -1, NULL), PLC_ERR_ARG);
    /* the all-zero word is a codeword; a valid word with erasures decodes to itself */
    assert_int_equal(plc_rs_decode(rs, buf, 100, many, 16, NULL), 0);
    plc_rs_destroy(rs);
    plc_rs_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_matches_published),
        cmocka_unit_test(test_shortened_codeword_matches_published),
        cmocka_unit_test(test_corrects_up_to_capability_t8),
        cmocka_unit_test(test_corrects_up_to_capability_t4),
        cmocka_unit_test(test_exact_limits),
        cmocka_unit_test(test_failure_reported_beyond_capability),
        cmocka_unit_test(test_malformed_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
