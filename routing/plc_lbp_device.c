#include "plc_lbp_device.h"

#include <stdlib.h>
#include <string.h>

#include "plc_lbp_frame.h"

#define CANDIDATES 8
#define MSG_MAX 160

typedef struct candidate {
    uint16_t addr;
    uint16_t rc;
    uint8_t lqi;
    unsigned cost;    /* rc + link cost */
    int failed;       /* tries used up in this round */
} candidate;

struct plc_lbd {
    plc_lbd_config cfg;
    plc_loop *loop;
    plc_lbd_ops ops;
    plc_lbd_state state;
    plc_timer timer;
    plc_timer kick;
    candidate cand[CANDIDATES];
    unsigned n_cand;
    int agent;               /* index in cand, -1: none */
    unsigned tries, rounds;
    uint16_t short_addr;
    /* the exchange in progress */
    plc_eap_psk_keys keys;
    uint8_t rand_s[16], rand_p[16], id_s[PLC_EAP_PSK_ID];
    int have_keys, sent4, pending_ok;
    int retry_wait;          /* the timer ends a back-off before the JOINING again */
    unsigned unanswered;     /* JOININGs timed out since the last join */
    plc_lbp_params pending;  /* from message 3, applied on ACCEPTED */
    uint8_t last_id, last_psk; /* the request last answered */
    uint8_t last[MSG_MAX];
    size_t last_len;
    uint8_t buf[MSG_MAX];
    plc_lbd_counters cnt;
};

void plc_lbd_config_default(plc_lbd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->scan_ms = 12000;
    c->join_wait_ms = 20000;
    c->join_wait_max_ms = 180000;
    c->retry_ms = 10000;
    c->retry_doublings = 5;
    c->min_lqi = 53;
    c->tries = 3;
    c->backoff_min_ms = 1000;
    c->backoff_max_ms = 5000;
    c->backoff_doublings = 6;
    c->kick_delay_ms = 2000;
    c->defer_max_s = 900;
}

