/* Noise models of the simulated line match their parameters: Class A variance and impulse
 * rate, the mains-synchronous impulse period and phase, coloured background falling with
 * frequency at the configured power, tones, and reproducibility from the seed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_noise.h"

#define N 400000 /* one second */
static float x[N], y[N];

static double var(const float *v, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
    }
    return s2 / n - (s / n) * (s / n);
}

static void test_class_a_statistics(void **st)
{
    (void)st;
    plc_noise_config c;
    assert_int_equal(plc_noise_profile("impulsive", 0.5, &c), PLC_OK);
    plc_noise *nz = plc_noise_create(&c, 7);
    memset(x, 0, sizeof(x));
    const size_t hits = plc_noise_add(nz, x, N, 0);
    /* impulse rate 1 - e^-A = 9.52%: binomial sd over 400000 samples is 0.05% */
    assert_true(fabs((double)hits / N - (1 - exp(-0.1))) < 0.003);
    /* total variance sigma^2 = 0.25 (heavy-tailed: 4% tolerance) */
    assert_true(fabs(var(x, N) / 0.25 - 1.0) < 0.04);
    /* background only where no impulse is likely: the median |x| is far below sigma */
    size_t small = 0;
    for (size_t i = 0; i < N; i++)
        small += fabsf(x[i]) < 0.5 * sqrt(0.01 / 1.01) * 3;
    assert_true(small > N * 0.85);
    plc_noise_destroy(nz);
}

static void test_mains_synchronous_impulses(void **st)
{
    (void)st;
    plc_noise_config c;
    memset(&c, 0, sizeof(c));
    c.mains_hz = 50;
    c.impulses_per_cycle = 2;
    c.impulse_amp = 1.0;
    c.impulse_freq_hz = 60000;
    c.impulse_decay_us = 20;
    c.impulse_phase = 0.25; /* 5 ms into the cycle */
    plc_noise *nz = plc_noise_create(&c, 1);
    memset(x, 0, sizeof(x));
    plc_noise_add(nz, x, N, 0);
    /* onsets: a sample above 0.1 after 1 ms of quiet */
    uint64_t onsets[200];
    int n = 0;
    size_t quiet = 400;
    for (size_t i = 0; i < N && n < 200; i++) {
        if (fabsf(x[i]) > 0.1f && quiet >= 400)
            onsets[n++] = i;
        quiet = fabsf(x[i]) > 1e-3f ? 0 : quiet + 1;
    }
    assert_int_equal(n, 100); /* 100 Hz for one second */
    for (int k = 0; k < n; k++) /* 4000 samples apart, first at 5 ms = 2000 */
        assert_true(llabs((long long)onsets[k] - (2000 + 4000LL * k)) <= 2);
    /* the same noise whether generated in one block or in pieces (absolute time) */
    memset(y, 0, sizeof(y));
    for (size_t i = 0; i < N; i += 977)
        plc_noise_add(nz, y + i, N - i < 977 ? N - i : 977, i);
    for (size_t i = 0; i < N; i++)
        assert_true(fabsf(x[i] - y[i]) < 1e-6f);
    plc_noise_destroy(nz);
}

/* Power of x at frequency f (single-bin DFT over the buffer, normalised). */
static double tone_power(const float *v, size_t n, double f)
{
    double re = 0, im = 0;
    for (size_t i = 0; i < n; i++) {
        re += v[i] * cos(6.283185307179586 * f * i / 400000.0);
        im += v[i] * sin(6.283185307179586 * f * i / 400000.0);
    }
    return (re * re + im * im) / n;
}

static void test_coloured_and_tones(void **st)
{
    (void)st;
    plc_noise_config c;
    assert_int_equal(plc_noise_profile("residential", 0.1, &c), PLC_OK);
    c.impulses_per_cycle = 0; /* look at the background and the tone alone */
    c.awgn_sigma = 0;
    plc_noise *nz = plc_noise_create(&c, 3);
    memset(x, 0, sizeof(x));
    plc_noise_add(nz, x, N, 0);
    /* variance: coloured 0.01 plus the tone amp^2/2 = 0.02 */
    assert_true(fabs(var(x, N) - 0.03) < 0.002);
    /* background falls with frequency: average periodogram power near 40 kHz above 90 kHz */
    double lo = 0, hi = 0;
    for (int k = 0; k < 20; k++) {
        lo += tone_power(x, 40000, 38000 + 100 * k);
        hi += tone_power(x, 40000, 88000 + 100 * k);
    }
    assert_true(lo > 3 * hi);
    /* the interferer stands far above the background at its frequency */
    assert_true(tone_power(x, 40000, 71300) > 100 * lo / 20);
    plc_noise_destroy(nz);
}

static void test_reproducible_and_bad_config(void **st)
{
    (void)st;
    plc_noise_config c;
    assert_int_equal(plc_noise_profile("awgn", 0.2, &c), PLC_OK);
    plc_noise *a = plc_noise_create(&c, 9), *b = plc_noise_create(&c, 9);
    memset(x, 0, sizeof(x));
    memset(y, 0, sizeof(y));
    plc_noise_add(a, x, 1000, 0);
    plc_noise_add(b, y, 1000, 0);
    assert_memory_equal(x, y, 1000 * sizeof(float));
    assert_true(fabs(var(x, 1000) / 0.04 - 1.0) < 0.15);
    plc_noise_destroy(a);
    plc_noise_destroy(b);
    assert_int_equal(plc_noise_profile("thunderstorm", 1, &c), PLC_ERR_ARG);
    c.n_tones = 9;
    assert_null(plc_noise_create(&c, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_a_statistics),
        cmocka_unit_test(test_mains_synchronous_impulses),
        cmocka_unit_test(test_coloured_and_tones),
        cmocka_unit_test(test_reproducible_and_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
