/* The simulated line: speed of the waveform and abstract PHYs, and their agreement.
 *   1. waveform line, 20 nodes, one frame per node every 10 s: simulated seconds per wall
 *      second (target >= 10x real time);
 *   2. abstract line, 1000 nodes, one frame per node per minute (target >= 1000x);
 *   3. validation on 10-node lines (four seeds and noise levels) whose links spread across
 *      the range of SNRs: per-link delivery ratios of the two PHYs (target: within 5
 *      percentage points). Most links sit at 0% or 100%, where agreement is easy, so the
 *      links whose waveform ratio is between 5% and 95% (the waterfall) are reported on
 *      their own. The abstract PHY runs ten times as long (it is cheap), so the sampling
 *      error is mostly the waveform's: about 1.3 pp at 50% with 1600 frames per link.
 *   4. the abstract PHY's spread loss, measured: what the waveform receiver loses against
 *      the PER table on a two-node line whose carriers' gain spreads by 0..5 dB (standard
 *      deviation; 0 is a flat line, the others the cable's tilt over the length that gives
 *      that spread), per modulation, 64-byte frames: the SNR at which the line delivers
 *      half the frames less the SNR at which the table says so. Printed beside the table in
 *      use (plc_medium_config.spread_loss_db); the target is to differ by less than 0.1 dB.
 *      The table in use was fitted on runs with seed 99; this check runs on other seeds
 *      (--seed, default 2027), so it measures the table, not the run it came from.
 *   bench_sim [validation-seconds] [--seed N] [--spread-only]
 *      (default 16000 s: 1600 waveform frames per link; --spread-only: just part 4)
 * Prints a table and one JSON line. Run from the source tree (reads docs/per/per_sco.dat). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "plc_channel.h"
#include "plc_err.h"
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

#define SPREAD_FRAMES 3000
static uint64_t spread_seed = 2027; /* not 99, the seed the table in use was fitted on */

/* Two nodes `metres` apart, the second on a 10 m service cable. */
static void two_nodes(double metres, plc_topology *topo)
{
    char text[160], err[256];
    snprintf(text, sizeof(text), "segment 1 0 %.3f\nsegment 2 1 10\nnode 0 0\nnode 1 2\n", metres);
    FILE *f = fmemopen(text, strlen(text), "r");
    if (!f || plc_topology_read(topo, f, err, sizeof(err))) {
        fprintf(stderr, "bench_sim: %s\n", err);
        exit(2);
    }
    fclose(f);
}

/* The line model, flat (no frequency-dependent loss, no echo) or as in use. */
static void line_config(int flat, plc_line_config *lc)
{
    plc_line_config_default(lc);
    if (flat) {
        lc->loss_db_per_m_100khz = 0;
        lc->echo_gain = 0;
    }
}

/* Mean and standard deviation over the carriers of the link's gain in dB. */
static void link_profile(double metres, int flat, double *mean_db, double *sd_db)
{
    static plc_topology topo;
    plc_line_config lc;
    two_nodes(metres, &topo);
    line_config(flat, &lc);
    double f[PLC_PHY_CARRIERS], g[PLC_PHY_CARRIERS], m = 0, v = 0;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        f[c] = plc_carrier_hz(c);
    plc_line *l = plc_line_create(&topo, &lc);
    plc_line_gain_db(l, 0, 1, f, PLC_PHY_CARRIERS, g);
    plc_line_destroy(l);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        m += g[c] / PLC_PHY_CARRIERS;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        v += (g[c] - m) * (g[c] - m) / PLC_PHY_CARRIERS;
    *mean_db = m;
    *sd_db = sqrt(v);
}

/* The cable length whose tilt spreads the carriers' gain by sd_db (bisection). */
static double metres_for_spread(double sd_db)
{
    double lo = 0.0, hi = 3000.0, mean, sd;
    for (int i = 0; i < 40; i++) {
        link_profile(0.5 * (lo + hi), 0, &mean, &sd);
        if (sd < sd_db)
            lo = 0.5 * (lo + hi);
        else
            hi = 0.5 * (lo + hi);
    }
    return 0.5 * (lo + hi);
}

