#include "plc_lbp_server.h"

#include <stdlib.h>
#include <string.h>

#include "plc_lbp_frame.h"

#define MSG_MAX 160
#define NO_KEY 0xFF

typedef struct allow {
    uint64_t eui;
    uint8_t psk[16];
    int used;
    uint64_t ticket;    /* pacing: loop us it was told to come back at (0: none) */
} allow;

typedef struct device {
    uint64_t eui;
    int used;
    uint8_t has;        /* the newest key id it holds */
    uint8_t uses;       /* the key id it sends with */
    unsigned tried;     /* the rekey phase it was last tried in (a failed step: not again) */
} device;

typedef enum { S_FREE, S_WAIT2, S_WAIT4, S_WAIT_RESULT } session_state;
typedef enum { P_JOIN, P_REKEY, P_ACTIVATE } session_purpose;

typedef struct session {
    struct plc_lbs *s;
    session_state st;
    session_purpose why;
    uint64_t eui;
    uint16_t via;       /* join: the agent (0xFFFF: the device is our neighbour) */
    unsigned dev;       /* index in the device table (rekey, activation; a join: the slot
                         * its address comes from, reserved from message 3 on) */
    int reserved;       /* a join holds slot dev */
    const allow *key;
    plc_eap_psk_keys keys;
    uint8_t rand_s[16], rand_p[16];
    uint8_t id;
    int repeated;
    uint64_t started;   /* loop us of its message 1 */
    uint64_t step_at;   /* ... of the current step's first sending */
    plc_timer timer;
    uint8_t last[MSG_MAX];
    size_t last_len;
} session;

/* A JOINING that found every session busy, waiting for one. */
typedef struct waiting {
    uint64_t eui;       /* 0: free */
    uint16_t via;
    uint64_t at;        /* loop us it first arrived */
    uint64_t turn;      /* its place in line: at, or the slot it was told to come back at */
} waiting;

struct plc_lbs {
    plc_lbs_config cfg;
    plc_loop *loop;
    plc_lbs_ops ops;
    allow *allow;
    uint64_t *block;
    device *dev;
    session *ses;
    waiting *wait;
    int locked;
    uint8_t active_id, next_id;
    uint8_t gmk[2][16];
    int rekeying;       /* a new key distributed, not yet active */
    unsigned phase;     /* rekey phases started (device.tried compares to it) */
    uint8_t eap_id;
    uint64_t srtt_us, rttvar_us; /* a step's round trip, smoothed, and its variation */
    int rtt_known;               /* ... once one was measured */
    uint64_t hold_us;   /* pacing: how long a join holds its session (moving average) */
    uint64_t next_slot; /* ... and the loop us from which the sessions are not booked */
    uint8_t buf[MSG_MAX];
    plc_lbs_counters cnt;
};

void plc_lbs_config_default(plc_lbs_config *c)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->id_s, "plcstack", 8);
    c->max_devices = 1024;
    c->block_size = 64;
    c->sessions = 5;
    c->step_timeout_ms = 10000;
    c->step_min_ms = 2000;
    c->waiting = 32;
    c->wait_ms = 12000;
    c->first_short = 0x0001;
    c->defer_max_s = 900;
    c->hold_ms = 8000;
}

static device *device_of(plc_lbs *s, uint64_t eui)
{
    for (unsigned i = 0; i < s->cfg.max_devices; i++)
        if (s->dev[i].used && s->dev[i].eui == eui)
            return &s->dev[i];
    return NULL;
}

static uint16_t short_of(const plc_lbs *s, const device *d)
{
    return (uint16_t)(s->cfg.first_short + (unsigned)(d - s->dev));
}

static allow *allow_of(plc_lbs *s, uint64_t eui)
{
    for (unsigned i = 0; i < s->cfg.allow_size; i++)
        if (s->allow[i].used && s->allow[i].eui == eui)
            return &s->allow[i];
    return NULL;
}

static int blocked(const plc_lbs *s, uint64_t eui)
{
    for (unsigned i = 0; i < s->cfg.block_size; i++)
        if (s->block[i] == eui)
            return 1;
    return 0;
}

