#include "plc_rx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_fec.h"
#include "plc_fft.h"
#include "plc_ofdm.h"

#define RXBUF 16384
#define HOP PLC_OFDM_N
#define DET_THRESHOLD 0.30f  /* two-hop preamble metric; noise alone averages about 0.12 */
/* Carrier sense on one window of the same metric: noise alone averages about 0.19 and
 * passes 0.55 in about 0.15% of windows; a preamble is then sensed 256-512 samples after
 * its start, within the MAC's slot (556 samples), before synchronisation confirms it. */
#define CS_THRESHOLD 0.55f
#define SYNC_RHO 0.25f       /* correlation of consecutive aligned windows: + SYNCP, - SYNCM */
#define STRADDLE_RHO 0.5f    /* SYNCP windows this alike make an unclear next one a boundary */
#define MAX_SYNCP 12
#define WIN_OFFSET 15        /* FFT window start inside the 286-sample extended symbol: the
                              * middle of the clean span 8..22 between the overlap ramps */
#define LLR_QUANT 8.0f       /* int8 soft value = LLR_QUANT * log-likelihood ratio */
#define DRIFT_GAIN 0.05      /* loop gain of the sampling-clock drift estimate */
#define DRIFT_MAX 0.06       /* samples per symbol (about 215 ppm) */
#define SHIFT_HYSTERESIS 2.0 /* move the window only when the drift exceeds this */
#define PREAMBLE_INSIDE 0.6f /* preamble metric of a data window that means a preamble is there */
#define ERASE_BLANKED 40     /* a symbol with this many of its 256 samples blanked is treated
                              * as destroyed: soft bits zeroed, its bytes erasures for RS */
#define TWO_PI 6.283185307179586
#define SIGMA_PER_MEAN_ABS 1.2533f /* sigma / E|x| of Gaussian samples: sqrt(pi / 2) */
#define SIGMA_PER_Q75 0.8694f      /* sigma / (75th percentile of |x|) of Gaussian samples */

enum rx_state { ST_SEARCH, ST_SYNC, ST_HEADER, ST_PAYLOAD };

struct plc_rx {
    plc_rx_config cfg;
    plc_rx_stats stats;
    plc_fec *fec;
    plc_fft *fft;
    uint8_t used[PLC_PHY_CARRIERS]; /* carrier allowed by the tone mask */
    plc_cf syncp[PLC_PHY_CARRIERS]; /* unit SYNCP phasors */
    plc_cf comp[PLC_PHY_CARRIERS];  /* undoes the data window's cyclic shift */
    uint8_t fch_idx[PLC_PHY_CARRIERS];
    unsigned fch_m;

    float buf[RXBUF];
    uint64_t base; /* absolute index of buf[0] */
    size_t len;
    float dc_x1, dc_y1;

    enum rx_state state;
    uint64_t hop_end;
    plc_cf prev_corr;
    float prev_norm;
    int have_prev;
    int sensed;          /* the last search window looked like a preamble */

    uint64_t align;
    unsigned nsyncp;
    int straddle; /* one window skipped as straddling the SYNCP/SYNCM boundary */
    unsigned restarts; /* first window replaced because it preceded the preamble */
    float last_rho;    /* correlation of the last two SYNCP windows */
    plc_cf yw[MAX_SYNCP][PLC_PHY_CARRIERS];

    uint64_t frame_start;
    float noise[PLC_PHY_CARRIERS];
    float llr_scale[PLC_PHY_CARRIERS]; /* int8 soft value per unit of projection */
    float blank_level;   /* data symbols: 0 with the defence off, else the factor times the
                          * expected RMS (frame signal plus background) */
    float level;         /* search: clipped mean |x| per hop, smoothed (robust to impulses) */
    plc_cf ref[PLC_PHY_CARRIERS];
    unsigned sym;
    double tau, delta;
    long shift, prev_shift;
    plc_fch_layout fl;
    plc_payload_layout pl;
    unsigned pm, bpc;
    uint8_t pidx[PLC_PHY_CARRIERS];
    int8_t soft[PLC_PHY_MAX_FRAME_BITS];
    uint8_t erased[PLC_PHY_MAX_SYMBOLS]; /* payload symbols destroyed by impulses */
    unsigned preamble_run; /* consecutive data windows that look like a preamble */
    unsigned n_erased;
    plc_rx_frame frame;
    float fin[PLC_OFDM_N];
    float mag[PLC_OFDM_N]; /* scratch for the window's level */
    plc_cf fout[PLC_OFDM_N / 2 + 1];
};

