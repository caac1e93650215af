#include "plc_meshnet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_meter.h"
#include "plc_fw_image.h"
#include "plc_meter_node.h"
#include "plc_pertable.h"
#include "plc_rng.h"

#define APP_REQ 0x11      /* concentrator -> meter: a read request (id, then filler) */
#define APP_ANS 0x12      /* meter -> concentrator: its answer (id, asked length, filler) */
#define HOLDUP_TIMER_SLACK_US 1000 /* the modem goes dark just after the node app does */
#define HELLO_EVERY_S 30
#define HELLO_TRIES 10     /* ... then every HELLO_LATER_S (+ up to half of it) until answered */
#define HELLO_LATER_S 300
/* [R] an announced meter announces itself again every 2 hours (+ up to 12 minutes): its
 * route and the relays' routes back to it are renewed before adpRoutingTableEntryTTL (6 h)
 * runs out, even when the concentrator reads it only once a day; without it every route of
 * the area expired between the night's reading and the morning's, and the reads flooded
 * discoveries */
#define REPLAY_ENTRIES_MAX 512 /* a meter's anti-replay table: 2 per node of the area, this at most */
#define REANNOUNCE_S 7200
#define REANNOUNCE_JITTER_S 720
#define ETX_LEN 60        /* the frame size link ETX is computed for */

typedef struct mnode {
    struct plc_meshnet *net;
    unsigned id;
    uint64_t eui;
    plc_mac_sec *sec;
    plc_mac *mac;
    plc_adp *adp;
    plc_lbd *lbd;
    plc_rng rng;
    plc_timer power, hello, dark, refresh;
    unsigned hellos;
    uint32_t counter;        /* the MAC's frame counter when its node went dark */
    plc_meter *meter;        /* DL/T 645 mode: the simulated meter and its node app */
    plc_meter_node *app;
    plc_fw_image *image;     /* ... its firmware image module, its store, what runs */
    uint8_t *flash;
    uint32_t image_id;
    int announced;      /* the concentrator acknowledged */
    double joined_s;
    unsigned answers;   /* concentrator side: answers from this meter */
    unsigned last_hops;
} mnode;

struct plc_meshnet {
    plc_meshnet_config cfg;
    plc_loop *loop;
    plc_medium *medium;
    plc_lbs *lbs;
    plc_pertable per;
    unsigned n;
    mnode *node;
    unsigned joined, announced;
    plc_meshnet_app app;     /* DL/T 645 mode: the concentrator's application */
    uint16_t by_short[0x8000]; /* node of a short address + 1 (0: none) */
};

void plc_meshnet_config_default(plc_meshnet_config *c)
{
    memset(c, 0, sizeof(*c));
    plc_medium_config_default(&c->medium);
    c->medium.abstract_phy = 1;
    c->medium.nodes = 101;
    c->power_up_s = 600;
    c->parallel = 5;
    c->beacon_period_s = 300;
    c->max_hops = 15;
    c->seed = 1;
    c->dlt645 = 0;
    c->meter_start = (plc_dlt645_time){2026, 1, 1, 4, 0, 0, 0};
}

/* The area's first group key (GMK 0), the concentrator's from the start. */
static const uint8_t area_gmk[16] = {0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0x4D, 0xE7, 0xC1,
                                     0xC4, 0x23, 0x5E, 0x6F, 0xEF, 0x6C, 0x15, 0x1F};

/* The simulation's PSK for a meter: a function of its EUI-64 (a real one is per device). */
static void psk_of(uint64_t eui, uint8_t psk[16])
{
    for (int i = 0; i < 16; i++)
        psk[i] = (uint8_t)((eui >> (8 * (i % 8))) ^ (uint64_t)(i * 0x3Du));
}

/* ---- glue: one node's stack ---- */
static int g_send(void *u, uint16_t dst, uint64_t ext, const uint8_t *m, size_t len)
{
    mnode *x = u;
    return x->mac ? plc_adp_lbp_request(x->adp, dst, ext, m, len) : PLC_ERR_ARG;
}

static int g_beacon_request(void *u)
{
    mnode *x = u;
    return x->mac ? plc_mac_beacon_request(x->mac) : PLC_ERR_ARG;
}

static int g_announce(void *u)
{
    mnode *x = u;
    return x->mac ? plc_mac_beacon_send(x->mac) : PLC_ERR_ARG;
}

static unsigned g_link_cost(void *u, uint16_t nb, uint8_t lqi)
{
    mnode *x = u;
    return plc_adp_link_cost(x->adp, nb, lqi);
}

static void g_random(void *u, uint8_t *out, size_t n)
{
    mnode *x = u; /* simulation only: firmware draws these from a true random source */
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(plc_rng_next(&x->rng) >> 56);
}

static void g_set_key(void *u, uint8_t id, const uint8_t key[16])
{
    mnode *x = u;
    plc_mac_sec_set_key(x->sec, id, key);
}

static void g_activate(void *u, uint8_t id)
{
    mnode *x = u;
    if (!x->mac)
        return;
    plc_mac_pib pib;
    plc_mac_get_pib(x->mac, &pib);
    pib.key_index = id;
    plc_mac_set_pib(x->mac, &pib);
}

