/* OFDM modem: transmitter + streaming receiver under each condition the receiver must
 * handle, each its own test: every mode, partial tone map and tone mask, chunking, 60 dB of
 * amplitude, start offsets, back-to-back frames, +/-100 ppm sampling clock, DC offset,
 * truncation, pure noise, malformed samples, impulsive noise with the defence off and on,
 * a preamble arriving inside a frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "plc_channel.h"
#include "plc_err.h"
#include "plc_ofdm.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define MAXS 600000
#define MAXF 16

typedef struct capture {
    int n;
    plc_rx_frame f[MAXF];
} capture;

static void on_frame(const plc_rx_frame *f, void *user)
{
    capture *c = user;
    if (c->n < MAXF)
        c->f[c->n] = *f;
    c->n++;
}

static float stream[MAXS], tmp[MAXS];

static void fill_psdu(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed * 131u + i * 29u + (i >> 3));
}

/* Appends one frame at stream[*pos]; returns its length. */
static size_t put_frame(plc_tx *tx, plc_modulation mod, unsigned tonemap, size_t len,
                        unsigned seed, size_t *pos)
{
    uint8_t psdu[255];
    fill_psdu(psdu, len, seed);
    plc_tx_request rq = {.mod = mod, .tonemap = tonemap, .dt = PLC_DT_SOF_RESPONSE, .pdc = 0};
    size_t w = 0;
    assert_int_equal(plc_tx_frame(tx, &rq, psdu, len, stream + *pos, MAXS - *pos, &w), PLC_OK);
    *pos += w;
    return w;
}

/* Runs the receiver over n samples in chunks of `chunk`. */
static void receive(const float *x, size_t n, size_t chunk, const plc_rx_config *base,
                    capture *cap, plc_rx_stats *st)
{
    plc_rx_config cfg;
    if (base)
        cfg = *base;
    else
        plc_rx_config_default(&cfg);
    cfg.callback = on_frame;
    cfg.user = cap;
    memset(cap, 0, sizeof(*cap));
    plc_rx *rx = plc_rx_create(&cfg);
    assert_non_null(rx);
    for (size_t i = 0; i < n; i += chunk)
        assert_int_equal(plc_rx_push(rx, x + i, n - i < chunk ? n - i : chunk), PLC_OK);
    assert_int_equal(plc_rx_flush(rx), PLC_OK);
    if (st)
        plc_rx_get_stats(rx, st);
    plc_rx_destroy(rx);
}

static void expect_frame(const plc_rx_frame *f, plc_modulation mod, size_t len, unsigned seed)
{
    uint8_t psdu[255];
    fill_psdu(psdu, len, seed);
    assert_int_equal(f->status, PLC_RX_OK);
    assert_int_equal(f->header_ok, 1);
    assert_int_equal(f->fch.mod, mod);
    assert_true(f->psdu_len >= len);
    assert_memory_equal(f->psdu, psdu, len);
}

static void add_noise(size_t n, double snr_db, uint64_t seed)
{
    plc_rng r;
    plc_rng_seed(&r, seed);
    /* per-carrier amplitude 0.05 on 36 carriers: mean power 36 * 0.05^2 / 2 */
    double sigma = plc_channel_sigma_for_snr(0.045, 36, snr_db);
    plc_channel_apply(stream, n, 1.0, 0.0, sigma, &r);
}

static void test_loopback_every_mode(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 1000, starts[4];
    const size_t lens[4] = {133, 133, 200, 239};
    memset(stream, 0, sizeof(stream));
    for (int m = 0; m < 4; m++) {
        starts[m] = pos;
        put_frame(tx, (plc_modulation)m, 0x3F, lens[m], (unsigned)m, &pos);
        pos += 3000;
    }
    capture cap;
    plc_rx_stats st;
    receive(stream, pos, 4096, NULL, &cap, &st);
    assert_int_equal(cap.n, 4);
    for (int m = 0; m < 4; m++) {
        expect_frame(&cap.f[m], (plc_modulation)m, lens[m], (unsigned)m);
        assert_int_equal(cap.f[m].offset, starts[m]); /* exact on a clean signal */
        assert_true(cap.f[m].snr_db > 40.0f);
        assert_int_equal(cap.f[m].lqi, 255);
    }
    assert_int_equal(st.frames_ok, 4);
    assert_int_equal(st.header_errors + st.rs_failures + st.truncated, 0);
    plc_tx_destroy(tx);
}

