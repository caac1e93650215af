#include "plc_mac.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_mac_tonemap.h"
#include "plc_rng.h"

#define QUEUE 8          /* MSDUs waiting, the one in progress included */
#define DUPS 32          /* (source, sequence) pairs remembered */
#define REASM 4          /* segment trains reassembled at once */
#define ACK_MARGIN_US (2 * PLC_MAC_SLOT_US) /* ACK decoding latency of the receiver */
/* Contention window: slots per node contending ([R] choice, docs/mac.md). With the
 * countdown frozen while others send, the winner idles about this many slots, and two
 * countdowns ending within the carrier-sense delay (about 1.4 slots) collide with a
 * probability of roughly 2 / SLOTS_PER_CONTENDER. */
#define SLOTS_PER_CONTENDER 16u
/* After CIFS the next segment of a train starts; nodes that heard an earlier segment stay
 * off until the PHY has had time to sense it (carrier sense takes about 1.4 slots). */
#define CFS_GUARD_US (2 * PLC_MAC_SLOT_US)
#define ROBO_RECHECK_US 5000000u /* a ROBO tone map is asked again after this */
#define SNR_MAX_AGE_US 10000000u  /* a link's SNR history older than this is dropped */
#define TALKERS 64               /* sources of recently heard frames remembered */
#define TALKER_ACTIVE_US 10000000u /* a source heard this recently still contends */

typedef enum { ITEM_DATA, ITEM_TONEMAP_RESPONSE, ITEM_BEACON_REQUEST, ITEM_BEACON } item_kind;

typedef struct item {
    item_kind kind;
    uint16_t dst;
    uint8_t handle;
    int high_priority;
    size_t len;
    uint8_t data[PLC_MAC_MAX_MSDU];
} item;

typedef enum { IDLE, BACKOFF, DEFER, DEFER_CIFS, CFS_WAIT, SENDING, WAIT_ACK } tx_state;

typedef struct dup_entry {
    uint16_t src;
    uint8_t seq;
    uint64_t t;
    int used;
} dup_entry;

typedef struct reasm {
    struct plc_mac *mac;
    uint16_t src;
    uint8_t next_sc;
    int secured;
    size_t len;
    uint8_t buf[PLC_MAC_MAX_MSDU];
    plc_timer timeout;
    int used;
} reasm;

struct plc_mac {
    plc_mac_pib pib;
    plc_loop *loop;
    plc_phy_service phy;
    plc_mac_sec *sec;
    plc_mac_callbacks cb;
    plc_rng rng;
    plc_mac_counters cnt;
    plc_mac_neighbour nb[PLC_MAC_MAX_NEIGHBOURS];
    unsigned n_nb;
    /* transmit side */
    item q[QUEUE];
    unsigned q_head, q_len;
    tx_state state;
    unsigned csma_nb, retries;
    struct { uint16_t addr; uint64_t t; } talkers[TALKERS]; /* sources heard, when */
    unsigned slots_left;   /* backoff countdown, frozen while the medium is busy */
    unsigned seg_index, seg_count;
    size_t seg_room;       /* MSDU bytes per segment */
    plc_modulation mod;
    uint8_t tonemap;
    int tmr;               /* ask for a tone map with this MSDU */
    uint8_t seq;
    uint32_t frame_counter;
    uint8_t psdu[255];
    size_t psdu_len;
    uint16_t psdu_fcs;
    int want_ack;
    plc_timer t_tx;        /* backoff, contention-free slot, ACK timeout */
    /* ACK / NACK to send */
    plc_timer t_ack;
    uint8_t ack_dt;
    uint16_t ack_fcs;
    int ack_pending, sending_ack;
    uint64_t nav_until;    /* virtual carrier sense, loop us */
    /* receive side */
    dup_entry dups[DUPS];
    unsigned dup_next;
    reasm re[REASM];
    uint8_t tx_scratch[256], rx_scratch[256];
};

void plc_mac_pib_default(plc_mac_pib *pib)
{
    memset(pib, 0, sizeof(*pib));
    pib->pan_id = 0x781D;
    pib->short_addr = 0xFFFF;
    pib->min_be = 3;
    pib->max_be = 8;
    pib->max_csma_backoffs = 50;
    pib->max_frame_retries = 5;
    pib->high_priority_window = 7;
    pib->tonemap_ttl_s = 120;
    pib->reassembly_timeout_ms = 3000;
    pib->duplicate_ttl_ms = 5000;
    pib->rc_coord = 0xFFFF;
}

