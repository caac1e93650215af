/* The abstract PHY of the simulated medium: a frame's success at each receiver is drawn
 * from the PER tables at its effective SINR (the line model's per-carrier gains, the noise
 * profile, overlapping frames as interference, less the waveform receiver's measured loss
 * on a link with that much spread across the carriers); the header is decided by the ROBO
 * curve with the same draw, so a header can decode while its payload fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_medium_impl.h"
#include "plc_ofdm.h"

/* A link's PER for one kind of frame (modulation, length, tone map) with nothing else on
 * the line: the same for every such frame until the noise changes, so looked up once. */
static uint32_t frame_kind(plc_modulation mod, size_t len, unsigned tonemap)
{
    return 1u | (uint32_t)mod << 1 | (uint32_t)len << 4 | (uint32_t)(tonemap & 0x3F) << 16;
}

/* The smallest loss of a modulation's row: a bound for links that cannot make it. */
static double least_spread_loss(const plc_medium_config *cfg, plc_modulation mod)
{
    double least = cfg->spread_loss_db[mod][0];
    for (int i = 1; i < PLC_MEDIUM_SPREADS; i++)
        least = fmin(least, cfg->spread_loss_db[mod][i]);
    return least;
}

static const float *link_gain(const plc_medium *m, unsigned from, unsigned to)
{
    return &m->gain[((size_t)from * m->n + to) * PLC_PHY_CARRIERS];
}

static int overlaps(const aframe *g, uint64_t start, uint64_t end)
{
    return g->used && g->start < end && g->end > start;
}

