/* Noise at one receiver of the simulated line, as a function of absolute line time (so a
 * receiver can skip quiet stretches and the periodic parts stay phase-locked to the mains):
 *   - white background (AWGN);
 *   - coloured background falling with frequency (white noise through a first-order
 *     low-pass, corner coloured_corner_hz);
 *   - Middleton Class A impulsive noise (A, Gamma; spec/channel-models.md);
 *   - periodic impulses synchronous with the mains: damped sinusoids at impulses_per_cycle
 *     times the mains frequency, at a fixed phase of the cycle;
 *   - narrowband interferers: tones.
 * Levels are standard deviations (or amplitudes) in the line's sample units; the
 * transmitter's full-band signal has RMS 0.21. Randomness from a seed. */
#ifndef PLC_NOISE_H
#define PLC_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define PLC_NOISE_MAX_TONES 4

typedef struct plc_noise_config {
    double awgn_sigma;
    double coloured_sigma, coloured_corner_hz;
    double class_a_sigma, class_a_A, class_a_gamma;
    double mains_hz;             /* 50 */
    unsigned impulses_per_cycle; /* 0: none; 2: 100 Hz (full-wave rectifiers) */
    double impulse_amp, impulse_freq_hz, impulse_decay_us, impulse_phase; /* phase: 0..1 */
    unsigned n_tones;
    double tone_hz[PLC_NOISE_MAX_TONES], tone_amp[PLC_NOISE_MAX_TONES];
} plc_noise_config;

typedef struct plc_noise plc_noise;

/* Named profiles scaled by level (the white/coloured background sigma):
 *   "awgn"        white noise only
 *   "residential" coloured background, 100 Hz mains-synchronous impulses, one tone
 *   "impulsive"   Middleton Class A (A = 0.1, Gamma = 0.01) of that total sigma
 * Returns 0, or PLC_ERR_ARG for an unknown name. */
int plc_noise_profile(const char *name, double level, plc_noise_config *cfg);

plc_noise *plc_noise_create(const plc_noise_config *cfg, uint64_t seed);
void plc_noise_destroy(plc_noise *nz);
/* Adds the noise of line samples t0 .. t0 + n - 1 (400 kS/s) to x. Returns how many
 * samples carried Class A impulses. */
size_t plc_noise_add(plc_noise *nz, float *x, size_t n, uint64_t t0);

#endif
