/* The mesh at the size of a transformer area (sim/plc_meshnet): a concentrator and N meters
 * on a generated feeder or a given one, abstract PHY, secured MAC, LOADng, LBP admission.
 * Meters power up at random over a window and join; then one read round (a 40-byte request
 * and a 120-byte answer per meter, `parallel` in flight, HPLC rigs run 5; a request
 * unanswered within 60 s is asked once more). Prints formation (joined, when all were),
 * the round (delivery, hops, RREQ share: RREQ frames sent or relayed / all MAC frames on
 * the line during the round, frames per meter), route quality against the true links (mean
 * ETX of the routes, of the shortest paths, of an HPLC-style tree and of the routes LOADng's
 * rules would pick knowing every link), wall time, and one JSON line.
 *   bench_mesh [meters] [parallel] [seed] [topology] [power_up_s] [settle_s]
 *     (default 1000 5 1, a generated feeder, 600 s, 0 s between formation and the round;
 *     run from the source tree; with a
 *     topology file, e.g. sim/topologies/area1000.txt, the meters are the file's)
 *   MESH_DEBUG=1: admission, queue and per-meter counters; MESH_TIMELINE=1: the formation
 *   every 100 simulated s (joined, MAC, line time by modulation, ADP, RREQ, admission).
 * Targets (issue 16): all joined within 1800 s, delivery >= 99.9%, RREQ share <= 10%, route
 * ETX within 1.15x of the shortest paths', under 5 wall minutes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "plc_meshnet.h"

typedef unsigned long long ull;

/* The meters' admission counters summed. */
static void lbd_totals(plc_meshnet *w, unsigned n, plc_lbd_counters *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned k = 1; k <= n; k++) {
        plc_lbd_counters c;
        plc_lbd_get_counters(plc_meshnet_lbd(w, k), &c);
        t->scans += c.scans, t->passive += c.passive, t->joinings += c.joinings;
        t->timeouts += c.timeouts, t->declined += c.declined, t->stale += c.stale;
        t->auth_failures += c.auth_failures, t->relayed_up += c.relayed_up;
        t->relayed_down += c.relayed_down, t->relay_refused += c.relay_refused;
        t->malformed += c.malformed, t->deferred += c.deferred;
    }
}

/* MESH_TIMELINE: one step of the formation: joined, the MAC's frames and failures over all
 * nodes, the concentrator's MAC queue, line time by modulation, and what the adaptation
 * layer, LOADng and admission sent. */
static void timeline(plc_meshnet *w, unsigned n, double t)
{
    plc_mac_counters s = {0};
    plc_adp_counters A = {0};
    plc_loadng_counters L = {0};
    for (unsigned k = 0; k <= n; k++) {
        plc_mac_counters c;
        plc_adp_counters a;
        plc_loadng_counters l;
        if (!plc_meshnet_mac(w, k))
            continue;
        plc_mac_get_counters(plc_meshnet_mac(w, k), &c);
        s.tx_frames += c.tx_frames, s.tx_retries += c.tx_retries;
        s.tx_msdu_failed += c.tx_msdu_failed, s.rx_payload_failed += c.rx_payload_failed;
        s.queue_overflows += c.queue_overflows;
        plc_adp_get_counters(plc_meshnet_adp(w, k), &a);
        plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(w, k)), &l);
        A.tx_datagrams += a.tx_datagrams, A.relayed += a.relayed, A.relay_failed += a.relay_failed;
        L.rreq_sent += l.rreq_sent, L.rreq_relayed += l.rreq_relayed;
    }
    plc_lbd_counters D;
    lbd_totals(w, n, &D);
    fprintf(stderr, "t %4.0f joined %u | MAC frames %llu retries %llu failed %llu payload lost %llu "
            "queue full %llu, concentrator's queue %u | line s:",
            t, plc_meshnet_joined(w), (ull)s.tx_frames, (ull)s.tx_retries, (ull)s.tx_msdu_failed,
            (ull)s.rx_payload_failed, (ull)s.queue_overflows,
            plc_mac_queue_length(plc_meshnet_mac(w, 0)));
    plc_medium_stats ms;
    plc_medium_get_stats(plc_meshnet_medium(w), &ms);
    for (int k = 0; k <= PLC_MOD_COUNT; k++) /* ROBO, DBPSK, DQPSK, D8PSK, ACKs */
        fprintf(stderr, " %.0f", (double)ms.samples[k] / 400000.0);
    fprintf(stderr, " (beacon, command, EUI-64, broadcast, unicast, ACK:");
    for (int k = 0; k < PLC_MEDIUM_KIND_OTHER; k++)
        fprintf(stderr, " %.0f", (double)ms.kind_samples[k] / 400000.0);
    fprintf(stderr, "; heard by the concentrator:");
    for (int k = 0; k < PLC_MEDIUM_KIND_OTHER; k++)
        fprintf(stderr, " %.0f", (double)ms.near_kind_samples[k] / 400000.0);
    fprintf(stderr, ")");
    unsigned hold, booked;
    plc_lbs_pacing(plc_meshnet_lbs(w), &hold, &booked);
    fprintf(stderr, " | ADP tx %llu relayed %llu failed %llu | RREQ %llu+%llu | scans %llu "
            "passive %llu JOININGs %llu timeouts %llu | hold %u ms booked %u s\n",
            (ull)A.tx_datagrams, (ull)A.relayed, (ull)A.relay_failed, (ull)L.rreq_sent,
            (ull)L.rreq_relayed, (ull)D.scans, (ull)D.passive, (ull)D.joinings, (ull)D.timeouts,
            hold, booked / 1000);
}