static void abstract_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    aframe *f = user;
    plc_medium *m = f->m;
    const aframe *ov[MAX_FRAMES];
    unsigned nov = 0;
    for (unsigned k = 0; k < MAX_FRAMES; k++)
        if (&m->frames[k] != f && overlaps(&m->frames[k], f->start, f->end))
            ov[nov++] = &m->frames[k];
    const int ack = plc_fch_is_ack(&(plc_fch){.dt = f->rq.dt});
    /* an ACK is a header alone: 6 copies of 33 bits, sturdier than any payload; the
     * table's most robust entry (ROBO, shortest PSDU) stands in for it */
    const plc_modulation mod = ack ? PLC_MOD_ROBO : f->rq.mod;
    const size_t len = ack ? 1 : f->len;
    const double noise_c = m->noise_pow / PLC_PHY_CARRIERS;
    const double snr0_db = m->snr0_db;
    const uint32_t kind = frame_kind(mod, len, f->rq.tonemap);
    /* PER is 1 below floor_db: with all carriers in use, a link whose mean gain is below
     * -reach_db loses the frame whatever else is on the line */
    /* the header (ROBO-like: the table's most robust entry) is the frame's sturdiest
     * part: a receiver that cannot even decode it learns nothing of the frame */
    const double floor_db = plc_pertable_floor_db(m->per, PLC_MOD_ROBO, 1);
    const double reach_db = snr0_db - least_spread_loss(&m->cfg, PLC_MOD_ROBO) - floor_db;
    for (unsigned r = 0; r < m->n; r++) {
        if (r == f->from)
            continue;
        const size_t link = (size_t)f->from * m->n + r;
        /* far below every curve even without interference: lost, no need to look further */
        if (f->nactive == PLC_PHY_CARRIERS && m->gain_db[link] < -reach_db)
            continue;
        /* overlapping frames that matter here: those above 1% of the noise (0.04 dB) */
        const aframe *in_ov[MAX_FRAMES];
        unsigned nin = 0;
        int deaf = 0;
        for (unsigned k = 0; k < nov && !deaf; k++) {
            deaf = ov[k]->from == r; /* half duplex: r was transmitting */
            if (SIGNAL_POWER * m->gain_lin[(size_t)ov[k]->from * m->n + r] > 0.01 * m->noise_pow)
                in_ov[nin++] = ov[k];
        }
        if (deaf)
            continue;
        if (nin && f->nactive == PLC_PHY_CARRIERS) {
            /* lost for sure when even the strongest interferer alone, counted at its
             * mean-dB level (a carrier average of log(1 + I/N) is at least that), pulls the
             * frame below floor_db: no need to look at the carriers */
            double worst = -1000.0;
            for (unsigned k = 0; k < nin; k++)
                worst = fmax(worst, m->gain_db[(size_t)in_ov[k]->from * m->n + r]);
            const double clean_db = m->gain_db[link] + reach_db;
            if (clean_db - 10.0 * log10(1.0 + pow(10.0, (worst + snr0_db) / 10.0)) < 0)
                continue;
        }
        const float *g = link_gain(m, f->from, r);
        /* success: SINR with every overlapping frame; what the receiver reports (its
         * estimate from the preamble): SINR with the frames on the line at the start */
        float csnr[PLC_PHY_CARRIERS];
        double sum_db = 0, sum_sq = 0, snr_db; /* of the frame's carriers' SINR in dB */
        const int clean = nin == 0; /* the common case: no logarithm per carrier */
        link_cache *lc = &m->cache[link];
        const int cached = clean && lc->kind == kind;
        if (clean) {
            if (cached) {
                /* PER known: sum_db is not needed */
            } else if (f->nactive == PLC_PHY_CARRIERS) {
                const double mean = m->gain_db[link] + snr0_db, sd = m->gain_sd[link];
                sum_db = mean * PLC_PHY_CARRIERS;
                sum_sq = (sd * sd + mean * mean) * PLC_PHY_CARRIERS;
            } else {
                for (unsigned a = 0; a < f->nactive; a++) {
                    const double v = g[f->active[a]] + snr0_db;
                    sum_db += v;
                    sum_sq += v * v;
                }
            }
            snr_db = 0; /* filled in below once the frame is received */
        } else {
            /* per carrier, in float: one power of ten per interferer, one logarithm (two
             * when the interference at the frame's start differs from the whole frame's) */
            const float p_c = (float)(SIGNAL_POWER / PLC_PHY_CARRIERS);
            const float k10 = 0.23025851f; /* ln(10) / 10 */
            const float sc0_db = (float)(snr0_db + 10.0 * log10(noise_c)); /* 0 dB carrier */
            double noise = 0;
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
                float in = (float)noise_c, at_start = (float)noise_c;
                for (unsigned k = 0; k < nin; k++) {
                    const float i = p_c * expf(k10 * link_gain(m, in_ov[k]->from, r)[c]);
                    in += i;
                    if (in_ov[k]->start <= f->start + PLC_OFDM_PREAMBLE)
                        at_start += i;
                }
                const float sc_db = g[c] + sc0_db;
                const float in_db = 4.3429448f * logf(in); /* 10 log10 */
                const float start_db = at_start == in ? in_db : 4.3429448f * logf(at_start);
                csnr[c] = sc_db - start_db;
                if ((f->active_mask >> c) & 1) {
                    sum_db += sc_db - in_db;
                    sum_sq += (double)(sc_db - in_db) * (sc_db - in_db);
                }
                noise += at_start;
            }
            const double sig = SIGNAL_POWER * m->gain_lin[link];
            snr_db = 10.0 * log10(sig / noise);
        }
        /* the frame's carriers averaged in dB, less what the receiver loses on their spread */
        double per = lc->per, hdr_per = lc->hdr_per;
        if (!cached) {
            const double mean = sum_db / f->nactive;
            const double sd = sqrt(fmax(0.0, sum_sq / f->nactive - mean * mean));
            const double loss = plc_medium_spread_loss_db(&m->cfg, mod, sd);
            per = plc_pertable_per(m->per, mod, len, mean - loss);
            hdr_per = ack ? per
                          : plc_pertable_per(m->per, PLC_MOD_ROBO, 1,
                                             mean - plc_medium_spread_loss_db(&m->cfg, PLC_MOD_ROBO, sd));
            if (hdr_per > per)
                hdr_per = per;
        }
        if (clean && !cached)
            *lc = (link_cache){kind, (float)per, (float)hdr_per};
        /* a draw only where the outcome is uncertain; the sequence stays reproducible */
        const int draw = (per > 0.0 && per < 1.0) || (!ack && hdr_per > 0.0 && hdr_per < 1.0);
        const double u = draw ? plc_rng_uniform(&m->rng) : 0.5;
        const int lost = per >= 1.0 || (per > 0.0 && u < per);
        /* the same draw decides the header: lost with the frame only below hdr_per */
        const int header_lost = hdr_per >= 1.0 || (hdr_per > 0.0 && u < hdr_per) || ack;
        if (lost && header_lost)
            continue;
        if (clean) {
            const float s0 = (float)snr0_db;
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
                csnr[c] = g[c] + s0;
            snr_db = m->snr_mean_db[link];
        }
        const plc_phy_rx_ind ind = {
            .status = lost ? PLC_PHY_RX_PAYLOAD_FAILED : PLC_PHY_RX_OK,
            .dt = f->rq.dt,
            .ack_fcs = f->rq.ack_fcs,
            .mod = f->rq.mod,
            .tonemap = f->rq.tonemap,
            .psdu = lost ? NULL : f->psdu,
            .psdu_len = lost ? 0 : f->len,
            .rs_corrected = -1,
            .end_us = plc_medium_us_of(f->end),
            .snr_db = (float)snr_db,
            .carrier_snr_db = csnr,
            .lqi = medium_lqi_of_snr(snr_db),
        };
        medium_deliver(&m->node[r], &ind);
    }
    /* frames that ended long ago can no longer overlap anything: free their slots */
    for (unsigned k = 0; k < MAX_FRAMES; k++)
        if (m->frames[k].used && m->frames[k].end + 400000 < f->end)
            m->frames[k].used = 0;
}

