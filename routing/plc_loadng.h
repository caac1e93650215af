/* LOADng route discovery (G3's binary LOADng, ../shared/spec/routing-g3.md section 2) over
 * the adaptation layer: RREQ flooded with a fresh sequence number, RREP unicast back along
 * the reverse route, RERR toward the originator of data that could not be relayed. The
 * route table holds per destination: next hop, sequence number, route cost (the sum of the
 * composite link costs), hop count, weak links, validity, whether the route is
 * bidirectional (a RREP or data came back over it). Choices against RREQ storms ([R],
 * docs/routing.md): a RREQ copy is relayed only when it improves on the best seen for its
 * (originator, sequence), after a random jitter, and at most once more per improvement;
 * routes are learned from every data frame received or relayed (the reverse route to its
 * originator), so answers never need a discovery; a discovery per destination at most once
 * per rreq_wait; the destination answers once, rrep_wait after the first copy, over the
 * best reverse route seen by then. Portable: tables sized at create, time from the loop. */
#ifndef PLC_LOADNG_H
#define PLC_LOADNG_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp_frame.h"
#include "plc_loop.h"

typedef struct plc_loadng_config {
    uint16_t self;              /* this node's short address */
    unsigned route_table_size;  /* adpRoutingTableSize: 150 */
    unsigned blacklist_size;    /* 20 */
    unsigned max_hops;          /* adpMaxHops: 8 */
    unsigned rrep_wait_ms;      /* adpRREPWait: 4000 */
    unsigned net_traversal_ms;  /* adpNetTraversalTime: 20000 (a discovery waits 2x) */
    unsigned rreq_retries;      /* adpRREQRetries: 0 */
    unsigned rreq_wait_ms;      /* adpRREQWait: 30000, between discoveries of one destination */
    unsigned route_ttl_s;       /* adpRoutingTableEntryTTL: 21600 */
    unsigned blacklist_ttl_s;   /* adpBlacklistTableEntryTTL: 600 */
    unsigned weak_lqi;          /* adpWeakLQIValue: 52 (SNR 3 dB) */
    /* [R] the weak-link threshold of a link with the coordinator at one end: 72 (SNR 8 dB).
     * Those links carry the whole area's traffic, so a marginal one fails under load where
     * a link further out would not (docs/routing.md "Links with the coordinator"). */
    unsigned coordinator_weak_lqi;
    uint16_t coordinator;       /* the coordinator's short address: 0x0000 */
    unsigned rreq_jitter_ms;    /* [R] relaying a RREQ waits random(0, this): 250 */
    unsigned route_failures;    /* [R] failed datagrams in a row that drop a route: 3 */
    /* adpUnicastRREQGenEnable: 1. A repair first sends its RREQ unicast over the route that
     * failed (each relay on along its own bidirectional route); the MAC failing it, or no
     * answer in net_traversal_ms, floods it. */
    int unicast_rreq;
    unsigned path_discovery_ms; /* adpPathDiscoveryTime: 40000, a PREQ awaits its PREP */
} plc_loadng_config;

void plc_loadng_config_default(plc_loadng_config *cfg);

typedef struct plc_loadng_ops {
    /* Sends a LOADng message (0x40 0x01 ...) to a neighbour, or to all (PLC_ADP_BROADCAST).
     * A unicast one's MAC confirm comes back through plc_loadng_sent. */
    int (*send)(void *user, uint16_t next_hop, const uint8_t *msg, size_t len);
    /* The composite link cost to a neighbour that sent with this LQI. */
    unsigned (*link_cost)(void *user, uint16_t neighbour, uint8_t lqi);
    /* A discovery ended: found (status PLC_OK) or not (PLC_ERR_NO_ROUTE). */
    void (*discovered)(void *user, uint16_t dest, int status);
    /* A path discovery of dest ended (may be NULL): PLC_OK with the reply (the forward hops
     * end at dest); PLC_ERR_NO_ROUTE with the reply of the node the PREQ could not go on
     * from (the path up to it); PLC_ERR_TIMEOUT, or the MAC's error when the first hop
     * did not take the PREQ, with reply NULL. */
    void (*path)(void *user, uint16_t dest, int status, const plc_loadng_path *reply);
    void *user;
} plc_loadng_ops;

typedef struct plc_loadng_counters {
    uint64_t rreq_sent, rreq_relayed, rreq_dropped, rrep_sent, rrep_relayed, rerr_sent,
        rerr_received, discoveries, discoveries_failed, routes_learned, malformed,
        table_full, routes_failed, /* routes dropped after route_failures */
        rreq_unicast, rreq_unicast_failed, /* repairs' unicast RREQs; those the MAC failed */
        blacklisted, unblacklisted,
        preq_sent, preq_relayed, prep_sent, prep_relayed,
        path_dropped; /* path messages dropped: no route back, 16 hops, a loop back to
                       * us, or a PREP for no discovery of ours (late) */
} plc_loadng_counters;

typedef struct plc_loadng plc_loadng;

