/* The concentrator's link to the head-end (docs/upstream.md): a ZeroMQ DEALER over CURVE
 * whose routing id is the gateway id, carrying the Envelopes of gateway/proto.
 *
 * Delivery: what the store's outbox holds (every new reading, event and command result,
 * plc_gw_store.h) goes up in batches, `window` of them in flight; the head-end commits a
 * batch and acknowledges up to its last seq, and only then is it deleted from the outbox. A
 * connection starts with a login, whose answer says what the head-end holds of this store's
 * epoch, and sending resumes from there; a batch not acknowledged within ack_timeout_s is
 * sent again. So a reading committed to the store reaches the head-end, and the head-end's
 * UNIQUE(gateway, epoch, seq) keeps resends from being stored twice.
 *
 * Liveness: a heartbeat every heartbeat_s (answered with the head-end's clock); after
 * heartbeat_misses without any message from the head-end the socket is closed and opened
 * again after a back-off that doubles from backoff_min_ms to backoff_max_ms. ZMTP heartbeats
 * run under it (ZMQ_HEARTBEAT_IVL) so a dead TCP connection is noticed by libzmq too.
 *
 * Clock: every heartbeat round trip is a sample (plc_up_clock.h); the concentrator's clock is
 * stepped when an estimate is beyond clock_step_ms, and each step is logged as an event.
 *
 * Commands: each goes to plc_gw_command_submit (meter commands, a tariff's price among
 * them) or is done here (time sync, archive add/remove, search window, topology); all but the topology (read only)
 * are logged by id, so a repeated id gets the stored result and is not applied again.
 * Results go up through the outbox; a repeated command's result is sent at once. */
#ifndef PLC_GW_UPSTREAM_H
#define PLC_GW_UPSTREAM_H

#include <stdint.h>

#include "plc_gw.h"
#include "plc_gw_store.h"

typedef struct plc_gw_upstream_config {
    char endpoint[128];         /* the head-end, e.g. tcp://127.0.0.1:7400 */
    char gateway_id[48];        /* routing id and login name */
    char key_file[256];         /* our secret key file (plc-keygen's .key) */
    char server_key_file[256];  /* the head-end's public key file (.pub) */
    unsigned heartbeat_s;       /* 300 */
    unsigned heartbeat_misses;  /* 3 */
    unsigned backoff_min_ms;    /* 1000 */
    unsigned backoff_max_ms;    /* 60000 */
    unsigned batch;             /* items a batch: 1000 */
    unsigned window;            /* batches in flight: 4 */
    unsigned ack_timeout_s;     /* 10 */
    int clock_sync;             /* step our clock from the head-end's: 1 */
    unsigned clock_samples;     /* 8 */
    unsigned clock_step_ms;     /* 2000 */
    int has_location;           /* 0 */
    double latitude, longitude, altitude_m;
    char location_source[16];   /* "configured" or "gnss" */
} plc_gw_upstream_config;

static inline void plc_gw_upstream_config_default(plc_gw_upstream_config *c)
{
    *c = (plc_gw_upstream_config){.heartbeat_s = 300, .heartbeat_misses = 3,
                                  .backoff_min_ms = 1000, .backoff_max_ms = 60000,
                                  .batch = 1000, .window = 4, .ack_timeout_s = 10,
                                  .clock_sync = 1, .clock_samples = 8, .clock_step_ms = 2000,
                                  .location_source = "configured"};
}

typedef struct plc_gw_upstream_stats {
    int up;                      /* logged in now */
    uint64_t logins, reconnects, heartbeats, heartbeat_acks;
    uint64_t batches, items_sent, items_acked, resends, gaps;
    uint64_t commands, commands_repeated, bad_messages, auth_failures;
    uint64_t clock_steps;
    int64_t last_offset_ms;      /* the last clock estimate */
    uint64_t outbox;             /* items waiting */
} plc_gw_upstream_stats;

typedef struct plc_gw_upstream plc_gw_upstream;

/* Reads the key files; err says why not. Connecting starts at the first poll. */
plc_gw_upstream *plc_gw_upstream_create(const plc_gw_upstream_config *cfg, plc_gw *gw,
                                        plc_gw_store *store, const char *software, char *err,
                                        size_t errlen);
void plc_gw_upstream_destroy(plc_gw_upstream *u);
/* Does what is due and handles what came, waiting up to wait_ms for the head-end (0: not at
 * all). Call it often: it is the link's only thread. */
void plc_gw_upstream_poll(plc_gw_upstream *u, int wait_ms);
/* The position logins report (a GNSS fix, gateway/plc_gw_nmea.h: source "gnss"); the first
 * of a new source logs in again at once so the head-end has it. */
void plc_gw_upstream_set_location(plc_gw_upstream *u, double latitude, double longitude,
                                  double altitude_m, const char *source);
void plc_gw_upstream_get_stats(plc_gw_upstream *u, plc_gw_upstream_stats *s);
/* 1 when the outbox is empty (everything acknowledged). */
int plc_gw_upstream_drained(plc_gw_upstream *u);

#endif
