#include "plc_gw_topology.h"

#include <stdlib.h>
#include <string.h>

struct plc_gw_topology {
    plc_loop *loop;
    plc_adp *adp;
    plc_gw_store *store;
    uint64_t gap_us;
    plc_timer tick;
    int waiting;                     /* our discovery is running */
    uint16_t asked;                  /* ... for this short address */
    char last[PLC_GW_ADDR_LEN];      /* the meter asked last ("" none yet) */
    plc_gw_topology_counters cnt;
};

/* The next meter after the last one asked, by address, that has a short address. */
static int next_meter(plc_gw_topology *t, uint16_t *short_addr)
{
    unsigned n = 0;
    if (plc_gw_store_meters(t->store, 0, NULL, 0, &n) != PLC_OK || n == 0)
        return 0;
    plc_gw_meter *all = calloc(n, sizeof(*all));
    if (!all || plc_gw_store_meters(t->store, 0, all, n, &n) != PLC_OK) {
        free(all);
        return 0;
    }
    int pick = -1, first = -1;
    for (unsigned i = 0; i < n && pick < 0; i++) {
        if (all[i].short_addr < 0 || all[i].short_addr >= 0xFFFE)
            continue;
        if (first < 0)
            first = (int)i;
        if (strcmp(all[i].addr, t->last) > 0)
            pick = (int)i;
    }
    if (pick < 0)
        pick = first; /* round again */
    if (pick >= 0) {
        *short_addr = (uint16_t)all[pick].short_addr;
        memcpy(t->last, all[pick].addr, sizeof(t->last));
    }
    free(all);
    return pick >= 0;
}

static void on_tick(plc_loop *loop, plc_timer *tm, void *user)
{
    (void)tm;
    plc_gw_topology *t = user;
    plc_timer_start_in(loop, &t->tick, t->gap_us);
    uint16_t dst;
    if (t->waiting || !next_meter(t, &dst))
        return;
    const int rc = plc_adp_path_request(t->adp, dst, PLC_LOADNG_METRIC_COMPOSITE);
    if (rc == PLC_ERR_NO_ROUTE) {
        t->cnt.no_route++;
        return;
    }
    if (rc != PLC_OK)
        return; /* another path discovery of the ADP's runs: next time */
    t->waiting = 1;
    t->asked = dst;
    t->cnt.asked++;
}

void plc_gw_topology_path(plc_gw_topology *t, uint16_t dst, int status,
                          const plc_loadng_path *reply)
{
    if (!t || !t->waiting || dst != t->asked)
        return;
    t->waiting = 0;
    if (status == PLC_OK && reply && reply->n_rev > 0) {
        t->cnt.complete++;
        /* the way back's first hop: the meter's next hop toward us (us, for one hop) */
        plc_gw_store_meter_parent(t->store, dst, reply->rev[0].addr);
    } else if (status == PLC_ERR_NO_ROUTE) {
        t->cnt.incomplete++;
    } else {
        t->cnt.failed++;
    }
}

plc_gw_topology *plc_gw_topology_create(plc_loop *loop, plc_adp *adp, plc_gw_store *store,
                                        unsigned gap_s)
{
    if (!loop || !adp || !store || gap_s == 0)
        return NULL;
    plc_gw_topology *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->loop = loop;
    t->adp = adp;
    t->store = store;
    t->gap_us = (uint64_t)gap_s * 1000000u;
    plc_timer_init(&t->tick, on_tick, t);
    plc_timer_start_in(loop, &t->tick, t->gap_us);
    return t;
}

void plc_gw_topology_destroy(plc_gw_topology *t)
{
    if (!t)
        return;
    plc_timer_stop(t->loop, &t->tick);
    free(t);
}

void plc_gw_topology_get_counters(const plc_gw_topology *t, plc_gw_topology_counters *c)
{
    *c = t->cnt;
}