void plc_rx_config_default(plc_rx_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tonemask = PLC_TONEMASK_ALL;
    cfg->blanking_factor = 4.5f;
}

static void rx_reset_search(plc_rx *rx, uint64_t hop_end)
{
    rx->state = ST_SEARCH;
    rx->hop_end = hop_end;
    rx->have_prev = 0;
    rx->sensed = 0;
}

plc_rx *plc_rx_create(const plc_rx_config *cfg)
{
    plc_rx *rx = calloc(1, sizeof(*rx));
    if (!rx)
        return NULL;
    if (cfg)
        rx->cfg = *cfg;
    else
        plc_rx_config_default(&rx->cfg);
    rx->fec = plc_fec_create();
    rx->fft = plc_fft_create(PLC_OFDM_N);
    rx->fch_m = plc_active_carriers(PLC_TONEMAP_ALL, rx->cfg.tonemask, rx->fch_idx);
    if (!rx->fec || !rx->fft || rx->fch_m < 2 || !(rx->cfg.blanking_factor > 0)) {
        plc_rx_destroy(rx);
        return NULL;
    }
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        const unsigned k = PLC_PHY_FIRST_CARRIER + c;
        rx->used[c] = (uint8_t)((rx->cfg.tonemask >> c) & 1u);
        double a = plc_ofdm_syncp_phase[c] * TWO_PI / 16.0;
        rx->syncp[c] = (plc_cf){(float)cos(a), (float)sin(a)};
        double w = -TWO_PI * k * (WIN_OFFSET - PLC_OFDM_CP) / PLC_OFDM_N;
        rx->comp[c] = (plc_cf){(float)cos(w), (float)sin(w)};
    }
    rx_reset_search(rx, HOP);
    return rx;
}

void plc_rx_destroy(plc_rx *rx)
{
    if (!rx)
        return;
    plc_fec_destroy(rx->fec);
    plc_fft_destroy(rx->fft);
    free(rx);
}

int plc_rx_skip(plc_rx *rx, uint64_t n)
{
    int rc = plc_rx_flush(rx);
    if (rc == PLC_OK && n) {
        rx->base += n;
        rx_reset_search(rx, rx->base + HOP);
    }
    return rc;
}

int plc_rx_busy(const plc_rx *rx)
{
    return rx->state != ST_SEARCH || rx->sensed;
}

void plc_rx_get_stats(const plc_rx *rx, plc_rx_stats *stats)
{
    *stats = rx->stats;
}

