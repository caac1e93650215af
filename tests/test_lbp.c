/* Admission (LBP + EAP-PSK) between the server and devices over a scripted link (every
 * message delivered after 10 ms as the adaptation layer would: in clear by EUI-64 for a
 * device without an address, routed and secured otherwise; a filter may change, drop or
 * record messages): a direct join and one through an agent, a wrong PSK, a blocked device,
 * one not on the allow-list, one past the device limit and one while locked are refused and
 * counted; a replayed and a tampered message are rejected and counted and the exchange
 * still ends well; a kicked device leaves and joins again; a two-phase rekey reaches every
 * device. Also the codec: exact bytes of message 3 and 4 against the hostap-derived
 * vectors of the spec, and malformed LBP / EAP / parameter bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "plc_lbp_device.h"
#include "plc_lbp_frame.h"
#include "plc_lbp_server.h"
#include "plc_rng.h"

#define NODES 5
#define QUEUE 64

static const uint8_t GMK0[16] = {0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0x4D, 0xE7, 0xC1,
                                 0xC4, 0x23, 0x5E, 0x6F, 0xEF, 0x6C, 0x15, 0x1F};
static const uint8_t GMK1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

typedef struct net net;

typedef struct node {
    net *w;
    unsigned i;
    uint64_t eui;
    uint16_t short_addr;   /* 0xFFFF until joined; the server 0 */
    uint8_t key[2][16];
    int has_key[2], active;
    plc_lbd *lbd;          /* devices */
    plc_rng rng;
    int neighbour[NODES];  /* hears node j's beacons */
    unsigned left;
} node;

typedef struct msg {
    unsigned to;
    plc_adp_lbp_indication ind;
    uint8_t b[200];
} msg;

struct net {
    plc_loop *loop;
    plc_lbs *lbs;
    node n[NODES];
    msg q[QUEUE];
    unsigned q_len;
    plc_timer tick;
    /* returns 0 to drop the message; may change it */
    int (*filter)(net *w, unsigned from, unsigned to, uint8_t *b, size_t len);
    uint8_t saved[200];
    size_t saved_len;
    unsigned joined_cb, refused_cb;
    uint16_t last_agent;
};

static void on_tick(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    net *w = user;
    while (w->q_len) {
        msg m = w->q[0];
        memmove(w->q, w->q + 1, (--w->q_len) * sizeof(msg));
        m.ind.msg = m.b;
        if (m.to == 0)
            plc_lbs_input(w->lbs, &m.ind);
        else
            plc_lbd_input(w->n[m.to].lbd, &m.ind);
    }
}

static int bus_send(net *w, unsigned from, uint16_t dst, uint64_t dst_ext, const uint8_t *b,
                    size_t len)
{
    unsigned to = NODES;
    for (unsigned j = 0; j < NODES; j++)
        if (dst_ext ? w->n[j].eui == dst_ext : w->n[j].short_addr == dst)
            to = j;
    const node *s = &w->n[from];
    if (to == NODES || w->q_len == QUEUE || len > sizeof(w->q[0].b))
        return PLC_ERR_ARG;
    msg *m = &w->q[w->q_len];
    memcpy(m->b, b, len);
    if (w->filter && !w->filter(w, from, to, m->b, len))
        return PLC_OK;
    const int joined = s->short_addr != 0xFFFF;
    m->to = to;
    m->ind = (plc_adp_lbp_indication){.src = joined ? s->short_addr : 0xFFFE,
                                      .src_ext = joined ? 0 : s->eui,
                                      .secured = joined && !dst_ext, .lqi = 200, .len = len};
    w->q_len++;
    if (!plc_timer_pending(&w->tick))
        plc_timer_start_in(w->loop, &w->tick, 10000);
    return PLC_OK;
}

static int d_send(void *u, uint16_t dst, uint64_t ext, const uint8_t *b, size_t n)
{
    node *x = u;
    return bus_send(x->w, x->i, dst, ext, b, n);
}

static int d_beacon_request(void *u)
{
    node *x = u;
    for (unsigned j = 0; j < NODES; j++)
        if (x->neighbour[j] && x->w->n[j].short_addr != 0xFFFF)
            plc_lbd_beacon(x->lbd, x->w->n[j].short_addr, (uint16_t)(j ? 10 : 0), 200);
    return PLC_OK;
}

static unsigned d_link_cost(void *u, uint16_t nb, uint8_t lqi)
{
    (void)u;
    (void)nb;
    return (10u * (255u - lqi) + 127u) / 255u + 4u;
}

static void d_random(void *u, uint8_t *out, size_t n)
{
    node *x = u;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(plc_rng_next(&x->rng) >> 56);
}

static void d_joined(void *u, uint16_t a, uint16_t agent, unsigned cost)
{
    (void)cost;
    node *x = u;
    x->short_addr = a;
    x->w->last_agent = agent;
}

