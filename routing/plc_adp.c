#include "plc_adp.h"

#include <stdlib.h>
#include <string.h>

#include "plc_rng.h"

#define MESH_HDR 5
#define FRAG1_HDR 4
#define FRAGN_HDR 5
/* bytes of datagram per fragment: what an MSDU holds after the headers, a multiple of 8 */
#define FRAG_CHUNK (((PLC_MAC_MAX_MSDU - MESH_HDR - FRAGN_HDR) / 8) * 8)
/* MAC handles: our datagrams [0, queue), relays [queue, queue + relays), LOADng's unicast
 * messages awaiting their confirm the next CONTROL, and one for frames whose confirm is
 * ignored (LOADng's broadcasts, LBP's hops by EUI-64). */
#define CONTROL 8
#define UNCONFIRMED 0xFF

typedef enum { TX_FREE, TX_ROUTING, TX_SENDING, TX_RESEND } tx_state;

typedef struct txd {
    struct plc_adp *a;
    plc_timer wait;      /* waiting for the coordinator's beacon */
    tx_state state;
    uint16_t dst, next, tag;
    uint8_t handle;
    int repaired, resent;
    uint8_t command;     /* the escape command in front: ESC_DATA's have a user confirm */
    size_t len, off;     /* bytes; the next fragment's offset */
    uint8_t data[PLC_ADP_MTU];
} txd;

typedef struct rxd {
    struct plc_adp *a;
    int used;
    uint16_t orig, size, tag;
    size_t got;          /* bytes received so far */
    uint8_t have[(PLC_ADP_MTU + 63) / 64]; /* 8-byte units received, a bit each */
    uint8_t data[PLC_ADP_MTU];
    unsigned hops;
    plc_timer timeout;
} rxd;

typedef struct bclog {
    uint16_t orig;
    uint8_t seq;
    uint64_t t;
    int used;
} bclog;

typedef struct control {
    int used;
    uint16_t next;
    size_t len;
    uint8_t msg[PLC_LOADNG_MAX_LEN];
} control;

typedef struct relay {
    struct plc_adp *a;
    int used;
    uint16_t next, orig, final;
    uint8_t bc_seq;
    size_t cost_at;      /* a route beacon's cost field in msdu (0: not a beacon) */
    unsigned heard;      /* broadcast: copies heard from others while it waited */
    /* a broadcast waits a random jitter before it goes on (its neighbours heard the same
     * copy: relaying at once, they would all collide) */
    plc_timer jitter;
    size_t len;
    uint8_t msdu[PLC_MAC_MAX_MSDU];
} relay;

struct plc_adp {
    plc_adp_config cfg;
    plc_loop *loop;
    plc_mac *mac;
    plc_loadng *rt;
    plc_adp_callbacks cb;
    plc_adp_tap_fn tap;
    void *tap_user;
    plc_adp_counters cnt;
    txd *tx;
    rxd *rx;
    bclog *bl;
    unsigned bl_next;
    relay *rel;
    control ctl[CONTROL];
    uint16_t tag;
    uint8_t bc_seq;
    plc_rng rng;
    plc_timer beacon;
    uint8_t beacon_seq;
    int mac_secured;     /* the MAC runs with security on: only LBP may come in clear */
    uint16_t rc_coord;   /* what the MAC's beacons say of our route to the coordinator */
    int coord_seq_known; /* coord_seq: the route beacon round our route to it came from */
    uint8_t coord_seq;
    unsigned coord_fd;   /* ... and the lowest cost we had in that round (Babel's feasible
                          * distance) */
    uint8_t msdu[PLC_MAC_MAX_MSDU];
};

void plc_adp_config_default(plc_adp_config *c)
{
    memset(c, 0, sizeof(*c));
    plc_loadng_config_default(&c->loadng);
    c->queue = 4;
    c->reassembly_slots = 4;
    c->reassembly_timeout_ms = 10000;
    c->broadcast_log = 32;
    c->broadcast_log_ttl_s = 120;
    c->relays = 8;
    c->broadcast_jitter_ms = 500;
    c->beacon_wait_s = 150;
    c->beacon_min_lqi = 32;
    c->broadcast_redundancy = 3;
    c->kq = 10;
    c->kh = 4;
}

static uint16_t self(const plc_adp *a)
{
    return a->cfg.loadng.self;
}

/* A route beacon's payload: ESC 0x81, sequence, the sender's route cost to the coordinator
 * (2, big endian) and the weak links on it (1). */
