/* The concentrator at the size of a transformer area: gateway/plc_gw on a simulated mesh of N
 * DL/T 645 meters (sim/plc_meshnet: abstract PHY, secured MAC, LOADng, LBP admission), a
 * store on disk in WAL with synchronous FULL. The meters and the concentrator start at 22:00;
 * the meters power up over the first 10 minutes and join; the daily freeze task reads from
 * 00:05; at 07:00 the day's completeness is counted. Then at 08:00 a read round of current
 * energy (DI 00010000) from every meter that answered: its duration against its airtime
 * lower bound, the sum over the meters of (request + answer + 2 ACKs) x hops, each frame at
 * D8PSK on all 36 carriers (the fastest mode: no link can do better; MAC framing secured,
 * 24 bytes, the mesh header and dispatch 7 bytes).
 *   bench_gateway [meters] [seed] [topology] [parallel]   (1000 1, generated feeder, 5)
 * Targets (issue 17): daily freeze of >= 99.9% of the meters before the deadline; the round
 * within 2x its airtime lower bound. One JSON line at the end. Run from the source tree.
 * GW_DEBUG=1: the concentrator's, the meters' ADP, LOADng and MAC counters before and after the
 * round (after: when the loop ends, an hour on when a meter never answered), and the round's
 * line time by modulation and by frame kind up to its last answer. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_clock.h"
#include "plc_gw.h"
#include "plc_gw_store.h"
#include "plc_loadng.h"
#include "plc_mac.h"
#include "plc_meshnet.h"
#include "plc_medium.h"
#include "plc_ofdm.h"
#include "plc_phy_params.h"
#include "plc_sql.h"

#define DAY 86400
#define T0 (1767225600 + 22 * 3600) /* 2026-01-01 22:00 */
#define MAC_OVERHEAD 24             /* segment control 3, MHR with security 15, MIC 4, FCS 2 */
#define ADP_OVERHEAD 7              /* mesh header 5, ESC dispatch 2 */

typedef struct bench {
    plc_meshnet *net;
    plc_gw *gw;
} bench;

static int b_send(void *u, uint16_t to, const uint8_t *f, size_t n)
{
    return plc_meshnet_send(((bench *)u)->net, to, f, n, 0);
}

static void b_announced(void *u, uint16_t s, const uint8_t a[6])
{
    plc_gw_node_announced(((bench *)u)->gw, s, a);
}

static void b_frame(void *u, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *d, size_t n)
{
    plc_gw_frame_input(((bench *)u)->gw, from, hops, lqi, d, n);
}

/* Line time (s) of a frame carrying a DL/T 645 frame of n bytes, at D8PSK on every carrier. */
static double airtime_s(size_t n)
{
    plc_payload_layout lay;
    if (plc_payload_layout_for_psdu(PLC_MOD_D8PSK, PLC_PHY_CARRIERS, n + ADP_OVERHEAD + MAC_OVERHEAD,
                                    &lay) != PLC_OK)
        return 0;
    return (double)plc_ofdm_frame_samples(PLC_PHY_FCH_SYMBOLS + lay.symbols) / 400000.0;
}

