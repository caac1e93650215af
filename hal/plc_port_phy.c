#include "plc_port_phy.h"

#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_ofdm.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define DRIFT_PPM 100u

struct plc_port_phy {
    plc_port_phy_config cfg;
    plc_port *port;
    plc_loop *loop;
    plc_tx *tx;
    plc_rx *rx;
    plc_phy_user user;
    plc_port_phy_stats st;
    uint64_t next;            /* the index of the next sample the receiver expects */
    unsigned latency_us;      /* reported: the configured bound, raised to 1.5 x the worst seen */
    int anchored;
    int64_t origin_us;        /* loop time of sample 0 (estimate) */
    uint64_t anchored_at;     /* loop time of the last estimate */
    uint64_t tx_start, tx_end;/* samples of the burst in progress (or the last) */
    int transmitting;
    plc_timer tx_done;
    float *burst;
    size_t burst_cap;
};

void plc_port_phy_config_default(plc_port_phy_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tonemask = PLC_TONEMASK_ALL;
    cfg->tx_margin_us = 2000;
    cfg->latency_us = 20000;
}

static uint64_t us_of_sample(const plc_port_phy *p, uint64_t s)
{
    const int64_t t = p->origin_us + (int64_t)(s * 5 / 2);
    return t > 0 ? (uint64_t)t : 0;
}

static uint64_t sample_of_us(const plc_port_phy *p, uint64_t us)
{
    const int64_t d = (int64_t)us - p->origin_us;
    return d > 0 ? (uint64_t)d * 2 / 5 : 0;
}

/* A chunk ending at sample `end` arrived now: sample 0 left the line at now - end x 2.5 us
 * at the latest. */
static void observe(plc_port_phy *p, uint64_t end)
{
    const uint64_t now = plc_loop_now_us(p->loop);
    const int64_t obs = (int64_t)now - (int64_t)(end * 5 / 2);
    if (!p->anchored) {
        p->origin_us = obs;
        p->anchored = 1;
    } else {
        p->origin_us += (int64_t)((now - p->anchored_at) * DRIFT_PPM / 1000000u);
        if (obs < p->origin_us)
            p->origin_us = obs;
    }
    p->anchored_at = now;
}

static void on_frame(const plc_rx_frame *f, void *user)
{
    plc_port_phy *p = user;
    plc_phy_rx_ind ind;
    uint64_t end;
    if (!plc_phy_rx_ind_from_frame(f, &ind, &end))
        return;
    ind.end_us = us_of_sample(p, end);
    p->st.frames++;
    p->st.payload_failed += ind.status != PLC_PHY_RX_OK;
    const uint64_t now = plc_loop_now_us(p->loop);
    const uint64_t late = now > ind.end_us ? now - ind.end_us : 0;
    p->st.latency_max_us = late > p->st.latency_max_us ? late : p->st.latency_max_us;
    /* the latency reported to the MAC follows what is measured, with a margin */
    const unsigned seen = (unsigned)(late + late / 2);
    if (seen > p->latency_us)
        p->latency_us = seen;
    if (p->user.rx_indication)
        p->user.rx_indication(p->user.user, &ind);
}

static void sink(const float *x, size_t n, uint64_t first, void *user)
{
    plc_port_phy *p = user;
    if (n == 0) { /* end of the stream */
        plc_rx_flush(p->rx);
        return;
    }
    observe(p, first + n);
    if (first > p->next)
        plc_rx_skip(p->rx, first - p->next);
    /* half duplex: what overlaps our own burst is skipped */
    size_t i = 0;
    while (i < n) {
        const uint64_t s = first + i;
        if (s >= p->tx_start && s < p->tx_end) {
            const size_t k = (size_t)(p->tx_end - s < n - i ? p->tx_end - s : n - i);
            plc_rx_skip(p->rx, k);
            p->st.own_samples += k;
            i += k;
        } else {
            size_t k = n - i;
            if (s < p->tx_start && p->tx_start - s < k)
                k = (size_t)(p->tx_start - s);
            plc_rx_push(p->rx, x + i, k);
            i += k;
        }
    }
    p->next = first + n;
}

