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

double plc_channel_power(const float *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return n ? p / (double)n : 0.0;
}
