/* The reference head-end (docs/upstream.md): a ZeroMQ ROUTER bound with CURVE as server,
 * ROUTER_MANDATORY set, and a ZAP handler in its context that admits only the keys of its
 * allow-list file and names each by its gateway id (the ZAP user id). Every message's
 * User-Id must equal the routing id it came with, and the gateway must still be in the
 * allow-list (it is read again when the file changes), else the message is dropped and
 * logged. Batches are committed (plc_he_store.h) before they are acknowledged; commands
 * queued in the store go to their gateways when these are logged in. Linux side. */
#ifndef PLC_HE_H
#define PLC_HE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_he_store.h"

typedef struct plc_he_config {
    char bind[128];          /* e.g. tcp://127.0.0.1:7400 */
    char key_file[256];      /* the head-end's secret key (plc-keygen's .key) */
    char allow_file[256];    /* lines "GATEWAY_ID KEY" (Z85 public key, or a .pub file path) */
    char store[256];
    int durable;             /* synchronous=FULL: 1 */
    int64_t clock_offset_ms; /* added to the clock it tells (tests of the gateways' clock): 0 */
} plc_he_config;

void plc_he_config_default(plc_he_config *c);

typedef struct plc_he_stats {
    uint64_t logins, batches, items, stored, duplicates, gaps, heartbeats;
    uint64_t results, commands_sent, refused_keys, bad_messages, id_mismatches;
    unsigned gateways_up;
} plc_he_stats;

typedef struct plc_he plc_he;

plc_he *plc_he_create(const plc_he_config *cfg, char *err, size_t errlen);
void plc_he_destroy(plc_he *h);
/* Handles what came and sends what is due, waiting up to wait_ms. */
void plc_he_poll(plc_he *h, int wait_ms);
void plc_he_get_stats(const plc_he *h, plc_he_stats *s);
/* Whether a command would be taken by a gateway (the checks of plc_up_validate): PLC_OK, or
 * PLC_ERR_UP_INVALID with why. */
int plc_he_command_check(const plc_he_command *c, char *why, size_t cap);
/* The clock it tells: local ms + clock_offset_ms. */
int64_t plc_he_clock_ms(const plc_he *h);

#endif