static inline plc_cf cmul(plc_cf a, plc_cf b)
{
    return (plc_cf){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
static inline plc_cf cmulc(plc_cf a, plc_cf b) /* a * conj(b) */
{
    return (plc_cf){a.re * b.re + a.im * b.im, a.im * b.re - a.re * b.im};
}
static inline float cabs2(plc_cf a)
{
    return a.re * a.re + a.im * a.im;
}

/* FFT of the 256 samples starting at absolute index start; bins of carriers 23..58.
 * With a blanking level (> 0), samples above it are zeroed first; returns how many. */
static unsigned rx_fft(plc_rx *rx, uint64_t start, float blank_level, plc_cf *y)
{
    if (start < rx->base || start + PLC_OFDM_N > rx->base + rx->len) {
        memset(y, 0, PLC_PHY_CARRIERS * sizeof(plc_cf)); /* unreachable by construction */
        return 0;
    }
    const float *s = rx->buf + (start - rx->base);
    unsigned blanked = 0;
    if (blank_level > 0) {
        for (unsigned n = 0; n < PLC_OFDM_N; n++) {
            const int hit = fabsf(s[n]) > blank_level;
            rx->fin[n] = hit ? 0.0f : s[n];
            blanked += (unsigned)hit;
        }
        rx->stats.blanked_samples += blanked;
        s = rx->fin;
    }
    plc_fft_forward(rx->fft, s, rx->fout);
    memcpy(y, rx->fout + PLC_PHY_FIRST_CARRIER, PLC_PHY_CARRIERS * sizeof(plc_cf));
    return blanked;
}

/* Preamble correlation of one window (or of a sum of aligned windows): the adjacent-carrier
 * products Y_k Y*_k+1 S*_k S_k+1. Its phase is -2pi tau / N for a window starting tau
 * samples into a SYNCP period; norm (if wanted) gets sum |Y_k||Y_k+1| to normalise it. */
static plc_cf rx_syncp_corr(const plc_rx *rx, const plc_cf *y, float *norm)
{
    plc_cf corr = {0, 0};
    float nsum = 0;
    for (unsigned c = 0; c + 1 < PLC_PHY_CARRIERS; c++) {
        if (!rx->used[c] || !rx->used[c + 1])
            continue;
        plc_cf t = cmul(cmulc(y[c], y[c + 1]), cmulc(rx->syncp[c + 1], rx->syncp[c]));
        corr.re += t.re;
        corr.im += t.im;
        if (norm)
            nsum += sqrtf(cabs2(y[c]) * cabs2(y[c + 1]));
    }
    if (norm)
        *norm = nsum;
    return corr;
}

static void rx_report(plc_rx *rx)
{
    if (rx->cfg.callback)
        rx->cfg.callback(&rx->frame, rx->cfg.user);
}

/* k-th smallest of a[0..n-1] (reorders a): Hoare's selection, no allocation. */
static float select_kth(float *a, unsigned n, unsigned k)
{
    unsigned lo = 0, hi = n - 1;
    while (lo < hi) {
        const float pivot = a[(lo + hi) / 2];
        unsigned i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                const float t = a[i];
                a[i++] = a[j];
                a[j] = t;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return a[k];
}

/* Blanking level of a search or synchronisation window: the factor times the standard
 * deviation the window's own samples show, from their 75th percentile of |x|. It follows
 * a preamble from its first window (a level carried over from the samples before would
 * lag behind it and cut the preamble: a frame right after silence was lost, and a strong
 * one had its SNR under-reported by 7 dB), yet impulses on up to a quarter of the window
 * do not raise it, and a window partly silent lowers it only slightly. 0 (no blanking)
 * with the defence off or on a silent window. */
static float rx_window_blank(plc_rx *rx, uint64_t start)
{
    if (!rx->cfg.impulse_blanking)
        return 0.0f;
    const float *s = rx->buf + (start - rx->base);
    for (unsigned n = 0; n < PLC_OFDM_N; n++)
        rx->mag[n] = fabsf(s[n]);
    const float q75 = select_kth(rx->mag, PLC_OFDM_N, 3 * PLC_OFDM_N / 4 - 1);
    return rx->cfg.blanking_factor * SIGMA_PER_Q75 * q75;
}

/* Updates the background level (the frame's data symbols are blanked against it plus the
 * frame's own signal) with the search window at w; returns the window's blanking level. */
static float rx_search_blank_level(plc_rx *rx, uint64_t w)
{
    if (!rx->cfg.impulse_blanking)
        return 0.0f;
    const float *s = rx->buf + (w - rx->base);
    /* the first window has no estimate to clip at: iterate the clipped mean on it */
    const int passes = rx->level > 0 ? 1 : 4;
    float m = rx->level, clip = rx->level > 0 ? 3.0f * rx->level : INFINITY;
    for (int p = 0; p < passes; p++) {
        float sum = 0;
        for (unsigned n = 0; n < PLC_OFDM_N; n++)
            sum += fminf(fabsf(s[n]), clip);
        m = sum / PLC_OFDM_N;
        clip = 3.0f * m;
    }
    rx->level = rx->level > 0 ? 0.875f * rx->level + 0.125f * m : m;
    return rx_window_blank(rx, w);
}

/* ---- search: timing-blind preamble metric every 256 samples ---- */
static void rx_search_step(plc_rx *rx)
{
    plc_cf y[PLC_PHY_CARRIERS];
    const uint64_t w = rx->hop_end - HOP;
    rx_fft(rx, w, rx_search_blank_level(rx, w), y);
    float norm;
    const plc_cf corr = rx_syncp_corr(rx, y, &norm);
    rx->hop_end += HOP;
    rx->sensed = norm > 0 && sqrtf(cabs2(corr)) > CS_THRESHOLD * norm;
    if (rx->have_prev) {
        plc_cf tot = {corr.re + rx->prev_corr.re, corr.im + rx->prev_corr.im};
        float totn = norm + rx->prev_norm;
        if (totn > 0 && sqrtf(cabs2(tot)) > DET_THRESHOLD * totn) {
            /* the window starts tau samples into a SYNCP period */
            double tau = -atan2(tot.im, tot.re) * PLC_OFDM_N / TWO_PI;
            rx->stats.detections++;
            rx->state = ST_SYNC;
            int64_t a = (int64_t)w - (int64_t)lround(tau);
            while (a < (int64_t)rx->base) /* that period began before our history */
                a += HOP;
            rx->align = (uint64_t)a;
            rx->nsyncp = 0;
            rx->straddle = 0;
            rx->restarts = 0;
            rx->last_rho = 0;
            return;
        }
    }
    rx->prev_corr = corr;
    rx->prev_norm = norm;
    rx->have_prev = 1;
}

/* ---- sync: aligned SYNCP windows until the SYNCM sign flip ---- */
static void rx_start_frame(plc_rx *rx, const plc_cf *ym);

/* Correlation of two aligned windows over the used carriers: about +1 for two SYNCP
 * windows, -1 for SYNCP against SYNCM, near 0 for noise. */
static float rx_window_rho(const plc_rx *rx, const plc_cf *y, const plc_cf *prev)
{
    float num = 0, den = 0;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        if (!rx->used[c])
            continue;
        num += cmulc(y[c], prev[c]).re;
        den += sqrtf(cabs2(y[c]) * cabs2(prev[c]));
    }
    return den > 0 ? num / den : 0;
}

/* Sum of the stored SYNCP windows from .. to - 1. */
static void rx_window_sum(const plc_rx *rx, unsigned from, unsigned to, plc_cf *sum)
{
    memset(sum, 0, PLC_PHY_CARRIERS * sizeof(plc_cf));
    for (unsigned j = from; j < to; j++)
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
            sum[c].re += rx->yw[j][c].re;
            sum[c].im += rx->yw[j][c].im;
        }
}

static void rx_sync_step(plc_rx *rx)
{
    plc_cf y[PLC_PHY_CARRIERS];
    rx_fft(rx, rx->align, rx_window_blank(rx, rx->align), y);
    if (rx->nsyncp > 0) {
        /* against the sum of the SYNCP windows so far, not just the last one: much less
         * noisy at low SNR, where one bad pair would otherwise lose the frame */
        plc_cf ref[PLC_PHY_CARRIERS], ref_before[PLC_PHY_CARRIERS];
        rx_window_sum(rx, 0, rx->nsyncp - 1, ref_before);
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
            ref[c] = (plc_cf){ref_before[c].re + rx->yw[rx->nsyncp - 1][c].re,
                              ref_before[c].im + rx->yw[rx->nsyncp - 1][c].im};
        float rho = rx_window_rho(rx, y, ref);
        if (rho > -SYNC_RHO && rho <= SYNC_RHO && rx->nsyncp >= 3 && !rx->straddle &&
            rx->last_rho < STRADDLE_RHO && rx_window_rho(rx, y, ref_before) < -SYNC_RHO) {
            /* the last window, barely like its predecessor, straddled the boundary */
            rx->nsyncp--;
            rx->straddle = 1;
            rx_start_frame(rx, y);
            return;
        }
        if (rx->nsyncp == 1 && rho <= SYNC_RHO && rx->restarts < MAX_SYNCP) {
            /* the first window may have begun before the preamble (noise, or the end of
             * the previous frame): no SYNCM decision on it, start again from this one */
            rx->restarts++;
            memcpy(rx->yw[0], y, sizeof(y));
            rx->align += HOP;
            return;
        }
        if (rho < -SYNC_RHO) {
            rx_start_frame(rx, y);
            return;
        }
        if (rho <= SYNC_RHO && rx->last_rho >= STRADDLE_RHO && !rx->straddle) {
            /* neither SYNCP nor SYNCM: a window half across the boundary, when the search's
             * timing was far off; the next one is all SYNCM */
            rx->straddle = 1;
            rx->align += HOP;
            return;
        }
        if (rho <= SYNC_RHO || rx->straddle || rx->nsyncp == MAX_SYNCP) {
            rx->stats.sync_lost++;
            rx_reset_search(rx, rx->align + 2 * HOP);
            return;
        }
        rx->last_rho = rho;
    }
    memcpy(rx->yw[rx->nsyncp++], y, sizeof(y));
    rx->align += HOP;
}

static void rx_start_frame(plc_rx *rx, const plc_cf *ym)
{
    /* The first aligned window may have started before the preamble: drop it when
     * enough others exist. */
    const unsigned first = rx->nsyncp >= 3 ? 1 : 0;
    /* Fine timing: the windows sit t samples into the SYNCP period (the search's estimate
     * is coarse when the preamble began mid-window); the phase slope across carriers of
     * the averaged SYNCP windows measures it. */
    plc_cf sum[PLC_PHY_CARRIERS];
    rx_window_sum(rx, first, rx->nsyncp, sum);
    const plc_cf slope = rx_syncp_corr(rx, sum, NULL);
    long t = lround(-atan2(slope.im, slope.re) * PLC_OFDM_N / TWO_PI);
    /* t is known modulo 256. Without a straddling window the SYNCM window began between
     * 96 samples before and 128 after the SYNCM; after one, 96..160 samples after it. */
    if (rx->straddle && t < 0)
        t += HOP;
    /* Windows late by t > 0 end t samples into the SYNCM: the last SYNCP window is then
     * left out (when others remain) while the SYNCM window is clean up to t = 128; windows
     * early (t < 0) leave the SYNCM window holding SYNCP samples, so it is left out. */
    unsigned last = rx->nsyncp;
    if (t > 0 && last - first >= 3)
        last--;
    const int with_m = (t >= 0 && t <= HOP / 2) || last - first < 2;
    const unsigned nwin = last - first + (unsigned)with_m;
    /* start of SYNCM; modular arithmetic: a frame that began within a few samples of the
     * stream start may be estimated to start "before" sample 0, only the reported offset
     * is clamped */
    const uint64_t b = rx->align - (uint64_t)t;
    rx->frame_start = b - PLC_OFDM_SYNCM_START;
    plc_cf mean[PLC_PHY_CARRIERS];
    float var[PLC_PHY_CARRIERS];
    float psig = 0, pnoise = 0, ptime = 0;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        plc_cf m = with_m ? (plc_cf){-ym[c].re, -ym[c].im} : (plc_cf){0, 0};
        for (unsigned j = first; j < last; j++) {
            m.re += rx->yw[j][c].re;
            m.im += rx->yw[j][c].im;
        }
        m.re /= (float)nwin;
        m.im /= (float)nwin;
        float v = with_m ? cabs2((plc_cf){-ym[c].re - m.re, -ym[c].im - m.im}) : 0.0f;
        for (unsigned j = first; j < last; j++)
            v += cabs2((plc_cf){rx->yw[j][c].re - m.re, rx->yw[j][c].im - m.im});
        /* as a window t samples earlier would have seen it: e^{-j2pi k t / N} */
        const double w = -TWO_PI * (double)(PLC_PHY_FIRST_CARRIER + c) * (double)t / PLC_OFDM_N;
        mean[c] = cmul(m, (plc_cf){(float)cos(w), (float)sin(w)});
        var[c] = v / (float)(nwin - 1);
    }
    /* Smooth the noise over neighbouring carriers: few windows give a rough estimate. */
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        if (!rx->used[c])
            continue;
        float s = 0;
        unsigned n = 0;
        for (int d = -2; d <= 2; d++) {
            int k = (int)c + d;
            if (k >= 0 && k < PLC_PHY_CARRIERS && rx->used[k]) {
                s += var[k];
                n++;
            }
        }
        float sig = cabs2(mean[c]);
        float nz = s / (float)n;
        nz = fmaxf(nz, 1e-7f * sig + 1e-30f);
        rx->noise[c] = nz;
        float p = fmaxf(sig - nz / (float)nwin, 1e-3f * nz);
        rx->frame.carrier_snr_db[c] = 10.0f * log10f(p / nz);
        /* Differential detection multiplies two noisy observations: the projection of
         * y_k y*_k-1 has mean p (times the constellation geometry) and variance
         * p N + N^2 / 2 per real dimension, so its LLR is 2 p x / (p N + N^2 / 2). This is
         * independent of the input amplitude and weights carriers by their own SNR. */
        rx->llr_scale[c] = LLR_QUANT * 2.0f * p / (p * nz + 0.5f * nz * nz);
        psig += p;
        pnoise += nz;
        ptime += sig;
        rx->ref[c] = mean[c]; /* the first FCH symbol is referenced to the SYNCP phases */
    }
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        if (!rx->used[c])
            rx->frame.carrier_snr_db[c] = -99.0f;
    rx->frame.snr_db = 10.0f * log10f(psig / pnoise);
    float lqi = (rx->frame.snr_db + 10.0f) * 4.0f;
    rx->frame.lqi = (uint8_t)(lqi < 0 ? 0 : (lqi > 255 ? 255 : lqi));
    /* Blanking level for the data symbols: the factor times the RMS a sample should have,
     * the frame's signal (Parseval for a real signal seen through its positive bins) plus
     * the background noise the search measured before it (wideband, robust to impulses). */
    const float sig_rms = sqrtf(2.0f * ptime) / PLC_OFDM_N, bg = SIGMA_PER_MEAN_ABS * rx->level;
    rx->blank_level = rx->cfg.impulse_blanking
                          ? rx->cfg.blanking_factor * sqrtf(sig_rms * sig_rms + bg * bg)
                          : 0.0f;

    rx->frame.offset = b >= PLC_OFDM_SYNCM_START ? rx->frame_start : 0;
    rx->frame.header_ok = 0;
    rx->frame.psdu_len = 0;
    rx->frame.rs_corrected = 0;
    rx->frame.rs_erasures = 0;
    rx->frame.symbols_erased = 0;
    rx->sym = 0;
    rx->preamble_run = 0;
    rx->tau = rx->delta = 0;
    rx->shift = rx->prev_shift = 0;
    plc_fch_layout_get(PLC_FCH_CENELEC_BITS, rx->fch_m, &rx->fl);
    rx->state = ST_HEADER;
}