static void test_partial_tonemap_and_tonemask(void **state)
{
    (void)state;
    plc_tx_config tc;
    plc_tx_config_default(&tc);
    tc.tonemask = PLC_TONEMASK_ALL & ~(0x7ull << 10); /* notch carriers 10..12 */
    plc_tx *tx = plc_tx_create(&tc);
    size_t pos = 500;
    memset(stream, 0, sizeof(stream));
    put_frame(tx, PLC_MOD_DQPSK, 0x15, 60, 7, &pos);
    pos += 2000;
    put_frame(tx, PLC_MOD_ROBO, 0x3B, 40, 8, &pos);
    pos += 2000;
    add_noise(pos, 15.0, 3);
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.tonemask = tc.tonemask;
    capture cap;
    receive(stream, pos, 1000, &rc, &cap, NULL);
    assert_int_equal(cap.n, 2);
    expect_frame(&cap.f[0], PLC_MOD_DQPSK, 60, 7);
    assert_int_equal(cap.f[0].fch.tm, 0x15);
    expect_frame(&cap.f[1], PLC_MOD_ROBO, 40, 8);
    assert_int_equal(cap.f[1].fch.tm, 0x3B);
    assert_true(cap.f[0].carrier_snr_db[11] < -90.0f); /* notched carrier not measured */
    plc_tx_destroy(tx);
}

static void test_any_chunk_size(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 777;
    memset(stream, 0, sizeof(stream));
    put_frame(tx, PLC_MOD_DBPSK, 0x3F, 100, 1, &pos);
    pos += 1234;
    put_frame(tx, PLC_MOD_D8PSK, 0x3F, 100, 2, &pos);
    pos += 500;
    add_noise(pos, 20.0, 4);
    const size_t chunks[] = {1, 7, 255, 256, 4096, 100000, MAXS};
    uint64_t off0 = 0, off1 = 0;
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        capture cap;
        receive(stream, pos, chunks[i], NULL, &cap, NULL);
        assert_int_equal(cap.n, 2);
        expect_frame(&cap.f[0], PLC_MOD_DBPSK, 100, 1);
        expect_frame(&cap.f[1], PLC_MOD_D8PSK, 100, 2);
        if (i == 0) {
            off0 = cap.f[0].offset;
            off1 = cap.f[1].offset;
        }
        assert_int_equal(cap.f[0].offset, off0); /* chunking changes nothing */
        assert_int_equal(cap.f[1].offset, off1);
    }
    plc_tx_destroy(tx);
}

static void test_amplitude_over_60_db(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    const double gains[] = {1e-3, 3e-2, 1.0, 4.0};
    for (size_t g = 0; g < 4; g++) {
        size_t pos = 321;
        memset(stream, 0, sizeof(stream));
        put_frame(tx, PLC_MOD_DQPSK, 0x3F, 120, 9, &pos);
        pos += 1000;
        add_noise(pos, 18.0, 10 + g);
        plc_rng r;
        plc_rng_seed(&r, 0);
        plc_channel_apply(stream, pos, gains[g], 0.0, 0.0, &r);
        capture cap;
        receive(stream, pos, 3000, NULL, &cap, NULL);
        assert_int_equal(cap.n, 1);
        expect_frame(&cap.f[0], PLC_MOD_DQPSK, 120, 9);
        assert_in_range((long)lroundf(cap.f[0].snr_db), 14, 22); /* SNR independent of gain */
    }
    plc_tx_destroy(tx);
}

