#include "plc_medium.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_line.h"
#include "plc_ofdm.h"
#include "plc_pertable.h"
#include "plc_rng.h"
#include "plc_rx.h"
#include "plc_topology.h"

#define BLOCK 256          /* waveform: line samples per receive step (0.64 ms, under a slot) */
#define SIGNAL_POWER 0.045 /* in-band power of a frame at the transmitter (plc_tx default) */
#define MAX_FRAMES 256     /* abstract: frames on the line at once */

typedef struct mnode {
    struct plc_medium *m;
    unsigned id;
    plc_phy_user user;
    plc_rx *rx;           /* waveform */
    plc_timer tx_done;
    uint64_t tx_end;      /* line sample where its transmission ends */
    int transmitting;
    plc_timer tx_start;   /* a transmission asked for a later time */
    plc_tx_request pending_rq;
    uint8_t pending_psdu[255];
    size_t pending_len;
} mnode;

typedef struct aframe { /* abstract: one frame on the line */
    struct plc_medium *m;
    unsigned from;
    uint64_t start, end;  /* line samples */
    plc_tx_request rq;
    uint8_t psdu[255];
    size_t len;           /* payload capacity sent (0 for ACK/NACK) */
    uint8_t active[PLC_PHY_CARRIERS];
    unsigned nactive;
    uint64_t active_mask; /* bit c: carrier c carries the payload */
    plc_timer done;
    int used;
} aframe;

typedef struct link_cache {
    uint32_t kind; /* frame_kind(), 0: empty */
    float per;     /* of the frame */
    float hdr_per; /* of its header alone */
} link_cache;

struct plc_medium {
    plc_medium_config cfg;
    unsigned n;
    plc_loop *loop;
    plc_topology *topo;
    plc_line *line;
    plc_tx *tx;
    plc_rng rng;
    mnode *node;
    /* waveform */
    plc_timer block;
    uint64_t block_t; /* next line sample to process */
    int block_running;
    float *buf, *frame;
    size_t frame_cap;
    /* abstract */
    plc_pertable *per;
    aframe frames[MAX_FRAMES];
    float *gain;      /* power gain (dB) per link and carrier: [(from * n + to) * 36 + c] */
    float *gain_db;   /* per link: mean over the carriers of the gain in dB */
    float *gain_sd;   /* per link: standard deviation over the carriers of the gain in dB */
    float *gain_lin;  /* per link: mean over the carriers of the linear gain */
    float *snr_mean_db; /* per link: SNR of the mean linear gain (what a receiver reports) */
    link_cache *cache;  /* per link: PER of the last kind of frame received without interference */
    double cs_gain;   /* mean linear link gain above which a frame is sensed */
    double noise_pow; /* in-band noise power at a receiver */
    double snr0_db;   /* SNR over a 0 dB link */
};

/* A link's PER for one kind of frame (modulation, length, tone map) with nothing else on
 * the line: the same for every such frame until the noise changes, so looked up once. */
static uint32_t frame_kind(plc_modulation mod, size_t len, unsigned tonemap)
{
    return 1u | (uint32_t)mod << 1 | (uint32_t)len << 4 | (uint32_t)(tonemap & 0x3F) << 16;
}

void plc_medium_config_default(plc_medium_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nodes = 10;
    cfg->seed = 1;
    cfg->noise_profile = "awgn";
    cfg->noise_level = 0.002;
    cfg->per_table = "docs/per/per_sco.dat";
    /* measured by bench_sim (two-node lines, 64-byte frames, 3000 per point): docs/sim.md */
    static const float spread_loss_db[PLC_MOD_COUNT][PLC_MEDIUM_SPREADS] = {
        /* spread:  0 dB   1 dB   2 dB   3 dB   4 dB   5 dB */
        [PLC_MOD_ROBO] = {0.00f, -0.13f, -0.50f, -1.05f, -1.71f, -2.45f},
        [PLC_MOD_DBPSK] = {-0.01f, 0.16f, 0.49f, 0.82f, 1.04f, 1.20f},
        [PLC_MOD_DQPSK] = {0.00f, 0.01f, -0.03f, -0.10f, -0.13f, -0.02f},
        [PLC_MOD_D8PSK] = {-0.02f, 0.13f, 0.39f, 0.72f, 0.96f, 1.02f},
    };
    memcpy(cfg->spread_loss_db, spread_loss_db, sizeof(spread_loss_db));
}

double plc_medium_spread_loss_db(const plc_medium_config *cfg, plc_modulation mod,
                                 double spread_db)
{
    const float *row = cfg->spread_loss_db[mod];
    if (!(spread_db > 0))
        return row[0];
    if (spread_db >= PLC_MEDIUM_SPREADS - 1)
        return row[PLC_MEDIUM_SPREADS - 1];
    const int i = (int)spread_db; /* columns are 1 dB apart */
    const double u = spread_db - i;
    return row[i] + u * (row[i + 1] - row[i]);
}