static void send_hello(mnode *x)
{
    /* DL/T 645 mode: the hello carries the meter's address, as an HPLC module reports its
     * meter's when it joins */
    uint8_t h[7] = {PLC_HELLO};
    if (x->meter)
        memcpy(h + 1, plc_meter_addr(x->meter), 6);
    plc_adp_data_request(x->adp, 0, h, x->meter ? 7 : 1, 0);
}

static int meter_link_send(void *user, uint16_t to, const uint8_t *frame, size_t len, int urgent)
{
    (void)urgent; /* the data service has one priority */
    mnode *x = user;
    return x->mac ? plc_adp_data_request(x->adp, to, frame, len, 0) : PLC_ERR_ARG;
}

static int is_dlt645(const uint8_t *d, size_t len)
{
    return len > 0 && (d[0] == 0x68 || d[0] == 0xFE);
}

static void on_hello(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    mnode *x = user;
    if (x->announced || !x->mac)
        return;
    x->hellos++;
    send_hello(x);
    const uint64_t later = HELLO_LATER_S * 1000000ull;
    const uint64_t next = x->hellos < HELLO_TRIES
                              ? HELLO_EVERY_S * 1000000ull
                              : later + (plc_rng_next(&x->rng) >> 11) % (later / 2);
    plc_timer_start_in(x->net->loop, t, next);
}

static void start_refresh(mnode *x)
{
    const uint64_t jitter = (plc_rng_next(&x->rng) >> 11) % (REANNOUNCE_JITTER_S * 1000000ull);
    plc_timer_start_in(x->net->loop, &x->refresh, REANNOUNCE_S * 1000000ull + jitter);
}

static void on_refresh(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mnode *x = user;
    if (!x->mac || !x->announced)
        return;
    send_hello(x);
    start_refresh(x);
}

static void g_joined(void *u, uint16_t short_addr, uint16_t agent, unsigned cost)
{
    mnode *x = u;
    plc_mac_pib pib;
    plc_mac_get_pib(x->mac, &pib);
    pib.short_addr = short_addr;
    plc_mac_set_pib(x->mac, &pib);
    plc_adp_set_address(x->adp, short_addr);
    x->net->by_short[short_addr & 0x7FFF] = (uint16_t)(x->id + 1);
    plc_adp_set_coordinator_route(x->adp, agent, cost); /* G3: the agent is the way at first */
    x->joined_s = plc_meshnet_now_s(x->net);
    x->net->joined++;
    x->hellos = 0;
    plc_timer_start_in(x->net->loop, &x->hello,
                       (plc_rng_next(&x->rng) >> 11) % 5000000u); /* within 5 s */
}

static void g_left(void *u)
{
    mnode *x = u;
    if (!x->mac)
        return;
    plc_mac_pib pib;
    plc_mac_get_pib(x->mac, &pib);
    x->net->by_short[pib.short_addr & 0x7FFF] = 0;
    pib.short_addr = 0xFFFF;
    plc_mac_set_pib(x->mac, &pib);
    plc_adp_set_address(x->adp, 0xFFFF);
    if (x->announced)
        x->net->announced--;
    x->announced = 0;
    x->net->joined--;
    x->joined_s = -1;
}

static void g_refused(void *u, uint64_t eui, int err, const char *reason)
{
    (void)err;
    mnode *x = u;
    if (x->net->app.refused)
        x->net->app.refused(x->net->app.user, eui, reason);
}

static void on_lbp(void *u, const plc_adp_lbp_indication *ind)
{
    mnode *x = u;
    if (x->id == 0)
        plc_lbs_input(x->net->lbs, ind);
    else
        plc_lbd_input(x->lbd, ind);
}

static void on_beacon(void *u, uint16_t src, uint16_t rc, uint8_t lqi)
{
    mnode *x = u;
    if (x->lbd)
        plc_lbd_beacon(x->lbd, src, rc, lqi);
}

static void on_path(void *u, uint16_t dst, int status, const plc_loadng_path *reply)
{
    mnode *x = u;
    if (x->net->app.path)
        x->net->app.path(x->net->app.user, dst, status, reply);
}

