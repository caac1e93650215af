/* Small complex FFT interface for the OFDM modem. The portable implementation (iterative
 * radix-2, tables built at create) is what firmware builds use; a Linux build may put an
 * FFTW backend behind the same calls. Forward: X[k] = sum x[n] e^{-j2pi kn/N}; inverse:
 * x[n] = sum X[k] e^{+j2pi kn/N} (no 1/N scaling). In-place is allowed. */
#ifndef PLC_FFT_H
#define PLC_FFT_H

#include <stddef.h>

typedef struct plc_cf {
    float re, im;
} plc_cf;

typedef struct plc_fft plc_fft;

/* n: power of two, 2..4096. */
plc_fft *plc_fft_create(unsigned n);
void plc_fft_destroy(plc_fft *f);
void plc_fft_forward(const plc_fft *f, const plc_cf *in, plc_cf *out);
void plc_fft_inverse(const plc_fft *f, const plc_cf *in, plc_cf *out);

#endif
