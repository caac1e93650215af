/* The mesh at the size of a transformer area: a concentrator and N meters on a generated
 * feeder (sim/plc_topology: poles along a main line with branches), abstract PHY, secured MAC,
 * every node an adaptation layer with LOADng. No admission yet (issue 16 in progress): every
 * node starts with its short address and the group key; the concentrator sends a route
 * beacon every 300 s and every meter registers once at a random time (300 s window, 1200 s
 * above 200 meters). One read round: the concentrator
 * asks every meter (a 40-byte request, up to `parallel` in flight, HPLC rigs run 5) and each
 * answers 120 bytes over the route learned from the request; a request unanswered within
 * 20 s x hops is asked once more. Prints per round: meters answered (delivery), max and
 * mean hops, RREQ share (RREQ frames sent or relayed / all MAC frames on the line), frames
 * per meter, simulated and wall time, and one JSON line.
 *   bench_mesh [meters] [parallel] [seed] [topology]
 *     (default 1000 5 1 and a generated feeder; run from the source tree; with a topology file,
 *     e.g. sim/topologies/area1000.txt, the meters are the file's)
 * Targets (issue 16): delivery >= 99.9%, RREQ share <= 10%; formation and join figures
 * come with admission. MESH_DEBUG=1 prints what formation reached and where discoveries
 * came from. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "plc_adp.h"
#include "plc_mac.h"
#include "plc_medium.h"

typedef struct node {
    struct net *net;
    unsigned id;
    plc_adp *adp;
    plc_mac *mac;
} node;

typedef struct net {
    plc_loop *loop;
    plc_medium *medium;
    plc_mac_sec *sec;
    unsigned n;
    node *node;
    unsigned char *answered; /* per meter */
    unsigned *hops;
    unsigned *asked;         /* times asked */
    uint64_t *deadline;      /* loop us when the current ask gives up */
    unsigned in_flight, next, answers, registered;
} net;

static void on_register(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    node *x = user;
    const uint8_t r[16] = {0x52};
    plc_adp_data_request(x->adp, 0, r, sizeof(r), 2);
}

static void on_ind(void *user, const plc_adp_indication *ind)
{
    node *x = user;
    net *w = x->net;
    if (x->id == 0 && ind->len == 16 && ind->data[0] == 0x52) {
        w->registered++;
        return;
    }
    if (x->id == 0) {
        if (ind->orig < w->n && !w->answered[ind->orig] && ind->len == 120) {
            w->answered[ind->orig] = 1;
            w->hops[ind->orig] = ind->hops;
            w->answers++;
            w->in_flight--;
        }
        return;
    }
    if (ind->orig == 0 && ind->len == 40) {
        uint8_t a[120];
        memset(a, (int)x->id, sizeof(a));
        plc_adp_data_request(x->adp, 0, a, sizeof(a), 1);
    }
}

/* Frames every MAC put on the line, and the RREQs among them (sent or relayed). */
static void count_frames(const net *w, uint64_t *frames, uint64_t *rreq)
{
    *frames = *rreq = 0;
    for (unsigned i = 0; i < w->n; i++) {
        plc_mac_counters c;
        plc_mac_get_counters(w->node[i].mac, &c);
        *frames += c.tx_frames;
        plc_loadng_counters l;
        plc_loadng_get_counters(plc_adp_routing(w->node[i].adp), &l);
        *rreq += l.rreq_sent + l.rreq_relayed;
    }
}

int main(int argc, char **argv)
{
    const unsigned meters = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    const unsigned parallel = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
    const uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    const char *topology = argc > 4 ? argv[4] : NULL;
    net w = {.n = topology ? 4096 : meters + 1};
    w.loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(w.n) + 90 * w.n);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.nodes = w.n;
    mc.seed = seed;
    mc.abstract_phy = 1;
    mc.topology_file = topology;
    char err[256];
    w.medium = plc_medium_create(&mc, w.loop, err, sizeof(err));
    if (!w.medium) {
        fprintf(stderr, "bench_mesh: %s\n", err);
        return 2;
    }
    w.n = plc_medium_nodes(w.medium);
    const unsigned meters_ = w.n - 1;