static void on_ind(void *u, const plc_adp_indication *ind)
{
    mnode *x = u;
    plc_meshnet *w = x->net;
    if (ind->len < 1)
        return;
    if (x->id == 0) { /* the concentrator */
        if (ind->data[0] == PLC_HELLO) {
            const uint8_t a[1] = {PLC_HELLO_ACK};
            plc_adp_data_request(x->adp, ind->orig, a, sizeof(a), 0);
            if (ind->len == 7 && w->app.announced)
                w->app.announced(w->app.user, ind->orig, ind->data + 1);
        } else if (ind->data[0] == PLC_IMAGE_DISPATCH) {
            if (w->app.image)
                w->app.image(w->app.user, ind->orig, ind->data + 1, ind->len - 1);
        } else if (is_dlt645(ind->data, ind->len)) {
            if (w->app.frame)
                w->app.frame(w->app.user, ind->orig, ind->hops, ind->lqi, ind->data, ind->len);
        } else if (ind->data[0] == APP_ANS && ind->orig < 0x8000 && w->by_short[ind->orig]) {
            mnode *m = &w->node[w->by_short[ind->orig] - 1];
            m->answers++;
            m->last_hops = ind->hops;
        }
        return;
    }
    if (ind->orig != 0)
        return;
    if (x->app && is_dlt645(ind->data, ind->len)) {
        plc_meter_node_input(x->app, ind->orig, ind->data, ind->len);
    } else if (x->image && ind->data[0] == PLC_IMAGE_DISPATCH) {
        uint8_t out[1 + 32];
        const size_t n = plc_fw_image_input(x->image, ind->data + 1, ind->len - 1, out + 1,
                                            sizeof(out) - 1);
        if (n) {
            out[0] = PLC_IMAGE_DISPATCH;
            plc_adp_data_request(x->adp, 0, out, n + 1, 0);
        }
    } else if (ind->data[0] == PLC_HELLO_ACK && !x->announced) {
        x->announced = 1;
        w->announced++;
        start_refresh(x);
    } else if (ind->data[0] == APP_REQ && ind->len >= 4) {
        const size_t n = (size_t)(ind->data[2] << 8 | ind->data[3]);
        uint8_t a[PLC_ADP_MAX_DATA];
        if (n < 2 || n > sizeof(a))
            return;
        memset(a, (int)x->id, n);
        a[0] = APP_ANS;
        a[1] = ind->data[1];
        plc_adp_data_request(x->adp, 0, a, n, 1);
    }
}

static void on_confirm(void *u, uint8_t handle, int status)
{
    mnode *x = u;
    if (x->id == 0 && x->net->app.confirm)
        x->net->app.confirm(x->net->app.user, handle, status);
}

/* The hold-up time is over: the modem goes dark with the meter. */
static void on_dark(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mnode *x = user;
    plc_meshnet_kill(x->net, x->id);
}

static void on_power(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    mnode *x = user;
    plc_lbd_start(x->lbd);
}

/* A node's stack (MAC security, adaptation layer, MAC, and on a meter the LBP device): at
 * create, and afresh when a node comes back after a power cut (its frame counter goes on from
 * where it stopped, as the MAC's saved counter would). 1, or 0 out of memory. */
static int node_stack(plc_meshnet *w, mnode *x, uint32_t frame_counter)
{
    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = x->id == 0 ? 0 : 0xFFFF;
    ac.loadng.max_hops = w->cfg.max_hops;
    ac.beacon_period_s = w->cfg.beacon_period_s;
    ac.queue = 8; /* an agent relays its neighbours' joins as datagrams of its own */
    /* [R] a route per node of the area, at every node: a meter next to the concentrator
     * relays the reads of every meter behind it, and with G3's 150 entries a 1000-meter
     * area evicted routes and every read of an evicted meter cost a flood (RREQ share 47%
     * in a slowly formed area, docs/routing.md) */
    ac.loadng.route_table_size = w->cfg.routes && x->id ? w->cfg.routes : w->n + 8;
    if (x->id == 0) {
        ac.queue = w->cfg.parallel + 64; /* and its LBP server's messages (DECLINEs too) */
        ac.relays = 16;
        ac.high_priority = 1;
    }
    const plc_adp_callbacks cb = {.confirm = on_confirm, .indication = on_ind, .lbp = on_lbp,
                                  .beacon = on_beacon, .path = on_path, .user = x};
    x->adp = plc_adp_create(&ac, w->loop, w->cfg.seed * 7919u + x->id, &cb);
    x->sec = plc_mac_sec_create();
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.frame_counter = frame_counter;
    pib.short_addr = x->id == 0 ? 0 : 0xFFFF;
    pib.ext_addr = x->eui;
    pib.security_enabled = 1;
    /* [R] anti-replay state for every source a meter may hear, short and EUI-64 (a joining
     * neighbour is both): with the MAC's default 64 a meter among 100 evicted entries, and
     * the folded marks made quiet neighbours' frames look replayed (62 000 frames dropped in
     * bench_gateway's 100-meter night, a third of the requests lost) */
    pib.replay_table_size = 2 * w->n < REPLAY_ENTRIES_MAX ? 2 * w->n : REPLAY_ENTRIES_MAX;
    if (x->id == 0) {
        pib.rc_coord = 0;
        pib.neighbour_table_size = w->n < PLC_MAC_MAX_TABLE ? w->n : PLC_MAC_MAX_TABLE;
        pib.replay_table_size = 2 * w->n < PLC_MAC_MAX_TABLE ? 2 * w->n : PLC_MAC_MAX_TABLE;
        pib.queue_size = 32;
        pib.reassembly_trains = 16;
        plc_mac_sec_set_key(x->sec, 0, area_gmk);
    }
    const plc_mac_callbacks mcb = plc_adp_mac_callbacks(x->adp);
    x->mac = x->adp && x->sec ? plc_mac_create(&pib, w->cfg.seed * 31u + x->id, w->loop,
                                               plc_medium_phy(w->medium, x->id), x->sec, &mcb)
                              : NULL;
    if (!x->mac)
        return 0;
    plc_adp_attach(x->adp, x->mac);
    if (x->id == 0)
        return 1;
    plc_lbd_config dc;
    plc_lbd_config_default(&dc);
    if (getenv("JW")) dc.join_wait_ms = (unsigned)atoi(getenv("JW"));
    dc.eui = x->eui;
    psk_of(x->eui, dc.psk);
    const plc_lbd_ops o = {g_send,  g_beacon_request, g_link_cost, g_random, g_joined,
                           g_set_key, g_activate,     g_left,      x,        g_announce};
    x->lbd = plc_lbd_create(&dc, w->loop, &o);
    return x->lbd != NULL;
}

