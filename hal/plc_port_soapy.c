/* SoapySDR backend of plc_port (built when libsoapysdr-dev is installed): a device's
 * complex baseband, through the SDR front end, as the PHY's 400 kS/s passband. The loop
 * polls the receive stream every POLL_US without blocking; bursts are converted and
 * written when transmitted (the device's own timing is not used yet). */
#define _POSIX_C_SOURCE 200809L
#include <SoapySDR/Device.h>
#include <SoapySDR/Formats.h>
#include <stdio.h>
#include <stdlib.h>

#include "plc_err.h"
#include "plc_port_impl.h"

#define POLL_US 5000
#define MAX_BB 65536

typedef struct soapy_port {
    plc_port base;
    SoapySDRDevice *dev;
    SoapySDRStream *rx, *tx;
    plc_sdr_frontend *rx_fe, *tx_fe;
    plc_loop *loop;
    plc_timer poll;
    plc_port_sink sink;
    void *user;
    uint64_t next_sample;
    float complex bb[MAX_BB];
    float pass[MAX_BB];
} soapy_port;

static void on_poll(plc_loop *loop, plc_timer *t, void *user)
{
    soapy_port *p = user;
    void *buffs[1] = {p->bb};
    int flags = 0;
    long long when = 0;
    const int n = SoapySDRDevice_readStream(p->dev, p->rx, buffs, MAX_BB / 8, &flags, &when, 0);
    if (n > 0) {
        const size_t m = plc_sdr_to_passband(p->rx_fe, p->bb, (size_t)n, p->pass);
        p->sink(p->pass, m, p->next_sample, p->user);
        p->next_sample += m;
    }
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

static int soapy_transmit(plc_port *base, uint64_t at, const float *x, size_t n)
{
    (void)at;
    soapy_port *p = (soapy_port *)base;
    for (size_t done = 0; done < n;) {
        const size_t m = n - done < 4096 ? n - done : 4096;
        const size_t nb = plc_sdr_to_baseband(p->tx_fe, x + done, m, p->bb);
        const void *buffs[1] = {p->bb};
        int flags = 0;
        if (SoapySDRDevice_writeStream(p->dev, p->tx, buffs, nb, &flags, 0, 100000) < 0)
            return PLC_ERR_IO;
        done += m;
    }
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
    return &p->base;
}
