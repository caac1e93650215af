/* Simple channel models for benchmarks and tests: gain, DC offset and additive white
 * Gaussian noise whose power is set by the in-band SNR (signal power over noise power,
 * both measured over the occupied carriers). Randomness comes from a seeded generator:
 * the same seed gives the same noise. The simulated-line issue extends this module. */
#ifndef PLC_CHANNEL_H
#define PLC_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "plc_rng.h"

/* Noise standard deviation per sample for a target in-band SNR (dB), given the signal's
 * mean power per sample and the number of occupied carriers of the 128 positive bins
 * of the 256-point FFT: white noise puts occupied/128 of its power in band. */
double plc_channel_sigma_for_snr(double signal_power, unsigned occupied, double snr_db);

/* x = gain * x + dc + sigma * N(0,1), in place. */
void plc_channel_apply(float *x, size_t n, double gain, double dc, double sigma, plc_rng *r);

/* Middleton Class A impulsive noise added in place (no gain, no DC): for each sample the
 * number of active impulses m is Poisson(A) and the noise is N(0, sigma^2 (m/A + gamma) /
 * (1 + gamma)), so sigma^2 is the total noise power, gamma the ratio of Gaussian to
 * impulsive power and A the impulsive index (spec/channel-models.md; A = 0.1 and
 * gamma = 0.01 are typical). Returns how many samples carried at least one impulse. */
size_t plc_channel_add_class_a(float *x, size_t n, double sigma, double A, double gamma,
                               plc_rng *r);
/* Resamples x for a clock offset: out[i] = x(i * ratio) by windowed-sinc interpolation
 * (16 taps; flat to 0.001 dB up to 0.23 of the rate), as long as i * ratio stays inside x; returns how many were written
 * (at most max). ratio = 1 + (ppm_tx - ppm_rx) * 1e-6 for a receiver's view of a
 * transmitter's samples. */
size_t plc_channel_resample(const float *x, size_t n, double ratio, float *out, size_t max);
/* Mean power of n samples. */
double plc_channel_power(const float *x, size_t n);

#endif