int main(int argc, char **argv)
{
    plc_meshnet_config cfg;
    plc_meshnet_config_default(&cfg);
    const unsigned meters = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    cfg.parallel = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
    cfg.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    cfg.medium.topology_file = argc > 4 && argv[4][0] ? argv[4] : NULL;
    cfg.power_up_s = argc > 5 ? (unsigned)atoi(argv[5]) : 600;
    const double settle_s = argc > 6 ? atof(argv[6]) : 0;
    cfg.medium.nodes = meters + 1;
    char err[256];
    const double t0 = now_s();
    plc_meshnet *w = plc_meshnet_create(&cfg, err, sizeof(err));
    if (!w) {
        fprintf(stderr, "bench_mesh: %s\n", err);
        return 2;
    }
    const unsigned n = plc_meshnet_meters(w);
    if (getenv("MESH_TIMELINE"))
        for (double t = 100; t <= 1800.0 + cfg.power_up_s; t += 100) {
            /* how busy the concentrator's carrier sense finds the line */
            const plc_phy_service c = plc_medium_phy(plc_meshnet_medium(w), 0);
            unsigned busy = 0;
            for (int k = 1; k <= 5000; k++) {
                plc_meshnet_run(w, t - 100 + k * 0.02);
                busy += c.ops->busy(c.phy) ? 1 : 0;
            }
            fprintf(stderr, "concentrator's line busy %.0f%% ", busy / 50.0);
            timeline(w, n, t);
        }
    const double all = plc_meshnet_form(w, 1800.0 + cfg.power_up_s);
    uint64_t ff, fq;
    plc_meshnet_frames(w, &ff, &fq);
    const unsigned joined = plc_meshnet_joined(w);
    printf("formation: %u of %u meters joined (LBP + EAP-PSK), %s%.0f s, %llu frames (%llu RREQ)\n",
           joined, n, all >= 0 ? "all by " : "not all in ", all >= 0 ? all : plc_meshnet_now_s(w),
           (unsigned long long)ff, (unsigned long long)fq);
    if (getenv("MESH_DEBUG")) {
        plc_lbd_counters t;
        lbd_totals(w, n, &t);
        plc_adp_counters a0;
        plc_adp_get_counters(plc_meshnet_adp(w, 0), &a0);
        uint64_t qf = 0, rf = 0;
        for (unsigned k = 1; k <= n; k++) {
            plc_adp_counters a;
            plc_adp_get_counters(plc_meshnet_adp(w, k), &a);
            qf += a.queue_full;
            rf += a.relay_failed;
        }
        plc_mac_counters ms = {0};
        for (unsigned k = 0; k <= n; k++) {
            plc_mac_counters mc;
            if (!plc_meshnet_mac(w, k))
                continue;
            plc_mac_get_counters(plc_meshnet_mac(w, k), &mc);
            ms.tx_msdu_failed += mc.tx_msdu_failed, ms.replays += mc.replays, ms.no_key += mc.no_key;
            ms.decryption_errors += mc.decryption_errors, ms.duplicates += mc.duplicates;
            ms.neighbours_evicted += mc.neighbours_evicted, ms.queue_overflows += mc.queue_overflows;
            ms.join_link_sent += mc.join_link_sent, ms.join_link_failed += mc.join_link_failed;
        }
        fprintf(stderr, "MAC (all nodes): msdu failed %llu replays %llu no key %llu decryption errors %llu "
                "duplicates %llu neighbours evicted %llu queue full %llu join hop above ROBO %llu "
                "(failed %llu)\n",
                (unsigned long long)ms.tx_msdu_failed, (unsigned long long)ms.replays,
                (unsigned long long)ms.no_key, (unsigned long long)ms.decryption_errors,
                (unsigned long long)ms.duplicates, (unsigned long long)ms.neighbours_evicted,
                (unsigned long long)ms.queue_overflows, (unsigned long long)ms.join_link_sent,
                (unsigned long long)ms.join_link_failed);
        {
            plc_adp_counters S = {0}, c;
            for (unsigned k = 1; k <= n; k++) {
                plc_adp_get_counters(plc_meshnet_adp(w, k), &c);
                S.tx_datagrams += c.tx_datagrams, S.tx_ok += c.tx_ok, S.tx_failed += c.tx_failed;
                S.relayed += c.relayed, S.relay_failed += c.relay_failed, S.no_route += c.no_route;
                S.queue_full += c.queue_full, S.repairs += c.repairs, S.resends += c.resends;
                S.hops_exhausted += c.hops_exhausted;
            }
            fprintf(stderr, "meters' ADP: tx %llu ok %llu failed %llu relayed %llu relay failed %llu "
                    "no route %llu queue full %llu repairs %llu resends %llu hops %llu; "
                    "concentrator rx LBP %llu rx %llu\n",
                    (ull)S.tx_datagrams, (ull)S.tx_ok, (ull)S.tx_failed, (ull)S.relayed,
                    (ull)S.relay_failed, (ull)S.no_route, (ull)S.queue_full, (ull)S.repairs,
                    (ull)S.resends, (ull)S.hops_exhausted, (ull)a0.rx_lbp, (ull)a0.rx_datagrams);
        }
        fprintf(stderr, "concentrator: queue full %llu tx %llu failed %llu; meters: queue full %llu "
                "relay failed %llu\n", (unsigned long long)a0.queue_full,
                (unsigned long long)a0.tx_datagrams, (unsigned long long)a0.tx_failed,
                (unsigned long long)qf, (unsigned long long)rf);
        unsigned noroute = 0;
        for (unsigned k = 1; k <= n; k++)
            noroute += plc_loadng_next_hop(plc_adp_routing(plc_meshnet_adp(w, k)), 0, NULL, NULL,
                                           NULL) != PLC_OK;
        fprintf(stderr, "announced %u, meters without a route to the concentrator %u\n",
                plc_meshnet_announced(w), noroute);
        plc_lbs_counters s;
        plc_lbs_get_counters(plc_meshnet_lbs(w), &s);
        fprintf(stderr, "devices: scans %llu passive %llu joinings %llu timeouts %llu declined %llu "
                "deferred %llu stale %llu auth %llu relayed up %llu down %llu refused %llu malformed %llu\n"
                "server: joinings %llu joined %llu queued %llu expired %llu busy %llu deferred %llu "
                "repeats %llu timeouts %llu stale %llu tampered %llu auth %llu\n",
                (unsigned long long)t.scans, (unsigned long long)t.passive,
                (unsigned long long)t.joinings,
                (unsigned long long)t.timeouts, (unsigned long long)t.declined,
                (unsigned long long)t.deferred,
                (unsigned long long)t.stale, (unsigned long long)t.auth_failures,
                (unsigned long long)t.relayed_up, (unsigned long long)t.relayed_down,
                (unsigned long long)t.relay_refused, (unsigned long long)t.malformed,
                (unsigned long long)s.joinings, (unsigned long long)s.joined,
                (unsigned long long)s.queued, (unsigned long long)s.wait_expired,
                (unsigned long long)s.busy, (unsigned long long)s.deferred,
                (unsigned long long)s.step_repeats,
                (unsigned long long)s.timeouts, (unsigned long long)s.stale,
                (unsigned long long)s.tampered, (unsigned long long)s.auth_failures);
    }
    plc_meshnet_round r;
    plc_meshnet_run(w, plc_meshnet_now_s(w) + settle_s); /* route beacons before the round */
    plc_meshnet_read_round(w, 40, 120, &r);
    if (getenv("MESH_DEBUG")) /* the meters that did not answer, and why */
        for (unsigned k = 1; k <= n; k++) {
            if (plc_meshnet_answers(w, k))
                continue;
            plc_adp_counters a;
            plc_adp_get_counters(plc_meshnet_adp(w, k), &a);
            plc_loadng_counters l;
            plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(w, k)), &l);
            fprintf(stderr, "meter %u: state %d rx %llu tx %llu ok %llu failed %llu no route %llu "
                    "unsecured %llu malformed %llu discoveries %llu\n", k,
                    (int)plc_lbd_get_state(plc_meshnet_lbd(w, k)),
                    (unsigned long long)a.rx_datagrams, (unsigned long long)a.tx_datagrams,
                    (unsigned long long)a.tx_ok, (unsigned long long)a.tx_failed,
                    (unsigned long long)a.no_route, (unsigned long long)a.unsecured,
                    (unsigned long long)a.malformed, (unsigned long long)l.discoveries);
        }
    plc_meshnet_quality q;
    plc_meshnet_quality_get(w, &q);
    const double wall = now_s() - t0;
    const double delivery = n ? (double)r.answered / n : 0;
    const double share = r.frames ? (double)r.rreq_frames / (double)r.frames : 0;
    printf("read round: %u of %u meters answered (%.2f%%), hops max %u mean %.2f, RREQ share "
           "%.1f%% (%llu of %llu frames), %.1f frames per meter, %.0f simulated s\n",
           r.answered, n, 100 * delivery, r.max_hops, r.mean_hops, 100 * share,
           (unsigned long long)r.rreq_frames, (unsigned long long)r.frames,
           n ? (double)r.frames / n : 0, r.sim_s);
    printf("route quality (ETX on the true links, %u meters routed): routes %.3f, shortest "
           "paths %.3f (ratio %.3f), HPLC-style tree %.3f (ratio %.3f), LOADng's rules knowing "
           "every link %.3f (ratio %.3f; to the shortest paths %.3f)\n",
           q.routed, q.route_etx, q.oracle_etx, q.oracle_etx ? q.route_etx / q.oracle_etx : 0,
           q.tree_etx, q.tree_etx ? q.route_etx / q.tree_etx : 0, q.policy_etx,
           q.policy_etx ? q.route_etx / q.policy_etx : 0,
           q.oracle_etx ? q.policy_etx / q.oracle_etx : 0);
    printf("wall %.1f s\n", wall);
    printf("{\"bench\":\"mesh\",\"meters\":%u,\"parallel\":%u,\"seed\":%llu,\"joined\":%u,"
           "\"all_joined_s\":",
           n, cfg.parallel, (unsigned long long)cfg.seed, joined);
    if (all >= 0)
        printf("%.0f", all);
    else
        printf("null");
    printf(",\"delivery\":%.4f,\"max_hops\":%u,\"mean_hops\":%.2f,\"rreq_share\":%.4f,"
           "\"frames_per_meter\":%.1f,\"route_etx\":%.3f,\"oracle_etx\":%.3f,\"tree_etx\":%.3f,"
           "\"policy_etx\":%.3f,"
           "\"etx_ratio\":%.3f,\"settle_s\":%.0f,\"round_sim_s\":%.0f,\"wall_s\":%.1f}\n",
           delivery, r.max_hops, r.mean_hops, share, n ? (double)r.frames / n : 0, q.route_etx,
           q.oracle_etx, q.tree_etx, q.policy_etx, q.oracle_etx ? q.route_etx / q.oracle_etx : 0,
           settle_s, r.sim_s,
           wall);
    plc_meshnet_destroy(w);
    return 0;
}
