/* Receive side. A frame is checked in this order, and only a frame that passed every check
 * changes any state (neighbour table, anti-replay, duplicates, reassembly, tone maps):
 * header-only failure (EIFS), ACK/NACK, FCS and format, addressing, duplicate (ACKed
 * again), key, freshness of the frame counter, MIC, security policy, room in reassembly.
 * A unicast frame is acknowledged aRIFS after its end only when all of that passed, and
 * NACKed when it arrived intact but cannot be taken (no key, MIC wrong, unsecured while
 * security is on, no reassembly room, out of order): the sender retries or fails, it is
 * never told SUCCESS for an MSDU dropped here. A replay gets no answer. */
#include <string.h>

#include "plc_mac_internal.h"
#include "plc_mac_tonemap.h"

/* After CIFS the next segment of a train starts; nodes that heard an earlier segment stay
 * off until the PHY has had time to sense it (carrier sense takes about 1.4 slots). */
#define CFS_GUARD_US (2 * PLC_MAC_SLOT_US)

/* ---- ACK / NACK ---- */
static void on_ack_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    plc_mac *m = user;
    m->ack_pending = 0;
    const plc_tx_request rq = {.mod = PLC_MOD_ROBO, .tonemap = PLC_TONEMAP_ALL,
                               .dt = m->ack_dt, .ack_fcs = m->ack_fcs};
    if (m->phy.ops->tx_request(m->phy.phy, &rq, NULL, 0, t->due_us) != PLC_OK) {
        m->cnt.acks_not_sent++; /* the PHY was busy or late: the sender retries */
        return;
    }
    m->sending_ack = 1;
    if (m->ack_dt == PLC_DT_ACK)
        m->cnt.tx_acks++;
    else
        m->cnt.tx_nacks++;
}

/* Answers aRIFS after the frame's last sample left the line. */
static void send_ack(plc_mac *m, uint8_t dt, uint16_t fcs, const plc_phy_rx_ind *ind)
{
    const uint64_t t = mac_now(m);
    uint64_t due = (ind->end_us ? ind->end_us : t) + PLC_MAC_RIFS_US;
    if (due < t)
        due = t;
    m->ack_dt = dt;
    m->ack_fcs = fcs;
    if (plc_timer_start_at(m->loop, &m->t_ack, due) != PLC_OK) {
        m->cnt.timer_failures++; /* the sender retries */
        return;
    }
    m->ack_pending = 1;
}

int mac_input_ack_confirm(plc_mac *m)
{
    if (!m->sending_ack)
        return 0;
    m->sending_ack = 0;
    return 1;
}

/* ---- duplicates ---- */
static int dup_seen(const plc_mac *m, uint16_t src, uint8_t seq)
{
    const uint64_t t = mac_now(m), ttl = (uint64_t)m->pib.duplicate_ttl_ms * 1000u;
    for (unsigned i = 0; i < m->n_dups; i++) {
        const mac_dup *d = &m->dups[i];
        if (d->used && d->src == src && d->seq == seq && t - d->t < ttl)
            return 1;
    }
    return 0;
}

static void dup_record(plc_mac *m, uint16_t src, uint8_t seq)
{
    m->dups[m->dup_next] = (mac_dup){src, seq, mac_now(m), 1};
    m->dup_next = (m->dup_next + 1) % m->n_dups;
}

/* ---- reassembly ---- */
static void on_train_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mac_train *r = user;
    r->used = 0;
    r->mac->cnt.reassembly_timeouts++;
}

/* One train per short source; the EUI-64 sources of join traffic share one [R]. */
static uint16_t train_src(const plc_mac_frame *f)
{
    return f->src.mode == PLC_MAC_ADDR_EXT ? PLC_MAC_NO_SHORT : f->src.short_addr;
}

static mac_train *train_of(plc_mac *m, uint16_t src)
{
    for (unsigned i = 0; i < m->pib.reassembly_trains; i++)
        if (m->trains[i].used && m->trains[i].src == src)
            return &m->trains[i];
    return NULL;
}

