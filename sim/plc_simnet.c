#include "plc_simnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_line.h"
#include "plc_loop.h"
#include "plc_pertable.h"
#include "plc_rng.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define BLOCK 2048                  /* line samples per receive step */
#define US_PER_SAMPLE 2.5           /* 400 kS/s */
#define SIGNAL_POWER 0.045          /* in-band power of a frame at the transmitter */
#define MAX_FRAMES 256              /* abstract PHY: frames on the line at once */
#define MAGIC 0x5A

typedef struct simnode {
    struct plc_simnet *net;
    unsigned id;
    plc_rx *rx;
    plc_timer traffic;
    uint32_t seq;
} simnode;

typedef struct aframe { /* abstract PHY: one frame on the line */
    struct plc_simnet *net;
    unsigned from;
    uint64_t start, end; /* line samples */
    uint32_t seq;
    plc_timer done;
    int used;
} aframe;

struct plc_simnet {
    plc_simnet_config cfg;
    plc_topology *topo;
    plc_line *line;
    plc_loop *loop;
    plc_tx *tx;
    plc_rng rng;
    simnode *node;
    plc_simnet_link *link;
    uint64_t digest;
    /* waveform */
    plc_timer block;
    uint64_t block_t; /* next line sample to process */
    int block_running;
    float *buf, *frame;
    size_t frame_cap;
    /* abstract */
    plc_pertable *per;
    aframe frames[MAX_FRAMES];
    double *gain;     /* linear power gain per link (mean over the carriers) */
    double noise_pow; /* in-band noise power at a receiver */
    double hopeless;  /* SNR (linear) below which every curve of the table says PER 1 */
};