plc_loadng *plc_loadng_create(const plc_loadng_config *cfg, plc_loop *loop, uint64_t seed,
                              const plc_loadng_ops *ops);
void plc_loadng_destroy(plc_loadng *r);
/* The next hop toward dest over a valid route (hops and cost when not NULL): PLC_OK or
 * PLC_ERR_NO_ROUTE. */
int plc_loadng_next_hop(plc_loadng *r, uint16_t dest, uint16_t *next, unsigned *hops,
                        unsigned *cost);
/* Starts a discovery of dest (repair: the R flag): PLC_OK (ops.discovered follows);
 * PLC_ERR_BUSY while one for dest runs (its ops.discovered will come); PLC_ERR_NO_ROUTE
 * when the last one for dest began less than rreq_wait ago (no new flood yet);
 * PLC_ERR_FULL with every discovery slot running. */
int plc_loadng_discover(plc_loadng *r, uint16_t dest, int repair);
/* Asks the nodes on the route to dest for the path it takes (G3's path discovery, for the
 * topology: the routes as the nodes hold them, each hop with its link cost, both ways):
 * a PREQ goes hop by hop over each node's own route to dest, every node appending itself;
 * dest (or the first node without a route on) answers with a PREP back over its route to
 * us, every node appending itself again. PLC_OK (ops.path follows within
 * path_discovery_ms), PLC_ERR_BUSY while one runs, PLC_ERR_NO_ROUTE without a route to
 * dest (discover it first), PLC_ERR_ARG (dest ourselves, metric over 15). */
int plc_loadng_path_discover(plc_loadng *r, uint16_t dest, uint8_t metric);
/* A LOADng message (after 0x40 0x01) from neighbour `from`, received with this LQI. */
void plc_loadng_input(plc_loadng *r, uint16_t from, uint8_t lqi, const uint8_t *p, size_t len);
/* Whether the link with this neighbour, heard at this LQI, is weak. */
int plc_loadng_link_weak(const plc_loadng *r, uint16_t neighbour, uint8_t lqi);
/* A data frame from originator orig came in from neighbour `via` after `hops` hops, its
 * last link weak (LQI below weak_lqi) or not: the reverse route. A route over a weak link
 * gives way to one without; among equals, the fewer hops. 1 when the route changed. */
int plc_loadng_learn(plc_loadng *r, uint16_t orig, uint16_t via, unsigned hops, int weak);
/* A route to dest over neighbour via, with this many weak links and this cost (and hops),
 * from an advertisement of dest's (the coordinator's route beacons): taken when better than
 * the route known (LOADng's order: fewer weak links, then lower cost), over the same
 * neighbour (refreshed), or when fresh (from a newer advertisement than the known route's).
 * 1 when the route or its cost changed. */
int plc_loadng_learn_cost(plc_loadng *r, uint16_t dest, uint16_t via, unsigned hops,
                          unsigned weak, unsigned cost, int fresh);
/* The cost and weak links of the route to dest: PLC_OK or PLC_ERR_NO_ROUTE. */
int plc_loadng_route_cost(plc_loadng *r, uint16_t dest, unsigned *cost, unsigned *weak);
/* The node's short address changed (it joined or left): the route table is cleared. */
void plc_loadng_set_self(plc_loadng *r, uint16_t self);
/* The MAC could not deliver a datagram for dest to next_hop. [R] The route fails only
 * after route_failures such datagrams in a row (in a busy cell most failures are
 * collisions, and each failed route costs a repair): 1 when it failed now. A failed route
 * carries no data; a repair's unicast RREQ probes it, any route learned replaces it. */
int plc_loadng_link_failed(plc_loadng *r, uint16_t next_hop, uint16_t dest);
/* A datagram for dest reached next_hop: the route's failures start again from 0 and its
 * validity is renewed (a route in use does not expire). */
void plc_loadng_link_ok(plc_loadng *r, uint16_t next_hop, uint16_t dest);
/* A neighbour that does not carry traffic back (a RREP it did not acknowledge): its RREQs
 * are ignored for blacklist_ttl_s or until a frame to it is acknowledged, the routes
 * through it that never carried a frame back dropped. */
void plc_loadng_blacklist(plc_loadng *r, uint16_t neighbour);
int plc_loadng_blacklisted(const plc_loadng *r, uint16_t neighbour);
/* The MAC's confirm of a unicast LOADng message ops.send gave (msg as given): a RREP not
 * acknowledged blacklists next_hop; a unicast RREQ not acknowledged floods from here; a
 * PREQ not acknowledged is answered from here (the path so far); anything acknowledged
 * takes next_hop off the blacklist. */
void plc_loadng_sent(plc_loadng *r, uint16_t next_hop, const uint8_t *msg, size_t len,
                     int status);
/* Sends a RERR to orig: dest could not be reached from here. */
void plc_loadng_send_rerr(plc_loadng *r, uint16_t orig, uint16_t unreachable);
void plc_loadng_get_counters(const plc_loadng *r, plc_loadng_counters *c);
unsigned plc_loadng_route_count(const plc_loadng *r);

#endif
