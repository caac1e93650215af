/* The real FFT: the portable implementation against a direct DFT in double precision, its
 * inverse, and the linked backend (FFTW on Linux builds) against the portable one. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "plc_fft.h"
#include "plc_fft_portable.h"
#include "plc_rng.h"

static void random_signal(float *x, unsigned n, uint64_t seed)
{
    plc_rng r;
    plc_rng_seed(&r, seed);
    for (unsigned i = 0; i < n; i++)
        x[i] = (float)plc_rng_gauss(&r);
}

/* Largest error over all bins, relative to sqrt(n) (the RMS size of a bin here). */
static double forward_error_vs_dft(unsigned n)
{
    float *x = malloc(n * sizeof(float));
    plc_cf *y = malloc((n / 2 + 1) * sizeof(plc_cf));
    random_signal(x, n, n);
    plc_fft_portable *f = plc_fft_portable_create(n);
    assert_non_null(f);
    plc_fft_portable_forward(f, x, y);
    double maxerr = 0;
    for (unsigned k = 0; k <= n / 2; k++) {
        double re = 0, im = 0;
        for (unsigned i = 0; i < n; i++) {
            const double a = -6.283185307179586 * (double)((uint64_t)k * i % n) / n;
            re += x[i] * cos(a);
            im += x[i] * sin(a);
        }
        maxerr = fmax(maxerr, fmax(fabs(re - y[k].re), fabs(im - y[k].im)));
    }
    plc_fft_portable_destroy(f);
    free(x);
    free(y);
    return maxerr / sqrt(n);
}

static void test_portable_matches_dft(void **state)
{
    (void)state;
    const unsigned sizes[] = {4, 8, 16, 64, 256, 1024};
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_true(forward_error_vs_dft(sizes[i]) < 1e-5);
}

static void test_portable_inverse_round_trip(void **state)
{
    (void)state;
    for (unsigned n = 4; n <= 4096; n *= 2) {
        float *x = malloc(n * sizeof(float)), *z = malloc(n * sizeof(float));
        plc_cf *y = malloc((n / 2 + 1) * sizeof(plc_cf));
        random_signal(x, n, 7);
        plc_fft_portable *f = plc_fft_portable_create(n);
        assert_non_null(f);
        plc_fft_portable_forward(f, x, y);
        plc_fft_portable_inverse(f, y, z);
        for (unsigned i = 0; i < n; i++)
            assert_true(fabsf(z[i] / (float)n - x[i]) < 2e-5f * (1.0f + fabsf(x[i])));
        plc_fft_portable_destroy(f);
        free(x);
        free(z);
        free(y);
    }
}

/* One carrier in, one cosine out: checks the inverse's conventions (no scaling, mirror). */
static void test_inverse_single_bin(void **state)
{
    (void)state;
    plc_fft *f = plc_fft_create(256);
    assert_non_null(f);
    plc_cf y[129] = {{0, 0}};
    y[40] = (plc_cf){0.5f, 0.25f};
    float z[256];
    plc_fft_inverse(f, y, z);
    for (unsigned i = 0; i < 256; i++) {
        const double a = 6.283185307179586 * 40 * i / 256;
        const double want = 2 * (0.5 * cos(a) - 0.25 * sin(a));
        assert_true(fabs(z[i] - want) < 1e-5);
    }
    plc_fft_destroy(f);
}

static void test_backend_agrees_with_portable(void **state)
{
    (void)state;
    for (unsigned n = 4; n <= 4096; n *= 2) {
        float *x = malloc(n * sizeof(float)), *za = malloc(n * sizeof(float));
        float *zb = malloc(n * sizeof(float));
        plc_cf *ya = malloc((n / 2 + 1) * sizeof(plc_cf)), *yb = malloc((n / 2 + 1) * sizeof(plc_cf));
        random_signal(x, n, 11);
        plc_fft *a = plc_fft_create(n);
        plc_fft_portable *b = plc_fft_portable_create(n);
        assert_non_null(a);
        assert_non_null(b);
        plc_fft_forward(a, x, ya);
        plc_fft_portable_forward(b, x, yb);
        const float tol = 1e-5f * sqrtf((float)n) * 4.0f;
        for (unsigned k = 0; k <= n / 2; k++) {
            assert_true(fabsf(ya[k].re - yb[k].re) < tol);
            assert_true(fabsf(ya[k].im - yb[k].im) < tol);
        }
        plc_fft_inverse(a, ya, za);
        plc_fft_portable_inverse(b, ya, zb);
        for (unsigned i = 0; i < n; i++)
            assert_true(fabsf(za[i] - zb[i]) < 1e-5f * (float)n * 4.0f);
        plc_fft_destroy(a);
        plc_fft_portable_destroy(b);
        free(x);
        free(za);
        free(zb);
        free(ya);
        free(yb);
    }
}

static void test_bad_sizes(void **state)
{
    (void)state;
    const unsigned bad[] = {0, 1, 2, 3, 100, 255, 8192};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(plc_fft_create(bad[i]));
        assert_null(plc_fft_portable_create(bad[i]));
    }
    plc_fft_destroy(NULL);
    plc_fft_portable_destroy(NULL);
}

int main(void)
{
    print_message("FFT backend: %s\n", plc_fft_backend());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable_matches_dft),
        cmocka_unit_test(test_portable_inverse_round_trip),
        cmocka_unit_test(test_inverse_single_bin),
        cmocka_unit_test(test_backend_agrees_with_portable),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