static void d_set_key(void *u, uint8_t id, const uint8_t k[16])
{
    node *x = u;
    memcpy(x->key[id], k, 16);
    x->has_key[id] = 1;
}

static void d_activate(void *u, uint8_t id)
{
    node *x = u;
    x->active = id;
}

static void d_left(void *u)
{
    node *x = u;
    x->short_addr = 0xFFFF;
    x->has_key[0] = x->has_key[1] = 0;
    x->left++;
}

static int s_send(void *u, uint16_t dst, uint64_t ext, const uint8_t *b, size_t n)
{
    node *x = u;
    return bus_send(x->w, 0, dst, ext, b, n);
}

static void s_joined(void *u, uint64_t eui, uint16_t a, uint16_t agent)
{
    (void)eui;
    (void)a;
    (void)agent;
    node *x = u;
    x->w->joined_cb++;
}

static void s_refused(void *u, uint64_t eui, int err, const char *why)
{
    (void)eui;
    (void)err;
    assert_non_null(why);
    node *x = u;
    x->w->refused_cb++;
}

static uint8_t psk_of(unsigned i, unsigned k)
{
    return (uint8_t)(0x30 + i * 16 + k);
}

/* A server and NODES-1 devices, each hearing the server; devices allowed with their PSK
 * unless told. */
static unsigned g_sessions = 5; /* the server's sessions for the next net_open */
static unsigned g_hold_ms = 8000; /* ... and the hold its pacing assumes at first */
static unsigned g_backoff_ms;    /* non-zero: every device's first back-off is this */
static unsigned g_step_ms = 2000, g_step_min_ms = 2000; /* the server's step timeouts */

static net *net_open(unsigned max_devices)
{
    net *w = calloc(1, sizeof(*w));
    w->loop = plc_loop_virtual_create(256);
    plc_timer_init(&w->tick, on_tick, w);
    plc_lbs_config sc;
    plc_lbs_config_default(&sc);
    sc.max_devices = max_devices;
    sc.allow_size = 16;
    sc.step_timeout_ms = g_step_ms;
    sc.step_min_ms = g_step_min_ms;
    sc.sessions = g_sessions;
    sc.hold_ms = g_hold_ms;
    w->n[0] = (node){.w = w, .eui = 0xC0C0, .short_addr = 0};
    plc_rng_seed(&w->n[0].rng, 99);
    const plc_lbs_ops so = {s_send,   d_random,  d_set_key, d_activate,
                            s_joined, s_refused, &w->n[0]};
    w->lbs = plc_lbs_create(&sc, w->loop, &so, 0, GMK0);
    assert_non_null(w->lbs);
    for (unsigned i = 1; i < NODES; i++) {
        node *x = &w->n[i];
        *x = (node){.w = w, .i = i, .eui = 0x0011223344550000ull + i, .short_addr = 0xFFFF};
        x->neighbour[0] = 1;
        plc_rng_seed(&x->rng, i);
        plc_lbd_config dc;
        plc_lbd_config_default(&dc);
        dc.eui = x->eui;
        for (unsigned k = 0; k < 16; k++)
            dc.psk[k] = psk_of(i, k);
        dc.scan_ms = 500;
        dc.join_wait_ms = 3000;
        dc.backoff_min_ms = 100;
        dc.backoff_max_ms = 300;
        dc.retry_ms = 1000;
        if (g_backoff_ms)
            dc.backoff_min_ms = dc.backoff_max_ms = g_backoff_ms;
        const plc_lbd_ops o = {d_send, d_beacon_request, d_link_cost, d_random, d_joined,
                               d_set_key, d_activate, d_left, x, NULL};
        x->lbd = plc_lbd_create(&dc, w->loop, &o);
        assert_non_null(x->lbd);
        uint8_t psk[16];
        for (unsigned k = 0; k < 16; k++)
            psk[k] = psk_of(i, k);
        assert_int_equal(plc_lbs_allow(w->lbs, x->eui, psk), PLC_OK);
    }
    return w;
}

static void net_close(net *w)
{
    for (unsigned i = 1; i < NODES; i++)
        plc_lbd_destroy(w->n[i].lbd);
    plc_lbs_destroy(w->lbs);
    plc_timer_stop(w->loop, &w->tick);
    plc_loop_destroy(w->loop);
    free(w);
}

static void run(net *w, double s)
{
    plc_loop_run(w->loop, plc_loop_now_us(w->loop) + (uint64_t)(s * 1e6));
}

static plc_lbs_counters sc(net *w)
{
    plc_lbs_counters c;
    plc_lbs_get_counters(w->lbs, &c);
    return c;
}

static plc_lbd_counters dcnt(net *w, unsigned i)
{
    plc_lbd_counters c;
    plc_lbd_get_counters(w->n[i].lbd, &c);
    return c;
}