static int beacon_cost(const plc_adp_header *h, unsigned *cost, unsigned *weak)
{
    if (h->final != PLC_ADP_BROADCAST || h->frag || h->len != 6 ||
        h->payload[0] != PLC_ADP_DISPATCH_ESC || h->payload[1] != PLC_ADP_ESC_BEACON)
        return 0;
    *cost = (unsigned)(h->payload[3] << 8 | h->payload[4]);
    *weak = h->payload[5];
    return 1;
}

/* ---- sending ---- */
/* One MSDU to neighbour `to` (or, with ext non-zero, to that EUI-64). */
static int mac_send(plc_adp *a, uint16_t to, uint64_t ext, const uint8_t *msdu, size_t len,
                    uint8_t handle)
{
    const plc_mac_data_req rq = {.dst = to, .dst_ext = ext, .msdu = msdu, .len = len,
                                 .handle = handle, .high_priority = a->cfg.high_priority};
    if (a->tap)
        a->tap(a->tap_user, ext ? PLC_MAC_NO_SHORT : to, msdu, len, 1);
    return a->mac ? plc_mac_data_request(a->mac, &rq) : PLC_ERR_ARG;
}

static void tx_done(plc_adp *a, txd *t, int status)
{
    plc_timer_stop(a->loop, &t->wait);
    t->state = TX_FREE;
    if (status == PLC_OK)
        a->cnt.tx_ok++;
    else
        a->cnt.tx_failed++;
    if (a->cb.confirm && t->command == PLC_ADP_ESC_DATA)
        a->cb.confirm(a->cb.user, t->handle, status);
}

/* The next fragment (or the whole datagram) of t to its next hop. */
static void tx_next(plc_adp *a, txd *t)
{
    const uint8_t slot = (uint8_t)(t - a->tx);
    plc_adp_header h = {.mesh = 1, .orig = self(a), .final = t->dst,
                        .hops_left = (uint8_t)a->cfg.loadng.max_hops};
    if (t->dst == PLC_ADP_BROADCAST) {
        h.bc0 = 1;
        h.bc_seq = a->bc_seq++;
    }
    const int whole = t->len + MESH_HDR + (h.bc0 ? 2 : 0) <= PLC_MAC_MAX_MSDU;
    size_t chunk = t->len - t->off;
    if (!whole) {
        h.frag = t->off ? PLC_ADP_FRAGN : PLC_ADP_FRAG1;
        h.dgram_size = (uint16_t)t->len;
        h.dgram_tag = t->tag;
        h.offset = (uint16_t)t->off;
        if (chunk > FRAG_CHUNK)
            chunk = FRAG_CHUNK;
        a->cnt.tx_fragments++;
    }
    size_t n;
    if (plc_adp_header_encode(&h, a->msdu, sizeof(a->msdu), &n) != PLC_OK) {
        tx_done(a, t, PLC_ERR_ARG);
        return;
    }
    memcpy(a->msdu + n, t->data + t->off, chunk);
    t->state = TX_SENDING;
    const int rc = mac_send(a, t->next, 0, a->msdu, n + chunk, slot);
    if (rc != PLC_OK) {
        tx_done(a, t, rc);
        return;
    }
    t->off += chunk;
}

/* Beacon routing: the coordinator's route comes from its beacons, not from a discovery. */
static int by_beacon(const plc_adp *a, uint16_t dst)
{
    return dst == a->cfg.coordinator && self(a) != a->cfg.coordinator && a->cfg.beacon_wait_s;
}

/* Sends t over its route, or asks LOADng for one. */
static void tx_route(plc_adp *a, txd *t)
{
    if (t->dst == PLC_ADP_BROADCAST) {
        t->next = PLC_ADP_BROADCAST;
        tx_next(a, t);
        return;
    }
    if (plc_loadng_next_hop(a->rt, t->dst, &t->next, NULL, NULL) == PLC_OK) {
        tx_next(a, t);
        return;
    }
    t->state = TX_ROUTING;
    if (by_beacon(a, t->dst)) { /* the next beacon brings the route */
        plc_timer_start_in(a->loop, &t->wait, (uint64_t)a->cfg.beacon_wait_s * 1000000u);
        return;
    }
    const int rc = plc_loadng_discover(a->rt, t->dst, t->repaired);
    if (rc != PLC_OK && rc != PLC_ERR_BUSY)
        tx_done(a, t, PLC_ERR_NO_ROUTE);
}

