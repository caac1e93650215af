#include "plc_macnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_topology.h"

#define SAT_MAGIC 0xA7 /* saturation MSDUs: magic, sender (2), request time in us (8) */
#define SAT_HEADER 11

typedef struct xnode {
    struct plc_macnet *net;
    unsigned id;
    plc_phy_service inner;    /* the medium's PHY service */
    plc_phy_user mac_user;    /* what the MAC registered with us */
    plc_mac *mac;
    unsigned drop_acks;
    uint8_t last_tx[255];
    size_t last_tx_len;
    uint16_t sat_to;
    size_t sat_len;
    uint8_t handle;
    plc_macnet_node_stats st;
    uint8_t last_rx[PLC_MAC_MAX_MSDU];
    size_t last_rx_len;
    uint16_t last_rx_src;
    uint64_t rx_count;
    void (*tap)(void *user, const uint8_t *frame, size_t len, int outgoing);
    void *tap_user;
    void (*app)(void *user, const plc_mac_data_indication *ind);
    void *app_user;
} xnode;

struct plc_macnet {
    plc_loop *loop;
    plc_medium *medium;
    plc_mac_sec *sec;
    unsigned n;
    xnode *node;
};

/* ---- the PHY service each MAC sees: the medium's, with fault injection ---- */
static int x_tx(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                uint64_t at_us)
{
    xnode *x = phy;
    if (rq && rq->dt <= PLC_DT_SOF_RESPONSE && psdu && len <= sizeof(x->last_tx)) {
        memcpy(x->last_tx, psdu, len);
        x->last_tx_len = len;
    }
    return x->inner.ops->tx_request(x->inner.phy, rq, psdu, len, at_us);
}

static int x_busy(void *phy)
{
    xnode *x = phy;
    return x->inner.ops->busy(x->inner.phy);
}

static void x_rx(void *user, const plc_phy_rx_ind *ind)
{
    xnode *x = user;
    if (ind->dt == PLC_DT_ACK && x->drop_acks) {
        x->drop_acks--;
        return;
    }
    if (x->mac_user.rx_indication)
        x->mac_user.rx_indication(x->mac_user.user, ind);
}

static void x_confirm(void *user, int status)
{
    xnode *x = user;
    if (x->mac_user.tx_confirm)
        x->mac_user.tx_confirm(x->mac_user.user, status);
}

static void x_set_user(void *phy, const plc_phy_user *u)
{
    xnode *x = phy;
    x->mac_user = u ? *u : (plc_phy_user){0};
}

static const plc_phy_ops x_ops = {x_tx, x_busy, x_set_user, NULL};

/* ---- MAC callbacks ---- */
static void send_saturated(xnode *x)
{
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    const uint64_t t = plc_loop_now_us(x->net->loop);
    memset(msdu, 0x55, x->sat_len);
    msdu[0] = SAT_MAGIC;
    msdu[1] = (uint8_t)(x->id >> 8);
    msdu[2] = (uint8_t)x->id;
    for (int i = 0; i < 8; i++)
        msdu[3 + i] = (uint8_t)(t >> (8 * i));
    plc_macnet_send(x->net, x->id, x->sat_to, msdu, x->sat_len);
}

static void on_confirm(void *user, uint8_t handle, int status)
{
    (void)handle;
    xnode *x = user;
    if (status == PLC_MAC_SUCCESS)
        x->st.ok++;
    else
        x->st.failed++;
    if (status <= 0 && status >= -PLC_ERR_MAX_CODE)
        x->st.status[-status]++;
    if (x->sat_len)
        send_saturated(x);
}

static void on_indication(void *user, const plc_mac_data_indication *ind)
{
    xnode *x = user;
    memcpy(x->last_rx, ind->msdu, ind->len);
    x->last_rx_len = ind->len;
    x->last_rx_src = ind->src;
    x->rx_count++;
    if (x->app)
        x->app(x->app_user, ind);
    if (ind->len >= SAT_HEADER && ind->msdu[0] == SAT_MAGIC) {
        const unsigned from = (unsigned)ind->msdu[1] << 8 | ind->msdu[2];
        if (from < x->net->n) {
            uint64_t t = 0;
            for (int i = 0; i < 8; i++)
                t |= (uint64_t)ind->msdu[3 + i] << (8 * i);
            plc_macnet_node_stats *s = &x->net->node[from].st;
            s->delivered++;
            s->delivered_bytes += ind->len;
            s->delay_sum_s += (double)(plc_loop_now_us(x->net->loop) - t) / 1e6;
        }
    }
}