#define meters meters_
    w.sec = plc_mac_sec_create();
    static const uint8_t gmk[16] = {0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0x4D, 0xE7, 0xC1,
                                    0xC4, 0x23, 0x5E, 0x6F, 0xEF, 0x6C, 0x15, 0x1F};
    plc_mac_sec_set_key(w.sec, 0, gmk);
    w.node = calloc(w.n, sizeof(node));
    w.answered = calloc(w.n, 1);
    w.hops = calloc(w.n, sizeof(unsigned));
    w.asked = calloc(w.n, sizeof(unsigned));
    w.deadline = calloc(w.n, sizeof(uint64_t));
    for (unsigned i = 0; i < w.n; i++) {
        node *x = &w.node[i];
        x->net = &w;
        x->id = i;
        plc_adp_config ac;
        plc_adp_config_default(&ac);
        ac.loadng.self = (uint16_t)i;
        ac.loadng.max_hops = 15;
        if (i == 0) {
            ac.loadng.route_table_size = w.n;
            ac.queue = parallel + 2;
            ac.beacon_period_s = 300;
        }
        const plc_adp_callbacks cb = {.indication = on_ind, .user = x};
        x->adp = plc_adp_create(&ac, w.loop, seed * 7919u + i, &cb);
        plc_mac_pib pib;
        plc_mac_pib_default(&pib);
        pib.short_addr = (uint16_t)i;
        pib.security_enabled = 1;
        if (i == 0) {
            pib.neighbour_table_size = w.n;
            pib.queue_size = 32;
            pib.reassembly_trains = 16;
        }
        const plc_mac_callbacks mcb = plc_adp_mac_callbacks(x->adp);
        x->mac = plc_mac_create(&pib, seed * 31u + i, w.loop, plc_medium_phy(w.medium, i), w.sec, &mcb);
        if (!x->adp || !x->mac) {
            fprintf(stderr, "bench_mesh: out of memory\n");
            return 2;
        }
        plc_adp_attach(x->adp, x->mac);
    }
    const double t0 = now_s();
    /* formation without admission yet: the concentrator's route beacons (every 60 s) teach
     * every node its route to it; each meter registers (one datagram to the concentrator, at a random time
     * in the window), which teaches the concentrator and the relays the way back */
    plc_loop_run(w.loop, 30000000); /* the first route beacon goes out at 1 s */
    unsigned routed = 0;
    for (unsigned k = 1; k < w.n; k++)
        routed += plc_loadng_next_hop(plc_adp_routing(w.node[k].adp), 0, NULL, NULL, NULL) == PLC_OK;
    if (getenv("MESH_DEBUG")) {
        plc_adp_counters a0, a1;
        plc_adp_get_counters(w.node[0].adp, &a0);
        plc_adp_get_counters(w.node[1].adp, &a1);
        plc_mac_counters m0, m1;
        plc_mac_get_counters(w.node[0].mac, &m0);
        plc_mac_get_counters(w.node[1].mac, &m1);
        fprintf(stderr, "after the concentrator's broadcast: %u of %u meters have a route to it; "
                "c: tx %llu ok %llu failed %llu mac frames %llu; m1: bcast %llu relayed %llu mac rx %llu dup %llu malformed %llu\n",
                routed, meters, (unsigned long long)a0.tx_datagrams, (unsigned long long)a0.tx_ok,
                (unsigned long long)a0.tx_failed, (unsigned long long)m0.tx_frames,
                (unsigned long long)a1.rx_broadcasts, (unsigned long long)a1.relayed,
                (unsigned long long)m1.rx_msdu, (unsigned long long)a1.duplicates, (unsigned long long)a1.malformed);
    }
    plc_timer *reg = calloc(w.n, sizeof(plc_timer));
    const unsigned window_ms = w.n > 200 ? 1200000u : 300000u; /* registrations spread over it */
    for (unsigned k = 1; k < w.n; k++) {
        plc_timer_init(&reg[k], on_register, &w.node[k]);
        plc_timer_start_at(w.loop, &reg[k], 30000000u + (uint64_t)((k * 2654435761u) % window_ms) * 1000u);
    }
    plc_loop_run(w.loop, 60000000u + (uint64_t)window_ms * 1000u);
    uint64_t formation_frames, formation_rreq;
    count_frames(&w, &formation_frames, &formation_rreq);
    printf("formation: %u of %u meters registered, %llu frames (%llu RREQ)\n", w.registered,
           meters, (unsigned long long)formation_frames, (unsigned long long)formation_rreq);
    const uint64_t read_t0 = plc_loop_now_us(w.loop);
    /* the read round: keep `parallel` requests in flight */
    uint8_t q[40];
    memset(q, 0x11, sizeof(q));
    unsigned done_meters = 0;
    uint64_t t = 0;
    while (done_meters < meters && t < 36000000000ull) {
        /* start requests */
        for (unsigned k = 1; k < w.n && w.in_flight < parallel; k++) {
            const uint64_t now = plc_loop_now_us(w.loop);
            if (w.answered[k] || w.asked[k] >= 2 || (w.asked[k] && now < w.deadline[k]))
                continue;
            if (plc_adp_data_request(w.node[0].adp, (uint16_t)k, q, sizeof(q), 0) != PLC_OK)
                break;
            w.asked[k]++;
            w.deadline[k] = now + 60000000u; /* discovery (40 s) plus the exchange */
            w.in_flight++;
        }
        t = plc_loop_now_us(w.loop) + 1000000;
        plc_loop_run(w.loop, t);
        done_meters = 0;
        unsigned pending = 0;
        for (unsigned k = 1; k < w.n; k++) {
            const int expired = plc_loop_now_us(w.loop) >= w.deadline[k];
            const int gave_up = w.asked[k] >= 2 && expired;
            done_meters += w.answered[k] || gave_up;
            pending += !w.answered[k] && w.asked[k] && !expired; /* still in flight */
        }
        w.in_flight = pending;
    }
    const double wall = now_s() - t0, sim_s = (double)(plc_loop_now_us(w.loop) - read_t0) / 1e6;
    uint64_t frames, rreq;
    count_frames(&w, &frames, &rreq);
    unsigned maxh = 0;
    double sumh = 0;
    for (unsigned i = 1; i < w.n; i++)
        if (w.answered[i]) {
            sumh += w.hops[i];
            if (w.hops[i] > maxh)
                maxh = w.hops[i];
        }
    frames -= formation_frames;
    rreq -= formation_rreq;
    if (getenv("MESH_DEBUG")) {
        uint64_t disc_c = 0, disc_m = 0, relfail = 0, noroute = 0;
        for (unsigned i = 0; i < w.n; i++) {
            plc_loadng_counters l;
            plc_loadng_get_counters(plc_adp_routing(w.node[i].adp), &l);
            plc_adp_counters ac;
            plc_adp_get_counters(w.node[i].adp, &ac);
            relfail += ac.relay_failed;
            noroute += ac.no_route;
            if (i == 0)
                disc_c += l.discoveries;
            else
                disc_m += l.discoveries;
        }
        fprintf(stderr, "discoveries (formation and read): concentrator %llu meters %llu; relay failures %llu, no route %llu\n",
                (unsigned long long)disc_c, (unsigned long long)disc_m,
                (unsigned long long)relfail, (unsigned long long)noroute);
    }
    const double delivery = (double)w.answers / meters;
    printf("mesh read round: %u meters, %u answered (%.2f%%), hops max %u mean %.2f, RREQ share "
           "%.1f%% (%llu of %llu frames), %.1f frames per meter, %.0f simulated s in %.1f wall s\n",
           meters, w.answers, 100 * delivery, maxh, w.answers ? sumh / w.answers : 0,
           frames ? 100.0 * (double)rreq / (double)frames : 0, (unsigned long long)rreq,
           (unsigned long long)frames, (double)frames / meters, sim_s, wall);
    printf("{\"bench\":\"mesh\",\"meters\":%u,\"parallel\":%u,\"seed\":%llu,\"delivery\":%.4f,"
           "\"max_hops\":%u,\"mean_hops\":%.2f,\"rreq_share\":%.4f,\"frames_per_meter\":%.1f,"
           "\"sim_s\":%.0f,\"wall_s\":%.1f}\n",
           meters, parallel, (unsigned long long)seed, delivery, maxh,
           w.answers ? sumh / w.answers : 0, frames ? (double)rreq / (double)frames : 0,
           (double)frames / meters, sim_s, wall);
    return 0;
}