/* The smallest loss of a modulation's row: a bound for links that cannot make it. */
static double least_spread_loss(const plc_medium_config *cfg, plc_modulation mod)
{
    double least = cfg->spread_loss_db[mod][0];
    for (int i = 1; i < PLC_MEDIUM_SPREADS; i++)
        least = fmin(least, cfg->spread_loss_db[mod][i]);
    return least;
}

uint64_t plc_medium_us_of(uint64_t sample)
{
    return sample * 5 / 2; /* 2.5 us per sample */
}

uint64_t plc_medium_sample_of(uint64_t us)
{
    return us * 2 / 5;
}

static uint64_t now_sample(const plc_medium *m)
{
    return plc_medium_sample_of(plc_loop_now_us(m->loop));
}

static void deliver(mnode *nd, const plc_phy_rx_ind *ind)
{
    if (nd->user.rx_indication)
        nd->user.rx_indication(nd->user.user, ind);
}

static void on_tx_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mnode *nd = user;
    nd->transmitting = 0;
    if (nd->user.tx_confirm)
        nd->user.tx_confirm(nd->user.user, PLC_OK);
}

/* ---- waveform ---- */
static void on_rx_frame(const plc_rx_frame *f, void *user)
{
    mnode *nd = user;
    plc_phy_rx_ind ind;
    uint64_t end;
    if (!plc_phy_rx_ind_from_frame(f, &ind, &end))
        return;
    ind.end_us = plc_medium_us_of(end);
    deliver(nd, &ind);
}

static void block_step(plc_loop *loop, plc_timer *t, void *user)
{
    (void)t;
    plc_medium *m = user;
    const uint64_t b = m->block_t;
    int busy = 0;
    for (unsigned r = 0; r < m->n; r++) {
        plc_rx *rx = m->node[r].rx;
        if (plc_line_transmitting(m->line, r, b, BLOCK)) {
            plc_rx_skip(rx, BLOCK); /* half duplex */
        } else if (plc_line_signal_present(m->line, r, b, BLOCK) || plc_rx_busy(rx)) {
            plc_line_receive(m->line, r, b, m->buf, BLOCK);
            plc_rx_push(rx, m->buf, BLOCK);
        } else {
            plc_rx_skip(rx, BLOCK);
        }
        busy |= plc_rx_busy(rx);
    }
    m->block_t = b + BLOCK;
    const uint64_t last = plc_line_expire(m->line, m->block_t);
    /* a block is processed once its end has passed, so every transmission that starts in
     * it is already on the line */
    if (last > m->block_t || busy)
        plc_timer_start_at(loop, &m->block, plc_medium_us_of(m->block_t + BLOCK));
    else
        m->block_running = 0;
}

static int wave_send(plc_medium *m, mnode *nd, const plc_tx_request *rq, const uint8_t *psdu,
                     size_t len, uint64_t now)
{
    size_t w = 0;
    int rc = plc_tx_frame(m->tx, rq, psdu, len, m->frame, m->frame_cap, &w);
    if (rc != PLC_OK)
        return rc;
    if (!m->block_running) {
        /* the receivers were idle: skip them to the block containing now */
        const uint64_t target = now / BLOCK * BLOCK;
        if (target > m->block_t) {
            for (unsigned r = 0; r < m->n; r++)
                plc_rx_skip(m->node[r].rx, target - m->block_t);
            m->block_t = target;
        }
        m->block_running = 1;
        plc_timer_start_at(m->loop, &m->block, plc_medium_us_of(m->block_t + BLOCK));
    }
    rc = plc_line_transmit(m->line, nd->id, now, m->frame, w, 1.0);
    if (rc == PLC_OK)
        nd->tx_end = now + w;
    return rc;
}

/* ---- abstract ---- */
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
            .lqi = (uint8_t)fmin(255.0, fmax(0.0, (snr_db + 10.0) * 4.0)),
        };
        deliver(&m->node[r], &ind);
    }
    /* frames that ended long ago can no longer overlap anything: free their slots */
    for (unsigned k = 0; k < MAX_FRAMES; k++)
        if (m->frames[k].used && m->frames[k].end + 400000 < f->end)
            m->frames[k].used = 0;
}

