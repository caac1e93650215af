/* SDR front end (Linux, liquid-dsp): converts between the PHY's 400 kS/s real passband
 * (carriers 35.9-90.6 kHz) and an SDR's complex baseband at its own rate, tuned to a
 * configurable centre frequency. Both directions are streaming objects (any chunk size).
 *
 *   to baseband:  x -> mix down by the centre (NCO) -> low-pass (Kaiser FIR, pass +/-
 *                 bandwidth/2, 60 dB stop band: removes the image at -2 x centre) ->
 *                 multi-stage resampler 400 kS/s -> SDR rate
 *   to passband:  z -> resampler SDR rate -> 400 kS/s (its filters remove what lies
 *                 outside) -> mix up by the centre -> 2 Re{.}
 * A passband cosine of amplitude A becomes a baseband phasor of amplitude A/2 and back. */
#ifndef PLC_SDR_FRONTEND_H
#define PLC_SDR_FRONTEND_H

#include <complex.h>
#include <stddef.h>

typedef struct plc_sdr_config {
    double sdr_rate_hz;  /* 1e6; 250e3 .. 20e6 */
    double centre_hz;    /* 63e3: the middle of the CENELEC-A carriers */
    double bandwidth_hz; /* 70e3: kept around the centre */
} plc_sdr_config;

typedef struct plc_sdr_frontend plc_sdr_frontend;

void plc_sdr_config_default(plc_sdr_config *cfg);
/* NULL for rates or frequencies that do not fit (the band must lie inside 0..200 kHz and
 * inside the SDR's bandwidth). */
plc_sdr_frontend *plc_sdr_frontend_create(const plc_sdr_config *cfg);
void plc_sdr_frontend_destroy(plc_sdr_frontend *fe);
/* Largest number of output samples a call with n input samples can produce. */
size_t plc_sdr_baseband_len(const plc_sdr_frontend *fe, size_t n);
size_t plc_sdr_passband_len(const plc_sdr_frontend *fe, size_t n);
/* Converts n samples; returns how many were written to out (room for the _len above). */
size_t plc_sdr_to_baseband(plc_sdr_frontend *fe, const float *x, size_t n, float complex *out);
size_t plc_sdr_to_passband(plc_sdr_frontend *fe, const float complex *z, size_t n, float *out);
/* Group delay of each direction in seconds: what goes in at time t comes out at t + delay.
 * Timed transmission needs both: a burst reaches the line to_baseband's delay after its
 * baseband time stamp, and a received sample left the line to_passband's delay earlier. */
double plc_sdr_to_baseband_delay_s(const plc_sdr_frontend *fe);
double plc_sdr_to_passband_delay_s(const plc_sdr_frontend *fe);
/* Clears both directions' filter state (a new burst; a gap in the received stream). */
void plc_sdr_frontend_reset(plc_sdr_frontend *fe);

#endif