static int submit(plc_adp *a, uint16_t dst, uint8_t command, const uint8_t *data, size_t len,
                  uint8_t handle)
{
    if (!a || !data || len == 0 || len > PLC_ADP_MAX_DATA || dst == self(a) ||
        self(a) == PLC_ADP_BROADCAST)
        return PLC_ERR_ARG;
    txd *t = NULL;
    for (unsigned i = 0; i < a->cfg.queue && !t; i++)
        if (a->tx[i].state == TX_FREE)
            t = &a->tx[i];
    if (!t) {
        a->cnt.queue_full++;
        return PLC_ERR_QUEUE_FULL;
    }
    t->dst = dst;
    t->handle = handle;
    t->len = len + 2;
    t->off = 0;
    t->repaired = 0;
    t->resent = 0;
    t->command = command;
    t->tag = a->tag++;
    t->data[0] = PLC_ADP_DISPATCH_ESC;
    t->data[1] = command;
    memcpy(t->data + 2, data, len);
    a->cnt.tx_datagrams++;
    tx_route(a, t);
    return PLC_OK;
}

int plc_adp_data_request(plc_adp *a, uint16_t dst, const uint8_t *data, size_t len,
                         uint8_t handle)
{
    return submit(a, dst, PLC_ADP_ESC_DATA, data, len, handle);
}

int plc_adp_lbp_request(plc_adp *a, uint16_t dst, uint64_t dst_ext, const uint8_t *msg,
                        size_t len)
{
    if (!a || !msg || len < 3 || msg[0] != PLC_ADP_DISPATCH_ESC || msg[1] != PLC_ADP_ESC_LBP)
        return PLC_ERR_ARG;
    if (dst_ext || self(a) == PLC_ADP_BROADCAST) { /* one hop, in clear, no mesh header */
        return mac_send(a, dst, dst_ext, msg, len, UNCONFIRMED);
    }
    return submit(a, dst, PLC_ADP_ESC_LBP, msg + 2, len - 2, 0);
}

void plc_adp_set_address(plc_adp *a, uint16_t short_addr)
{
    a->cfg.loadng.self = short_addr;
    plc_loadng_set_self(a->rt, short_addr);
    a->rc_coord = 0xFFFF;
    a->coord_seq_known = 0;
}

/* ---- LOADng's side ---- */
static int loadng_send(void *user, uint16_t next, const uint8_t *msg, size_t len)
{
    plc_adp *a = user;
    control *c = NULL;
    if (next != PLC_ADP_BROADCAST && len <= sizeof(c->msg)) {
        for (unsigned k = 0; k < CONTROL && !c; k++)
            if (!a->ctl[k].used)
                c = &a->ctl[k];
        a->cnt.control_unconfirmed += !c;
    }
    if (!c)
        return mac_send(a, next, 0, msg, len, UNCONFIRMED);
    const int rc = mac_send(a, next, 0, msg, len,
                            (uint8_t)(a->cfg.queue + a->cfg.relays + (unsigned)(c - a->ctl)));
    if (rc == PLC_OK) {
        c->used = 1;
        c->next = next;
        c->len = len;
        memcpy(c->msg, msg, len);
    }
    return rc;
}

unsigned plc_adp_link_cost(const plc_adp *a, uint16_t neighbour, uint8_t lqi)
{
    const plc_adp_config *c = &a->cfg;
    unsigned modkr = 1, modkm = 3, off = 0, tones = PLC_PHY_CARRIERS;
    const plc_mac_neighbour *n =
        a->mac && (c->kr || c->km || c->kc) ? plc_mac_neighbour_get(a->mac, neighbour) : NULL;
    if (n && n->tonemap_valid_until) {
        modkr = n->mod == PLC_MOD_ROBO;
        modkm = n->mod == PLC_MOD_DQPSK ? 2 : n->mod == PLC_MOD_D8PSK ? 1 : 3;
        for (unsigned g = 0; g < PLC_PHY_CARRIERS / PLC_PHY_TONEMAP_GROUP; g++)
            off += !(n->tonemap >> g & 1) * PLC_PHY_TONEMAP_GROUP;
    }
    /* in 1/(255 tones) units so the rounding (.5 down) is done once */
    const uint64_t den = 255u * tones;
    const uint64_t num = (uint64_t)den * (c->kr * modkr + c->km * modkm + c->kh) +
                         (uint64_t)c->kc * off * 255u + (uint64_t)c->kq * (255u - lqi) * tones;
    return (unsigned)((num + den / 2 - 1) / den);
}

static unsigned link_cost(void *user, uint16_t neighbour, uint8_t lqi)
{
    return plc_adp_link_cost(user, neighbour, lqi);
}

static void path_found(void *user, uint16_t dest, int status, const plc_loadng_path *reply)
{
    plc_adp *a = user;
    if (a->cb.path)
        a->cb.path(a->cb.user, dest, status, reply);
}

