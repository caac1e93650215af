/* On the target: a DL/T 645 read over the secured MAC between two nodes, in the emulated
 * board's real time (the loop's MCU backend on the hardware timers). Node 0 is the
 * concentrator, node 1 a meter node whose meter is a small fixed register set written here
 * (what metering firmware would implement, plc_meter_regs.h). The line between them is a
 * wire: the frames plc_tx makes, white noise at 15 dB in-band SNR, each node's own plc_rx
 * in 256-sample blocks, half duplex. Checked: the replies carry the registers' values,
 * every frame was secured, ACKed, nothing failed. Prints the heap each layer took at create
 * and the instructions per read ("FIGURE" lines for scripts/firmware.sh). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "board.h"
#include "plc_err.h"
#include "plc_mac.h"
#include "plc_meter_node.h"
#include "plc_ofdm.h"
#include "plc_phy_service.h"
#include "plc_rng.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define BLOCK 256
#define FRAME_MAX 80000

/* ---- the wire ---- */
typedef struct wire wire;
typedef struct wnode {
    wire *w;
    int id;
    plc_phy_user user;
    plc_rx *rx;
    int transmitting;
    plc_timer done;
} wnode;

struct wire {
    plc_loop *loop;
    plc_tx *tx;
    float frame[FRAME_MAX];
    size_t frame_len;
    uint64_t frame_start; /* line sample of its first sample */
    int from;             /* sender of the frame on the line, -1 none */
    uint64_t next;        /* next line sample to hand the receivers */
    uint64_t t0;          /* loop time of line sample 0 */
    plc_timer tick;
    plc_rng rng;
    float sigma;
    wnode node[2];
    float buf[BLOCK];
};

static uint64_t us_of(const wire *w, uint64_t s)
{
    return w->t0 + s * 5 / 2;
}

static uint64_t sample_of(const wire *w, uint64_t us)
{
    return us > w->t0 ? (us - w->t0) * 2 / 5 : 0;
}

static float gauss(wire *w)
{
    const float u1 = ((float)(plc_rng_next(&w->rng) >> 40) + 1.0f) / 16777217.0f;
    const float u2 = (float)(plc_rng_next(&w->rng) >> 40) / 16777216.0f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

static void on_rx_frame(const plc_rx_frame *f, void *user)
{
    wnode *n = user;
    plc_phy_rx_ind ind;
    uint64_t end;
    if (!plc_phy_rx_ind_from_frame(f, &ind, &end))
        return;
    ind.end_us = us_of(n->w, end);
    if (n->user.rx_indication)
        n->user.rx_indication(n->user.user, &ind);
}

static void on_tick(plc_loop *loop, plc_timer *t, void *user)
{
    wire *w = user;
    const uint64_t b = w->next;
    const int on_air = w->from >= 0 && b < w->frame_start + w->frame_len &&
                       b + BLOCK > w->frame_start;
    for (int r = 0; r < 2; r++) {
        plc_rx *rx = w->node[r].rx;
        if (on_air && w->from == r) {
            plc_rx_skip(rx, BLOCK); /* half duplex */
        } else if (on_air || plc_rx_busy(rx)) {
            for (unsigned i = 0; i < BLOCK; i++) {
                const uint64_t s = b + i;
                float x = w->sigma * gauss(w);
                if (on_air && s >= w->frame_start && s < w->frame_start + w->frame_len)
                    x += w->frame[s - w->frame_start];
                w->buf[i] = x;
            }
            plc_rx_push(rx, w->buf, BLOCK);
        } else {
            plc_rx_skip(rx, BLOCK);
        }
    }
    if (w->from >= 0 && b + BLOCK >= w->frame_start + w->frame_len)
        w->from = -1;
    w->next = b + BLOCK;
    plc_timer_start_at(loop, t, us_of(w, w->next + BLOCK));
}

static void on_tx_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    wnode *n = user;
    n->transmitting = 0;
    if (n->user.tx_confirm)
        n->user.tx_confirm(n->user.user, PLC_OK);
}

static int wire_tx(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                   uint64_t at_us)
{
    wnode *n = phy;
    wire *w = n->w;
    if (n->transmitting || w->from >= 0)
        return PLC_ERR_BUSY;
    size_t got = 0;
    const int rc = plc_tx_frame(w->tx, rq, psdu, len, w->frame, FRAME_MAX, &got);
    if (rc != PLC_OK)
        return rc;
    const uint64_t now = plc_loop_now_us(w->loop);
    uint64_t s = sample_of(w, at_us > now ? at_us : now);
    if (s < w->next)
        s = w->next; /* the line has moved on: as soon as it can */
    w->frame_start = s;
    w->frame_len = got;
    w->from = n->id;
    n->transmitting = 1;
    return plc_timer_start_at(w->loop, &n->done, us_of(w, s + got));
}

static int wire_busy(void *phy)
{
    const wnode *n = phy;
    return n->transmitting || n->w->from >= 0 || plc_rx_busy(n->rx);
}