static uint32_t rand32(plc_lbd *d)
{
    uint8_t b[4];
    d->ops.random(d->ops.user, b, 4);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void backoff(plc_lbd *d)
{
    const unsigned k = 1u << (d->rounds < d->cfg.backoff_doublings ? d->rounds
                                                                    : d->cfg.backoff_doublings);
    const uint64_t lo = (uint64_t)d->cfg.backoff_min_ms * k, hi = (uint64_t)d->cfg.backoff_max_ms * k;
    d->state = PLC_LBD_BACKOFF;
    d->rounds++;
    d->n_cand = 0; /* beacons others' scans draw meanwhile are candidates too */
    plc_timer_start_in(d->loop, &d->timer, (lo + rand32(d) % (hi - lo + 1)) * 1000u);
}

static void send(plc_lbd *d, const uint8_t *msg, size_t len)
{
    if (d->state == PLC_LBD_JOINED) /* our own exchange with the server: routed */
        d->ops.send(d->ops.user, d->cfg.server, 0, msg, len);
    else if (d->agent >= 0)
        d->ops.send(d->ops.user, d->cand[d->agent].addr, 0, msg, len);
}

/* Sends an LBP message of ours (type, data) and keeps it as the answer to repeats. */
static void send_ours(plc_lbd *d, uint8_t type, const uint8_t *data, size_t len)
{
    const plc_lbp_msg m = {.type = type, .lbd = d->cfg.eui, .data = data, .len = len};
    const int n = plc_lbp_encode(&m, d->last, sizeof(d->last));
    if (n < 0)
        return;
    d->last_len = (size_t)n;
    send(d, d->last, d->last_len);
}

/* The join wait: doubled per JOINING unanswered since the last join, up to the maximum. */
static uint64_t join_wait_us(const plc_lbd *d)
{
    const uint64_t cap = d->cfg.join_wait_max_ms > d->cfg.join_wait_ms ? d->cfg.join_wait_max_ms
                                                                        : d->cfg.join_wait_ms;
    const uint64_t w = (uint64_t)d->cfg.join_wait_ms << (d->unanswered < 16 ? d->unanswered : 16);
    return (w < cap ? w : cap) * 1000u;
}

static void joining(plc_lbd *d)
{
    d->state = PLC_LBD_JOINING;
    d->retry_wait = 0;
    d->have_keys = d->sent4 = d->pending_ok = 0;
    d->last_psk = 0;
    d->cnt.joinings++;
    send_ours(d, PLC_LBP_JOINING, NULL, 0);
    plc_timer_start_in(d->loop, &d->timer, join_wait_us(d));
}

/* The best candidate not failed yet: the lowest cost through it, then the higher LQI. */
static int choose(plc_lbd *d)
{
    int best = -1;
    for (unsigned i = 0; i < d->n_cand; i++) {
        const candidate *c = &d->cand[i];
        if (c->failed)
            continue;
        if (best < 0 || c->cost < d->cand[best].cost ||
            (c->cost == d->cand[best].cost && c->lqi > d->cand[best].lqi))
            best = (int)i;
    }
    return best;
}

/* The best candidate left becomes the agent (its tries from 0): 1; none left: a new
 * back-off, 0. */
static int next_agent(plc_lbd *d)
{
    d->agent = choose(d);
    d->tries = 0;
    if (d->agent >= 0)
        return 1;
    backoff(d);
    return 0;
}

/* Binary exponential back-off over every unanswered JOINING since the last join: the next
 * after random(0, retry_ms 2^(n-1)) for the n-th, at most 2^retry_doublings times. */
static void retry_later(plc_lbd *d)
{
    const unsigned k = d->unanswered < d->cfg.retry_doublings ? d->unanswered
                                                              : d->cfg.retry_doublings;
    const uint64_t span = (uint64_t)d->cfg.retry_ms * 1000u << k;
    d->unanswered++;
    d->retry_wait = 1;
    plc_timer_start_in(d->loop, &d->timer, 1 + rand32(d) % (span ? span : 1));
}

static void on_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_lbd *d = user;
    switch (d->state) {
    case PLC_LBD_BACKOFF:
        if (d->n_cand) { /* agents heard while waiting: no scan of our own */
            d->cnt.passive++;
            if (next_agent(d))
                joining(d);
            break;
        }
        d->state = PLC_LBD_SCAN; /* the candidates were cleared when the back-off began */
        d->cnt.scans++;
        d->ops.beacon_request(d->ops.user);
        plc_timer_start_in(d->loop, &d->timer, (uint64_t)d->cfg.scan_ms * 1000u);
        break;
    case PLC_LBD_SCAN:
        if (next_agent(d))
            joining(d);
        break;
    case PLC_LBD_JOINING:
        if (d->retry_wait) {
            joining(d);
            break;
        }
        d->cnt.timeouts++;
        if (++d->tries >= d->cfg.tries) { /* this agent's tries used up: the next one */
            d->cand[d->agent].failed = 1;
            if (!next_agent(d))
                break;
        }
        retry_later(d);
        break;
    default:
        break;
    }
}

static void on_kick(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_lbd *d = user;
    d->ops.left(d->ops.user);
    d->short_addr = 0xFFFF;
    d->rounds = 0;
    backoff(d);
}

void plc_lbd_beacon(plc_lbd *d, uint16_t src, uint16_t rc, uint8_t lqi)
{
    if ((d->state != PLC_LBD_SCAN && d->state != PLC_LBD_BACKOFF) || lqi < d->cfg.min_lqi ||
        rc >= PLC_MAC_RC_NONE)
        return;
    const uint64_t soon = (uint64_t)d->cfg.backoff_max_ms * 1000u;
    if (d->state == PLC_LBD_BACKOFF && d->timer.due_us > plc_loop_now_us(d->loop) + soon) {
        /* a long back-off (scans found nothing) ends soon once an agent is heard */
        const uint64_t lo = (uint64_t)d->cfg.backoff_min_ms * 1000u;
        plc_timer_start_in(d->loop, &d->timer, lo + rand32(d) % (soon - lo + 1));
    }
    const unsigned cost = rc + d->ops.link_cost(d->ops.user, src, lqi);
    unsigned i = 0;
    while (i < d->n_cand && d->cand[i].addr != src)
        i++;
    if (i == d->n_cand) {
        if (d->n_cand < CANDIDATES) {
            d->n_cand++;
        } else { /* full: replace the worst if this one is better */
            unsigned w = 0;
            for (unsigned k = 1; k < CANDIDATES; k++)
                if (d->cand[k].cost > d->cand[w].cost)
                    w = k;
            if (d->cand[w].cost <= cost)
                return;
            i = w;
        }
    }
    d->cand[i] = (candidate){.addr = src, .rc = rc, .lqi = lqi, .cost = cost};
}