const char *plc_mac_status_name(int status)
{
    switch (status) {
    case PLC_MAC_SUCCESS: return "success";
    case PLC_MAC_NO_ACK: return "no ack";
    case PLC_MAC_CHANNEL_ACCESS_FAILURE: return "channel access failure";
    case PLC_MAC_TRANSACTION_OVERFLOW: return "transaction overflow";
    case PLC_MAC_INVALID_PARAMETER: return "invalid parameter";
    case PLC_MAC_MSDU_TOO_LONG: return "MSDU too long for 64 segments";
    case PLC_MAC_UNAVAILABLE_KEY: return "unavailable key";
    default: return "unknown status";
    }
}

static uint64_t now(const plc_mac *m)
{
    return plc_loop_now_us(m->loop);
}

/* ---- neighbour table ---- */
static plc_mac_neighbour *nb_find(plc_mac *m, uint16_t a)
{
    for (unsigned i = 0; i < m->n_nb; i++)
        if (m->nb[i].short_addr == a)
            return &m->nb[i];
    return NULL;
}

static plc_mac_neighbour *nb_get(plc_mac *m, uint16_t a)
{
    plc_mac_neighbour *n = nb_find(m, a);
    if (n || a == PLC_MAC_BROADCAST)
        return n;
    if (m->n_nb == PLC_MAC_MAX_NEIGHBOURS)
        return NULL; /* full: the link works in ROBO without anti-replay state kept */
    n = &m->nb[m->n_nb++];
    memset(n, 0, sizeof(*n));
    n->short_addr = a;
    n->mod = PLC_MOD_ROBO;
    n->tonemap = PLC_TONEMAP_ALL;
    return n;
}

const plc_mac_neighbour *plc_mac_neighbour_get(const plc_mac *m, uint16_t short_addr)
{
    return nb_find((plc_mac *)m, short_addr);
}

static int tonemap_valid(const plc_mac *m, const plc_mac_neighbour *n)
{
    return n && n->tonemap_valid_until > now(m);
}

/* ---- building frames ---- */
static size_t psdu_capacity(plc_modulation mod, uint8_t tonemap)
{
    uint8_t idx[PLC_PHY_CARRIERS];
    const unsigned carriers = plc_active_carriers(tonemap, PLC_TONEMASK_ALL, idx);
    plc_payload_layout lay;
    if (!carriers ||
        plc_payload_layout_for_fl(mod, carriers, PLC_PHY_MAX_SYMBOLS / 4, &lay) != PLC_OK)
        return 0;
    return lay.capacity;
}

static void frame_header(const plc_mac *m, const item *it, int secured, plc_mac_frame *f)
{
    memset(f, 0, sizeof(*f));
    f->seq = m->seq;
    f->src.mode = PLC_MAC_ADDR_SHORT;
    f->src.short_addr = m->pib.short_addr;
    f->dst.mode = PLC_MAC_ADDR_SHORT;
    f->dst.short_addr = it->dst;
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
        f->frame_counter = m->frame_counter;
    }
}

static int item_secured(const plc_mac *m, const item *it)
{
    return it->kind == ITEM_DATA && m->pib.security_enabled;
}

static uint64_t nonce_addr(const plc_mac_frame *f)
{
    return f->src.mode == PLC_MAC_ADDR_EXT ? f->src.ext
                                           : plc_mac_nonce_addr_short(f->src_pan, f->src.short_addr);
}

/* The PSDU of segment seg_index of the item at the head of the queue. */
static int build_segment(plc_mac *m)
{
    const item *it = &m->q[m->q_head];
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
    if (secured) {
        uint8_t hdr[PLC_MAC_MAX_HEADER], nonce[PLC_MAC_NONCE_LEN];
        size_t hl;
        if (plc_mac_header_encode(&f, hdr, sizeof(hdr), &hl) != PLC_MAC_FRAME_OK)
            return PLC_ERR_ARG;
        plc_mac_nonce(nonce_addr(&f), f.frame_counter, f.sec_level, nonce);
        if (plc_mac_sec_encrypt(m->sec, f.key_index, nonce, sizeof(nonce), hdr, hl, payload, n,
                                payload + n, PLC_MAC_MIC_LEN) != PLC_OK)
            return PLC_ERR_ARG;
        plen += PLC_MAC_MIC_LEN;
        m->frame_counter++;
    }
    f.payload = payload;
    f.payload_len = plen;
    size_t len;
    if (plc_mac_frame_encode(&f, m->psdu + PLC_MAC_SEGCTL_LEN,
                             sizeof(m->psdu) - PLC_MAC_SEGCTL_LEN, &len) != PLC_MAC_FRAME_OK)
        return PLC_ERR_ARG;
    f.seg.sl = (uint16_t)len;
    plc_mac_segctl_write(&f.seg, m->psdu);
    m->psdu_len = PLC_MAC_SEGCTL_LEN + len;
    m->psdu_fcs = f.fcs;
    m->want_ack = f.ack_request;
    m->seq++;
    return PLC_OK;
}