static void wire_set_user(void *phy, const plc_phy_user *u)
{
    wnode *n = phy;
    n->user = u ? *u : (plc_phy_user){0};
}

static const plc_phy_ops wire_ops = {wire_tx, wire_busy, wire_set_user, NULL};

/* ---- a meter as firmware would keep it: fixed registers ---- */
typedef struct fixed_meter {
    uint8_t addr[6];
    int64_t energy_centi_kwh, voltage_deci_v;
} fixed_meter;

static const uint8_t *fm_address(void *m)
{
    return ((fixed_meter *)m)->addr;
}

static int fm_read(void *m, uint64_t now, uint32_t di, plc_dlt645_value *v)
{
    (void)now;
    const fixed_meter *f = m;
    if (di == 0x00010000)
        v->raw = f->energy_centi_kwh;
    else if (di == 0x02010100)
        v->raw = f->voltage_deci_v;
    else
        return PLC_DLT645_E_UNKNOWN_DI;
    return PLC_DLT645_OK;
}

static int fm_write(void *m, uint64_t now, uint32_t di, const plc_dlt645_value *v, uint32_t op)
{
    (void)m, (void)now, (void)di, (void)v, (void)op;
    return PLC_DLT645_ERR_OTHER;
}

static int fm_control(void *m, uint64_t now, uint8_t cmd, const plc_dlt645_time *until)
{
    (void)m, (void)now, (void)cmd, (void)until;
    return PLC_DLT645_ERR_OTHER;
}

static void fm_sync(void *m, uint64_t now, const plc_dlt645_time *t)
{
    (void)m, (void)now, (void)t;
}

static int fm_password_ok(void *m, uint8_t level, uint32_t pw)
{
    (void)m, (void)level, (void)pw;
    return 0;
}

static void fm_set_password(void *m, uint8_t level, uint32_t pw)
{
    (void)m, (void)level, (void)pw;
}

static void fm_clear(void *m, uint64_t now, uint8_t func)
{
    (void)m, (void)now, (void)func;
}

static void fm_set_address(void *m, const uint8_t addr[6])
{
    memcpy(((fixed_meter *)m)->addr, addr, 6);
}

static void fm_mains(void *m, uint64_t now, int on)
{
    (void)m, (void)now, (void)on;
}

static const plc_meter_regs_ops fixed_ops = {fm_address, fm_read, fm_write, fm_control, fm_sync,
                                             fm_password_ok, fm_set_password, fm_clear,
                                             fm_set_address, fm_mains, NULL};

/* ---- the two nodes ---- */
typedef struct world {
    plc_loop *loop;
    wire *w;
    plc_mac *mac[2];
    plc_mac_sec *sec;
    plc_meter_node *node;
    fixed_meter meter;
    int replies, confirms, ok;
    plc_dlt645_frame reply;
} world;

static world *the_world;

static void on_confirm(void *user, uint8_t handle, int status)
{
    (void)handle;
    world *x = user;
    x->confirms++;
    x->ok += status == PLC_OK;
}

static void on_concentrator_rx(void *user, const plc_mac_data_indication *ind)
{
    world *x = user;
    size_t used;
    if (ind->secured && plc_dlt645_decode(ind->msdu, ind->len, &x->reply, &used) == PLC_DLT645_OK)
        x->replies++;
}

static void on_meter_rx(void *user, const plc_mac_data_indication *ind)
{
    (void)user;
    plc_meter_node_indication(the_world->node, ind);
}

static void on_meter_confirm(void *user, uint8_t handle, int status)
{
    (void)user;
    (void)handle;
    the_world->confirms++;
    the_world->ok += status == PLC_OK;
}

static void stop_on_reply(plc_loop *loop, plc_timer *t, void *user)
{
    world *x = user;
    if (x->replies)
        plc_loop_stop(loop);
    else
        plc_timer_start_in(loop, t, 10000);
}

static int64_t read_di(world *x, uint32_t di)
{
    plc_dlt645_frame q;
    plc_dlt645_read_request(x->meter.addr, di, &q);
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const int len = plc_dlt645_encode(&q, 0, buf, sizeof(buf));
    assert_true(len > 0);
    const plc_mac_data_req rq = {.dst = 1, .msdu = buf, .len = (size_t)len};
    x->replies = 0;
    assert_int_equal(plc_mac_data_request(x->mac[0], &rq), PLC_OK);
    plc_timer stop;
    plc_timer_init(&stop, stop_on_reply, x);
    plc_timer_start_in(x->loop, &stop, 10000);
    plc_loop_run(x->loop, plc_loop_now_us(x->loop) + 10000000); /* 10 s at most */
    plc_timer_stop(x->loop, &stop);
    assert_int_equal(x->replies, 1);
    assert_int_equal(plc_dlt645_di_get(x->reply.data), di);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(di, x->reply.data + 4, x->reply.len - 4u, &v),
                     PLC_DLT645_OK);
    return v.raw;
}