/* The train a data segment goes to (NULL for a single-segment MSDU); *ok 0 when it cannot
 * be taken. Nothing changes here. */
static mac_train *train_for(plc_mac *m, const plc_mac_frame *f, size_t len, int *ok)
{
    *ok = 1;
    if (f->seg.sc == 0 && f->seg.lsf)
        return NULL;
    mac_train *r = train_of(m, train_src(f));
    if (f->seg.sc == 0) {
        for (unsigned i = 0; i < m->pib.reassembly_trains && !r; i++)
            if (!m->trains[i].used)
                r = &m->trains[i];
        *ok = r != NULL;
        return r;
    }
    *ok = r && f->seg.sc == r->next_sc && r->len + len <= PLC_MAC_MAX_MSDU;
    return r;
}

static void deliver(plc_mac *m, const plc_mac_frame *f, const plc_phy_rx_ind *ind,
                    const uint8_t *msdu, size_t len, int secured)
{
    m->cnt.rx_msdu++;
    if (!m->cb.indication)
        return;
    const plc_mac_data_indication di = {
        .src = f->src.mode == PLC_MAC_ADDR_EXT ? PLC_MAC_NO_SHORT : f->src.short_addr,
        .dst = f->dst.mode == PLC_MAC_ADDR_EXT ? PLC_MAC_NO_SHORT : f->dst.short_addr,
        .src_ext = f->src.mode == PLC_MAC_ADDR_EXT ? f->src.ext : 0,
        .dst_ext = f->dst.mode == PLC_MAC_ADDR_EXT ? f->dst.ext : 0,
        .msdu = msdu,
        .len = len,
        .lqi = ind->lqi,
        .snr_db = ind->snr_db,
        .secured = secured,
        .mod = ind->mod,
    };
    m->cb.indication(m->cb.user, &di);
}

static void reassemble(plc_mac *m, mac_train *r, const plc_mac_frame *f,
                       const plc_phy_rx_ind *ind, const uint8_t *data, size_t len, int secured)
{
    if (!r) {
        deliver(m, f, ind, data, len, secured);
        return;
    }
    if (f->seg.sc == 0) {
        r->used = 1;
        r->src = train_src(f);
        r->next_sc = 0;
        r->len = 0;
        r->secured = secured;
        plc_timer_start_in(m->loop, &r->timeout, (uint64_t)m->pib.reassembly_timeout_ms * 1000u);
    }
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->next_sc++;
    r->secured &= secured;
    if (f->seg.lsf) {
        r->used = 0;
        plc_timer_stop(m->loop, &r->timeout);
        deliver(m, f, ind, r->buf, r->len, r->secured);
    }
}

/* ---- commands ---- */
static void queue_tonemap_response(plc_mac *m, uint16_t to, const plc_mac_neighbour *n,
                                   const plc_phy_rx_ind *ind)
{
    float snr[PLC_PHY_CARRIERS];
    if (n && n->snr_frames) {
        mac_nb_snr_estimate(n, snr);
    } else {
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
            snr[c] = ind->carrier_snr_db ? ind->carrier_snr_db[c] : ind->snr_db;
    }
    const plc_mac_link_choice c = plc_mac_tonemap_choose(snr, PLC_MAC_TONEMAP_MARGIN_DB);
    const plc_mac_tonemap_response r = {.mod = (uint8_t)c.mod, .tonemap = c.tonemap,
                                        .lqi = ind->lqi};
    mac_item it = {.kind = ITEM_TONEMAP_RESPONSE, .dst = to, .high_priority = 1,
                   .len = 1 + PLC_MAC_TONEMAP_RESPONSE_LEN};
    it.data[0] = PLC_MAC_CMD_TONEMAP_RESPONSE;
    plc_mac_tonemap_response_encode(&r, it.data + 1);
    /* one pending response per neighbour is enough: replace a queued one */
    for (unsigned i = 1; i < m->q_len; i++) {
        mac_item *q = &m->q[(m->q_head + i) % m->pib.queue_size];
        if (q->kind == ITEM_TONEMAP_RESPONSE && q->dst == to) {
            *q = it;
            return;
        }
    }
    mac_enqueue(m, &it);
}

