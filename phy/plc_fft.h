/* Real-signal FFT interface of the OFDM modem. Two backends implement it: the portable one
 * (plc_fft_portable.c through plc_fft_builtin.c) for firmware builds, and FFTW on Linux
 * (hal/plc_fft_fftw.c); the build links exactly one (CMake option PLC_FFT). Both agree to
 * float rounding (tests/test_fft.c).
 *
 *   forward: X[k] = sum_{n<N} x[n] e^{-j2pi kn/N}, k = 0..N/2 (N/2+1 bins)
 *   inverse: x[n] = sum_{k<N} X[k] e^{+j2pi kn/N} with X[N-k] = conj X[k], no 1/N
 *            scaling; the imaginary parts of X[0] and X[N/2] must be zero.
 * create/destroy may allocate and must be called from one thread at a time (FFTW's
 * planner); forward/inverse never allocate. */
#ifndef PLC_FFT_H
#define PLC_FFT_H

typedef struct plc_cf {
    float re, im;
} plc_cf;

typedef struct plc_fft plc_fft;

/* n: power of two, 4..4096; NULL otherwise or when out of memory. */
plc_fft *plc_fft_create(unsigned n);
void plc_fft_destroy(plc_fft *f);
void plc_fft_forward(plc_fft *f, const float *in, plc_cf *out);
void plc_fft_inverse(plc_fft *f, const plc_cf *in, float *out);
/* "portable" or "fftw". */
const char *plc_fft_backend(void);

#endif
