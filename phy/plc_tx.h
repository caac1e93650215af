/* G3-PLC CENELEC-A transmitter: PSDU + mode + tone map -> real passband samples at
 * 400 kS/s (preamble, frame control header, payload; plc_ofdm.h has the structure).
 * Carriers switched off by the tone map still carry bits of the 127-bit PN sequence (the
 * scrambler's output from the all-ones seed), bits_per_carrier of them modulated like
 * data, so the spectrum stays flat; carriers notched by the tone mask carry nothing but
 * use up sequence bits (the index rule is in plc_tx.c). Allocation happens only in create. */
#ifndef PLC_TX_H
#define PLC_TX_H

#include <stddef.h>
#include <stdint.h>

#include "plc_fch.h"
#include "plc_phy_params.h"

typedef struct plc_tx_config {
    uint64_t tonemask; /* carriers allowed to transmit; default PLC_TONEMASK_ALL */
    float amplitude;   /* per-carrier amplitude; default 0.05 (RMS about 0.21, peaks < 1) */
} plc_tx_config;

void plc_tx_config_default(plc_tx_config *cfg);

/* One frame to send. For ACK/NACK (dt 2/3) only the header is sent and psdu is ignored. */
typedef struct plc_tx_request {
    plc_modulation mod;
    unsigned tonemap; /* 6 bits, bit g enables carriers 6g..6g+5 */
    uint8_t dt;       /* plc_fch_dt */
    uint8_t pdc;
    uint16_t ack_fcs; /* ACK/NACK only */
} plc_tx_request;

typedef struct plc_tx plc_tx;

plc_tx *plc_tx_create(const plc_tx_config *cfg);
void plc_tx_destroy(plc_tx *tx);

/* Number of samples plc_tx_frame will write, or a negative plc_err. */
long plc_tx_frame_samples(const plc_tx *tx, const plc_tx_request *req, size_t psdu_len);

/* Writes one frame into out (room for max samples); *written receives the count. */
int plc_tx_frame(plc_tx *tx, const plc_tx_request *req, const uint8_t *psdu, size_t psdu_len,
                 float *out, size_t max, size_t *written);

#endif