/* ---- the EAP-PSK exchange ---- */
static void answer_eap(plc_lbd *d, const plc_eap_msg *out)
{
    const int n = plc_eap_encode(out, &d->keys, d->buf, sizeof(d->buf));
    if (n > 0)
        send_ours(d, PLC_LBP_JOINING, d->buf, (size_t)n);
}

static void on_message1(plc_lbd *d, const plc_eap_msg *in)
{
    memcpy(d->rand_s, in->rand_s, 16);
    memcpy(d->id_s, in->id_x, PLC_EAP_PSK_ID);
    d->ops.random(d->ops.user, d->rand_p, 16);
    uint8_t id_p[PLC_EAP_PSK_ID];
    plc_lbp_eui_bytes(d->cfg.eui, id_p);
    plc_eap_msg out = {.code = PLC_EAP_RESPONSE, .id = in->id, .psk = 2};
    memcpy(out.rand_s, d->rand_s, 16);
    memcpy(out.rand_p, d->rand_p, 16);
    memcpy(out.id_x, id_p, PLC_EAP_PSK_ID);
    if (plc_eap_psk_ak_kdk(d->cfg.psk, &d->keys) != PLC_OK ||
        plc_eap_psk_derive(d->rand_p, &d->keys) != PLC_OK ||
        plc_eap_psk_mac_p(&d->keys, id_p, PLC_EAP_PSK_ID, d->id_s, PLC_EAP_PSK_ID, d->rand_s,
                          d->rand_p, out.mac) != PLC_OK)
        return;
    d->have_keys = 1;
    d->sent4 = 0;
    answer_eap(d, &out);
}

/* What message 3's parameters ask: a first join needs an address and a key with its
 * activation; a rekey a key only. */
static uint8_t check_params(const plc_lbd *d, const plc_lbp_params *p, uint8_t *attr)
{
    const int joined = d->state == PLC_LBD_JOINED;
    *attr = 0;
    if (!p->has_gmk) {
        *attr = PLC_LBP_PARAM_GMK;
        return PLC_LBP_RESULT_MISSING;
    }
    if (!joined && !p->has_short) {
        *attr = PLC_LBP_PARAM_SHORT_ADDR;
        return PLC_LBP_RESULT_MISSING;
    }
    if (!joined && (p->short_addr >= 0x8000 || !p->has_activation ||
                    p->activation_id != p->gmk_id)) {
        *attr = p->short_addr >= 0x8000 ? PLC_LBP_PARAM_SHORT_ADDR : PLC_LBP_PARAM_GMK_ACTIVATION;
        return PLC_LBP_RESULT_INVALID;
    }
    if (p->gmk_id > 1) {
        *attr = PLC_LBP_PARAM_GMK;
        return PLC_LBP_RESULT_INVALID;
    }
    return PLC_LBP_RESULT_OK;
}

static void on_message3(plc_lbd *d, const uint8_t *pkt, size_t len, plc_eap_msg *in)
{
    uint8_t mac_s[16];
    if (!d->have_keys || memcmp(in->rand_s, d->rand_s, 16) != 0) {
        d->cnt.stale++; /* not the exchange we are in */
        return;
    }
    if (plc_eap_psk_mac_s(&d->keys, d->id_s, PLC_EAP_PSK_ID, d->rand_p, mac_s) != PLC_OK ||
        memcmp(mac_s, in->mac, 16) != 0 || plc_eap_open(pkt, len, &d->keys, in) != PLC_OK) {
        d->cnt.auth_failures++; /* a server without our PSK, or a changed message */
        return;
    }
    plc_lbp_params p;
    uint8_t unknown, attr = 0, result;
    if (plc_lbp_params_decode(in->ext, in->ext_len, &p, &unknown) != PLC_OK) {
        result = unknown ? PLC_LBP_RESULT_UNKNOWN : PLC_LBP_RESULT_INVALID;
        attr = unknown;
    } else {
        result = check_params(d, &p, &attr);
    }
    d->pending = p;
    d->pending_ok = result == PLC_LBP_RESULT_OK;
    plc_eap_msg out = {.code = PLC_EAP_RESPONSE, .id = in->id, .psk = 4, .nonce = in->nonce + 1,
                       .result = d->pending_ok ? PLC_EAP_PCHANNEL_SUCCESS
                                               : PLC_EAP_PCHANNEL_FAILURE};
    memcpy(out.rand_s, d->rand_s, 16);
    const plc_lbp_params r = {.has_result = 1, .result = result, .result_attr = attr};
    const int n = plc_lbp_params_encode(&r, out.ext, sizeof(out.ext));
    out.ext_len = n > 0 ? (size_t)n : 0;
    d->sent4 = 1;
    answer_eap(d, &out);
}