static uint64_t rx_symbol_window(const plc_rx *rx)
{
    return rx->frame_start + (uint64_t)PLC_OFDM_SYMBOL_START(rx->sym) + WIN_OFFSET +
           (uint64_t)rx->shift;
}

/* Demodulates one data symbol: soft bits of the listed carriers into the frame's soft
 * buffer, references updated on every used carrier, drift loop updated. Returns 1 when
 * impulse blanking found the symbol destroyed (its soft bits are then zero). */
static int rx_data_symbol(plc_rx *rx, const uint8_t *idx, unsigned m, unsigned bpc,
                          size_t sym_in_part)
{
    plc_cf y[PLC_PHY_CARRIERS];
    const int destroyed = rx_fft(rx, rx_symbol_window(rx), rx->blank_level, y) >= ERASE_BLANKED;
    /* Data windows look nothing like a preamble; a run of windows that do means this
     * "frame" was a false sync and a real one is arriving (rx_run abandons it). */
    float norm;
    const plc_cf pc = rx_syncp_corr(rx, y, &norm);
    rx->preamble_run = sqrtf(cabs2(pc)) > PREAMBLE_INSIDE * norm ? rx->preamble_run + 1 : 0;
    /* Predicted drift derotation e^{-j 2pi k pred / N} for every carrier: one cos/sin per
     * symbol, then a phasor recurrence across the carriers. */
    const double pred = (double)(rx->shift - rx->prev_shift) - rx->delta;
    plc_cf rot[PLC_PHY_CARRIERS];
    {
        const double a0 = -TWO_PI * PLC_PHY_FIRST_CARRIER * pred / PLC_OFDM_N;
        const double as = -TWO_PI * pred / PLC_OFDM_N;
        double cr = cos(a0), ci = sin(a0);
        const double sr = cos(as), si = sin(as);
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
            rot[c] = (plc_cf){(float)cr, (float)ci};
            const double t = cr * sr - ci * si;
            ci = cr * si + ci * sr;
            cr = t;
        }
    }
    plc_cf acc = {0, 0}, prevz = {0, 0};
    int have_prevz = 0;
    const unsigned power = bpc == 1 ? 2 : (bpc == 2 ? 4 : 8);
    for (unsigned i = 0; i < m; i++) {
        const unsigned c = idx[i];
        plc_cf z = cmul(y[c], rx->comp[c]);
        plc_cf d = cmul(cmulc(z, rx->ref[c]), rot[c]);
        const float g = rx->llr_scale[c];
        float llr[3];
        if (bpc == 1) {
            llr[0] = d.re;
        } else if (bpc == 2) {
            plc_cf r = cmul(d, (plc_cf){0.70710678f, -0.70710678f});
            llr[0] = r.re;
            llr[1] = -r.im;
        } else {
            plc_cf r = cmul(d, (plc_cf){0.92387953f, 0.38268343f});
            llr[0] = r.im;
            llr[1] = r.re;
            llr[2] = (fabsf(r.re) - fabsf(r.im)) * 0.70710678f;
        }
        for (unsigned b = 0; b < bpc; b++) {
            float q = destroyed ? 0.0f : llr[b] * g;
            q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);
            rx->soft[(sym_in_part * bpc + b) * m + i] = (int8_t)lrintf(q);
        }
        /* modulation removed by the M-th power; adjacent-carrier phase gives the drift */
        plc_cf u = d;
        for (unsigned p = 1; p < power; p <<= 1)
            u = cmul(u, u);
        float mag = sqrtf(cabs2(u));
        if (mag > 0) {
            float s = sqrtf(cabs2(d)) / mag;
            u.re *= s;
            u.im *= s;
        }
        if (have_prevz && idx[i] == idx[i - 1] + 1) {
            plc_cf t = cmulc(u, prevz);
            acc.re += t.re;
            acc.im += t.im;
        }
        prevz = u;
        have_prevz = 1;
    }
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        if (rx->used[c])
            rx->ref[c] = cmul(y[c], rx->comp[c]);
    if (acc.re != 0 || acc.im != 0) {
        /* residual slope per carrier, in samples of timing drift */
        double g = atan2(acc.im, acc.re) / power * PLC_OFDM_N / TWO_PI;
        rx->delta -= DRIFT_GAIN * g;
        if (rx->delta > DRIFT_MAX)
            rx->delta = DRIFT_MAX;
        if (rx->delta < -DRIFT_MAX)
            rx->delta = -DRIFT_MAX;
    }
    rx->tau += rx->delta;
    rx->prev_shift = rx->shift;
    if (fabs(rx->tau - (double)rx->shift) > SHIFT_HYSTERESIS)
        rx->shift = lround(rx->tau);
    rx->sym++;
    return destroyed;
}

