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

/* Mean power of n samples. */
double plc_channel_power(const float *x, size_t n);

#endif
