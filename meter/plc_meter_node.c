#include "plc_meter_node.h"

#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_meter_server.h"

struct plc_meter_node {
    plc_meter_node_config cfg;
    plc_meter_regs regs;
    plc_meter_node_link link;
    plc_mac *mac;       /* the link's, when created over the MAC */
    plc_loop *loop;
    plc_timer holdup;
    int powered, alive;
    uint8_t handle;
    plc_meter_node_counters cnt;
};

void plc_meter_node_config_default(plc_meter_node_config *cfg)
{
    cfg->concentrator = 0x0000;
    cfg->holdup_ms = 30000;
}

static void on_holdup(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_meter_node *n = user;
    n->alive = 0; /* the supercapacitor is empty */
}

plc_meter_node *plc_meter_node_create_link(const plc_meter_node_config *cfg,
                                           const plc_meter_regs *regs,
                                           const plc_meter_node_link *link, plc_loop *loop)
{
    if (!cfg || !regs || !regs->ops || !link || !link->send || !loop)
        return NULL;
    plc_meter_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->cfg = *cfg;
    n->regs = *regs;
    n->link = *link;
    n->loop = loop;
    n->powered = n->alive = 1;
    plc_timer_init(&n->holdup, on_holdup, n);
    return n;
}

static int mac_send(void *user, uint16_t to, const uint8_t *frame, size_t len, int urgent)
{
    plc_meter_node *n = user;
    const plc_mac_data_req rq = {.dst = to, .msdu = frame, .len = len, .handle = n->handle++,
                                 .high_priority = urgent};
    return plc_mac_data_request(n->mac, &rq);
}

plc_meter_node *plc_meter_node_create(const plc_meter_node_config *cfg, const plc_meter_regs *regs,
                                      plc_mac *mac, plc_loop *loop)
{
    if (!mac)
        return NULL;
    const plc_meter_node_link link = {mac_send, NULL};
    plc_meter_node *n = plc_meter_node_create_link(cfg, regs, &link, loop);
    if (n) {
        n->mac = mac;
        n->link.user = n;
    }
    return n;
}

void plc_meter_node_destroy(plc_meter_node *n)
{
    if (!n)
        return;
    plc_timer_stop(n->loop, &n->holdup);
    free(n);
}

static void send_frame(plc_meter_node *n, uint16_t to, const plc_dlt645_frame *f, int urgent)
{
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const int len = plc_dlt645_encode(f, 0, buf, sizeof(buf));
    if (len <= 0 || n->link.send(n->link.user, to, buf, (size_t)len, urgent) != PLC_OK)
        n->cnt.send_failures++;
}

void plc_meter_node_indication(plc_meter_node *n, const plc_mac_data_indication *ind)
{
    plc_meter_node_input(n, ind->src, ind->msdu, ind->len);
}

void plc_meter_node_input(plc_meter_node *n, uint16_t src, const uint8_t *msdu, size_t len)
{
    if (!n->alive)
        return;
    plc_dlt645_frame q, r;
    size_t used;
    if (plc_dlt645_decode(msdu, len, &q, &used) != PLC_DLT645_OK || used != len) {
        n->cnt.malformed++;
        return;
    }
    if ((q.ctrl & PLC_DLT645_C_REPLY) ||
        !plc_dlt645_addr_matches(q.addr, n->regs.ops->address(n->regs.meter))) {
        n->cnt.not_for_us++;
        return;
    }
    n->cnt.requests++;
    if (!n->powered && plc_dlt645_function(&q) != PLC_DLT645_READ)
        return; /* on the supercapacitor only reads are served */
    if (!plc_meter_serve(&n->regs, plc_loop_now_us(n->loop), &q, &r)) {
        n->cnt.broadcasts++;
        return;
    }
    send_frame(n, src, &r, 0);
    n->cnt.replies++;
}

void plc_meter_node_set_mains(plc_meter_node *n, int on)
{
    on = !!on;
    if (on == n->powered)
        return;
    n->regs.ops->mains(n->regs.meter, plc_loop_now_us(n->loop), on);
    n->powered = on;
    if (on) {
        plc_timer_stop(n->loop, &n->holdup);
        n->alive = 1;
        return;
    }
    /* last gasp: the power-down record, unsolicited, high priority, at once */
    plc_dlt645_frame f, q;
    plc_dlt645_read_request(n->regs.ops->address(n->regs.meter), 0x03110001, &q);
    if (plc_meter_serve(&n->regs, plc_loop_now_us(n->loop), &q, &f)) {
        send_frame(n, n->cfg.concentrator, &f, 1);
        n->cnt.last_gasps++;
    }
    plc_timer_start_in(n->loop, &n->holdup, (uint64_t)n->cfg.holdup_ms * 1000u);
}

int plc_meter_node_alive(const plc_meter_node *n)
{
    return n->alive;
}

void plc_meter_node_get_counters(const plc_meter_node *n, plc_meter_node_counters *c)
{
    *c = n->cnt;
}