static void debug_counters(bench *bp, unsigned n)
{
    if (!getenv("GW_DEBUG"))
        return;
    {
        plc_adp_counters a;
        plc_adp_get_counters(plc_meshnet_adp(bp->net, 0), &a);
        plc_loadng_counters l;
        plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(bp->net, 0)), &l);
        fprintf(stderr, "concentrator ADP: tx %llu ok %llu failed %llu no route %llu repairs %llu rx %llu; "
                "LOADng discoveries %llu rreq sent %llu\n",
                (unsigned long long)a.tx_datagrams, (unsigned long long)a.tx_ok,
                (unsigned long long)a.tx_failed, (unsigned long long)a.no_route,
                (unsigned long long)a.repairs, (unsigned long long)a.rx_datagrams,
                (unsigned long long)l.discoveries, (unsigned long long)l.rreq_sent);
        plc_adp_counters t = {0};
        plc_loadng_counters lt = {0};
        for (unsigned k = 1; k <= n; k++) {
            plc_adp_get_counters(plc_meshnet_adp(bp->net, k), &a);
            t.relayed += a.relayed, t.relay_failed += a.relay_failed, t.no_route += a.no_route;
            t.tx_datagrams += a.tx_datagrams, t.tx_failed += a.tx_failed, t.rx_datagrams += a.rx_datagrams;
            t.hops_exhausted += a.hops_exhausted, t.queue_full += a.queue_full;
            t.beacons += a.beacons, t.rx_broadcasts += a.rx_broadcasts;
            plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(bp->net, k)), &l);
            lt.rreq_sent += l.rreq_sent, lt.rreq_relayed += l.rreq_relayed;
            lt.discoveries += l.discoveries;
        }
        fprintf(stderr, "meters LOADng: discoveries %llu rreq sent %llu relayed %llu; route "
                "beacons received %llu, other broadcasts %llu\n",
                (unsigned long long)lt.discoveries, (unsigned long long)lt.rreq_sent,
                (unsigned long long)lt.rreq_relayed, (unsigned long long)t.beacons,
                (unsigned long long)t.rx_broadcasts);
        plc_meter_node_counters mt = {0};
        for (unsigned k = 1; k <= n; k++) {
            plc_meter_node_counters m;
            plc_meshnet_meter_counters(bp->net, k, &m);
            mt.requests += m.requests, mt.replies += m.replies, mt.broadcasts += m.broadcasts;
            mt.not_for_us += m.not_for_us, mt.malformed += m.malformed, mt.send_failures += m.send_failures;
        }
        fprintf(stderr, "meter apps: requests %llu replies %llu broadcasts %llu not for us %llu malformed %llu send failures %llu\n",
                (unsigned long long)mt.requests, (unsigned long long)mt.replies, (unsigned long long)mt.broadcasts,
                (unsigned long long)mt.not_for_us, (unsigned long long)mt.malformed, (unsigned long long)mt.send_failures);
        plc_mac_counters mcs = {0};
        for (unsigned k = 1; k <= n; k++) {
            plc_mac *mac = plc_meshnet_mac(bp->net, k);
            if (!mac)
                continue;
            plc_mac_counters mc;
            plc_mac_get_counters(mac, &mc);
            mcs.tx_frames += mc.tx_frames, mcs.tx_retries += mc.tx_retries, mcs.tx_msdu_ok += mc.tx_msdu_ok;
            mcs.tx_msdu_failed += mc.tx_msdu_failed, mcs.channel_access_failures += mc.channel_access_failures;
            mcs.queue_overflows += mc.queue_overflows, mcs.duplicates += mc.duplicates, mcs.decryption_errors += mc.decryption_errors;
            mcs.replays += mc.replays, mcs.no_key += mc.no_key;
            mcs.tonemap_responses += mc.tonemap_responses;
        }
        fprintf(stderr, "meters MAC: frames %llu retries %llu msdu ok %llu failed %llu channel access %llu queue full %llu dup %llu decrypt %llu replays %llu nokey %llu tone map responses %llu\n",
                (unsigned long long)mcs.tx_frames, (unsigned long long)mcs.tx_retries, (unsigned long long)mcs.tx_msdu_ok,
                (unsigned long long)mcs.tx_msdu_failed, (unsigned long long)mcs.channel_access_failures,
                (unsigned long long)mcs.queue_overflows, (unsigned long long)mcs.duplicates,
                (unsigned long long)mcs.decryption_errors, (unsigned long long)mcs.replays, (unsigned long long)mcs.no_key,
                (unsigned long long)mcs.tonemap_responses);
        fprintf(stderr, "meters ADP: rx %llu tx %llu failed %llu no route %llu relayed %llu relay failed %llu hops %llu queue full %llu\n",
                (unsigned long long)t.rx_datagrams, (unsigned long long)t.tx_datagrams,
                (unsigned long long)t.tx_failed, (unsigned long long)t.no_route,
                (unsigned long long)t.relayed, (unsigned long long)t.relay_failed,
                (unsigned long long)t.hops_exhausted, (unsigned long long)t.queue_full);
    }
}