/* ---- transmit state machine ---- */
static void start_next(plc_mac *m);

/* Virtual carrier sense: the medium counts as busy until `until` (never shortened). */
static void nav_extend(plc_mac *m, uint64_t until)
{
    if (until > m->nav_until)
        m->nav_until = until;
}

static int medium_busy(plc_mac *m)
{
    return m->ack_pending || now(m) < m->nav_until || m->phy.ops->busy(m->phy.phy);
}

/* Remembers that `src` just sent a frame (replacing the source heard longest ago). */
static void talker_heard(plc_mac *m, uint16_t src)
{
    unsigned slot = 0;
    for (unsigned i = 0; i < TALKERS; i++) {
        if (m->talkers[i].t && m->talkers[i].addr == src) {
            slot = i;
            break;
        }
        if (m->talkers[i].t < m->talkers[slot].t)
            slot = i;
    }
    m->talkers[slot].addr = src;
    m->talkers[slot].t = now(m) + 1; /* 0 marks a free entry */
}

/* Nodes contending: this one and every source heard in the last TALKER_ACTIVE_US. Every
 * node in range hears the same talkers, so all draw from the same window (a node's own
 * deferral count would not do: the node that wins more often defers less, shrinks its
 * window and wins more still). */
static unsigned contenders(const plc_mac *m)
{
    const uint64_t t = now(m);
    unsigned n = 1;
    for (unsigned i = 0; i < TALKERS; i++)
        n += m->talkers[i].t && t + 1 - m->talkers[i].t < TALKER_ACTIVE_US;
    return n;
}

/* The normal-priority contention window in slots: 2^macMinBE, or SLOTS_PER_CONTENDER per
 * node contending when more, doubled per retry, at most 2^macMaxBE. */
static unsigned contention_window(const plc_mac *m)
{
    uint64_t cw = (uint64_t)SLOTS_PER_CONTENDER * contenders(m);
    if (cw < 1u << m->pib.min_be)
        cw = 1u << m->pib.min_be;
    cw <<= m->retries < 16 ? m->retries : 16;
    return cw < 1u << m->pib.max_be ? (unsigned)cw : 1u << m->pib.max_be;
}

/* Waits for the medium: polled once a slot while the PHY hears a frame, woken at the end
 * of the NAV when only that holds it; the countdown starts CIFS and the contention-free
 * slot (kept for the next segment of a train) after the medium went idle. */
static void defer(plc_mac *m)
{
    m->state = DEFER;
    if (!medium_busy(m)) {
        m->state = DEFER_CIFS;
        plc_timer_start_in(m->loop, &m->t_tx, PLC_MAC_CIFS_US + PLC_MAC_SLOT_US);
    } else if (!m->ack_pending && !m->phy.ops->busy(m->phy.phy)) {
        plc_timer_start_at(m->loop, &m->t_tx, m->nav_until);
    } else {
        plc_timer_start_in(m->loop, &m->t_tx, PLC_MAC_SLOT_US);
    }
}

/* Starts channel access: draws a backoff (high priority in the first
 * high_priority_window slots, normal after them in the contention window), counted down
 * one slot at a time only while the medium is idle, every node starting CIFS after the
 * medium became idle (the sender of the last exchange included, so it has no head start). */
static void csma_start(plc_mac *m)
{
    const item *it = &m->q[m->q_head];
    const unsigned hpw = m->pib.high_priority_window;
    const uint64_t r = plc_rng_next(&m->rng) >> 11;
    m->slots_left = it->high_priority ? (unsigned)(r % (hpw ? hpw : 1))
                                      : hpw + (unsigned)(r % contention_window(m));
    m->csma_nb = 0;
    defer(m);
}

static void finish(plc_mac *m, int status)
{
    item *it = &m->q[m->q_head];
    plc_timer_stop(m->loop, &m->t_tx);
    if (it->kind == ITEM_DATA) {
        if (status == PLC_MAC_SUCCESS)
            m->cnt.tx_msdu_ok++;
        else
            m->cnt.tx_msdu_failed++;
    }
    if (status == PLC_MAC_NO_ACK) {
        plc_mac_neighbour *n = nb_find(m, it->dst);
        if (n) { /* failing: back to ROBO until a new tone map arrives */
            n->tx_failures++;
            n->tonemap_valid_until = 0;
        }
    }
    const item done = *it; /* the confirm may queue the next request */
    m->q_head = (m->q_head + 1) % QUEUE;
    m->q_len--;
    m->state = IDLE;
    if (done.kind == ITEM_DATA && m->cb.confirm)
        m->cb.confirm(m->cb.user, done.handle, status);
    start_next(m);
}

