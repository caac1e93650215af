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

double plc_channel_power(const float *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return n ? p / (double)n : 0.0;
}
