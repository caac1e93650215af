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

/* Fractional-delay interpolation for the clock offsets: a Kaiser-windowed sinc (16 taps,
 * beta 8) tabulated at 1/1024 sample. In the band (up to 0.23 of the rate) it is flat to
 * 0.001 dB at every fraction; a cubic (Catmull-Rom) was not: it lost up to 0.7 dB on the
 * top carriers at half-sample positions, a simulator artefact that cost the line's links
 * 0.1-0.2 dB depending on their clock offsets. */
#define RS_HALF 8
#define RS_TAPS (2 * RS_HALF)
#define RS_PHASES 1024
#define PI 3.14159265358979323846

static float rs_table[RS_PHASES + 1][RS_TAPS];
static int rs_ready;

static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 40; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

static void rs_init(void)
{
    const double beta = 8.0;
    for (unsigned p = 0; p <= RS_PHASES; p++) {
        const double u = (double)p / RS_PHASES;
        double h[RS_TAPS], sum = 0;
        for (int k = 0; k < RS_TAPS; k++) {
            const double t = (double)(k - (RS_HALF - 1)) - u; /* tap k holds x[i - 7 + k] */
            const double r = t / RS_HALF;
            const double w = fabs(r) < 1.0 ? bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta) : 0.0;
            h[k] = (t == 0.0 ? 1.0 : sin(PI * t) / (PI * t)) * w;
            sum += h[k];
        }
        for (int k = 0; k < RS_TAPS; k++)
            rs_table[p][k] = (float)(h[k] / sum); /* unit gain at DC */
    }
    rs_ready = 1;
}

static float interpolate(const float *z, size_t n, double pos)
{
    const long i = (long)floor(pos);
    const float *h = rs_table[(unsigned)lround((pos - (double)i) * RS_PHASES)];
    const long j0 = i - (RS_HALF - 1);
    /* only the taps that fall inside x (zeros beyond its ends) */
    const long k0 = j0 < 0 ? -j0 : 0;
    const long k1 = (long)n - j0 < RS_TAPS ? (long)n - j0 : RS_TAPS;
    float acc = 0;
    for (long k = k0; k < k1; k++)
        acc += h[k] * z[j0 + k];
    return acc;
}

size_t plc_channel_resample(const float *x, size_t n, double ratio, float *out, size_t max)
{
    if (n == 0 || !(ratio > 0))
        return 0;
    size_t m = (size_t)floor((double)(n - 1) / ratio) + 1;
    if (m > max)
        m = max;
    if (!rs_ready)
        rs_init();
    for (size_t i = 0; i < m; i++)
        out[i] = interpolate(x, n, (double)i * ratio);
    return m;
}

double plc_channel_power(const float *x, size_t n)
{
    double p = 0;
    for (size_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    return n ? p / (double)n : 0.0;
}