static void rx_finish_header(plc_rx *rx)
{
    uint8_t hdr[PLC_FCH_CENELEC_BYTES];
    plc_fec_decode_fch(rx->fec, &rx->fl, rx->soft, hdr);
    int rc = plc_fch_unpack_cenelec(hdr, &rx->frame.fch);
    if (rc == PLC_OK && !plc_fch_is_ack(&rx->frame.fch)) {
        rx->pm = plc_active_carriers(rx->frame.fch.tm, rx->cfg.tonemask, rx->pidx);
        rc = rx->pm ? plc_payload_layout_for_fl((plc_modulation)rx->frame.fch.mod, rx->pm,
                                                rx->frame.fch.fl, &rx->pl)
                    : PLC_ERR_FORMAT;
    }
    if (rc != PLC_OK) {
        /* Often a false sync (noise, the tail of the previous frame): search again from
         * the end of the supposed SYNCM, over the samples kept during the header, so a
         * real preamble that arrived meanwhile is still found. */
        rx->stats.header_errors++;
        rx_reset_search(rx, rx->frame_start + PLC_OFDM_PREAMBLE + HOP);
        return;
    }
    rx->frame.header_ok = 1;
    if (plc_fch_is_ack(&rx->frame.fch)) {
        rx->frame.status = PLC_RX_OK;
        rx->stats.frames_ok++;
        rx_report(rx);
        rx_reset_search(rx, rx->frame_start + plc_ofdm_frame_samples(rx->fl.symbols) + HOP);
        return;
    }
    rx->bpc = plc_mode_get(rx->frame.fch.mod)->bits_per_carrier;
    memset(rx->erased, 0, sizeof(rx->erased));
    rx->n_erased = 0;
    rx->state = ST_PAYLOAD;
}

