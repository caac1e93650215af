#include "plc_simnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_loop.h"
#include "plc_medium.h"
#include "plc_rng.h"
#include "plc_topology.h"

#define MAGIC 0x5A

typedef struct simnode {
    struct plc_simnet *net;
    unsigned id;
    plc_phy_service phy;
    plc_timer traffic;
    uint32_t seq;
    uint64_t sent; /* frames put on the line (each one goes to every other node) */
} simnode;

struct plc_simnet {
    plc_simnet_config cfg;
    unsigned n;
    plc_loop *loop;
    plc_medium *medium;
    plc_rng rng;
    simnode *node;
    plc_simnet_link *link;
    uint64_t digest;
};

void plc_simnet_config_default(plc_simnet_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nodes = 10;
    cfg->seed = 1;
    cfg->period_s = 10.0;
    cfg->mod = PLC_MOD_DBPSK;
    cfg->psdu_len = 64;
    cfg->noise_profile = "awgn";
    cfg->noise_level = 0.002;
    cfg->per_table = "docs/per/per_sco.dat"; /* with clock offsets, like the line */
}

void plc_simnet_medium_config(const plc_simnet_config *cfg, plc_medium_config *mc)
{
    plc_medium_config_default(mc);
    mc->nodes = cfg->nodes;
    mc->seed = cfg->seed;
    mc->abstract_phy = cfg->abstract_phy;
    mc->topology_file = cfg->topology_file;
    mc->noise_profile = cfg->noise_profile;
    mc->noise_level = cfg->noise_level;
    mc->per_table = cfg->per_table;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xBF58476D1CE4E5B9ull;
}

static void on_rx(void *user, const plc_phy_rx_ind *ind)
{
    simnode *nd = user;
    plc_simnet *s = nd->net;
    if (ind->psdu_len < s->cfg.psdu_len || ind->psdu[0] != MAGIC)
        return;
    const unsigned from = (unsigned)ind->psdu[1] << 8 | ind->psdu[2];
    const uint32_t seq = (uint32_t)ind->psdu[3] << 24 | (uint32_t)ind->psdu[4] << 16 |
                         (uint32_t)ind->psdu[5] << 8 | ind->psdu[6];
    if (from >= s->n || from == nd->id)
        return;
    plc_simnet_link *k = &s->link[from * s->n + nd->id];
    k->received++;
    k->snr_sum += ind->snr_db;
    if (k->received == 1 || ind->snr_db < k->snr_min)
        k->snr_min = ind->snr_db;
    if (k->received == 1 || ind->snr_db > k->snr_max)
        k->snr_max = ind->snr_db;
    const int32_t q = (int32_t)lrint(ind->snr_db * 1000.0);
    s->digest = mix(mix(mix(mix(mix(s->digest, nd->id), from), seq), plc_loop_now_us(s->loop)),
                    (uint64_t)(uint32_t)q);
}

static void on_traffic(plc_loop *loop, plc_timer *t, void *user)
{
    simnode *n = user;
    plc_simnet *s = n->net;
    uint8_t psdu[255];
    memset(psdu, 0, sizeof(psdu));
    psdu[0] = MAGIC;
    psdu[1] = (uint8_t)(n->id >> 8);
    psdu[2] = (uint8_t)n->id;
    psdu[3] = (uint8_t)(n->seq >> 24);
    psdu[4] = (uint8_t)(n->seq >> 16);
    psdu[5] = (uint8_t)(n->seq >> 8);
    psdu[6] = (uint8_t)n->seq;
    for (size_t i = 7; i < s->cfg.psdu_len; i++)
        psdu[i] = (uint8_t)(plc_rng_next(&s->rng) >> 56);
    /* a node still sending its previous frame skips this one (not counted as sent) */
    const plc_tx_request rq = {.mod = s->cfg.mod, .tonemap = PLC_TONEMAP_ALL};
    if (n->phy.ops->tx_request(n->phy.phy, &rq, psdu, s->cfg.psdu_len, PLC_PHY_NOW) == PLC_OK)
        n->sent++;
    n->seq++;
    plc_timer_start_in(loop, t, (uint64_t)(s->cfg.period_s * 1e6));
}