static void discovered(void *user, uint16_t dest, int status)
{
    plc_adp *a = user;
    for (unsigned i = 0; i < a->cfg.queue; i++) {
        txd *t = &a->tx[i];
        if (t->state != TX_ROUTING || t->dst != dest)
            continue;
        if (status == PLC_OK && plc_loadng_next_hop(a->rt, dest, &t->next, NULL, NULL) == PLC_OK) {
            tx_next(a, t);
        } else {
            a->cnt.no_route++;
            tx_done(a, t, PLC_ERR_NO_ROUTE);
        }
    }
}

/* ---- the MAC's side ---- */
static void on_mac_confirm(void *user, uint8_t handle, int status)
{
    plc_adp *a = user;
    const unsigned first_relay = a->cfg.queue, first_control = first_relay + a->cfg.relays;
    if (handle >= first_control && handle < first_control + CONTROL) {
        control *c = &a->ctl[handle - first_control];
        if (c->used) {
            c->used = 0;
            plc_loadng_sent(a->rt, c->next, c->msg, c->len, status);
        }
        return;
    }
    if (handle >= first_relay && handle < first_control) {
        relay *r = &a->rel[handle - first_relay];
        if (r->used && status != PLC_OK) {
            a->cnt.relay_failed++;
            if (plc_loadng_link_failed(a->rt, r->next, r->final)) /* the route is gone */
                plc_loadng_send_rerr(a->rt, r->orig, r->final);
        } else if (r->used) {
            plc_loadng_link_ok(a->rt, r->next, r->final);
        }
        r->used = 0;
        return;
    }
    if (handle >= first_relay)
        return; /* a frame whose confirm is ignored */
    txd *t = &a->tx[handle];
    if (t->state != TX_SENDING)
        return;
    if (status != PLC_OK) {
        if (!t->resent && t->dst != PLC_ADP_BROADCAST) {
            /* [R] once more over the same route after 0.5-2.5 s: a failure in a busy cell is
             * mostly collisions, and a repair floods the whole network */
            t->resent = 1;
            t->off = 0;
            t->state = TX_RESEND;
            const uint64_t d = 500000u + (plc_rng_next(&a->rng) >> 11) % 2000000u;
            plc_timer_start_in(a->loop, &t->wait, d);
            return;
        }
        const int dropped = t->next != PLC_ADP_BROADCAST &&
                            plc_loadng_link_failed(a->rt, t->next, t->dst);
        if (dropped && !t->repaired) { /* one repair, from the start */
            t->repaired = 1;
            t->off = 0;
            a->cnt.repairs++;
            tx_route(a, t);
            return;
        }
        tx_done(a, t, status);
        return;
    }
    if (t->next != PLC_ADP_BROADCAST)
        plc_loadng_link_ok(a->rt, t->next, t->dst);
    if (t->off < t->len)
        tx_next(a, t);
    else
        tx_done(a, t, PLC_OK);
}

static void lbp_up(plc_adp *a, uint16_t src, uint64_t src_ext, int secured, uint8_t lqi,
                   const uint8_t *d, size_t n)
{
    a->cnt.rx_lbp++;
    if (!a->cb.lbp)
        return;
    const plc_adp_lbp_indication ind = {.src = src, .src_ext = src_ext, .secured = secured,
                                        .lqi = lqi, .msg = d, .len = n};
    a->cb.lbp(a->cb.user, &ind);
}

static void deliver(plc_adp *a, uint16_t orig, uint16_t final, const uint8_t *d, size_t n,
                    unsigned hops, uint8_t lqi)
{
    if (n >= 2 && d[0] == PLC_ADP_DISPATCH_ESC && d[1] == PLC_ADP_ESC_BEACON) {
        a->cnt.beacons++; /* its route was learned on the way in */
        return;
    }
    if (n >= 3 && d[0] == PLC_ADP_DISPATCH_ESC && d[1] == PLC_ADP_ESC_LBP &&
        final != PLC_ADP_BROADCAST) {
        lbp_up(a, orig, 0, 1, lqi, d, n);
        return;
    }
    if (n < 3 || d[0] != PLC_ADP_DISPATCH_ESC || d[1] != PLC_ADP_ESC_DATA) {
        a->cnt.malformed++; /* a dispatch this node does not serve */
        return;
    }
    d += 2;
    n -= 2;
    if (final == PLC_ADP_BROADCAST)
        a->cnt.rx_broadcasts++;
    else
        a->cnt.rx_datagrams++;
    if (!a->cb.indication)
        return;
    const plc_adp_indication ind = {.orig = orig, .final = final, .data = d, .len = n,
                                    .hops = hops, .lqi = lqi};
    a->cb.indication(a->cb.user, &ind);
}

static void on_reasm_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    rxd *r = user;
    r->used = 0;
    r->a->cnt.reassembly_timeouts++; /* nothing of it is delivered */
}

