/* Transmit side: the MSDU at the head of the queue is cut into segments sized for the link
 * (modulation and tone map of the neighbour, under macToneMask), each segment goes out
 * after channel access (plc_mac_csma.c) or, for the next segment of a train, in the
 * contention-free slot aCIFS after the last; unicast segments wait PLC_MAC_ACK_WAIT_US for
 * their ACK and are retried up to macMaxFrameRetries. Every MSDU accepted ends in exactly
 * one confirm, whatever stops it (no ACK, channel access, a PHY refusal, a timer that
 * could not start, a frame counter that cannot advance). */
#include <string.h>

#include "plc_mac_internal.h"
#include "plc_mac_tonemap.h"

#define ROBO_RECHECK_US 5000000u /* a ROBO tone map is asked again after this */

/* Join traffic (to an EUI-64, or from a node without a short address) goes in clear. */
static int item_join(const plc_mac *m, const mac_item *it)
{
    return it->dst_ext || m->pib.short_addr == 0xFFFF;
}

/* The neighbour entry of a join hop's peer. */
static uint16_t join_key(const mac_item *it)
{
    return it->dst_ext ? mac_nb_ext_key(it->dst_ext) : it->dst;
}

static int item_secured(const plc_mac *m, const mac_item *it)
{
    return m->pib.security_enabled && !item_join(m, it) &&
           (it->kind == ITEM_DATA || it->kind == ITEM_TONEMAP_RESPONSE);
}

/* The PSDU capacity of the longest frame (PLC_PHY_MAX_SYMBOLS) in a mode. */
static size_t psdu_capacity(const plc_mac *m, plc_modulation mod, uint8_t tonemap)
{
    uint8_t idx[PLC_PHY_CARRIERS];
    const unsigned carriers = plc_active_carriers(tonemap, m->pib.tonemask, idx);
    plc_payload_layout lay;
    if (!carriers ||
        plc_payload_layout_for_fl(mod, carriers, PLC_PHY_MAX_SYMBOLS / 4, &lay) != PLC_OK)
        return 0;
    return lay.capacity;
}

static void frame_header(const plc_mac *m, const mac_item *it, int secured, plc_mac_frame *f)
{
    memset(f, 0, sizeof(*f));
    f->seq = m->seq;
    f->src.mode = PLC_MAC_ADDR_SHORT;
    f->src.short_addr = m->pib.short_addr;
    f->dst.mode = PLC_MAC_ADDR_SHORT;
    f->dst.short_addr = it->dst;
    if (it->dst_ext) {
        f->dst.mode = PLC_MAC_ADDR_EXT;
        f->dst.ext = it->dst_ext;
    }
    if (m->pib.short_addr == 0xFFFF) {
        f->src.mode = PLC_MAC_ADDR_EXT;
        f->src.ext = m->pib.ext_addr;
    }
    f->dst_pan = f->src_pan = m->pib.pan_id;
    f->panid_compression = 1;
    f->ack_request = it->dst != PLC_MAC_BROADCAST;
    f->type = it->kind == ITEM_DATA ? PLC_MAC_DATA : PLC_MAC_COMMAND;
    if (it->kind == ITEM_BEACON) {
        f->type = PLC_MAC_BEACON;
        f->dst.mode = PLC_MAC_ADDR_NONE;
        f->panid_compression = 0;
        f->ack_request = 0;
    } else if (it->kind == ITEM_BEACON_REQUEST) {
        f->src.mode = PLC_MAC_ADDR_NONE;
        f->dst_pan = 0xFFFF;
        f->panid_compression = 0;
    }
    if (secured) {
        f->security = 1;
        f->sec_level = PLC_MAC_SEC_ENC_MIC32;
        f->key_index = m->pib.key_index;
    }
}

/* The PSDU of segment seg_index of the item at the head of the queue. */
static int build_segment(plc_mac *m)
{
    const mac_item *it = mac_head(m);
    const int secured = item_secured(m, it);
    plc_mac_frame f;
    frame_header(m, it, secured, &f);
    const size_t off = (size_t)m->seg_index * m->seg_room;
    const size_t n = it->len - off < m->seg_room ? it->len - off : m->seg_room;
    f.seg.tmr = (uint8_t)(m->tmr && m->seg_index == 0);
    f.seg.lsf = m->seg_index + 1 == m->seg_count;
    f.seg.sc = (uint8_t)m->seg_index;
    f.seg.cc = (uint8_t)!f.seg.lsf;
    f.seg.cap = (uint8_t)(it->high_priority != 0);
    uint8_t *payload = m->tx_scratch;
    memcpy(payload, it->data + off, n);
    size_t plen = n;
    int rc;
    if (secured) {
        if ((rc = mac_sec_next_counter(m, &f.frame_counter)) != PLC_OK ||
            (rc = mac_sec_protect(m, &f, payload, n)) != PLC_OK)
            return rc;
        plen += PLC_MAC_MIC_LEN;
    }
    f.payload = payload;
    f.payload_len = plen;
    size_t len;
    rc = plc_mac_frame_encode(&f, m->psdu + PLC_MAC_SEGCTL_LEN, sizeof(m->psdu) - PLC_MAC_SEGCTL_LEN,
                              &len);
    if (rc != PLC_OK)
        return rc;
    f.seg.sl = (uint16_t)len;
    plc_mac_segctl_write(&f.seg, m->psdu);
    m->psdu_len = PLC_MAC_SEGCTL_LEN + len;
    m->psdu_fcs = f.fcs;
    m->want_ack = f.ack_request;
    m->seq++;
    return PLC_OK;
}

