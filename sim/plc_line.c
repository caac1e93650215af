#include "plc_line.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_channel.h"
#include "plc_err.h"
#include "plc_fft.h"
#include "plc_rng.h"

#define FS 400000.0
#define TWO_PI 6.283185307179586
#define MAX_TX 64

typedef struct transmission {
    unsigned from;
    uint64_t start, end; /* line samples, end exclusive (longest received copy) */
    float **rx;          /* received copy per node (NULL for the sender) */
    size_t *len;
} transmission;

struct plc_line {
    plc_line_config cfg;
    const plc_topology *topo;
    unsigned n;
    double *ppm;
    plc_noise **noise;
    plc_fft *fft;
    transmission tx[MAX_TX];
    unsigned ntx;
};

void plc_line_config_default(plc_line_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->loss_db_per_m = 0.03;
    cfg->loss_db_per_m_100khz = 0.05;
    cfg->branch_loss_db = 2.0;
    cfg->echo_gain = -0.3;
    cfg->velocity_m_s = 1.5e8;
    cfg->ppm_max = 50.0;
    plc_noise_profile("awgn", 0.002, &cfg->noise);
    cfg->seed = 1;
}

plc_line *plc_line_create(const plc_topology *topo, const plc_line_config *cfg)
{
    if (!topo || !cfg || topo->n_nodes < 1)
        return NULL;
    plc_line *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->cfg = *cfg;
    l->topo = topo;
    l->n = topo->n_nodes;
    l->ppm = calloc(l->n, sizeof(double));
    l->noise = calloc(l->n, sizeof(plc_noise *));
    l->fft = plc_fft_create(256);
    if (!l->ppm || !l->noise || !l->fft) {
        plc_line_destroy(l);
        return NULL;
    }
    plc_rng r;
    plc_rng_seed(&r, cfg->seed);
    for (unsigned i = 0; i < l->n; i++) {
        l->ppm[i] = cfg->ppm_max * (2.0 * plc_rng_uniform(&r) - 1.0);
        l->noise[i] = plc_noise_create(&cfg->noise, cfg->seed * 7919u + 1000003u * (i + 1));
        if (!l->noise[i]) {
            plc_line_destroy(l);
            return NULL;
        }
    }
    return l;
}

static void drop(transmission *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(t->rx[i]);
    free(t->rx);
    free(t->len);
}

void plc_line_destroy(plc_line *l)
{
    if (!l)
        return;
    for (unsigned k = 0; k < l->ntx; k++)
        drop(&l->tx[k], l->n);
    if (l->noise)
        for (unsigned i = 0; i < l->n; i++)
            plc_noise_destroy(l->noise[i]);
    free(l->noise);
    free(l->ppm);
    plc_fft_destroy(l->fft);
    free(l);
}

unsigned plc_line_nodes(const plc_line *l)
{
    return l->n;
}

double plc_line_ppm(const plc_line *l, unsigned node)
{
    return l->ppm[node];
}

/* What a link's response depends on, found once per link: path length, branch points
 * passed, and the shortest side cable along the path (the echo). */
typedef struct link_geometry {
    double d, stub;
    unsigned nb;
} link_geometry;

static link_geometry link_geometry_of(const plc_line *l, unsigned a, unsigned b)
{
    link_geometry g;
    g.d = plc_topology_distance(l->topo, a, b, &g.nb);
    g.stub = plc_topology_nearest_stub(l->topo, a, b);
    return g;
}

static double geometry_loss_db(const plc_line *l, const link_geometry *g, double f_hz)
{
    return g->d * (l->cfg.loss_db_per_m + l->cfg.loss_db_per_m_100khz * f_hz / 100000.0) +
           g->nb * l->cfg.branch_loss_db;
}

/* H(f) of a link with an extra delay (seconds): cable loss, propagation and the echo. */
static void link_h(const plc_line *l, const link_geometry *g, double f, double extra_delay,
                   double *re, double *im)
{
    const double amp = pow(10.0, -geometry_loss_db(l, g, f) / 20.0);
    const double tau = g->d / l->cfg.velocity_m_s + extra_delay;
    const double tau2 = tau + 2.0 * g->stub / l->cfg.velocity_m_s;
    const double g2 = g->stub > 0 ? l->cfg.echo_gain : 0.0;
    *re = amp * (cos(-TWO_PI * f * tau) + g2 * cos(-TWO_PI * f * tau2));
    *im = amp * (sin(-TWO_PI * f * tau) + g2 * sin(-TWO_PI * f * tau2));
}

double plc_line_loss_db(const plc_line *l, unsigned a, unsigned b, double f_hz)
{
    const link_geometry g = link_geometry_of(l, a, b);
    return geometry_loss_db(l, &g, f_hz);
}

void plc_line_gain_db(const plc_line *l, unsigned a, unsigned b, const double *f_hz, unsigned n,
                      double *gain_db)
{
    const link_geometry g = link_geometry_of(l, a, b);
    for (unsigned k = 0; k < n; k++) {
        double re, im;
        link_h(l, &g, f_hz[k], 0.0, &re, &im);
        gain_db[k] = 10.0 * log10(re * re + im * im);
    }
}

