/* The simulated line: speed of the waveform and abstract PHYs, and their agreement.
 *   1. waveform line, 20 nodes, one frame per node every 10 s: simulated seconds per wall
 *      second (target >= 10x real time);
 *   2. abstract line, 1000 nodes, one frame per node per minute (target >= 1000x);
 *   3. validation on a 10-node line whose noise puts links across the range of SNRs:
 *      per-link delivery ratios of the two PHYs (target: within 5 percentage points). The
 *      abstract PHY runs ten times as long (it is cheap), so the comparison's sampling
 *      error is mostly the waveform's: about 1.3 pp at 50% with 1600 frames per link.
 *   4. the abstract PHY's line_loss_db, measured: on a two-node line (bench/line_125m.topo)
 *      DBPSK 64-byte frames at 1.3 dB mean in-band SNR, flat and with the cable's tilt; the
 *      SNR the PER table needs for each measured PER, less 1.3 dB, is each line's loss
 *      against the table (flat: about 0; tilted: what line_loss_db should be).
 *   bench_sim [validation-seconds]      (default 16000: 1600 waveform frames per link)
 * Prints a table and one JSON line. Run from the source tree (reads docs/per/per_sco.dat). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "plc_channel.h"
#include "plc_line.h"
#include "plc_medium.h"
#include "plc_pertable.h"
#include "plc_rng.h"
#include "plc_rx.h"
#include "plc_simnet.h"
#include "plc_tx.h"

static plc_simnet *make(unsigned nodes, int abstract, double period, double noise, uint64_t seed)
{
    plc_simnet_config c;
    plc_simnet_config_default(&c);
    c.nodes = nodes;
    c.abstract_phy = abstract;
    c.period_s = period;
    c.noise_level = noise;
    c.seed = seed;
    char err[256];
    plc_simnet *s = plc_simnet_create(&c, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "bench_sim: %s\n", err);
        exit(2);
    }
    return s;
}

static double speed(unsigned nodes, int abstract, double period, double secs)
{
    plc_simnet *s = make(nodes, abstract, period, 0.002, 1);
    const double t0 = now_s();
    plc_simnet_run(s, secs, NULL, NULL);
    const double x = secs / (now_s() - t0);
    plc_simnet_destroy(s);
    return x;
}

typedef struct catch_frame {
    uint64_t offset;
    const uint8_t *psdu;
    int ok;
} catch_frame;

static void on_frame(const plc_rx_frame *f, void *user)
{
    catch_frame *c = user;
    if (f->status == PLC_RX_OK && f->offset + 40 >= c->offset && f->offset <= c->offset + 40 &&
        f->psdu_len >= 64 && !memcmp(f->psdu, c->psdu, 64))
        c->ok = 1;
}

#define TILT_SNR_DB 1.3
#define TILT_FRAMES 3000

/* PER of DBPSK 64-byte frames from node 0 to node 1 of bench/line_125m.topo at a mean
 * in-band SNR of TILT_SNR_DB, with the cable's tilt or without. */
static double line_per(int tilted)
{
    plc_topology topo;
    char err[256];
    if (plc_topology_load(&topo, "bench/line_125m.topo", err, sizeof(err))) {
        fprintf(stderr, "bench_sim: %s\n", err);
        exit(2);
    }
    plc_line_config lc;
    plc_line_config_default(&lc);
    if (!tilted) {
        lc.loss_db_per_m_100khz = 0;
        lc.echo_gain = 0;
    }
    double f[PLC_PHY_CARRIERS], g[PLC_PHY_CARRIERS], mean_db = 0;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        f[c] = plc_carrier_hz(c);
    plc_line *l = plc_line_create(&topo, &lc);
    plc_line_gain_db(l, 0, 1, f, PLC_PHY_CARRIERS, g);
    plc_line_destroy(l);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        mean_db += g[c] / PLC_PHY_CARRIERS;
    /* the transmitter's in-band power is 0.045 (36 carriers of amplitude 0.05) */
    lc.noise.awgn_sigma = plc_channel_sigma_for_snr(0.045, PLC_PHY_CARRIERS, TILT_SNR_DB - mean_db);
    l = plc_line_create(&topo, &lc);
    catch_frame c = {0};
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.callback = on_frame;
    rc.user = &c;
    plc_rx *rx = plc_rx_create(&rc);
    plc_tx *tx = plc_tx_create(NULL);
    const plc_tx_request rq = {.mod = PLC_MOD_DBPSK, .tonemap = PLC_TONEMAP_ALL};
    static float frame[40000];
    float block[256];
    uint8_t psdu[64];
    plc_rng r;
    plc_rng_seed(&r, 99);
    unsigned lost = 0;
    uint64_t t = 0;
    for (unsigned k = 0; k < TILT_FRAMES; k++) {
        for (unsigned i = 0; i < 64; i++)
            psdu[i] = (uint8_t)plc_rng_next(&r);
        size_t w = 0;
        plc_tx_frame(tx, &rq, psdu, 64, frame, 40000, &w);
        const uint64_t start = t + 512 + plc_rng_next(&r) % 2000;
        plc_line_transmit(l, 0, start, frame, w, 1.0);
        c = (catch_frame){start + PLC_LINE_FIR_DELAY, psdu, 0};
        for (; t < start + w + 2000; t += 256) {
            plc_line_receive(l, 1, t, block, 256);
            plc_rx_push(rx, block, 256);
        }
        plc_line_expire(l, t);
        lost += !c.ok;
    }
    plc_tx_destroy(tx);
    plc_rx_destroy(rx);
    plc_line_destroy(l);
    return (double)lost / TILT_FRAMES;
}