#define IMAGE_STORE 65536 /* a simulated meter's inactive flash bank */

static int img_write(void *u, uint32_t off, const uint8_t *d, size_t n)
{
    mnode *x = u;
    if (off > IMAGE_STORE || n > IMAGE_STORE - off)
        return PLC_ERR_LENGTH;
    memcpy(x->flash + off, d, n);
    return PLC_OK;
}

static int img_read(void *u, uint32_t off, uint8_t *d, size_t n)
{
    mnode *x = u;
    if (off > IMAGE_STORE || n > IMAGE_STORE - off)
        return PLC_ERR_LENGTH;
    memcpy(d, x->flash + off, n);
    return PLC_OK;
}

static int img_verify(void *u, const uint8_t digest[32], const uint8_t sig[64])
{
    mnode *x = u;
    return x->net->cfg.image_verify ? x->net->cfg.image_verify(digest, sig) : 0;
}

static void img_activate(void *u, uint32_t id)
{
    mnode *x = u;
    x->image_id = id; /* a real meter reboots into it */
}

/* DL/T 645 mode: meter i has address i (12 digits), its own load seed and a register that is
 * not new. */
static int add_meter(plc_meshnet *w, mnode *x)
{
    plc_meter_config c;
    plc_meter_config_default(&c);
    char a[13];
    snprintf(a, sizeof(a), "%012u", x->id);
    plc_dlt645_addr_parse(a, c.addr);
    c.seed = w->cfg.seed * 7919u + x->id;
    c.energy_start_centi_kwh = 100000 + 12345 * (int64_t)x->id;
    c.start = w->cfg.meter_start;
    if (w->cfg.meter_clock_spread_s) {
        const uint64_t span = 2ull * w->cfg.meter_clock_spread_s + 1;
        c.clock_offset_s = (int64_t)((w->cfg.seed * 0x9E3779B97F4A7C15ull ^ x->id * 7919u) % span) -
                           (int64_t)w->cfg.meter_clock_spread_s;
    }
    x->meter = plc_meter_create(&c);
    if (!x->meter)
        return 0;
    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    const plc_meter_regs regs = plc_meter_regs_of(x->meter);
    const plc_meter_node_link link = {meter_link_send, x};
    x->app = plc_meter_node_create_link(&nc, &regs, &link, w->loop);
    plc_fw_image_config ic;
    plc_fw_image_config_default(&ic);
    ic.max_size = IMAGE_STORE;
    const plc_fw_image_ops io = {img_write, img_read, img_verify, img_activate, x};
    x->flash = calloc(1, IMAGE_STORE);
    x->image = x->flash ? plc_fw_image_create(&ic, &io, w->loop) : NULL;
    return x->app && x->image;
}

/* ---- life cycle ---- */
plc_meshnet *plc_meshnet_create(const plc_meshnet_config *cfg, char *err, size_t errlen)
{
    plc_meshnet *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = *cfg;
    const unsigned cap = cfg->medium.topology_file ? 4096 : cfg->medium.nodes;
    w->loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(cap) + 120 * cap);
    plc_medium_config mc = cfg->medium;
    mc.seed = cfg->seed;
    w->medium = w->loop ? plc_medium_create(&mc, w->loop, err, errlen) : NULL;
    if (!w->medium || plc_pertable_load(&w->per, mc.per_table, err, errlen) != PLC_OK) {
        plc_meshnet_destroy(w);
        return NULL;
    }
    w->n = plc_medium_nodes(w->medium);
    w->node = calloc(w->n, sizeof(mnode));
    plc_rng place;
    plc_rng_seed(&place, cfg->seed * 0x9E3779B97F4A7C15ull + 3);
    for (unsigned i = 0; w->node && i < w->n; i++) {
        mnode *x = &w->node[i];
        x->net = w;
        x->id = i;
        x->eui = 0x70B3D50000000000ull + i;
        x->joined_s = -1;
        plc_rng_seed(&x->rng, cfg->seed * 1000003u + i);
        plc_timer_init(&x->power, on_power, x);
        plc_timer_init(&x->hello, on_hello, x);
        plc_timer_init(&x->dark, on_dark, x);
        plc_timer_init(&x->refresh, on_refresh, x);
        if (!node_stack(w, x, 0)) {
            snprintf(err, errlen, "out of memory for node %u", i);
            plc_meshnet_destroy(w);
            return NULL;
        }
        if (i == 0)
            continue;
        if (cfg->dlt645 && !add_meter(w, x)) {
            snprintf(err, errlen, "out of memory for meter %u", i);
            plc_meshnet_destroy(w);
            return NULL;
        }
        plc_timer_start_in(w->loop, &x->power,
                           (plc_rng_next(&place) >> 11) % ((uint64_t)cfg->power_up_s * 1000000u + 1));
    }
    if (!w->node) {
        plc_meshnet_destroy(w);
        return NULL;
    }
    plc_lbs_config sc;
    plc_lbs_config_default(&sc);
    sc.max_devices = w->n;
    /* no joined callback: the concentrator learns its route to a meter from the meter's
     * announce */
    const plc_lbs_ops so = {g_send, g_random, g_set_key, g_activate, NULL, g_refused, &w->node[0]};
    w->lbs = plc_lbs_create(&sc, w->loop, &so, 0, area_gmk);
    for (unsigned i = 1; w->lbs && !cfg->allow_none && i < w->n; i++) {
        uint8_t psk[16];
        psk_of(w->node[i].eui, psk);
        plc_lbs_allow(w->lbs, w->node[i].eui, psk);
    }
    if (!w->lbs) {
        plc_meshnet_destroy(w);
        return NULL;
    }
    return w;
}