static void accepted(plc_lbd *d)
{
    if (!d->sent4 || !d->pending_ok) {
        d->cnt.stale++; /* a success we did not reach */
        return;
    }
    d->sent4 = d->pending_ok = 0;
    const plc_lbp_params *p = &d->pending;
    d->ops.set_key(d->ops.user, p->gmk_id, p->gmk);
    if (d->state == PLC_LBD_JOINED) { /* rekey, phase 1: installed, not used yet */
        d->cnt.rekeys++;
        return;
    }
    plc_timer_stop(d->loop, &d->timer);
    d->ops.activate_key(d->ops.user, p->activation_id);
    d->short_addr = p->short_addr;
    d->state = PLC_LBD_JOINED;
    d->rounds = 0;
    d->unanswered = 0;
    d->cnt.joined++;
    const candidate *a = &d->cand[d->agent];
    d->ops.joined(d->ops.user, p->short_addr, a->addr, a->cost);
    if (d->ops.announce)
        d->ops.announce(d->ops.user);
}

static void on_parameters(plc_lbd *d, const uint8_t *b, size_t len)
{
    plc_lbp_params p;
    uint8_t unknown, result = PLC_LBP_RESULT_OK, attr = 0;
    if (plc_lbp_params_decode(b, len, &p, &unknown) != PLC_OK) {
        result = unknown ? PLC_LBP_RESULT_UNKNOWN : PLC_LBP_RESULT_INVALID;
        attr = unknown;
    } else if (p.has_activation && p.activation_id <= 1) {
        d->ops.activate_key(d->ops.user, p.activation_id); /* rekey, phase 2 */
        d->cnt.activations++;
        attr = PLC_LBP_PARAM_GMK_ACTIVATION;
    } else {
        result = PLC_LBP_RESULT_INVALID;
    }
    const plc_lbp_params r = {.has_result = 1, .result = result, .result_attr = attr};
    uint8_t out[8];
    const int n = plc_lbp_params_encode(&r, out, sizeof(out));
    if (n > 0)
        send_ours(d, PLC_LBP_JOINING, out, (size_t)n);
}

/* A message from the server for us. */
static void for_us(plc_lbd *d, const plc_lbp_msg *m)
{
    if (m->type == PLC_LBP_KICK_TO_LBD) {
        if (d->state == PLC_LBD_JOINED && !plc_timer_pending(&d->kick)) {
            d->cnt.kicked++;
            plc_timer_start_in(d->loop, &d->kick, (uint64_t)d->cfg.kick_delay_ms * 1000u);
        }
        return;
    }
    if (m->type == PLC_LBP_DECLINE) {
        if (d->state != PLC_LBD_JOINING)
            return;
        unsigned retry_s = 0;
        if (plc_lbp_decline_retry(m->data, m->len, &retry_s) == PLC_OK && retry_s) {
            /* paced: the JOINING again through the same agent when the server said, within
             * a second after (our bound: the message came in clear) */
            d->cnt.deferred++;
            d->retry_wait = 1;
            retry_s = retry_s < d->cfg.defer_max_s ? retry_s : d->cfg.defer_max_s;
            plc_timer_start_in(d->loop, &d->timer,
                               (uint64_t)retry_s * 1000000u + rand32(d) % 1000000u);
            return;
        }
        d->cnt.declined++;
        plc_timer_stop(d->loop, &d->timer);
        d->agent = -1;
        backoff(d);
        return;
    }
    if (d->state != PLC_LBD_JOINING && d->state != PLC_LBD_JOINED)
        return;
    if (m->type == PLC_LBP_ACCEPTED && m->len && (m->data[0] & 1)) {
        if (d->state == PLC_LBD_JOINED)
            on_parameters(d, m->data, m->len);
        return;
    }
    plc_eap_msg in;
    if (plc_eap_decode(m->data, m->len, &in) != PLC_OK) {
        d->cnt.malformed++;
        return;
    }
    if (m->type == PLC_LBP_ACCEPTED && in.code == PLC_EAP_SUCCESS) {
        accepted(d);
        return;
    }
    if (m->type != PLC_LBP_CHALLENGE || in.code != PLC_EAP_REQUEST) {
        d->cnt.malformed++;
        return;
    }
    if (d->last_psk == in.psk && d->last_id == in.id && d->last_len &&
        (in.psk == 1 ? memcmp(in.rand_s, d->rand_s, 16) == 0 : 1)) {
        send(d, d->last, d->last_len); /* a repeat: our answer was lost */
        return;
    }
    if (d->state == PLC_LBD_JOINING) { /* progress: the wait starts again */
        d->retry_wait = 0;
        plc_timer_start_in(d->loop, &d->timer, join_wait_us(d));
    }
    if (in.psk == 1)
        on_message1(d, &in);
    else if (in.psk == 3)
        on_message3(d, m->data, m->len, &in);
    else {
        d->cnt.malformed++;
        return;
    }
    d->last_id = in.id;
    d->last_psk = in.psk;
}

