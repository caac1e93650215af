/* A transformer area as a mesh: a concentrator (node 0: short address 0, the LBP server and
 * route beacons) and meters (nodes 1..N) on one simulated medium, every node the full stack
 * (MAC with security, adaptation layer with LOADng, LBP). Meters power up at random within
 * a window and join through LBP (each with its EUI-64 and PSK on the concentrator's
 * allow-list); a joined meter announces itself to the concentrator (one datagram, repeated
 * every 30 s until acknowledged, 10 times, then every 300-450 s), which teaches the relays and the
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
#include "plc_app_dispatch.h"
#include "plc_lbp_device.h"
#include "plc_lbp_server.h"
#include "plc_mac.h"
#include "plc_medium.h"
#include "plc_meter.h"
#include "plc_meter_node.h"

typedef struct plc_meshnet_config {
    plc_medium_config medium;   /* nodes = meters + 1 unless a topology file says */
    unsigned power_up_s;        /* meters power up at random in [0, this): 600 */
    unsigned parallel;          /* concentrator's datagrams in flight: 5 */
    unsigned beacon_period_s;   /* route beacons: 300 */
    unsigned max_hops;          /* 15 */
    unsigned routes;            /* every meter's LOADng route table: 0, one per node of the
                                 * area (+ 8), as the concentrator's always is */
    uint64_t seed;              /* 1 */
    /* 1: every meter is a simulated DL/T 645 meter (sim/plc_meter.h, address = its node
     * number in 12 digits) behind the meter node app on the mesh's data service; its hello
     * carries that address; the concentrator's side is the application set with
     * plc_meshnet_set_app. 0 (default): the bare read-round protocol. */
    int dlt645;
    plc_dlt645_time meter_start; /* the meters' clocks at time 0: 2026-01-01 00:00:00 */
    /* DL/T 645 mode: every meter's firmware image module (meter/plc_fw_image.h, a 64 KiB
     * store) checks an image's signature with this (NULL: every image is refused) */
    int (*image_verify)(const uint8_t digest[32], const uint8_t sig[64]);
    int allow_none;             /* 1: the coordinator's allow-list starts empty (the
                                 * application fills it: plc_meshnet_allow); 0: every meter */
    unsigned meter_clock_spread_s; /* ... each off by up to +/- this, seeded: 0 */
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
    /* mean ETX of the routes LOADng's rules would pick knowing every link (fewer weak links,
     * then the composite cost): what our routing could reach; the rest of the gap to
     * oracle_etx is the rules' price (they avoid marginal links) */
    double policy_etx;
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
/* One request (req bytes) and answer (ans bytes) with every meter joined and announced (as
 * a concentrator reads the meters it knows), meters joining meanwhile included. */
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
/* The node that holds a short address (0: the concentrator; -1: none). */
int plc_meshnet_node_of(const plc_meshnet *n, uint16_t short_addr);
/* Application datagrams from the concentrator to meter `node`, each answered: the meter
 * side answers every request of the round protocol. */
int plc_meshnet_ask(plc_meshnet *n, unsigned node, size_t req, size_t ans);
unsigned plc_meshnet_answers(const plc_meshnet *n, unsigned node);
void plc_meshnet_kill(plc_meshnet *n, unsigned node);
plc_medium *plc_meshnet_medium(plc_meshnet *n);
plc_loop *plc_meshnet_loop(plc_meshnet *n);

/* DL/T 645 mode: the concentrator's application (node 0). */
typedef struct plc_meshnet_app {
    /* a meter announced itself: its short address and DL/T 645 address (wire order) */
    void (*announced)(void *user, uint16_t short_addr, const uint8_t addr[6]);
    /* a DL/T 645 frame from a meter, with the hops it came over and its last link's LQI */
    void (*frame)(void *user, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *data,
                  size_t len);
    /* the data service's confirm of plc_meshnet_send (first hop) */
    void (*confirm)(void *user, uint8_t handle, int status);
    /* an image transfer message from a meter (PLC_IMAGE_DISPATCH stripped) */
    void (*image)(void *user, uint16_t from, const uint8_t *msg, size_t len);
    /* the coordinator refused a device's join (may be NULL) */
    void (*refused)(void *user, uint64_t eui, const char *reason);
    /* the concentrator's path discovery ended (plc_adp_callbacks.path; may be NULL) */
    void (*path)(void *user, uint16_t dst, int status, const plc_loadng_path *reply);
    void *user;
} plc_meshnet_app;
void plc_meshnet_set_app(plc_meshnet *n, const plc_meshnet_app *app);
/* Image transfer messages travel behind PLC_IMAGE_DISPATCH (meter/plc_app_dispatch.h); the
 * simulation's own read-round datagrams are 0x11 and 0x12. */
/* The image a meter runs (0: the one it came with) and its module's state. */
uint32_t plc_meshnet_image(const plc_meshnet *n, unsigned node, int *state);
/* A DL/T 645 frame (or, behind PLC_IMAGE_DISPATCH, an image transfer message) from
 * the concentrator to a short address (0xFFFF: everyone). */
int plc_meshnet_send(plc_meshnet *n, uint16_t to, const uint8_t *frame, size_t len,
                     uint8_t handle);
/* The meter node app's counters of a node (zero: not DL/T 645 mode). */
void plc_meshnet_meter_counters(const plc_meshnet *n, unsigned node, plc_meter_node_counters *c);
/* The coordinator's allow-list: a device (EUI-64) with its PSK, or out (and, when it is on
 * the mesh, kicked off: KICK_TO_LBD). */
int plc_meshnet_allow(plc_meshnet *n, uint64_t eui, const uint8_t psk[16]);
void plc_meshnet_disallow(plc_meshnet *n, uint64_t eui);
/* The simulation's PSK of a node (what its manufacturer would hand the utility). */
void plc_meshnet_psk(const plc_meshnet *n, unsigned node, uint8_t psk[16]);
/* The simulated meter of a node (NULL: not DL/T 645 mode). */
plc_meter *plc_meshnet_meter(plc_meshnet *n, unsigned node);
/* Mains lost at a meter: its node sends the last gasp at once and goes dark (meter and
 * modem) after the hold-up time. */
int plc_meshnet_power_cut(plc_meshnet *n, unsigned node);
/* Mains back: the meter runs again and its modem starts afresh (its frame counter kept),
 * joins through LBP again within 1-5 s of boot and announces itself. */
int plc_meshnet_power_restore(plc_meshnet *n, unsigned node);
/* Meters whose announce the concentrator acknowledged. */
unsigned plc_meshnet_announced(const plc_meshnet *n);

#endif