static session *session_of(plc_lbs *s, uint64_t eui)
{
    for (unsigned i = 0; i < s->cfg.sessions; i++)
        if (s->ses[i].st != S_FREE && s->ses[i].eui == eui)
            return &s->ses[i];
    return NULL;
}

static session *free_session(plc_lbs *s, unsigned keep_free)
{
    unsigned n = 0;
    session *f = NULL;
    for (unsigned i = 0; i < s->cfg.sessions; i++)
        if (s->ses[i].st == S_FREE) {
            n++;
            f = f ? f : &s->ses[i];
        }
    return n > keep_free ? f : NULL;
}

/* ---- sending ---- */
/* To a joining device: through its agent, or in clear to its EUI-64 (our neighbour). */
static void send_joining(plc_lbs *s, uint64_t eui, uint16_t via, const uint8_t *msg, size_t len)
{
    if (via == 0xFFFF)
        s->ops.send(s->ops.user, PLC_MAC_NO_SHORT, eui, msg, len);
    else
        s->ops.send(s->ops.user, via, 0, msg, len);
}

static void transmit(plc_lbs *s, session *x)
{
    if (x->why != P_JOIN)
        s->ops.send(s->ops.user, short_of(s, &s->dev[x->dev]), 0, x->last, x->last_len);
    else
        send_joining(s, x->eui, x->via, x->last, x->last_len);
}

/* [R] a step is repeated after RFC 6298's timeout on the steps' measured round trips
 * (srtt + 4 rttvar, from steps answered at their first sending: Karn), within
 * [step_min_ms, step_timeout_ms]; doubled for the repeat. */
static uint64_t step_timeout_us(const plc_lbs *s, int repeat)
{
    const uint64_t hi = (uint64_t)s->cfg.step_timeout_ms * 1000u,
                   lo = (uint64_t)s->cfg.step_min_ms * 1000u;
    uint64_t t = s->rtt_known ? (s->srtt_us + 4 * s->rttvar_us) << (repeat ? 1 : 0) : hi;
    t = t < lo ? lo : t;
    return t > hi ? hi : t;
}

static void rtt_sample(plc_lbs *s, session *x)
{
    if (x->repeated)
        return;
    const uint64_t r = plc_loop_now_us(s->loop) - x->step_at;
    if (!s->rtt_known) {
        s->rtt_known = 1;
        s->srtt_us = r;
        s->rttvar_us = r / 2;
        return;
    }
    const uint64_t dev = r > s->srtt_us ? r - s->srtt_us : s->srtt_us - r;
    s->rttvar_us = (3 * s->rttvar_us + dev) / 4;
    s->srtt_us = (7 * s->srtt_us + r) / 8;
}

static void send_step(plc_lbs *s, session *x, int n, session_state next)
{
    if (n < 0)
        return;
    x->last_len = (size_t)n;
    x->st = next;
    x->repeated = 0;
    x->step_at = plc_loop_now_us(s->loop);
    transmit(s, x);
    plc_timer_start_in(s->loop, &x->timer, step_timeout_us(s, 0));
}

/* A one-off message (ACCEPTED, DECLINE, KICK) outside a session's steps. */
static void send_once(plc_lbs *s, session *x, uint8_t type, const uint8_t *data, size_t len)
{
    const plc_lbp_msg m = {.type = type, .lbd = x->eui, .data = data, .len = len};
    const int n = plc_lbp_encode(&m, x->last, sizeof(x->last));
    if (n > 0) {
        x->last_len = (size_t)n;
        transmit(s, x);
    }
}

static void end_session(plc_lbs *s, session *x);

static void eap_end(plc_lbs *s, session *x, uint8_t type, uint8_t code)
{
    const plc_eap_msg m = {.code = code, .id = x->id};
    uint8_t e[4];
    const int n = plc_eap_encode(&m, NULL, e, sizeof(e));
    if (n > 0)
        send_once(s, x, type, e, (size_t)n);
    end_session(s, x);
}

