/* The PHY data service (plc_phy_service.h) over a sample port (plc_port.h: a sample file, or
 * an SDR through SoapySDR and the front end): what a gateway runs its MAC on.
 *
 *   receive   the port's stream goes through a plc_rx; every frame whose header decoded is
 *             indicated, with the payload's outcome, its RS corrections and the loop time
 *             its last sample left the line; samples while this node transmits are skipped
 *             (half duplex: a radio hears itself);
 *   transmit  plc_tx builds the frame, the port sends it at a sample index: the index of
 *             the loop time asked for, or the earliest the device can still make
 *             (counted late when that is after the time asked for);
 *   busy      the receiver is inside a frame (or its last search window looked like a
 *             preamble), or this node transmits.
 * Time: the port's sample index is the line's clock. The loop time of sample 0 is estimated
 * as the least (arrival time - index x 2.5 us) over the chunks received, the chunk that
 * arrived soonest after its last sample being the best witness; it may drift by 100 ppm
 * (two crystals) and follows the device's clock at that rate.
 * Linux side (hal/): allocates at create only. */
#ifndef PLC_PORT_PHY_H
#define PLC_PORT_PHY_H

#include <stdint.h>

#include "plc_loop.h"
#include "plc_phy_service.h"
#include "plc_port.h"

typedef struct plc_port_phy_config {
    uint64_t tonemask;       /* PLC_TONEMASK_ALL: both directions (the MAC's macToneMask) */
    int impulse_blanking;    /* receiver impulse defence: 0 */
    unsigned tx_margin_us;   /* 2000: the earliest a burst is sent, after the line's now */
    unsigned latency_us;     /* 20000: how late an indication may come (the port's block
                              * reads plus decoding); raised to 1.5 x the latency measured on
                              * the frames received; the MAC widens its ACK wait by twice it */
} plc_port_phy_config;

typedef struct plc_port_phy_stats {
    uint64_t frames;          /* headers decoded */
    uint64_t payload_failed;
    uint64_t tx_frames;
    uint64_t tx_late;         /* sent later than asked for (the time had passed) */
    uint64_t tx_refused;      /* the port refused the burst (confirmed with its status) */
    uint64_t own_samples;     /* received samples skipped while transmitting */
    uint64_t latency_max_us;  /* the latest an indication came after its frame's end */
} plc_port_phy_stats;

typedef struct plc_port_phy plc_port_phy;

void plc_port_phy_config_default(plc_port_phy_config *cfg);
/* Takes the port (not owned: close it after destroying this) and starts it on loop. */
plc_port_phy *plc_port_phy_create(plc_port *port, plc_loop *loop, const plc_port_phy_config *cfg);
void plc_port_phy_destroy(plc_port_phy *p);
plc_phy_service plc_port_phy_service(plc_port_phy *p);
plc_port_phy_stats plc_port_phy_get_stats(const plc_port_phy *p);

#endif
