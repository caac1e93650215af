/* The concentrator's PLC modem: the coordinator's stack over a PHY service
 * (plc_phy_service.h; in plc-gatewayd a sample port, hal/plc_port_phy.h). Layers: the MAC
 * with security (short address 0x0000, the area's GMK), the adaptation layer with LOADng
 * (the coordinator's route beacons) and the LBP server (its allow-list follows the archive,
 * plc_gw_set_admission). It answers every meter's announce (PLC_HELLO, meter/
 * plc_meter_modem.h) with PLC_HELLO_ACK and hands the concentrator (gateway/plc_gw.h) the
 * announce, the meters' DL/T 645 frames with their hops and LQI, and image transfer
 * messages; plc_gw_modem_send is the concentrator's link. sim/plc_meshnet.h is the same
 * area simulated in one process. Allocates at create only. */
#ifndef PLC_GW_MODEM_H
#define PLC_GW_MODEM_H

#include <stddef.h>
#include <stdint.h>

#include "plc_adp.h"
#include "plc_app_dispatch.h"
#include "plc_lbp_server.h"
#include "plc_loop.h"
#include "plc_mac.h"
#include "plc_phy_service.h"

typedef struct plc_gw_modem_config {
    uint64_t eui;             /* the concentrator modem's EUI-64 (required) */
    uint8_t gmk[16];          /* the area's group master key (required) */
    uint16_t pan_id;          /* 0x781D */
    unsigned max_devices;     /* admitted meters: 1024 */
    unsigned max_hops;        /* LOADng: 15 */
    unsigned beacon_period_s; /* route beacons: 300 */
    unsigned parallel;        /* the concentrator's requests in flight (its queue): 5 */
    uint64_t seed;            /* back-off draws: 1 */
    void (*random)(void *user, uint8_t *out, size_t n); /* EAP-PSK nonces (required) */
    void *random_user;
} plc_gw_modem_config;

void plc_gw_modem_config_default(plc_gw_modem_config *cfg);

/* The concentrator's side (every member may be NULL). */
typedef struct plc_gw_modem_app {
    /* a meter announced itself: its short address and DL/T 645 address (wire order) */
    void (*announced)(void *user, uint16_t short_addr, const uint8_t addr[6]);
    /* a DL/T 645 frame from a meter, the hops it came over and its last link's LQI */
    void (*frame)(void *user, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *data,
                  size_t len);
    /* an image transfer message (PLC_IMAGE_DISPATCH stripped) */
    void (*image)(void *user, uint16_t from, const uint8_t *msg, size_t len);
    /* the coordinator refused a device's join */
    void (*refused)(void *user, uint64_t eui, const char *reason);
    /* a path discovery ended (plc_adp_path_request on plc_gw_modem_adp) */
    void (*path)(void *user, uint16_t dst, int status, const plc_loadng_path *reply);
    void *user;
} plc_gw_modem_app;

typedef struct plc_gw_modem plc_gw_modem;

plc_gw_modem *plc_gw_modem_create(const plc_gw_modem_config *cfg, plc_loop *loop,
                                  plc_phy_service phy, const plc_gw_modem_app *app);
void plc_gw_modem_destroy(plc_gw_modem *m);
/* A DL/T 645 frame (or behind PLC_IMAGE_DISPATCH an image message) to a short address
 * (0xFFFF: every meter). */
int plc_gw_modem_send(plc_gw_modem *m, uint16_t to, const uint8_t *frame, size_t len);
/* The allow-list: a meter's modem with its PSK, or out (and kicked off the mesh). */
int plc_gw_modem_allow(plc_gw_modem *m, uint64_t eui, const uint8_t psk[16]);
void plc_gw_modem_disallow(plc_gw_modem *m, uint64_t eui);
/* Meters that announced themselves since start (each short address once). */
unsigned plc_gw_modem_announced(const plc_gw_modem *m);
plc_mac *plc_gw_modem_mac(plc_gw_modem *m);
plc_adp *plc_gw_modem_adp(plc_gw_modem *m);
plc_lbs *plc_gw_modem_lbs(plc_gw_modem *m);

#endif