static void segment_sent(plc_mac *m)
{
    m->seg_index++;
    if (m->seg_index == m->seg_count) {
        finish(m, PLC_MAC_SUCCESS);
        return;
    }
    if (build_segment(m) != PLC_OK) {
        finish(m, PLC_MAC_INVALID_PARAMETER);
        return;
    }
    m->retries = 0;
    /* the next segment of a train goes in the contention-free slot */
    m->state = CFS_WAIT;
    plc_timer_start_in(m->loop, &m->t_tx, PLC_MAC_CIFS_US);
}

static void transmit(plc_mac *m)
{
    const plc_tx_request rq = {
        .mod = m->mod,
        .tonemap = m->tonemap,
        .dt = m->want_ack ? PLC_DT_SOF_RESPONSE : PLC_DT_SOF_NO_RESPONSE,
    };
    if (m->phy.ops->tx_request(m->phy.phy, &rq, m->psdu, m->psdu_len) != PLC_OK) {
        defer(m); /* the PHY is still busy (an ACK going out): wait for it */
        return;
    }
    m->state = SENDING;
    m->cnt.tx_frames++;
    plc_mac_neighbour *nbr = nb_find(m, m->q[m->q_head].dst);
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
    plc_mac_neighbour *n = nb_find(m, m->q[m->q_head].dst);
    if (n)
        n->tx_retries++;
    /* the window doubles with each retry: two nodes that collided (hidden from each other,
     * or ending their countdowns within the carrier-sense delay) draw apart */
    csma_start(m);
}

/* A busy medium met during the countdown: the countdown stops until the medium is idle
 * again; each deferral counts towards macMaxCSMABackoffs. */
static void deferral(plc_mac *m)
{
    m->cnt.csma_busy++;
    if (++m->csma_nb > m->pib.max_csma_backoffs) {
        m->cnt.channel_access_failures++;
        finish(m, PLC_MAC_CHANNEL_ACCESS_FAILURE);
        return;
    }
    defer(m);
}

static void on_tx_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_mac *m = user;
    switch (m->state) {
    case DEFER:
        defer(m);
        return;
    case DEFER_CIFS:
    case BACKOFF:
        if (medium_busy(m)) {
            deferral(m);
        } else if (m->slots_left == 0) {
            transmit(m);
        } else {
            m->state = BACKOFF;
            m->slots_left--;
            plc_timer_start_in(m->loop, &m->t_tx, PLC_MAC_SLOT_US);
        }
        return;
    case CFS_WAIT:
        if (medium_busy(m))
            csma_start(m);
        else
            transmit(m);
        return;
    case WAIT_ACK:
        retry(m);
        return;
    default:
        return;
    }
}

