/* The PHY data service a MAC uses (in the spirit of 802.15.4's PD-SAP and PLME-CCA):
 * transmit a frame at a time, be told when it has left the line, be told of every frame
 * whose header was received (with the outcome of its payload), ask whether the medium is
 * busy. The waveform PHY and the simulator's abstract PHY (sim/), and the PHY over a sample
 * port (hal/plc_port_phy.h: a file or an SDR) all provide it; the MAC cannot tell them
 * apart. Times are the driving loop's microseconds. Callbacks run from the event loop that
 * drives the PHY; a callback may call back into the service (a MAC answering with an ACK). */
#ifndef PLC_PHY_SERVICE_H
#define PLC_PHY_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_phy_params.h"
#include "plc_rx.h"
#include "plc_tx.h"

/* What the receiver made of a frame whose header passed its CRC. */
typedef enum plc_phy_rx_status {
    PLC_PHY_RX_OK = 0,             /* payload decoded (RS corrected it, if needed) */
    PLC_PHY_RX_PAYLOAD_FAILED = 1, /* header fine, payload uncorrectable: psdu is NULL */
} plc_phy_rx_status;

/* A received frame. For ACK/NACK (dt 2/3) there is no PSDU, only ack_fcs. */
typedef struct plc_phy_rx_ind {
    uint8_t status;       /* plc_phy_rx_status */
    uint8_t dt;           /* plc_fch_dt */
    uint16_t ack_fcs;     /* ACK/NACK: FCS of the acknowledged frame */
    plc_modulation mod;
    unsigned tonemap;
    const uint8_t *psdu;  /* the whole payload capacity (padding included); NULL on failure */
    size_t psdu_len;
    int rs_corrected;     /* bytes Reed-Solomon corrected; -1 when the PHY cannot tell */
    uint64_t end_us;      /* loop time the frame's last sample left the line */
    float snr_db;         /* in-band SNR estimate */
    const float *carrier_snr_db; /* PLC_PHY_CARRIERS values */
    uint8_t lqi;
} plc_phy_rx_ind;

typedef struct plc_phy_user {
    void (*rx_indication)(void *user, const plc_phy_rx_ind *ind);
    /* the transmission asked for has left the line (status PLC_OK) or could not be sent
     * (a plc_err: PLC_ERR_LATE when its time had passed) */
    void (*tx_confirm)(void *user, int status);
    void *user;
} plc_phy_user;

/* tx_request's at_us for "as soon as possible". */
#define PLC_PHY_NOW 0

typedef struct plc_phy_ops {
    /* Sends one frame starting at loop time at_us (PLC_PHY_NOW: as soon as possible; rq as
     * for plc_tx_frame; psdu ignored for ACK/NACK). PLC_ERR_BUSY while a transmission is in
     * progress; PLC_ERR_LENGTH and the like when the frame cannot be built (a refusal the
     * MAC confirms, it never retries it). A time already passed: the simulated PHYs send
     * now; the port PHY sends as soon as the device can and counts it late. */
    int (*tx_request)(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                      uint64_t at_us);
    /* Carrier sense: 1 while the PHY hears a frame (preamble detected, or inside a frame
     * whose header announced its length) or transmits. */
    int (*busy)(void *phy);
    void (*set_user)(void *phy, const plc_phy_user *user);
    /* How long after a frame's end its indication may arrive (a host reading an SDR in
     * blocks); the MAC widens its ACK wait by twice this. NULL: 0 (the simulated PHYs). */
    unsigned (*latency_us)(void *phy);
} plc_phy_ops;

typedef struct plc_phy_service {
    const plc_phy_ops *ops;
    void *phy;
} plc_phy_service;

/* The indication of a frame from plc_rx, for PHYs built on it: 1 when it is to be indicated
 * (its header decoded and it was not cut off), with *end_sample the receiver's sample index
 * just after its last sample (the caller turns it into end_us); 0 otherwise. The indication
 * points into f. */
int plc_phy_rx_ind_from_frame(const plc_rx_frame *f, plc_phy_rx_ind *ind, uint64_t *end_sample);

#endif