static void handle_command(plc_mac *m, const plc_mac_frame *f, const uint8_t *p, size_t len)
{
    if (len == 0) {
        m->cnt.malformed++;
        return;
    }
    if (p[0] == PLC_MAC_CMD_TONEMAP_RESPONSE && f->src.mode == PLC_MAC_ADDR_SHORT) {
        plc_mac_tonemap_response r;
        if (plc_mac_tonemap_response_decode(p + 1, len - 1, &r) != PLC_OK) {
            m->cnt.malformed++;
            return;
        }
        if (m->pib.security_enabled && !f->security) {
            m->cnt.tonemap_unauthenticated++; /* only an authenticated peer sets our link */
            return;
        }
        plc_mac_neighbour *n = mac_nb_get(m, f->src.short_addr);
        n->mod = (plc_modulation)r.mod;
        n->tonemap = r.tonemap;
        n->tonemap_valid_until = mac_now(m) + (uint64_t)m->pib.tonemap_ttl_s * 1000000u;
        m->cnt.tonemap_responses++;
    } else if (p[0] == PLC_MAC_CMD_BEACON_REQUEST && len == 1) {
        if (m->pib.rc_coord < PLC_MAC_RC_NONE && m->pib.short_addr != 0xFFFF &&
            !plc_timer_pending(&m->t_beacon)) {
            m->beacons_heard = 0;
            const uint64_t j = m->pib.rc_coord == 0 ? 0 : (plc_rng_next(&m->rng) >> 11) % MAC_BEACON_JITTER_US;
            plc_timer_start_in(m->loop, &m->t_beacon, j);
        }
    } else {
        m->cnt.malformed++; /* a command this MAC does not know */
    }
}

