/* The coordinator's side of G3's admission (the LBS; ../shared/spec/routing-g3.md sections
 * 4-5), as the concentrator runs it.
 *   Policy, checked on every JOINING: a blocked device is declined; one not on the
 *   allow-list (EUI-64 and its PSK) is declined and reported; with the network locked only
 *   devices already admitted may join again; past the device limit a new device is
 *   declined. Each refusal is counted by its reason and reported through ops.refused.
 *   Join: CHALLENGE with EAP-PSK message 1 (RAND_S, ID_S) -> the device's message 2 (MAC_P
 *   checked: a wrong PSK is declined) -> message 3 (MAC_S and, in the protected channel,
 *   the short address, the GMK and its activation) -> message 4 (its result) -> ACCEPTED
 *   (EAP success). A device joining again keeps its address. Messages go to the agent the
 *   JOINING came through (routed), or to the device's EUI-64 in clear when it is our
 *   neighbour. A JOINING that finds every session busy waits for one (a bounded list,
 *   oldest first, dropped when stale), or, when its turn is further off, is told when to
 *   come back (pacing, below). A step unanswered for step_timeout_ms is sent once more,
 *   then the exchange is dropped (the device starts again). A message that does not fit
 *   the exchange in progress (another RAND_S, a replayed or changed packet) is counted and
 *   dropped.
 *   Kick: KICK_TO_LBD to the device; it is forgotten (its address too).
 *   Rekey, two phases: distribute (EAP-PSK again with each joined device, carrying only
 *   the new GMK: every device then holds both keys) and, once every device has it (or the
 *   caller decides), activate (the coordinator sends with the new key from then on and an
 *   ACCEPTED with the GMK activation tells every device to; each answers with a parameter
 *   result). Receivers hold both keys throughout, so no frame is lost at the switch.
 * Portable: tables sized at create, time from the loop, randomness from ops. */
#ifndef PLC_LBP_SERVER_H
#define PLC_LBP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp.h"
#include "plc_loop.h"

typedef struct plc_lbs_config {
    uint8_t id_s[8];            /* ID_S: "plcstack" */
    unsigned max_devices;       /* the device limit and table: 1024 */
    unsigned allow_size;        /* allow-list entries: max_devices */
    unsigned block_size;        /* block-list entries: 64 */
    unsigned sessions;          /* exchanges at once: 5 (G3 stacks) */
    unsigned step_timeout_ms;   /* [R] an unanswered step is repeated once after at most:
                                 * 10000 (and this until a round trip is measured) */
    unsigned step_min_ms;       /* [R] ... and at least: 2000; in between, RFC 6298's
                                 * timeout on the steps' measured round trips */
    unsigned waiting;           /* [R] JOININGs that wait for a busy session: 32 */
    unsigned wait_ms;           /* [R] ... for at most: 12000 (the device's join wait is
                                 * 20 s; message 1 must reach it before) */
    uint16_t first_short;       /* addresses are given from here on: 0x0001 */
    /* [R] pacing: the sessions' capacity is a time line on which every JOINING taken on
     * books hold / sessions, hold being the measured time a join holds its session. A
     * JOINING that finds every session busy and whose slot is further off than half of
     * wait_ms is declined with the time to come back (PLC_LBP_PARAM_RETRY_AFTER); when it
     * comes back at that time it goes before newcomers. A session that ends with nobody
     * waiting gives one share back (a device told to come back did not). At most
     * defer_max_s: 900; 0: no pacing (the waiting list alone). */
    unsigned defer_max_s;
    unsigned hold_ms;           /* the hold assumed until one is measured: 8000 */
} plc_lbs_config;

void plc_lbs_config_default(plc_lbs_config *cfg);

typedef struct plc_lbs_ops {
    int (*send)(void *user, uint16_t dst, uint64_t dst_ext, const uint8_t *msg, size_t len);
    void (*random)(void *user, uint8_t *out, size_t n);
    void (*set_key)(void *user, uint8_t id, const uint8_t key[16]);  /* the coordinator's */
    void (*activate_key)(void *user, uint8_t id);
    /* a device admitted (its short address and the agent it came through, 0xFFFF: none);
     * may be NULL */
    void (*joined)(void *user, uint64_t eui, uint16_t short_addr, uint16_t agent);
    /* a JOINING refused: PLC_ERR_LBP_REFUSED (policy, reason in text) or PLC_ERR_LBP_AUTH */
    void (*refused)(void *user, uint64_t eui, int err, const char *reason); /* may be NULL */
    void *user;
} plc_lbs_ops;

typedef struct plc_lbs_counters {
    uint64_t joinings, joined, rejoined, not_allowed, blocked, full, locked, auth_failures,
        tampered, stale, malformed,
        queued,       /* JOININGs that waited for a session */
        wait_expired, /* ... and were dropped unserved (the device retries) */
        busy,         /* JOININGs dropped: every session busy and the waiting list full */
        deferred,     /* JOININGs declined with a time to come back (pacing) */
        step_repeats, timeouts, kicked, rekeyed, activated;
} plc_lbs_counters;

typedef struct plc_lbs plc_lbs;

/* gmk: the group key in force, with its id (0 or 1). */
plc_lbs *plc_lbs_create(const plc_lbs_config *cfg, plc_loop *loop, const plc_lbs_ops *ops,
                        uint8_t gmk_id, const uint8_t gmk[16]);
void plc_lbs_destroy(plc_lbs *s);
/* Allow-list: PLC_OK, PLC_ERR_QUEUE_FULL when it has no room. */
int plc_lbs_allow(plc_lbs *s, uint64_t eui, const uint8_t psk[16]);
void plc_lbs_disallow(plc_lbs *s, uint64_t eui);
int plc_lbs_block(plc_lbs *s, uint64_t eui, int blocked);
void plc_lbs_lock(plc_lbs *s, int locked);
/* Sends KICK_TO_LBD and forgets the device: PLC_OK or PLC_ERR_ARG (not admitted). */
int plc_lbs_kick(plc_lbs *s, uint64_t eui);
/* An LBP message from the adaptation layer. */
void plc_lbs_input(plc_lbs *s, const plc_adp_lbp_indication *ind);
/* Rekey phase 1: the new key (the other id) to every admitted device. PLC_ERR_BUSY while a
 * rekey runs. */
int plc_lbs_rekey_distribute(plc_lbs *s, const uint8_t gmk[16]);
/* Rekey phase 2: the new key in force. PLC_ERR_ARG without a distributed key. */
int plc_lbs_rekey_activate(plc_lbs *s);
/* Admitted devices; of them, those holding the newest key and those using it. */
void plc_lbs_rekey_progress(const plc_lbs *s, unsigned *devices, unsigned *distributed,
                            unsigned *activated);
/* The short address of an admitted device: PLC_OK or PLC_ERR_ARG. */
int plc_lbs_lookup(const plc_lbs *s, uint64_t eui, uint16_t *short_addr);
unsigned plc_lbs_device_count(const plc_lbs *s);
/* Pacing: the measured hold of a join's session, and how far ahead the sessions are
 * booked (0: not booked beyond now), in ms. */
void plc_lbs_pacing(const plc_lbs *s, unsigned *hold_ms, unsigned *booked_ms);
void plc_lbs_get_counters(const plc_lbs *s, plc_lbs_counters *c);

#endif