void plc_meshnet_destroy(plc_meshnet *w)
{
    if (!w)
        return;
    for (unsigned i = 0; w->node && i < w->n; i++) {
        mnode *x = &w->node[i];
        plc_timer_stop(w->loop, &x->power);
        plc_timer_stop(w->loop, &x->hello);
        plc_timer_stop(w->loop, &x->dark);
        plc_timer_stop(w->loop, &x->refresh);
        plc_meter_node_destroy(x->app);
        plc_fw_image_destroy(x->image);
        free(x->flash);
        plc_meter_destroy(x->meter);
        plc_lbd_destroy(x->lbd);
        plc_mac_destroy(x->mac);
        plc_adp_destroy(x->adp);
        plc_mac_sec_destroy(x->sec);
    }
    plc_lbs_destroy(w->lbs);
    free(w->node);
    plc_medium_destroy(w->medium);
    plc_loop_destroy(w->loop);
    free(w);
}

unsigned plc_meshnet_meters(const plc_meshnet *w)
{
    return w->n - 1;
}

double plc_meshnet_now_s(const plc_meshnet *w)
{
    return (double)plc_loop_now_us(w->loop) / 1e6;
}

void plc_meshnet_run(plc_meshnet *w, double until_s)
{
    plc_loop_run(w->loop, (uint64_t)(until_s * 1e6));
}

unsigned plc_meshnet_joined(const plc_meshnet *w)
{
    return w->joined;
}

unsigned plc_meshnet_announced(const plc_meshnet *w)
{
    return w->announced;
}

double plc_meshnet_form(plc_meshnet *w, double until_s)
{
    while (plc_meshnet_now_s(w) < until_s) {
        plc_meshnet_run(w, plc_meshnet_now_s(w) + 10.0);
        if (w->joined == w->n - 1 && w->announced == w->n - 1) {
            double last = 0;
            for (unsigned i = 1; i < w->n; i++)
                if (w->node[i].joined_s > last)
                    last = w->node[i].joined_s;
            return last;
        }
    }
    return -1;
}

void plc_meshnet_frames(const plc_meshnet *w, uint64_t *frames, uint64_t *rreq)
{
    *frames = *rreq = 0;
    for (unsigned i = 0; i < w->n; i++) {
        if (!w->node[i].mac)
            continue;
        plc_mac_counters c;
        plc_mac_get_counters(w->node[i].mac, &c);
        *frames += c.tx_frames;
        plc_loadng_counters l;
        plc_loadng_get_counters(plc_adp_routing(w->node[i].adp), &l);
        *rreq += l.rreq_sent + l.rreq_relayed;
    }
}

int plc_meshnet_ask(plc_meshnet *w, unsigned node, size_t req, size_t ans)
{
    static uint8_t id;
    uint8_t q[PLC_ADP_MAX_DATA];
    if (req < 4 || req > sizeof(q) || ans < 2 || ans > PLC_ADP_MAX_DATA || node == 0 ||
        node >= w->n)
        return PLC_ERR_ARG;
    uint16_t a;
    if (plc_lbs_lookup(w->lbs, w->node[node].eui, &a) != PLC_OK)
        return PLC_ERR_NO_ROUTE;
    memset(q, 0x5A, req);
    q[0] = APP_REQ;
    q[1] = id++;
    q[2] = (uint8_t)(ans >> 8);
    q[3] = (uint8_t)ans;
    return plc_adp_data_request(w->node[0].adp, a, q, req, 0);
}

unsigned plc_meshnet_answers(const plc_meshnet *w, unsigned node)
{
    return w->node[node].answers;
}

/* A meter the concentrator reads: joined, and its announce answered. A concentrator reads
 * the meters it knows, and knows a meter (its DL/T 645 address, and the relays their route
 * to it) from its announce; one asked before would cost a route discovery flood. */
