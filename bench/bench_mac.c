/* MAC under saturation: N senders in range of each other and of the concentrator each keep
 * an MSDU queued for it (sim/plc_macnet), for 1..50 senders on the abstract PHY and 10 on
 * the waveform PHY. Per point: aggregate goodput (MSDU bytes delivered per second), its
 * ratio to the single sender's, mean delay (request to delivery), Jain's fairness index of
 * the senders' delivered MSDUs, and the MSDUs lost after every retry.
 * Targets (10 senders): goodput >= 70% of one sender's, Jain >= 0.95, lost < 1%.
 *   bench_mac [seconds-per-point]     (default 120; run from the source tree: PER tables)
 * Prints a table and one JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"
#include "plc_macnet.h"

#define MSDU 200

typedef struct result {
    unsigned senders;
    int waveform;
    double goodput_bps, delay_s, jain, lost, speed;
} result;

static result run(unsigned senders, int waveform, double secs)
{
    const char *topo = "bench_mac_topo.txt";
    FILE *f = fopen(topo, "w");
    if (!f) {
        perror(topo);
        exit(2);
    }
    /* one pole, every node on its own 10-40 m drop: all within carrier-sense range */
    fprintf(f, "segment 1 0 20\n");
    for (unsigned i = 0; i <= senders; i++)
        fprintf(f, "segment %u 1 %u\nnode %u %u\n", i + 2, 10 + (i * 7) % 31, i, i + 2);
    fclose(f);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = topo;
    mc.abstract_phy = !waveform;
    char err[256];
    plc_macnet *n = plc_macnet_create(&mc, 1, 7, err, sizeof(err));
    remove(topo);
    if (!n) {
        fprintf(stderr, "bench_mac: %s\n", err);
        exit(2);
    }
    for (unsigned i = 1; i <= senders; i++)
        plc_macnet_saturate(n, i, 0, MSDU);
    const double t0 = now_s();
    plc_macnet_run(n, secs);
    result r = {.senders = senders, .waveform = waveform};
    r.speed = secs / (now_s() - t0);
    double sum = 0, sq = 0, delay = 0;
    uint64_t ok = 0, failed = 0, bytes = 0;
    for (unsigned i = 1; i <= senders; i++) {
        const plc_macnet_node_stats *s = plc_macnet_stats(n, i);
        sum += (double)s->delivered;
        sq += (double)s->delivered * (double)s->delivered;
        delay += s->delay_sum_s;
        bytes += s->delivered_bytes;
        ok += s->ok;
        failed += s->failed;
    }
    r.goodput_bps = 8.0 * (double)bytes / secs;
    r.delay_s = sum > 0 ? delay / sum : 0;
    r.jain = sq > 0 ? sum * sum / (senders * sq) : 0;
    r.lost = ok + failed ? (double)failed / (double)(ok + failed) : 0;
    plc_macnet_destroy(n);
    return r;
}

int main(int argc, char **argv)
{
    const double secs = argc > 1 ? atof(argv[1]) : 120.0;
    const unsigned counts[] = {1, 2, 5, 10, 20, 30, 50};
    const unsigned npts = sizeof(counts) / sizeof(counts[0]);
    result res[8];
    printf("MAC saturation, %d-byte secured MSDUs to the concentrator, %.0f s per point\n", MSDU,
           secs);
    printf("%-8s %7s %11s %8s %9s %7s %8s %9s\n", "PHY", "senders", "goodput b/s", "x one",
           "delay s", "Jain", "lost %", "x real");
    for (unsigned k = 0; k <= npts; k++) {
        const int wave = k == npts;
        res[k] = run(wave ? 10 : counts[k], wave, wave ? secs / 2 : secs);
        const result *r = &res[k];
        printf("%-8s %7u %11.0f %8.2f %9.3f %7.3f %8.2f %9.1f\n", wave ? "waveform" : "abstract",
               r->senders, r->goodput_bps, r->goodput_bps / res[0].goodput_bps, r->delay_s,
               r->jain, 100 * r->lost, r->speed);
        fflush(stdout);
    }
    const result *ten = &res[3], *wten = &res[npts];
    const double ratio = ten->goodput_bps / res[0].goodput_bps;
    const int met = ratio >= 0.7 && ten->jain >= 0.95 && ten->lost < 0.01;
    printf("10 senders (abstract): goodput %.2f x one sender (target >= 0.70), Jain %.3f "
           "(>= 0.95), lost %.2f%% (< 1%%): %s\n", ratio, ten->jain, 100 * ten->lost,
           met ? "met" : "NOT met");
    printf("{\"bench\":\"mac\",\"msdu\":%d,\"seconds\":%.0f", MSDU, secs);
    for (unsigned k = 0; k < npts; k++)
        printf(",\"abstract_%u_goodput_bps\":%.0f,\"abstract_%u_jain\":%.3f,"
               "\"abstract_%u_lost\":%.4f,\"abstract_%u_delay_s\":%.3f",
               res[k].senders, res[k].goodput_bps, res[k].senders, res[k].jain, res[k].senders,
               res[k].lost, res[k].senders, res[k].delay_s);
    printf(",\"ratio_10\":%.3f,\"waveform_10_goodput_bps\":%.0f,\"waveform_10_ratio\":%.3f,"
           "\"waveform_10_jain\":%.3f,\"waveform_10_lost\":%.4f,\"met\":%s}\n",
           ratio, wten->goodput_bps, wten->goodput_bps / res[0].goodput_bps, wten->jain,
           wten->lost, met ? "true" : "false");
    return !met;
}