/* Sets up the MSDU at the head of the queue: link parameters, segments, first PSDU. */
static void start_next(plc_mac *m)
{
    if (m->state != IDLE || m->q_len == 0)
        return;
    item *it = &m->q[m->q_head];
    plc_mac_neighbour *n = it->dst == PLC_MAC_BROADCAST ? NULL : nb_get(m, it->dst);
    m->mod = PLC_MOD_ROBO;
    m->tonemap = PLC_TONEMAP_ALL;
    m->tmr = 0;
    if (it->kind == ITEM_DATA && n) {
        if (tonemap_valid(m, n)) {
            m->mod = n->mod;
            m->tonemap = n->tonemap;
            /* ask again ahead of expiry so the map never lapses on a busy link, and soon
             * when the map says ROBO: one frame hit by a collision may have caused it */
            const uint64_t ttl = (uint64_t)m->pib.tonemap_ttl_s * 1000000u;
            const uint64_t left = n->tonemap_valid_until - now(m);
            m->tmr = left < ttl / 2 || (n->mod == PLC_MOD_ROBO && ttl - left > ROBO_RECHECK_US);
        } else {
            m->tmr = 1;
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
    const size_t cap = psdu_capacity(m->mod, m->tonemap);
    m->seg_room = cap > overhead ? cap - overhead : 0;
    m->seg_count = m->seg_room ? (unsigned)((it->len + m->seg_room - 1) / m->seg_room) : 0;
    if (it->len == 0)
        m->seg_count = 1;
    if (m->seg_count == 0 || m->seg_count > 64) {
        finish(m, PLC_MAC_MSDU_TOO_LONG);
        return;
    }
    m->seg_index = 0;
    m->retries = 0;
    if (build_segment(m) != PLC_OK) {
        finish(m, PLC_MAC_INVALID_PARAMETER);
        return;
    }
    csma_start(m);
}

static int enqueue(plc_mac *m, const item *it)
{
    if (m->q_len == QUEUE)
        return PLC_MAC_TRANSACTION_OVERFLOW;
    m->q[(m->q_head + m->q_len) % QUEUE] = *it;
    m->q_len++;
    start_next(m);
    return PLC_OK;
}

int plc_mac_data_request(plc_mac *m, const plc_mac_data_req *rq)
{
    if (!m || !rq || !rq->msdu || rq->len == 0 || rq->len > PLC_MAC_MAX_MSDU ||
        rq->dst == 0xFFFE || m->pib.short_addr == 0xFFFF)
        return PLC_MAC_INVALID_PARAMETER;
    item it = {.kind = ITEM_DATA, .dst = rq->dst, .handle = rq->handle,
               .high_priority = rq->high_priority, .len = rq->len};
    memcpy(it.data, rq->msdu, rq->len);
    return enqueue(m, &it);
}

int plc_mac_beacon_request(plc_mac *m)
{
    item it = {.kind = ITEM_BEACON_REQUEST, .dst = PLC_MAC_BROADCAST, .len = 1};
    it.data[0] = PLC_MAC_CMD_BEACON_REQUEST;
    return enqueue(m, &it);
}

static void on_phy_confirm(void *user, int status)
{
    (void)status;
    plc_mac *m = user;
    if (m->sending_ack) {
        m->sending_ack = 0;
        return;
    }
    if (m->state != SENDING)
        return;
    if (m->want_ack) {
        m->state = WAIT_ACK;
        plc_timer_start_in(m->loop, &m->t_tx, PLC_MAC_RIFS_US + PLC_MAC_ACK_US + ACK_MARGIN_US);
    } else {
        segment_sent(m);
    }
}

/* ---- ACK / NACK ---- */
static void on_ack_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_mac *m = user;
    m->ack_pending = 0;
    const plc_tx_request rq = {.mod = PLC_MOD_ROBO, .tonemap = PLC_TONEMAP_ALL,
                               .dt = m->ack_dt, .ack_fcs = m->ack_fcs};
    if (m->phy.ops->tx_request(m->phy.phy, &rq, NULL, 0) == PLC_OK) {
        m->sending_ack = 1;
        m->cnt.tx_acks++;
    }
}

static void send_ack(plc_mac *m, uint8_t dt, uint16_t fcs)
{
    m->ack_dt = dt;
    m->ack_fcs = fcs;
    m->ack_pending = 1;
    plc_timer_start_in(m->loop, &m->t_ack, PLC_MAC_RIFS_US);
}

/* ---- receive ---- */
static int dup_seen(const plc_mac *m, uint16_t src, uint8_t seq)
{
    const uint64_t t = now(m), ttl = (uint64_t)m->pib.duplicate_ttl_ms * 1000u;
    for (unsigned i = 0; i < DUPS; i++) {
        const dup_entry *d = &m->dups[i];
        if (d->used && d->src == src && d->seq == seq && t - d->t < ttl)
            return 1;
    }
    return 0;
}

/* only frames that passed every check are remembered: a forged copy cannot shadow the
 * genuine frame */
static void dup_record(plc_mac *m, uint16_t src, uint8_t seq)
{
    m->dups[m->dup_next] = (dup_entry){src, seq, now(m), 1};
    m->dup_next = (m->dup_next + 1) % DUPS;
}

static void on_reasm_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    reasm *r = user;
    r->used = 0;
    r->mac->cnt.reassembly_timeouts++;
}

static void deliver(plc_mac *m, const plc_mac_frame *f, const plc_phy_rx_ind *ind,
                    const uint8_t *msdu, size_t len, int secured)
{
    m->cnt.rx_msdu++;
    if (!m->cb.indication)
        return;
    const plc_mac_data_indication di = {
        .src = f->src.short_addr,
        .dst = f->dst.short_addr,
        .msdu = msdu,
        .len = len,
        .lqi = ind->lqi,
        .snr_db = ind->snr_db,
        .secured = secured,
        .mod = ind->mod,
    };
    m->cb.indication(m->cb.user, &di);
}