static void decline(plc_lbs *s, session *x, int err, const char *why)
{
    if (s->ops.refused)
        s->ops.refused(s->ops.user, x->eui, err, why);
    eap_end(s, x, PLC_LBP_DECLINE, PLC_EAP_FAILURE);
}

static void start_psk(plc_lbs *s, session *x)
{
    x->started = plc_loop_now_us(s->loop);
    s->ops.random(s->ops.user, x->rand_s, 16);
    x->id = ++s->eap_id;
    plc_eap_msg m = {.code = PLC_EAP_REQUEST, .id = x->id, .psk = 1};
    memcpy(m.rand_s, x->rand_s, 16);
    memcpy(m.id_x, s->cfg.id_s, 8);
    send_step(s, x, plc_lbp_encode_eap(PLC_LBP_CHALLENGE, x->eui, &m, NULL, x->last,
                                       sizeof(x->last)),
              S_WAIT2);
}

/* ---- the rekey's work list ---- */
static void schedule(plc_lbs *s)
{
    if (!s->phase)
        return;
    for (unsigned i = 0; i < s->cfg.max_devices; i++) {
        device *d = &s->dev[i];
        const int rekey = s->rekeying && d->has != s->next_id;
        const int activate = !s->rekeying && d->has == s->active_id && d->uses != s->active_id;
        if (!d->used || d->tried == s->phase || (!rekey && !activate) || session_of(s, d->eui))
            continue;
        session *x = free_session(s, 1); /* one stays free for joins */
        if (!x)
            return;
        d->tried = s->phase;
        *x = (session){.s = s, .eui = d->eui, .dev = i, .key = allow_of(s, d->eui),
                       .timer = x->timer};
        if (rekey && x->key) {
            x->why = P_REKEY;
            start_psk(s, x);
        } else if (activate) {
            x->why = P_ACTIVATE;
            const plc_lbp_params p = {.has_activation = 1, .activation_id = s->active_id};
            uint8_t b[4];
            const int n = plc_lbp_params_encode(&p, b, sizeof(b));
            const plc_lbp_msg m = {.type = PLC_LBP_ACCEPTED, .lbd = d->eui, .data = b,
                                   .len = n > 0 ? (size_t)n : 0};
            send_step(s, x, plc_lbp_encode(&m, x->last, sizeof(x->last)), S_WAIT_RESULT);
        }
    }
}

static void start_join(plc_lbs *s, session *x, uint64_t eui, uint16_t via);

/* The JOINING that waited longest, if it is still fresh (older ones: the device has
 * given up on it and sends another), into a free session. */
static void serve_waiting(plc_lbs *s)
{
    const uint64_t now = plc_loop_now_us(s->loop);
    for (;;) {
        waiting *w = NULL;
        for (unsigned i = 0; i < s->cfg.waiting; i++) {
            waiting *c = &s->wait[i];
            if (c->eui && now - c->at > (uint64_t)s->cfg.wait_ms * 1000u) {
                c->eui = 0;
                s->cnt.wait_expired++;
            } else if (c->eui && (!w || c->turn < w->turn)) {
                w = c;
            }
        }
        session *x = free_session(s, 0);
        if (!w && x && s->next_slot > now) {
            /* a session free and nobody waiting: a device told to come back did not (its
             * JOINING or our DECLINE was lost), so its share goes back to the time line */
            const uint64_t share = s->hold_us / s->cfg.sessions;
            s->next_slot = s->next_slot - now > share ? s->next_slot - share : now;
        }
        if (!w || !x)
            return;
        const waiting j = *w;
        w->eui = 0;
        start_join(s, x, j.eui, j.via);
    }
}

static void end_session(plc_lbs *s, session *x)
{
    if (x->why == P_JOIN && x->started) { /* pacing: the hold it took, averaged over 8 */
        const uint64_t held = plc_loop_now_us(s->loop) - x->started;
        s->hold_us = held > s->hold_us ? s->hold_us + (held - s->hold_us) / 8
                                       : s->hold_us - (s->hold_us - held) / 8;
    }
    plc_timer_stop(s->loop, &x->timer);
    memset(&x->keys, 0, sizeof(x->keys));
    x->st = S_FREE;
    serve_waiting(s); /* joins before rekeys */
    schedule(s);
}

