/* The adaptation layer's data service: up to 1280 bytes to a short address anywhere in the
 * mesh. A datagram goes out behind a mesh header (originator, final destination, hops left
 * = max_hops) over the route LOADng holds (discovered first when there is none; the
 * datagram waits), cut into FRAG1/FRAGN fragments when it does not fit one MAC MSDU; every
 * node on the way relays it with hops left - 1 and learns the reverse route to its
 * originator. The destination reassembles (a datagram whose fragments do not all arrive
 * within the reassembly timeout is dropped whole and counted) and indicates it with its
 * originator, the hops it took and the last link's LQI. Broadcasts carry a BC0 sequence and
 * are relayed once per (originator, sequence) while hops are left. A datagram the MAC could
 * not deliver goes once more over the same route after a random 0.5-2.5 s; failing again,
 * the route is dropped and repaired once (a RREQ with the R flag, or the next beacon for
 * the coordinator); a relay that cannot go on sends a RERR to the originator. Portable:
 * sized at create. */
#ifndef PLC_ADP_H
#define PLC_ADP_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp_frame.h"
#include "plc_loadng.h"
#include "plc_mac.h"

typedef struct plc_adp_config {
    plc_loadng_config loadng;        /* self is taken from here */
    unsigned queue;                  /* datagrams of our own in progress or waiting: 4 */
    unsigned reassembly_slots;       /* 4 */
    unsigned reassembly_timeout_ms;  /* 10000 [R] (spec: 2-60 s across stacks) */
    unsigned broadcast_log;          /* (originator, sequence) remembered: 32 */
    unsigned broadcast_log_ttl_s;    /* adpBroadcastLogTableEntryTTL: 120 */
    unsigned relays;                 /* relayed frames awaiting their MAC confirm: 8 (queue +
                                      * relays at most 247) */
    unsigned broadcast_jitter_ms;    /* [R] a broadcast is relayed after random(0, this): 500 */
    unsigned broadcast_redundancy;   /* [R] ... unless this many neighbours relayed it in the
                                      * meantime (Trickle's k): 3; 0: always relay */
    /* Routes between the meters and the coordinator without discoveries [R]: the coordinator
     * broadcasts a route beacon every beacon_period_s (0: it does not); every node learns its
     * route to the coordinator from the beacons (and any broadcast of the coordinator's),
     * over links that are not weak when it can; a datagram for the coordinator without a
     * route, or whose route failed, waits up to beacon_wait_s for the next beacon instead of
     * flooding a RREQ. The coordinator learns its routes to the meters from their traffic. */
    /* G3's composite link cost, round(Kr MODKr + Km MODKm + Kc (tones off / tones) +
     * Kq (255 - LQI) / 255) + Kh, from the MAC's neighbour entry (its modulation and tone
     * map: MODKr 1 for ROBO, MODKm 3 ROBO/BPSK, 2 QPSK, 1 8PSK) and the frame's LQI.
     * Defaults the spec's (public stacks'): Kr 0, Km 0, Kc 0, Kq 10, Kh 4. */
    unsigned kr, km, kc, kq, kh;
    uint16_t coordinator;            /* 0x0000 */
    unsigned beacon_period_s;        /* 0 (the coordinator sets it: 60) */
    unsigned beacon_wait_s;          /* 150 */
    /* [R] a route beacon heard below this LQI gives a route to the coordinator only where
     * there is none: 32 (SNR -2 dB). A beacon is one unacknowledged frame, and ROBO's frames
     * still get through now and then below -2 dB, where a unicast needs tens of tries; the
     * weak-link count cannot tell such a link from one at 3 dB (docs/routing.md). 0: every
     * copy counts. */
    unsigned beacon_min_lqi;
    /* [R] every frame this node sends contends in the MAC's high-priority window on its
     * first attempt (G3's QualityOfService 1; the MAC puts retries in the normal window):
     * 0; the coordinator sets 1. It is the sink of the area: every admission and every
     * read goes through it, so it needs more of its neighbourhood's line than any one of
     * its neighbours (HPLC gives the CCO its own beacon slots). */
    int high_priority;
} plc_adp_config;

void plc_adp_config_default(plc_adp_config *cfg);

typedef struct plc_adp_indication {
    uint16_t orig, final;
    const uint8_t *data;
    size_t len;
    unsigned hops;          /* links it crossed */
    uint8_t lqi;            /* of the last one */
} plc_adp_indication;

/* An LBP message (0x40 0x02 ...): from a neighbour by the MAC (src, or src_ext when it used
 * its EUI-64; secured 0 for the join's first hop, which goes in clear), or routed to us
 * (src = its originator, secured). */