static int readable(const mnode *x)
{
    return x->lbd && plc_lbd_get_state(x->lbd) == PLC_LBD_JOINED && x->announced;
}

void plc_meshnet_read_round(plc_meshnet *w, size_t req, size_t ans, plc_meshnet_round *r)
{
    memset(r, 0, sizeof(*r));
    uint64_t f0, q0;
    plc_meshnet_frames(w, &f0, &q0);
    const double t0 = plc_meshnet_now_s(w);
    unsigned *asked = calloc(w->n, sizeof(unsigned));
    unsigned *before = calloc(w->n, sizeof(unsigned));
    double *deadline = calloc(w->n, sizeof(double));
    for (unsigned k = 1; k < w->n; k++) {
        before[k] = w->node[k].answers;
        r->meters += readable(&w->node[k]);
    }
    for (;;) {
        unsigned in_flight = 0, done = 0;
        const double now = plc_meshnet_now_s(w);
        for (unsigned k = 1; k < w->n; k++) {
            const int got = w->node[k].answers > before[k];
            const int expired = asked[k] && now >= deadline[k];
            done += got || (asked[k] >= 2 && expired) || !readable(&w->node[k]);
            in_flight += !got && asked[k] && !expired;
        }
        if (done == w->n - 1 || now - t0 > 36000)
            break;
        for (unsigned k = 1; k < w->n && in_flight < w->cfg.parallel; k++) {
            if (w->node[k].answers > before[k] || asked[k] >= 2 || (asked[k] && now < deadline[k]) ||
                !readable(&w->node[k]))
                continue;
            if (plc_meshnet_ask(w, k, req, ans) != PLC_OK)
                break;
            asked[k]++;
            r->asked += asked[k] == 1;
            deadline[k] = now + 60.0; /* a discovery (40 s) and the exchange */
            in_flight++;
        }
        plc_meshnet_run(w, now + 1.0);
    }
    double sum = 0;
    for (unsigned k = 1; k < w->n; k++)
        if (w->node[k].answers > before[k]) {
            r->answered++;
            sum += w->node[k].last_hops;
            if (w->node[k].last_hops > r->max_hops)
                r->max_hops = w->node[k].last_hops;
        }
    r->mean_hops = r->answered ? sum / r->answered : 0;
    plc_meshnet_frames(w, &r->frames, &r->rreq_frames);
    r->frames -= f0;
    r->rreq_frames -= q0;
    r->sim_s = plc_meshnet_now_s(w) - t0;
    free(asked);
    free(before);
    free(deadline);
}

/* ---- quality against the true links ---- */
static double link_etx(plc_meshnet *w, unsigned a, unsigned b)
{
    /* the medium's own PER (spread loss included): the true link, not an estimate */
    const double pd = plc_medium_link_per(w->medium, &w->per, a, b, PLC_MOD_ROBO, ETX_LEN);
    const double pa = plc_medium_link_per(w->medium, &w->per, b, a, PLC_MOD_ROBO, 1);
    const double ok = (1 - pd) * (1 - pa);
    return ok > 1e-3 ? 1.0 / ok : INFINITY;
}

/* The node the route to the concentrator goes to next from `from`, or -1. */
static int next_of(plc_meshnet *w, unsigned from)
{
    uint16_t nh;
    if (plc_loadng_next_hop(plc_adp_routing(w->node[from].adp), 0, &nh, NULL, NULL) != PLC_OK)
        return -1;
    if (nh == 0)
        return 0;
    return nh < 0x8000 && w->by_short[nh] ? w->by_short[nh] - 1 : -1;
}

/* The routes LOADng's own order would give with every link known (fewer weak links, then
 * the composite cost, over links a route beacon can give a route on, LQIs as a clean frame
 * has them): each meter's ETX along it in pe. Dijkstra from the concentrator outwards. */
static void policy_paths(plc_meshnet *w, const double *etx, double *pe)
{
    const unsigned n = w->n;
    plc_adp_config ac;
    plc_adp_config_default(&ac);
    unsigned *weak = malloc(sizeof(unsigned) * n), *cost = malloc(sizeof(unsigned) * n);
    int *done = calloc(n, sizeof(int));
    for (unsigned i = 0; i < n; i++) {
        weak[i] = cost[i] = ~0u;
        pe[i] = INFINITY;
    }
    weak[0] = cost[0] = 0;
    pe[0] = 0;
    for (;;) {
        int u = -1;
        for (unsigned i = 0; i < n; i++)
            if (!done[i] && weak[i] != ~0u &&
                (u < 0 || weak[i] < weak[u] || (weak[i] == weak[u] && cost[i] < cost[u])))
                u = (int)i;
        if (u < 0)
            break;
        done[u] = 1;
        /* v hears u's beacon copy: the link's weakness and cost as v's own tables judge it */
        const uint16_t from = u == 0 ? ac.coordinator : 0x7FFE;
        for (unsigned v = 1; v < n; v++) {
            const uint8_t lqi = plc_medium_link_lqi(w->medium, (unsigned)u, v);
            if (done[v] || isinf(etx[v * n + (unsigned)u]) || lqi < ac.beacon_min_lqi)
                continue;
            plc_adp *a = w->node[v].adp;
            const unsigned wk = weak[u] + (unsigned)plc_loadng_link_weak(plc_adp_routing(a), from, lqi);
            const unsigned c = cost[u] + plc_adp_link_cost(a, from, lqi);
            if (wk < weak[v] || (wk == weak[v] && c < cost[v])) {
                weak[v] = wk;
                cost[v] = c;
                pe[v] = pe[u] + etx[v * n + (unsigned)u];
            }
        }
    }
    free(weak);
    free(cost);
    free(done);
}