/* Every session busy: the JOINING waits for one (a repeat, through the same agent or
 * another, takes the same place: its turn and expiry stay those of the first); with the list
 * full it is dropped and counted (the device retries). */
static void enqueue(plc_lbs *s, uint64_t eui, uint16_t via, uint64_t turn)
{
    waiting *f = NULL;
    for (unsigned i = 0; i < s->cfg.waiting; i++) {
        waiting *c = &s->wait[i];
        if (c->eui == eui) {
            c->via = via;
            return;
        }
        if (!c->eui && !f)
            f = c;
    }
    if (!f) {
        s->cnt.busy++;
        return;
    }
    *f = (waiting){.eui = eui, .via = via, .at = plc_loop_now_us(s->loop), .turn = turn};
    s->cnt.queued++;
}

static void on_step_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    session *x = user;
    plc_lbs *s = x->s;
    if (!x->repeated) {
        x->repeated = 1;
        s->cnt.step_repeats++;
        transmit(s, x);
        plc_timer_start_in(s->loop, &x->timer, step_timeout_us(s, 1));
        return;
    }
    s->cnt.timeouts++;
    end_session(s, x);
}

/* ---- pacing ---- */
static int is_waiting(const plc_lbs *s, uint64_t eui)
{
    for (unsigned i = 0; i < s->cfg.waiting; i++)
        if (s->wait[i].eui == eui)
            return 1;
    return 0;
}

/* One join's share of the sessions (hold / sessions) booked from the first time not
 * booked yet: its slot. Only JOININGs that find every session busy book. */
static uint64_t book(plc_lbs *s, uint64_t now)
{
    const uint64_t slot = s->next_slot > now ? s->next_slot : now;
    s->next_slot = slot + s->hold_us / s->cfg.sessions;
    return slot;
}

/* DECLINE with the seconds until the device's slot. */
static void defer(plc_lbs *s, uint64_t eui, uint16_t via, uint64_t wait_us)
{
    uint8_t d[12];
    unsigned secs = (unsigned)((wait_us + 999999u) / 1000000u);
    secs = secs < s->cfg.defer_max_s ? secs : s->cfg.defer_max_s;
    const int n = plc_lbp_decline_encode(++s->eap_id, secs, d, sizeof(d));
    const plc_lbp_msg m = {.type = PLC_LBP_DECLINE, .lbd = eui, .data = d,
                           .len = n > 0 ? (size_t)n : 0};
    const int k = plc_lbp_encode(&m, s->buf, sizeof(s->buf));
    if (k > 0)
        send_joining(s, eui, via, s->buf, (size_t)k);
    s->cnt.deferred++;
}

/* Every session busy. A device back at its slot waits first in line; a newcomer whose
 * slot is near waits in the list, one whose slot is further off is told to come back
 * then (one coming back too early is told again, with no new slot booked). */
static void busy(plc_lbs *s, uint64_t eui, uint16_t via)
{
    const uint64_t now = plc_loop_now_us(s->loop), near = (uint64_t)s->cfg.wait_ms * 500u;
    allow *a = allow_of(s, eui);
    if (!s->cfg.defer_max_s || !a || is_waiting(s, eui)) {
        enqueue(s, eui, via, now);
        return;
    }
    if (a->ticket && a->ticket + (uint64_t)s->cfg.defer_max_s * 1000000u < now)
        a->ticket = 0; /* long past: it went elsewhere meanwhile */
    if (a->ticket > now + near) {
        defer(s, eui, via, a->ticket - now);
        return;
    }
    if (a->ticket) {
        enqueue(s, eui, via, a->ticket < now ? a->ticket : now);
        return;
    }
    const uint64_t slot = book(s, now);
    if (slot <= now + near) {
        enqueue(s, eui, via, now);
        return;
    }
    a->ticket = slot;
    defer(s, eui, via, slot - now);
}