static void reassemble(plc_adp *a, const plc_adp_header *h, unsigned hops, uint8_t lqi)
{
    rxd *r = NULL, *freer = NULL;
    for (unsigned i = 0; i < a->cfg.reassembly_slots && !r; i++) {
        rxd *x = &a->rx[i];
        if (x->used && x->orig == h->orig && x->size == h->dgram_size && x->tag == h->dgram_tag)
            r = x;
        else if (!x->used && !freer)
            freer = x;
    }
    if (!r) {
        if (!freer) {
            a->cnt.reassembly_full++; /* no room: the datagram is lost, counted */
            return;
        }
        r = freer;
        memset(r->have, 0, sizeof(r->have));
        r->used = 1;
        r->orig = h->orig;
        r->size = h->dgram_size;
        r->tag = h->dgram_tag;
        r->got = 0;
        plc_timer_start_in(a->loop, &r->timeout, (uint64_t)a->cfg.reassembly_timeout_ms * 1000u);
    }
    if (h->offset + h->len > r->size || (h->offset + h->len < r->size && h->len % 8)) {
        a->cnt.malformed++;
        return;
    }
    const unsigned u0 = h->offset / 8, units = (unsigned)((h->len + 7) / 8);
    for (unsigned u = u0; u < u0 + units; u++)
        if (r->have[u / 8] & (1u << (u % 8))) { /* a repeat, or overlapping what came */
            a->cnt.duplicates++;
            return;
        }
    memcpy(r->data + h->offset, h->payload, h->len);
    for (unsigned u = u0; u < u0 + units; u++)
        r->have[u / 8] |= (uint8_t)(1u << (u % 8));
    r->got += h->len;
    r->hops = hops;
    if (r->got == r->size) {
        plc_timer_stop(a->loop, &r->timeout);
        r->used = 0;
        deliver(a, r->orig, self(a), r->data, r->size, r->hops, lqi);
    }
}

static int broadcast_seen(plc_adp *a, uint16_t orig, uint8_t seq)
{
    const uint64_t ttl = (uint64_t)a->cfg.broadcast_log_ttl_s * 1000000u, t = plc_loop_now_us(a->loop);
    for (unsigned i = 0; i < a->cfg.broadcast_log; i++)
        if (a->bl[i].used && a->bl[i].orig == orig && a->bl[i].seq == seq && t - a->bl[i].t < ttl)
            return 1;
    a->bl[a->bl_next] = (bclog){orig, seq, t, 1};
    a->bl_next = (a->bl_next + 1) % a->cfg.broadcast_log;
    return 0;
}

static void relay_now(plc_adp *a, relay *r)
{
    const unsigned k = (unsigned)(r - a->rel);
    unsigned cost, weak;
    if (r->cost_at) {
        /* our own route, as of now; [R] none (0xFFFF) unless it is of this copy's round: a
         * route kept from the round before (its copy came over a link below the floor) may
         * go through the very neighbour that takes ours, a loop (docs/routing.md) */
        const int ours = a->coord_seq_known && a->coord_seq == r->msdu[r->cost_at - 1] &&
                         plc_loadng_route_cost(a->rt, a->cfg.coordinator, &cost, &weak) == PLC_OK;
        if (!ours)
            cost = 0xFFFF, weak = 0xFF;
        r->msdu[r->cost_at] = (uint8_t)(cost >> 8);
        r->msdu[r->cost_at + 1] = (uint8_t)cost;
        r->msdu[r->cost_at + 2] = (uint8_t)(weak > 0xFF ? 0xFF : weak);
    }
    if (mac_send(a, r->next, 0, r->msdu, r->len, (uint8_t)(a->cfg.queue + k)) != PLC_OK) {
        r->used = 0;
        a->cnt.relay_failed++;
        return;
    }
    a->cnt.relayed++;
}

static void on_relay_jitter(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    relay *r = user;
    if (r->a->cfg.broadcast_redundancy && r->heard >= r->a->cfg.broadcast_redundancy) {
        r->used = 0; /* enough neighbours relayed it already (Trickle's suppression) */
        r->a->cnt.relays_suppressed++;
        return;
    }
    relay_now(r->a, r);
}

/* A copy of a broadcast we are about to relay: one more neighbour has. */
static void heard_again(plc_adp *a, uint16_t orig, uint8_t seq)
{
    for (unsigned k = 0; k < a->cfg.relays; k++) {
        relay *r = &a->rel[k];
        if (r->used && r->next == PLC_ADP_BROADCAST && r->orig == orig && r->bc_seq == seq &&
            plc_timer_pending(&r->jitter))
            r->heard++;
    }
}

