#include "plc_channel.h"

#include <math.h>

void plc_rng_seed(plc_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t plc_rng_next(plc_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double plc_rng_uniform(plc_rng *r)
{
    return ((double)(plc_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

double plc_rng_gauss(plc_rng *r)
{
    double u1 = plc_rng_uniform(r), u2 = plc_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

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

double plc_channel_power(const float *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return n ? p / (double)n : 0.0;
}