static void on_tap(void *user, const uint8_t *frame, size_t len, int outgoing)
{
    xnode *x = user;
    if (x->tap)
        x->tap(x->tap_user, frame, len, outgoing);
}

/* ---- network ---- */
plc_macnet *plc_macnet_create(const plc_medium_config *mc, int security, uint64_t seed,
                              char *err, size_t errlen)
{
    plc_macnet *n = calloc(1, sizeof(*n));
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const unsigned cap = mc && mc->topology_file ? PLC_TOPO_MAX_NODES : (mc ? mc->nodes : 0);
    /* per node: medium 2, MAC 2 + 4 reassembly timers, one left for the caller's traffic */
    n->loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(cap) + 9 * cap + 16);
    if (!n->loop) {
        snprintf(err, errlen, "out of memory");
        plc_macnet_destroy(n);
        return NULL;
    }
    n->medium = plc_medium_create(mc, n->loop, err, errlen);
    if (!n->medium) {
        plc_macnet_destroy(n);
        return NULL;
    }
    n->n = plc_medium_nodes(n->medium);
    n->node = calloc(n->n, sizeof(xnode));
    n->sec = security ? plc_mac_sec_create() : NULL;
    if (!n->node || (security && !n->sec))
        goto nomem;
    if (security) {
        static const uint8_t gmk0[16] = {0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0x4D, 0xE7, 0xC1,
                                         0xC4, 0x23, 0x5E, 0x6F, 0xEF, 0x6C, 0x15, 0x1F};
        static const uint8_t gmk1[16] = {0x3A, 0x0C, 0x21, 0x9F, 0x5B, 0x61, 0x07, 0x43,
                                         0x88, 0x9D, 0xE2, 0x17, 0x4C, 0xAA, 0x90, 0x35};
        plc_mac_sec_set_key(n->sec, 0, gmk0);
        plc_mac_sec_set_key(n->sec, 1, gmk1);
    }
    for (unsigned i = 0; i < n->n; i++) {
        xnode *x = &n->node[i];
        x->net = n;
        x->id = i;
        x->inner = plc_medium_phy(n->medium, i);
        const plc_phy_user u = {.rx_indication = x_rx, .tx_confirm = x_confirm, .user = x};
        x->inner.ops->set_user(x->inner.phy, &u);
        plc_mac_pib pib;
        plc_mac_pib_default(&pib);
        pib.short_addr = (uint16_t)i;
        pib.ext_addr = 0x0200000000000000ull | i;
        pib.security_enabled = security;
        pib.rc_coord = i == 0 ? 0 : 0xFFFF;
        if (i == 0) { /* the concentrator hears everyone and answers everyone */
            if (n->n > pib.neighbour_table_size)
                pib.neighbour_table_size = n->n;
            pib.queue_size = 32;
            pib.reassembly_trains = 16;
        }
        const plc_mac_callbacks cb = {.confirm = on_confirm, .indication = on_indication,
                                      .tap = on_tap, .user = x};
        x->mac = plc_mac_create(&pib, seed * 1000003u + i, n->loop,
                                (plc_phy_service){&x_ops, x}, n->sec, &cb);
        if (!x->mac)
            goto nomem;
    }
    return n;
nomem:
    snprintf(err, errlen, "out of memory");
    plc_macnet_destroy(n);
    return NULL;
}

void plc_macnet_destroy(plc_macnet *n)
{
    if (!n)
        return;
    if (n->node)
        for (unsigned i = 0; i < n->n; i++)
            plc_mac_destroy(n->node[i].mac);
    plc_medium_destroy(n->medium);
    plc_mac_sec_destroy(n->sec);
    plc_loop_destroy(n->loop);
    free(n->node);
    free(n);
}