static void relay_frame(plc_adp *a, const plc_mac_data_indication *ind, plc_adp_header *h,
                        uint16_t next)
{
    relay *r = NULL;
    for (unsigned k = 0; k < a->cfg.relays && !r; k++)
        if (!a->rel[k].used)
            r = &a->rel[k];
    if (!r) {
        a->cnt.relay_failed++; /* no room to track it: dropped, counted */
        return;
    }
    h->hops_left--;
    size_t n;
    if (plc_adp_header_encode(h, r->msdu, sizeof(r->msdu), &n) != PLC_OK) {
        a->cnt.malformed++;
        return;
    }
    const size_t used = (size_t)(h->payload - ind->msdu);
    const size_t rest = ind->len - used;
    if (n + rest > sizeof(r->msdu)) {
        a->cnt.relay_failed++; /* its header grew past the MSDU: dropped, counted */
        return;
    }
    memcpy(r->msdu + n, ind->msdu + used, rest);
    r->used = 1;
    r->next = next;
    r->orig = h->orig;
    r->final = h->final;
    r->bc_seq = h->bc_seq;
    r->heard = 0;
    r->len = n + rest;
    unsigned cost, weak;
    r->cost_at = beacon_cost(h, &cost, &weak) ? n + 3 : 0;
    if (next == PLC_ADP_BROADCAST && a->cfg.broadcast_jitter_ms) {
        const uint64_t j = (plc_rng_next(&a->rng) >> 11) % ((uint64_t)a->cfg.broadcast_jitter_ms * 1000u);
        plc_timer_start_in(a->loop, &r->jitter, j);
        return;
    }
    relay_now(a, r);
}

static void on_wait_timeout(plc_loop *loop, plc_timer *tm, void *user)
{
    (void)loop;
    (void)tm;
    txd *t = user;
    if (t->state == TX_RESEND) {
        t->a->cnt.resends++;
        tx_next(t->a, t);
    } else if (t->state == TX_ROUTING) {
        t->a->cnt.no_route++;
        tx_done(t->a, t, PLC_ERR_NO_ROUTE);
    }
}

static void on_beacon(plc_loop *loop, plc_timer *tm, void *user)
{
    plc_adp *a = user;
    /* [R] the route beacon: a broadcast datagram, sequence and the sender's route cost to
     * the coordinator (each relay writes its own) */
    const uint8_t b[4] = {a->beacon_seq++, 0, 0, 0};
    submit(a, PLC_ADP_BROADCAST, PLC_ADP_ESC_BEACON, b, sizeof(b), 0);
    plc_timer_start_in(loop, tm, (uint64_t)a->cfg.beacon_period_s * 1000000u);
}

/* The reverse route to a frame's originator. Toward the coordinator (with beacons on), the
 * beacons' costs decide: the cheapest advertised cost plus the link's; its other traffic
 * only gives a route where there is none. */
static int learn_route(plc_adp *a, const plc_adp_header *h, const plc_mac_data_indication *ind,
                       unsigned hops)
{
    const int weak = plc_loadng_link_weak(a->rt, ind->src, ind->lqi);
    if (h->orig != a->cfg.coordinator || !by_beacon(a, h->orig))
        return plc_loadng_learn(a->rt, h->orig, ind->src, hops, weak);
    unsigned cost, w;
    if (beacon_cost(h, &cost, &w)) {
        if (cost >= 0xFFFF)
            return 0; /* a relay without a route of this round: nothing to learn */
        /* [R] rounds, as DSDV's sequence numbers, with Babel's feasibility condition: a copy
         * of an older round may have been relayed by a node whose route went through us (a
         * loop: count to infinity), so it is ignored while we have a route; in the same
         * round another neighbour is taken only when it advertises less than the lowest
         * cost we had in the round (a node routing through us cannot); a newer round's
         * first copy replaces the route */
        const uint8_t seq = h->payload[2];
        const int8_t d = (int8_t)(uint8_t)(seq - a->coord_seq);
        uint16_t nh = 0;
        const int have = plc_loadng_next_hop(a->rt, h->orig, &nh, NULL, NULL) == PLC_OK;
        if (have && ind->lqi < a->cfg.beacon_min_lqi)
            return 0; /* a lucky copy over a link unicasts could not use */
        if (a->coord_seq_known && have && d < 0)
            return 0;
        const int fresh = !a->coord_seq_known || d > 0 || (!have && d < 0);
        if (!fresh && !(have && nh == ind->src) && cost >= a->coord_fd)
            return 0;
        const unsigned total = cost + link_cost(a, ind->src, ind->lqi);
        const int changed = plc_loadng_learn_cost(a->rt, h->orig, ind->src, hops,
                                                  w + (unsigned)weak, total, fresh);
        if (plc_loadng_next_hop(a->rt, h->orig, &nh, NULL, NULL) == PLC_OK && nh == ind->src) {
            a->coord_fd = fresh || total < a->coord_fd ? total : a->coord_fd;
            a->coord_seq_known = 1;
            a->coord_seq = seq;
        }
        return changed;
    }
    if (plc_loadng_next_hop(a->rt, h->orig, NULL, NULL, NULL) == PLC_OK)
        return 0;
    return plc_loadng_learn(a->rt, h->orig, ind->src, hops, weak);
}

