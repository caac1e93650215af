/* A network of MACs on one simulated medium: node i gets short address i (node 0 the
 * concentrator), PAN 0x781D, optionally both group keys. Traffic is either sent by hand
 * (plc_macnet_send) or kept saturated (plc_macnet_saturate: a new MSDU whenever the last one
 * is confirmed). Counts what every node sent, delivered and failed, with delays.
 * Fault injection for tests: drop the next ACKs a node would hear, hand a node a PSDU as if
 * it came from the line, read the last PSDU a node sent. */
#ifndef PLC_MACNET_H
#define PLC_MACNET_H

#include <stddef.h>
#include <stdint.h>

#include "plc_mac.h"
#include "plc_medium.h"

typedef struct plc_macnet plc_macnet;

typedef struct plc_macnet_node_stats {
    uint64_t requests, ok, failed;      /* MSDUs asked for, confirmed success, other status */
    uint64_t status[PLC_ERR_MAX_CODE + 1]; /* confirms per status: index -status */
    uint64_t delivered, delivered_bytes;/* MSDUs of this sender that reached their dst */
    double delay_sum_s;                 /* request to indication, over delivered */
} plc_macnet_node_stats;

/* security: install the same two group keys everywhere and send secured. */
plc_macnet *plc_macnet_create(const plc_medium_config *mc, int security, uint64_t seed,
                              char *err, size_t errlen);
void plc_macnet_destroy(plc_macnet *n);
unsigned plc_macnet_nodes(const plc_macnet *n);
plc_mac *plc_macnet_mac(plc_macnet *n, unsigned node);
plc_medium *plc_macnet_medium(plc_macnet *n);
plc_loop *plc_macnet_loop(plc_macnet *n);
double plc_macnet_now_s(const plc_macnet *n);
/* Runs until simulated time until_s. */
int plc_macnet_run(plc_macnet *n, double until_s);

/* Queues one MSDU from node `from` to short address `to` (PLC_MAC_BROADCAST for all). */
int plc_macnet_send(plc_macnet *n, unsigned from, uint16_t to, const uint8_t *msdu, size_t len);
/* Keeps `from` sending len-byte MSDUs to `to` back to back (0 len stops). */
void plc_macnet_saturate(plc_macnet *n, unsigned from, uint16_t to, size_t len);
const plc_macnet_node_stats *plc_macnet_stats(const plc_macnet *n, unsigned node);
/* The last MSDU node received (NULL if none), its source and length. */
const uint8_t *plc_macnet_last_rx(const plc_macnet *n, unsigned node, uint16_t *src, size_t *len);
uint64_t plc_macnet_rx_count(const plc_macnet *n, unsigned node);

/* Fault injection. */
void plc_macnet_drop_acks(plc_macnet *n, unsigned node, unsigned count);
/* The last data PSDU node put on the line (segment control included), NULL if none. */
const uint8_t *plc_macnet_last_tx_psdu(const plc_macnet *n, unsigned node, size_t *len);
/* Hands node a PSDU as the PHY would (SNR 20 dB on every carrier, DBPSK). */
void plc_macnet_inject(plc_macnet *n, unsigned node, const uint8_t *psdu, size_t len);
/* Every frame node sends or receives intact goes to fn (for capture files). */
void plc_macnet_set_tap(plc_macnet *n, unsigned node,
                        void (*fn)(void *user, const uint8_t *frame, size_t len, int outgoing),
                        void *user);
/* Every MSDU node receives also goes to fn (an application on top of the MAC). */
void plc_macnet_set_app(plc_macnet *n, unsigned node,
                        void (*fn)(void *user, const plc_mac_data_indication *ind), void *user);

#endif