/* ---- receiving ---- */
static void on_joining(plc_lbs *s, uint64_t eui, uint16_t via)
{
    s->cnt.joinings++;
    session *x = session_of(s, eui);
    if (x && x->why == P_JOIN && x->via == via && x->st == S_WAIT2 &&
        plc_loop_now_us(s->loop) - x->started < (uint64_t)s->cfg.step_timeout_ms * 1000u) {
        s->cnt.step_repeats++; /* the same JOINING again (our message 1 crossed it): repeat */
        transmit(s, x);
        return;
    }
    if (x)
        end_session(s, x); /* the device started again: the old exchange is over */
    x = free_session(s, 0);
    if (!x) {
        busy(s, eui, via);
        return;
    }
    start_join(s, x, eui, via);
}

static void start_join(plc_lbs *s, session *x, uint64_t eui, uint16_t via)
{
    *x = (session){.s = s, .why = P_JOIN, .eui = eui, .via = via, .timer = x->timer};
    allow *a = allow_of(s, eui);
    if (a)
        a->ticket = 0; /* served */
    const device *d = device_of(s, eui);
    const char *why = NULL;
    if (blocked(s, eui)) {
        s->cnt.blocked++;
        why = "blocked";
    } else if (!(x->key = allow_of(s, eui))) {
        s->cnt.not_allowed++;
        why = "not on the allow-list";
    } else if (!d && s->locked) {
        s->cnt.locked++;
        why = "network locked";
    } else if (!d && plc_lbs_device_count(s) >= s->cfg.max_devices) {
        s->cnt.full++;
        why = "device limit reached";
    }
    if (why) {
        decline(s, x, PLC_ERR_LBP_REFUSED, why);
        return;
    }
    start_psk(s, x);
}

/* A join's address: the device's own slot when it joined before, else a free one no other
 * exchange holds (two joins at once must not be given the same address). */
static int reserve_slot(plc_lbs *s, session *x)
{
    const device *d = device_of(s, x->eui);
    for (unsigned i = 0; i < s->cfg.max_devices && !d; i++) {
        int held = s->dev[i].used;
        for (unsigned k = 0; k < s->cfg.sessions && !held; k++)
            held = s->ses[k].st != S_FREE && s->ses[k].why == P_JOIN && s->ses[k].reserved &&
                   s->ses[k].dev == i;
        if (!held)
            d = &s->dev[i];
    }
    if (!d)
        return PLC_ERR_FULL;
    x->dev = (unsigned)(d - s->dev);
    x->reserved = 1;
    return PLC_OK;
}

static void on_message2(plc_lbs *s, session *x, const plc_eap_msg *in)
{
    uint8_t id_p[8], mac[16];
    plc_lbp_eui_bytes(x->eui, id_p);
    if (plc_eap_psk_ak_kdk(x->key->psk, &x->keys) != PLC_OK ||
        plc_eap_psk_derive(in->rand_p, &x->keys) != PLC_OK ||
        plc_eap_psk_mac_p(&x->keys, id_p, 8, s->cfg.id_s, 8, x->rand_s, in->rand_p, mac) != PLC_OK)
        return;
    if (memcmp(id_p, in->id_x, 8) != 0 || memcmp(mac, in->mac, 16) != 0) {
        s->cnt.auth_failures++; /* a wrong PSK (or a changed message) */
        if (x->why == P_JOIN) {
            decline(s, x, PLC_ERR_LBP_AUTH, "EAP-PSK: MAC_P does not check (wrong PSK?)");
        } else {
            end_session(s, x);
        }
        return;
    }
    memcpy(x->rand_p, in->rand_p, 16);
    x->id = ++s->eap_id;
    plc_eap_msg m = {.code = PLC_EAP_REQUEST, .id = x->id, .psk = 3, .nonce = 0,
                     .result = PLC_EAP_PCHANNEL_CONT};
    memcpy(m.rand_s, x->rand_s, 16);
    if (plc_eap_psk_mac_s(&x->keys, s->cfg.id_s, 8, x->rand_p, m.mac) != PLC_OK)
        return;
    plc_lbp_params p = {.has_gmk = 1};
    if (x->why == P_JOIN) {
        if (!x->reserved && reserve_slot(s, x) != PLC_OK) {
            decline(s, x, PLC_ERR_LBP_REFUSED, "device limit reached");
            return;
        }
        p.has_short = 1;
        p.short_addr = short_of(s, &s->dev[x->dev]);
        p.has_activation = 1;
        p.gmk_id = p.activation_id = s->active_id;
    } else {
        p.gmk_id = s->next_id;
    }
    memcpy(p.gmk, s->gmk[p.gmk_id], 16);
    const int n = plc_lbp_params_encode(&p, m.ext, sizeof(m.ext));
    m.ext_len = n > 0 ? (size_t)n : 0;
    send_step(s, x, plc_lbp_encode_eap(PLC_LBP_CHALLENGE, x->eui, &m, &x->keys, x->last,
                                       sizeof(x->last)),
              S_WAIT4);
}