static int abstract_send(plc_medium *m, mnode *nd, const plc_tx_request *rq,
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

static int abstract_busy(const plc_medium *m, unsigned r, uint64_t now)
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

/* ---- the PHY service ---- */
static int send_now(mnode *nd, const plc_tx_request *rq, const uint8_t *psdu, size_t len)
{
    plc_medium *m = nd->m;
    const uint64_t now = now_sample(m);
    const int rc = m->cfg.abstract_phy ? abstract_send(m, nd, rq, psdu, len, now)
                                       : wave_send(m, nd, rq, psdu, len, now);
    if (rc != PLC_OK)
        return rc;
    nd->transmitting = 1;
    return plc_timer_start_at(m->loop, &nd->tx_done, plc_medium_us_of(nd->tx_end));
}

static void on_tx_start(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mnode *nd = user;
    nd->transmitting = 0;
    const int rc = send_now(nd, &nd->pending_rq, nd->pending_psdu, nd->pending_len);
    if (rc != PLC_OK && nd->user.tx_confirm)
        nd->user.tx_confirm(nd->user.user, rc);
}

static int svc_tx_request(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                          uint64_t at_us)
{
    mnode *nd = phy;
    plc_medium *m = nd->m;
    if (!rq || len > sizeof(nd->pending_psdu))
        return PLC_ERR_ARG;
    if (nd->transmitting)
        return PLC_ERR_BUSY;
    if (at_us <= plc_loop_now_us(m->loop))
        return send_now(nd, rq, psdu, len);
    const long samples = plc_tx_frame_samples(m->tx, rq, len); /* refuse now, not later */
    if (samples < 0)
        return (int)samples;
    nd->pending_rq = *rq;
    nd->pending_len = plc_fch_is_ack(&(plc_fch){.dt = rq->dt}) ? 0 : len;
    if (nd->pending_len)
        memcpy(nd->pending_psdu, psdu, len);
    const int rc = plc_timer_start_at(m->loop, &nd->tx_start, at_us);
    if (rc == PLC_OK)
        nd->transmitting = 1; /* committed: its carrier sense says busy */
    return rc;
}

static int svc_busy(void *phy)
{
    mnode *nd = phy;
    plc_medium *m = nd->m;
    if (nd->transmitting)
        return 1;
    return m->cfg.abstract_phy ? abstract_busy(m, nd->id, now_sample(m)) : plc_rx_busy(nd->rx);
}

static void svc_set_user(void *phy, const plc_phy_user *user)
{
    mnode *nd = phy;
    nd->user = user ? *user : (plc_phy_user){0};
}

static const plc_phy_ops medium_ops = {svc_tx_request, svc_busy, svc_set_user, NULL};

plc_phy_service plc_medium_phy(plc_medium *m, unsigned node)
{
    return (plc_phy_service){&medium_ops, node < m->n ? &m->node[node] : NULL};
}

/* In-band noise power of the receivers' noise model: the variance of each part, scaled
 * to the 36 of 128 positive bins that carry the signal. */
static double inband_noise(const plc_noise_config *c)
{
    double v = c->awgn_sigma * c->awgn_sigma + c->coloured_sigma * c->coloured_sigma +
               c->class_a_sigma * c->class_a_sigma;
    for (unsigned k = 0; k < c->n_tones; k++)
        v += c->tone_amp[k] * c->tone_amp[k] / 2.0;
    return v * PLC_PHY_CARRIERS / 128.0;
}

/* The receivers' in-band noise power and what follows from it. */
static void set_noise(plc_medium *m, double noise_pow)
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

plc_medium *plc_medium_create(const plc_medium_config *cfg, plc_loop *loop, char *err,
                              size_t errlen)
{
    if (!cfg || !loop || (!cfg->topology_file && (cfg->nodes < 2 ||
                                                 cfg->nodes > PLC_TOPO_MAX_NODES))) {
        snprintf(err, errlen, "bad medium: 2..%d nodes and a loop", PLC_TOPO_MAX_NODES);
        return NULL;
    }
    plc_medium *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->loop = loop;
    m->topo = calloc(1, sizeof(*m->topo));
    if (!m->topo)
        goto nomem;
    int rc = cfg->topology_file ? plc_topology_load(m->topo, cfg->topology_file, err, errlen)
                                : plc_topology_generate(m->topo, cfg->nodes, cfg->seed);
    if (rc != PLC_OK) {
        if (!cfg->topology_file)
            snprintf(err, errlen, "cannot generate a topology");
        plc_medium_destroy(m);
        return NULL;
    }
    m->n = m->topo->n_nodes;
    plc_line_config lc;
    plc_line_config_default(&lc);
    lc.seed = cfg->seed;
    if (plc_noise_profile(cfg->noise_profile, cfg->noise_level, &lc.noise) != PLC_OK) {
        snprintf(err, errlen, "unknown noise profile '%s' (awgn, residential, impulsive)",
                 cfg->noise_profile);
        plc_medium_destroy(m);
        return NULL;
    }
    m->line = plc_line_create(m->topo, &lc);
    m->tx = plc_tx_create(NULL);
    m->node = calloc(m->n, sizeof(mnode));
    if (!m->node)
        goto nomem;
    for (unsigned i = 0; i < m->n; i++) {
        m->node[i].m = m;
        m->node[i].id = i;
        plc_timer_init(&m->node[i].tx_done, on_tx_done, &m->node[i]);
        plc_timer_init(&m->node[i].tx_start, on_tx_start, &m->node[i]);
    }
    for (unsigned k = 0; k < MAX_FRAMES; k++) {
        m->frames[k].m = m;
        plc_timer_init(&m->frames[k].done, abstract_done, &m->frames[k]);
    }
    plc_timer_init(&m->block, block_step, m);
    if (!m->line || !m->tx)
        goto nomem;
    plc_rng_seed(&m->rng, cfg->seed ^ 0xA5A5A5A5ull);
    if (cfg->abstract_phy) {
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
        if (plc_pertable_load(m->per, cfg->per_table, err, errlen) != PLC_OK) {
            plc_medium_destroy(m);
            return NULL;
        }
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
        set_noise(m, inband_noise(&lc.noise));
    } else {
        plc_rx_config rc_;
        plc_rx_config_default(&rc_);
        rc_.callback = on_rx_frame;
        rc_.impulse_blanking = cfg->impulse_blanking;
        for (unsigned i = 0; i < m->n; i++) {
            rc_.user = &m->node[i];
            m->node[i].rx = plc_rx_create(&rc_);
            if (!m->node[i].rx)
                goto nomem;
        }
        m->buf = malloc(BLOCK * sizeof(float));
        m->frame_cap = plc_ofdm_frame_samples(PLC_PHY_MAX_SYMBOLS + PLC_PHY_FCH_SYMBOLS);
        m->frame = malloc(m->frame_cap * sizeof(float));
        if (!m->buf || !m->frame)
            goto nomem;
    }
    return m;
nomem:
    snprintf(err, errlen, "out of memory");
    plc_medium_destroy(m);
    return NULL;
}

void plc_medium_destroy(plc_medium *m)
{
    if (!m)
        return;
    /* every timer was initialised before the first failure could happen */
    if (m->node)
        for (unsigned i = 0; i < m->n; i++) {
            plc_timer_stop(m->loop, &m->node[i].tx_done);
            plc_timer_stop(m->loop, &m->node[i].tx_start);
            plc_rx_destroy(m->node[i].rx);
        }
    if (m->node) {
        for (unsigned k = 0; k < MAX_FRAMES; k++)
            plc_timer_stop(m->loop, &m->frames[k].done);
        plc_timer_stop(m->loop, &m->block);
    }
    free(m->node);
    plc_line_destroy(m->line);
    plc_tx_destroy(m->tx);
    free(m->topo);
    free(m->per);
    free(m->gain);
    free(m->gain_db);
    free(m->gain_sd);
    free(m->gain_lin);
    free(m->snr_mean_db);
    free(m->cache);
    free(m->buf);
    free(m->frame);
    free(m);
}

unsigned plc_medium_nodes(const plc_medium *m)
{
    return m->n;
}

double plc_medium_loss_db(const plc_medium *m, unsigned from, unsigned to)
{
    return plc_line_loss_db(m->line, from, to, 60000.0);
}

void plc_medium_link_gain_db(const plc_medium *m, unsigned from, unsigned to,
                             double gain_db[PLC_PHY_CARRIERS])
{
    double f[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        f[c] = plc_carrier_hz(c);
    plc_line_gain_db(m->line, from, to, f, PLC_PHY_CARRIERS, gain_db);
}

double plc_medium_link_snr_db(const plc_medium *m, unsigned from, unsigned to)
{
    double g[PLC_PHY_CARRIERS], mean_db = 0;
    plc_medium_link_gain_db(m, from, to, g);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        mean_db += g[c] / PLC_PHY_CARRIERS;
    plc_noise_config nc;
    if (plc_noise_profile(m->cfg.noise_profile, m->cfg.noise_level, &nc) != PLC_OK)
        return NAN;
    return mean_db + 10.0 * log10(SIGNAL_POWER / inband_noise(&nc));
}

int plc_medium_set_noise_level(plc_medium *m, double level)
{
    if (!m->cfg.abstract_phy)
        return PLC_ERR_UNSUPPORTED;
    plc_noise_config nc;
    if (!(level >= 0) || plc_noise_profile(m->cfg.noise_profile, level, &nc) != PLC_OK)
        return PLC_ERR_ARG;
    m->cfg.noise_level = level;
    set_noise(m, inband_noise(&nc));
    return PLC_OK;
}
