#include "plc_readnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_meter_node.h"

typedef struct reader {
    plc_timer timeout;
    unsigned meter, di_index, attempt; /* what is being asked */
    int waiting, done;
} reader;

struct plc_readnet {
    plc_readnet_config cfg;
    plc_macnet *net;
    plc_meter **meter;          /* [1..meters] */
    plc_meter_node **node;
    plc_readnet_result *res;    /* [1..meters] */
    reader rd;
};

void plc_readnet_config_default(plc_readnet_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->meters = 20;
    cfg->waveform = 1;
    cfg->security = 1;
    cfg->seed = 1;
    cfg->reply_timeout_s = 3.0;
    cfg->app_retries = 2;
    cfg->start_s = 1.0;
    cfg->di[0] = 0x00010000;
    cfg->di[1] = 0x02010100;
    cfg->n_di = 2;
}

static void meter_app(void *user, const plc_mac_data_indication *ind)
{
    plc_meter_node_indication(user, ind);
}

static void ask(plc_readnet *r)
{
    reader *q = &r->rd;
    plc_dlt645_frame f;
    plc_dlt645_read_request(plc_meter_addr(r->meter[q->meter]), r->cfg.di[q->di_index], &f);
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const int n = plc_dlt645_encode(&f, 0, buf, sizeof(buf));
    q->waiting = 1;
    /* a refused request (queue full) simply times out and is asked again */
    if (n > 0)
        plc_macnet_send(r->net, 0, (uint16_t)q->meter, buf, (size_t)n);
    plc_timer_start_in(plc_macnet_loop(r->net), &q->timeout,
                       (uint64_t)(r->cfg.reply_timeout_s * 1e6));
}

/* Next reading: the next DI of this meter, else the next meter. */
static void advance(plc_readnet *r)
{
    reader *q = &r->rd;
    q->waiting = 0;
    q->attempt = 0;
    if (++q->di_index == r->cfg.n_di) {
        q->di_index = 0;
        q->meter++;
    }
    if (q->meter > r->cfg.meters) {
        q->done = 1;
        return;
    }
    ask(r);
}

static void on_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_readnet *r = user;
    reader *q = &r->rd;
    if (q->done)
        return;
    if (!q->waiting) { /* the start of the reading round */
        ask(r);
        return;
    }
    if (q->attempt < r->cfg.app_retries) {
        q->attempt++;
        r->res[q->meter].app_retries++;
        ask(r);
    } else {
        advance(r); /* given up on this one */
    }
}

static void concentrator_app(void *user, const plc_mac_data_indication *ind)
{
    plc_readnet *r = user;
    reader *q = &r->rd;
    plc_dlt645_frame f;
    size_t used;
    if (!q->waiting || ind->src != q->meter ||
        plc_dlt645_decode(ind->msdu, ind->len, &f, &used) != PLC_DLT645_OK ||
        f.ctrl != (PLC_DLT645_READ | PLC_DLT645_C_REPLY) || f.len < 4 ||
        memcmp(f.addr, plc_meter_addr(r->meter[q->meter]), 6) != 0)
        return; /* not the answer awaited (a late one, a last gasp, ...) */
    const uint32_t di = r->cfg.di[q->di_index];
    if (plc_dlt645_di_get(f.data) != di)
        return;
    plc_readnet_result *res = &r->res[q->meter];
    if (plc_dlt645_value_decode(di, f.data + 4, f.len - 4u, &res->value[q->di_index]) !=
        PLC_DLT645_OK)
        return;
    res->ok[q->di_index] = 1;
    res->model[q->di_index] = plc_meter_register(r->meter[q->meter], di);
    res->snr_db = ind->snr_db;
    plc_timer_stop(plc_macnet_loop(r->net), &q->timeout);
    advance(r);
}