static void test_direct_join(void **st)
{
    (void)st;
    net *w = net_open(16);
    plc_lbd_start(w->n[1].lbd);
    run(w, 5);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    assert_int_equal(w->n[1].short_addr, 1);
    assert_int_equal(plc_lbd_short_addr(w->n[1].lbd), 1);
    assert_true(w->n[1].has_key[0]);
    assert_memory_equal(w->n[1].key[0], GMK0, 16);
    assert_int_equal(w->n[1].active, 0);
    assert_int_equal(w->joined_cb, 1);
    assert_int_equal(w->last_agent, 0); /* the server itself was the agent */
    uint16_t a;
    assert_int_equal(plc_lbs_lookup(w->lbs, w->n[1].eui, &a), PLC_OK);
    assert_int_equal(a, 1);
    net_close(w);
}

static void test_join_through_agent(void **st)
{
    (void)st;
    net *w = net_open(16);
    plc_lbd_start(w->n[1].lbd);
    run(w, 5);
    assert_int_equal(w->n[1].short_addr, 1);
    w->n[2].neighbour[0] = 0; /* 2 hears only 1 */
    w->n[2].neighbour[1] = 1;
    plc_lbd_start(w->n[2].lbd);
    run(w, 5);
    assert_int_equal(plc_lbd_get_state(w->n[2].lbd), PLC_LBD_JOINED);
    assert_int_equal(w->n[2].short_addr, 2);
    assert_int_equal(w->last_agent, 1);
    const plc_lbd_counters c = dcnt(w, 1);
    assert_int_equal(c.relayed_up, 3);   /* JOINING, messages 2 and 4 */
    assert_int_equal(c.relayed_down, 3); /* messages 1 and 3, ACCEPTED */
    assert_int_equal(c.relay_refused, 0);
    net_close(w);
}

static void test_refusals(void **st)
{
    (void)st;
    net *w = net_open(2);
    /* 1: wrong PSK; 2: blocked; 3: not on the allow-list */
    uint8_t wrong[16] = {0};
    assert_int_equal(plc_lbs_allow(w->lbs, w->n[1].eui, wrong), PLC_OK);
    assert_int_equal(plc_lbs_block(w->lbs, w->n[2].eui, 1), PLC_OK);
    plc_lbs_disallow(w->lbs, w->n[3].eui);
    for (unsigned i = 1; i <= 3; i++)
        plc_lbd_start(w->n[i].lbd);
    run(w, 3);
    plc_lbs_counters c = sc(w);
    for (unsigned i = 1; i <= 3; i++) {
        assert_int_not_equal(plc_lbd_get_state(w->n[i].lbd), PLC_LBD_JOINED);
        assert_true(dcnt(w, i).declined >= 1);
        assert_int_equal(w->n[i].has_key[0], 0);
    }
    assert_true(c.auth_failures >= 1);
    assert_true(c.blocked >= 1);
    assert_true(c.not_allowed >= 1);
    assert_int_equal(c.joined, 0);
    assert_true(w->refused_cb >= 3);
    /* the device limit (2) and the lock */
    uint8_t psk[16];
    for (unsigned k = 0; k < 16; k++)
        psk[k] = psk_of(1, k);
    plc_lbs_allow(w->lbs, w->n[1].eui, psk);
    plc_lbs_block(w->lbs, w->n[2].eui, 0);
    run(w, 30); /* their back-offs run out; both join */
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    assert_int_equal(plc_lbd_get_state(w->n[2].lbd), PLC_LBD_JOINED);
    for (unsigned k = 0; k < 16; k++)
        psk[k] = psk_of(3, k);
    plc_lbs_allow(w->lbs, w->n[3].eui, psk);
    run(w, 30);
    c = sc(w);
    assert_true(c.full >= 1);
    assert_int_not_equal(plc_lbd_get_state(w->n[3].lbd), PLC_LBD_JOINED);
    assert_int_equal(plc_lbs_device_count(w->lbs), 2);
    net_close(w);

    w = net_open(16);
    plc_lbs_lock(w->lbs, 1);
    plc_lbd_start(w->n[4].lbd);
    run(w, 3);
    assert_true(sc(w).locked >= 1);
    assert_int_not_equal(plc_lbd_get_state(w->n[4].lbd), PLC_LBD_JOINED);
    plc_lbs_lock(w->lbs, 0);
    run(w, 30);
    assert_int_equal(plc_lbd_get_state(w->n[4].lbd), PLC_LBD_JOINED);
    net_close(w);
}

/* Every device at once with two sessions: the JOININGs beyond them wait for a session
 * instead of being dropped, and joins running side by side get different addresses (the
 * address is held from message 3 on). */