static void reassemble(plc_mac *m, const plc_mac_frame *f, const plc_phy_rx_ind *ind,
                       const uint8_t *data, size_t len, int secured)
{
    if (f->seg.sc == 0 && f->seg.lsf) {
        deliver(m, f, ind, data, len, secured);
        return;
    }
    reasm *r = NULL;
    for (unsigned i = 0; i < REASM && !r; i++)
        if (m->re[i].used && m->re[i].src == f->src.short_addr)
            r = &m->re[i];
    if (f->seg.sc == 0) {
        for (unsigned i = 0; i < REASM && !r; i++)
            if (!m->re[i].used)
                r = &m->re[i];
        if (!r) {
            m->cnt.malformed++; /* no room: the train is lost */
            return;
        }
        r->used = 1;
        r->src = f->src.short_addr;
        r->next_sc = 0;
        r->len = 0;
        r->secured = secured;
        plc_timer_start_in(m->loop, &r->timeout, (uint64_t)m->pib.reassembly_timeout_ms * 1000u);
    }
    if (!r)
        return; /* a segment of a train whose start was lost */
    if (f->seg.sc != r->next_sc || r->len + len > PLC_MAC_MAX_MSDU) {
        r->used = 0; /* out of order or too long: the train is dropped */
        plc_timer_stop(m->loop, &r->timeout);
        m->cnt.malformed++;
        return;
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

/* Keeps the per-carrier SNR of a neighbour's frame (it passed every check); frames older
 * than SNR_MAX_AGE_US say nothing about the link now and are forgotten. */
static void snr_record(plc_mac *m, plc_mac_neighbour *n, const float *carrier_snr_db)
{
    if (now(m) - n->snr_time > SNR_MAX_AGE_US)
        n->snr_frames = 0;
    n->snr_time = now(m);
    int8_t *h = n->snr_half_db[n->snr_next];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        const float v = 2.0f * carrier_snr_db[c];
        h[c] = (int8_t)(v > 127.0f ? 127 : v < -128.0f ? -128 : (int)lrintf(v));
    }
    n->snr_next = (uint8_t)((n->snr_next + 1) % PLC_MAC_SNR_HISTORY);
    if (n->snr_frames < PLC_MAC_SNR_HISTORY)
        n->snr_frames++;
}

/* The link's per-carrier SNR: the median over the last three frames, so that one frame
 * received through a collision (interference at its start drags its estimate down) does
 * not push the link into ROBO, while a lasting change shows after two frames. With fewer
 * frames known, the newest (the median with it counted twice). */
_Static_assert(PLC_MAC_SNR_HISTORY == 3, "snr_estimate takes the median of three");
static void snr_estimate(const plc_mac_neighbour *n, float *snr_db)
{
    const unsigned k = n->snr_frames;
    const unsigned newest = (n->snr_next + PLC_MAC_SNR_HISTORY - 1) % PLC_MAC_SNR_HISTORY;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        int v = n->snr_half_db[newest][c];
        if (k == PLC_MAC_SNR_HISTORY) {
            const int a = n->snr_half_db[0][c], b = n->snr_half_db[1][c],
                      d = n->snr_half_db[2][c];
            v = a > b ? (b > d ? b : (a > d ? d : a)) : (a > d ? a : (b > d ? d : b));
        }
        snr_db[c] = 0.5f * (float)v;
    }
}

static void queue_tonemap_response(plc_mac *m, uint16_t to, const plc_mac_neighbour *n,
                                   const plc_phy_rx_ind *ind)
{
    float snr[PLC_PHY_CARRIERS];
    if (n && n->snr_frames) {
        snr_estimate(n, snr);
    } else { /* no history (neighbour table full): this frame, or its in-band SNR alone */
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
            snr[c] = ind->carrier_snr_db ? ind->carrier_snr_db[c] : ind->snr_db;
    }
    const plc_mac_link_choice c = plc_mac_tonemap_choose(snr, PLC_MAC_TONEMAP_MARGIN_DB);
    const plc_mac_tonemap_response r = {.mod = (uint8_t)c.mod, .tonemap = c.tonemap,
                                        .lqi = ind->lqi};
    item it = {.kind = ITEM_TONEMAP_RESPONSE, .dst = to, .high_priority = 1,
               .len = 1 + PLC_MAC_TONEMAP_RESPONSE_LEN};
    it.data[0] = PLC_MAC_CMD_TONEMAP_RESPONSE;
    plc_mac_tonemap_response_encode(&r, it.data + 1);
    /* one pending response per neighbour is enough: replace a queued one */
    for (unsigned i = 1; i < m->q_len; i++) {
        item *q = &m->q[(m->q_head + i) % QUEUE];
        if (q->kind == ITEM_TONEMAP_RESPONSE && q->dst == to) {
            *q = it;
            return;
        }
    }
    enqueue(m, &it);
}