static void finish(plc_mac *m, int status)
{
    mac_item *it = mac_head(m);
    plc_timer_stop(m->loop, &m->t_tx);
    mac_csma_cancel(m);
    if (it->kind == ITEM_DATA) {
        if (status == PLC_MAC_SUCCESS)
            m->cnt.tx_msdu_ok++;
        else
            m->cnt.tx_msdu_failed++;
    }
    if (status == PLC_MAC_NO_ACK && item_join(m, it)) {
        /* the reverse link misjudged it, or interference hit it: that peer in ROBO for a
         * while (also after a failure in ROBO: the link is poor). The retries stayed in the
         * modulation the MSDU began with, as every MSDU's do: a missing ACK in a busy cell is
         * mostly a collision, and a frame five times longer meets more of them (switching to
         * ROBO at the first retry made the 1000-meter read round 5-10% slower) */
        m->cnt.join_link_failed += m->mod != PLC_MOD_ROBO;
        mac_nb_join_failed(m, join_key(it));
    } else if (status == PLC_MAC_NO_ACK && !item_join(m, it)) {
        plc_mac_neighbour *n = mac_nb_find(m, it->dst);
        if (n) { /* failing: back to ROBO until a new tone map arrives */
            n->tx_failures++;
            n->tonemap_valid_until = 0;
        }
    }
    const uint8_t handle = it->handle;
    const int data = it->kind == ITEM_DATA;
    m->q_head = (m->q_head + 1) % m->pib.queue_size;
    m->q_len--;
    m->state = TX_IDLE;
    if (data && m->cb.confirm) /* the confirm may queue the next request */
        m->cb.confirm(m->cb.user, handle, status);
    mac_output_start_next(m);
}

static void start_tx_timer(plc_mac *m, uint64_t delay)
{
    if (plc_timer_start_in(m->loop, &m->t_tx, delay) != PLC_OK) {
        m->cnt.timer_failures++;
        finish(m, PLC_ERR_FULL);
    }
}

static void segment_sent(plc_mac *m)
{
    m->seg_index++;
    if (m->seg_index == m->seg_count) {
        finish(m, PLC_MAC_SUCCESS);
        return;
    }
    const int rc = build_segment(m);
    if (rc != PLC_OK) {
        finish(m, rc);
        return;
    }
    m->retries = 0;
    m->state = TX_CFS_WAIT;
    start_tx_timer(m, PLC_MAC_CIFS_US);
}

static void transmit(plc_mac *m)
{
    const plc_tx_request rq = {
        .mod = m->mod,
        .tonemap = m->tonemap,
        .dt = m->want_ack ? PLC_DT_SOF_RESPONSE : PLC_DT_SOF_NO_RESPONSE,
    };
    const int rc = m->phy.ops->tx_request(m->phy.phy, &rq, m->psdu, m->psdu_len, PLC_PHY_NOW);
    if (rc == PLC_ERR_BUSY) { /* our own ACK is going out: contend again after it */
        m->state = TX_CSMA;
        mac_csma_request(m, mac_head(m)->high_priority);
        return;
    }
    if (rc != PLC_OK) { /* a frame the PHY cannot send will never go: say so */
        m->cnt.phy_refused++;
        finish(m, PLC_MAC_PHY_REFUSED);
        return;
    }
    m->state = TX_SENDING;
    m->cnt.tx_frames++;
    plc_mac_neighbour *nbr = mac_nb_find(m, mac_head(m)->dst);
    if (nbr)
        nbr->tx_frames++;
    if (m->cb.tap)
        m->cb.tap(m->cb.user, m->psdu + PLC_MAC_SEGCTL_LEN, m->psdu_len - PLC_MAC_SEGCTL_LEN, 1);
}

static void retry(plc_mac *m)
{
    m->retries++;
    if (m->retries > m->pib.max_frame_retries) {
        finish(m, PLC_MAC_NO_ACK);
        return;
    }
    m->cnt.tx_retries++;
    plc_mac_neighbour *n = mac_nb_find(m, mac_head(m)->dst);
    if (n)
        n->tx_retries++;
    m->state = TX_CSMA;
    mac_csma_request(m, mac_head(m)->high_priority);
}