static void test_any_start_offset(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    const size_t offsets[] = {0, 1, 129, 255, 256, 257, 4099, 12345};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        size_t pos = offsets[i];
        memset(stream, 0, sizeof(stream));
        put_frame(tx, PLC_MOD_DBPSK, 0x3F, 50, (unsigned)i, &pos);
        pos += 600;
        add_noise(pos, 12.0, 20 + i);
        capture cap;
        receive(stream, pos, 2048, NULL, &cap, NULL);
        assert_int_equal(cap.n, 1);
        expect_frame(&cap.f[0], PLC_MOD_DBPSK, 50, (unsigned)i);
        assert_true(llabs((long long)cap.f[0].offset - (long long)offsets[i]) <= 2);
    }
    plc_tx_destroy(tx);
}

static void test_back_to_back_frames(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 100;
    memset(stream, 0, sizeof(stream));
    for (unsigned i = 0; i < 6; i++)
        put_frame(tx, (plc_modulation)(i % 4), 0x3F, 30 + 10 * i, i, &pos); /* no gap */
    add_noise(pos + 500, 15.0, 30);
    capture cap;
    plc_rx_stats st;
    receive(stream, pos + 500, 999, NULL, &cap, &st);
    assert_int_equal(cap.n, 6);
    for (unsigned i = 0; i < 6; i++)
        expect_frame(&cap.f[i], (plc_modulation)(i % 4), 30 + 10 * i, i);
    assert_int_equal(st.frames_ok, 6);
    plc_tx_destroy(tx);
}

/* Resamples stream[0..n) as if the receiver's clock ran ppm slow (the line's resampler). */
static size_t resample(size_t n, double ppm)
{
    const size_t m = plc_channel_resample(stream, n, 1.0 + ppm * 1e-6, tmp, MAXS);
    memcpy(stream, tmp, m * sizeof(float));
    return m;
}

/* The clock-offset resampler keeps a carrier's amplitude and delay at every fractional
 * position: tones at the band edges, resampled at ratios that put samples at 0.5 (and
 * elsewhere), against the tone evaluated at the exact times. */
static void test_resampler_accuracy(void **state)
{
    (void)state;
    const double freqs[] = {35.9e3, 63e3, 90.6e3};
    const double ratios[] = {1.0 + 0.5 / 4000, 1.0 - 0.37 / 4000, 1.0 + 100e-6};
    for (int f = 0; f < 3; f++)
        for (int r = 0; r < 3; r++) {
            const double w = 6.283185307179586 * freqs[f] / 400e3;
            for (size_t i = 0; i < 8000; i++)
                stream[i] = (float)cos(w * (double)i + 0.3);
            const size_t m = plc_channel_resample(stream, 8000, ratios[r], tmp, MAXS);
            assert_true(m > 7900);
            double err = 0, sig = 0;
            for (size_t i = 100; i < m - 100; i++) { /* away from the ends */
                const double want = cos(w * (double)i * ratios[r] + 0.3);
                err += (tmp[i] - want) * (tmp[i] - want);
                sig += want * want;
            }
            assert_true(10.0 * log10(err / sig) < -60.0); /* 0.01 dB amplitude, 0.001 rad */
        }
}

static void test_sampling_clock_offset_100ppm(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    const double ppms[] = {100.0, -100.0};
    for (int p = 0; p < 2; p++) {
        size_t pos = 2000;
        memset(stream, 0, sizeof(stream));
        put_frame(tx, PLC_MOD_ROBO, 0x3F, 133, 1, &pos); /* 252 symbols: 7 samples of drift */
        pos += 1000;
        put_frame(tx, PLC_MOD_D8PSK, 0x3F, 239, 2, &pos);
        pos += 1000;
        put_frame(tx, PLC_MOD_DQPSK, 0x3F, 239, 3, &pos);
        pos += 1000;
        size_t n = resample(pos, ppms[p]);
        add_noise(n, 20.0, 40 + (unsigned)p);
        capture cap;
        receive(stream, n, 5000, NULL, &cap, NULL);
        assert_int_equal(cap.n, 3);
        expect_frame(&cap.f[0], PLC_MOD_ROBO, 133, 1);
        expect_frame(&cap.f[1], PLC_MOD_D8PSK, 239, 2);
        expect_frame(&cap.f[2], PLC_MOD_DQPSK, 239, 3);
    }
    plc_tx_destroy(tx);
}

