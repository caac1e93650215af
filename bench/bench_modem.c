/* Modem throughput on one core: transmitter and receiver samples per second and times real
 * time (400 kS/s), per mode, against liquid-dsp's ofdmflexframegen/ofdmflexframesync in the
 * same run. Both receivers see a stream of 133-byte frames with a gap of noise between
 * them at 15 dB in-band SNR; ours decodes fully (Viterbi + RS), liquid runs uncoded QPSK
 * (Debian's liquid has no conv/RS), M=256, cp 30, taper 8, 36 data carriers on bins
 * 24..59 (its sync does not lock on 23..58) plus two pilots on bins 22 and 61.
 *   bench_modem [seconds-of-signal-per-run]      (default 10) */
#define _POSIX_C_SOURCE 200809L
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liquid/liquid.h>

#include "bench_clock.h"
#include "plc_channel.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define PSDU 133
#define GAP 4000
#define SNR_DB 20.0

typedef struct result {
    double tx_msps, rx_msps;
    int frames, decoded;
} result;

static void count_ok(const plc_rx_frame *f, void *user)
{
    *(int *)user += f->status == PLC_RX_OK;
}

static result run_ours(plc_modulation mod, const uint8_t *psdu, float *x, size_t cap)
{
    result r = {0};
    plc_tx *tx = plc_tx_create(NULL);
    plc_tx_request rq = {.mod = mod, .tonemap = PLC_TONEMAP_ALL};
    size_t n = 0, w;
    double t0 = now_s();
    while (n + 80000 + GAP < cap) {
        plc_tx_frame(tx, &rq, psdu, PSDU, x + n, cap - n, &w);
        n += w;
        memset(x + n, 0, GAP * sizeof(float));
        n += GAP;
        r.frames++;
    }
    r.tx_msps = n / (now_s() - t0) / 1e6;
    plc_tx_destroy(tx);

    plc_rng rng;
    plc_rng_seed(&rng, 1);
    plc_channel_apply(x, n, 1.0, 0.0, plc_channel_sigma_for_snr(0.045, 36, SNR_DB), &rng);
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    cfg.callback = count_ok;
    cfg.user = &r.decoded;
    plc_rx *rx = plc_rx_create(&cfg);
    t0 = now_s();
    plc_rx_push(rx, x, n);
    plc_rx_flush(rx);
    r.rx_msps = n / (now_s() - t0) / 1e6;
    plc_rx_destroy(rx);
    return r;
}

static int liquid_ok(unsigned char *h, int hv, unsigned char *p, unsigned pl, int pv,
                     framesyncstats_s s, void *user)
{
    (void)h, (void)p, (void)s;
    *(int *)user += hv && pv && pl == PSDU;
    return 0;
}