static void test_joins_at_once_wait_and_get_distinct_addresses(void **st)
{
    (void)st;
    g_sessions = 2;
    g_backoff_ms = 100; /* every JOINING at the same instant */
    net *w = net_open(16);
    g_sessions = 5;
    g_backoff_ms = 0;
    for (unsigned i = 1; i < NODES; i++)
        plc_lbd_start(w->n[i].lbd);
    run(w, 10);
    const plc_lbs_counters c = sc(w);
    assert_int_equal(c.joined, NODES - 1);
    assert_true(c.queued >= 1);
    assert_int_equal(c.busy, 0);
    unsigned seen = 0;
    for (unsigned i = 1; i < NODES; i++) {
        assert_int_equal(plc_lbd_get_state(w->n[i].lbd), PLC_LBD_JOINED);
        const uint16_t a = w->n[i].short_addr;
        assert_true(a >= 1 && a < NODES);
        assert_false(seen & (1u << a)); /* no address given twice */
        seen |= 1u << a;
        uint16_t l;
        assert_int_equal(plc_lbs_lookup(w->lbs, w->n[i].eui, &l), PLC_OK);
        assert_int_equal(l, a);
    }
    net_close(w);
}

/* Pacing: with two sessions held 30 s each (as the server assumes before it measured one),
 * the third JOINING waits in the list (its slot is now) and the fourth, whose slot is 15 s
 * off, is declined with that time: the device sends no JOINING before then, comes back
 * through the same agent and joins; nothing is dropped. */
static void test_busy_server_paces_joins(void **st)
{
    (void)st;
    g_sessions = 2;
    g_hold_ms = 30000;
    g_backoff_ms = 100; /* every JOINING at the same instant */
    net *w = net_open(16);
    g_sessions = 5;
    g_hold_ms = 8000;
    g_backoff_ms = 0;
    for (unsigned i = 1; i < NODES; i++)
        plc_lbd_start(w->n[i].lbd);
    run(w, 10);
    plc_lbs_counters c = sc(w);
    assert_int_equal(c.deferred, 1);
    assert_int_equal(c.joined, NODES - 2);
    unsigned hold, booked;
    plc_lbs_pacing(w->lbs, &hold, &booked);
    assert_true(hold < 30000); /* three joins measured */
    unsigned late = 0;
    for (unsigned i = 1; i < NODES; i++)
        if (dcnt(w, i).deferred) {
            late = i;
            assert_int_equal(plc_lbd_get_state(w->n[i].lbd), PLC_LBD_JOINING);
            assert_int_equal(dcnt(w, i).joinings, 1); /* quiet until its time */
        }
    assert_true(late > 0);
    run(w, 4); /* 14 s after the start: still before its time */
    assert_int_equal(dcnt(w, late).joinings, 1);
    run(w, 20);
    assert_int_equal(plc_lbd_get_state(w->n[late].lbd), PLC_LBD_JOINED);
    assert_int_equal(dcnt(w, late).joinings, 2);
    assert_int_equal(dcnt(w, late).scans + dcnt(w, late).passive, 1); /* no new scan */
    c = sc(w);
    assert_int_equal(c.joined, NODES - 1);
    assert_int_equal(c.busy, 0);
    assert_int_equal(c.wait_expired, 0);
    net_close(w);
}

/* Message 1's sendings to each device, and the first message 2 of each dropped. */
static uint64_t g_m1_t[NODES][4];
static unsigned g_m1_n[NODES], g_m2_dropped[NODES];

static int drop_first_message2(net *w, unsigned from, unsigned to, uint8_t *b, size_t len)
{
    plc_lbp_msg m;
    plc_eap_msg e;
    if (plc_lbp_decode(b + 2, len - 2, &m) != PLC_OK || !m.len || (m.data[0] & 1) ||
        plc_eap_decode(m.data, m.len, &e) != PLC_OK)
        return 1;
    if (from == 0 && e.psk == 1 && g_m1_n[to] < 4)
        g_m1_t[to][g_m1_n[to]++] = plc_loop_now_us(w->loop);
    if (to == 0 && e.psk == 2 && !g_m2_dropped[from]) {
        g_m2_dropped[from] = 1;
        return 0;
    }
    return 1;
}

/* Device i joins (its first message 2 lost): the time between message 1 and its repeat. */
static uint64_t repeat_gap(net *w, unsigned i)
{
    plc_lbd_start(w->n[i].lbd);
    run(w, 5);
    assert_int_equal(plc_lbd_get_state(w->n[i].lbd), PLC_LBD_JOINED);
    assert_int_equal(g_m1_n[i], 2);
    return g_m1_t[i][1] - g_m1_t[i][0];
}

/* A lost step is sent again after RFC 6298's timeout on the round trips measured so far:
 * the first exchange waits the configured 2.5 s, the next (its round trips known, tens of
 * ms here) the floor of 200 ms. */
