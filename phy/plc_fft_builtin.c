/* plc_fft backend for builds without FFTW (firmware, PLC_FFT=portable): the portable real
 * FFT under the interface's names. */
#include "plc_fft.h"
#include "plc_fft_portable.h"

plc_fft *plc_fft_create(unsigned n)
{
    return (plc_fft *)plc_fft_portable_create(n);
}

void plc_fft_destroy(plc_fft *f)
{
    plc_fft_portable_destroy((plc_fft_portable *)f);
}

void plc_fft_forward(plc_fft *f, const float *in, plc_cf *out)
{
    plc_fft_portable_forward((plc_fft_portable *)f, in, out);
}

void plc_fft_inverse(plc_fft *f, const plc_cf *in, float *out)
{
    plc_fft_portable_inverse((plc_fft_portable *)f, in, out);
}

const char *plc_fft_backend(void)
{
    return "portable";
}