typedef struct plc_adp_lbp_indication {
    uint16_t src;
    uint64_t src_ext;
    int secured;
    uint8_t lqi;
    const uint8_t *msg;
    size_t len;
} plc_adp_lbp_indication;

typedef struct plc_adp_callbacks {
    void (*confirm)(void *user, uint8_t handle, int status);
    void (*indication)(void *user, const plc_adp_indication *ind);
    void (*lbp)(void *user, const plc_adp_lbp_indication *ind);           /* may be NULL */
    /* a MAC beacon heard (an answer to a beacon request): its sender's route cost to the
     * coordinator */
    void (*beacon)(void *user, uint16_t src, uint16_t rc_coord, uint8_t lqi); /* may be NULL */
    /* a path discovery ended (plc_adp_path_request; plc_loadng_ops.path) (may be NULL) */
    void (*path)(void *user, uint16_t dst, int status, const plc_loadng_path *reply);
    void *user;
} plc_adp_callbacks;

typedef struct plc_adp_counters {
    uint64_t tx_datagrams, tx_ok, tx_failed, tx_fragments, relayed, relay_failed, rx_datagrams,
        rx_broadcasts,
        duplicates, /* fragments received twice or overlapping others: dropped */
        hops_exhausted, no_route, reassembly_timeouts,
        reassembly_full, /* first fragments with every reassembly slot taken: dropped */
        malformed,
        queue_full, repairs, resends, beacons, relays_suppressed, rx_lbp,
        unsecured, /* frames in clear that are not LBP, dropped */
        control_unconfirmed; /* LOADng unicasts sent without a confirm (all slots waiting) */
} plc_adp_counters;

typedef struct plc_adp plc_adp;

plc_adp *plc_adp_create(const plc_adp_config *cfg, plc_loop *loop, uint64_t seed,
                        const plc_adp_callbacks *cb);
void plc_adp_destroy(plc_adp *a);
/* The callbacks to create this node's MAC with (the ADP is its user), then attach it. */
plc_mac_callbacks plc_adp_mac_callbacks(plc_adp *a);
void plc_adp_attach(plc_adp *a, plc_mac *mac);
/* Queues a datagram (1..PLC_ADP_MAX_DATA bytes: the data service puts its 2-byte dispatch,
 * ESC 0x80, in front) to dst (PLC_ADP_BROADCAST: everyone): PLC_OK (a
 * confirm follows) or why not at once. */
int plc_adp_data_request(plc_adp *a, uint16_t dst, const uint8_t *data, size_t len,
                         uint8_t handle);
/* Sends an LBP message (msg: 0x40 0x02 ...): to a neighbour's EUI-64 (dst_ext non-zero) or,
 * from a node without a short address, to neighbour dst, in one hop in clear; otherwise
 * routed to dst like a datagram (no confirm). */
int plc_adp_lbp_request(plc_adp *a, uint16_t dst, uint64_t dst_ext, const uint8_t *msg,
                        size_t len);
/* Asks for the path the routes to dst take, both ways, hop by hop with each link's cost
 * (G3's ADPM-PATH-DISCOVERY; plc_loadng_path_discover): PLC_OK (cb.path follows). */
int plc_adp_path_request(plc_adp *a, uint16_t dst, uint8_t metric);
/* The node's short address (it joined: the address LBP gave it; 0xFFFF: it left). */
void plc_adp_set_address(plc_adp *a, uint16_t short_addr);
/* Just joined: the route to the coordinator goes through the agent at first (G3 stacks),
 * with the cost the agent advertised plus the link's; beacons improve on it. */
void plc_adp_set_coordinator_route(plc_adp *a, uint16_t agent, unsigned cost);
/* A copy of every MSDU this node hands to the MAC (outgoing 1: to neighbour `peer`,
 * PLC_MAC_NO_SHORT to an EUI-64) or takes from it (0: from `peer`, PLC_MAC_NO_SHORT from
 * a node without an address), as the adaptation layer sees it (in clear: the MAC secures
 * it on the line). For captures; NULL turns it off. */
typedef void (*plc_adp_tap_fn)(void *user, uint16_t peer, const uint8_t *msdu, size_t len,
                               int outgoing);
void plc_adp_set_tap(plc_adp *a, plc_adp_tap_fn fn, void *user);
/* The composite link cost to a neighbour heard with this LQI (the config's weights). */
unsigned plc_adp_link_cost(const plc_adp *a, uint16_t neighbour, uint8_t lqi);
plc_loadng *plc_adp_routing(plc_adp *a);
void plc_adp_get_counters(const plc_adp *a, plc_adp_counters *c);

#endif
