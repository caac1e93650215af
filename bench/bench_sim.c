/* The simulated line: speed of the waveform and abstract PHYs, and their agreement.
 *   1. waveform line, 20 nodes, one frame per node every 10 s: simulated seconds per wall
 *      second (target >= 10x real time);
 *   2. abstract line, 1000 nodes, one frame per node per minute (target >= 1000x);
 *   3. validation on a 10-node line whose noise puts links across the range of SNRs:
 *      per-link delivery ratios of the two PHYs (target: within 5 percentage points).
 *   bench_sim [validation-seconds]      (default 2000: 200 frames per link)
 * Prints a table and one JSON line. Run from the source tree (reads docs/per/per_awgn.dat). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"
#include "plc_medium.h"
#include "plc_simnet.h"

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

int main(int argc, char **argv)
{
    const double vsecs = argc > 1 ? atof(argv[1]) : 2000.0;
    const double wave = speed(20, 0, 10.0, 300.0);
    const double abst = speed(1000, 1, 60.0, 3600.0);
    printf("speed: waveform 20 nodes (1 frame/node/10 s) %.1fx real time (target >= 10)\n", wave);
    printf("speed: abstract 1000 nodes (1 frame/node/min) %.0fx real time (target >= 1000)\n", abst);

    const double noise = 0.05; /* puts the 10-node line's links from -5 to 30 dB */
    plc_simnet *w = make(10, 0, 10.0, noise, 7), *a = make(10, 1, 10.0, noise, 7);
    plc_simnet_run(w, vsecs, NULL, NULL);
    plc_simnet_run(a, vsecs, NULL, NULL);
    printf("validation, 10 nodes, %.0f s, per-link delivery ratio:\n", vsecs);
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
    printf("{\"bench\":\"sim\",\"waveform20_x_real_time\":%.1f,\"abstract1000_x_real_time\":%.0f,"
           "\"validation_links\":%u,\"validation_within_5pp\":%u,\"validation_mean_pp\":%.2f,"
           "\"validation_worst_pp\":%.2f}\n", wave, abst, links, within, sum / links, worst);
    plc_simnet_destroy(w);
    plc_simnet_destroy(a);
    return !(wave >= 10 && abst >= 1000 && within == links);
}
