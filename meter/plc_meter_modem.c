/* A meter's PLC modem: the device stack and the meter node app (plc_meter_modem.h). */
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_mac_sec.h"
#include "plc_meter_modem.h"
#include "plc_rng.h"

#define HELLO_EVERY_S 30
#define HELLO_TRIES 10     /* ... then every HELLO_LATER_S (+ up to half of it) until answered */
#define HELLO_LATER_S 300
#define REANNOUNCE_S 7200
#define REANNOUNCE_JITTER_S 720

struct plc_meter_modem {
    plc_meter_modem_config cfg;
    plc_loop *loop;
    plc_mac_sec *sec;
    plc_mac *mac;
    plc_adp *adp;
    plc_lbd *lbd;
    plc_meter_node *app;
    plc_rng rng;
    plc_timer hello, refresh;
    unsigned hellos;
    int announced;
    uint64_t dropped; /* datagrams nobody here takes */
};

void plc_meter_modem_config_default(plc_meter_modem_config *c)
{
    memset(c, 0, sizeof(*c));
    c->seed = 1;
    c->pan_id = 0x781D;
    c->max_hops = 15;
    c->beacon_period_s = 300;
    c->replay_entries = 64;
    c->queue = 8;
    c->routes = 150;
}

static uint64_t draw_us(plc_meter_modem *m, uint64_t span_us)
{
    return span_us ? (plc_rng_next(&m->rng) >> 11) % span_us : 0;
}

/* ---- the LBP device's platform ---- */
static int g_send(void *u, uint16_t dst, uint64_t ext, const uint8_t *msg, size_t len)
{
    plc_meter_modem *m = u;
    return plc_adp_lbp_request(m->adp, dst, ext, msg, len);
}

static int g_beacon_request(void *u)
{
    return plc_mac_beacon_request(((plc_meter_modem *)u)->mac);
}

static int g_announce(void *u)
{
    return plc_mac_beacon_send(((plc_meter_modem *)u)->mac);
}

static unsigned g_link_cost(void *u, uint16_t nb, uint8_t lqi)
{
    return plc_adp_link_cost(((plc_meter_modem *)u)->adp, nb, lqi);
}

static void g_random(void *u, uint8_t *out, size_t n)
{
    plc_meter_modem *m = u;
    m->cfg.random(m->cfg.random_user, out, n);
}

static void g_set_key(void *u, uint8_t id, const uint8_t key[16])
{
    plc_mac_sec_set_key(((plc_meter_modem *)u)->sec, id, key);
}

static void g_activate(void *u, uint8_t id)
{
    plc_meter_modem *m = u;
    plc_mac_pib pib;
    plc_mac_get_pib(m->mac, &pib);
    pib.key_index = id;
    plc_mac_set_pib(m->mac, &pib);
}

static void set_address(plc_meter_modem *m, uint16_t a)
{
    plc_mac_pib pib;
    plc_mac_get_pib(m->mac, &pib);
    pib.short_addr = a;
    plc_mac_set_pib(m->mac, &pib);
    plc_adp_set_address(m->adp, a);
    if (m->cfg.address)
        m->cfg.address(m->cfg.user, a);
}

static void g_joined(void *u, uint16_t short_addr, uint16_t agent, unsigned cost)
{
    plc_meter_modem *m = u;
    set_address(m, short_addr);
    plc_adp_set_coordinator_route(m->adp, agent, cost); /* G3: the agent is the way at first */
    m->hellos = 0;
    m->announced = 0;
    plc_timer_start_in(m->loop, &m->hello, draw_us(m, 5000000u)); /* within 5 s */
}

static void g_left(void *u)
{
    plc_meter_modem *m = u;
    plc_timer_stop(m->loop, &m->hello);
    plc_timer_stop(m->loop, &m->refresh);
    m->announced = 0;
    set_address(m, 0xFFFF);
}

/* ---- the announce ---- */
static void send_hello(plc_meter_modem *m)
{
    uint8_t h[7] = {PLC_HELLO};
    memcpy(h + 1, m->cfg.addr, 6);
    plc_adp_data_request(m->adp, 0, h, sizeof(h), 0);
}

static void on_hello(plc_loop *loop, plc_timer *t, void *user)
{
    plc_meter_modem *m = user;
    if (m->announced)
        return;
    m->hellos++;
    send_hello(m);
    const uint64_t later = HELLO_LATER_S * 1000000ull;
    plc_timer_start_in(loop, t, m->hellos < HELLO_TRIES ? HELLO_EVERY_S * 1000000ull
                                                        : later + draw_us(m, later / 2));
}

static void start_refresh(plc_meter_modem *m)
{
    plc_timer_start_in(m->loop, &m->refresh,
                       REANNOUNCE_S * 1000000ull + draw_us(m, REANNOUNCE_JITTER_S * 1000000ull));
}

static void on_refresh(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_meter_modem *m = user;
    if (!m->announced)
        return;
    send_hello(m);
    start_refresh(m);
}

/* ---- the adaptation layer's indications ---- */
static void on_lbp(void *u, const plc_adp_lbp_indication *ind)
{
    plc_lbd_input(((plc_meter_modem *)u)->lbd, ind);
}

