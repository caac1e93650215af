/* MAC under saturation: N senders in range of each other and of the concentrator each keep
 * an MSDU queued for it (sim/plc_macnet), for 1, 10, 50 and 200 senders on the abstract PHY
 * with each channel access scheme side by side (G.9903 CSMA/CA, the default, and the
 * adaptive option: the same network, seed and traffic, only the scheme differs), and 10
 * on the waveform PHY with G.9903. Per point: aggregate goodput (MSDU bytes delivered per
 * second), its ratio to the single sender's of the same scheme, mean delay (request to
 * delivery), Jain's fairness index of the senders' delivered MSDUs, the least served
 * sender against the mean, and the MSDUs lost after every retry.
 * Targets (G.9903): 10 senders goodput >= 70% of one sender's, Jain >= 0.95, lost < 1%;
 * 200 senders: no sender starved (each >= 25% of the mean; this point runs 10 x the time).
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
    int waveform, scheme;
    double goodput_bps, delay_s, jain, min_share, lost, speed;
} result;

static result run(unsigned senders, int waveform, int scheme, double secs)
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
    for (unsigned i = 0; i <= senders; i++) {
        plc_mac *mac = plc_macnet_mac(n, i);
        plc_mac_pib pib;
        plc_mac_get_pib(mac, &pib);
        pib.csma_scheme = (unsigned)scheme;
        if (plc_mac_set_pib(mac, &pib) != PLC_OK) {
            fprintf(stderr, "bench_mac: cannot set the CSMA scheme\n");
            exit(2);
        }
    }
    for (unsigned i = 1; i <= senders; i++)
        plc_macnet_saturate(n, i, 0, MSDU);
    const double t0 = now_s();
    plc_macnet_run(n, secs);
    result r = {.senders = senders, .waveform = waveform, .scheme = scheme};
    r.speed = secs / (now_s() - t0);
    double sum = 0, sq = 0, delay = 0, least = -1;
    uint64_t ok = 0, failed = 0, bytes = 0;
    for (unsigned i = 1; i <= senders; i++) {
        const plc_macnet_node_stats *s = plc_macnet_stats(n, i);
        if (least < 0 || (double)s->delivered < least)
            least = (double)s->delivered;
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
    r.min_share = sum > 0 ? least / (sum / senders) : 0;
    r.lost = ok + failed ? (double)failed / (double)(ok + failed) : 0;
    plc_macnet_destroy(n);
    return r;
}

static const char *scheme_name(int scheme)
{
    return scheme == PLC_MAC_CSMA_G9903 ? "g9903" : "adaptive";
}

int main(int argc, char **argv)
{
    const double secs = argc > 1 ? atof(argv[1]) : 120.0;
    const unsigned counts[] = {1, 10, 50, 200};
    enum { NPTS = sizeof(counts) / sizeof(counts[0]) };
    result res[2][NPTS], wave = {0};
    printf("MAC saturation, %d-byte secured MSDUs to the concentrator, %.0f s per point\n", MSDU,
           secs);
    printf("%-8s %-8s %7s %11s %8s %9s %7s %9s %8s %9s\n", "PHY", "scheme", "senders",
           "goodput b/s", "x one", "delay s", "Jain", "least/avg", "lost %", "x real");
    for (int sc = 0; sc < 2; sc++)
        for (unsigned k = 0; k <= NPTS; k++) {
            if (k == NPTS && sc == 1)
                break;
            const int w = k == NPTS;
            /* 200 senders run 10 x longer: enough MSDUs per sender to tell its share */
            const unsigned nsend = w ? 10 : counts[k];
            const result r = run(nsend, w, sc, w ? secs / 2 : nsend >= 200 ? 10 * secs : secs);
            if (w)
                wave = r;
            else
                res[sc][k] = r;
            printf("%-8s %-8s %7u %11.0f %8.2f %9.3f %7.3f %9.2f %8.2f %9.1f\n",
                   w ? "waveform" : "abstract", scheme_name(sc), r.senders, r.goodput_bps,
                   r.goodput_bps / res[sc][0].goodput_bps, r.delay_s, r.jain, r.min_share,
                   100 * r.lost, r.speed);
            fflush(stdout);
        }
    const result *ten = &res[0][1], *many = &res[0][3];
    const double ratio = ten->goodput_bps / res[0][0].goodput_bps;
    const int met = ratio >= 0.7 && ten->jain >= 0.95 && ten->lost < 0.01 && many->min_share >= 0.25;
    printf("G.9903, 10 senders: goodput %.2f x one sender (target >= 0.70), Jain %.3f (>= 0.95), "
           "lost %.2f%% (< 1%%); 200 senders: least served %.2f of the mean (>= 0.25): %s\n",
           ratio, ten->jain, 100 * ten->lost, many->min_share, met ? "met" : "NOT met");
    printf("adaptive, 10 senders: goodput %.2f x one sender, Jain %.3f, lost %.2f%%; 200: least "
           "%.2f of the mean\n", res[1][1].goodput_bps / res[1][0].goodput_bps, res[1][1].jain,
           100 * res[1][1].lost, res[1][3].min_share);
    printf("{\"bench\":\"mac\",\"msdu\":%d,\"seconds\":%.0f", MSDU, secs);
    for (int sc = 0; sc < 2; sc++)
        for (unsigned k = 0; k < NPTS; k++) {
            const result *r = &res[sc][k];
            const char *nm = scheme_name(sc);
            printf(",\"%s_%u_goodput_bps\":%.0f,\"%s_%u_jain\":%.3f,\"%s_%u_least\":%.3f,"
                   "\"%s_%u_lost\":%.4f,\"%s_%u_delay_s\":%.3f",
                   nm, r->senders, r->goodput_bps, nm, r->senders, r->jain, nm, r->senders,
                   r->min_share, nm, r->senders, r->lost, nm, r->senders, r->delay_s);
        }
    printf(",\"ratio_10\":%.3f,\"waveform_10_goodput_bps\":%.0f,\"waveform_10_ratio\":%.3f,"
           "\"waveform_10_jain\":%.3f,\"waveform_10_lost\":%.4f,\"met\":%s}\n",
           ratio, wave.goodput_bps, wave.goodput_bps / res[0][0].goodput_bps, wave.jain,
           wave.lost, met ? "true" : "false");
    return !met;
}
