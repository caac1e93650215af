/* The joining device's side of G3's admission (LBP with EAP-PSK; the LBD, and once joined
 * the agent, LBA, that relays its neighbours' joins). ../shared/spec/routing-g3.md
 * sections 4-5.
 *   Scan: after a random back-off, a MAC beacon request (none when beacons that other
 *   devices' scans drew were heard during the back-off [R]); for scan_ms every beacon is a
 *   candidate agent (LQI >= min_lqi, RC_COORD < 0x7FFF); the agent is the one with the
 *   lowest route cost through it, RC_COORD + the link's cost [R] (G3 stacks: lowest
 *   RC_COORD, then highest LQI), ties to the higher LQI.
 *   Join: JOINING to the agent in clear from our EUI-64; the server's CHALLENGEs come back
 *   through it: EAP-PSK message 1 -> 2 (RAND_P, MAC_P), 3 (MAC_S checked, the protected
 *   channel opened: short address, GMK and its activation) -> 4 (the parameters' result),
 *   then ACCEPTED (EAP success): the address and key are used only now. No progress for
 *   the join wait (join_wait_ms, doubled per JOINING unanswered since the last join up to
 *   join_wait_max_ms): the JOINING again after a random back-off (tries per agent), then a
 *   new scan with a longer back-off. A repeated request gets the earlier answer again.
 *   Joined: EAP-PSK again with only a GMK (rekey, phase 1: the key is installed, not
 *   used); ACCEPTED with a GMK activation (phase 2: send with it from now; answered with
 *   a parameter result); KICK_TO_LBD: leave after 2 s and join again.
 *   Agent: a JOINING in clear whose MAC source is its A_LBD goes on to the server, routed;
 *   what the server sends to a device not us goes on to that EUI-64 in clear.
 * Portable: no allocation after create, time from the loop, randomness from ops. */
#ifndef PLC_LBP_DEVICE_H
#define PLC_LBP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp.h"
#include "plc_loop.h"

typedef struct plc_lbd_config {
    uint64_t eui;                /* this device's EUI-64: A_LBD and ID_P */
    uint8_t psk[16];             /* its pre-shared key */
    uint16_t server;             /* the coordinator (LBS): 0x0000 */
    unsigned scan_ms;            /* listening for beacons: 12000 (G3 stacks) */
    unsigned join_wait_ms;       /* adpMaxJoinWaitTime without progress: 20000 */
    unsigned join_wait_max_ms;   /* [R] ... doubled for each JOINING unanswered since the
                                  * last join, up to this: 180000. On a busy line an answer
                                  * takes longer than 20 s, and every JOINING sent again
                                  * crosses the whole mesh (docs/routing.md) */
    unsigned min_lqi;            /* an agent's beacon at least: 53 */
    unsigned tries;              /* JOININGs per agent before a new scan: 3 */
    unsigned retry_ms;           /* [R] the n-th JOINING unanswered since the last join:
                                  * the next after random(0, retry_ms 2^(n-1)): 10000 */
    unsigned retry_doublings;    /* [R] ... at most 2^this: 5 (320 s). Binary exponential
                                  * back-off: a large area's devices retrying every
                                  * join wait are what congests it */
    unsigned backoff_min_ms;     /* before a scan, random(min, max), doubling per failed */
    unsigned backoff_max_ms;     /* round: 1000, 5000 (G3 stacks: 1-5 s) */
    unsigned backoff_doublings;  /* [R] ... up to 2^this times: 6 (64-320 s: in a large
                                  * area most early scans find no agent, and each draws
                                  * answers); an agent heard meanwhile ends a long
                                  * back-off within random(min, max) */
    unsigned kick_delay_ms;      /* leaving after a kick: 2000 */
    unsigned defer_max_s;        /* [R] a DECLINE with a time to come back (the server's
                                  * pacing): the JOINING again through the same agent then,
                                  * waiting at most this: 900 (it comes in clear) */
} plc_lbd_config;

void plc_lbd_config_default(plc_lbd_config *cfg);

typedef struct plc_lbd_ops {
    /* plc_adp_lbp_request */
    int (*send)(void *user, uint16_t dst, uint64_t dst_ext, const uint8_t *msg, size_t len);
    int (*beacon_request)(void *user);
    unsigned (*link_cost)(void *user, uint16_t neighbour, uint8_t lqi);
    void (*random)(void *user, uint8_t *out, size_t n);
    /* joined with this short address through this agent (PLC_ADP_BROADCAST: none, we
     * are the coordinator's neighbour), route cost to the coordinator through it */
    void (*joined)(void *user, uint16_t short_addr, uint16_t agent, unsigned cost);
    void (*set_key)(void *user, uint8_t id, const uint8_t key[16]);
    void (*activate_key)(void *user, uint8_t id);
    void (*left)(void *user);    /* kicked: the address and keys go */
    void *user;
    /* optional [R]: just joined, one MAC beacon unasked (plc_mac_beacon_send), so that the
     * devices around, backing off before their scans, hear a new agent and need no scan */
    int (*announce)(void *user);
} plc_lbd_ops;

typedef enum {
    PLC_LBD_IDLE, PLC_LBD_BACKOFF, PLC_LBD_SCAN, PLC_LBD_JOINING, PLC_LBD_JOINED
} plc_lbd_state;

typedef struct plc_lbd_counters {
    uint64_t scans,
        passive, /* back-offs that ended with agents heard (others' scans): no scan */
        joinings, joined, declined, timeouts, auth_failures, stale, malformed,
        deferred, /* DECLINEs with a time to come back (the server's pacing) */
        rekeys, activations, kicked, relayed_up, relayed_down, relay_refused;
} plc_lbd_counters;

typedef struct plc_lbd plc_lbd;

plc_lbd *plc_lbd_create(const plc_lbd_config *cfg, plc_loop *loop, const plc_lbd_ops *ops);
void plc_lbd_destroy(plc_lbd *d);
/* Powered up: back-off, scan, join. */
void plc_lbd_start(plc_lbd *d);
/* From the adaptation layer's callbacks. */
void plc_lbd_input(plc_lbd *d, const plc_adp_lbp_indication *ind);
void plc_lbd_beacon(plc_lbd *d, uint16_t src, uint16_t rc_coord, uint8_t lqi);
plc_lbd_state plc_lbd_get_state(const plc_lbd *d);
uint16_t plc_lbd_short_addr(const plc_lbd *d); /* 0xFFFF until joined */
void plc_lbd_get_counters(const plc_lbd *d, plc_lbd_counters *c);

#endif
