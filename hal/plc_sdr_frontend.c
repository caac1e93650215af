#include "plc_sdr_frontend.h"

#include <liquid/liquid.h>
#include <math.h>
#include <stdlib.h>

#define PHY_RATE 400000.0
#define FIR_LEN 63
#define CHUNK 1024

struct plc_sdr_frontend {
    plc_sdr_config cfg;
    double up_ratio; /* SDR rate / PHY rate */
    nco_crcf nco_down, nco_up;
    firfilt_crcf lowpass;
    msresamp_crcf to_sdr, to_phy;
    float complex work[CHUNK], work2[CHUNK];
};

void plc_sdr_config_default(plc_sdr_config *cfg)
{
    cfg->sdr_rate_hz = 1e6;
    cfg->centre_hz = 63e3;
    cfg->bandwidth_hz = 70e3;
}

plc_sdr_frontend *plc_sdr_frontend_create(const plc_sdr_config *cfg)
{
    if (!cfg || cfg->sdr_rate_hz < 250e3 || cfg->sdr_rate_hz > 20e6 || cfg->bandwidth_hz <= 0 ||
        cfg->centre_hz - cfg->bandwidth_hz / 2 < 0 || cfg->centre_hz + cfg->bandwidth_hz / 2 > 200e3 ||
        cfg->bandwidth_hz > cfg->sdr_rate_hz)
        return NULL;
    plc_sdr_frontend *fe = calloc(1, sizeof(*fe));
    if (!fe)
        return NULL;
    fe->cfg = *cfg;
    fe->up_ratio = cfg->sdr_rate_hz / PHY_RATE;
    fe->nco_down = nco_crcf_create(LIQUID_NCO);
    fe->nco_up = nco_crcf_create(LIQUID_NCO);
    /* cutoff relative to the sample rate: half the kept band plus a little */
    fe->lowpass = firfilt_crcf_create_kaiser(FIR_LEN, (float)(0.55 * cfg->bandwidth_hz / PHY_RATE),
                                             60.0f, 0.0f);
    fe->to_sdr = msresamp_crcf_create((float)fe->up_ratio, 60.0f);
    fe->to_phy = msresamp_crcf_create((float)(1.0 / fe->up_ratio), 60.0f);
    if (!fe->nco_down || !fe->nco_up || !fe->lowpass || !fe->to_sdr || !fe->to_phy) {
        plc_sdr_frontend_destroy(fe);
        return NULL;
    }
    plc_sdr_frontend_reset(fe);
    return fe;
}

void plc_sdr_frontend_destroy(plc_sdr_frontend *fe)
{
    if (!fe)
        return;
    if (fe->nco_down)
        nco_crcf_destroy(fe->nco_down);
    if (fe->nco_up)
        nco_crcf_destroy(fe->nco_up);
    if (fe->lowpass)
        firfilt_crcf_destroy(fe->lowpass);
    if (fe->to_sdr)
        msresamp_crcf_destroy(fe->to_sdr);
    if (fe->to_phy)
        msresamp_crcf_destroy(fe->to_phy);
    free(fe);
}

size_t plc_sdr_baseband_len(const plc_sdr_frontend *fe, size_t n)
{
    return (size_t)ceil(n * fe->up_ratio) + 16;
}

size_t plc_sdr_passband_len(const plc_sdr_frontend *fe, size_t n)
{
    return (size_t)ceil(n / fe->up_ratio) + 16;
}

size_t plc_sdr_to_baseband(plc_sdr_frontend *fe, const float *x, size_t n, float complex *out)
{
    size_t written = 0;
    for (size_t done = 0; done < n;) {
        const unsigned m = (unsigned)(n - done < CHUNK ? n - done : CHUNK);
        for (unsigned i = 0; i < m; i++)
            fe->work[i] = x[done + i];
        nco_crcf_mix_block_down(fe->nco_down, fe->work, fe->work2, m);
        firfilt_crcf_execute_block(fe->lowpass, fe->work2, m, fe->work);
        unsigned ny = 0;
        msresamp_crcf_execute(fe->to_sdr, fe->work, m, out + written, &ny);
        written += ny;
        done += m;
    }
    return written;
}

size_t plc_sdr_to_passband(plc_sdr_frontend *fe, const float complex *z, size_t n, float *out)
{
    size_t written = 0;
    /* the downsampler writes at most ceil(m / ratio) + 1 samples per chunk of m */
    const size_t step = (size_t)floor((CHUNK - 4) * fe->up_ratio);
    for (size_t done = 0; done < n;) {
        const unsigned m = (unsigned)(n - done < step ? n - done : step);
        unsigned ny = 0;
        msresamp_crcf_execute(fe->to_phy, (float complex *)(z + done), m, fe->work, &ny);
        nco_crcf_mix_block_up(fe->nco_up, fe->work, fe->work2, ny);
        for (unsigned i = 0; i < ny; i++)
            out[written + i] = 2.0f * crealf(fe->work2[i]);
        written += ny;
        done += m;
    }
    return written;
}

double plc_sdr_to_baseband_delay_s(const plc_sdr_frontend *fe)
{
    /* liquid 1.5's msresamp delay is in input samples, whatever its header says (the
     * test measures both directions) */
    return ((FIR_LEN - 1) / 2 + msresamp_crcf_get_delay(fe->to_sdr)) / PHY_RATE;
}

double plc_sdr_to_passband_delay_s(const plc_sdr_frontend *fe)
{
    return msresamp_crcf_get_delay(fe->to_phy) / fe->cfg.sdr_rate_hz;
}

void plc_sdr_frontend_reset(plc_sdr_frontend *fe)
{
    /* phase 0 again: the PHY is differential, a constant phase does not matter */
    const float w = (float)(6.283185307179586 * fe->cfg.centre_hz / PHY_RATE);
    nco_crcf_reset(fe->nco_down);
    nco_crcf_reset(fe->nco_up);
    nco_crcf_set_frequency(fe->nco_down, w);
    nco_crcf_set_frequency(fe->nco_up, w);
    firfilt_crcf_reset(fe->lowpass);
    msresamp_crcf_reset(fe->to_sdr);
    msresamp_crcf_reset(fe->to_phy);
}