int medium_abstract_send(plc_medium *m, mnode *nd, const plc_tx_request *rq,
                         const uint8_t *psdu, size_t len, uint64_t now)
{
    const long samples = plc_tx_frame_samples(m->tx, rq, len);
    if (samples < 0)
        return (int)samples;
    aframe *f = NULL;
    for (unsigned k = 0; k < MAX_FRAMES && !f; k++)
        if (!m->frames[k].used && !plc_timer_pending(&m->frames[k].done))
            f = &m->frames[k];
    if (!f)
        return PLC_ERR_BUFFER;
    f->from = nd->id;
    f->start = now;
    f->end = now + (uint64_t)samples;
    f->rq = *rq;
    f->len = 0;
    if (!plc_fch_is_ack(&(plc_fch){.dt = rq->dt})) {
        /* the receiver gets the whole payload capacity, zero padded, as from plc_rx */
        plc_payload_layout lay;
        const unsigned carriers = plc_active_carriers(rq->tonemap, PLC_TONEMASK_ALL, f->active);
        if (plc_payload_layout_for_psdu(rq->mod, carriers, len, &lay) != PLC_OK)
            return PLC_ERR_LENGTH;
        memset(f->psdu, 0, sizeof(f->psdu));
        memcpy(f->psdu, psdu, len);
        f->len = lay.capacity;
        f->nactive = carriers;
    } else {
        f->nactive = plc_active_carriers(PLC_TONEMAP_ALL, PLC_TONEMASK_ALL, f->active);
    }
    f->active_mask = 0;
    for (unsigned a = 0; a < f->nactive; a++)
        f->active_mask |= 1ull << f->active[a];
    f->used = 1;
    nd->tx_end = f->end;
    plc_timer_start_at(m->loop, &f->done, plc_medium_us_of(f->end));
    return PLC_OK;
}

