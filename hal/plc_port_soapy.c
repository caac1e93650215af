/* SoapySDR backend of plc_port (built when libsoapysdr-dev is installed): a device's complex
 * baseband, through the SDR front end, as the PHY's 400 kS/s passband.
 *
 * Time. The receive stream's passband sample index is the port's clock. With a device that
 * keeps hardware time, the index is anchored to the time stamp t0 of the first received
 * baseband sample: passband sample i left the line at
 *     L(i) = t0 - Dp + i / 400 kHz          (Dp: the to-passband delay of the front end)
 * and a burst for index `at` is written with the time stamp
 *     T = L(at) - Db                        (Db: the to-baseband delay)
 * so that its first sample reaches the line at L(at): a node answering RIFS after a frame
 * it received does so to the sample. A burst whose T the receive stream has already passed
 * is refused (PLC_ERR_LATE); late bursts the device itself reports are counted. After an
 * overflow the time stamps say how much was lost and the index jumps over it, so it stays
 * locked to the device's clock. Without hardware time the index counts samples and bursts
 * go out when written. */
#define _POSIX_C_SOURCE 200809L
#include <SoapySDR/Device.h>
#include <SoapySDR/Errors.h>
#include <SoapySDR/Formats.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plc_err.h"
#include "plc_log.h"
#include "plc_port_impl.h"

#define PHY_RATE 400000.0
#define POLL_US 5000    /* the loop reads the device this often, without blocking */
#define RX_BB 8192      /* baseband samples per read */
#define TX_BB 65536     /* baseband samples per write */
#define READS_PER_POLL 64
#define ALIGN_MAX 256   /* baseband samples searched to land back on the passband grid */
#define WRITE_TIMEOUT_US 200000

typedef struct soapy_port {
    plc_port base;
    SoapySDRDevice *dev;
    SoapySDRStream *rx, *tx;
    plc_sdr_frontend *rx_fe, *tx_fe;
    double rate;           /* baseband samples per second */
    double dp, db;         /* front-end delays, s */
    size_t tx_chunk;       /* passband samples per write (fits TX_BB after conversion) */
    size_t flush;          /* zeros after a burst: its filter tail leaves too */
    int timed;             /* device keeps hardware time */
    int anchored;          /* t0 known */
    long long t0_ns;       /* time stamp of passband index 0 (before Dp) */
    long long rx_end_ns;   /* time just after the last received baseband sample */
    int warned_untimed;
    plc_loop *loop;
    plc_timer poll;
    plc_port_sink sink;
    void *user;
    uint64_t next_sample;  /* passband index of the next sample delivered */
    float complex bb[TX_BB];
    float pass[2 * RX_BB + 64]; /* one read at the lowest rate (250 kS/s: x1.6) */
} soapy_port;

static long long ns_after(long long t, double seconds)
{
    return t + llround(seconds * 1e9);
}

/* Passband index a received chunk time-stamped `when` starts at; re-anchors on a clock
 * that went backwards. */
static uint64_t index_of(soapy_port *p, long long when)
{
    const double i = (double)(when - p->t0_ns) * 1e-9 * PHY_RATE;
    if (i < (double)p->next_sample) {
        plc_log(PLC_LOG_WARN, "soapy", "device time went back %.0f samples: re-anchored",
                (double)p->next_sample - i);
        p->t0_ns = ns_after(when, -(double)p->next_sample / PHY_RATE);
        return p->next_sample;
    }
    return (uint64_t)llround(i);
}

/* After a gap the front end restarts at the first sample it is given, so its output is on
 * the passband grid only if that sample's time is: skip the few baseband samples (< ALIGN_MAX)
 * that bring it closest. Without this the index could be half a sample off (1 MS/s: a
 * baseband sample is 0.4 passband sample), and a RIFS answer a sample early or late. Exact
 * for rates that are a multiple of 400 kHz / ALIGN_MAX. */
static int aligning_skip(const soapy_port *p, int n, long long when)
{
    int best = 0;
    double best_err = 1.0;
    for (int d = 0; d < n && d < ALIGN_MAX; d++) {
        const double i = (double)(ns_after(when, d / p->rate) - p->t0_ns) * 1e-9 * PHY_RATE;
        const double err = fabs(i - nearbyint(i));
        if (err < best_err - 1e-9) {
            best = d;
            best_err = err;
        }
    }
    return best;
}