static void test_dc_offset(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 3000;
    memset(stream, 0, sizeof(stream));
    put_frame(tx, PLC_MOD_DQPSK, 0x3F, 100, 5, &pos);
    pos += 1000;
    add_noise(pos, 15.0, 50);
    plc_rng r;
    plc_rng_seed(&r, 0);
    plc_channel_apply(stream, pos, 1.0, 0.7, 0.0, &r); /* DC 3x the signal RMS */
    capture cap;
    receive(stream, pos, 4096, NULL, &cap, NULL);
    assert_int_equal(cap.n, 1);
    expect_frame(&cap.f[0], PLC_MOD_DQPSK, 100, 5);
    plc_tx_destroy(tx);
}

static void test_truncated_frame_reported(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 1000;
    memset(stream, 0, sizeof(stream));
    size_t w = put_frame(tx, PLC_MOD_DBPSK, 0x3F, 200, 6, &pos);
    add_noise(pos, 20.0, 60);
    capture cap;
    plc_rx_stats st;
    receive(stream, 1000 + w / 2, 4096, NULL, &cap, &st); /* cut in the middle of the payload */
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.f[0].status, PLC_RX_TRUNCATED);
    assert_int_equal(cap.f[0].header_ok, 1);
    assert_int_equal(cap.f[0].psdu_len, 0);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.frames_ok, 0);
    /* cut inside the preamble */
    receive(stream, 1000 + 1500, 4096, NULL, &cap, &st);
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.f[0].status, PLC_RX_TRUNCATED);
    assert_int_equal(cap.f[0].header_ok, 0);
    plc_tx_destroy(tx);
}

static void test_pure_noise_delivers_nothing(void **state)
{
    (void)state;
    const size_t n = 400000; /* one second */
    memset(stream, 0, n * sizeof(float));
    plc_rng r;
    plc_rng_seed(&r, 70);
    plc_channel_apply(stream, n, 1.0, 0.0, 0.3, &r);
    capture cap;
    plc_rx_stats st;
    receive(stream, n, 8192, NULL, &cap, &st);
    int delivered = 0;
    for (int i = 0; i < cap.n && i < MAXF; i++)
        delivered += cap.f[i].status == PLC_RX_OK;
    assert_int_equal(delivered, 0);
    assert_int_equal(st.frames_ok, 0);
    /* every detection ended as a counted outcome */
    assert_true(st.detections == st.sync_lost + st.header_errors + st.rs_failures + st.truncated);
    print_message("1 s of noise: %llu detections, %llu sync lost, %llu header errors\n",
                  (unsigned long long)st.detections, (unsigned long long)st.sync_lost,
                  (unsigned long long)st.header_errors);
}