void plc_simnet_config_default(plc_simnet_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nodes = 10;
    cfg->seed = 1;
    cfg->period_s = 10.0;
    cfg->mod = PLC_MOD_DBPSK;
    cfg->psdu_len = 64;
    cfg->noise_profile = "awgn";
    cfg->noise_level = 0.002;
    cfg->per_table = "docs/per/per_sco.dat"; /* with clock offsets, like the line */
    cfg->line_loss_db = 0.25;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

static uint64_t us_of(uint64_t sample)
{
    return (uint64_t)((double)sample * US_PER_SAMPLE);
}

static uint64_t sample_of(uint64_t us)
{
    return (uint64_t)((double)us / US_PER_SAMPLE);
}

static void count_reception(plc_simnet *s, unsigned from, unsigned to, double snr_db,
                            uint32_t seq, uint64_t when)
{
    plc_simnet_link *k = &s->link[from * s->cfg.nodes + to];
    k->received++;
    k->snr_sum += snr_db;
    if (k->received == 1 || snr_db < k->snr_min)
        k->snr_min = snr_db;
    if (k->received == 1 || snr_db > k->snr_max)
        k->snr_max = snr_db;
    s->digest = mix(mix(mix(mix(s->digest, to), from), seq), when);
    int32_t q = (int32_t)lrint(snr_db * 1000.0);
    s->digest = mix(s->digest, (uint64_t)(uint32_t)q);
}

/* ---- waveform PHY ---- */
static void on_rx_frame(const plc_rx_frame *f, void *user)
{
    simnode *n = user;
    plc_simnet *s = n->net;
    if (f->status != PLC_RX_OK || f->psdu_len < s->cfg.psdu_len || f->psdu[0] != MAGIC)
        return;
    const unsigned from = (unsigned)f->psdu[1] << 8 | f->psdu[2];
    const uint32_t seq = (uint32_t)f->psdu[3] << 24 | (uint32_t)f->psdu[4] << 16 |
                         (uint32_t)f->psdu[5] << 8 | f->psdu[6];
    if (from >= s->cfg.nodes || from == n->id)
        return;
    count_reception(s, from, n->id, f->snr_db, seq, f->offset);
}

static void block_step(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_simnet *s = user;
    const uint64_t b = s->block_t;
    int busy = 0;
    for (unsigned r = 0; r < s->cfg.nodes; r++) {
        plc_rx *rx = s->node[r].rx;
        if (plc_line_transmitting(s->line, r, b, BLOCK)) {
            plc_rx_skip(rx, BLOCK); /* half duplex */
        } else if (plc_line_signal_present(s->line, r, b, BLOCK) || plc_rx_busy(rx)) {
            plc_line_receive(s->line, r, b, s->buf, BLOCK);
            plc_rx_push(rx, s->buf, BLOCK);
        } else {
            plc_rx_skip(rx, BLOCK);
        }
        busy |= plc_rx_busy(rx);
    }
    s->block_t = b + BLOCK;
    const uint64_t last = plc_line_expire(s->line, s->block_t);
    /* a block is processed once its end has passed, so every transmission that starts in
     * it is already on the line */
    if (last > s->block_t || busy)
        plc_timer_start_at(s->loop, &s->block, us_of(s->block_t + BLOCK));
    else
        s->block_running = 0;
}

static void wave_send(plc_simnet *s, simnode *n, const uint8_t *psdu, uint64_t now_sample)
{
    if (!s->block_running) {
        /* the receivers were idle: skip them to the block containing now */
        const uint64_t target = now_sample / BLOCK * BLOCK;
        if (target > s->block_t) {
            for (unsigned r = 0; r < s->cfg.nodes; r++)
                plc_rx_skip(s->node[r].rx, target - s->block_t);
            s->block_t = target;
        }
        s->block_running = 1;
        plc_timer_start_at(s->loop, &s->block, us_of(s->block_t + BLOCK));
    }
    plc_tx_request rq = {.mod = s->cfg.mod, .tonemap = PLC_TONEMAP_ALL};
    size_t w = 0;
    if (plc_tx_frame(s->tx, &rq, psdu, s->cfg.psdu_len, s->frame, s->frame_cap, &w) == PLC_OK)
        plc_line_transmit(s->line, n->id, now_sample, s->frame, w, 1.0);
}

/* ---- abstract PHY ---- */
static int overlaps(const aframe *g, uint64_t start, uint64_t end)
{
    return g->used && g->start < end && g->end > start;
}

/* In-band SINR of a frame at a receiver, in dB, less the waveform line's implementation
 * loss against the AWGN tables (cfg.line_loss_db). */
static double sinr_db_of(const plc_simnet *s, double sig, double noise)
{
    return 10.0 * log10(sig / noise) - s->cfg.line_loss_db;
}

static void abstract_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    aframe *f = user;
    plc_simnet *s = f->net;
    const unsigned n = s->cfg.nodes;
    /* the frames that overlap this one, found once for all receivers */
    const aframe *ov[MAX_FRAMES];
    unsigned nov = 0;
    for (unsigned k = 0; k < MAX_FRAMES; k++)
        if (&s->frames[k] != f && overlaps(&s->frames[k], f->start, f->end))
            ov[nov++] = &s->frames[k];
    for (unsigned r = 0; r < n; r++) {
        if (r == f->from)
            continue;
        double interference = 0;
        int deaf = 0;
        for (unsigned k = 0; k < nov; k++) {
            if (ov[k]->from == r)
                deaf = 1; /* half duplex: r was transmitting */
            else
                interference += SIGNAL_POWER * s->gain[ov[k]->from * n + r];
        }
        const double sig = SIGNAL_POWER * s->gain[f->from * n + r];
        if (deaf || sig < s->hopeless * s->noise_pow)
            continue; /* below the table's range even without interference: PER 1 */
        const double sinr_db = sinr_db_of(s, sig, s->noise_pow + interference);
        const double per = plc_pertable_per(s->per, s->cfg.mod, s->cfg.psdu_len, sinr_db);
        /* a draw only where the outcome is uncertain; the sequence stays reproducible */
        if (per <= 0.0 || (per < 1.0 && plc_rng_uniform(&s->rng) >= per))
            count_reception(s, f->from, r, sinr_db, f->seq, f->start);
    }
    /* frames that ended long ago can no longer overlap anything: free their slots */
    for (unsigned k = 0; k < MAX_FRAMES; k++)
        if (s->frames[k].used && s->frames[k].end + 400000 < f->end)
            s->frames[k].used = 0;
}

static void abstract_send(plc_simnet *s, simnode *n, uint64_t now_sample)
{
    plc_tx_request rq = {.mod = s->cfg.mod, .tonemap = PLC_TONEMAP_ALL};
    const long len = plc_tx_frame_samples(s->tx, &rq, s->cfg.psdu_len);
    aframe *f = NULL;
    for (unsigned k = 0; k < MAX_FRAMES && !f; k++)
        if (!s->frames[k].used && !plc_timer_pending(&s->frames[k].done))
            f = &s->frames[k];
    if (!f || len <= 0)
        return; /* more than MAX_FRAMES on the air: the frame is not sent */
    f->net = s;
    f->from = n->id;
    f->start = now_sample;
    f->end = now_sample + (uint64_t)len;
    f->seq = n->seq;
    f->used = 1;
    plc_timer_start_at(s->loop, &f->done, us_of(f->end));
}