static void test_step_timeout_follows_round_trips(void **st)
{
    (void)st;
    g_step_ms = 2500;
    g_step_min_ms = 200;
    net *w = net_open(16);
    g_step_ms = g_step_min_ms = 2000;
    memset(g_m1_n, 0, sizeof(g_m1_n));
    memset(g_m2_dropped, 0, sizeof(g_m2_dropped));
    w->filter = drop_first_message2;
    const uint64_t first = repeat_gap(w, 1), next = repeat_gap(w, 2);
    assert_true(first >= 2500000 && first < 2600000);
    assert_true(next >= 200000 && next < 300000);
    assert_int_equal(sc(w).step_repeats, 2);
    net_close(w);
}

/* A beacon heard while backing off (another device's scan drew it, or a new agent sent it
 * unasked) is a candidate: the device joins through it without a scan of its own. */
static void test_beacon_heard_in_backoff_spares_the_scan(void **st)
{
    (void)st;
    net *w = net_open(16);
    plc_lbd_start(w->n[1].lbd);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_BACKOFF);
    plc_lbd_beacon(w->n[1].lbd, 0, 0, 200);
    run(w, 5);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    const plc_lbd_counters c = dcnt(w, 1);
    assert_int_equal(c.scans, 0);
    assert_int_equal(c.passive, 1);
    net_close(w);
}

/* The send times of one device's JOININGs (the server hears none). */
static uint64_t g_join_t[2][8]; /* loop us */
static unsigned g_join_n[2];

static int drop_joinings(net *w, unsigned from, unsigned to, uint8_t *b, size_t len)
{
    (void)to;
    plc_lbp_msg m;
    if (from >= 1 && from <= 2 && plc_lbp_decode(b + 2, len - 2, &m) == PLC_OK &&
        m.type == PLC_LBP_JOINING && m.len == 0 && g_join_n[from - 1] < 8)
        g_join_t[from - 1][g_join_n[from - 1]++] = plc_loop_now_us(w->loop);
    return 0;
}

/* Unanswered, a device sends its JOINING again after the join wait plus a random back-off;
 * both double per JOINING unanswered (the wait up to join_wait_max_ms): two devices that
 * started together do not retry together, and on a busy line a late answer still finds
 * its device waiting. */
static void test_joining_retries_back_off(void **st)
{
    (void)st;
    net *w = net_open(16);
    w->filter = drop_joinings;
    memset(g_join_n, 0, sizeof(g_join_n));
    plc_lbd_start(w->n[1].lbd);
    plc_lbd_start(w->n[2].lbd);
    run(w, 40);
    for (unsigned d = 0; d < 2; d++) {
        assert_true(g_join_n[d] >= 4);
        const uint64_t g1 = g_join_t[d][1] - g_join_t[d][0], g2 = g_join_t[d][2] - g_join_t[d][1],
                       g3 = g_join_t[d][3] - g_join_t[d][2];
        assert_true(g1 > 3010000 && g1 <= 4000001);  /* join wait 3 s + random(0, 1 s) */
        assert_true(g2 > 6010000 && g2 <= 8000001);  /* 6 s + random(0, 2 s) */
        assert_true(g3 > 12010000 && g3 <= 16000001); /* 12 s + random(0, 4 s) */
    }
    assert_true(g_join_t[0][1] - g_join_t[0][0] != g_join_t[1][1] - g_join_t[1][0]);
    assert_true(dcnt(w, 1).timeouts >= 2);
    net_close(w);
}

/* Records the first message 2 a device sends, and the first message 4 it changes. */
static int tamper_filter(net *w, unsigned from, unsigned to, uint8_t *b, size_t len)
{
    (void)to;
    if (from == 0 || len < 12 + 6)
        return 1;
    const uint8_t flags = b[12 + 5];
    if (flags == 0x40 && !w->saved_len) { /* message 2 */
        memcpy(w->saved, b, len);
        w->saved_len = len;
    }
    static int changed;
    if (flags == 0xC0 && !changed) { /* message 4: one bit of its protected channel */
        b[len - 1] ^= 0x01;
        changed = 1;
    }
    return 1;
}

