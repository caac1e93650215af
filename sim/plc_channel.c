#include "plc_channel.h"

#include <math.h>

double plc_channel_sigma_for_snr(double signal_power, unsigned occupied, double snr_db)
{
    double inband_noise = signal_power / pow(10.0, snr_db / 10.0);
    return sqrt(inband_noise * 128.0 / (double)occupied);
}

void plc_channel_apply(float *x, size_t n, double gain, double dc, double sigma, plc_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(gain * x[i] + dc + (sigma > 0 ? sigma * plc_rng_gauss(r) : 0.0));
}

size_t plc_channel_add_class_a(float *x, size_t n, double sigma, double A, double gamma,
                               plc_rng *r)
{
    /* standard deviation for m = 0..MAXM impulses; more than MAXM has probability below
     * 1e-12 for A <= 1 and is folded into MAXM */
    enum { MAXM = 12 };
    double sd[MAXM + 1], cdf[MAXM + 1];
    double p = exp(-A), cum = 0;
    for (int m = 0; m <= MAXM; m++) {
        sd[m] = sigma * sqrt((m / A + gamma) / (1.0 + gamma));
        cum += p;
        cdf[m] = cum;
        p *= A / (m + 1);
    }
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        const double u = plc_rng_uniform(r);
        int m = 0;
        while (m < MAXM && u > cdf[m])
            m++;
        hit += m > 0;
        x[i] = (float)(x[i] + sd[m] * plc_rng_gauss(r));
    }
    return hit;
}

static float catmull_rom(const float *z, size_t n, double p)
{
    const long i = (long)floor(p);
    const float u = (float)(p - (double)i);
    float v[4];
    for (int k = 0; k < 4; k++) {
        const long j = i - 1 + k;
        v[k] = (j >= 0 && (size_t)j < n) ? z[j] : 0.0f;
    }
    return v[1] + 0.5f * u * (v[2] - v[0] + u * (2.0f * v[0] - 5.0f * v[1] + 4.0f * v[2] - v[3] +
                                                 u * (3.0f * (v[1] - v[2]) + v[3] - v[0])));
}

size_t plc_channel_resample(const float *x, size_t n, double ratio, float *out, size_t max)
{
    if (n == 0 || !(ratio > 0))
        return 0;
    size_t m = (size_t)floor((double)(n - 1) / ratio) + 1;
    if (m > max)
        m = max;
    for (size_t i = 0; i < m; i++)
        out[i] = catmull_rom(x, n, (double)i * ratio);
    return m;
}

double plc_channel_power(const float *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return n ? p / (double)n : 0.0;
}