/* ---- traffic ---- */
static void on_traffic(plc_loop *loop, plc_timer *t, void *user)
{
    simnode *n = user;
    plc_simnet *s = n->net;
    const uint64_t now = sample_of(plc_loop_now_us(loop));
    uint8_t psdu[255];
    memset(psdu, 0, sizeof(psdu));
    psdu[0] = MAGIC;
    psdu[1] = (uint8_t)(n->id >> 8);
    psdu[2] = (uint8_t)n->id;
    psdu[3] = (uint8_t)(n->seq >> 24);
    psdu[4] = (uint8_t)(n->seq >> 16);
    psdu[5] = (uint8_t)(n->seq >> 8);
    psdu[6] = (uint8_t)n->seq;
    for (size_t i = 7; i < s->cfg.psdu_len; i++)
        psdu[i] = (uint8_t)(plc_rng_next(&s->rng) >> 56);
    for (unsigned r = 0; r < s->cfg.nodes; r++)
        if (r != n->id)
            s->link[n->id * s->cfg.nodes + r].sent++;
    if (s->cfg.abstract_phy)
        abstract_send(s, n, now);
    else
        wave_send(s, n, psdu, now);
    n->seq++;
    plc_timer_start_in(loop, t, (uint64_t)(s->cfg.period_s * 1e6));
}

/* In-band noise power of the receivers' noise model (for the abstract PHY's SINR): the
 * variance of each part, scaled to the 36 of 128 positive bins that carry the signal. */
static double inband_noise(const plc_simnet_config *cfg)
{
    plc_noise_config c;
    if (plc_noise_profile(cfg->noise_profile, cfg->noise_level, &c))
        return 0;
    double v = c.awgn_sigma * c.awgn_sigma + c.coloured_sigma * c.coloured_sigma +
               c.class_a_sigma * c.class_a_sigma;
    for (unsigned k = 0; k < c.n_tones; k++)
        v += c.tone_amp[k] * c.tone_amp[k] / 2.0;
    return v * 36.0 / 128.0;
}