static void test_replay_and_tamper(void **st)
{
    (void)st;
    net *w = net_open(16);
    w->filter = tamper_filter;
    plc_lbd_start(w->n[1].lbd);
    run(w, 10);
    /* the changed message 4 was rejected; the server repeated message 3, the device its
     * answer, and the join ended well */
    plc_lbs_counters c = sc(w);
    assert_int_equal(c.tampered, 1);
    assert_true(c.step_repeats >= 1);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    /* the recorded message 2 played again: no exchange is waiting for it */
    assert_true(w->saved_len > 0);
    w->filter = NULL;
    plc_adp_lbp_indication ind = {.src = 0xFFFE, .src_ext = w->n[1].eui, .msg = w->saved,
                                  .len = w->saved_len};
    plc_lbs_input(w->lbs, &ind);
    assert_int_equal(sc(w).stale, c.stale + 1);
    /* and into a new exchange of the same device (it starts again): another RAND_S */
    const uint8_t joining[12] = {0x40, 0x02, 0x10, 0x00, 0x00, 0x11, 0x22, 0x33,
                                 0x44, 0x55, 0x00, 0x01};
    ind.msg = joining;
    ind.len = sizeof(joining);
    plc_lbs_input(w->lbs, &ind);
    ind.msg = w->saved;
    ind.len = w->saved_len;
    plc_lbs_input(w->lbs, &ind);
    assert_int_equal(sc(w).stale, c.stale + 2);
    assert_int_equal(sc(w).auth_failures, 0);
    /* a message 3 changed on the way: the device counts it and does not answer */
    net_close(w);
}

static int tamper3(net *w, unsigned from, unsigned to, uint8_t *b, size_t len)
{
    (void)w;
    (void)to;
    static int changed;
    if (from == 0 && len > 18 && b[12 + 5] == 0x80 && !changed) {
        b[len - 3] ^= 0x10;
        changed = 1;
    }
    return 1;
}

static void test_tampered_message3(void **st)
{
    (void)st;
    net *w = net_open(16);
    w->filter = tamper3;
    plc_lbd_start(w->n[1].lbd);
    run(w, 10);
    assert_int_equal(dcnt(w, 1).auth_failures, 1);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED); /* the repeat was whole */
    net_close(w);
}

/* A device kicked and blocked meanwhile leaves, and its join after is refused. */
static void test_kicked_and_blocked_stays_out(void **st)
{
    (void)st;
    net *w = net_open(16);
    plc_lbd_start(w->n[1].lbd);
    run(w, 5);
    assert_int_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    assert_int_equal(plc_lbs_block(w->lbs, w->n[1].eui, 1), PLC_OK);
    assert_int_equal(plc_lbs_kick(w->lbs, w->n[1].eui), PLC_OK);
    run(w, 20);
    assert_int_equal(w->n[1].left, 1);
    assert_int_not_equal(plc_lbd_get_state(w->n[1].lbd), PLC_LBD_JOINED);
    assert_int_equal(w->n[1].has_key[0], 0);
    assert_true(sc(w).blocked >= 1);
    assert_true(dcnt(w, 1).declined >= 1);
    uint16_t a;
    assert_int_equal(plc_lbs_lookup(w->lbs, w->n[1].eui, &a), PLC_ERR_ARG);
    assert_int_equal(plc_lbs_device_count(w->lbs), 0);
    net_close(w);
}

static void test_kick_and_rekey(void **st)
{
    (void)st;
    net *w = net_open(16);
    for (unsigned i = 1; i < NODES; i++)
        plc_lbd_start(w->n[i].lbd);
    run(w, 10);
    for (unsigned i = 1; i < NODES; i++)
        assert_int_equal(plc_lbd_get_state(w->n[i].lbd), PLC_LBD_JOINED);
    const uint16_t before = w->n[2].short_addr;
    assert_int_equal(plc_lbs_kick(w->lbs, w->n[2].eui), PLC_OK);
    run(w, 1);
    assert_int_equal(w->n[2].left, 0); /* leaves after 2 s */
    run(w, 1.5);
    assert_int_equal(w->n[2].left, 1);
    run(w, 10);
    assert_int_equal(plc_lbd_get_state(w->n[2].lbd), PLC_LBD_JOINED); /* allowed: joins again */
    assert_int_equal(w->n[2].short_addr, before);
    /* rekey: phase 1 */
    unsigned n, d, a;
    assert_int_equal(plc_lbs_rekey_distribute(w->lbs, GMK1), PLC_OK);
    assert_int_equal(plc_lbs_rekey_distribute(w->lbs, GMK1), PLC_ERR_BUSY);
    run(w, 10);
    plc_lbs_rekey_progress(w->lbs, &n, &d, &a);
    assert_int_equal(n, NODES - 1);
    assert_int_equal(d, NODES - 1);
    assert_int_equal(a, 0);
    for (unsigned i = 1; i < NODES; i++) {
        assert_true(w->n[i].has_key[1]);
        assert_memory_equal(w->n[i].key[1], GMK1, 16);
        assert_int_equal(w->n[i].active, 0); /* installed, not used */
    }
    /* phase 2 */
    assert_int_equal(plc_lbs_rekey_activate(w->lbs), PLC_OK);
    run(w, 10);
    plc_lbs_rekey_progress(w->lbs, &n, &d, &a);
    assert_int_equal(a, NODES - 1);
    for (unsigned i = 1; i < NODES; i++)
        assert_int_equal(w->n[i].active, 1);
    assert_int_equal(sc(w).rekeyed, NODES - 1);
    assert_int_equal(sc(w).activated, NODES - 1);
    net_close(w);
}