static void admit(plc_lbs *s, session *x)
{
    device *d = &s->dev[x->dev];
    const int again = d->used;
    *d = (device){.eui = x->eui, .used = 1, .has = s->active_id, .uses = s->active_id};
    s->cnt.joined++;
    s->cnt.rejoined += again;
    const uint16_t via = x->via;
    eap_end(s, x, PLC_LBP_ACCEPTED, PLC_EAP_SUCCESS);
    if (s->ops.joined)
        s->ops.joined(s->ops.user, d->eui, short_of(s, d), via);
}

static void on_message4(plc_lbs *s, session *x, const uint8_t *pkt, size_t len, plc_eap_msg *in)
{
    if (in->nonce != 1 || plc_eap_open(pkt, len, &x->keys, in) != PLC_OK) {
        s->cnt.tampered++; /* changed on the way or not of this exchange: the step repeats */
        return;
    }
    plc_lbp_params r;
    uint8_t unknown;
    const int ok = in->result == PLC_EAP_PCHANNEL_SUCCESS &&
                   plc_lbp_params_decode(in->ext, in->ext_len, &r, &unknown) == PLC_OK &&
                   r.has_result && r.result == PLC_LBP_RESULT_OK;
    if (!ok) {
        if (x->why == P_JOIN)
            decline(s, x, PLC_ERR_LBP_REFUSED, "the device refused the parameters");
        else
            end_session(s, x);
        return;
    }
    if (x->why == P_JOIN) {
        admit(s, x);
        return;
    }
    s->dev[x->dev].has = s->next_id; /* rekey: it holds the new key */
    s->cnt.rekeyed++;
    eap_end(s, x, PLC_LBP_ACCEPTED, PLC_EAP_SUCCESS);
}

static void on_result(plc_lbs *s, session *x, const uint8_t *b, size_t len)
{
    plc_lbp_params r;
    uint8_t unknown;
    if (plc_lbp_params_decode(b, len, &r, &unknown) != PLC_OK || !r.has_result) {
        s->cnt.malformed++;
        return;
    }
    if (r.result == PLC_LBP_RESULT_OK) {
        s->dev[x->dev].uses = s->active_id;
        s->cnt.activated++;
    }
    end_session(s, x);
}