static void on_beacon(void *u, uint16_t src, uint16_t rc, uint8_t lqi)
{
    plc_lbd_beacon(((plc_meter_modem *)u)->lbd, src, rc, lqi);
}

static void on_ind(void *u, const plc_adp_indication *ind)
{
    plc_meter_modem *m = u;
    if (ind->len < 1 || ind->orig != 0) { /* only the concentrator talks to a meter */
        m->dropped++;
        return;
    }
    if (PLC_DISPATCH_DLT645(ind->data[0])) {
        plc_meter_node_input(m->app, ind->orig, ind->data, ind->len);
    } else if (ind->data[0] == PLC_HELLO_ACK && ind->len == 1) {
        if (!m->announced) {
            m->announced = 1;
            start_refresh(m);
            if (m->cfg.announced)
                m->cfg.announced(m->cfg.user);
        }
    } else if (m->cfg.datagram) {
        m->cfg.datagram(m->cfg.user, ind);
    } else {
        m->dropped++;
    }
}

uint64_t plc_meter_modem_dropped(const plc_meter_modem *m)
{
    return m->dropped;
}

static void on_confirm(void *u, uint8_t handle, int status)
{
    (void)u;
    (void)handle;
    (void)status;
}

static int link_send(void *user, uint16_t to, const uint8_t *frame, size_t len, int urgent)
{
    (void)urgent; /* the data service has one priority */
    plc_meter_modem *m = user;
    return plc_adp_data_request(m->adp, to, frame, len, 0);
}

/* ---- life cycle ---- */
plc_meter_modem *plc_meter_modem_create(const plc_meter_modem_config *cfg, plc_loop *loop,
                                        plc_phy_service phy, const plc_meter_regs *regs)
{
    if (!cfg->eui || !cfg->random || !regs)
        return NULL;
    plc_meter_modem *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cfg = *cfg;
    m->loop = loop;
    plc_rng_seed(&m->rng, cfg->seed * 1000003u + 1);
    plc_timer_init(&m->hello, on_hello, m);
    plc_timer_init(&m->refresh, on_refresh, m);

    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = 0xFFFF;
    ac.loadng.max_hops = cfg->max_hops;
    ac.loadng.route_table_size = cfg->routes;
    ac.beacon_period_s = cfg->beacon_period_s;
    ac.queue = cfg->queue;
    const plc_adp_callbacks cb = {.confirm = on_confirm, .indication = on_ind, .lbp = on_lbp,
                                  .beacon = on_beacon, .user = m};
    m->adp = plc_adp_create(&ac, loop, cfg->seed * 7919u + 1, &cb);
    m->sec = plc_mac_sec_create();
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.pan_id = cfg->pan_id;
    pib.frame_counter = cfg->frame_counter;
    pib.short_addr = 0xFFFF;
    pib.ext_addr = cfg->eui;
    pib.security_enabled = 1;
    pib.replay_table_size = cfg->replay_entries;
    const plc_mac_callbacks mcb = m->adp ? plc_adp_mac_callbacks(m->adp) : (plc_mac_callbacks){0};
    m->mac = m->adp && m->sec ? plc_mac_create(&pib, cfg->seed * 31u + 1, loop, phy, m->sec, &mcb)
                              : NULL;
    if (m->mac)
        plc_adp_attach(m->adp, m->mac);

    plc_lbd_config dc;
    plc_lbd_config_default(&dc);
    dc.eui = cfg->eui;
    memcpy(dc.psk, cfg->psk, 16);
    const plc_lbd_ops o = {g_send,  g_beacon_request, g_link_cost, g_random, g_joined,
                           g_set_key, g_activate,     g_left,      m,        g_announce};
    m->lbd = m->mac ? plc_lbd_create(&dc, loop, &o) : NULL;

    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    const plc_meter_node_link link = {link_send, m};
    m->app = m->lbd ? plc_meter_node_create_link(&nc, regs, &link, loop) : NULL;
    if (!m->app) {
        plc_meter_modem_destroy(m);
        return NULL;
    }
    return m;
}

void plc_meter_modem_destroy(plc_meter_modem *m)
{
    if (!m)
        return;
    plc_timer_stop(m->loop, &m->hello);
    plc_timer_stop(m->loop, &m->refresh);
    plc_meter_node_destroy(m->app);
    plc_lbd_destroy(m->lbd);
    plc_mac_destroy(m->mac);
    plc_adp_destroy(m->adp);
    plc_mac_sec_destroy(m->sec);
    free(m);
}

void plc_meter_modem_start(plc_meter_modem *m)
{
    plc_lbd_start(m->lbd);
}

int plc_meter_modem_announced(const plc_meter_modem *m)
{
    return m->announced;
}

plc_mac *plc_meter_modem_mac(plc_meter_modem *m) { return m->mac; }
plc_adp *plc_meter_modem_adp(plc_meter_modem *m) { return m->adp; }
plc_lbd *plc_meter_modem_lbd(plc_meter_modem *m) { return m->lbd; }
plc_meter_node *plc_meter_modem_app(plc_meter_modem *m) { return m->app; }

uint32_t plc_meter_modem_frame_counter(const plc_meter_modem *m)
{
    plc_mac_pib pib;
    plc_mac_get_pib(m->mac, &pib);
    return pib.frame_counter;
}