plc_simnet *plc_simnet_create(const plc_simnet_config *cfg, char *err, size_t errlen)
{
    if (!cfg || cfg->nodes < 2 || cfg->nodes > PLC_TOPO_MAX_NODES || cfg->psdu_len < 8 ||
        cfg->psdu_len > 239 || !(cfg->period_s > 0)) {
        snprintf(err, errlen, "bad scenario: 2..%d nodes, PSDU 8..239 bytes, period > 0",
                 PLC_TOPO_MAX_NODES);
        return NULL;
    }
    plc_simnet *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    plc_medium_config mc;
    plc_simnet_medium_config(cfg, &mc);
    /* the topology file may hold any number of nodes: room for the most */
    s->loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(PLC_TOPO_MAX_NODES) + PLC_TOPO_MAX_NODES);
    if (!s->loop) {
        snprintf(err, errlen, "out of memory");
        plc_simnet_destroy(s);
        return NULL;
    }
    s->medium = plc_medium_create(&mc, s->loop, err, errlen);
    if (!s->medium) {
        plc_simnet_destroy(s);
        return NULL;
    }
    s->n = plc_medium_nodes(s->medium);
    s->cfg.nodes = s->n;
    s->node = calloc(s->n, sizeof(simnode));
    s->link = calloc((size_t)s->n * s->n, sizeof(plc_simnet_link));
    if (!s->node || !s->link) {
        snprintf(err, errlen, "out of memory");
        plc_simnet_destroy(s);
        return NULL;
    }
    plc_rng_seed(&s->rng, cfg->seed ^ 0x5A5A5A5Aull);
    for (unsigned i = 0; i < s->n; i++) {
        simnode *nd = &s->node[i];
        nd->net = s;
        nd->id = i;
        nd->phy = plc_medium_phy(s->medium, i);
        const plc_phy_user u = {.rx_indication = on_rx, .user = nd};
        nd->phy.ops->set_user(nd->phy.phy, &u);
        plc_timer_init(&nd->traffic, on_traffic, nd);
        plc_timer_start_at(s->loop, &nd->traffic,
                           (uint64_t)(plc_rng_uniform(&s->rng) * cfg->period_s * 1e6));
    }
    return s;
}

void plc_simnet_destroy(plc_simnet *s)
{
    if (!s)
        return;
    plc_medium_destroy(s->medium);
    free(s->node);
    free(s->link);
    plc_loop_destroy(s->loop);
    free(s);
}

int plc_simnet_run(plc_simnet *s, double until_s, void (*progress)(double now_s, void *user),
                   void *user)
{
    const uint64_t end = (uint64_t)(until_s * 1e6);
    while (plc_loop_now_us(s->loop) < end) {
        uint64_t next = plc_loop_now_us(s->loop) + 1000000;
        if (next > end)
            next = end;
        long rc = plc_loop_run(s->loop, next);
        if (rc < 0)
            return (int)rc;
        if (progress)
            progress((double)plc_loop_now_us(s->loop) / 1e6, user);
    }
    return PLC_OK;
}

unsigned plc_simnet_nodes(const plc_simnet *s)
{
    return s->n;
}

plc_simnet_link plc_simnet_link_stats(const plc_simnet *s, unsigned from, unsigned to)
{
    plc_simnet_link k = s->link[from * s->n + to];
    k.sent = from == to ? 0 : s->node[from].sent; /* every frame goes to every node */
    return k;
}

const plc_medium *plc_simnet_medium(const plc_simnet *s)
{
    return s->medium;
}

uint64_t plc_simnet_digest(const plc_simnet *s)
{
    return s->digest;
}