void plc_lbs_input(plc_lbs *s, const plc_adp_lbp_indication *ind)
{
    plc_lbp_msg m;
    if (ind->len < 2 || plc_lbp_decode(ind->msg + 2, ind->len - 2, &m) != PLC_OK ||
        PLC_LBP_TO_LBD(m.type)) {
        s->cnt.malformed++;
        return;
    }
    /* in clear only from the device itself (our neighbour); otherwise routed and secured,
     * from an agent or, once joined, the device */
    if (!ind->secured && ind->src_ext != m.lbd) {
        s->cnt.stale++;
        return;
    }
    const uint16_t via = ind->secured ? ind->src : 0xFFFF;
    if (m.type == PLC_LBP_KICK_FROM_LBD) {
        device *d = device_of(s, m.lbd);
        if (d && ind->secured && ind->src == short_of(s, d))
            d->used = 0; /* it leaves */
        return;
    }
    if (m.type != PLC_LBP_JOINING) {
        s->cnt.malformed++;
        return;
    }
    if (m.len == 0) {
        on_joining(s, m.lbd, via);
        return;
    }
    session *x = session_of(s, m.lbd);
    if (!x) {
        s->cnt.stale++; /* no exchange with this device: late or replayed */
        return;
    }
    const uint16_t expect = x->why == P_JOIN ? x->via : short_of(s, &s->dev[x->dev]);
    if (via != expect) {
        s->cnt.stale++;
        return;
    }
    if (m.data[0] & 1) { /* parameters: the answer to an activation */
        if (x->st != S_WAIT_RESULT) {
            s->cnt.stale++;
            return;
        }
        rtt_sample(s, x);
        on_result(s, x, m.data, m.len);
        return;
    }
    plc_eap_msg in;
    if (plc_eap_decode(m.data, m.len, &in) != PLC_OK || in.code != PLC_EAP_RESPONSE) {
        s->cnt.malformed++;
        return;
    }
    if (in.id != x->id || memcmp(in.rand_s, x->rand_s, 16) != 0) {
        s->cnt.stale++; /* another exchange's, or replayed */
        return;
    }
    if ((in.psk != 2 || x->st != S_WAIT2) && (in.psk != 4 || x->st != S_WAIT4)) {
        s->cnt.stale++;
        return;
    }
    rtt_sample(s, x);
    if (in.psk == 2)
        on_message2(s, x, &in);
    else
        on_message4(s, x, m.data, m.len, &in);
}

/* ---- policy and control ---- */
int plc_lbs_allow(plc_lbs *s, uint64_t eui, const uint8_t psk[16])
{
    allow *a = allow_of(s, eui);
    for (unsigned i = 0; i < s->cfg.allow_size && !a; i++)
        if (!s->allow[i].used)
            a = &s->allow[i];
    if (!a)
        return PLC_ERR_QUEUE_FULL;
    a->used = 1;
    a->eui = eui;
    memcpy(a->psk, psk, 16);
    return PLC_OK;
}

void plc_lbs_disallow(plc_lbs *s, uint64_t eui)
{
    allow *a = allow_of(s, eui);
    if (a)
        memset(a, 0, sizeof(*a));
}

int plc_lbs_block(plc_lbs *s, uint64_t eui, int on)
{
    for (unsigned i = 0; i < s->cfg.block_size; i++)
        if (s->block[i] == eui) {
            if (!on)
                s->block[i] = 0;
            return PLC_OK;
        }
    if (!on)
        return PLC_OK;
    for (unsigned i = 0; i < s->cfg.block_size; i++)
        if (!s->block[i]) {
            s->block[i] = eui;
            return PLC_OK;
        }
    return PLC_ERR_QUEUE_FULL;
}

void plc_lbs_lock(plc_lbs *s, int locked)
{
    s->locked = locked;
}

int plc_lbs_kick(plc_lbs *s, uint64_t eui)
{
    device *d = device_of(s, eui);
    if (!d)
        return PLC_ERR_ARG;
    const plc_lbp_msg m = {.type = PLC_LBP_KICK_TO_LBD, .lbd = eui};
    const int n = plc_lbp_encode(&m, s->buf, sizeof(s->buf));
    if (n > 0)
        s->ops.send(s->ops.user, short_of(s, d), 0, s->buf, (size_t)n);
    session *x = session_of(s, eui);
    if (x)
        end_session(s, x);
    d->used = 0;
    s->cnt.kicked++;
    return PLC_OK;
}

int plc_lbs_rekey_distribute(plc_lbs *s, const uint8_t gmk[16])
{
    if (s->rekeying)
        return PLC_ERR_BUSY;
    s->next_id = s->active_id ^ 1;
    memcpy(s->gmk[s->next_id], gmk, 16);
    s->ops.set_key(s->ops.user, s->next_id, gmk);
    s->rekeying = 1;
    s->phase++;
    schedule(s);
    return PLC_OK;
}

