/* The concentrator's PLC modem: the coordinator's stack (plc_gw_modem.h). */
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_gw_modem.h"
#include "plc_mac_sec.h"

struct plc_gw_modem {
    plc_gw_modem_config cfg;
    plc_gw_modem_app app;
    plc_loop *loop;
    plc_mac_sec *sec;
    plc_mac *mac;
    plc_adp *adp;
    plc_lbs *lbs;
    uint8_t *seen;     /* a bit per short address that announced itself */
    unsigned announced;
};

void plc_gw_modem_config_default(plc_gw_modem_config *c)
{
    memset(c, 0, sizeof(*c));
    c->pan_id = 0x781D;
    c->max_devices = 1024;
    c->max_hops = 15;
    c->beacon_period_s = 300;
    c->parallel = 5;
    c->seed = 1;
}

/* ---- the LBP server's platform ---- */
static int g_send(void *u, uint16_t dst, uint64_t ext, const uint8_t *msg, size_t len)
{
    return plc_adp_lbp_request(((plc_gw_modem *)u)->adp, dst, ext, msg, len);
}

static void g_random(void *u, uint8_t *out, size_t n)
{
    plc_gw_modem *m = u;
    m->cfg.random(m->cfg.random_user, out, n);
}

static void g_set_key(void *u, uint8_t id, const uint8_t key[16])
{
    plc_mac_sec_set_key(((plc_gw_modem *)u)->sec, id, key);
}

static void g_activate(void *u, uint8_t id)
{
    plc_gw_modem *m = u;
    plc_mac_pib pib;
    plc_mac_get_pib(m->mac, &pib);
    pib.key_index = id;
    plc_mac_set_pib(m->mac, &pib);
}

static void g_refused(void *u, uint64_t eui, int err, const char *reason)
{
    (void)err;
    plc_gw_modem *m = u;
    if (m->app.refused)
        m->app.refused(m->app.user, eui, reason);
}

static void g_path(void *u, uint16_t dst, int status, const plc_loadng_path *reply)
{
    plc_gw_modem *m = u;
    if (m->app.path)
        m->app.path(m->app.user, dst, status, reply);
}

/* ---- the adaptation layer's indications ---- */
static void on_lbp(void *u, const plc_adp_lbp_indication *ind)
{
    plc_lbs_input(((plc_gw_modem *)u)->lbs, ind);
}

static void on_ind(void *u, const plc_adp_indication *ind)
{
    plc_gw_modem *m = u;
    if (ind->len < 1)
        return;
    const uint8_t b = ind->data[0];
    if (b == PLC_HELLO && ind->len == 7) {
        const uint8_t ack[1] = {PLC_HELLO_ACK};
        plc_adp_data_request(m->adp, ind->orig, ack, sizeof(ack), 0);
        if (ind->orig < 0x8000 && !(m->seen[ind->orig >> 3] & (1u << (ind->orig & 7)))) {
            m->seen[ind->orig >> 3] |= (uint8_t)(1u << (ind->orig & 7));
            m->announced++;
        }
        if (m->app.announced)
            m->app.announced(m->app.user, ind->orig, ind->data + 1);
    } else if (b == PLC_IMAGE_DISPATCH) {
        if (m->app.image)
            m->app.image(m->app.user, ind->orig, ind->data + 1, ind->len - 1);
    } else if (PLC_DISPATCH_DLT645(b)) {
        if (m->app.frame)
            m->app.frame(m->app.user, ind->orig, ind->hops, ind->lqi, ind->data, ind->len);
    }
}

static void on_confirm(void *u, uint8_t handle, int status)
{
    (void)u; /* the concentrator's requests time out on their own */
    (void)handle;
    (void)status;
}