/* ---- the receive path ---- */
void mac_input_rx(plc_mac *m, const plc_phy_rx_ind *ind)
{
    const uint64_t t = mac_now(m);
    const uint64_t end = ind->end_us && ind->end_us < t ? ind->end_us : t;
    if (ind->status != PLC_PHY_RX_OK) {
        m->cnt.rx_payload_failed++;
        mac_nav_extend(m, end + PLC_MAC_EIFS_US); /* an ACK we cannot match may follow */
        return;
    }
    if (ind->dt == PLC_DT_ACK || ind->dt == PLC_DT_NACK) {
        mac_output_ack(m, ind->dt, ind->ack_fcs);
        return;
    }
    plc_mac_frame f;
    const int st = plc_mac_psdu_decode(ind->psdu, ind->psdu_len, &f);
    if (st == PLC_MAC_FRAME_FCS) {
        m->cnt.fcs_errors++;
        mac_nav_extend(m, end + PLC_MAC_EIFS_US);
        return;
    }
    if (st != PLC_OK) {
        m->cnt.malformed++;
        return;
    }
    if (m->cb.tap)
        m->cb.tap(m->cb.user, ind->psdu + PLC_MAC_SEGCTL_LEN, f.seg.sl, 0);
    const int short_src = f.src.mode == PLC_MAC_ADDR_SHORT;
    if (short_src && f.src.short_addr != m->pib.short_addr)
        mac_csma_heard(m, f.src.short_addr);
    if (!f.seg.lsf) /* the train's next segment follows in the contention-free slot */
        mac_nav_extend(m, end + (f.ack_request ? PLC_MAC_RIFS_US + PLC_MAC_ACK_US : 0) +
                              PLC_MAC_CIFS_US + CFS_GUARD_US);
    const int to_me = (f.dst.mode == PLC_MAC_ADDR_SHORT && f.dst.short_addr == m->pib.short_addr &&
                       m->pib.short_addr != 0xFFFF) ||
                      (f.dst.mode == PLC_MAC_ADDR_EXT && f.dst.ext == m->pib.ext_addr &&
                       m->pib.ext_addr);
    /* join traffic (plc_mac.h): in clear, filtered by the upper layer */
    const int join = f.dst.mode == PLC_MAC_ADDR_EXT || f.src.mode == PLC_MAC_ADDR_EXT;
    const int broadcast = f.dst.mode == PLC_MAC_ADDR_NONE ||
                          (f.dst.mode == PLC_MAC_ADDR_SHORT && f.dst.short_addr == 0xFFFF);
    const int pan_ok = f.dst.mode == PLC_MAC_ADDR_NONE || f.dst_pan == m->pib.pan_id ||
                       f.dst_pan == 0xFFFF;
    if (!pan_ok || (!to_me && !broadcast)) {
        /* overheard: stay off the medium for the rest of that exchange */
        if (f.ack_request)
            mac_nav_extend(m, end + PLC_MAC_RIFS_US + PLC_MAC_ACK_US);
        return;
    }
    m->cnt.rx_frames++;
    const int ack = f.ack_request && to_me;
    /* duplicates by (source, sequence); an EUI-64 source (join traffic) by a 16-bit fold of
     * it with the top bit set, apart from every unicast short address [R] */
    const uint16_t dup_src = short_src ? f.src.short_addr : mac_nb_ext_key(f.src.ext);
    if (f.src.mode != PLC_MAC_ADDR_NONE && dup_seen(m, dup_src, f.seq)) {
        m->cnt.duplicates++; /* our ACK was lost: acknowledge again, deliver nothing */
        if (ack)
            send_ack(m, PLC_DT_ACK, f.fcs, ind);
        return;
    }
    const uint8_t *data = f.payload;
    size_t len = f.payload_len;
    uint64_t nonce_src = 0;
    if (f.security) {
        if (!plc_mac_sec_has_key(m->sec, f.key_index)) {
            m->cnt.no_key++;
            if (ack)
                send_ack(m, PLC_DT_NACK, f.fcs, ind);
            return;
        }
        nonce_src = mac_nonce_addr(&f);
        const int fresh = mac_replay_check(m, nonce_src, f.frame_counter);
        if (fresh == MAC_REPLAY_OLD) {
            m->cnt.replays++; /* an old frame played again: no answer */
            return;
        }
        const uint8_t *mhr = ind->psdu + PLC_MAC_SEGCTL_LEN;
        if (mac_sec_unprotect(m, &f, mhr, m->rx_scratch, &len) != PLC_OK) {
            m->cnt.decryption_errors++;
            if (ack)
                send_ack(m, PLC_DT_NACK, f.fcs, ind);
            return;
        }
        if (fresh == MAC_REPLAY_REPEAT) { /* the last frame accepted, retried late */
            m->cnt.duplicates++;
            if (ack)
                send_ack(m, PLC_DT_ACK, f.fcs, ind);
            return;
        }
        data = m->rx_scratch;
    } else if (m->pib.security_enabled && f.type == PLC_MAC_DATA && !join) {
        m->cnt.unsecured_refused++; /* policy: data must be secured */
        if (ack)
            send_ack(m, PLC_DT_NACK, f.fcs, ind);
        return;
    }
    if (f.type == PLC_MAC_DATA && len == 0) {
        m->cnt.malformed++; /* a data frame without data (possible in clear): nothing to give */
        return;
    }
    int room = 1;
    mac_train *train = f.type == PLC_MAC_DATA ? train_for(m, &f, len, &room) : NULL;
    if (!room) {
        m->cnt.reassembly_refused++; /* not ACKed: the sender retries or fails honestly */
        if (ack)
            send_ack(m, PLC_DT_NACK, f.fcs, ind);
        return;
    }
    /* accepted: from here on the frame changes state */
    if (f.security)
        mac_replay_accept(m, nonce_src, f.frame_counter);
    if (f.src.mode != PLC_MAC_ADDR_NONE)
        dup_record(m, dup_src, f.seq);
    const int trusted = f.security || !m->pib.security_enabled;
    plc_mac_neighbour *n = short_src && trusted ? mac_nb_get(m, f.src.short_addr) : NULL;
    if (n) {
        n->lqi = ind->lqi;
        n->last_heard = t;
        if (ind->carrier_snr_db)
            mac_nb_snr_record(m, n, ind->carrier_snr_db);
    }
    /* the join hop's link is chosen from the reverse link: keep the SNR of a joining
     * device's frames to us, and, while we join, of our neighbours' frames */
    if (ind->carrier_snr_db && !n && f.type != PLC_MAC_COMMAND &&
        ((join && to_me && !short_src) || (short_src && m->pib.short_addr == 0xFFFF))) {
        plc_mac_neighbour *j = mac_nb_get(m, short_src ? f.src.short_addr
                                                       : mac_nb_ext_key(f.src.ext));
        j->last_heard = t;
        mac_nb_snr_record(m, j, ind->carrier_snr_db);
    }
    if (ack)
        send_ack(m, PLC_DT_ACK, f.fcs, ind);
    if (f.seg.tmr && to_me && n)
        queue_tonemap_response(m, f.src.short_addr, n, ind);
    switch (f.type) {
    case PLC_MAC_DATA:
        reassemble(m, train, &f, ind, data, len, f.security);
        break;
    case PLC_MAC_COMMAND:
        handle_command(m, &f, data, len);
        break;
    case PLC_MAC_BEACON: {
        uint16_t rc;
        if (!short_src || plc_mac_beacon_decode(data, len, &rc) != PLC_OK)
            m->cnt.malformed++;
        else {
            if (rc <= m->pib.rc_coord)
                m->beacons_heard++; /* a neighbour as good answered: ours may not be needed */
            if (m->cb.beacon)
                m->cb.beacon(m->cb.user, f.src.short_addr, rc, ind->lqi);
        }
        break;
    }
    default:
        break;
    }
}