int main(int argc, char **argv)
{
    const unsigned meters = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    const unsigned seed = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    const char *topo = argc > 3 && argv[3][0] ? argv[3] : NULL;
    const unsigned parallel = argc > 4 ? (unsigned)atoi(argv[4]) : 5;
    char path[64], err[256];
    snprintf(path, sizeof(path), "/tmp/bench_gateway_%d.db", (int)getpid());
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "bench_gateway: %s\n", err);
        return 2;
    }
    plc_meshnet_config mc;
    plc_meshnet_config_default(&mc);
    mc.medium.nodes = meters + 1;
    mc.medium.topology_file = topo;
    mc.seed = seed;
    mc.power_up_s = 600;
    mc.dlt645 = 1;
    mc.meter_start = (plc_dlt645_time){2026, 1, 1, 4, 22, 0, 0};
    bench b = {0};
    const double t0 = now_s();
    b.net = plc_meshnet_create(&mc, err, sizeof(err));
    if (!b.net) {
        fprintf(stderr, "bench_gateway: %s\n", err);
        return 2;
    }
    const unsigned n = plc_meshnet_meters(b.net);
    plc_gw_meter *arch = calloc(n, sizeof(*arch));
    for (unsigned i = 0; i < n; i++) {
        plc_gw_meter_default(&arch[i]);
        snprintf(arch[i].addr, sizeof(arch[i].addr), "%012u", i + 1);
    }
    if (plc_gw_store_meters_put(s, arch, n) != PLC_OK) {
        fprintf(stderr, "bench_gateway: %s\n", plc_gw_store_message(s));
        return 2;
    }
    free(arch);
    plc_gw_config gc;
    plc_gw_config_default(&gc);
    gc.clock0 = T0;
    gc.parallel = parallel;
    gc.n_tasks = 2;
    gc.task[1] = (plc_gw_task){"energy", PLC_GW_ENERGY, 3600, 8 * 3600, 9 * 3600, 2};
    const plc_gw_link link = {b_send, &b};
    b.gw = plc_gw_create(&gc, s, plc_meshnet_loop(b.net), &link, err, sizeof(err));
    if (!b.gw) {
        fprintf(stderr, "bench_gateway: %s\n", err);
        return 2;
    }
    const plc_meshnet_app app = {.announced = b_announced, .frame = b_frame, .user = &b};
    plc_meshnet_set_app(b.net, &app);
    /* the night: formation from 22:00, the daily freeze from 00:05, the deadline 07:00; the
     * round's window opens at 08:00 */
    plc_meshnet_run(b.net, 10 * 3600 - 1);
    unsigned archive, got, in_time;
    plc_gw_daily_completeness(b.gw, 1767225600 + DAY, &archive, &got, &in_time);
    const unsigned joined = plc_meshnet_announced(b.net);
    printf("night: %u of %u meters joined; daily freeze of %u before 07:00 (%.2f%%), %u by 07:00\n",
           joined, n, in_time, 100.0 * in_time / n, got);
    /* 08:00: the read round of current energy */
    plc_gw_counters c0, c;
    plc_gw_get_counters(b.gw, &c0);
    if (getenv("GW_DEBUG"))
        fprintf(stderr, "before the round: requests %llu answers %llu timeouts %llu meter errors %llu stale %llu unsolicited %llu\n",
                (unsigned long long)c0.requests, (unsigned long long)c0.answers,
                (unsigned long long)c0.timeouts, (unsigned long long)c0.meter_errors,
                (unsigned long long)c0.stale_freezes, (unsigned long long)c0.unsolicited);
    debug_counters(&b, n);
    plc_medium_stats ms0, ms1;
    plc_medium_get_stats(plc_meshnet_medium(b.net), &ms0);
    ms1 = ms0;
    const double round_start = plc_meshnet_now_s(b.net);
    double round_end = round_start;
    unsigned round_got = 0;
    for (double t = round_start + 1; t <= round_start + 3600; t += 1) {
        plc_meshnet_run(b.net, t);
        plc_gw_get_counters(b.gw, &c);
        if (c.stored - c0.stored > round_got) {
            round_got = (unsigned)(c.stored - c0.stored);
            round_end = t;
            plc_medium_get_stats(plc_meshnet_medium(b.net), &ms1); /* as of its last answer */
        }
        if (round_got >= in_time && in_time)
            break;
    }
    /* the bound over the meters read, by the hops each answer came over */
    plc_gw_meter *all = calloc(n, sizeof(*all));
    unsigned rows = 0;
    plc_gw_store_meters(s, 1, all, n, &rows);
    const double per_hop = airtime_s(16) + airtime_s(20) + 2 * PLC_MAC_ACK_US / 1e6;
    double bound = 0, hops = 0;
    unsigned counted = 0;
    for (unsigned i = 0; i < rows && i < n; i++) {
        if (all[i].hops <= 0 ||
            plc_gw_store_has_reading(s, all[i].id, 0x00010000u, T0 + 10 * 3600) != 1)
            continue; /* not read in the round (the 08:00 slot) */
        bound += per_hop * all[i].hops;
        hops += all[i].hops;
        counted++;
    }
    free(all);
    const double took = round_end - round_start;
    if (getenv("GW_DEBUG")) { /* the round's line time, summed over the senders */
        fprintf(stderr, "the round's line time, s: ROBO, DBPSK, DQPSK, D8PSK, ACKs");
        for (int k = 0; k <= PLC_MOD_COUNT; k++)
            fprintf(stderr, " %.1f", (double)(ms1.samples[k] - ms0.samples[k]) / 400000.0);
        fprintf(stderr, "; beacon, command, EUI-64, broadcast, unicast, ACK");
        for (int k = 0; k < PLC_MEDIUM_KIND_OTHER; k++)
            fprintf(stderr, " %.1f", (double)(ms1.kind_samples[k] - ms0.kind_samples[k]) / 400000.0);
        fprintf(stderr, "\n");
    }
    printf("round at 08:00: %u meters read in %.0f s; airtime lower bound %.1f s over %u meters "
           "(%.3f s a hop: request %.1f ms, answer %.1f ms, ACKs %.1f ms, D8PSK), ratio %.2f\n",
           round_got, took, bound, counted, per_hop, airtime_s(16) * 1e3, airtime_s(20) * 1e3,
           2 * PLC_MAC_ACK_US / 1e3, bound > 0 ? took / bound : 0);
    plc_gw_get_counters(b.gw, &c);
    debug_counters(&b, n);
    if (getenv("GW_DEBUG"))
        fprintf(stderr, "the round: requests %llu answers %llu timeouts %llu send failures %llu stored %llu\n",
                (unsigned long long)(c.requests - c0.requests), (unsigned long long)(c.answers - c0.answers),
                (unsigned long long)(c.timeouts - c0.timeouts), (unsigned long long)(c.send_failures - c0.send_failures),
                (unsigned long long)(c.stored - c0.stored));
    const double wall = now_s() - t0;
    printf("{\"bench\":\"gateway\",\"meters\":%u,\"seed\":%u,\"parallel\":%u,\"joined\":%u,"
           "\"daily_before_deadline\":%u,\"daily_share\":%.4f,\"round_meters\":%u,"
           "\"round_s\":%.0f,\"bound_s\":%.1f,\"bound_ratio\":%.2f,\"mean_hops\":%.2f,"
           "\"requests\":%llu,\"timeouts\":%llu,\"wall_s\":%.1f}\n",
           n, seed, parallel, joined, in_time, (double)in_time / n, round_got, took, bound,
           bound > 0 ? took / bound : 0, counted ? hops / counted : 0,
           (unsigned long long)c.requests, (unsigned long long)c.timeouts, wall);
    plc_gw_destroy(b.gw);
    plc_meshnet_destroy(b.net);
    plc_gw_store_close(s);
    plc_sql_remove(path);
    return 0;
}