static void receive(soapy_port *p, int n, int flags, long long when)
{
    int skip = 0;
    if (p->timed && (flags & SOAPY_SDR_HAS_TIME)) {
        if (!p->anchored) {
            p->t0_ns = when;
            p->anchored = 1;
        } else if (llabs(when - p->rx_end_ns) * 1e-9 * p->rate > 1.5) {
            /* a gap (or a jump): the filters' state belongs to the past */
            skip = aligning_skip(p, n, when);
            when = ns_after(when, skip / p->rate);
            const uint64_t at = index_of(p, when);
            if (at > p->next_sample) {
                p->base.stats.gaps++;
                p->base.stats.lost += at - p->next_sample;
                plc_log(PLC_LOG_WARN, "soapy", "receive gap: %llu samples lost",
                        (unsigned long long)(at - p->next_sample));
            }
            plc_sdr_frontend_reset(p->rx_fe);
            p->next_sample = at;
        }
        p->rx_end_ns = ns_after(when, (n - skip) / p->rate);
    } else if (p->anchored) { /* a chunk without a time stamp follows the last one */
        p->rx_end_ns = ns_after(p->rx_end_ns, n / p->rate);
    }
    const size_t m = plc_sdr_to_passband(p->rx_fe, p->bb + skip, (size_t)(n - skip), p->pass);
    if (m) {
        p->sink(p->pass, m, p->next_sample, p->user);
        p->next_sample += m;
        p->base.stats.received += m;
    }
}

/* What the device says about bursts (late, underflow); not every driver reports. */
static void read_tx_status(soapy_port *p)
{
    for (int k = 0; k < 16; k++) {
        size_t mask = 0;
        int flags = 0;
        long long when = 0;
        const int r = SoapySDRDevice_readStreamStatus(p->dev, p->tx, &mask, &flags, &when, 0);
        if (r == SOAPY_SDR_TIME_ERROR) {
            p->base.stats.late++;
            plc_log(PLC_LOG_WARN, "soapy", "the device reports a burst late");
        } else if (r == SOAPY_SDR_UNDERFLOW) {
            p->base.stats.underflows++;
            plc_log(PLC_LOG_WARN, "soapy", "the device reports a transmit underflow");
        } else if (r != 0) {
            return; /* timeout or not supported: nothing (more) to say */
        }
    }
}

static void on_poll(plc_loop *loop, plc_timer *t, void *user)
{
    soapy_port *p = user;
    for (int k = 0; k < READS_PER_POLL; k++) {
        void *buffs[1] = {p->bb};
        int flags = 0;
        long long when = 0;
        const int n = SoapySDRDevice_readStream(p->dev, p->rx, buffs, RX_BB, &flags, &when, 0);
        if (n == SOAPY_SDR_TIMEOUT || n == 0)
            break;
        if (n == SOAPY_SDR_OVERFLOW) {
            if (!p->timed) { /* nothing measures the gap: the index slips */
                p->base.stats.gaps++;
                plc_log(PLC_LOG_WARN, "soapy", "receive overflow: samples lost");
            }
            continue; /* with time stamps the next chunk's measures it */
        }
        if (n < 0) {
            plc_log(PLC_LOG_ERROR, "soapy", "receive: %s", SoapySDR_errToStr(n));
            break;
        }
        receive(p, n, flags, when);
    }
    read_tx_status(p);
    plc_timer_start_in(loop, t, POLL_US);
}

static int soapy_start(plc_port *base, plc_loop *loop, plc_port_sink sink, void *user)
{
    soapy_port *p = (soapy_port *)base;
    p->loop = loop;
    p->sink = sink;
    p->user = user;
    if (SoapySDRDevice_activateStream(p->dev, p->rx, 0, 0, 0) != 0 ||
        SoapySDRDevice_activateStream(p->dev, p->tx, 0, 0, 0) != 0)
        return PLC_ERR_IO;
    plc_timer_init(&p->poll, on_poll, p);
    return plc_timer_start_in(loop, &p->poll, POLL_US);
}

/* Writes p->bb[0..nb); the first write of a burst carries its time (if any). */
static int write_all(soapy_port *p, size_t nb, int *flags, long long when, int last)
{
    for (size_t done = 0; done < nb;) {
        const void *buffs[1] = {p->bb + done};
        int f = *flags | (last ? SOAPY_SDR_END_BURST : 0);
        const int w = SoapySDRDevice_writeStream(p->dev, p->tx, buffs, nb - done, &f, when,
                                                 WRITE_TIMEOUT_US);
        if (w <= 0) {
            plc_log(PLC_LOG_ERROR, "soapy", "transmit: %s", SoapySDR_errToStr(w));
            return PLC_ERR_IO;
        }
        *flags = 0;
        done += (size_t)w;
    }
    return PLC_OK;
}