static void rx_finish_payload(plc_rx *rx)
{
    plc_fec_result res;
    int erasures[PLC_PHY_MAX_RS_ROOTS];
    const int ne = rx->n_erased ? plc_fec_payload_erasures(rx->fec, &rx->pl, rx->erased, erasures,
                                                            PLC_PHY_MAX_RS_ROOTS)
                                : 0;
    int rc = plc_fec_decode_payload(rx->fec, &rx->pl, rx->soft, erasures, ne > 0 ? ne : 0,
                                    rx->frame.psdu, &res);
    rx->frame.psdu_len = rx->pl.capacity;
    rx->frame.symbols_erased = rx->n_erased;
    if (rc == PLC_OK) {
        rx->frame.status = PLC_RX_OK;
        rx->frame.rs_corrected = res.rs_corrected;
        rx->frame.rs_erasures = res.rs_erasures_used;
        rx->stats.frames_ok++;
    } else {
        rx->frame.status = PLC_RX_RS_FAILED;
        memset(rx->frame.psdu, 0, sizeof(rx->frame.psdu));
        rx->stats.rs_failures++;
    }
    rx_report(rx);
    rx_reset_search(rx, rx->frame_start + plc_ofdm_frame_samples(rx->fl.symbols + rx->pl.symbols) +
                            HOP);
}