/* The MAC's beacons advertise our route cost to the coordinator (0xFFFF: none, not an
 * agent; a cost is kept below PLC_MAC_RC_NONE). */
static void update_rc_coord(plc_adp *a)
{
    unsigned cost;
    uint16_t rc = 0xFFFF;
    if (plc_loadng_next_hop(a->rt, a->cfg.coordinator, NULL, NULL, &cost) == PLC_OK)
        rc = (uint16_t)(cost < PLC_MAC_RC_NONE - 1 ? cost : PLC_MAC_RC_NONE - 1);
    if (rc == a->rc_coord || !a->mac)
        return;
    a->rc_coord = rc;
    plc_mac_pib pib;
    plc_mac_get_pib(a->mac, &pib);
    pib.rc_coord = rc;
    plc_mac_set_pib(a->mac, &pib);
}

static void on_mac_indication(void *user, const plc_mac_data_indication *ind)
{
    plc_adp *a = user;
    plc_adp_header h;
    if (a->tap)
        a->tap(a->tap_user, ind->src, ind->msdu, ind->len, 0);
    if (plc_adp_header_decode(ind->msdu, ind->len, &h) != PLC_OK) {
        a->cnt.malformed++;
        return;
    }
    const int lbp = !h.mesh && !h.frag && h.len >= 3 && h.payload[0] == PLC_ADP_DISPATCH_ESC &&
                    h.payload[1] == PLC_ADP_ESC_LBP;
    if (lbp) { /* G3: the only frames that may come in clear (the join's first hop) */
        lbp_up(a, ind->src, ind->src_ext, ind->secured, ind->lqi, h.payload, h.len);
        return;
    }
    if (!ind->secured && a->mac_secured) {
        a->cnt.unsecured++;
        return;
    }
    if (!h.mesh) {
        if (h.len >= 2 && h.payload[0] == PLC_ADP_DISPATCH_ESC && h.payload[1] == PLC_ADP_ESC_LOADNG)
            plc_loadng_input(a->rt, ind->src, ind->lqi, h.payload + 2, h.len - 2);
        else if (h.frag)
            a->cnt.malformed++; /* fragments travel behind a mesh header here */
        else
            deliver(a, ind->src, self(a), h.payload, h.len, 1, ind->lqi);
        return;
    }
    const unsigned max = a->cfg.loadng.max_hops;
    const unsigned hops = h.hops_left <= max ? max - h.hops_left + 1 : 1;
    if (h.orig == self(a))
        return; /* our own, relayed back */
    if (learn_route(a, &h, ind, hops) && h.orig == a->cfg.coordinator) {
        discovered(a, h.orig, PLC_OK); /* datagrams waiting for the coordinator's route go */
        update_rc_coord(a);
    }
    if (h.final == PLC_ADP_BROADCAST) {
        if (!h.bc0) {
            a->cnt.malformed++; /* a broadcast needs its sequence number (BC0) */
            return;
        }
        if (broadcast_seen(a, h.orig, h.bc_seq)) {
            a->cnt.duplicates++;
            heard_again(a, h.orig, h.bc_seq);
            return;
        }
        if (!h.frag)
            deliver(a, h.orig, PLC_ADP_BROADCAST, h.payload, h.len, hops, ind->lqi);
        if (h.hops_left > 1)
            relay_frame(a, ind, &h, PLC_ADP_BROADCAST);
        return;
    }
    if (h.final == self(a)) {
        if (h.frag)
            reassemble(a, &h, hops, ind->lqi);
        else
            deliver(a, h.orig, self(a), h.payload, h.len, hops, ind->lqi);
        return;
    }
    if (h.hops_left <= 1) {
        a->cnt.hops_exhausted++;
        return;
    }
    uint16_t next;
    if (plc_loadng_next_hop(a->rt, h.final, &next, NULL, NULL) != PLC_OK) {
        a->cnt.no_route++;
        plc_loadng_send_rerr(a->rt, h.orig, h.final);
        return;
    }
    relay_frame(a, ind, &h, next);
}