static void test_malformed_samples(void **state)
{
    (void)state;
    /* random bytes reinterpreted as float32: NaN, Inf, denormals, huge values */
    plc_rng r;
    plc_rng_seed(&r, 80);
    uint32_t *raw = (uint32_t *)(void *)tmp;
    for (size_t i = 0; i < 200000; i++)
        raw[i] = (uint32_t)plc_rng_next(&r);
    capture cap;
    plc_rx_stats st;
    receive(tmp, 200000, 5000, NULL, &cap, &st);
    assert_true(st.nonfinite_samples > 0);
    assert_int_equal(st.frames_ok, 0);
    /* a good frame after NaN/Inf still decodes */
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 2000;
    memset(stream, 0, sizeof(stream));
    for (size_t i = 0; i < 2000; i += 3)
        stream[i] = (i % 2) ? NAN : INFINITY;
    put_frame(tx, PLC_MOD_DBPSK, 0x3F, 64, 11, &pos);
    pos += 1000;
    receive(stream, pos, 1500, NULL, &cap, &st);
    assert_int_equal(cap.n, 1);
    expect_frame(&cap.f[0], PLC_MOD_DBPSK, 64, 11);
    assert_int_equal(st.nonfinite_samples, 667);
    /* zero-length input and bad arguments */
    plc_rx *rx = plc_rx_create(NULL);
    assert_int_equal(plc_rx_push(rx, NULL, 0), PLC_OK);
    assert_int_equal(plc_rx_push(rx, NULL, 5), PLC_ERR_ARG);
    assert_int_equal(plc_rx_push(NULL, stream, 5), PLC_ERR_ARG);
    assert_int_equal(plc_rx_flush(rx), PLC_OK);
    plc_rx_destroy(rx);
    /* transmitter argument errors */
    plc_tx_request rq = {.mod = PLC_MOD_ROBO, .tonemap = 0x3F};
    size_t w;
    uint8_t p[255] = {0};
    assert_int_equal(plc_tx_frame(tx, &rq, p, 200, stream, MAXS, &w), PLC_ERR_LENGTH);
    rq.tonemap = 0x40;
    assert_int_equal(plc_tx_frame(tx, &rq, p, 10, stream, MAXS, &w), PLC_ERR_ARG);
    rq.tonemap = 0x3F;
    assert_int_equal(plc_tx_frame(tx, &rq, p, 10, stream, 100, &w), PLC_ERR_BUFFER);
    plc_tx_destroy(tx);
}

/* Strong impulse bursts on a third of the payload symbols: without the defence the frame is
 * lost; with it the hit symbols are blanked, found destroyed and the frame decodes. */
static void test_impulse_bursts_defence(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 3000;
    memset(stream, 0, sizeof(stream));
    const size_t start = pos;
    put_frame(tx, PLC_MOD_DQPSK, PLC_TONEMAP_ALL, 200, 5, &pos);
    const size_t n = pos + 3000;
    add_noise(n, 15.0, 21);
    plc_rng r;
    plc_rng_seed(&r, 22);
    int bursts = 0;
    for (unsigned sym = 14; sym < 40; sym += 3, bursts++) { /* payload starts at symbol 13 */
        const size_t at = start + PLC_OFDM_SYMBOL_START(sym) + 40;
        for (size_t i = at; i < at + 80; i++)
            stream[i] += (float)(3.0 * plc_rng_gauss(&r)); /* ~14x the signal's RMS */
    }
    capture cap;
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    receive(stream, n, n, &cfg, &cap, NULL);
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.f[0].status, PLC_RX_RS_FAILED);

    cfg.impulse_blanking = 1;
    plc_rx_stats st;
    receive(stream, n, n, &cfg, &cap, &st);
    assert_int_equal(cap.n, 1);
    expect_frame(&cap.f[0], PLC_MOD_DQPSK, 200, 5);
    assert_int_equal(cap.f[0].symbols_erased, (unsigned)bursts);
    /* each burst's samples above the level, and (almost) nothing else: 80-sample bursts of
     * ~14x the signal's RMS, a symbol counts as destroyed from 40 blanked samples */
    printf("%d bursts: %llu samples blanked\n", bursts, (unsigned long long)st.blanked_samples);
    assert_true(st.blanked_samples >= (uint64_t)bursts * 40);
    assert_true(st.blanked_samples <= (uint64_t)bursts * 80 + 20);
    plc_tx_destroy(tx);
}

/* Middleton Class A noise (A = 0.1, Gamma = 0.01) at -8 dB in-band SNR: with the defence
 * every frame decodes, without it none does. */