/* The SNR at which the table gives this PER for DBPSK 64 bytes (bisection). */
static double table_snr_db(const plc_pertable *t, double per)
{
    double lo = -2.0, hi = 6.0;
    for (int i = 0; i < 50; i++) {
        const double mid = 0.5 * (lo + hi);
        if (plc_pertable_per(t, PLC_MOD_DBPSK, 64, mid) > per)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int main(int argc, char **argv)
{
    const double vsecs = argc > 1 ? atof(argv[1]) : 16000.0;
    const double wave = speed(20, 0, 10.0, 300.0);
    const double abst = speed(1000, 1, 60.0, 3600.0);
    printf("speed: waveform 20 nodes (1 frame/node/10 s) %.1fx real time (target >= 10)\n", wave);
    printf("speed: abstract 1000 nodes (1 frame/node/min) %.0fx real time (target >= 1000)\n", abst);

    const double noise = 0.05; /* puts the 10-node line's links from -5 to 30 dB */
    plc_simnet *w = make(10, 0, 10.0, noise, 7), *a = make(10, 1, 10.0, noise, 7);
    plc_simnet_run(w, vsecs, NULL, NULL);
    plc_simnet_run(a, 10 * vsecs, NULL, NULL);
    printf("validation, 10 nodes, waveform %.0f s, abstract %.0f s, per-link delivery ratio:\n",
           vsecs, 10 * vsecs);
    printf("%4s %3s %8s %9s %9s %9s %7s\n", "from", "to", "loss dB", "SNR dB", "waveform",
           "abstract", "diff pp");
    double worst = 0, sum = 0;
    unsigned links = 0, within = 0;
    for (unsigned i = 0; i < 10; i++)
        for (unsigned j = 0; j < 10; j++) {
            if (i == j)
                continue;
            const plc_simnet_link lw = plc_simnet_link_stats(w, i, j);
            const plc_simnet_link la = plc_simnet_link_stats(a, i, j);
            const double rw = (double)lw.received / lw.sent, ra = (double)la.received / la.sent;
            const double d = 100.0 * fabs(rw - ra);
            const double snr = la.received ? la.snr_sum / la.received : NAN;
            printf("%4u %3u %8.1f %9.1f %8.1f%% %8.1f%% %7.1f\n", i, j, plc_medium_loss_db(plc_simnet_medium(w), i, j),
                   snr, 100 * rw, 100 * ra, d);
            worst = fmax(worst, d);
            sum += d;
            links++;
            within += d <= 5.0;
        }
    printf("agreement: %u of %u links within 5 pp; mean difference %.2f pp, worst %.2f pp\n",
           within, links, sum / links, worst);

    plc_pertable table;
    char err[256];
    if (plc_pertable_load(&table, "docs/per/per_sco.dat", err, sizeof(err))) {
        fprintf(stderr, "bench_sim: %s\n", err);
        return 2;
    }
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    const double per_flat = line_per(0), per_tilted = line_per(1);
    const double loss_flat = TILT_SNR_DB - table_snr_db(&table, per_flat);
    const double loss_tilted = TILT_SNR_DB - table_snr_db(&table, per_tilted);
    printf("line loss against the table (two nodes, DBPSK 64 B at %.1f dB, %d frames): flat PER "
           "%.3f -> %.2f dB, tilted PER %.3f -> %.2f dB (line_loss_db in use: %.2f)\n",
           TILT_SNR_DB, TILT_FRAMES, per_flat, loss_flat, per_tilted, loss_tilted,
           mc.line_loss_db);
    printf("{\"bench\":\"sim\",\"waveform20_x_real_time\":%.1f,\"abstract1000_x_real_time\":%.0f,"
           "\"validation_links\":%u,\"validation_within_5pp\":%u,\"validation_mean_pp\":%.2f,"
           "\"validation_worst_pp\":%.2f,\"line_loss_flat_db\":%.2f,\"line_loss_tilted_db\":%.2f}\n",
           wave, abst, links, within, sum / links, worst, loss_flat, loss_tilted);
    plc_simnet_destroy(w);
    plc_simnet_destroy(a);
    return !(wave >= 10 && abst >= 1000 && within == links);
}