/* Two data windows in a row that look like a preamble: the current frame is dropped
 * (counted) and the search restarts at the last window, which the history still holds. */
static int rx_abandon_for_preamble(plc_rx *rx)
{
    if (rx->preamble_run < 2)
        return 0;
    rx->stats.abandoned++;
    rx_reset_search(rx, rx_symbol_window(rx) - (uint64_t)PLC_OFDM_SYMBOL + HOP);
    return 1;
}

/* Absolute sample index the next step needs to have seen. */
static uint64_t rx_need(const plc_rx *rx)
{
    switch (rx->state) {
    case ST_SEARCH: return rx->hop_end;
    case ST_SYNC: return rx->align + HOP;
    default: return rx_symbol_window(rx) + PLC_OFDM_N;
    }
}

static void rx_run(plc_rx *rx)
{
    while (rx_need(rx) <= rx->base + rx->len) {
        switch (rx->state) {
        case ST_SEARCH: rx_search_step(rx); break;
        case ST_SYNC: rx_sync_step(rx); break;
        case ST_HEADER:
            rx_data_symbol(rx, rx->fch_idx, rx->fch_m, 1, rx->sym);
            if (rx_abandon_for_preamble(rx))
                break;
            if (rx->sym == rx->fl.symbols)
                rx_finish_header(rx);
            break;
        case ST_PAYLOAD: {
            const size_t ps = rx->sym - rx->fl.symbols;
            if (rx_data_symbol(rx, rx->pidx, rx->pm, rx->bpc, ps)) {
                rx->erased[ps] = 1;
                rx->n_erased++;
            }
            if (rx_abandon_for_preamble(rx))
                break;
            if (rx->sym == rx->fl.symbols + rx->pl.symbols)
                rx_finish_payload(rx);
            break;
        }
        }
    }
}