/* ---- PHY callbacks ---- */
static void on_phy_rx(void *user, const plc_phy_rx_ind *ind)
{
    mac_input_rx(user, ind);
}

static void on_phy_confirm(void *user, int status)
{
    plc_mac *m = user;
    if (!mac_input_ack_confirm(m))
        mac_output_phy_confirm(m, status);
}

/* The answer to a beacon request, unless enough neighbours as good answered first. The
 * coordinator always answers at once. */
static void on_beacon_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_mac *m = user;
    if (m->pib.rc_coord != 0 && m->beacons_heard >= MAC_BEACON_REDUNDANCY) {
        m->cnt.beacons_suppressed++;
        return;
    }
    plc_mac_beacon_send(m);
}

void mac_input_init(plc_mac *m)
{
    plc_timer_init(&m->t_ack, on_ack_timer, m);
    plc_timer_init(&m->t_beacon, on_beacon_timer, m);
    for (unsigned i = 0; i < m->pib.reassembly_trains; i++) {
        m->trains[i].mac = m;
        plc_timer_init(&m->trains[i].timeout, on_train_timeout, &m->trains[i]);
    }
    const plc_phy_user u = {.rx_indication = on_phy_rx, .tx_confirm = on_phy_confirm, .user = m};
    m->phy.ops->set_user(m->phy.phy, &u);
}

void mac_input_fini(plc_mac *m)
{
    plc_timer_stop(m->loop, &m->t_ack);
    plc_timer_stop(m->loop, &m->t_beacon);
    for (unsigned i = 0; i < m->pib.reassembly_trains; i++)
        plc_timer_stop(m->loop, &m->trains[i].timeout);
}