int plc_lbs_rekey_activate(plc_lbs *s)
{
    if (!s->rekeying)
        return PLC_ERR_ARG;
    s->rekeying = 0;
    s->active_id = s->next_id;
    s->ops.activate_key(s->ops.user, s->active_id);
    s->phase++;
    schedule(s);
    return PLC_OK;
}

void plc_lbs_rekey_progress(const plc_lbs *s, unsigned *devices, unsigned *distributed,
                            unsigned *activated)
{
    unsigned n = 0, d = 0, a = 0;
    const uint8_t newest = s->rekeying ? s->next_id : s->active_id;
    for (unsigned i = 0; i < s->cfg.max_devices; i++)
        if (s->dev[i].used) {
            n++;
            d += s->dev[i].has == newest;
            a += s->dev[i].uses == newest;
        }
    *devices = n;
    *distributed = d;
    *activated = a;
}

int plc_lbs_lookup(const plc_lbs *s, uint64_t eui, uint16_t *short_addr)
{
    device *d = device_of((plc_lbs *)s, eui);
    if (!d)
        return PLC_ERR_ARG;
    *short_addr = short_of(s, d);
    return PLC_OK;
}

unsigned plc_lbs_device_count(const plc_lbs *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->cfg.max_devices; i++)
        n += s->dev[i].used != 0;
    return n;
}

void plc_lbs_pacing(const plc_lbs *s, unsigned *hold_ms, unsigned *booked_ms)
{
    const uint64_t now = plc_loop_now_us(s->loop);
    *hold_ms = (unsigned)(s->hold_us / 1000u);
    *booked_ms = s->next_slot > now ? (unsigned)((s->next_slot - now) / 1000u) : 0;
}

void plc_lbs_get_counters(const plc_lbs *s, plc_lbs_counters *c)
{
    *c = s->cnt;
}

plc_lbs *plc_lbs_create(const plc_lbs_config *cfg, plc_loop *loop, const plc_lbs_ops *ops,
                        uint8_t gmk_id, const uint8_t gmk[16])
{
    if (!cfg || !loop || !ops || !ops->send || !ops->random || !ops->set_key ||
        !ops->activate_key || !gmk || gmk_id > 1 || cfg->max_devices == 0 ||
        cfg->sessions < 2 || cfg->step_timeout_ms == 0 ||
        cfg->step_min_ms > cfg->step_timeout_ms || cfg->first_short == 0 ||
        cfg->first_short + cfg->max_devices > 0x8000)
        return NULL;
    plc_lbs *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->hold_us = (uint64_t)cfg->hold_ms * 1000u;
    if (!s->cfg.allow_size)
        s->cfg.allow_size = cfg->max_devices;
    s->loop = loop;
    s->ops = *ops;
    s->allow = calloc(s->cfg.allow_size, sizeof(allow));
    s->block = calloc(cfg->block_size ? cfg->block_size : 1, sizeof(uint64_t));
    s->dev = calloc(cfg->max_devices, sizeof(device));
    s->ses = calloc(cfg->sessions, sizeof(session));
    s->wait = calloc(cfg->waiting ? cfg->waiting : 1, sizeof(waiting));
    if (!s->allow || !s->block || !s->dev || !s->ses || !s->wait) {
        plc_lbs_destroy(s);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->sessions; i++) {
        s->ses[i].s = s;
        plc_timer_init(&s->ses[i].timer, on_step_timeout, &s->ses[i]);
    }
    s->active_id = gmk_id;
    memcpy(s->gmk[gmk_id], gmk, 16);
    return s;
}

void plc_lbs_destroy(plc_lbs *s)
{
    if (!s)
        return;
    if (s->ses)
        for (unsigned i = 0; i < s->cfg.sessions; i++)
            plc_timer_stop(s->loop, &s->ses[i].timer);
    if (s->allow)
        memset(s->allow, 0, s->cfg.allow_size * sizeof(allow));
    free(s->allow);
    free(s->block);
    free(s->dev);
    free(s->ses);
    free(s->wait);
    free(s);
}
