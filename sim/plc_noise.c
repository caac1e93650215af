#include "plc_noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_channel.h"
#include "plc_err.h"
#include "plc_rng.h"

#define FS 400000.0
#define TWO_PI 6.283185307179586

struct plc_noise {
    plc_noise_config cfg;
    plc_rng rng;
    double lp_state, lp_a, lp_gain; /* coloured background filter */
    uint64_t lp_next;               /* line time the filter state belongs to */
};

int plc_noise_profile(const char *name, double level, plc_noise_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mains_hz = 50.0;
    cfg->coloured_corner_hz = 20000.0;
    cfg->class_a_A = 0.1;
    cfg->class_a_gamma = 0.01;
    if (!strcmp(name, "awgn")) {
        cfg->awgn_sigma = level;
    } else if (!strcmp(name, "residential")) {
        cfg->awgn_sigma = 0.3 * level;
        cfg->coloured_sigma = level;
        cfg->impulses_per_cycle = 2;
        cfg->impulse_amp = 30.0 * level;
        cfg->impulse_freq_hz = 60000.0;
        cfg->impulse_decay_us = 40.0;
        cfg->impulse_phase = 0.1;
        cfg->n_tones = 1;
        cfg->tone_hz[0] = 71300.0;
        cfg->tone_amp[0] = 2.0 * level;
    } else if (!strcmp(name, "impulsive")) {
        cfg->class_a_sigma = level;
    } else {
        return PLC_ERR_ARG;
    }
    return PLC_OK;
}

plc_noise *plc_noise_create(const plc_noise_config *cfg, uint64_t seed)
{
    if (!cfg || cfg->n_tones > PLC_NOISE_MAX_TONES || (cfg->class_a_sigma > 0 &&
                                                       !(cfg->class_a_A > 0)))
        return NULL;
    plc_noise *nz = calloc(1, sizeof(*nz));
    if (!nz)
        return NULL;
    nz->cfg = *cfg;
    plc_rng_seed(&nz->rng, seed);
    /* y = a y + (1 - a) w has variance (1-a)/(1+a) for unit w: gain restores sigma */
    const double fc = cfg->coloured_corner_hz > 0 ? cfg->coloured_corner_hz : 20000.0;
    nz->lp_a = exp(-TWO_PI * fc / FS);
    nz->lp_gain = sqrt((1.0 + nz->lp_a) / (1.0 - nz->lp_a));
    nz->lp_next = UINT64_MAX;
    return nz;
}

void plc_noise_destroy(plc_noise *nz)
{
    free(nz);
}

/* Mains-synchronous impulses: a damped sinusoid starting at each impulse instant. */
static void add_periodic(const plc_noise_config *c, float *x, size_t n, uint64_t t0)
{
    const double period = FS / (c->mains_hz * c->impulses_per_cycle);
    const double offset = c->impulse_phase * FS / c->mains_hz;
    const double decay = c->impulse_decay_us * 1e-6 * FS; /* samples */
    const double span = 8.0 * decay;                      /* e^-8: negligible after */
    /* first impulse that can reach t0 */
    double k = floor(((double)t0 - offset - span) / period);
    for (;; k += 1.0) {
        const double start = offset + k * period;
        if (start >= (double)(t0 + n))
            break;
        if (start + span <= (double)t0)
            continue;
        const double a = start > (double)t0 ? start : (double)t0;
        const uint64_t i0 = (uint64_t)ceil(a), i1 = (uint64_t)fmin(start + span, (double)(t0 + n));
        for (uint64_t i = i0; i < i1; i++) {
            const double u = (double)i - start;
            x[i - t0] += (float)(c->impulse_amp * exp(-u / decay) *
                                 sin(TWO_PI * c->impulse_freq_hz * u / FS));
        }
    }
}

size_t plc_noise_add(plc_noise *nz, float *x, size_t n, uint64_t t0)
{
    const plc_noise_config *c = &nz->cfg;
    size_t hits = 0;
    if (c->awgn_sigma > 0)
        plc_channel_apply(x, n, 1.0, 0.0, c->awgn_sigma, &nz->rng);
    if (c->coloured_sigma > 0) {
        /* a skipped stretch restarts the filter from its stationary distribution */
        if (nz->lp_next != t0)
            nz->lp_state = c->coloured_sigma * plc_rng_gauss(&nz->rng);
        const double g = c->coloured_sigma * nz->lp_gain * (1.0 - nz->lp_a);
        for (size_t i = 0; i < n; i++) {
            nz->lp_state = nz->lp_a * nz->lp_state + g * plc_rng_gauss(&nz->rng);
            x[i] += (float)nz->lp_state;
        }
        nz->lp_next = t0 + n;
    }
    if (c->class_a_sigma > 0)
        hits = plc_channel_add_class_a(x, n, c->class_a_sigma, c->class_a_A, c->class_a_gamma,
                                       &nz->rng);
    if (c->impulses_per_cycle > 0 && c->impulse_amp > 0)
        add_periodic(c, x, n, t0);
    for (unsigned k = 0; k < c->n_tones; k++) {
        const double w = TWO_PI * c->tone_hz[k] / FS;
        for (size_t i = 0; i < n; i++)
            x[i] += (float)(c->tone_amp[k] * sin(w * (double)(t0 + i)));
    }
    return hits;
}
