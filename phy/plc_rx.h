/* Streaming G3-PLC CENELEC-A receiver. Push samples in chunks of any size; the receiver
 * keeps its state across calls and reports every frame it finds through a callback.
 *
 *   search   every 256 samples, FFT of the last 256 and a preamble metric that is blind to
 *            timing: |sum_k Y_k Y*_k+1 S*_k S_k+1| over adjacent carriers, normalised, averaged
 *            over two hops. Its phase gives the timing within the SYNCP period.
 *   sync     FFTs aligned on SYNCP periods, each compared with the sum of those before,
 *            until the sign flips (SYNCM); fine timing from the phase slope across
 *            carriers; channel and per-carrier noise estimates, differential reference.
 *   header   13 DBPSK symbols, soft bits, Viterbi, CRC-5.
 *   payload  differential demapping with per-carrier reliability, soft bits into plc_fec,
 *            sampling-clock drift tracked from the symbols themselves; a preamble seen
 *            inside a frame abandons it (false sync, or a sender that stopped).
 * A DC blocker runs on the input; NaN/Inf samples are replaced by 0 and counted.
 * Impulse defence (optional): samples far above the expected level (in search and
 * synchronisation windows the level the window's own samples show, robust to impulses;
 * within a frame the frame's signal plus the background) are zeroed before every FFT; a symbol that lost many samples is treated as destroyed: its soft bits become
 * erasures for the Viterbi decoder and the RS bytes that depend on it erasures for RS.
 * Nothing is allocated after create and nothing reads a clock. */
#ifndef PLC_RX_H
#define PLC_RX_H

#include <stddef.h>
#include <stdint.h>

#include "plc_fch.h"
#include "plc_phy_params.h"

typedef enum plc_rx_status {
    PLC_RX_OK = 0,          /* header and payload decoded */
    PLC_RX_RS_FAILED = 1,   /* header fine, payload uncorrectable: psdu not valid */
    PLC_RX_TRUNCATED = 2,   /* input ended inside the frame */
} plc_rx_status;

typedef struct plc_rx_frame {
    uint64_t offset;      /* sample index (from the first sample pushed) of the frame start */
    plc_rx_status status;
    plc_fch fch;          /* decoded header (valid unless truncated before it) */
    int header_ok;        /* 1 when the header passed its CRC */
    size_t psdu_len;      /* PSDU capacity of the payload (0 for ACK/NACK) */
    uint8_t psdu[255];
    int rs_corrected;     /* bytes Reed-Solomon corrected, erasures included */
    int rs_erasures;      /* RS erasures marked from destroyed symbols and used */
    unsigned symbols_erased; /* payload symbols impulse blanking found destroyed */
    float snr_db;         /* in-band: mean signal power over mean noise power, from the preamble */
    float carrier_snr_db[PLC_PHY_CARRIERS];
    uint8_t lqi;          /* (snr_db + 10) * 4, clamped to 0..255 */
} plc_rx_frame;

typedef void (*plc_rx_callback)(const plc_rx_frame *frame, void *user);

typedef struct plc_rx_config {
    uint64_t tonemask;       /* default PLC_TONEMASK_ALL */
    int impulse_blanking;    /* impulse defence (blanking + erasure marking); default 0 */
    float blanking_factor;   /* blank samples above this many times the expected RMS
                              * (signal plus background noise); default 4.5 */
    plc_rx_callback callback;
    void *user;
} plc_rx_config;

typedef struct plc_rx_stats {
    uint64_t samples;
    uint64_t nonfinite_samples;
    uint64_t detections;      /* preamble metric crossed the threshold */
    uint64_t sync_lost;       /* detection not confirmed by a SYNCP/SYNCM sequence */
    uint64_t header_errors;   /* CRC or format errors in the frame control header */
    uint64_t frames_ok;
    uint64_t rs_failures;
    uint64_t truncated;
    uint64_t blanked_samples;
    uint64_t abandoned;       /* frames dropped mid-way for a preamble arriving inside them */
} plc_rx_stats;

typedef struct plc_rx plc_rx;

void plc_rx_config_default(plc_rx_config *cfg);
plc_rx *plc_rx_create(const plc_rx_config *cfg);
void plc_rx_destroy(plc_rx *rx);

/* Processes n samples (any n, including 0). Returns PLC_OK or PLC_ERR_ARG. */
int plc_rx_push(plc_rx *rx, const float *samples, size_t n);
/* End of input: a frame in progress is reported as truncated. The receiver is then ready
 * for a new stream (sample offsets continue). */
int plc_rx_flush(plc_rx *rx);
/* Skips n samples nobody sent anything in (a simulator's quiet stretch): like a flush
 * (a frame in progress is reported truncated), then sample offsets advance by n. */
int plc_rx_skip(plc_rx *rx, uint64_t n);
/* Carrier sense: 1 while the receiver is inside a frame (synchronising, header or payload)
 * or its last search window looked like a preamble. */
int plc_rx_busy(const plc_rx *rx);
void plc_rx_get_stats(const plc_rx *rx, plc_rx_stats *stats);

#endif