static void handle_command(plc_mac *m, const plc_mac_frame *f, const uint8_t *p, size_t len)
{
    if (len == 0) {
        m->cnt.malformed++;
        return;
    }
    if (p[0] == PLC_MAC_CMD_TONEMAP_RESPONSE && f->src.mode == PLC_MAC_ADDR_SHORT) {
        plc_mac_tonemap_response r;
        if (plc_mac_tonemap_response_decode(p + 1, len - 1, &r) != PLC_MAC_FRAME_OK) {
            m->cnt.malformed++;
            return;
        }
        plc_mac_neighbour *n = nb_get(m, f->src.short_addr);
        if (n) {
            n->mod = (plc_modulation)r.mod;
            n->tonemap = r.tonemap;
            n->tonemap_valid_until = now(m) + (uint64_t)m->pib.tonemap_ttl_s * 1000000u;
        }
        m->cnt.tonemap_responses++;
    } else if (p[0] == PLC_MAC_CMD_BEACON_REQUEST && len == 1) {
        if (m->pib.rc_coord != 0xFFFF && m->pib.short_addr != 0xFFFF) {
            item it = {.kind = ITEM_BEACON, .dst = PLC_MAC_BROADCAST, .high_priority = 1,
                       .len = PLC_MAC_BEACON_LEN};
            plc_mac_beacon_encode(m->pib.rc_coord, m->pib.rc_coord == 0, it.data);
            enqueue(m, &it);
        }
    } else {
        m->cnt.malformed++; /* a command this MAC does not know */
    }
}

static void on_phy_rx(void *user, const plc_phy_rx_ind *ind)
{
    plc_mac *m = user;
    const uint64_t t = now(m);
    if (ind->dt == PLC_DT_ACK || ind->dt == PLC_DT_NACK) {
        if (m->state == WAIT_ACK && ind->ack_fcs == m->psdu_fcs) {
            plc_timer_stop(m->loop, &m->t_tx);
            if (ind->dt == PLC_DT_ACK) {
                segment_sent(m);
            } else {
                m->cnt.nacks_received++;
                retry(m);
            }
        }
        return;
    }
    plc_mac_frame f;
    const int st = plc_mac_psdu_decode(ind->psdu, ind->psdu_len, &f);
    if (st == PLC_MAC_FRAME_FCS) {
        m->cnt.fcs_errors++;
        nav_extend(m, t + PLC_MAC_EIFS_US); /* an ACK we could not see may follow */
        return;
    }
    if (st != PLC_MAC_FRAME_OK) {
        m->cnt.malformed++;
        return;
    }
    if (m->cb.tap)
        m->cb.tap(m->cb.user, ind->psdu + PLC_MAC_SEGCTL_LEN, f.seg.sl, 0);
    if (f.src.mode == PLC_MAC_ADDR_SHORT && f.src.short_addr != m->pib.short_addr)
        talker_heard(m, f.src.short_addr);
    if (!f.seg.lsf) /* the train's next segment follows in the contention-free slot */
        nav_extend(m, t + (f.ack_request ? PLC_MAC_RIFS_US + PLC_MAC_ACK_US : 0) +
                          PLC_MAC_CIFS_US + CFS_GUARD_US);
    const int to_me_unicast = f.dst.mode == PLC_MAC_ADDR_SHORT &&
                              f.dst.short_addr == m->pib.short_addr &&
                              m->pib.short_addr != 0xFFFF;
    const int broadcast = f.dst.mode == PLC_MAC_ADDR_NONE ||
                          (f.dst.mode == PLC_MAC_ADDR_SHORT && f.dst.short_addr == 0xFFFF);
    const int pan_ok = f.dst.mode == PLC_MAC_ADDR_NONE || f.dst_pan == m->pib.pan_id ||
                       f.dst_pan == 0xFFFF;
    if (!pan_ok || (!to_me_unicast && !broadcast)) {
        /* overheard: stay off the medium for the rest of that exchange */
        if (f.ack_request)
            nav_extend(m, t + PLC_MAC_RIFS_US + PLC_MAC_ACK_US);
        return;
    }
    m->cnt.rx_frames++;
    const int short_src = f.src.mode == PLC_MAC_ADDR_SHORT;
    plc_mac_neighbour *n = short_src ? nb_get(m, f.src.short_addr) : NULL;
    if (n)
        n->lqi = ind->lqi;
    const int ack = f.ack_request && to_me_unicast;
    if (short_src && dup_seen(m, f.src.short_addr, f.seq)) {
        m->cnt.duplicates++; /* our ACK was lost: acknowledge again, deliver nothing */
        if (ack)
            send_ack(m, PLC_DT_ACK, f.fcs);
        return;
    }
    const uint8_t *data = f.payload;
    size_t len = f.payload_len;
    if (f.security) {
        if (!plc_mac_sec_has_key(m->sec, f.key_index)) {
            m->cnt.no_key++;
            if (ack)
                send_ack(m, PLC_DT_NACK, f.fcs);
            return;
        }
        if (!n || (n->has_counter && f.frame_counter <= n->rx_frame_counter)) {
            m->cnt.replays++; /* an old frame played again: no answer */
            return;
        }
        uint8_t nonce[PLC_MAC_NONCE_LEN];
        plc_mac_nonce(nonce_addr(&f), f.frame_counter, f.sec_level, nonce);
        len -= PLC_MAC_MIC_LEN;
        memcpy(m->rx_scratch, f.payload, len);
        const uint8_t *hdr = ind->psdu + PLC_MAC_SEGCTL_LEN;
        if (plc_mac_sec_decrypt(m->sec, f.key_index, nonce, sizeof(nonce), hdr, f.header_len,
                                m->rx_scratch, len, f.payload + len, PLC_MAC_MIC_LEN) != PLC_OK) {
            m->cnt.decryption_errors++;
            if (ack)
                send_ack(m, PLC_DT_NACK, f.fcs);
            return;
        }
        n->rx_frame_counter = f.frame_counter;
        n->has_counter = 1;
        data = m->rx_scratch;
    } else if (m->pib.security_enabled && f.type == PLC_MAC_DATA) {
        m->cnt.decryption_errors++; /* policy: data must be secured */
        if (ack)
            send_ack(m, PLC_DT_NACK, f.fcs);
        return;
    }
    if (short_src)
        dup_record(m, f.src.short_addr, f.seq);
    if (n && ind->carrier_snr_db)
        snr_record(m, n, ind->carrier_snr_db);
    if (ack)
        send_ack(m, PLC_DT_ACK, f.fcs);
    if (f.seg.tmr && to_me_unicast && short_src)
        queue_tonemap_response(m, f.src.short_addr, n, ind);
    switch (f.type) {
    case PLC_MAC_DATA:
        reassemble(m, &f, ind, data, len, f.security);
        break;
    case PLC_MAC_COMMAND:
        handle_command(m, &f, data, len);
        break;
    case PLC_MAC_BEACON: {
        uint16_t rc;
        if (!short_src || plc_mac_beacon_decode(data, len, &rc) != PLC_MAC_FRAME_OK)
            m->cnt.malformed++;
        else if (m->cb.beacon)
            m->cb.beacon(m->cb.user, f.src.short_addr, rc, ind->lqi);
        break;
    }
    default:
        break;
    }
}