void plc_meshnet_quality_get(plc_meshnet *w, plc_meshnet_quality *q)
{
    memset(q, 0, sizeof(*q));
    const unsigned n = w->n;
    double *etx = malloc(sizeof(double) * n * n), *dist = malloc(sizeof(double) * n);
    unsigned *hops = malloc(sizeof(unsigned) * n);
    int *done = calloc(n, sizeof(int));
    for (unsigned a = 0; a < n; a++)
        for (unsigned b = 0; b < n; b++)
            etx[a * n + b] = a == b ? 0 : link_etx(w, a, b);
    /* Dijkstra from the concentrator over meter -> ... -> concentrator links */
    for (unsigned i = 0; i < n; i++) {
        dist[i] = INFINITY;
        hops[i] = ~0u;
    }
    dist[0] = 0;
    for (unsigned it = 0; it < n; it++) {
        int u = -1;
        for (unsigned i = 0; i < n; i++)
            if (!done[i] && (u < 0 || dist[i] < dist[u]))
                u = (int)i;
        if (u < 0 || isinf(dist[u]))
            break;
        done[u] = 1;
        for (unsigned v = 0; v < n; v++)
            if (!done[v] && dist[u] + etx[v * n + (unsigned)u] < dist[v])
                dist[v] = dist[u] + etx[v * n + (unsigned)u];
    }
    /* hop levels (links with ETX below 2), then each node's parent: its best link to a
     * node one level nearer (the HPLC-style tree) */
    hops[0] = 0;
    for (unsigned lvl = 0, grew = 1; grew; lvl++) {
        grew = 0;
        for (unsigned v = 0; v < n; v++)
            if (hops[v] == ~0u)
                for (unsigned u = 0; u < n; u++)
                    if (hops[u] == lvl && etx[v * n + u] < 2.0) {
                        hops[v] = lvl + 1;
                        grew = 1;
                        break;
                    }
    }
    double *tree = malloc(sizeof(double) * n);
    tree[0] = 0;
    for (unsigned lvl = 1; lvl < n; lvl++) {
        int any = 0;
        for (unsigned v = 0; v < n; v++) {
            if (hops[v] != lvl)
                continue;
            any = 1;
            double best = INFINITY;
            for (unsigned u = 0; u < n; u++)
                if (hops[u] == lvl - 1 && etx[v * n + u] < best) {
                    best = etx[v * n + u];
                    tree[v] = tree[u] + best;
                }
        }
        if (!any)
            break;
    }
    double *policy = malloc(sizeof(double) * n);
    policy_paths(w, etx, policy);
    double sr = 0, so = 0, st = 0, sp = 0;
    for (unsigned m = 1; m < n; m++) {
        if (isinf(dist[m])) {
            q->unreachable++;
            continue;
        }
        double e = 0;
        unsigned at = m, steps = 0;
        while (at != 0 && steps++ < 32) {
            const int nx = next_of(w, at);
            if (nx < 0) {
                e = INFINITY;
                break;
            }
            e += etx[at * n + (unsigned)nx];
            at = (unsigned)nx;
        }
        if (at != 0 || isinf(e))
            continue;
        q->routed++;
        sr += e;
        so += dist[m];
        st += hops[m] == ~0u ? dist[m] : tree[m];
        sp += isinf(policy[m]) ? e : policy[m];
    }
    if (q->routed) {
        q->route_etx = sr / q->routed;
        q->oracle_etx = so / q->routed;
        q->tree_etx = st / q->routed;
        q->policy_etx = sp / q->routed;
    }
    free(policy);
    free(etx);
    free(dist);
    free(hops);
    free(done);
    free(tree);
}

int plc_meshnet_write_dot(plc_meshnet *w, FILE *f)
{
    fprintf(f, "digraph mesh {\n  rankdir=BT;\n  node [shape=circle, fontsize=9];\n"
               "  n0 [label=\"C\", shape=doublecircle];\n");
    for (unsigned m = 1; m < w->n; m++) {
        const int nx = next_of(w, m);
        if (nx >= 0)
            fprintf(f, "  n%u -> n%d [label=\"%.2f\", fontsize=7];\n", m, nx,
                    link_etx(w, m, (unsigned)nx));
        else
            fprintf(f, "  n%u [style=dashed];\n", m);
    }
    fprintf(f, "}\n");
    return ferror(f) ? PLC_ERR_IO : PLC_OK;
}

plc_adp *plc_meshnet_adp(plc_meshnet *w, unsigned node)
{
    return w->node[node].adp;
}