static int soapy_transmit(plc_port *base, uint64_t at, const float *x, size_t n)
{
    soapy_port *p = (soapy_port *)base;
    int flags = 0;
    long long when = 0;
    if (p->timed && p->anchored) {
        when = ns_after(p->t0_ns, (double)at / PHY_RATE - p->dp - p->db);
        if (when < p->rx_end_ns) {
            p->base.stats.late++;
            return PLC_ERR_LATE;
        }
        flags = SOAPY_SDR_HAS_TIME;
    } else if (!p->warned_untimed) {
        p->warned_untimed = 1;
        plc_log(PLC_LOG_WARN, "soapy", "%s: bursts go out when written",
                p->timed ? "no samples received yet" : "the device keeps no hardware time");
    }
    plc_sdr_frontend_reset(p->tx_fe);
    static const float zeros[4096];
    const size_t total = n + p->flush;
    for (size_t done = 0; done < total;) {
        size_t m = total - done < p->tx_chunk ? total - done : p->tx_chunk;
        size_t nb;
        if (done < n) {
            m = m < n - done ? m : n - done;
            nb = plc_sdr_to_baseband(p->tx_fe, x + done, m, p->bb);
        } else {
            m = m < sizeof(zeros) / sizeof(zeros[0]) ? m : sizeof(zeros) / sizeof(zeros[0]);
            nb = plc_sdr_to_baseband(p->tx_fe, zeros, m, p->bb);
        }
        done += m;
        const int rc = write_all(p, nb, &flags, when, done == total);
        if (rc)
            return rc;
    }
    p->base.stats.bursts++;
    return PLC_OK;
}

static int soapy_close(plc_port *base)
{
    soapy_port *p = (soapy_port *)base;
    if (p->loop)
        plc_timer_stop(p->loop, &p->poll);
    if (p->dev) {
        if (p->rx) {
            SoapySDRDevice_deactivateStream(p->dev, p->rx, 0, 0);
            SoapySDRDevice_closeStream(p->dev, p->rx);
        }
        if (p->tx) {
            SoapySDRDevice_deactivateStream(p->dev, p->tx, 0, 0);
            SoapySDRDevice_closeStream(p->dev, p->tx);
        }
        SoapySDRDevice_unmake(p->dev);
    }
    plc_sdr_frontend_destroy(p->rx_fe);
    plc_sdr_frontend_destroy(p->tx_fe);
    free(p);
    return PLC_OK;
}

static const plc_port_ops soapy_ops = {soapy_start, soapy_transmit, soapy_close};

plc_port *plc_port_soapy_create(const char *args, const plc_sdr_config *fe, double rf_hz,
                                double gain_db, char *err, size_t errlen)
{
    soapy_port *p = calloc(1, sizeof(*p));
    if (!p || !fe) {
        free(p);
        snprintf(err, errlen, p ? "out of memory" : "no front-end configuration");
        return NULL;
    }
    p->base.ops = &soapy_ops;
    p->rx_fe = plc_sdr_frontend_create(fe);
    p->tx_fe = plc_sdr_frontend_create(fe);
    if (!p->rx_fe || !p->tx_fe) {
        snprintf(err, errlen, "SDR front end: rate or centre frequency out of range");
        soapy_close(&p->base);
        return NULL;
    }
    p->rate = fe->sdr_rate_hz;
    p->dp = plc_sdr_to_passband_delay_s(p->rx_fe);
    p->db = plc_sdr_to_baseband_delay_s(p->tx_fe);
    p->tx_chunk = (size_t)((TX_BB - 64) / ceil(p->rate / PHY_RATE));
    p->flush = (size_t)ceil(p->db * PHY_RATE) + 64;
    p->dev = SoapySDRDevice_makeStrArgs(args ? args : "");
    if (!p->dev) {
        const char *why = SoapySDRDevice_lastError();
        snprintf(err, errlen, "no SoapySDR device found for \"%s\"%s%s", args ? args : "",
                 why && *why ? ": " : "", why && *why ? why : "");
        soapy_close(&p->base);
        return NULL;
    }
    const size_t ch = 0;
    if (SoapySDRDevice_setSampleRate(p->dev, SOAPY_SDR_RX, 0, fe->sdr_rate_hz) ||
        SoapySDRDevice_setSampleRate(p->dev, SOAPY_SDR_TX, 0, fe->sdr_rate_hz) ||
        SoapySDRDevice_setFrequency(p->dev, SOAPY_SDR_RX, 0, rf_hz, NULL) ||
        SoapySDRDevice_setFrequency(p->dev, SOAPY_SDR_TX, 0, rf_hz, NULL) ||
        SoapySDRDevice_setGain(p->dev, SOAPY_SDR_RX, 0, gain_db) ||
        !(p->rx = SoapySDRDevice_setupStream(p->dev, SOAPY_SDR_RX, SOAPY_SDR_CF32, &ch, 1, NULL)) ||
        !(p->tx = SoapySDRDevice_setupStream(p->dev, SOAPY_SDR_TX, SOAPY_SDR_CF32, &ch, 1, NULL))) {
        snprintf(err, errlen, "SoapySDR device refused the settings: %s", SoapySDRDevice_lastError());
        soapy_close(&p->base);
        return NULL;
    }
    p->timed = SoapySDRDevice_hasHardwareTime(p->dev, "");
    return &p->base;
}