int medium_abstract_busy(const plc_medium *m, unsigned r, uint64_t now)
{
    for (unsigned k = 0; k < MAX_FRAMES; k++) {
        const aframe *f = &m->frames[k];
        if (!f->used || f->from == r || now < f->start + PLC_MEDIUM_CS_DELAY || now >= f->end)
            continue;
        if (m->gain_lin[(size_t)f->from * m->n + r] >= m->cs_gain)
            return 1;
    }
    return 0;
}

/* The receivers' in-band noise power and what follows from it. */
void medium_abstract_set_noise(plc_medium *m, double noise_pow)
{
    m->noise_pow = noise_pow;
    m->cs_gain = pow(10.0, PLC_MEDIUM_CS_SNR_DB / 10.0) * noise_pow / SIGNAL_POWER;
    m->snr0_db = 10.0 * log10(SIGNAL_POWER / noise_pow);
    const size_t links = (size_t)m->n * m->n;
    for (size_t l = 0; l < links; l++) {
        m->snr_mean_db[l] = (float)(10.0 * log10(m->gain_lin[l]) + m->snr0_db);
        m->cache[l].kind = 0;
    }
}

void medium_abstract_timers(plc_medium *m)
{
    for (unsigned k = 0; k < MAX_FRAMES; k++) {
        m->frames[k].m = m;
        plc_timer_init(&m->frames[k].done, abstract_done, &m->frames[k]);
    }
}

/* Link gains from the line model, PER tables; err says why on failure. */
int medium_abstract_init(plc_medium *m, const plc_noise_config *noise, char *err, size_t errlen)
{
    const plc_medium_config *cfg = &m->cfg;
    m->per = calloc(1, sizeof(*m->per));
    m->gain = malloc((size_t)m->n * m->n * PLC_PHY_CARRIERS * sizeof(float));
    m->gain_db = malloc((size_t)m->n * m->n * sizeof(float));
    m->gain_sd = malloc((size_t)m->n * m->n * sizeof(float));
    m->gain_lin = malloc((size_t)m->n * m->n * sizeof(float));
    m->snr_mean_db = malloc((size_t)m->n * m->n * sizeof(float));
    m->cache = malloc((size_t)m->n * m->n * sizeof(link_cache));
    if (!m->per || !m->gain || !m->gain_db || !m->gain_sd || !m->gain_lin ||
        !m->snr_mean_db || !m->cache)
        goto nomem;
    if (plc_pertable_load(m->per, cfg->per_table, err, errlen) != PLC_OK)
        return PLC_ERR_FORMAT;
    double f[PLC_PHY_CARRIERS], gdb[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        f[c] = plc_carrier_hz(c);
    for (unsigned a = 0; a < m->n; a++)
        for (unsigned b = a; b < m->n; b++) {
            plc_line_gain_db(m->line, a, b, f, PLC_PHY_CARRIERS, gdb);
            double mean_db = 0, mean_lin = 0, var_db = 0;
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
                mean_db += gdb[c] / PLC_PHY_CARRIERS;
                mean_lin += pow(10.0, gdb[c] / 10.0) / PLC_PHY_CARRIERS;
            }
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
                var_db += (gdb[c] - mean_db) * (gdb[c] - mean_db) / PLC_PHY_CARRIERS;
            const size_t ab = (size_t)a * m->n + b, ba = (size_t)b * m->n + a;
            m->gain_db[ab] = m->gain_db[ba] = a == b ? -1000.0f : (float)mean_db;
            m->gain_sd[ab] = m->gain_sd[ba] = (float)sqrt(var_db);
            m->gain_lin[ab] = m->gain_lin[ba] = a == b ? 0.0f : (float)mean_lin;
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
                const float g = a == b ? -1000.0f : (float)gdb[c];
                m->gain[ab * PLC_PHY_CARRIERS + c] = g;
                m->gain[ba * PLC_PHY_CARRIERS + c] = g;
            }
        }
    medium_abstract_set_noise(m, medium_inband_noise(noise));
    return PLC_OK;
nomem:
    snprintf(err, errlen, "out of memory");
    return PLC_ERR_NOMEM;
}
