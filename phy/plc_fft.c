#include "plc_fft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct plc_fft {
    unsigned n, log2n;
    plc_cf *tw;        /* e^{-j2pi k/n}, k < n/2 */
    unsigned *bitrev;  /* bit-reversed index */
};

plc_fft *plc_fft_create(unsigned n)
{
    unsigned lg = 0;
    while ((1u << lg) < n)
        lg++;
    if (n < 2 || n > 4096 || (1u << lg) != n)
        return NULL;
    plc_fft *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->n = n;
    f->log2n = lg;
    f->tw = malloc(n / 2 * sizeof(plc_cf));
    f->bitrev = malloc(n * sizeof(unsigned));
    if (!f->tw || !f->bitrev) {
        plc_fft_destroy(f);
        return NULL;
    }
    for (unsigned k = 0; k < n / 2; k++) {
        double a = -2.0 * 3.14159265358979323846 * k / n;
        f->tw[k].re = (float)cos(a);
        f->tw[k].im = (float)sin(a);
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned r = 0;
        for (unsigned b = 0; b < lg; b++)
            r |= ((i >> b) & 1u) << (lg - 1 - b);
        f->bitrev[i] = r;
    }
    return f;
}

void plc_fft_destroy(plc_fft *f)
{
    if (!f)
        return;
    free(f->tw);
    free(f->bitrev);
    free(f);
}

static void fft_run(const plc_fft *f, const plc_cf *in, plc_cf *out, float sign)
{
    const unsigned n = f->n;
    if (in == out) {
        for (unsigned i = 0; i < n; i++) {
            unsigned r = f->bitrev[i];
            if (r > i) {
                plc_cf t = out[i];
                out[i] = out[r];
                out[r] = t;
            }
        }
    } else {
        for (unsigned i = 0; i < n; i++)
            out[f->bitrev[i]] = in[i];
    }
    for (unsigned len = 2; len <= n; len <<= 1) {
        const unsigned half = len / 2, step = n / len;
        for (unsigned base = 0; base < n; base += len) {
            for (unsigned k = 0; k < half; k++) {
                const plc_cf w = f->tw[k * step];
                const float wi = sign * w.im;
                plc_cf *a = &out[base + k], *b = &out[base + k + half];
                const float tr = b->re * w.re - b->im * wi;
                const float ti = b->re * wi + b->im * w.re;
                b->re = a->re - tr;
                b->im = a->im - ti;
                a->re += tr;
                a->im += ti;
            }
        }
    }
}

void plc_fft_forward(const plc_fft *f, const plc_cf *in, plc_cf *out)
{
    fft_run(f, in, out, 1.0f);
}

void plc_fft_inverse(const plc_fft *f, const plc_cf *in, plc_cf *out)
{
    fft_run(f, in, out, -1.0f);
}