plc_simnet *plc_simnet_create(const plc_simnet_config *cfg, char *err, size_t errlen)
{
    if (!cfg || cfg->nodes < 2 || cfg->nodes > PLC_TOPO_MAX_NODES || cfg->psdu_len < 8 ||
        cfg->psdu_len > 239 || !(cfg->period_s > 0)) {
        snprintf(err, errlen, "bad scenario: 2..%d nodes, PSDU 8..239 bytes, period > 0",
                 PLC_TOPO_MAX_NODES);
        return NULL;
    }
    plc_simnet *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->topo = calloc(1, sizeof(*s->topo));
    if (!s->topo)
        goto nomem;
    int rc = cfg->topology_file ? plc_topology_load(s->topo, cfg->topology_file, err, errlen)
                                : plc_topology_generate(s->topo, cfg->nodes, cfg->seed);
    if (rc != PLC_OK) {
        if (!cfg->topology_file)
            snprintf(err, errlen, "cannot generate a topology");
        plc_simnet_destroy(s);
        return NULL;
    }
    s->cfg.nodes = s->topo->n_nodes;
    const unsigned n = s->cfg.nodes;
    plc_line_config lc;
    plc_line_config_default(&lc);
    lc.seed = cfg->seed;
    if (plc_noise_profile(cfg->noise_profile, cfg->noise_level, &lc.noise) != PLC_OK) {
        snprintf(err, errlen, "unknown noise profile '%s' (awgn, residential, impulsive)",
                 cfg->noise_profile);
        plc_simnet_destroy(s);
        return NULL;
    }
    s->line = plc_line_create(s->topo, &lc);
    s->loop = plc_loop_virtual_create(MAX_FRAMES + n + 8);
    s->tx = plc_tx_create(NULL);
    s->node = calloc(n, sizeof(simnode));
    s->link = calloc((size_t)n * n, sizeof(plc_simnet_link));
    if (!s->line || !s->loop || !s->tx || !s->node || !s->link)
        goto nomem;
    plc_rng_seed(&s->rng, cfg->seed ^ 0xA5A5A5A5ull);
    for (unsigned i = 0; i < n; i++) {
        simnode *nd = &s->node[i];
        nd->net = s;
        nd->id = i;
        plc_timer_init(&nd->traffic, on_traffic, nd);
        plc_timer_start_at(s->loop, &nd->traffic,
                           (uint64_t)(plc_rng_uniform(&s->rng) * cfg->period_s * 1e6));
    }
    if (cfg->abstract_phy) {
        s->per = calloc(1, sizeof(*s->per));
        s->gain = calloc((size_t)n * n, sizeof(double));
        if (!s->per || !s->gain)
            goto nomem;
        if (plc_pertable_load(s->per, cfg->per_table, err, errlen) != PLC_OK) {
            plc_simnet_destroy(s);
            return NULL;
        }
        /* the link's gain over the carriers of the line model, as a geometric mean (mean
         * SNR in dB): a line whose loss rises with frequency decodes like its average dB,
         * not its average power */
        double f[PLC_PHY_CARRIERS], gdb[PLC_PHY_CARRIERS];
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
            f[c] = (PLC_PHY_FIRST_CARRIER + c) * (double)PLC_PHY_SAMPLE_RATE / PLC_PHY_FFT_LEN;
        for (unsigned a = 0; a < n; a++)
            for (unsigned b = a + 1; b < n; b++) {
                plc_line_gain_db(s->line, a, b, f, PLC_PHY_CARRIERS, gdb);
                double mean_db = 0;
                for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
                    mean_db += gdb[c] / PLC_PHY_CARRIERS;
                s->gain[a * n + b] = s->gain[b * n + a] = pow(10.0, mean_db / 10.0);
            }
        s->noise_pow = inband_noise(cfg);
        double lowest = 1e9;
        for (unsigned c = 0; c < s->per->n; c++)
            if (s->per->curve[c].n && s->per->curve[c].snr_db[0] < lowest)
                lowest = s->per->curve[c].snr_db[0];
        s->hopeless = pow(10.0, lowest / 10.0);
        for (unsigned k = 0; k < MAX_FRAMES; k++)
            plc_timer_init(&s->frames[k].done, abstract_done, &s->frames[k]);
    } else {
        plc_rx_config rc_;
        plc_rx_config_default(&rc_);
        rc_.callback = on_rx_frame;
        for (unsigned i = 0; i < n; i++) {
            rc_.user = &s->node[i];
            s->node[i].rx = plc_rx_create(&rc_);
            if (!s->node[i].rx)
                goto nomem;
        }
        plc_timer_init(&s->block, block_step, s);
        s->buf = malloc(BLOCK * sizeof(float));
        s->frame_cap = 100000;
        s->frame = malloc(s->frame_cap * sizeof(float));
        if (!s->buf || !s->frame)
            goto nomem;
    }
    return s;
nomem:
    snprintf(err, errlen, "out of memory");
    plc_simnet_destroy(s);
    return NULL;
}

void plc_simnet_destroy(plc_simnet *s)
{
    if (!s)
        return;
    if (s->node)
        for (unsigned i = 0; i < s->cfg.nodes; i++)
            plc_rx_destroy(s->node[i].rx);
    free(s->node);
    free(s->link);
    plc_line_destroy(s->line);
    plc_loop_destroy(s->loop);
    plc_tx_destroy(s->tx);
    free(s->topo);
    free(s->per);
    free(s->gain);
    free(s->buf);
    free(s->frame);
    free(s);
}

int plc_simnet_run(plc_simnet *s, double until_s, void (*progress)(double now_s, void *user),
                   void *user)
{
    const uint64_t end = (uint64_t)(until_s * 1e6);
    uint64_t step = 1000000;
    while (plc_loop_now_us(s->loop) < end) {
        uint64_t next = plc_loop_now_us(s->loop) + step;
        if (next > end)
            next = end;
        long rc = plc_loop_run(s->loop, next);
        if (rc < 0)
            return (int)rc;
        if (progress)
            progress((double)plc_loop_now_us(s->loop) / 1e6, user);
    }
    return PLC_OK;
}

unsigned plc_simnet_nodes(const plc_simnet *s)
{
    return s->cfg.nodes;
}

const plc_simnet_link *plc_simnet_link_stats(const plc_simnet *s, unsigned from, unsigned to)
{
    return &s->link[from * s->cfg.nodes + to];
}

double plc_simnet_loss_db(const plc_simnet *s, unsigned from, unsigned to)
{
    return plc_line_loss_db(s->line, from, to, 60000.0);
}

uint64_t plc_simnet_digest(const plc_simnet *s)
{
    return s->digest;
}