/* ---- life cycle ---- */
plc_mac *plc_mac_create(const plc_mac_pib *pib, uint64_t seed, plc_loop *loop,
                        plc_phy_service phy, plc_mac_sec *sec, const plc_mac_callbacks *cb)
{
    if (!pib || !loop || !phy.ops || !phy.phy)
        return NULL;
    plc_mac *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->pib = *pib;
    m->loop = loop;
    m->phy = phy;
    m->sec = sec;
    if (cb)
        m->cb = *cb;
    plc_rng_seed(&m->rng, seed);
    m->seq = (uint8_t)plc_rng_next(&m->rng);
    plc_timer_init(&m->t_tx, on_tx_timer, m);
    plc_timer_init(&m->t_ack, on_ack_timer, m);
    for (unsigned i = 0; i < REASM; i++) {
        m->re[i].mac = m;
        plc_timer_init(&m->re[i].timeout, on_reasm_timeout, &m->re[i]);
    }
    const plc_phy_user u = {.rx_indication = on_phy_rx, .tx_confirm = on_phy_confirm, .user = m};
    phy.ops->set_user(phy.phy, &u);
    return m;
}

void plc_mac_destroy(plc_mac *m)
{
    if (!m)
        return;
    plc_timer_stop(m->loop, &m->t_tx);
    plc_timer_stop(m->loop, &m->t_ack);
    for (unsigned i = 0; i < REASM; i++)
        plc_timer_stop(m->loop, &m->re[i].timeout);
    m->phy.ops->set_user(m->phy.phy, NULL);
    free(m);
}

plc_mac_pib *plc_mac_get_pib(plc_mac *m)
{
    return &m->pib;
}

void plc_mac_get_counters(const plc_mac *m, plc_mac_counters *c)
{
    *c = m->cnt;
}

unsigned plc_mac_queue_length(const plc_mac *m)
{
    return m->q_len;
}