/* ---- the codec ---- */
/* Messages 3 and 4 of the spec's recomputed hostap vectors (PSK 00..0f, RAND_S 10..1f,
 * RAND_P 20..2f): the encoder's bytes carry the spec's ciphertext and tag. */
static void test_pchannel_vectors(void **st)
{
    (void)st;
    uint8_t psk[16], rp[16];
    plc_eap_psk_keys k;
    for (int i = 0; i < 16; i++) {
        psk[i] = (uint8_t)i;
        rp[i] = (uint8_t)(0x20 + i);
    }
    assert_int_equal(plc_eap_psk_ak_kdk(psk, &k), PLC_OK);
    assert_int_equal(plc_eap_psk_derive(rp, &k), PLC_OK);
    plc_eap_msg m = {.code = PLC_EAP_REQUEST, .id = 2, .psk = 3, .nonce = 0,
                     .result = PLC_EAP_PCHANNEL_SUCCESS};
    for (int i = 0; i < 16; i++)
        m.rand_s[i] = (uint8_t)(0x10 + i);
    tu_hex("25a1d646879eef187d1cc1ff177e266d", m.mac, sizeof(m.mac));
    uint8_t out[100], tag[16];
    int n = plc_eap_encode(&m, &k, out, sizeof(out));
    assert_int_equal(n, 0x3b);
    assert_int_equal(out[0], 0x04); /* G3's shifted code; EAX saw 0x01 */
    assert_int_equal(out[5], 0x80);
    tu_hex("47d644265cae5a689a40a47ac54ddf80", tag, sizeof(tag));
    assert_memory_equal(out + 42, tag, 16);
    assert_int_equal(out[58], 0x8f);
    plc_eap_msg d;
    assert_int_equal(plc_eap_decode(out, (size_t)n, &d), PLC_OK);
    assert_int_equal(plc_eap_open(out, (size_t)n, &k, &d), PLC_OK);
    assert_int_equal(d.result, PLC_EAP_PCHANNEL_SUCCESS);
    out[58] ^= 1;
    assert_int_equal(plc_eap_open(out, (size_t)n, &k, &d), PLC_ERR_LBP_AUTH);
    plc_eap_msg m4 = {.code = PLC_EAP_RESPONSE, .id = 2, .psk = 4, .nonce = 1,
                      .result = PLC_EAP_PCHANNEL_SUCCESS};
    memcpy(m4.rand_s, m.rand_s, 16);
    n = plc_eap_encode(&m4, &k, out, sizeof(out));
    assert_int_equal(n, 0x2b);
    tu_hex("7a7a71527b1f047a77fbf0efa673f754", tag, sizeof(tag));
    assert_memory_equal(out + 26, tag, 16);
    assert_int_equal(out[42], 0xcc);
}