/* PER of 64-byte frames from node 0 to node 1 at a mean in-band SNR of snr_db. */
static double line_per(plc_modulation mod, double metres, int flat, double snr_db,
                       uint64_t seed)
{
    static plc_topology topo;
    plc_line_config lc;
    double mean_db, sd_db;
    two_nodes(metres, &topo);
    line_config(flat, &lc);
    link_profile(metres, flat, &mean_db, &sd_db);
    /* the transmitter's in-band power is 0.045 (36 carriers of amplitude 0.05) */
    lc.noise.awgn_sigma = plc_channel_sigma_for_snr(0.045, PLC_PHY_CARRIERS, snr_db - mean_db);
    lc.seed = seed;
    plc_line *l = plc_line_create(&topo, &lc);
    catch_frame c = {0};
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.callback = on_frame;
    rc.user = &c;
    plc_rx *rx = plc_rx_create(&rc);
    plc_tx *tx = plc_tx_create(NULL);
    const plc_tx_request rq = {.mod = mod, .tonemap = PLC_TONEMAP_ALL};
    static float frame[200000];
    float block[256];
    uint8_t psdu[64];
    plc_rng r;
    plc_rng_seed(&r, seed);
    unsigned lost = 0;
    uint64_t t = 0;
    for (unsigned k = 0; k < SPREAD_FRAMES; k++) {
        for (unsigned i = 0; i < 64; i++)
            psdu[i] = (uint8_t)plc_rng_next(&r);
        size_t w = 0;
        if (plc_tx_frame(tx, &rq, psdu, 64, frame, 200000, &w) != PLC_OK) {
            fprintf(stderr, "bench_sim: frame does not fit\n");
            exit(2);
        }
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
    return (double)lost / SPREAD_FRAMES;
}

/* The SNR at which the table gives this PER for 64-byte frames (bisection). */
static double table_snr_db(const plc_pertable *t, plc_modulation mod, double per)
{
    double lo = -8.0, hi = 20.0;
    for (int i = 0; i < 50; i++) {
        const double mid = 0.5 * (lo + hi);
        if (plc_pertable_per(t, mod, 64, mid) > per)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* What the receiver loses against the table on a link with this spread: the SNR at which
 * the line delivers half the frames less the SNR at which the table says so. The first run
 * is at the table's 50% point plus the loss in use, the second moved by what the table's
 * slope says the first missed by (at least 0.2 dB); further runs (two at most) follow the
 * line through the last two points until two bracket 50%, between which it interpolates. */
static double measure_spread_loss(const plc_pertable *t, plc_modulation mod, int spread_db,
                                  double guess_db)
{
    /* a fresh seed for every run of every point */
    uint64_t seed = spread_seed * 1000 + 100 * (uint64_t)mod + 10 * (uint64_t)spread_db;
    const int flat = spread_db == 0;
    const double metres = flat ? 125.0 : metres_for_spread(spread_db);
    const double table50 = table_snr_db(t, mod, 0.5);
    double s1 = table50 + guess_db, p1 = line_per(mod, metres, flat, s1, seed++);
    double step = table50 - table_snr_db(t, mod, fmin(fmax(p1, 0.02), 0.98));
    if (fabs(step) < 0.2)
        step = p1 > 0.5 ? 0.2 : -0.2;
    double s2 = s1 + step, p2 = line_per(mod, metres, flat, s2, seed++);
    for (int run = 3; run <= 4 && (p1 - 0.5) * (p2 - 0.5) > 0; run++) {
        double next = p1 == p2 ? s2 + (p2 > 0.5 ? 1.0 : -1.0)
                               : s2 + (0.5 - p2) * (s2 - s1) / (p2 - p1);
        next = fmin(fmax(next, s2 - 1.0), s2 + 1.0);
        s1 = s2;
        p1 = p2;
        s2 = next;
        p2 = line_per(mod, metres, flat, s2, seed++);
    }
    const double s50 = p1 == p2 ? 0.5 * (s1 + s2) : s1 + (0.5 - p1) * (s2 - s1) / (p2 - p1);
    return s50 - table50;
}

/* Part 4: the spread-loss table measured beside the one in use; returns the worst
 * difference (dB). */
static double spread_losses(void)
{
    plc_pertable table;
    char err[256];
    if (plc_pertable_load(&table, "docs/per/per_sco.dat", err, sizeof(err))) {
        fprintf(stderr, "bench_sim: %s\n", err);
        exit(2);
    }
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    printf("spread loss: what the waveform receiver loses against the table, dB, measured (in "
           "use), two-node lines, 64 B, %d frames a point:\n%6s", SPREAD_FRAMES, "spread");
    for (int k = 0; k < PLC_MEDIUM_SPREADS; k++)
        printf("  %4d dB      ", k);
    printf("\n");
    double spread_worst = 0;
    for (int mod = 0; mod < PLC_MOD_COUNT; mod++) {
        printf("%6s", plc_mode_get(mod)->name);
        for (int k = 0; k < PLC_MEDIUM_SPREADS; k++) {
            const double in_use = mc.spread_loss_db[mod][k];
            const double loss = measure_spread_loss(&table, (plc_modulation)mod, k, in_use);
            printf("  %5.2f (%5.2f)", loss, in_use);
            fflush(stdout);
            spread_worst = fmax(spread_worst, fabs(loss - in_use));
        }
        printf("\n");
    }
    printf("spread loss: worst difference from the table in use %.2f dB\n", spread_worst);
    return spread_worst;
}

typedef struct agreement {
    unsigned links, within;
    double sum, worst;
} agreement;

static void agree_add(agreement *g, double d)
{
    g->links++;
    g->within += d <= 5.0;
    g->sum += d;
    g->worst = fmax(g->worst, d);
}

int main(int argc, char **argv)
{
    int spread_only = 0;
    double vsecs = 16000.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--spread-only"))
            spread_only = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            spread_seed = strtoull(argv[++i], NULL, 10);
        else
            vsecs = atof(argv[i]);
    }
    if (spread_only) {
        const double spread_worst = spread_losses();
        printf("{\"bench\":\"sim_spread\",\"seed\":%llu,\"spread_loss_worst_diff_db\":%.2f}\n",
               (unsigned long long)spread_seed, spread_worst);
        return !(spread_worst < 0.1);
    }
    const double wave = speed(20, 0, 10.0, 300.0);
    const double abst = speed(1000, 1, 60.0, 3600.0);
    printf("speed: waveform 20 nodes (1 frame/node/10 s) %.1fx real time (target >= 10)\n", wave);
    printf("speed: abstract 1000 nodes (1 frame/node/min) %.0fx real time (target >= 1000)\n", abst);

    /* four 10-node lines: noise levels that put their links from about -10 to 30 dB */
    static const struct { double noise; uint64_t seed; } lines[] = {
        {0.05, 7}, {0.03, 8}, {0.08, 9}, {0.12, 10},
    };
    agreement all = {0}, fall = {0};
    printf("validation, 4 lines of 10 nodes, waveform %.0f s, abstract %.0f s each; links in the "
           "waterfall (waveform 5%%..95%%):\n", vsecs, 10 * vsecs);
    printf("%4s %4s %3s %8s %9s %9s %9s %7s\n", "line", "from", "to", "loss dB", "SNR dB",
           "waveform", "abstract", "diff pp");
    for (unsigned li = 0; li < sizeof(lines) / sizeof(lines[0]); li++) {
        plc_simnet *w = make(10, 0, 10.0, lines[li].noise, lines[li].seed);
        plc_simnet *a = make(10, 1, 10.0, lines[li].noise, lines[li].seed);
        plc_simnet_run(w, vsecs, NULL, NULL);
        plc_simnet_run(a, 10 * vsecs, NULL, NULL);
        for (unsigned i = 0; i < 10; i++)
            for (unsigned j = 0; j < 10; j++) {
                if (i == j)
                    continue;
                const plc_simnet_link lw = plc_simnet_link_stats(w, i, j);
                const plc_simnet_link la = plc_simnet_link_stats(a, i, j);
                const double rw = (double)lw.received / lw.sent, ra = (double)la.received / la.sent;
                const double d = 100.0 * fabs(rw - ra);
                agree_add(&all, d);
                if (rw < 0.05 || rw > 0.95)
                    continue;
                agree_add(&fall, d);
                const double snr = la.received ? la.snr_sum / la.received : NAN;
                printf("%4u %4u %3u %8.1f %9.1f %8.1f%% %8.1f%% %7.1f\n", li, i, j,
                       plc_medium_loss_db(plc_simnet_medium(w), i, j), snr, 100 * rw, 100 * ra, d);
            }
        plc_simnet_destroy(w);
        plc_simnet_destroy(a);
    }
    printf("agreement, all links: %u of %u within 5 pp; mean difference %.2f pp, worst %.2f pp\n",
           all.within, all.links, all.sum / all.links, all.worst);
    printf("agreement, waterfall links (waveform 5%%..95%%): %u of %u within 5 pp; mean "
           "difference %.2f pp, worst %.2f pp\n", fall.within, fall.links,
           fall.links ? fall.sum / fall.links : 0.0, fall.worst);

    const double spread_worst = spread_losses();
    printf("{\"bench\":\"sim\",\"waveform20_x_real_time\":%.1f,\"abstract1000_x_real_time\":%.0f,"
           "\"validation_links\":%u,\"validation_within_5pp\":%u,\"validation_mean_pp\":%.2f,"
           "\"validation_worst_pp\":%.2f,\"waterfall_links\":%u,\"waterfall_within_5pp\":%u,"
           "\"waterfall_mean_pp\":%.2f,\"waterfall_worst_pp\":%.2f,\"spread_seed\":%llu,"
           "\"spread_loss_worst_diff_db\":%.2f}\n",
           wave, abst, all.links, all.within, all.sum / all.links, all.worst, fall.links,
           fall.within, fall.links ? fall.sum / fall.links : 0.0, fall.worst,
           (unsigned long long)spread_seed, spread_worst);
    return !(wave >= 10 && abst >= 1000 && all.within == all.links && spread_worst < 0.1);
}
