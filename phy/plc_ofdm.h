/* OFDM symbol structure of G3-PLC CENELEC-A and the pieces transmitter and receiver share.
 *
 * Frame: preamble (8 SYNCP + 1.5 SYNCM, 2432 samples, no cyclic prefix), then FCH and
 * payload symbols. Each data symbol is its 256-sample IFFT body with a 30-sample cyclic
 * prefix in front; the first and last 8 samples of these 286 are shaped by a raised-cosine
 * ramp and overlap the neighbouring symbols, so symbols start every 278 samples. Symbol i
 * (0 = first FCH symbol) starts at sample 2432 - 8 + 278*i of the frame.
 *
 * Modulation is differential in time per carrier: symbol i's phase is symbol i-1's plus
 * the data phase; the first FCH symbol is referenced to the SYNCP phases (the phase the
 * Microchip ATPL250 receiver rebuilds the sent FCH from, docs/phy.md). Data phases: DBPSK bit b -> b*pi; DQPSK bits
 * (b0 b1) Gray 00 0, 01 pi/2, 11 pi, 10 3pi/2; D8PSK 3 bits Gray j^(j>>1) -> j*pi/4 with
 * the first bit the most significant. */
#ifndef PLC_OFDM_H
#define PLC_OFDM_H

#include <stdint.h>

#include "plc_phy_params.h"

#define PLC_OFDM_N 256
#define PLC_OFDM_CP 30
#define PLC_OFDM_OVERLAP 8
#define PLC_OFDM_SYMBOL (PLC_OFDM_N + PLC_OFDM_CP - PLC_OFDM_OVERLAP) /* 278 */
#define PLC_OFDM_PREAMBLE (8 * PLC_OFDM_N + PLC_OFDM_N + PLC_OFDM_N / 2) /* 2432 */
#define PLC_OFDM_SYNCM_START (8 * PLC_OFDM_N)
/* Start of data symbol i relative to the frame start. */
#define PLC_OFDM_SYMBOL_START(i) (PLC_OFDM_PREAMBLE - PLC_OFDM_OVERLAP + PLC_OFDM_SYMBOL * (i))

/* SYNCP phase of carrier c (0..35, absolute carrier 23 + c), in units of pi/8. */
extern const uint8_t plc_ofdm_syncp_phase[PLC_PHY_CARRIERS];

/* Raised-cosine ramp value for sample m < 8 of the 8-sample overlap (rising). */
float plc_ofdm_ramp(unsigned m);

/* Number of samples of a frame with nsym data symbols (FCH + payload). */
static inline unsigned long plc_ofdm_frame_samples(unsigned nsym)
{
    return (unsigned long)PLC_OFDM_SYMBOL_START(nsym) + PLC_OFDM_OVERLAP;
}

/* Data phase increment (units of pi/4, 0..7) for bpc bits starting at bits[0]. */
unsigned plc_ofdm_map_phase(const uint8_t *bits, unsigned bpc);

#endif
