/* SDR front end: frames go out to complex baseband at 1 and 2 MS/s (centre 63 kHz), through
 * a simulated capture (complex noise, a gain, a phase) and back to the 400 kS/s passband,
 * where the PHY receiver decodes them; the baseband occupies only the band around the
 * centre; impossible configurations are refused; without hardware the SoapySDR backend
 * fails with a clear message. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_rng.h"
#include "plc_port.h"
#include "plc_rx.h"
#include "plc_sdr_frontend.h"
#include "plc_tx.h"

#define N 120000

typedef struct got {
    int ok;
    uint8_t psdu[255];
    float snr;
} got;

static void on_frame(const plc_rx_frame *f, void *user)
{
    got *g = user;
    if (f->status == PLC_RX_OK) {
        g->ok++;
        memcpy(g->psdu, f->psdu, sizeof(g->psdu));
        g->snr = f->snr_db;
    }
}

/* |sum z e^{-j2pi f i / rate}|^2 over the samples */
static double bin_power(const float complex *z, size_t n, double f, double rate)
{
    double complex acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += z[i] * cexp(-I * 6.283185307179586 * f * (double)i / rate);
    return creal(acc * conj(acc));
}

static void round_trip(double rate)
{
    static float x[N], y[4 * N];
    static float complex z[15 * N / 2];
    memset(x, 0, sizeof(x));
    plc_tx *tx = plc_tx_create(NULL);
    uint8_t psdu[100];
    for (int i = 0; i < 100; i++)
        psdu[i] = (uint8_t)(i * 13 + 7);
    plc_tx_request rq = {.mod = PLC_MOD_DQPSK, .tonemap = PLC_TONEMAP_ALL};
    size_t w = 0;
    assert_int_equal(plc_tx_frame(tx, &rq, psdu, sizeof(psdu), x + 5000, N - 5000, &w), PLC_OK);
    plc_tx_destroy(tx);

    plc_sdr_config cfg;
    plc_sdr_config_default(&cfg);
    cfg.sdr_rate_hz = rate;
    plc_sdr_frontend *fe = plc_sdr_frontend_create(&cfg);
    assert_non_null(fe);
    assert_true(plc_sdr_baseband_len(fe, N) <= sizeof(z) / sizeof(z[0]));
    /* in odd chunks, as a driver would deliver them */
    size_t nz = 0;
    for (size_t i = 0; i < N; i += 777)
        nz += plc_sdr_to_baseband(fe, x + i, N - i < 777 ? N - i : 777, z + nz);
    assert_true(fabs((double)nz - N * rate / 400e3) < 64);

    /* the mixer's image (-2 x 63 kHz) is filtered out: a carrier at +20 kHz from the
     * centre against the image of that carrier, at -126 - 20 kHz */
    const double sig = bin_power(z, nz, 20e3, rate), image = bin_power(z, nz, -146e3, rate);
    assert_true(sig > 1e4 * image);

    /* the capture: gain 0.3, a phase, complex noise 30 dB below the signal */
    double ps = 0;
    for (size_t i = 0; i < nz; i++)
        ps += crealf(z[i] * conjf(z[i]));
    ps /= (double)nz;
    plc_rng r;
    plc_rng_seed(&r, 5);
    const float complex rot = 0.3f * cexpf(I * 1.1f);
    const double sd = sqrt(ps * 0.09 / 1000.0 / 2.0);
    for (size_t i = 0; i < nz; i++)
        z[i] = z[i] * rot + (float)(sd * plc_rng_gauss(&r)) + I * (float)(sd * plc_rng_gauss(&r));

    size_t ny = 0;
    for (size_t i = 0; i < nz; i += 1001)
        ny += plc_sdr_to_passband(fe, z + i, nz - i < 1001 ? nz - i : 1001, y + ny);
    assert_true(fabs((double)ny - N) < 64);
    plc_sdr_frontend_destroy(fe);

    got g = {0};
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.callback = on_frame;
    rc.user = &g;
    plc_rx *rx = plc_rx_create(&rc);
    plc_rx_push(rx, y, ny);
    plc_rx_flush(rx);
    plc_rx_destroy(rx);
    assert_int_equal(g.ok, 1);
    assert_memory_equal(g.psdu, psdu, sizeof(psdu));
    assert_true(g.snr > 20.0f); /* the front end itself adds little: the capture was 30 dB */
}