/* ---- the agent's relay ---- */
static void relay(plc_lbd *d, const plc_adp_lbp_indication *ind, const plc_lbp_msg *m)
{
    if (!PLC_LBP_TO_LBD(m->type)) { /* up: only a device's own JOINING, in clear */
        if (m->type == PLC_LBP_JOINING && !ind->secured && ind->src_ext == m->lbd) {
            d->cnt.relayed_up++;
            d->ops.send(d->ops.user, d->cfg.server, 0, ind->msg, ind->len);
        } else {
            d->cnt.relay_refused++;
        }
        return;
    }
    /* down: only from the server, routed and secured */
    if (ind->secured && !ind->src_ext && ind->src < 0x8000 && ind->src == d->cfg.server) {
        d->cnt.relayed_down++;
        d->ops.send(d->ops.user, PLC_MAC_NO_SHORT, m->lbd, ind->msg, ind->len);
    } else {
        d->cnt.relay_refused++;
    }
}

void plc_lbd_input(plc_lbd *d, const plc_adp_lbp_indication *ind)
{
    plc_lbp_msg m;
    if (ind->len < 2 || plc_lbp_decode(ind->msg + 2, ind->len - 2, &m) != PLC_OK) {
        d->cnt.malformed++;
        return;
    }
    if (m.lbd != d->cfg.eui) {
        if (d->state == PLC_LBD_JOINED)
            relay(d, ind, &m);
        return;
    }
    if (!PLC_LBP_TO_LBD(m.type)) {
        d->cnt.malformed++;
        return;
    }
    /* for us: in clear from our agent while joining, routed and secured from the server
     * once joined */
    const int ok = d->state == PLC_LBD_JOINED
                       ? ind->secured && ind->src == d->cfg.server
                       : d->agent >= 0 && !ind->secured && ind->src == d->cand[d->agent].addr;
    if (!ok) {
        d->cnt.stale++;
        return;
    }
    for_us(d, &m);
}

plc_lbd *plc_lbd_create(const plc_lbd_config *cfg, plc_loop *loop, const plc_lbd_ops *ops)
{
    if (!cfg || !loop || !ops || !ops->send || !ops->beacon_request || !ops->link_cost ||
        !ops->random || !ops->joined || !ops->set_key || !ops->activate_key || !ops->left ||
        !cfg->eui || cfg->tries == 0 || cfg->backoff_max_ms < cfg->backoff_min_ms ||
        cfg->backoff_doublings > 16 || cfg->retry_doublings > 16)
        return NULL;
    plc_lbd *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->cfg = *cfg;
    d->loop = loop;
    d->ops = *ops;
    d->agent = -1;
    d->short_addr = 0xFFFF;
    plc_timer_init(&d->timer, on_timer, d);
    plc_timer_init(&d->kick, on_kick, d);
    return d;
}

void plc_lbd_destroy(plc_lbd *d)
{
    if (!d)
        return;
    plc_timer_stop(d->loop, &d->timer);
    plc_timer_stop(d->loop, &d->kick);
    memset(&d->keys, 0, sizeof(d->keys));
    free(d);
}

void plc_lbd_start(plc_lbd *d)
{
    if (d->state == PLC_LBD_IDLE)
        backoff(d);
}

plc_lbd_state plc_lbd_get_state(const plc_lbd *d)
{
    return d->state;
}

uint16_t plc_lbd_short_addr(const plc_lbd *d)
{
    return d->short_addr;
}

void plc_lbd_get_counters(const plc_lbd *d, plc_lbd_counters *c)
{
    *c = d->cnt;
}