static result run_liquid(const uint8_t *psdu, float complex *x, size_t cap)
{
    result r = {0};
    unsigned char p[256] = {0};
    for (unsigned k = 24; k <= 59; k++)
        p[k] = OFDMFRAME_SCTYPE_DATA;
    p[22] = p[61] = OFDMFRAME_SCTYPE_PILOT;
    ofdmflexframegenprops_s props;
    ofdmflexframegenprops_init_default(&props);
    props.check = LIQUID_CRC_32;
    props.fec0 = LIQUID_FEC_NONE;
    props.fec1 = LIQUID_FEC_NONE;
    props.mod_scheme = LIQUID_MODEM_QPSK;
    ofdmflexframegen fg = ofdmflexframegen_create(256, 30, 8, p, &props);
    unsigned char header[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n = 0;
    const unsigned chunk = 256 + 30;
    double t0 = now_s();
    while (n + 80000 + GAP < cap) {
        ofdmflexframegen_assemble(fg, header, psdu, PSDU);
        int last = 0;
        while (!last) {
            last = ofdmflexframegen_write(fg, x + n, chunk);
            n += chunk;
        }
        memset(x + n, 0, GAP * sizeof(*x));
        n += GAP;
        r.frames++;
    }
    r.tx_msps = n / (now_s() - t0) / 1e6;
    ofdmflexframegen_destroy(fg);

    /* complex AWGN at the same in-band SNR: signal power over 38 of 256 bins */
    double ps = 0;
    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        ps += crealf(x[i] * conjf(x[i]));
        active += x[i] != 0;
    }
    ps /= (double)active;
    const double sigma = sqrt(ps / pow(10.0, SNR_DB / 10.0) * 256.0 / 38.0 / 2.0);
    plc_rng rng;
    plc_rng_seed(&rng, 1);
    for (size_t i = 0; i < n; i++)
        x[i] += (float)(sigma * plc_rng_gauss(&rng)) + I * (float)(sigma * plc_rng_gauss(&rng));

    ofdmflexframesync fs = ofdmflexframesync_create(256, 30, 8, p, liquid_ok, &r.decoded);
    t0 = now_s();
    ofdmflexframesync_execute(fs, x, (unsigned)n);
    r.rx_msps = n / (now_s() - t0) / 1e6;
    ofdmflexframesync_destroy(fs);
    return r;
}

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    const size_t cap = (size_t)(seconds * 400000.0) + 100000;
    float *x = malloc(cap * sizeof(float));
    float complex *xc = malloc(cap * sizeof(float complex));
    if (!x || !xc)
        return 1;
    uint8_t psdu[PSDU];
    for (int i = 0; i < PSDU; i++)
        psdu[i] = (uint8_t)(i * 7);

    const result lq = run_liquid(psdu, xc, cap);
    printf("%d-byte frames, %.0f dB in-band SNR, one core; ratios are against liquid-dsp "
           "ofdmflexframe (uncoded QPSK) in this run\n", PSDU, SNR_DB);
    printf("%-14s %6s %9s %8s %8s %9s %8s %8s %8s\n", "modem", "frames", "TX MS/s", "x real",
           "x liquid", "RX MS/s", "x real", "x liquid", "decoded");
    printf("%-14s %6d %9.1f %8.0f %8s %9.1f %8.0f %8s %5d/%d\n", "liquid-qpsk", lq.frames,
           lq.tx_msps, lq.tx_msps / 0.4, "1.00", lq.rx_msps, lq.rx_msps / 0.4, "1.00",
           lq.decoded, lq.frames);
    char json[1024];
    int jl = snprintf(json, sizeof(json),
                      "{\"bench\":\"modem\",\"psdu\":%d,\"snr_db\":%.0f,\"liquid_tx_msps\":%.2f,"
                      "\"liquid_rx_msps\":%.2f,\"liquid_decoded\":%d,\"liquid_frames\":%d",
                      PSDU, SNR_DB, lq.tx_msps, lq.rx_msps, lq.decoded, lq.frames);
    int bad = lq.decoded != lq.frames;
    for (int m = PLC_MOD_ROBO; m <= PLC_MOD_D8PSK; m++) {
        const result r = run_ours((plc_modulation)m, psdu, x, cap);
        const char *name = plc_mode_get(m)->name;
        printf("plc-%-10s %6d %9.1f %8.0f %8.2f %9.1f %8.0f %8.2f %5d/%d\n", name, r.frames,
               r.tx_msps, r.tx_msps / 0.4, r.tx_msps / lq.tx_msps, r.rx_msps, r.rx_msps / 0.4,
               r.rx_msps / lq.rx_msps, r.decoded, r.frames);
        jl += snprintf(json + jl, sizeof(json) - (size_t)jl,
                       ",\"%s_tx_msps\":%.2f,\"%s_rx_msps\":%.2f,\"%s_tx_ratio\":%.2f,"
                       "\"%s_rx_ratio\":%.2f,\"%s_decoded\":%d,\"%s_frames\":%d",
                       name, r.tx_msps, name, r.rx_msps, name, r.tx_msps / lq.tx_msps, name,
                       r.rx_msps / lq.rx_msps, name, r.decoded, name, r.frames);
        bad |= r.decoded != r.frames;
    }
    printf("%s}\n", json);
    free(x);
    free(xc);
    return bad;
}