static void test_round_trip_1msps(void **s)
{
    (void)s;
    round_trip(1e6);
}

static void test_round_trip_2msps(void **s)
{
    (void)s;
    round_trip(2e6);
}

/* centroid in seconds of the squared magnitude of a pulse */
static double centroid_s(const float complex *z, const float *y, size_t n, double rate)
{
    double m0 = 0, m1 = 0;
    for (size_t i = 0; i < n; i++) {
        const double p = z ? crealf(z[i] * conjf(z[i])) : (double)y[i] * y[i];
        m0 += p;
        m1 += p * (double)i;
    }
    return m1 / m0 / rate;
}

/* The delays the front end states are the ones a pulse sees, to 1 us, both ways: timed
 * transmission through an SDR is placed by them. */
static void test_delays(void **s)
{
    (void)s;
    static float x[8000], y[8000];
    static float complex z[8000 * 5 + 64];
    const double rates[] = {250e3, 1e6, 2e6};
    for (unsigned r = 0; r < 3; r++) {
        plc_sdr_config cfg;
        plc_sdr_config_default(&cfg);
        cfg.sdr_rate_hz = rates[r];
        plc_sdr_frontend *fe = plc_sdr_frontend_create(&cfg);
        assert_non_null(fe);
        /* a 63 kHz tone under a Gaussian envelope at 10 ms */
        for (int i = 0; i < 8000; i++)
            x[i] = (float)(cos(6.283185307179586 * 63e3 * i / 400e3) *
                           exp(-pow((i - 4000) / 200.0, 2)));
        const size_t nz = plc_sdr_to_baseband(fe, x, 8000, z);
        const double down = centroid_s(z, NULL, nz, rates[r]) - 0.01;
        /* a Gaussian pulse at 10 ms in baseband */
        plc_sdr_frontend_reset(fe);
        for (size_t i = 0; i < nz; i++)
            z[i] = (float)exp(-pow((i / rates[r] - 0.01) / 0.0005, 2));
        const size_t ny = plc_sdr_to_passband(fe, z, nz, y);
        const double up = centroid_s(NULL, y, ny, 400e3) - 0.01;
        print_message("rate %.0f: to baseband %.2f us (stated %.2f), to passband %.2f us (stated %.2f)\n",
                      rates[r], down * 1e6, plc_sdr_to_baseband_delay_s(fe) * 1e6, up * 1e6,
                      plc_sdr_to_passband_delay_s(fe) * 1e6);
        assert_true(fabs(down - plc_sdr_to_baseband_delay_s(fe)) < 1e-6);
        assert_true(fabs(up - plc_sdr_to_passband_delay_s(fe)) < 1e-6);
        plc_sdr_frontend_destroy(fe);
    }
}

static void test_bad_configs(void **s)
{
    (void)s;
    plc_sdr_config c;
    plc_sdr_config_default(&c);
    c.sdr_rate_hz = 100e3;
    assert_null(plc_sdr_frontend_create(&c));
    plc_sdr_config_default(&c);
    c.centre_hz = 190e3; /* band would pass 200 kHz */
    assert_null(plc_sdr_frontend_create(&c));
    assert_null(plc_sdr_frontend_create(NULL));
}

/* No SDR hardware here: opening a device must fail with a message that says so. */
static void test_soapy_without_device(void **s)
{
    (void)s;
#ifdef PLC_HAVE_SOAPY
    plc_sdr_config c;
    plc_sdr_config_default(&c);
    char err[256] = "";
    assert_null(plc_port_soapy_create("driver=plcstack_no_such_device", &c, 63e3, 20, err,
                                      sizeof(err)));
    assert_non_null(strstr(err, "no SoapySDR device found"));
    assert_non_null(strstr(err, "plcstack_no_such_device"));
    c.sdr_rate_hz = 10; /* the front end refuses before any device is opened */
    assert_null(plc_port_soapy_create("", &c, 63e3, 20, err, sizeof(err)));
    assert_non_null(strstr(err, "out of range"));
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_1msps),
        cmocka_unit_test(test_round_trip_2msps),
        cmocka_unit_test(test_delays),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_soapy_without_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