static void on_tx_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_port_phy *p = user;
    p->transmitting = 0;
    if (p->user.tx_confirm)
        p->user.tx_confirm(p->user.user, PLC_OK);
}

static int svc_tx_request(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                          uint64_t at_us)
{
    plc_port_phy *p = phy;
    if (!rq)
        return PLC_ERR_ARG;
    if (p->transmitting)
        return PLC_ERR_BUSY;
    size_t w = 0;
    int rc = plc_tx_frame(p->tx, rq, psdu, len, p->burst, p->burst_cap, &w);
    if (rc != PLC_OK)
        return rc;
    const uint64_t now = plc_loop_now_us(p->loop);
    const uint64_t earliest = sample_of_us(p, now + p->cfg.tx_margin_us);
    uint64_t at = at_us == PLC_PHY_NOW ? earliest : sample_of_us(p, at_us);
    if (at < earliest) {
        if (at_us != PLC_PHY_NOW)
            p->st.tx_late++;
        at = earliest;
    }
    if (at < p->next) /* never before what the port has already received */
        at = p->next;
    rc = plc_port_transmit(p->port, at, p->burst, w);
    if (rc != PLC_OK) {
        p->st.tx_refused++;
        return rc;
    }
    p->st.tx_frames++;
    p->tx_start = at;
    p->tx_end = at + w;
    p->transmitting = 1;
    return plc_timer_start_at(p->loop, &p->tx_done, us_of_sample(p, p->tx_end));
}

static int svc_busy(void *phy)
{
    const plc_port_phy *p = phy;
    return p->transmitting || plc_rx_busy(p->rx);
}

static void svc_set_user(void *phy, const plc_phy_user *u)
{
    plc_port_phy *p = phy;
    p->user = u ? *u : (plc_phy_user){0};
}

static unsigned svc_latency(void *phy)
{
    const plc_port_phy *p = phy;
    return p->latency_us;
}

static const plc_phy_ops port_phy_ops = {svc_tx_request, svc_busy, svc_set_user, svc_latency};

plc_port_phy *plc_port_phy_create(plc_port *port, plc_loop *loop, const plc_port_phy_config *cfg)
{
    if (!port || !loop)
        return NULL;
    plc_port_phy *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (cfg)
        p->cfg = *cfg;
    else
        plc_port_phy_config_default(&p->cfg);
    p->port = port;
    p->loop = loop;
    p->latency_us = p->cfg.latency_us;
    plc_tx_config tc;
    plc_tx_config_default(&tc);
    tc.tonemask = p->cfg.tonemask;
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.tonemask = p->cfg.tonemask;
    rc.impulse_blanking = p->cfg.impulse_blanking;
    rc.callback = on_frame;
    rc.user = p;
    p->tx = plc_tx_create(&tc);
    p->rx = plc_rx_create(&rc);
    p->burst_cap = plc_ofdm_frame_samples(PLC_PHY_MAX_SYMBOLS + PLC_PHY_FCH_SYMBOLS);
    p->burst = malloc(p->burst_cap * sizeof(float));
    plc_timer_init(&p->tx_done, on_tx_done, p);
    if (!p->tx || !p->rx || !p->burst || plc_port_start(port, loop, sink, p) != PLC_OK) {
        plc_port_phy_destroy(p);
        return NULL;
    }
    return p;
}

void plc_port_phy_destroy(plc_port_phy *p)
{
    if (!p)
        return;
    plc_timer_stop(p->loop, &p->tx_done);
    plc_tx_destroy(p->tx);
    plc_rx_destroy(p->rx);
    free(p->burst);
    free(p);
}

plc_phy_service plc_port_phy_service(plc_port_phy *p)
{
    return (plc_phy_service){&port_phy_ops, p};
}

plc_port_phy_stats plc_port_phy_get_stats(const plc_port_phy *p)
{
    return p->st;
}
