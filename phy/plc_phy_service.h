/* The PHY data service a MAC uses (in the spirit of 802.15.4's PD-SAP and PLME-CCA):
 * transmit a frame now, be told when it is on the line no more, be told of every frame
 * received, ask whether the medium is busy. The waveform PHY (real samples through plc_tx /
 * plc_rx) and the simulator's abstract PHY both provide it; the MAC cannot tell them apart.
 * Callbacks run from the event loop that drives the PHY; a callback may call back into the
 * service (a MAC answering with an ACK, say). */
#ifndef PLC_PHY_SERVICE_H
#define PLC_PHY_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_phy_params.h"
#include "plc_tx.h"

/* A received frame. For ACK/NACK (dt 2/3) there is no PSDU, only ack_fcs. */
typedef struct plc_phy_rx_ind {
    uint8_t dt;           /* plc_fch_dt */
    uint16_t ack_fcs;     /* ACK/NACK: FCS of the acknowledged frame */
    plc_modulation mod;
    unsigned tonemap;
    const uint8_t *psdu;  /* the whole payload capacity (padding included) */
    size_t psdu_len;
    float snr_db;         /* in-band SNR estimate */
    const float *carrier_snr_db; /* PLC_PHY_CARRIERS values */
    uint8_t lqi;
} plc_phy_rx_ind;

typedef struct plc_phy_user {
    void (*rx_indication)(void *user, const plc_phy_rx_ind *ind);
    /* the transmission asked for has left the line (status PLC_OK) or could not be sent */
    void (*tx_confirm)(void *user, int status);
    void *user;
} plc_phy_user;

typedef struct plc_phy_ops {
    /* Starts sending one frame now (rq as for plc_tx_frame; psdu ignored for ACK/NACK).
     * PLC_ERR_ARG while a transmission is in progress. */
    int (*tx_request)(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len);
    /* Carrier sense: 1 while the PHY hears a frame (preamble detected, or inside a frame
     * whose header announced its length) or transmits. */
    int (*busy)(void *phy);
    void (*set_user)(void *phy, const plc_phy_user *user);
} plc_phy_ops;

typedef struct plc_phy_service {
    const plc_phy_ops *ops;
    void *phy;
} plc_phy_service;

#endif
