/* The meters' time (plc_gw.h): the daily broadcast time sync and the clock check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_gw_internal.h"

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* [R] The sync is compensated by half the median round trip of the meters' last answers:
 * the broadcast's own delay (a flood relayed with jitter) is not measured on the mesh. */
uint64_t gw_one_way_us(const plc_gw *g)
{
    uint64_t *rtt = malloc((g->n ? g->n : 1) * sizeof(*rtt));
    unsigned n = 0;
    for (unsigned k = 0; rtt && k < g->n; k++)
        if (g->meter[k].rtt_us)
            rtt[n++] = g->meter[k].rtt_us;
    uint64_t d = 0;
    if (n) {
        qsort(rtt, n, sizeof(*rtt), cmp_u64);
        d = rtt[n / 2] / 2;
    }
    free(rtt);
    return d;
}

/* A broadcast time sync now, delay compensated, with its event. */
int plc_gw_time_sync_now(plc_gw *g)
{
    const int64_t now = plc_gw_now(g);
    const uint64_t delay = gw_one_way_us(g);
    plc_dlt645_time t;
    plc_gw_calendar(now + (int64_t)((delay + 500000) / 1000000), &t);
    plc_dlt645_frame f;
    plc_dlt645_time_sync(&t, &f);
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const int len = plc_dlt645_encode(&f, 0, buf, sizeof(buf));
    if (len <= 0 || g->link.send(g->link.user, 0xFFFF, buf, (size_t)len) != PLC_OK) {
        g->cnt.send_failures++;
        return PLC_ERR_IO;
    }
    g->cnt.time_syncs++;
    char d[96];
    snprintf(d, sizeof(d), "broadcast %04d-%02d-%02d %02d:%02d:%02d, delay compensated %.1f s",
             t.year, t.month, t.day, t.hour, t.minute, t.second, (double)delay / 1e6);
    if (plc_gw_store_event(g->store, now, "time-sync", 0, d) != PLC_OK) {
        gw_store_failed(g);
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

void gw_time_tick(plc_gw *g)
{
    if (!g->cfg.time_sync)
        return;
    const int64_t now = plc_gw_now(g), day = now - now % DAY;
    const unsigned sod = (unsigned)(now - day);
    if (sod < g->cfg.sync_at || sod >= g->cfg.sync_at + 60 || !plc_gw_sync_time_ok(sod))
        return;
    int64_t last = -1;
    if (plc_gw_store_state_get(g->store, "time_sync_day", &last) < 0)
        gw_store_failed(g);
    if (last == day)
        return; /* once a day, a restart included */
    if (plc_gw_time_sync_now(g) == PLC_OK &&
        plc_gw_store_state_set(g->store, "time_sync_day", day) != PLC_OK)
        gw_store_failed(g); /* a failed send: the next tick tries again */
}

void gw_clock_checked(plc_gw *g, unsigned k, const plc_dlt645_value *date,
                      const plc_dlt645_value *time, char *value, size_t cap)
{
    gmeter *x = &g->meter[k];
    const int64_t meter = plc_gw_local_time(date->t.year, date->t.month, date->t.day,
                                            time->t.hour, time->t.minute, time->t.second);
    /* the meter read its clock about half a round trip before the answer came */
    const int64_t ref = plc_gw_now(g) - (int64_t)(x->rtt_us / 2000000u);
    const int64_t off = meter - ref;
    plc_dlt645_time m;
    plc_gw_calendar(meter, &m);
    snprintf(value, cap, "{\"meter_time\":\"%04d-%02d-%02d %02d:%02d:%02d\",\"offset_s\":%lld}",
             m.year, m.month, m.day, m.hour, m.minute, m.second, (long long)off);
    if (llabs(off) <= (long long)g->cfg.clock_window_s)
        return;
    g->cnt.clocks_off++;
    char d[96];
    snprintf(d, sizeof(d), "meter clock %lld s %s, beyond the +/-%u s a broadcast corrects",
             (long long)llabs(off), off > 0 ? "ahead" : "behind", g->cfg.clock_window_s);
    if (plc_gw_store_event(g->store, plc_gw_now(g), "clock-off", x->m.id, d) != PLC_OK)
        gw_store_failed(g);
    if (!g->cfg.set_clocks)
        return;
    plc_gw_command c = {.kind = PLC_GW_CMD_SET_TIME};
    snprintf(c.id, sizeof(c.id), "set-time-%s-%lld", x->m.addr, (long long)(ref - ref % DAY));
    snprintf(c.meter, sizeof(c.meter), "%s", x->m.addr);
    plc_gw_command_submit(g, &c);
}
