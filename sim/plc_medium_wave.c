/* The waveform PHY of the simulated medium: every frame synthesised by plc_tx and put on
 * plc_line; every node's own plc_rx decodes what reaches it, in BLOCK-sample steps; quiet
 * stretches are skipped. */
#include <stdlib.h>

#include "plc_err.h"
#include "plc_medium_impl.h"
#include "plc_ofdm.h"

static void on_rx_frame(const plc_rx_frame *f, void *user)
{
    mnode *nd = user;
    plc_phy_rx_ind ind;
    uint64_t end;
    if (!plc_phy_rx_ind_from_frame(f, &ind, &end))
        return;
    ind.end_us = plc_medium_us_of(end);
    medium_deliver(nd, &ind);
}

void medium_block_step(plc_loop *loop, plc_timer *t, void *user)
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

int medium_wave_send(plc_medium *m, mnode *nd, const plc_tx_request *rq, const uint8_t *psdu,
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

/* Receivers and buffers (the timers are set up by plc_medium_create). */
int medium_wave_init(plc_medium *m)
{
    plc_rx_config rc_;
    plc_rx_config_default(&rc_);
    rc_.callback = on_rx_frame;
    rc_.impulse_blanking = m->cfg.impulse_blanking;
    for (unsigned i = 0; i < m->n; i++) {
        rc_.user = &m->node[i];
        m->node[i].rx = plc_rx_create(&rc_);
        if (!m->node[i].rx)
            return PLC_ERR_NOMEM;
    }
    m->buf = malloc(BLOCK * sizeof(float));
    m->frame_cap = plc_ofdm_frame_samples(PLC_PHY_MAX_SYMBOLS + PLC_PHY_FCH_SYMBOLS);
    m->frame = malloc(m->frame_cap * sizeof(float));
    if (!m->buf || !m->frame)
        return PLC_ERR_NOMEM;
    return PLC_OK;
}
