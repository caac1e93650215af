/* Modem throughput, our side only for now: transmitter and receiver samples per second
 * and times real time (400 kS/s) on one core, per mode. The receiver runs on a stream of
 * 133-byte frames with noise (15 dB in-band SNR) between and on them, with full decoding.
 * The liquid-dsp ofdmflexframe peer of issue 3 is not in this program yet.
 *   bench_modem [seconds-of-signal-per-mode]      (default 10) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc_channel.h"
#include "plc_rx.h"
#include "plc_tx.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void count_ok(const plc_rx_frame *f, void *user)
{
    *(int *)user += f->status == PLC_RX_OK;
}

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    const size_t cap = (size_t)(seconds * 400000.0) + 100000, gap = 4000;
    float *x = malloc(cap * sizeof(float));
    plc_tx *tx = plc_tx_create(NULL);
    if (!x || !tx)
        return 1;
    uint8_t psdu[133];
    for (int i = 0; i < 133; i++)
        psdu[i] = (uint8_t)(i * 7);
    printf("mode    frames  TX Msamples/s  (x real time)  RX Msamples/s  (x real time)  decoded\n");
    char json[1024];
    int jl = snprintf(json, sizeof(json), "{\"bench\":\"modem\",\"psdu\":133,\"snr_db\":15");
    int bad = 0;
    for (int m = PLC_MOD_ROBO; m <= PLC_MOD_D8PSK; m++) {
        plc_tx_request rq = {.mod = (plc_modulation)m, .tonemap = PLC_TONEMAP_ALL};
        size_t n = 0, w;
        int frames = 0;
        double t0 = now_s();
        while (n + 80000 + gap < cap) {
            plc_tx_frame(tx, &rq, psdu, sizeof(psdu), x + n, cap - n, &w);
            n += w;
            memset(x + n, 0, gap * sizeof(float));
            n += gap;
            frames++;
        }
        const double ttx = now_s() - t0;
        plc_rng r;
        plc_rng_seed(&r, 1);
        plc_channel_apply(x, n, 1.0, 0.0, plc_channel_sigma_for_snr(0.045, 36, 15.0), &r);
        int ok = 0;
        plc_rx_config cfg;
        plc_rx_config_default(&cfg);
        cfg.callback = count_ok;
        cfg.user = &ok;
        plc_rx *rx = plc_rx_create(&cfg);
        t0 = now_s();
        plc_rx_push(rx, x, n);
        plc_rx_flush(rx);
        const double trx = now_s() - t0;
        plc_rx_destroy(rx);
        const char *name = plc_mode_get(m)->name;
        printf("%-6s  %6d  %13.1f  %13.0f  %13.1f  %13.0f  %d/%d\n", name, frames,
               n / ttx / 1e6, n / ttx / 4e5, n / trx / 1e6, n / trx / 4e5, ok, frames);
        jl += snprintf(json + jl, sizeof(json) - (size_t)jl,
                       ",\"%s_tx_msps\":%.2f,\"%s_rx_msps\":%.2f,\"%s_decoded\":%d,\"%s_frames\":%d",
                       name, n / ttx / 1e6, name, n / trx / 1e6, name, ok, name, frames);
        bad |= ok != frames;
    }
    printf("%s}\n", json);
    plc_tx_destroy(tx);
    free(x);
    return bad;
}