static void test_read_over_secured_mac(void **st)
{
    (void)st;
    static world x;
    the_world = &x;
    memset(&x, 0, sizeof(x));
    x.meter = (fixed_meter){{0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 123456, 2301};
    x.loop = board_loop_create(64);
    assert_non_null(x.loop);
    size_t h = board_heap_in_use();
    x.w = calloc(1, sizeof(wire));
    assert_non_null(x.w);
    wire *w = x.w;
    w->loop = x.loop;
    w->from = -1;
    w->t0 = plc_loop_now_us(x.loop);
    w->sigma = 0.056f; /* 15 dB in-band: 0.045 / (0.056^2 x 36/128) */
    plc_rng_seed(&w->rng, 99);
    const size_t heap_wire = board_heap_in_use() - h;
    h = board_heap_in_use();
    w->tx = plc_tx_create(NULL);
    const size_t heap_tx = board_heap_in_use() - h;
    size_t heap_rx = 0;
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.callback = on_rx_frame;
    for (int i = 0; i < 2; i++) {
        w->node[i] = (wnode){.w = w, .id = i};
        rc.user = &w->node[i];
        h = board_heap_in_use();
        w->node[i].rx = plc_rx_create(&rc);
        heap_rx = board_heap_in_use() - h;
        assert_non_null(w->node[i].rx);
        plc_timer_init(&w->node[i].done, on_tx_done, &w->node[i]);
    }
    plc_timer_init(&w->tick, on_tick, w);
    plc_timer_start_at(x.loop, &w->tick, us_of(w, BLOCK));
    h = board_heap_in_use();
    x.sec = plc_mac_sec_create();
    static const uint8_t gmk[16] = {0xAF, 0x4D, 0x6D, 0xCC, 0xF1, 0x4D, 0xE7, 0xC1,
                                    0xC4, 0x23, 0x5E, 0x6F, 0xEF, 0x6C, 0x15, 0x1F};
    assert_int_equal(plc_mac_sec_set_key(x.sec, 0, gmk), PLC_OK);
    const size_t heap_sec = board_heap_in_use() - h;
    size_t heap_mac = 0;
    for (int i = 0; i < 2; i++) {
        plc_mac_pib pib;
        plc_mac_pib_default(&pib);
        pib.short_addr = (uint16_t)i;
        pib.security_enabled = 1;
        const plc_mac_callbacks cb = i == 0
            ? (plc_mac_callbacks){.confirm = on_confirm, .indication = on_concentrator_rx, .user = &x}
            : (plc_mac_callbacks){.confirm = on_meter_confirm, .indication = on_meter_rx, .user = &x};
        h = board_heap_in_use();
        x.mac[i] = plc_mac_create(&pib, 7 + (uint64_t)i, x.loop,
                                  (plc_phy_service){&wire_ops, &w->node[i]}, x.sec, &cb);
        heap_mac = board_heap_in_use() - h;
        assert_non_null(x.mac[i]);
    }
    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    const plc_meter_regs regs = {&fixed_ops, &x.meter};
    h = board_heap_in_use();
    x.node = plc_meter_node_create(&nc, &regs, x.mac[1], x.loop);
    const size_t heap_node = board_heap_in_use() - h;
    assert_non_null(x.node);
    const uint64_t i0 = board_instructions(), t0 = board_now_us();
    assert_int_equal(read_di(&x, 0x00010000), 123456);
    assert_int_equal(read_di(&x, 0x02010100), 2301);
    const uint64_t spent = board_instructions() - i0, took = board_now_us() - t0;
    plc_loop_run(x.loop, plc_loop_now_us(x.loop) + 500000); /* the last ACK reaches the meter */
    plc_mac_counters c0, c1;
    plc_mac_get_counters(x.mac[0], &c0);
    plc_mac_get_counters(x.mac[1], &c1);
    assert_int_equal(x.confirms, 4); /* two requests, two replies */
    assert_int_equal(x.ok, 4);
    assert_int_equal(c0.decryption_errors + c1.decryption_errors, 0);
    assert_true(c0.tx_acks >= 2 && c1.tx_acks >= 2);
    printf("FIGURE mac_read reads=2 board_ms=%lu instr=%lu tx_frames=%lu retries=%lu\n",
           (unsigned long)(took / 1000), (unsigned long)spent,
           (unsigned long)(c0.tx_frames + c1.tx_frames),
           (unsigned long)(c0.tx_retries + c1.tx_retries));
    printf("FIGURE heap plc_tx=%u plc_rx=%u plc_mac=%u plc_mac_sec=%u plc_meter_node=%u wire=%u\n",
           (unsigned)heap_tx, (unsigned)heap_rx, (unsigned)heap_mac, (unsigned)heap_sec,
           (unsigned)heap_node, (unsigned)heap_wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_over_secured_mac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
