/* plc_fft backend on FFTW (single precision) for Linux builds. Plans are made with
 * FFTW_ESTIMATE, not FFTW_MEASURE: a measured plan may differ from run to run and change
 * the last bits of every sample, which would break the simulator's bit-for-bit
 * reproducibility. Transforms run on aligned internal buffers, so SIMD codelets are used
 * whatever the caller's alignment. */
#include <fftw3.h>
#include <stdlib.h>
#include <string.h>

#include "plc_fft.h"

struct plc_fft {
    unsigned n;
    float *r;
    fftwf_complex *c;
    fftwf_plan fwd, inv;
};

plc_fft *plc_fft_create(unsigned n)
{
    unsigned lg = 0;
    while ((1u << lg) < n)
        lg++;
    if (n < 4 || n > 4096 || (1u << lg) != n)
        return NULL;
    plc_fft *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->n = n;
    f->r = fftwf_alloc_real(n);
    f->c = fftwf_alloc_complex(n / 2 + 1);
    if (f->r && f->c) {
        f->fwd = fftwf_plan_dft_r2c_1d((int)n, f->r, f->c, FFTW_ESTIMATE);
        f->inv = fftwf_plan_dft_c2r_1d((int)n, f->c, f->r, FFTW_ESTIMATE);
    }
    if (!f->fwd || !f->inv) {
        plc_fft_destroy(f);
        return NULL;
    }
    return f;
}

void plc_fft_destroy(plc_fft *f)
{
    if (!f)
        return;
    if (f->fwd)
        fftwf_destroy_plan(f->fwd);
    if (f->inv)
        fftwf_destroy_plan(f->inv);
    fftwf_free(f->r);
    fftwf_free(f->c);
    free(f);
}

void plc_fft_forward(plc_fft *f, const float *in, plc_cf *out)
{
    memcpy(f->r, in, f->n * sizeof(float));
    fftwf_execute(f->fwd);
    memcpy(out, f->c, (f->n / 2 + 1) * sizeof(plc_cf));
}

void plc_fft_inverse(plc_fft *f, const plc_cf *in, float *out)
{
    /* c2r overwrites its input: the copy keeps the caller's spectrum intact */
    memcpy(f->c, in, (f->n / 2 + 1) * sizeof(plc_cf));
    fftwf_execute(f->inv);
    memcpy(out, f->r, f->n * sizeof(float));
}

const char *plc_fft_backend(void)
{
    return "fftw";
}
