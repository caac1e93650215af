/* Portable real FFT: a complex radix-2 FFT of half the size plus a split stage, tables
 * built at create. Same conventions as plc_fft.h; always compiled so the FFTW backend can
 * be checked against it. */
#ifndef PLC_FFT_PORTABLE_H
#define PLC_FFT_PORTABLE_H

#include "plc_fft.h"

typedef struct plc_fft_portable plc_fft_portable;

plc_fft_portable *plc_fft_portable_create(unsigned n);
void plc_fft_portable_destroy(plc_fft_portable *f);
void plc_fft_portable_forward(plc_fft_portable *f, const float *in, plc_cf *out);
void plc_fft_portable_inverse(plc_fft_portable *f, const plc_cf *in, float *out);

#endif
