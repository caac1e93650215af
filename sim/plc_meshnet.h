/* A transformer area as a mesh: a concentrator (node 0: short address 0, the LBP server and
 * route beacons) and meters (nodes 1..N) on one simulated medium, every node the full stack
 * (MAC with security, adaptation layer with LOADng, LBP). Meters power up at random within
 * a window and join through LBP (each with its EUI-64 and PSK on the concentrator's
 * allow-list); a joined meter announces itself to the concentrator (one datagram, repeated
 * every 30 s until acknowledged, 10 times at most), which teaches the relays and the
 * concentrator the way back without a discovery. A read round asks every joined meter once
 * (`parallel` requests in flight, each asked at most twice) and each answers.
 * Quality against the medium's true links: every link's expected transmissions (ETX =
 * 1 / ((1 - PER data) (1 - PER ACK)) for ROBO frames, from the PER table at the link's
 * SNR), each meter's route to the concentrator in ETX, the ETX-shortest path (Dijkstra) and
 * an HPLC-style tree (each node's parent: its best link to a node with fewer hops). */
#ifndef PLC_MESHNET_H
#define PLC_MESHNET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plc_adp.h"
#include "plc_lbp_device.h"
#include "plc_lbp_server.h"
#include "plc_mac.h"
#include "plc_medium.h"

typedef struct plc_meshnet_config {
    plc_medium_config medium;   /* nodes = meters + 1 unless a topology file says */
    unsigned power_up_s;        /* meters power up at random in [0, this): 600 */
    unsigned parallel;          /* concentrator's datagrams in flight: 5 */
    unsigned beacon_period_s;   /* route beacons: 300 */
    unsigned max_hops;          /* 15 */
    uint64_t seed;              /* 1 */
} plc_meshnet_config;

void plc_meshnet_config_default(plc_meshnet_config *cfg);

typedef struct plc_meshnet plc_meshnet;

typedef struct plc_meshnet_round {
    unsigned meters, asked, answered;
    unsigned max_hops;
    double mean_hops;
    uint64_t frames, rreq_frames;  /* MAC frames on the line during the round; RREQs among them */
    double sim_s;
} plc_meshnet_round;

typedef struct plc_meshnet_quality {
    unsigned routed;            /* meters with a route to the concentrator */
    double route_etx;           /* mean ETX of their routes (as the next hops go) */
    double oracle_etx;          /* mean ETX of the shortest paths on the true links */
    double tree_etx;            /* mean ETX in the HPLC-style tree */
    unsigned unreachable;       /* meters without any path on the true links */
} plc_meshnet_quality;

plc_meshnet *plc_meshnet_create(const plc_meshnet_config *cfg, char *err, size_t errlen);
void plc_meshnet_destroy(plc_meshnet *n);
unsigned plc_meshnet_meters(const plc_meshnet *n);
double plc_meshnet_now_s(const plc_meshnet *n);
void plc_meshnet_run(plc_meshnet *n, double until_s);
/* Runs until every meter has joined (and announced itself) or until_s: the time all were
 * joined, or a negative value. */
double plc_meshnet_form(plc_meshnet *n, double until_s);
unsigned plc_meshnet_joined(const plc_meshnet *n);
/* One request (req bytes) and answer (ans bytes) with every joined meter. */
void plc_meshnet_read_round(plc_meshnet *n, size_t req, size_t ans, plc_meshnet_round *r);
/* MAC frames every node put on the line so far, and the LOADng RREQs sent or relayed. */
void plc_meshnet_frames(const plc_meshnet *n, uint64_t *frames, uint64_t *rreq);
void plc_meshnet_quality_get(plc_meshnet *n, plc_meshnet_quality *q);
/* The routes to the concentrator as a Graphviz graph (edge labels: link ETX). */
int plc_meshnet_write_dot(plc_meshnet *n, FILE *f);

/* For tests: a node's layers, and taking a node off the line for good. */
plc_adp *plc_meshnet_adp(plc_meshnet *n, unsigned node);
plc_mac *plc_meshnet_mac(plc_meshnet *n, unsigned node);
plc_lbd *plc_meshnet_lbd(plc_meshnet *n, unsigned node);
plc_lbs *plc_meshnet_lbs(plc_meshnet *n);
uint64_t plc_meshnet_eui(const plc_meshnet *n, unsigned node);
/* Application datagrams from the concentrator to meter `node`, each answered: the meter
 * side answers every request of the round protocol. */
int plc_meshnet_ask(plc_meshnet *n, unsigned node, size_t req, size_t ans);
unsigned plc_meshnet_answers(const plc_meshnet *n, unsigned node);
void plc_meshnet_kill(plc_meshnet *n, unsigned node);
plc_medium *plc_meshnet_medium(plc_meshnet *n);
/* Meters whose announce the concentrator acknowledged. */
unsigned plc_meshnet_announced(const plc_meshnet *n);

#endif