void mac_output_channel_clear(plc_mac *m)
{
    if (m->state == TX_CSMA)
        transmit(m);
}

void mac_output_channel_failure(plc_mac *m, int status)
{
    if (m->state == TX_CSMA)
        finish(m, status);
}

static void on_tx_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_mac *m = user;
    if (m->state == TX_CFS_WAIT) {
        if (mac_medium_busy(m)) { /* someone took the slot: contend */
            m->state = TX_CSMA;
            mac_csma_request(m, mac_head(m)->high_priority);
        } else {
            transmit(m);
        }
    } else if (m->state == TX_WAIT_ACK) {
        retry(m);
    }
}

void mac_output_phy_confirm(plc_mac *m, int status)
{
    if (m->state != TX_SENDING)
        return;
    if (status != PLC_OK) {
        m->cnt.phy_refused++;
        finish(m, PLC_MAC_PHY_REFUSED);
    } else if (m->want_ack) {
        m->state = TX_WAIT_ACK;
        const uint64_t latency = m->phy.ops->latency_us ? m->phy.ops->latency_us(m->phy.phy) : 0;
        start_tx_timer(m, PLC_MAC_ACK_WAIT_US + 2 * latency);
    } else {
        segment_sent(m);
    }
}

void mac_output_ack(plc_mac *m, uint8_t dt, uint16_t fcs)
{
    if (m->state != TX_WAIT_ACK || fcs != m->psdu_fcs)
        return;
    plc_timer_stop(m->loop, &m->t_tx);
    if (dt == PLC_DT_ACK) {
        segment_sent(m);
    } else {
        m->cnt.nacks_received++;
        retry(m);
    }
}

/* Sets up the MSDU at the head of the queue: link parameters, segments, first PSDU. */
void mac_output_start_next(plc_mac *m)
{
    if (m->state != TX_IDLE || m->q_len == 0)
        return;
    mac_item *it = mac_head(m);
    plc_mac_neighbour *n = it->dst == PLC_MAC_BROADCAST || item_join(m, it)
                               ? NULL : mac_nb_get(m, it->dst);
    m->mod = PLC_MOD_ROBO;
    m->tonemap = PLC_TONEMAP_ALL;
    m->tmr = 0;
    if (it->kind == ITEM_DATA && n) {
        if (mac_nb_tonemap_valid(m, n)) {
            m->mod = n->mod;
            m->tonemap = n->tonemap;
            /* ask again ahead of expiry so the map never lapses on a busy link, and soon
             * when the map says ROBO: one frame hit by a collision may have caused it */
            const uint64_t ttl = (uint64_t)m->pib.tonemap_ttl_s * 1000000u;
            const uint64_t left = n->tonemap_valid_until - mac_now(m);
            m->tmr = left < ttl / 2 || (n->mod == PLC_MOD_ROBO && ttl - left > ROBO_RECHECK_US);
        } else {
            m->tmr = 1;
        }
    } else if (it->kind == ITEM_DATA && it->dst != PLC_MAC_BROADCAST) {
        plc_mac_link_choice c;
        if (mac_nb_join_link(m, join_key(it), &c)) {
            m->mod = c.mod;
            m->tonemap = c.tonemap;
            m->cnt.join_link_sent++;
        }
    }
    const int secured = item_secured(m, it);
    if (secured && !plc_mac_sec_has_key(m->sec, m->pib.key_index)) {
        finish(m, PLC_MAC_UNAVAILABLE_KEY);
        return;
    }
    plc_mac_frame f;
    frame_header(m, it, secured, &f);
    const size_t overhead = PLC_MAC_SEGCTL_LEN + plc_mac_header_len(&f) +
                            (secured ? PLC_MAC_MIC_LEN : 0) + PLC_MAC_FCS_LEN;
    size_t cap = psdu_capacity(m, m->mod, m->tonemap);
    if (!cap) { /* the tone map leaves no carrier under the mask: ROBO on all */
        m->mod = PLC_MOD_ROBO;
        m->tonemap = PLC_TONEMAP_ALL;
        cap = psdu_capacity(m, m->mod, m->tonemap);
    }
    m->seg_room = cap > overhead ? cap - overhead : 0;
    m->seg_count = m->seg_room ? (unsigned)((it->len + m->seg_room - 1) / m->seg_room) : 0;
    if (m->seg_count == 0 || m->seg_count > 64) {
        finish(m, PLC_MAC_MSDU_TOO_LONG);
        return;
    }
    m->seg_index = 0;
    m->retries = 0;
    const int rc = build_segment(m);
    if (rc != PLC_OK) {
        finish(m, rc);
        return;
    }
    m->state = TX_CSMA;
    mac_csma_request(m, it->high_priority);
}

void mac_output_init(plc_mac *m)
{
    plc_timer_init(&m->t_tx, on_tx_timer, m);
}