/* Drops samples no step will look at again. */
static void rx_compact(plc_rx *rx)
{
    uint64_t keep;
    switch (rx->state) {
    case ST_SEARCH: keep = rx->hop_end > 3 * HOP ? rx->hop_end - 3 * HOP : 0; break;
    case ST_SYNC: keep = rx->align > HOP ? rx->align - HOP : 0; break;
    case ST_HEADER: keep = rx->frame_start + PLC_OFDM_PREAMBLE - HOP; break;
    default: /* the last data window stays: an abandoned frame searches again from it */
        keep = rx_symbol_window(rx) - PLC_OFDM_SYMBOL - 64;
        break;
    }
    if (keep <= rx->base)
        return;
    size_t drop = (size_t)(keep - rx->base);
    if (drop > rx->len)
        drop = rx->len;
    memmove(rx->buf, rx->buf + drop, (rx->len - drop) * sizeof(float));
    rx->len -= drop;
    rx->base += drop;
}

/* NaN and Inf samples become 0 and are counted. */
static inline float finite_or_zero(float x, uint64_t *bad)
{
    if (isfinite(x))
        return x;
    (*bad)++;
    return 0.0f;
}

int plc_rx_push(plc_rx *rx, const float *samples, size_t n)
{
    if (!rx || (n && !samples))
        return PLC_ERR_ARG;
    size_t done = 0;
    while (done < n) {
        if (rx->len == RXBUF) {
            rx_compact(rx);
            if (rx->len == RXBUF) /* cannot happen: every state needs < RXBUF samples */
                return PLC_ERR_BUFFER;
        }
        size_t take = RXBUF - rx->len;
        if (take > n - done)
            take = n - done;
        float *dst = rx->buf + rx->len;
        const float *src = samples + done;
        /* DC blocker y = x - x[-1] + a y[-1], a = 0.999, two samples per step of the
         * recursion (y[n+1] = d[n+1] + a d[n] + a^2 y[n-1], d = x - x[-1]) to halve its
         * latency chain; the state lives in registers for the whole block. */
        const float a = 0.999f, a2 = a * a;
        float x1 = rx->dc_x1, y1 = rx->dc_y1;
        uint64_t bad = 0;
        size_t i = 0;
        for (; i + 1 < take; i += 2) {
            const float x0 = finite_or_zero(src[i], &bad), xn = finite_or_zero(src[i + 1], &bad);
            const float d0 = x0 - x1, d1 = xn - x0;
            dst[i] = d0 + a * y1;
            y1 = d1 + a * d0 + a2 * y1;
            dst[i + 1] = y1;
            x1 = xn;
        }
        for (; i < take; i++) {
            const float x0 = finite_or_zero(src[i], &bad);
            y1 = x0 - x1 + a * y1;
            x1 = x0;
            dst[i] = y1;
        }
        rx->dc_x1 = x1;
        rx->dc_y1 = y1;
        rx->stats.nonfinite_samples += bad;
        rx->len += take;
        rx->stats.samples += take;
        done += take;
        rx_run(rx);
    }
    return PLC_OK;
}

int plc_rx_flush(plc_rx *rx)
{
    if (!rx)
        return PLC_ERR_ARG;
    if (rx->state != ST_SEARCH) {
        if (rx->state == ST_SYNC) {
            rx->frame.offset = rx->align - (uint64_t)rx->nsyncp * HOP;
            rx->frame.header_ok = 0;
        }
        rx->frame.status = PLC_RX_TRUNCATED;
        rx->frame.psdu_len = 0;
        rx->stats.truncated++;
        rx_report(rx);
    }
    rx->base += rx->len;
    rx->len = 0;
    rx->dc_x1 = rx->dc_y1 = 0;
    rx->level = 0;
    rx_reset_search(rx, rx->base + HOP);
    return PLC_OK;
}