static void test_class_a_defence(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 2000;
    memset(stream, 0, sizeof(stream));
    for (unsigned f = 0; f < 5; f++) {
        put_frame(tx, PLC_MOD_DBPSK, PLC_TONEMAP_ALL, 133, f, &pos);
        pos += 3000;
    }
    plc_rng r;
    plc_rng_seed(&r, 31);
    const double sigma = plc_channel_sigma_for_snr(0.045, 36, -8.0);
    const size_t hit = plc_channel_add_class_a(stream, pos, sigma, 0.1, 0.01, &r);
    assert_true(hit > pos / 12 && hit < pos / 9); /* 1 - e^-0.1 = 9.5% of the samples */
    capture cap;
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    receive(stream, pos, 4096, &cfg, &cap, NULL);
    for (int i = 0; i < cap.n && i < MAXF; i++)
        assert_int_not_equal(cap.f[i].status, PLC_RX_OK);
    cfg.impulse_blanking = 1;
    receive(stream, pos, 4096, &cfg, &cap, NULL);
    assert_int_equal(cap.n, 5);
    for (unsigned f = 0; f < 5; f++)
        expect_frame(&cap.f[f], PLC_MOD_DBPSK, 133, f);
    plc_tx_destroy(tx);
}

/* With the defence on, a frame right after exact digital zeros (the stream's start, and a
 * silent gap between two frames: a sample source that sends nothing between frames) is
 * received like any other, at every amplitude: the blanking level follows the signal. */
static void test_blanking_after_digital_zeros(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    static const float gains[] = {1.0f, 1e-3f, 20.0f};
    for (size_t g = 0; g < sizeof(gains) / sizeof(gains[0]); g++) {
        memset(stream, 0, sizeof(stream));
        size_t pos = 0, starts[3];
        for (unsigned f = 0; f < 3; f++) {
            starts[f] = pos;
            put_frame(tx, PLC_MOD_DQPSK, PLC_TONEMAP_ALL, 100, f, &pos);
            pos += 1500 * f + 700; /* exact zeros until the next one */
        }
        for (size_t i = 0; i < pos; i++)
            stream[i] *= gains[g];
        plc_rx_config cfg;
        plc_rx_config_default(&cfg);
        cfg.impulse_blanking = 1;
        capture cap;
        plc_rx_stats st;
        receive(stream, pos, 1000, &cfg, &cap, &st);
        assert_int_equal(cap.n, 3);
        for (unsigned f = 0; f < 3; f++) {
            expect_frame(&cap.f[f], PLC_MOD_DQPSK, 100, f);
            assert_int_equal(cap.f[f].offset, starts[f]);
            assert_true(cap.f[f].snr_db > 40.0f);
        }
        /* only in the window where silence turns into the preamble may a few samples fall
         * above the level of a half-silent window */
        assert_true(st.blanked_samples < 128);
    }
    plc_tx_destroy(tx);
}

/* With the defence on, the SNR reported from the preamble is within 1 dB of the true
 * in-band SNR from 10 to 30 dB (mean over frames on fresh noise), as with it off. */
static void test_blanking_snr_estimate(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    for (double snr = 10.0; snr <= 30.0; snr += 5.0) {
        memset(stream, 0, sizeof(stream));
        size_t pos = 3000;
        for (unsigned f = 0; f < 6; f++) {
            put_frame(tx, PLC_MOD_DBPSK, PLC_TONEMAP_ALL, 60, f, &pos);
            pos += 2000;
        }
        add_noise(pos, snr, 70 + (uint64_t)snr);
        for (int blank = 0; blank < 2; blank++) {
            plc_rx_config cfg;
            plc_rx_config_default(&cfg);
            cfg.impulse_blanking = blank;
            capture cap;
            receive(stream, pos, 4096, &cfg, &cap, NULL);
            assert_int_equal(cap.n, 6);
            double sum = 0;
            for (int f = 0; f < 6; f++) {
                expect_frame(&cap.f[f], PLC_MOD_DBPSK, 60, (unsigned)f);
                sum += cap.f[f].snr_db;
            }
            if (fabs(sum / 6 - snr) > 1.0)
                fail_msg("blanking %d, true SNR %.0f dB: reported %.2f dB", blank, snr, sum / 6);
        }
    }
    plc_tx_destroy(tx);
}