/* The link's FIR, from H(f) on the 129 bins of a 256-point real transform, with
 * PLC_LINE_FIR_DELAY samples of delay so the response sits inside the taps. */
static void link_fir(plc_line *l, unsigned a, unsigned b, float *h)
{
    plc_cf H[129];
    float imp[256];
    const link_geometry g = link_geometry_of(l, a, b);
    for (unsigned k = 0; k <= 128; k++) {
        double re, im;
        link_h(l, &g, k * FS / 256.0, PLC_LINE_FIR_DELAY / FS, &re, &im);
        /* DC and Nyquist bins of a real response are real; 1/256 for the inverse */
        H[k] = (plc_cf){(float)(re / 256.0), (k == 0 || k == 128) ? 0.0f : (float)(im / 256.0)};
    }
    plc_fft_inverse(l->fft, H, imp);
    memcpy(h, imp, PLC_LINE_FIR_TAPS * sizeof(float));
}

int plc_line_transmit(plc_line *l, unsigned from, uint64_t t, const float *x, size_t n,
                      double gain)
{
    if (!l || from >= l->n || (!x && n))
        return PLC_ERR_ARG;
    if (l->ntx == MAX_TX)
        return PLC_ERR_BUFFER;
    transmission *tr = &l->tx[l->ntx];
    memset(tr, 0, sizeof(*tr));
    tr->from = from;
    tr->start = t;
    tr->end = t;
    tr->rx = calloc(l->n, sizeof(float *));
    tr->len = calloc(l->n, sizeof(size_t));
    const size_t zn = n + PLC_LINE_FIR_TAPS - 1;
    float *z = malloc(zn * sizeof(float));
    if (!tr->rx || !tr->len || !z) {
        free(z);
        drop(tr, l->n);
        return PLC_ERR_NOMEM;
    }
    for (unsigned r = 0; r < l->n; r++) {
        if (r == from)
            continue;
        float h[PLC_LINE_FIR_TAPS];
        link_fir(l, from, r, h);
        for (size_t i = 0; i < zn; i++) {
            float acc = 0;
            for (unsigned k = 0; k < PLC_LINE_FIR_TAPS; k++)
                if (i >= k && i - k < n)
                    acc += h[k] * x[i - k];
            z[i] = (float)gain * acc;
        }
        /* the receiver's sample m falls at the transmitter's m * (1 + ppm_tx - ppm_rx) */
        const double ratio = 1.0 + (l->ppm[from] - l->ppm[r]) * 1e-6;
        const size_t cap = (size_t)floor((double)(zn - 1) / ratio) + 1;
        float *y = malloc(cap * sizeof(float));
        if (!y) {
            free(z);
            drop(tr, l->n);
            return PLC_ERR_NOMEM;
        }
        const size_t m = plc_channel_resample(z, zn, ratio, y, cap);
        tr->rx[r] = y;
        tr->len[r] = m;
        if (t + m > tr->end)
            tr->end = t + m;
    }
    if (l->n == 1)
        tr->end = t + n;
    free(z);
    l->ntx++;
    return PLC_OK;
}

int plc_line_signal_present(const plc_line *l, unsigned node, uint64_t t, size_t n)
{
    for (unsigned k = 0; k < l->ntx; k++) {
        const transmission *tr = &l->tx[k];
        if (tr->from != node && tr->start < t + n && tr->end > t)
            return 1;
    }
    return 0;
}

int plc_line_transmitting(const plc_line *l, unsigned node, uint64_t t, size_t n)
{
    for (unsigned k = 0; k < l->ntx; k++) {
        const transmission *tr = &l->tx[k];
        if (tr->from == node && tr->start < t + n && tr->end > t)
            return 1;
    }
    return 0;
}

void plc_line_receive(plc_line *l, unsigned node, uint64_t t, float *buf, size_t n)
{
    memset(buf, 0, n * sizeof(float));
    for (unsigned k = 0; k < l->ntx; k++) {
        const transmission *tr = &l->tx[k];
        if (tr->from == node || !tr->rx[node])
            continue;
        const uint64_t a = tr->start > t ? tr->start : t;
        const uint64_t e = tr->start + tr->len[node];
        const uint64_t b = e < t + n ? e : t + n;
        for (uint64_t s = a; s < b; s++)
            buf[s - t] += tr->rx[node][s - tr->start];
    }
    plc_noise_add(l->noise[node], buf, n, t);
}

uint64_t plc_line_expire(plc_line *l, uint64_t t)
{
    uint64_t last = t;
    for (unsigned k = 0; k < l->ntx;) {
        if (l->tx[k].end <= t) {
            drop(&l->tx[k], l->n);
            l->tx[k] = l->tx[--l->ntx];
        } else {
            if (l->tx[k].end > last)
                last = l->tx[k].end;
            k++;
        }
    }
    return last;
}