plc_mac *plc_meshnet_mac(plc_meshnet *w, unsigned node)
{
    return w->node[node].mac;
}

plc_lbd *plc_meshnet_lbd(plc_meshnet *w, unsigned node)
{
    return w->node[node].lbd;
}

plc_lbs *plc_meshnet_lbs(plc_meshnet *w)
{
    return w->lbs;
}

uint64_t plc_meshnet_eui(const plc_meshnet *w, unsigned node)
{
    return w->node[node].eui;
}

void plc_meshnet_kill(plc_meshnet *w, unsigned node)
{
    mnode *x = &w->node[node];
    if (!x->mac)
        return;
    plc_timer_stop(w->loop, &x->hello);
    plc_timer_stop(w->loop, &x->refresh);
    plc_mac_pib pib;
    plc_mac_get_pib(x->mac, &pib);
    x->counter = pib.frame_counter; /* kept, as a MAC's saved counter is */
    plc_adp_attach(x->adp, NULL);
    plc_mac_destroy(x->mac);
    x->mac = NULL;
}

int plc_meshnet_power_restore(plc_meshnet *w, unsigned node)
{
    if (node == 0 || node >= w->n || !w->node[node].app)
        return PLC_ERR_ARG;
    mnode *x = &w->node[node];
    if (plc_timer_pending(&x->dark))
        plc_meshnet_kill(w, node); /* back within the hold-up time: the modem restarts anyway */
    plc_timer_stop(w->loop, &x->dark);
    if (x->mac)
        return PLC_OK; /* never lost */
    /* the old stack went dark: a fresh one, which joins again */
    plc_lbd_destroy(x->lbd);
    plc_adp_destroy(x->adp);
    plc_mac_sec_destroy(x->sec);
    x->lbd = NULL;
    x->adp = NULL;
    x->sec = NULL;
    if (x->announced)
        w->announced--;
    x->announced = 0;
    if (x->joined_s >= 0)
        w->joined--;
    x->joined_s = -1;
    if (!node_stack(w, x, x->counter))
        return PLC_ERR_NOMEM;
    plc_meter_node_set_mains(x->app, 1);
    return plc_timer_start_in(w->loop, &x->power, 1000000u + (plc_rng_next(&x->rng) >> 11) % 4000000u);
}

int plc_meshnet_node_of(const plc_meshnet *w, uint16_t short_addr)
{
    if (short_addr == 0)
        return 0;
    return short_addr < 0x8000 && w->by_short[short_addr] ? w->by_short[short_addr] - 1 : -1;
}

int plc_meshnet_allow(plc_meshnet *w, uint64_t eui, const uint8_t psk[16])
{
    return plc_lbs_allow(w->lbs, eui, psk);
}

void plc_meshnet_disallow(plc_meshnet *w, uint64_t eui)
{
    plc_lbs_disallow(w->lbs, eui);
    plc_lbs_kick(w->lbs, eui); /* PLC_ERR_ARG when it is not on the mesh: nothing to do */
}

void plc_meshnet_psk(const plc_meshnet *w, unsigned node, uint8_t psk[16])
{
    psk_of(w->node[node].eui, psk);
}

void plc_meshnet_set_app(plc_meshnet *w, const plc_meshnet_app *app)
{
    w->app = app ? *app : (plc_meshnet_app){0};
}

int plc_meshnet_send(plc_meshnet *w, uint16_t to, const uint8_t *frame, size_t len, uint8_t handle)
{
    return plc_adp_data_request(w->node[0].adp, to, frame, len, handle);
}

plc_loop *plc_meshnet_loop(plc_meshnet *w)
{
    return w->loop;
}

void plc_meshnet_meter_counters(const plc_meshnet *w, unsigned node, plc_meter_node_counters *c)
{
    memset(c, 0, sizeof(*c));
    if (node > 0 && node < w->n && w->node[node].app)
        plc_meter_node_get_counters(w->node[node].app, c);
}

uint32_t plc_meshnet_image(const plc_meshnet *w, unsigned node, int *state)
{
    const mnode *x = node > 0 && node < w->n ? &w->node[node] : NULL;
    if (state)
        *state = x && x->image ? (int)plc_fw_image_state(x->image) : -1;
    return x ? x->image_id : 0;
}

plc_meter *plc_meshnet_meter(plc_meshnet *w, unsigned node)
{
    return node > 0 && node < w->n ? w->node[node].meter : NULL;
}

int plc_meshnet_power_cut(plc_meshnet *w, unsigned node)
{
    if (node == 0 || node >= w->n || !w->node[node].app)
        return PLC_ERR_ARG;
    mnode *x = &w->node[node];
    if (!x->mac || plc_timer_pending(&x->dark))
        return PLC_OK; /* already dark or going */
    plc_meter_node_set_mains(x->app, 0); /* the last gasp goes now */
    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    return plc_timer_start_in(w->loop, &x->dark,
                              (uint64_t)nc.holdup_ms * 1000u + HOLDUP_TIMER_SLACK_US);
}

plc_medium *plc_meshnet_medium(plc_meshnet *w)
{
    return w->medium;
}