/* A frame cut short (its sender stopped) and followed by another: the receiver, inside the
 * first frame's payload, sees the second preamble, abandons the first and receives the
 * second. Without that it would stay deaf for the rest of the first frame's length. */
static void test_preamble_inside_payload(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    size_t pos = 1000;
    memset(stream, 0, sizeof(stream));
    put_frame(tx, PLC_MOD_ROBO, PLC_TONEMAP_ALL, 133, 1, &pos); /* 252 payload symbols */
    const size_t cut = 1000 + PLC_OFDM_SYMBOL_START(13 + 6);   /* header + 6 symbols */
    memset(stream + cut, 0, (pos - cut) * sizeof(float));
    pos = cut;
    const size_t second = pos;
    put_frame(tx, PLC_MOD_DQPSK, PLC_TONEMAP_ALL, 100, 2, &pos);
    add_noise(pos + 3000, 20.0, 61);
    capture cap;
    plc_rx_stats st;
    receive(stream, pos + 3000, 4096, NULL, &cap, &st);
    int ok = 0;
    for (int i = 0; i < cap.n && i < MAXF; i++) {
        if (cap.f[i].status != PLC_RX_OK)
            continue;
        ok++;
        expect_frame(&cap.f[i], PLC_MOD_DQPSK, 100, 2);
        assert_int_equal(cap.f[i].offset, second);
    }
    assert_int_equal(ok, 1);
    assert_int_equal(st.abandoned, 1);
    plc_tx_destroy(tx);
}

static void test_ack_frame(void **state)
{
    (void)state;
    plc_tx *tx = plc_tx_create(NULL);
    plc_tx_request rq = {.dt = PLC_DT_ACK, .ack_fcs = 0xC0DE, .pdc = 9};
    size_t w;
    memset(stream, 0, sizeof(stream));
    assert_int_equal(plc_tx_frame(tx, &rq, NULL, 0, stream + 500, MAXS - 500, &w), PLC_OK);
    assert_int_equal(w, plc_tx_frame_samples(tx, &rq, 0));
    assert_int_equal(w, 2432 + 13 * 278);
    capture cap;
    receive(stream, 500 + w + 500, 4096, NULL, &cap, NULL);
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.f[0].status, PLC_RX_OK);
    assert_int_equal(cap.f[0].fch.dt, PLC_DT_ACK);
    assert_int_equal(cap.f[0].fch.fcs, 0xC0DE);
    assert_int_equal(cap.f[0].psdu_len, 0);
    plc_tx_destroy(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_every_mode),
        cmocka_unit_test(test_partial_tonemap_and_tonemask),
        cmocka_unit_test(test_any_chunk_size),
        cmocka_unit_test(test_amplitude_over_60_db),
        cmocka_unit_test(test_any_start_offset),
        cmocka_unit_test(test_back_to_back_frames),
        cmocka_unit_test(test_resampler_accuracy),
        cmocka_unit_test(test_sampling_clock_offset_100ppm),
        cmocka_unit_test(test_dc_offset),
        cmocka_unit_test(test_truncated_frame_reported),
        cmocka_unit_test(test_pure_noise_delivers_nothing),
        cmocka_unit_test(test_malformed_samples),
        cmocka_unit_test(test_ack_frame),
        cmocka_unit_test(test_preamble_inside_payload),
        cmocka_unit_test(test_impulse_bursts_defence),
        cmocka_unit_test(test_class_a_defence),
        cmocka_unit_test(test_blanking_after_digital_zeros),
        cmocka_unit_test(test_blanking_snr_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
