/* The simulated medium: configuration, nodes, the PHY data service and timed transmission,
 * over the waveform PHY (plc_medium_wave.c) or the abstract one (plc_medium_abstract.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_fch.h"
#include "plc_mac_frame.h"
#include "plc_medium_impl.h"

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

uint64_t plc_medium_us_of(uint64_t sample)
{
    return sample * 5 / 2; /* 2.5 us per sample */
}

uint64_t plc_medium_sample_of(uint64_t us)
{
    return us * 2 / 5;
}

uint64_t medium_now_sample(const plc_medium *m)
{
    return plc_medium_sample_of(plc_loop_now_us(m->loop));
}

void medium_deliver(mnode *nd, const plc_phy_rx_ind *ind)
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

void plc_medium_get_stats(const plc_medium *m, plc_medium_stats *s)
{
    *s = m->stats;
}

/* The kind of a PSDU from its segment control and 802.15.4 frame control (plc_mac_frame.h). */
static plc_medium_kind frame_kind_of(const uint8_t *psdu, size_t len)
{
    if (len < PLC_MAC_SEGCTL_LEN + 2)
        return PLC_MEDIUM_KIND_OTHER;
    const unsigned fc = psdu[PLC_MAC_SEGCTL_LEN] | (unsigned)psdu[PLC_MAC_SEGCTL_LEN + 1] << 8;
    const unsigned type = fc & 7, dst_mode = fc >> 10 & 3, src_mode = fc >> 14 & 3;
    if (type == PLC_MAC_BEACON)
        return PLC_MEDIUM_KIND_BEACON;
    if (type == PLC_MAC_COMMAND)
        return PLC_MEDIUM_KIND_COMMAND;
    if (type != PLC_MAC_DATA)
        return PLC_MEDIUM_KIND_OTHER;
    if (dst_mode == PLC_MAC_ADDR_EXT || src_mode == PLC_MAC_ADDR_EXT)
        return PLC_MEDIUM_KIND_EXT;
    /* short destination: sequence (1), PAN id (2), then the address, low byte first */
    const size_t at = PLC_MAC_SEGCTL_LEN + 5;
    if (dst_mode == PLC_MAC_ADDR_SHORT && len >= at + 2 && psdu[at] == 0xFF && psdu[at + 1] == 0xFF)
        return PLC_MEDIUM_KIND_BROADCAST;
    return PLC_MEDIUM_KIND_UNICAST;
}

/* ---- the PHY service ---- */
static int send_now(mnode *nd, const plc_tx_request *rq, const uint8_t *psdu, size_t len)
{
    plc_medium *m = nd->m;
    const uint64_t now = medium_now_sample(m);
    const int rc = m->cfg.abstract_phy ? medium_abstract_send(m, nd, rq, psdu, len, now)
                                       : medium_wave_send(m, nd, rq, psdu, len, now);
    if (rc != PLC_OK)
        return rc;
    const int ack = plc_fch_is_ack(&(plc_fch){.dt = rq->dt});
    const unsigned k = ack ? PLC_MOD_COUNT : (unsigned)rq->mod;
    m->stats.frames[k]++;
    m->stats.samples[k] += nd->tx_end - now;
    const plc_medium_kind kind = ack ? PLC_MEDIUM_KIND_ACK : frame_kind_of(psdu, len);
    m->stats.kind_frames[kind]++;
    m->stats.kind_samples[kind] += nd->tx_end - now;
    if (nd->near0 < 0)
        nd->near0 = plc_medium_link_snr_db(m, nd->id, 0) > -4.0;
    if (nd->near0)
        m->stats.near_kind_samples[kind] += nd->tx_end - now;
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
    return m->cfg.abstract_phy ? medium_abstract_busy(m, nd->id, medium_now_sample(m)) : plc_rx_busy(nd->rx);
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
double medium_inband_noise(const plc_noise_config *c)
{
    double v = c->awgn_sigma * c->awgn_sigma + c->coloured_sigma * c->coloured_sigma +
               c->class_a_sigma * c->class_a_sigma;
    for (unsigned k = 0; k < c->n_tones; k++)
        v += c->tone_amp[k] * c->tone_amp[k] / 2.0;
    return v * PLC_PHY_CARRIERS / 128.0;
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
        m->node[i].near0 = i == 0 ? 1 : -1;
        plc_timer_init(&m->node[i].tx_done, on_tx_done, &m->node[i]);
        plc_timer_init(&m->node[i].tx_start, on_tx_start, &m->node[i]);
    }
    medium_abstract_timers(m);
    plc_timer_init(&m->block, medium_block_step, m);
    if (!m->line || !m->tx)
        goto nomem;
    plc_rng_seed(&m->rng, cfg->seed ^ 0xA5A5A5A5ull);
    if (cfg->abstract_phy) {
        if (medium_abstract_init(m, &lc.noise, err, errlen) != PLC_OK) {
            plc_medium_destroy(m);
            return NULL;
        }
    } else if (medium_wave_init(m) != PLC_OK) {
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
    return mean_db + 10.0 * log10(SIGNAL_POWER / medium_inband_noise(&nc));
}

/* The link's carriers' SNR without interference: their mean in dB, their spread (standard
 * deviation, dB) and their power mean (dB: what a receiver measures over the band). */
static int link_carrier_snr(const plc_medium *m, unsigned from, unsigned to, double *mean_db,
                            double *spread_db, double *power_db)
{
    double g[PLC_PHY_CARRIERS], mean = 0, var = 0, lin = 0;
    plc_medium_link_gain_db(m, from, to, g);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        mean += g[c] / PLC_PHY_CARRIERS;
        lin += pow(10.0, g[c] / 10.0) / PLC_PHY_CARRIERS;
    }
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        var += (g[c] - mean) * (g[c] - mean) / PLC_PHY_CARRIERS;
    plc_noise_config nc;
    if (plc_noise_profile(m->cfg.noise_profile, m->cfg.noise_level, &nc) != PLC_OK)
        return PLC_ERR_ARG;
    const double snr0_db = 10.0 * log10(SIGNAL_POWER / medium_inband_noise(&nc));
    *mean_db = mean + snr0_db;
    *spread_db = sqrt(var);
    *power_db = 10.0 * log10(lin) + snr0_db;
    return PLC_OK;
}

double plc_medium_link_per(const plc_medium *m, const plc_pertable *per, unsigned from,
                           unsigned to, plc_modulation mod, size_t len)
{
    double mean_db, spread_db, power_db;
    if (link_carrier_snr(m, from, to, &mean_db, &spread_db, &power_db) != PLC_OK)
        return 1.0;
    return plc_pertable_per(per, mod, len,
                            mean_db - plc_medium_spread_loss_db(&m->cfg, mod, spread_db));
}

uint8_t plc_medium_link_lqi(const plc_medium *m, unsigned from, unsigned to)
{
    double mean_db, spread_db, power_db;
    if (link_carrier_snr(m, from, to, &mean_db, &spread_db, &power_db) != PLC_OK)
        return 0;
    return medium_lqi_of_snr(power_db);
}

int plc_medium_set_noise_level(plc_medium *m, double level)
{
    if (!m->cfg.abstract_phy)
        return PLC_ERR_UNSUPPORTED;
    plc_noise_config nc;
    if (!(level >= 0) || plc_noise_profile(m->cfg.noise_profile, level, &nc) != PLC_OK)
        return PLC_ERR_ARG;
    m->cfg.noise_level = level;
    medium_abstract_set_noise(m, medium_inband_noise(&nc));
    return PLC_OK;
}
