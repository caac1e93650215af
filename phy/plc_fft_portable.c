#include "plc_fft_portable.h"

#include <math.h>
#include <stdlib.h>

/* A real sequence x of length n is packed as z[m] = x[2m] + j x[2m+1]; one complex FFT of
 * h = n/2 points gives the even and odd half-spectra, which the split stage combines:
 *   E[k] = (Z[k] + conj Z[h-k]) / 2,  O[k] = (Z[k] - conj Z[h-k]) / 2j,
 *   X[k] = E[k] + e^{-j2pi k/n} O[k].
 * The inverse runs the same steps backwards. */
struct plc_fft_portable {
    unsigned n, h;
    plc_cf *tw;       /* e^{-j2pi k/h}, k < h/2: the half-size complex FFT */
    plc_cf *split;    /* e^{-j2pi k/n}, k <= h/2: the split stage */
    unsigned *bitrev; /* bit-reversed index over h */
    plc_cf *z;        /* h complex work points */
};

plc_fft_portable *plc_fft_portable_create(unsigned n)
{
    unsigned lg = 0;
    while ((1u << lg) < n)
        lg++;
    if (n < 4 || n > 4096 || (1u << lg) != n)
        return NULL;
    plc_fft_portable *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    const unsigned h = n / 2;
    f->n = n;
    f->h = h;
    f->tw = malloc(h / 2 * sizeof(plc_cf));
    f->split = malloc((h / 2 + 1) * sizeof(plc_cf));
    f->bitrev = malloc(h * sizeof(unsigned));
    f->z = malloc(h * sizeof(plc_cf));
    if (!f->tw || !f->split || !f->bitrev || !f->z) {
        plc_fft_portable_destroy(f);
        return NULL;
    }
    const double two_pi = 6.283185307179586;
    for (unsigned k = 0; k < h / 2; k++)
        f->tw[k] = (plc_cf){(float)cos(two_pi * k / h), (float)-sin(two_pi * k / h)};
    for (unsigned k = 0; k <= h / 2; k++)
        f->split[k] = (plc_cf){(float)cos(two_pi * k / n), (float)-sin(two_pi * k / n)};
    for (unsigned i = 0; i < h; i++) {
        unsigned r = 0;
        for (unsigned b = 0; b + 1 < lg; b++)
            r |= ((i >> b) & 1u) << (lg - 2 - b);
        f->bitrev[i] = r;
    }
    return f;
}

void plc_fft_portable_destroy(plc_fft_portable *f)
{
    if (!f)
        return;
    free(f->tw);
    free(f->split);
    free(f->bitrev);
    free(f->z);
    free(f);
}

/* In-place complex FFT of f->z (already in bit-reversed order); sign -1 forward, +1 inverse. */
static void fft_butterflies(const plc_fft_portable *f, float sign)
{
    plc_cf *z = f->z;
    const unsigned h = f->h;
    for (unsigned len = 2; len <= h; len <<= 1) {
        const unsigned half = len / 2, step = h / len;
        for (unsigned base = 0; base < h; base += len) {
            for (unsigned k = 0; k < half; k++) {
                const plc_cf w = f->tw[k * step];
                const float wi = -sign * w.im;
                plc_cf *a = &z[base + k], *b = &z[base + k + half];
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

void plc_fft_portable_forward(plc_fft_portable *f, const float *in, plc_cf *out)
{
    const unsigned h = f->h;
    for (unsigned m = 0; m < h; m++)
        f->z[f->bitrev[m]] = (plc_cf){in[2 * m], in[2 * m + 1]};
    fft_butterflies(f, -1.0f);
    const plc_cf *z = f->z;
    out[0] = (plc_cf){z[0].re + z[0].im, 0.0f};
    out[h] = (plc_cf){z[0].re - z[0].im, 0.0f};
    for (unsigned k = 1; k <= h / 2; k++) {
        const plc_cf a = z[k], b = z[h - k]; /* Z[k], Z[h-k] */
        /* E = (a + conj b)/2, O = (a - conj b)/2j; X[k] = E + W O, X[h-k] = conj(E - W O) */
        const float er = 0.5f * (a.re + b.re), ei = 0.5f * (a.im - b.im);
        const float or_ = 0.5f * (a.im + b.im), oi = -0.5f * (a.re - b.re);
        const plc_cf w = f->split[k];
        const float tr = w.re * or_ - w.im * oi, ti = w.re * oi + w.im * or_;
        out[k] = (plc_cf){er + tr, ei + ti};
        out[h - k] = (plc_cf){er - tr, -(ei - ti)};
    }
}

void plc_fft_portable_inverse(plc_fft_portable *f, const plc_cf *in, float *out)
{
    const unsigned h = f->h;
    /* Z[k] = (X[k] + conj X[h-k]) + j e^{+j2pi k/n} (X[k] - conj X[h-k]), k < h */
    for (unsigned k = 0; k <= h / 2; k++) {
        const plc_cf a = in[k], b = in[h - k];
        const float sr = a.re + b.re, si = a.im - b.im;  /* X[k] + conj X[h-k] */
        const float dr = a.re - b.re, di = a.im + b.im;  /* X[k] - conj X[h-k] */
        const plc_cf w = {f->split[k].re, -f->split[k].im}; /* e^{+j2pi k/n} */
        const float tr = w.re * dr - w.im * di, ti = w.re * di + w.im * dr;
        f->z[f->bitrev[k]] = (plc_cf){sr - ti, si + tr};
        if (k != 0 && k != h - k) {
            /* the mirrored bin: swap roles of a and b, W -> e^{+j2pi (h-k)/n} = -conj W */
            const float sr2 = b.re + a.re, si2 = b.im - a.im;
            const float dr2 = b.re - a.re, di2 = b.im + a.im;
            const plc_cf w2 = {-w.re, w.im};
            const float tr2 = w2.re * dr2 - w2.im * di2, ti2 = w2.re * di2 + w2.im * dr2;
            f->z[f->bitrev[h - k]] = (plc_cf){sr2 - ti2, si2 + tr2};
        }
    }
    fft_butterflies(f, 1.0f);
    for (unsigned m = 0; m < h; m++) {
        out[2 * m] = f->z[m].re;
        out[2 * m + 1] = f->z[m].im;
    }
}