plc_readnet *plc_readnet_create(const plc_readnet_config *cfg, char *err, size_t errlen)
{
    if (!cfg || cfg->meters < 1 || cfg->meters > 250 || cfg->n_di < 1 ||
        cfg->n_di > PLC_READNET_MAX_DI) {
        snprintf(err, errlen, "bad reading scenario: 1..250 meters, 1..%d DIs",
                 PLC_READNET_MAX_DI);
        return NULL;
    }
    plc_readnet *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.nodes = cfg->meters + 1;
    mc.seed = cfg->seed;
    mc.abstract_phy = !cfg->waveform;
    r->net = plc_macnet_create(&mc, cfg->security, cfg->seed, err, errlen);
    r->meter = calloc(cfg->meters + 1, sizeof(*r->meter));
    r->node = calloc(cfg->meters + 1, sizeof(*r->node));
    r->res = calloc(cfg->meters + 1, sizeof(*r->res));
    if (!r->net || !r->meter || !r->node || !r->res) {
        if (r->net)
            snprintf(err, errlen, "out of memory");
        plc_readnet_destroy(r);
        return NULL;
    }
    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    for (unsigned i = 1; i <= cfg->meters; i++) {
        plc_meter_config c;
        plc_meter_config_default(&c);
        char a[13];
        snprintf(a, sizeof(a), "%012u", i);
        plc_dlt645_addr_parse(a, c.addr);
        c.seed = cfg->seed * 7919u + i;
        c.energy_start_centi_kwh = 100000 + 12345 * (int64_t)i; /* meters are not new */
        r->meter[i] = plc_meter_create(&c);
        const plc_meter_regs regs = plc_meter_regs_of(r->meter[i]);
        r->node[i] = r->meter[i] ? plc_meter_node_create(&nc, &regs,
                                                         plc_macnet_mac(r->net, i),
                                                         plc_macnet_loop(r->net))
                                 : NULL;
        if (!r->node[i]) {
            snprintf(err, errlen, "out of memory");
            plc_readnet_destroy(r);
            return NULL;
        }
        plc_macnet_set_app(r->net, i, meter_app, r->node[i]);
        memcpy(r->res[i].addr, a, sizeof(a));
    }
    plc_macnet_set_app(r->net, 0, concentrator_app, r);
    r->rd.meter = 1;
    plc_timer_init(&r->rd.timeout, on_timeout, r);
    plc_timer_start_in(plc_macnet_loop(r->net), &r->rd.timeout, (uint64_t)(cfg->start_s * 1e6));
    return r;
}

void plc_readnet_destroy(plc_readnet *r)
{
    if (!r)
        return;
    if (r->net)
        plc_timer_stop(plc_macnet_loop(r->net), &r->rd.timeout);
    for (unsigned i = 1; i <= r->cfg.meters; i++) {
        if (r->node)
            plc_meter_node_destroy(r->node[i]);
        if (r->meter)
            plc_meter_destroy(r->meter[i]);
    }
    plc_macnet_destroy(r->net);
    free(r->meter);
    free(r->node);
    free(r->res);
    free(r);
}

double plc_readnet_run(plc_readnet *r, double max_s)
{
    /* in steps, so that the run stops soon after the last reading */
    double t = plc_macnet_now_s(r->net);
    while (!r->rd.done && t < max_s) {
        t = t + 0.5 < max_s ? t + 0.5 : max_s;
        plc_macnet_run(r->net, t);
    }
    const plc_mac *c = plc_macnet_mac(r->net, 0);
    for (unsigned i = 1; i <= r->cfg.meters; i++) {
        const plc_mac_neighbour *nb = plc_mac_neighbour_get(c, (uint16_t)i);
        r->res[i].mac_retries = nb ? nb->tx_retries : 0;
    }
    return t;
}

const plc_readnet_result *plc_readnet_result_get(const plc_readnet *r, unsigned meter)
{
    return meter >= 1 && meter <= r->cfg.meters ? &r->res[meter] : NULL;
}

void plc_readnet_success(const plc_readnet *r, unsigned *ok, unsigned *asked)
{
    *ok = 0;
    *asked = r->cfg.meters * r->cfg.n_di;
    for (unsigned i = 1; i <= r->cfg.meters; i++)
        for (unsigned k = 0; k < r->cfg.n_di; k++)
            *ok += (unsigned)r->res[i].ok[k];
}

plc_macnet *plc_readnet_net(plc_readnet *r)
{
    return r->net;
}

plc_meter *plc_readnet_meter(plc_readnet *r, unsigned meter)
{
    return meter >= 1 && meter <= r->cfg.meters ? r->meter[meter] : NULL;
}