static void test_codec_bytes_and_malformed(void **st)
{
    (void)st;
    { /* [R] a DECLINE with a time to come back: EAP failure, then FD 02 and the seconds */
        uint8_t d[16];
        static const uint8_t want[] = {0x10, 0x07, 0x00, 0x04, 0xFD, 0x02, 0x00, 0x0F};
        assert_int_equal(plc_lbp_decline_encode(7, 15, d, sizeof(d)), sizeof(want));
        assert_memory_equal(d, want, sizeof(want));
        unsigned r = 99;
        assert_int_equal(plc_lbp_decline_retry(want, sizeof(want), &r), PLC_OK);
        assert_int_equal(r, 15);
        assert_int_equal(plc_lbp_decline_encode(7, 0, d, sizeof(d)), 4); /* G3's own */
        assert_int_equal(plc_lbp_decline_retry(want, 4, &r), PLC_OK);
        assert_int_equal(r, 0);
        assert_int_equal(plc_lbp_decline_encode(7, 15, d, 6), PLC_ERR_BUFFER);
        static const uint8_t cut[] = {0x10, 0x07, 0x00, 0x04, 0xFD, 0x02, 0x00};
        static const uint8_t other[] = {0x10, 0x07, 0x00, 0x04, 0x1D, 0x02, 0x00, 0x01};
        static const uint8_t longer[] = {0x10, 0x07, 0x00, 0x09, 0xFD, 0x02, 0x00, 0x0F};
        static const uint8_t shorter[] = {0x10, 0x07, 0x00, 0x03, 0xFD, 0x02, 0x00, 0x0F};
        assert_int_equal(plc_lbp_decline_retry(cut, sizeof(cut), &r), PLC_ERR_LBP_FORMAT);
        assert_int_equal(plc_lbp_decline_retry(other, sizeof(other), &r), PLC_ERR_LBP_FORMAT);
        assert_int_equal(plc_lbp_decline_retry(longer, sizeof(longer), &r), PLC_ERR_LBP_FORMAT);
        assert_int_equal(plc_lbp_decline_retry(shorter, sizeof(shorter), &r), PLC_ERR_LBP_FORMAT);
        assert_int_equal(plc_lbp_decline_retry(want, 3, &r), PLC_ERR_LBP_FORMAT);
    }
    const plc_lbp_msg j = {.type = PLC_LBP_JOINING, .lbd = 0x0011223344556677ull};
    uint8_t b[64];
    assert_int_equal(plc_lbp_encode(&j, b, sizeof(b)), 12);
    const uint8_t want[12] = {0x40, 0x02, 0x10, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    assert_memory_equal(b, want, 12);
    plc_lbp_msg m;
    assert_int_equal(plc_lbp_decode(b + 2, 10, &m), PLC_OK);
    assert_int_equal(m.type, PLC_LBP_JOINING);
    assert_int_equal(plc_lbp_decode(b + 2, 9, &m), PLC_ERR_LBP_FORMAT);
    b[3] = 0x01; /* reserved bit */
    assert_int_equal(plc_lbp_decode(b + 2, 10, &m), PLC_ERR_LBP_FORMAT);
    b[3] = 0;
    b[2] = 0x70; /* code 7 */
    assert_int_equal(plc_lbp_decode(b + 2, 10, &m), PLC_ERR_LBP_FORMAT);
    /* parameters */
    const plc_lbp_params p = {.has_short = 1, .short_addr = 0x0102, .has_gmk = 1, .gmk_id = 1,
                              .has_activation = 1, .activation_id = 1};
    int n = plc_lbp_params_encode(&p, b, sizeof(b));
    assert_int_equal(n, 4 + 19 + 3);
    assert_int_equal(b[0], 0x1D);
    assert_int_equal(b[1], 2);
    assert_int_equal(b[2], 0x01);
    assert_int_equal(b[4], 0x27);
    assert_int_equal(b[23], 0x2B);
    plc_lbp_params q;
    uint8_t unk;
    assert_int_equal(plc_lbp_params_decode(b, (size_t)n, &q, &unk), PLC_OK);
    assert_int_equal(q.short_addr, 0x0102);
    assert_int_equal(q.gmk_id, 1);
    assert_int_equal(plc_lbp_params_decode(b, (size_t)n - 1, &q, &unk), PLC_ERR_LBP_FORMAT);
    b[1] = 3;
    assert_int_equal(plc_lbp_params_decode(b, 5, &q, &unk), PLC_ERR_LBP_FORMAT);
    const uint8_t unknown[3] = {0x05, 1, 0};
    assert_int_equal(plc_lbp_params_decode(unknown, 3, &q, &unk), PLC_ERR_LBP_FORMAT);
    assert_int_equal(unk, 0x05);
    /* EAP: wrong length field, wrong type, a request numbered as a response */
    plc_eap_msg e;
    const uint8_t s[4] = {0x0C, 1, 0, 4};
    assert_int_equal(plc_eap_decode(s, 4, &e), PLC_OK);
    assert_int_equal(plc_eap_decode(s, 3, &e), PLC_ERR_LBP_FORMAT);
    uint8_t r1[30] = {0x04, 1, 0, 30, 0x2F, 0x00};
    assert_int_equal(plc_eap_decode(r1, 30, &e), PLC_OK);
    r1[4] = 0x2E;
    assert_int_equal(plc_eap_decode(r1, 30, &e), PLC_ERR_LBP_FORMAT);
    r1[4] = 0x2F;
    r1[5] = 0x40;
    assert_int_equal(plc_eap_decode(r1, 30, &e), PLC_ERR_LBP_FORMAT);
    r1[5] = 0x00;
    r1[3] = 31;
    assert_int_equal(plc_eap_decode(r1, 30, &e), PLC_ERR_LBP_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_bytes_and_malformed),
        cmocka_unit_test(test_pchannel_vectors),
        cmocka_unit_test(test_direct_join),
        cmocka_unit_test(test_join_through_agent),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_joins_at_once_wait_and_get_distinct_addresses),
        cmocka_unit_test(test_joining_retries_back_off),
        cmocka_unit_test(test_busy_server_paces_joins),
        cmocka_unit_test(test_step_timeout_follows_round_trips),
        cmocka_unit_test(test_beacon_heard_in_backoff_spares_the_scan),
        cmocka_unit_test(test_replay_and_tamper),
        cmocka_unit_test(test_tampered_message3),
        cmocka_unit_test(test_kicked_and_blocked_stays_out),
        cmocka_unit_test(test_kick_and_rekey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