static void on_mac_beacon(void *user, uint16_t src, uint16_t rc_coord, uint8_t lqi)
{
    plc_adp *a = user;
    if (a->cb.beacon)
        a->cb.beacon(a->cb.user, src, rc_coord, lqi);
}

plc_mac_callbacks plc_adp_mac_callbacks(plc_adp *a)
{
    return (plc_mac_callbacks){.confirm = on_mac_confirm, .indication = on_mac_indication,
                               .beacon = on_mac_beacon, .user = a};
}

void plc_adp_set_tap(plc_adp *a, plc_adp_tap_fn fn, void *user)
{
    a->tap = fn;
    a->tap_user = user;
}

void plc_adp_attach(plc_adp *a, plc_mac *mac)
{
    a->mac = mac;
    plc_mac_pib pib;
    if (mac) {
        plc_mac_get_pib(mac, &pib);
        a->mac_secured = pib.security_enabled;
    }
}

plc_adp *plc_adp_create(const plc_adp_config *cfg, plc_loop *loop, uint64_t seed,
                        const plc_adp_callbacks *cb)
{
    if (!cfg || !loop || cfg->queue < 1 || cfg->reassembly_slots < 1 ||
        cfg->broadcast_log < 1 || cfg->relays < 1 ||
        cfg->queue + cfg->relays + CONTROL > UNCONFIRMED)
        return NULL;
    plc_adp *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->cfg = *cfg;
    a->cfg.loadng.coordinator = cfg->coordinator;
    a->loop = loop;
    if (cb)
        a->cb = *cb;
    a->tx = calloc(cfg->queue, sizeof(txd));
    a->rx = calloc(cfg->reassembly_slots, sizeof(rxd));
    a->bl = calloc(cfg->broadcast_log, sizeof(bclog));
    a->rel = calloc(cfg->relays, sizeof(relay));
    const plc_loadng_ops ops = {.send = loadng_send, .link_cost = link_cost,
                                .discovered = discovered, .path = path_found, .user = a};
    a->rt = plc_loadng_create(&a->cfg.loadng, loop, seed, &ops);
    if (!a->tx || !a->rx || !a->bl || !a->rel || !a->rt) {
        plc_adp_destroy(a);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->reassembly_slots; i++) {
        a->rx[i].a = a;
        plc_timer_init(&a->rx[i].timeout, on_reasm_timeout, &a->rx[i]);
    }
    for (unsigned i = 0; i < cfg->relays; i++) {
        a->rel[i].a = a;
        plc_timer_init(&a->rel[i].jitter, on_relay_jitter, &a->rel[i]);
    }
    for (unsigned i = 0; i < cfg->queue; i++) {
        a->tx[i].a = a;
        plc_timer_init(&a->tx[i].wait, on_wait_timeout, &a->tx[i]);
    }
    plc_timer_init(&a->beacon, on_beacon, a);
    if (cfg->beacon_period_s && cfg->loadng.self == cfg->coordinator)
        plc_timer_start_in(loop, &a->beacon, 1000000); /* the first beacon after a second */
    plc_rng_seed(&a->rng, seed ^ 0x5A5A5A5Aull);
    return a;
}

void plc_adp_destroy(plc_adp *a)
{
    if (!a)
        return;
    if (a->rx)
        for (unsigned i = 0; i < a->cfg.reassembly_slots; i++)
            plc_timer_stop(a->loop, &a->rx[i].timeout);
    if (a->rel)
        for (unsigned i = 0; i < a->cfg.relays; i++)
            plc_timer_stop(a->loop, &a->rel[i].jitter);
    if (a->tx)
        for (unsigned i = 0; i < a->cfg.queue; i++)
            plc_timer_stop(a->loop, &a->tx[i].wait);
    plc_timer_stop(a->loop, &a->beacon);
    plc_loadng_destroy(a->rt);
    free(a->tx);
    free(a->rx);
    free(a->bl);
    free(a->rel);
    free(a);
}

void plc_adp_set_coordinator_route(plc_adp *a, uint16_t agent, unsigned cost)
{
    const unsigned hops = agent == a->cfg.coordinator ? 1 : 2; /* its neighbour, or beyond */
    plc_loadng_learn_cost(a->rt, a->cfg.coordinator, agent, hops, 0, cost, 0);
    update_rc_coord(a);
}

int plc_adp_path_request(plc_adp *a, uint16_t dst, uint8_t metric)
{
    return plc_loadng_path_discover(a->rt, dst, metric);
}

plc_loadng *plc_adp_routing(plc_adp *a)
{
    return a->rt;
}

void plc_adp_get_counters(const plc_adp *a, plc_adp_counters *c)
{
    *c = a->cnt;
}
