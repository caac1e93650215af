/* A meter's PLC modem: the whole device stack over a PHY service (plc_phy_service.h) with
 * the meter node application on top. Layers: the MAC with security, the adaptation layer
 * with LOADng, and the LBP device, which joins the area with the modem's EUI-64 and PSK.
 * Once joined the modem announces itself to the concentrator (PLC_HELLO, meter/
 * plc_app_dispatch.h): every
 * 30 s until acknowledged, 10 times, then every 300-450 s; after the acknowledgement every
 * 2 hours (+ up to 12 minutes), so that the routes to and from it are renewed before
 * adpRoutingTableEntryTTL (6 h) even when it is read once a day. DL/T 645 frames from the
 * concentrator go to the meter node app; its answers go back on the data service.
 *
 * Portable core: allocates at create only; time from the loop; randomness from the platform
 * (config.random: a true random source on a chip, it draws the EAP-PSK nonces). sim/
 * builds every meter of a simulated area the same way over the simulated medium; tools/
 * plc_meter.c runs one over a sample port. */
#ifndef PLC_METER_MODEM_H
#define PLC_METER_MODEM_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp.h"
#include "plc_app_dispatch.h"
#include "plc_lbp_device.h"
#include "plc_loop.h"
#include "plc_mac.h"
#include "plc_meter_node.h"
#include "plc_meter_regs.h"
#include "plc_phy_service.h"

typedef struct plc_meter_modem_config {
    uint64_t eui;                /* the modem's EUI-64 (required) */
    uint8_t psk[16];             /* its EAP-PSK key (required) */
    uint8_t addr[6];             /* the meter's DL/T 645 address, wire order (required) */
    uint64_t seed;               /* the layers' back-off draws: 1 */
    uint16_t pan_id;             /* 0x781D */
    unsigned max_hops;           /* LOADng: 15 */
    unsigned beacon_period_s;    /* route beacons relayed: 300 */
    unsigned replay_entries;     /* the MAC's anti-replay table: 64 (2 per node of the area
                                  * is what a meter among many needs) */
    unsigned queue;              /* the adaptation layer's datagrams: 8 (an agent relays its
                                  * neighbours' joins as datagrams of its own) */
    unsigned routes;             /* LOADng's route table (adpRoutingTableSize): 150; a meter
                                  * that may relay for the whole area needs one per meter of
                                  * it (docs/routing.md "Route tables") */
    uint32_t frame_counter;      /* the MAC's, where it stopped (a restart): 0 */
    /* the platform's random source (required) */
    void (*random)(void *user, uint8_t *out, size_t n);
    void *random_user;
    /* optional: other datagrams the concentrator sends (the image transfer, a simulation's
     * own); NULL: dropped and counted (plc_meter_modem_dropped) */
    void (*datagram)(void *user, const plc_adp_indication *ind);
    /* optional: joined (short address) and left (0xFFFF) */
    void (*address)(void *user, uint16_t short_addr);
    /* optional: the concentrator acknowledged the announce */
    void (*announced)(void *user);
    void *user;
} plc_meter_modem_config;

void plc_meter_modem_config_default(plc_meter_modem_config *cfg);

typedef struct plc_meter_modem plc_meter_modem;

/* regs: the meter's registers (copied; the meter stays the caller's). NULL: out of memory or
 * a required field missing. */
plc_meter_modem *plc_meter_modem_create(const plc_meter_modem_config *cfg, plc_loop *loop,
                                        plc_phy_service phy, const plc_meter_regs *regs);
void plc_meter_modem_destroy(plc_meter_modem *m);
/* Power up: scan and join. */
void plc_meter_modem_start(plc_meter_modem *m);
/* 1 once the concentrator acknowledged the announce (again 0 after leaving). */
int plc_meter_modem_announced(const plc_meter_modem *m);
/* The layers, for counters and tests. */
plc_mac *plc_meter_modem_mac(plc_meter_modem *m);
plc_adp *plc_meter_modem_adp(plc_meter_modem *m);
plc_lbd *plc_meter_modem_lbd(plc_meter_modem *m);
plc_meter_node *plc_meter_modem_app(plc_meter_modem *m);
uint32_t plc_meter_modem_frame_counter(const plc_meter_modem *m);
/* Datagrams dropped: not from the concentrator, or nobody takes their kind. */
uint64_t plc_meter_modem_dropped(const plc_meter_modem *m);

#endif