/* ---- life cycle ---- */
plc_gw_modem *plc_gw_modem_create(const plc_gw_modem_config *cfg, plc_loop *loop,
                                  plc_phy_service phy, const plc_gw_modem_app *app)
{
    if (!cfg->eui || !cfg->random || !cfg->max_devices)
        return NULL;
    plc_gw_modem *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cfg = *cfg;
    if (app)
        m->app = *app;
    m->loop = loop;
    m->seen = calloc(0x8000 / 8, 1);

    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = 0;
    ac.loadng.max_hops = cfg->max_hops;
    ac.loadng.route_table_size = cfg->max_devices + 8;
    ac.beacon_period_s = cfg->beacon_period_s;
    ac.queue = cfg->parallel + 64; /* the requests, and the LBP server's messages */
    ac.relays = 16;
    ac.high_priority = 1;          /* as sim/plc_meshnet's coordinator (docs/routing.md) */
    const plc_adp_callbacks cb = {.confirm = on_confirm, .indication = on_ind, .lbp = on_lbp,
                                  .path = g_path, .user = m};
    m->adp = m->seen ? plc_adp_create(&ac, loop, cfg->seed * 7919u, &cb) : NULL;
    m->sec = plc_mac_sec_create();
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.pan_id = cfg->pan_id;
    pib.short_addr = 0;
    pib.ext_addr = cfg->eui;
    pib.security_enabled = 1;
    pib.rc_coord = 0;
    const unsigned nb = cfg->max_devices < PLC_MAC_MAX_TABLE ? cfg->max_devices : PLC_MAC_MAX_TABLE;
    pib.neighbour_table_size = nb;
    pib.replay_table_size = 2 * nb < PLC_MAC_MAX_TABLE ? 2 * nb : PLC_MAC_MAX_TABLE;
    pib.queue_size = 32;
    pib.reassembly_trains = 16;
    if (m->sec)
        plc_mac_sec_set_key(m->sec, 0, cfg->gmk);
    const plc_mac_callbacks mcb = m->adp ? plc_adp_mac_callbacks(m->adp) : (plc_mac_callbacks){0};
    m->mac = m->adp && m->sec ? plc_mac_create(&pib, cfg->seed * 31u, loop, phy, m->sec, &mcb)
                              : NULL;
    if (m->mac)
        plc_adp_attach(m->adp, m->mac);

    plc_lbs_config sc;
    plc_lbs_config_default(&sc);
    sc.max_devices = cfg->max_devices;
    const plc_lbs_ops so = {g_send, g_random, g_set_key, g_activate, NULL, g_refused, m};
    m->lbs = m->mac ? plc_lbs_create(&sc, loop, &so, 0, cfg->gmk) : NULL;
    if (!m->lbs) {
        plc_gw_modem_destroy(m);
        return NULL;
    }
    return m;
}

void plc_gw_modem_destroy(plc_gw_modem *m)
{
    if (!m)
        return;
    plc_lbs_destroy(m->lbs);
    plc_mac_destroy(m->mac);
    plc_adp_destroy(m->adp);
    plc_mac_sec_destroy(m->sec);
    free(m->seen);
    free(m);
}

int plc_gw_modem_send(plc_gw_modem *m, uint16_t to, const uint8_t *frame, size_t len)
{
    return plc_adp_data_request(m->adp, to, frame, len, 0);
}

int plc_gw_modem_allow(plc_gw_modem *m, uint64_t eui, const uint8_t psk[16])
{
    return plc_lbs_allow(m->lbs, eui, psk);
}

void plc_gw_modem_disallow(plc_gw_modem *m, uint64_t eui)
{
    plc_lbs_disallow(m->lbs, eui);
    plc_lbs_kick(m->lbs, eui); /* PLC_ERR_ARG when it is not on the mesh: nothing to do */
}

unsigned plc_gw_modem_announced(const plc_gw_modem *m) { return m->announced; }
plc_mac *plc_gw_modem_mac(plc_gw_modem *m) { return m->mac; }
plc_adp *plc_gw_modem_adp(plc_gw_modem *m) { return m->adp; }
plc_lbs *plc_gw_modem_lbs(plc_gw_modem *m) { return m->lbs; }