unsigned plc_macnet_nodes(const plc_macnet *n)
{
    return n->n;
}

plc_mac *plc_macnet_mac(plc_macnet *n, unsigned node)
{
    return node < n->n ? n->node[node].mac : NULL;
}

plc_medium *plc_macnet_medium(plc_macnet *n)
{
    return n->medium;
}

plc_loop *plc_macnet_loop(plc_macnet *n)
{
    return n->loop;
}

double plc_macnet_now_s(const plc_macnet *n)
{
    return (double)plc_loop_now_us(n->loop) / 1e6;
}

int plc_macnet_run(plc_macnet *n, double until_s)
{
    const long rc = plc_loop_run(n->loop, (uint64_t)(until_s * 1e6));
    return rc < 0 ? (int)rc : PLC_OK;
}

int plc_macnet_send(plc_macnet *n, unsigned from, uint16_t to, const uint8_t *msdu, size_t len)
{
    if (from >= n->n)
        return PLC_MAC_INVALID_PARAMETER;
    xnode *x = &n->node[from];
    const plc_mac_data_req rq = {.dst = to, .msdu = msdu, .len = len, .handle = x->handle++};
    const int rc = plc_mac_data_request(x->mac, &rq);
    x->st.requests++;
    if (rc != PLC_OK) {
        x->st.failed++;
        if (rc <= 0 && rc >= -PLC_ERR_MAX_CODE)
            x->st.status[-rc]++;
    }
    return rc;
}

void plc_macnet_saturate(plc_macnet *n, unsigned from, uint16_t to, size_t len)
{
    if (from >= n->n)
        return;
    xnode *x = &n->node[from];
    const int start = !x->sat_len && len;
    x->sat_to = to;
    x->sat_len = len < SAT_HEADER ? (len ? SAT_HEADER : 0) : len;
    if (start)
        send_saturated(x);
}

const plc_macnet_node_stats *plc_macnet_stats(const plc_macnet *n, unsigned node)
{
    return &n->node[node].st;
}

const uint8_t *plc_macnet_last_rx(const plc_macnet *n, unsigned node, uint16_t *src, size_t *len)
{
    const xnode *x = &n->node[node];
    if (!x->rx_count)
        return NULL;
    if (src)
        *src = x->last_rx_src;
    if (len)
        *len = x->last_rx_len;
    return x->last_rx;
}

uint64_t plc_macnet_rx_count(const plc_macnet *n, unsigned node)
{
    return n->node[node].rx_count;
}

void plc_macnet_drop_acks(plc_macnet *n, unsigned node, unsigned count)
{
    n->node[node].drop_acks = count;
}

const uint8_t *plc_macnet_last_tx_psdu(const plc_macnet *n, unsigned node, size_t *len)
{
    const xnode *x = &n->node[node];
    *len = x->last_tx_len;
    return x->last_tx_len ? x->last_tx : NULL;
}

void plc_macnet_inject(plc_macnet *n, unsigned node, const uint8_t *psdu, size_t len)
{
    float snr[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        snr[c] = 20.0f;
    const plc_phy_rx_ind ind = {.dt = PLC_DT_SOF_RESPONSE, .mod = PLC_MOD_DBPSK,
                                .tonemap = PLC_TONEMAP_ALL, .psdu = psdu, .psdu_len = len,
                                .snr_db = 20.0f, .carrier_snr_db = snr, .lqi = 120};
    x_rx(&n->node[node], &ind);
}

void plc_macnet_set_tap(plc_macnet *n, unsigned node,
                        void (*fn)(void *user, const uint8_t *frame, size_t len, int outgoing),
                        void *user)
{
    n->node[node].tap = fn;
    n->node[node].tap_user = user;
}

void plc_macnet_set_app(plc_macnet *n, unsigned node,
                        void (*fn)(void *user, const plc_mac_data_indication *ind), void *user)
{
    n->node[node].app = fn;
    n->node[node].app_user = user;
}
