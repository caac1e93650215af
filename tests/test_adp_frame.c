/* Adaptation headers and LOADng messages as bytes (RFC 4944 layouts as G3 uses them, G3's
 * binary LOADng; ../shared/spec/routing-g3.md): exact encodings, round trips, and every
 * malformed case refused with its own code. And LOADng's route table and discoveries: a
 * route failed only after failures in a row, discoveries paced by adpRREQWait; a repair's
 * unicast RREQ over the failed route, flooded when the MAC fails it or nothing answers; a
 * relay passing a unicast RREQ on along its route; a RREP not acknowledged blacklisting the
 * neighbour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc_adp.h"
#include "plc_adp_frame.h"
#include "plc_loadng.h"

static void test_mesh_bc0_frag_bytes(void **st)
{
    (void)st;
    uint8_t b[32];
    size_t n;
    /* mesh 16/16, 8 hops left, 0x0005 -> 0x0000; FRAGN of a 1000-byte datagram, tag 0x1234,
     * offset 384 */
    plc_adp_header h = {.mesh = 1, .hops_left = 8, .orig = 5, .final = 0, .frag = PLC_ADP_FRAGN,
                        .dgram_size = 1000, .dgram_tag = 0x1234, .offset = 384};
    assert_int_equal(plc_adp_header_encode(&h, b, sizeof(b), &n), PLC_OK);
    static const uint8_t want[] = {0xB8, 0x00, 0x05, 0x00, 0x00, 0xE3, 0xE8, 0x12, 0x34, 48};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
    b[n] = 0x41; /* a dispatch after the headers */
    plc_adp_header d;
    assert_int_equal(plc_adp_header_decode(b, n + 1, &d), PLC_OK);
    assert_int_equal(d.mesh, 1);
    assert_int_equal(d.hops_left, 8);
    assert_int_equal(d.orig, 5);
    assert_int_equal(d.final, 0);
    assert_int_equal(d.frag, PLC_ADP_FRAGN);
    assert_int_equal(d.dgram_size, 1000);
    assert_int_equal(d.dgram_tag, 0x1234);
    assert_int_equal(d.offset, 384);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.payload[0], 0x41);
    /* broadcast: BC0 behind the mesh header, FRAG1; hops left 15 takes the extra byte */
    h = (plc_adp_header){.mesh = 1, .hops_left = 20, .orig = 0x0102, .final = 0xFFFF, .bc0 = 1,
                         .bc_seq = 7, .frag = PLC_ADP_FRAG1, .dgram_size = 500, .dgram_tag = 9};
    assert_int_equal(plc_adp_header_encode(&h, b, sizeof(b), &n), PLC_OK);
    static const uint8_t want2[] = {0xBF, 20, 0x01, 0x02, 0xFF, 0xFF, 0x50, 7,
                                    0xC1, 0xF4, 0x00, 0x09};
    assert_int_equal(n, sizeof(want2));
    assert_memory_equal(b, want2, sizeof(want2));
    b[n] = 0x41;
    assert_int_equal(plc_adp_header_decode(b, n + 1, &d), PLC_OK);
    assert_int_equal(d.hops_left, 20);
    assert_int_equal(d.bc0, 1);
    assert_int_equal(d.bc_seq, 7);
    assert_int_equal(d.frag, PLC_ADP_FRAG1);
    assert_int_equal(d.dgram_size, 500);
}

static void test_header_malformed(void **st)
{
    (void)st;
    plc_adp_header d;
    static const uint8_t mesh64[] = {0x88, 0, 0, 0, 0, 0, 0, 0, 1, 0x41};
    assert_int_equal(plc_adp_header_decode(mesh64, sizeof(mesh64), &d), PLC_ERR_ADP_ADDR);
    static const uint8_t cut[] = {0xB8, 0x00, 0x05, 0x00};
    assert_int_equal(plc_adp_header_decode(cut, sizeof(cut), &d), PLC_ERR_ADP_SHORT);
    static const uint8_t nodispatch[] = {0xB8, 0x00, 0x05, 0x00, 0x00};
    assert_int_equal(plc_adp_header_decode(nodispatch, sizeof(nodispatch), &d), PLC_ERR_ADP_SHORT);
    static const uint8_t bigfrag[] = {0xC7, 0xFF, 0x00, 0x01, 0x41}; /* 2047 > 1280 */
    assert_int_equal(plc_adp_header_decode(bigfrag, sizeof(bigfrag), &d), PLC_ERR_ADP_FRAG);
    static const uint8_t pastend[] = {0xE0, 0x64, 0x00, 0x01, 13, 0x41}; /* offset 104 >= 100 */
    assert_int_equal(plc_adp_header_decode(pastend, sizeof(pastend), &d), PLC_ERR_ADP_FRAG);
    assert_int_equal(plc_adp_header_decode(mesh64, 0, &d), PLC_ERR_ADP_SHORT);
    /* encode refuses what it cannot express */
    uint8_t b[16];
    size_t n;
    plc_adp_header h = {.frag = PLC_ADP_FRAGN, .dgram_size = 100, .offset = 12};
    assert_int_equal(plc_adp_header_encode(&h, b, sizeof(b), &n), PLC_ERR_ARG);
    h = (plc_adp_header){.mesh = 1};
    assert_int_equal(plc_adp_header_encode(&h, b, 3, &n), PLC_ERR_BUFFER);
}

static void test_loadng_bytes(void **st)
{
    (void)st;
    const plc_loadng_msg m = {.type = PLC_LOADNG_RREQ, .dest = 0x0007, .orig = 0x0000,
                              .seq = 0x0102, .flags = PLC_LOADNG_FLAG_REPAIR,
                              .metric = PLC_LOADNG_METRIC_COMPOSITE, .cost = 0x0034,
                              .hop_limit = 8, .hop_count = 2, .weak_links = 1};
    uint8_t b[16];
    const int n = plc_loadng_encode(&m, b, sizeof(b));
    static const uint8_t want[] = {0x40, 0x01, 0x00, 0x00, 0x07, 0x00, 0x00, 0x01, 0x02,
                                   0x8F, 0x00, 0x34, 0x82, 0x10};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
    plc_loadng_msg d;
    assert_int_equal(plc_loadng_decode(b + 2, (size_t)n - 2, &d), PLC_OK);
    assert_memory_equal(&d, &m, sizeof(m));
    const plc_loadng_msg e = {.type = PLC_LOADNG_RERR, .dest = 3, .orig = 9, .unreachable = 12,
                              .hop_limit = 5};
    assert_int_equal(plc_loadng_encode(&e, b, sizeof(b)), 11);
    static const uint8_t want_e[] = {0x40, 0x01, 0x02, 0x00, 0x03, 0x00, 0x09, 0x00, 0x00,
                                     0x0C, 0x50};
    assert_memory_equal(b, want_e, sizeof(want_e));
    assert_int_equal(plc_loadng_decode(b + 2, 9, &d), PLC_OK);
    assert_int_equal(d.unreachable, 12);
    /* malformed */
    assert_int_equal(plc_loadng_decode(b + 2, 8, &d), PLC_ERR_ADP_LENGTH);
    uint8_t t[12] = {0xFC};
    assert_int_equal(plc_loadng_decode(t, 12, &d), PLC_ERR_ADP_TYPE);
    uint8_t r[12] = {PLC_LOADNG_RREQ};
    r[7] = 0x20; /* reserved flag bit */
    assert_int_equal(plc_loadng_decode(r, 12, &d), PLC_ERR_ADP_RESERVED);
    r[7] = 0;
    r[11] = 0x01;
    assert_int_equal(plc_loadng_decode(r, 12, &d), PLC_ERR_ADP_RESERVED);
    uint8_t u[12] = {PLC_LOADNG_RREP};
    u[7] = PLC_LOADNG_FLAG_UNICAST; /* U only on RREQ */
    assert_int_equal(plc_loadng_decode(u, 12, &d), PLC_ERR_ADP_RESERVED);
    assert_int_equal(plc_loadng_decode(u, 0, &d), PLC_ERR_ADP_SHORT);
    plc_loadng_msg bad = m;
    bad.hop_limit = 16;
    assert_int_equal(plc_loadng_encode(&bad, b, sizeof(b)), PLC_ERR_ARG);
}

static unsigned g_sent, g_found, g_failed;

static int no_send(void *u, uint16_t next, const uint8_t *m, size_t len)
{
    (void)u;
    (void)next;
    (void)m;
    (void)len;
    g_sent++;
    return PLC_OK;
}

static void on_discovered(void *u, uint16_t dest, int status)
{
    (void)u;
    (void)dest;
    g_found += status == PLC_OK;
    g_failed += status != PLC_OK;
}

static unsigned unit_cost(void *u, uint16_t nb, uint8_t lqi)
{
    (void)u;
    (void)nb;
    (void)lqi;
    return 1;
}

/* A copy of the coordinator's route beacon of round `round`, relayed by `from`, which
 * advertises `cost` to the coordinator, into node a (link cost 4 at LQI 255). */
static void beacon_heard(plc_adp *a, uint16_t from, uint8_t round, unsigned cost, uint8_t lqi)
{
    static uint8_t bc = 0;
    uint8_t msdu[32];
    const plc_adp_header h = {.mesh = 1, .hops_left = 10, .orig = 0, .final = PLC_ADP_BROADCAST,
                              .bc0 = 1, .bc_seq = bc++};
    size_t n = 0;
    assert_int_equal(plc_adp_header_encode(&h, msdu, sizeof(msdu), &n), PLC_OK);
    const uint8_t b[6] = {PLC_ADP_DISPATCH_ESC, PLC_ADP_ESC_BEACON, round,
                          (uint8_t)(cost >> 8), (uint8_t)cost, 0};
    memcpy(msdu + n, b, sizeof(b));
    const plc_mac_data_indication ind = {.src = from, .dst = PLC_MAC_BROADCAST, .msdu = msdu,
                                         .len = n + sizeof(b), .lqi = lqi, .secured = 1};
    plc_adp_mac_callbacks(a).indication(a, &ind);
}

static void beacon_from(plc_adp *a, uint16_t from, uint8_t round, unsigned cost)
{
    beacon_heard(a, from, round, cost, 255);
}

static int route_via(plc_adp *a, uint16_t *next, unsigned *cost)
{
    return plc_loadng_next_hop(plc_adp_routing(a), 0, next, NULL, cost);
}

static void no_confirm(void *u, uint8_t handle, int status)
{
    (void)u, (void)handle, (void)status;
}

static void no_indication(void *u, const plc_adp_indication *ind)
{
    (void)u, (void)ind;
}

/* Node 5, learning its route to the coordinator from beacons heard from above min_lqi. */
static plc_adp *beacon_node(plc_loop *loop, unsigned min_lqi)
{
    plc_adp_config c;
    plc_adp_config_default(&c);
    c.loadng.self = 5;
    c.beacon_min_lqi = min_lqi;
    const plc_adp_callbacks cb = {.confirm = no_confirm, .indication = no_indication};
    plc_adp *a = plc_adp_create(&c, loop, 1, &cb);
    assert_non_null(a);
    return a;
}

/* The route to the coordinator from its beacon rounds: within a round another neighbour is
 * taken only when it advertises less than the lowest cost we had in the round (a node
 * routing through us cannot); once the route is lost, such a node's copy does not bring it
 * back (the loop it would make), a nearer one's does; a newer round's first copy replaces
 * the route; an older round's copy is ignored. */
static void test_beacon_rounds_are_loop_free(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_adp *a = beacon_node(loop, 0); /* every copy here is heard at LQI 255 */
    uint16_t nh = 0;
    unsigned cost = 0;
    beacon_from(a, 1, 7, 4); /* round 7 through 1: 4 + 4 */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 1);
    assert_int_equal(cost, 8);
    beacon_from(a, 2, 7, 12); /* node 2 routes through us: worse, ignored */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 1);
    for (int k = 0; k < 3; k++) /* the route through 1 fails */
        plc_loadng_link_failed(plc_adp_routing(a), 1, 0);
    assert_int_equal(route_via(a, &nh, &cost), PLC_ERR_NO_ROUTE);
    beacon_from(a, 2, 7, 12); /* round 7, 12 >= 8: through us, not taken */
    assert_int_equal(route_via(a, &nh, &cost), PLC_ERR_NO_ROUTE);
    beacon_from(a, 3, 7, 4); /* round 7, 4 < 8: nearer than we were, taken */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 3);
    assert_int_equal(cost, 8);
    beacon_from(a, 2, 8, 12); /* round 8: its first copy replaces the route */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 2);
    assert_int_equal(cost, 16);
    beacon_from(a, 4, 7, 0); /* round 7 again, however cheap: older, ignored */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 2);
    beacon_from(a, 3, 8, 4); /* round 8, better: taken */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 3);
    assert_int_equal(cost, 8);
    plc_adp_destroy(a);
    plc_loop_destroy(loop);
}

/* The cost a node writes into the route beacons it relays (the tap sees the relay going to
 * the MAC after the jitter). */
static unsigned g_relayed_cost, g_relays;
static void relay_tap(void *u, uint16_t peer, const uint8_t *msdu, size_t len, int out)
{
    (void)u;
    plc_adp_header h;
    if (!out || peer != PLC_ADP_BROADCAST || plc_adp_header_decode(msdu, len, &h) != PLC_OK ||
        h.len != 6 || h.payload[1] != PLC_ADP_ESC_BEACON)
        return;
    g_relays++;
    g_relayed_cost = (unsigned)(h.payload[3] << 8 | h.payload[4]);
}

/* A node whose route is still of the round before (the newer round's copy came over a link
 * below the floor, so it kept its route) relays the newer round with no route (0xFFFF): its
 * route may go through the neighbour that would take ours, a loop that held a subtree's
 * answers in a 1000-meter area. A copy advertising no route gives none; with a route of the
 * round the relay carries its cost. */
static void test_beacon_relay_only_with_a_route_of_its_round(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_adp *a = beacon_node(loop, 32);
    plc_adp_set_tap(a, relay_tap, NULL);
    g_relays = 0;
    uint16_t nh = 0;
    unsigned cost = 0;
    beacon_from(a, 1, 7, 4); /* round 7 through 1 */
    plc_loop_run(loop, plc_loop_now_us(loop) + 1000000);
    assert_int_equal(g_relays, 1);
    assert_int_equal(g_relayed_cost, 8);
    beacon_heard(a, 2, 8, 4, 28); /* round 8, below the floor: the route of round 7 stays */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 1);
    plc_loop_run(loop, plc_loop_now_us(loop) + 1000000);
    assert_int_equal(g_relays, 2);
    assert_int_equal(g_relayed_cost, 0xFFFF); /* not of round 8: no route to offer */
    beacon_from(a, 3, 9, 0xFFFF); /* round 9 from a relay without a route of it: nothing */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 1);
    plc_loop_run(loop, plc_loop_now_us(loop) + 1000000);
    beacon_from(a, 4, 9, 4); /* round 9 with a route: taken, and relayed with its cost */
    assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
    assert_int_equal(nh, 4);
    plc_loop_run(loop, plc_loop_now_us(loop) + 1000000);
    assert_int_equal(g_relayed_cost, 8);
    plc_adp_destroy(a);
    plc_loop_destroy(loop);
}

/* A beacon copy heard below beacon_min_lqi (32: SNR -2 dB) gives a route only where there is
 * none: a newer round's first copy over such a link does not replace a route over a good
 * one (in a 1000-meter area 29 meters routed over links at -2.4 to -2.8 dB, route ETX 20
 * against 3.1 on the shortest paths); with the floor at 0 it does. */
static void test_beacon_below_min_lqi_only_without_route(void **st)
{
    (void)st;
    plc_adp_config c;
    plc_adp_config_default(&c);
    assert_int_equal(c.beacon_min_lqi, 32);
    for (int floor = 0; floor < 2; floor++) {
        plc_loop *loop = plc_loop_virtual_create(64);
        plc_adp *a = beacon_node(loop, floor ? c.beacon_min_lqi : 0);
        uint16_t nh = 0;
        unsigned cost = 0;
        beacon_from(a, 1, 7, 4);
        assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
        assert_int_equal(nh, 1);
        beacon_heard(a, 2, 8, 0, 28); /* round 8's first copy, at SNR -3 dB */
        assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
        assert_int_equal(nh, floor ? 1 : 2);
        beacon_from(a, 1, 9, 4);
        for (int k = 0; k < 3; k++) /* the route through 1 fails */
            plc_loadng_link_failed(plc_adp_routing(a), 1, 0);
        assert_int_equal(route_via(a, &nh, &cost), PLC_ERR_NO_ROUTE);
        beacon_heard(a, 2, 10, 0, 28); /* no route: better than none */
        assert_int_equal(route_via(a, &nh, &cost), PLC_OK);
        assert_int_equal(nh, 2);
        assert_int_equal(cost, 13); /* round(10 (255 - 28) / 255) + 4 */
        plc_adp_destroy(a);
        plc_loop_destroy(loop);
    }
}

/* A route is dropped after route_failures failed datagrams in a row (3), not after one; a
 * datagram that gets through starts the count again; a failure over another next hop than
 * the route's counts for nothing. */
static void test_route_dropped_after_failures_in_a_row(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(32);
    plc_loadng_config c;
    plc_loadng_config_default(&c);
    c.self = 1;
    c.route_table_size = 4;
    const plc_loadng_ops ops = {.send = no_send, .link_cost = unit_cost};
    plc_loadng *r = plc_loadng_create(&c, loop, 1, &ops);
    assert_non_null(r);
    assert_int_equal(plc_loadng_learn(r, 9, 5, 2, 0), 1);
    uint16_t nh;
    assert_int_equal(plc_loadng_link_failed(r, 5, 9), 0);
    assert_int_equal(plc_loadng_link_failed(r, 5, 9), 0);
    plc_loadng_link_ok(r, 5, 9);
    assert_int_equal(plc_loadng_link_failed(r, 5, 9), 0);
    assert_int_equal(plc_loadng_link_failed(r, 5, 9), 0);
    assert_int_equal(plc_loadng_link_failed(r, 6, 9), 0); /* not the route's next hop */
    assert_int_equal(plc_loadng_next_hop(r, 9, &nh, NULL, NULL), PLC_OK);
    assert_int_equal(nh, 5);
    assert_int_equal(plc_loadng_link_failed(r, 5, 9), 1);
    assert_int_equal(plc_loadng_next_hop(r, 9, &nh, NULL, NULL), PLC_ERR_NO_ROUTE);
    plc_loadng_counters k;
    plc_loadng_get_counters(r, &k);
    assert_int_equal(k.routes_failed, 1);
    plc_loadng_destroy(r);
    plc_loop_destroy(loop);
}

/* A route data keeps using is kept (its validity renewed by every frame acknowledged over
 * it, as LOADng's routing set maintenance says); one left unused expires. Without the
 * renewal every route of an area learned at formation ran out 6 hours later at once, and
 * the concentrator's reads flooded discoveries. */
static void test_route_in_use_does_not_expire(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(32);
    plc_loadng_config c;
    plc_loadng_config_default(&c);
    c.self = 1;
    c.route_table_size = 4;
    c.route_ttl_s = 100;
    const plc_loadng_ops ops = {.send = no_send, .link_cost = unit_cost};
    plc_loadng *r = plc_loadng_create(&c, loop, 1, &ops);
    assert_non_null(r);
    assert_int_equal(plc_loadng_learn(r, 9, 5, 2, 0), 1); /* used */
    assert_int_equal(plc_loadng_learn(r, 8, 6, 2, 0), 1); /* left alone */
    for (int t = 1; t <= 5; t++) {
        plc_loop_run(loop, (uint64_t)t * 60000000u);
        plc_loadng_link_ok(r, 5, 9);
    }
    uint16_t nh;
    assert_int_equal(plc_loadng_next_hop(r, 9, &nh, NULL, NULL), PLC_OK); /* 300 s on */
    assert_int_equal(nh, 5);
    assert_int_equal(plc_loadng_next_hop(r, 8, &nh, NULL, NULL), PLC_ERR_NO_ROUTE);
    plc_loadng_destroy(r);
    plc_loop_destroy(loop);
}

/* Discoveries: one per destination at a time (BUSY, its result follows); after it, none
 * of the same destination again within rreq_wait (NO_ROUTE at once, no RREQ), others
 * meanwhile; after rreq_wait a new one floods. */
static void test_discoveries_paced(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(32);
    plc_loadng_config c;
    plc_loadng_config_default(&c);
    c.self = 1;
    c.rreq_wait_ms = 60000; /* a discovery gives up after 2 x 20 s */
    const plc_loadng_ops ops = {.send = no_send, .link_cost = unit_cost,
                                .discovered = on_discovered};
    plc_loadng *r = plc_loadng_create(&c, loop, 1, &ops);
    assert_non_null(r);
    g_sent = g_found = g_failed = 0;
    assert_int_equal(plc_loadng_discover(r, 9, 0), PLC_OK);
    assert_int_equal(plc_loadng_discover(r, 9, 0), PLC_ERR_BUSY);
    assert_int_equal(g_sent, 1);
    plc_loop_run(loop, 41000000);
    assert_int_equal(g_failed, 1);
    assert_int_equal(plc_loadng_discover(r, 9, 1), PLC_ERR_NO_ROUTE);
    assert_int_equal(g_sent, 1);
    assert_int_equal(plc_loadng_discover(r, 10, 0), PLC_OK);
    assert_int_equal(g_sent, 2);
    plc_loop_run(loop, 61000000);
    assert_int_equal(plc_loadng_discover(r, 9, 1), PLC_OK);
    assert_int_equal(g_sent, 3);
    plc_loadng_counters k;
    plc_loadng_get_counters(r, &k);
    assert_int_equal(k.discoveries, 3);
    assert_int_equal(k.rreq_sent, 3);
    plc_loadng_destroy(r);
    plc_loop_destroy(loop);
}

/* What LOADng sent, in order: to whom and the bytes. */
#define SENT_MAX 32
static struct {
    uint16_t next;
    size_t len;
    uint8_t msg[PLC_LOADNG_MAX_LEN];
} g_out[SENT_MAX];
static unsigned g_outs;

static int record_send(void *u, uint16_t next, const uint8_t *m, size_t len)
{
    (void)u;
    assert_true(g_outs < SENT_MAX && len <= sizeof(g_out[0].msg));
    g_out[g_outs].next = next;
    g_out[g_outs].len = len;
    memcpy(g_out[g_outs].msg, m, len);
    g_outs++;
    return PLC_OK;
}

static plc_loadng_msg sent_msg(unsigned i)
{
    plc_loadng_msg m;
    assert_true(i < g_outs);
    assert_int_equal(plc_loadng_decode(g_out[i].msg + 2, g_out[i].len - 2, &m), PLC_OK);
    return m;
}

/* The MAC's confirm of the i-th message sent. */
static void confirm_sent(plc_loadng *r, unsigned i, int status)
{
    plc_loadng_sent(r, g_out[i].next, g_out[i].msg, g_out[i].len, status);
}

static void feed(plc_loadng *r, uint16_t from, const plc_loadng_msg *m)
{
    uint8_t b[16];
    const int n = plc_loadng_encode(m, b, sizeof(b));
    assert_true(n > 2);
    plc_loadng_input(r, from, 255, b + 2, (size_t)n - 2);
}

static plc_loadng *recording_node(plc_loop *loop, uint16_t self)
{
    plc_loadng_config c;
    plc_loadng_config_default(&c);
    c.self = self;
    assert_int_equal(c.unicast_rreq, 1);
    const plc_loadng_ops ops = {.send = record_send, .link_cost = unit_cost,
                                .discovered = on_discovered};
    g_outs = g_found = g_failed = 0;
    plc_loadng *r = plc_loadng_create(&c, loop, 1, &ops);
    assert_non_null(r);
    return r;
}

/* A repair of a route that failed (3 datagrams in a row over node 5) first sends its RREQ
 * unicast to 5 (flags R and U); the MAC failing it, the discovery floods (a new sequence
 * number, no U). Acknowledged and unanswered for adpNetTraversalTime (20 s), it floods
 * too; answered, the route is back without a flood. */
static void test_repair_unicast_first_then_flood(void **st)
{
    (void)st;
    for (int outcome = 0; outcome < 3; outcome++) { /* MAC fails / no answer / answered */
        plc_loop *loop = plc_loop_virtual_create(64);
        plc_loadng *r = recording_node(loop, 1);
        assert_int_equal(plc_loadng_learn(r, 9, 5, 3, 0), 1);
        for (int k = 0; k < 3; k++)
            plc_loadng_link_failed(r, 5, 9);
        assert_int_equal(plc_loadng_next_hop(r, 9, NULL, NULL, NULL), PLC_ERR_NO_ROUTE);
        assert_int_equal(plc_loadng_discover(r, 9, 1), PLC_OK);
        assert_int_equal(g_outs, 1);
        assert_int_equal(g_out[0].next, 5);
        const plc_loadng_msg u = sent_msg(0);
        assert_int_equal(g_out[0].len, 14);
        static const uint8_t head[] = {0x40, 0x01, 0x00, 0x00, 0x09, 0x00, 0x01};
        assert_memory_equal(g_out[0].msg, head, sizeof(head));
        static const uint8_t tail[] = {0xCF, 0x00, 0x00, 0x80, 0x00}; /* R U composite, 8 hops */
        assert_memory_equal(g_out[0].msg + 9, tail, sizeof(tail));
        if (outcome == 0) {
            confirm_sent(r, 0, PLC_ERR_NO_ACK);
        } else {
            confirm_sent(r, 0, PLC_OK);
            plc_loop_run(loop, 19000000);
            assert_int_equal(g_outs, 1);
        }
        if (outcome == 2) {
            const plc_loadng_msg rrep = {.type = PLC_LOADNG_RREP, .dest = 1, .orig = 9,
                                         .seq = 40, .flags = PLC_LOADNG_FLAG_REPAIR,
                                         .metric = PLC_LOADNG_METRIC_COMPOSITE, .cost = 2,
                                         .hop_limit = 6, .hop_count = 2};
            feed(r, 5, &rrep);
            assert_int_equal(g_found, 1);
            uint16_t nh;
            unsigned hops;
            assert_int_equal(plc_loadng_next_hop(r, 9, &nh, &hops, NULL), PLC_OK);
            assert_int_equal(nh, 5);
            assert_int_equal(hops, 3);
            plc_loop_run(loop, 100000000);
            assert_int_equal(g_outs, 1); /* no flood */
        } else {
            plc_loop_run(loop, 21000000);
            assert_int_equal(g_outs, 2);
            assert_int_equal(g_out[1].next, PLC_ADP_BROADCAST);
            const plc_loadng_msg f = sent_msg(1);
            assert_int_equal(f.type, PLC_LOADNG_RREQ);
            assert_int_equal(f.flags, PLC_LOADNG_FLAG_REPAIR);
            assert_int_equal(f.dest, 9);
            assert_int_equal(f.seq, (uint16_t)(u.seq + 1));
            plc_loop_run(loop, 100000000); /* unanswered: the discovery fails */
            assert_int_equal(g_failed, 1);
            assert_int_equal(g_outs, 2);
        }
        plc_loadng_counters k;
        plc_loadng_get_counters(r, &k);
        assert_int_equal(k.rreq_unicast, 1);
        assert_int_equal(k.rreq_unicast_failed, outcome == 0);
        assert_int_equal(k.rreq_sent, outcome == 2 ? 1 : 2);
        plc_loadng_destroy(r);
        plc_loop_destroy(loop);
    }
}

/* A relay passes a unicast RREQ on at once along its bidirectional route (hop count,
 * hop limit and cost updated, U kept); without such a route, or when the MAC fails the
 * unicast, it floods from there (U off, the originator's sequence number). The
 * destination answers a unicast RREQ at once, not adpRREPWait later. */
static void test_unicast_rreq_relayed_on_route(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_loadng *r = recording_node(loop, 5);
    assert_int_equal(plc_loadng_learn(r, 9, 6, 2, 0), 1);
    plc_loadng_msg q = {.type = PLC_LOADNG_RREQ, .dest = 9, .orig = 1, .seq = 70,
                        .flags = PLC_LOADNG_FLAG_REPAIR | PLC_LOADNG_FLAG_UNICAST,
                        .metric = PLC_LOADNG_METRIC_COMPOSITE, .cost = 3, .hop_limit = 8,
                        .hop_count = 1};
    feed(r, 4, &q);
    assert_int_equal(g_outs, 1);
    assert_int_equal(g_out[0].next, 6);
    plc_loadng_msg m = sent_msg(0);
    assert_int_equal(m.flags, PLC_LOADNG_FLAG_REPAIR | PLC_LOADNG_FLAG_UNICAST);
    assert_int_equal(m.seq, 70);
    assert_int_equal(m.hop_count, 2);
    assert_int_equal(m.hop_limit, 7);
    assert_int_equal(m.cost, 4);
    uint16_t nh;
    assert_int_equal(plc_loadng_next_hop(r, 1, &nh, NULL, NULL), PLC_OK); /* reverse route */
    assert_int_equal(nh, 4);
    confirm_sent(r, 0, PLC_ERR_NO_ACK);
    assert_int_equal(g_outs, 2);
    assert_int_equal(g_out[1].next, PLC_ADP_BROADCAST);
    m = sent_msg(1);
    assert_int_equal(m.flags, PLC_LOADNG_FLAG_REPAIR);
    assert_int_equal(m.seq, 70);
    assert_int_equal(m.hop_count, 2);
    /* no route to 12: flooded after the jitter */
    q.dest = 12;
    q.seq = 71;
    feed(r, 4, &q);
    assert_int_equal(g_outs, 2);
    plc_loop_run(loop, 300000);
    assert_int_equal(g_outs, 3);
    assert_int_equal(g_out[2].next, PLC_ADP_BROADCAST);
    assert_int_equal(sent_msg(2).flags, PLC_LOADNG_FLAG_REPAIR);
    plc_loadng_destroy(r);
    /* the destination */
    r = recording_node(loop, 9);
    q.dest = 9;
    feed(r, 6, &q);
    plc_loop_run(loop, plc_loop_now_us(loop) + 1000);
    assert_int_equal(g_outs, 1);
    assert_int_equal(g_out[0].next, 6);
    m = sent_msg(0);
    assert_int_equal(m.type, PLC_LOADNG_RREP);
    assert_int_equal(m.dest, 1);
    assert_int_equal(m.flags, PLC_LOADNG_FLAG_REPAIR);
    plc_loadng_destroy(r);
    plc_loop_destroy(loop);
}

/* A RREP the neighbour does not acknowledge: the neighbour is blacklisted (its RREQs
 * ignored, the reverse routes through it dropped; a route that carried frames both ways
 * kept); a frame to it acknowledged later takes it off the list. */
static void test_unacknowledged_rrep_blacklists(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_loadng *r = recording_node(loop, 9);
    assert_int_equal(plc_loadng_learn(r, 7, 5, 2, 0), 1); /* both ways, through 5 */
    plc_loadng_msg q = {.type = PLC_LOADNG_RREQ, .dest = 9, .orig = 1, .seq = 70,
                        .metric = PLC_LOADNG_METRIC_COMPOSITE, .hop_limit = 8};
    feed(r, 5, &q);
    plc_loop_run(loop, 5000000); /* adpRREPWait */
    assert_int_equal(g_outs, 1);
    assert_int_equal(sent_msg(0).type, PLC_LOADNG_RREP);
    assert_int_equal(plc_loadng_blacklisted(r, 5), 0);
    confirm_sent(r, 0, PLC_ERR_NO_ACK);
    assert_int_equal(plc_loadng_blacklisted(r, 5), 1);
    assert_int_equal(plc_loadng_next_hop(r, 1, NULL, NULL, NULL), PLC_ERR_NO_ROUTE);
    uint16_t nh;
    assert_int_equal(plc_loadng_next_hop(r, 7, &nh, NULL, NULL), PLC_OK);
    assert_int_equal(nh, 5);
    q.seq = 71;
    feed(r, 5, &q); /* ignored */
    plc_loop_run(loop, 10000000);
    assert_int_equal(g_outs, 1);
    assert_int_equal(plc_loadng_next_hop(r, 1, NULL, NULL, NULL), PLC_ERR_NO_ROUTE);
    plc_loadng_link_ok(r, 5, 7); /* a datagram through 5 acknowledged */
    assert_int_equal(plc_loadng_blacklisted(r, 5), 0);
    q.seq = 72;
    feed(r, 5, &q);
    plc_loop_run(loop, 15000000);
    assert_int_equal(g_outs, 2);
    assert_int_equal(g_out[1].next, 5);
    confirm_sent(r, 1, PLC_OK);
    plc_loadng_counters k;
    plc_loadng_get_counters(r, &k);
    assert_int_equal(k.blacklisted, 1);
    assert_int_equal(k.unblacklisted, 1);
    assert_int_equal(k.rreq_dropped, 1);
    plc_loadng_destroy(r);
    plc_loop_destroy(loop);
}

/* PREQ and PREP as bytes (docs/routing.md: the [R] widths and the forward/reverse split),
 * both ways, and every malformed case with its own code. */
static void test_path_bytes(void **st)
{
    (void)st;
    plc_loadng_path q = {.type = PLC_LOADNG_PREQ, .dest = 0x0009, .orig = 0x0000,
                         .metric = PLC_LOADNG_METRIC_COMPOSITE, .n_fwd = 2};
    q.fwd[0] = (plc_loadng_hop){.addr = 0x0005, .cost = 6};
    q.fwd[1] = (plc_loadng_hop){.addr = 0x0106, .mns = 1, .phase = 5, .mrx = 1, .mtx = 1,
                                .cost = 0xFF};
    uint8_t b[PLC_LOADNG_MAX_LEN];
    int n = plc_loadng_path_encode(&q, b, sizeof(b));
    static const uint8_t want_q[] = {0x40, 0x01, 0xFC, 0x00, 0x09, 0x00, 0x00, 0xF0, 0x00,
                                     0x00, 0x05, 0x00, 0x06, 0x01, 0x06, 0xDC, 0xFF};
    assert_int_equal(n, sizeof(want_q));
    assert_memory_equal(b, want_q, sizeof(want_q));
    plc_loadng_path d;
    assert_int_equal(plc_loadng_path_decode(b + 2, (size_t)n - 2, &d), PLC_OK);
    assert_memory_equal(&d, &q, sizeof(q));
    /* a PREP: forward hops up to its originator 9, then the reverse ones */
    plc_loadng_path a = q;
    a.type = PLC_LOADNG_PREP;
    a.dest = 0x0000;
    a.expected = 0x0009;
    a.orig = 0x0009;
    a.metric = PLC_LOADNG_METRIC_HOPS;
    a.fwd[1] = (plc_loadng_hop){.addr = 0x0009, .cost = 1};
    a.n_rev = 2;
    a.rev[0] = (plc_loadng_hop){.addr = 0x0007, .cost = 1};
    a.rev[1] = (plc_loadng_hop){.addr = 0x0000, .cost = 1};
    n = plc_loadng_path_encode(&a, b, sizeof(b));
    static const uint8_t want_a[] = {0x40, 0x01, 0xFD, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00,
                                     0x00, 0x09, 0x00, 0x05, 0x00, 0x06, 0x00, 0x09, 0x00,
                                     0x01, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01};
    assert_int_equal(n, sizeof(want_a));
    assert_memory_equal(b, want_a, sizeof(want_a));
    assert_int_equal(plc_loadng_path_decode(b + 2, (size_t)n - 2, &d), PLC_OK);
    assert_memory_equal(&d, &a, sizeof(a));
    /* malformed */
    uint8_t m[PLC_LOADNG_MAX_LEN + 8];
    memcpy(m, want_a + 2, sizeof(want_a) - 2);
    const size_t la = sizeof(want_a) - 2;
    assert_int_equal(plc_loadng_path_decode(m, la - 1, &d), PLC_ERR_ADP_LENGTH); /* part hop */
    assert_int_equal(plc_loadng_path_decode(m, 8, &d), PLC_ERR_ADP_LENGTH);      /* no origin */
    assert_int_equal(plc_loadng_path_decode(m, 9, &d), PLC_ERR_ADP_PATH);  /* not among hops */
    m[6] = 0x01;
    assert_int_equal(plc_loadng_path_decode(m, la, &d), PLC_ERR_ADP_RESERVED);
    m[6] = 0;
    m[5] = 0x01;
    assert_int_equal(plc_loadng_path_decode(m, la, &d), PLC_ERR_ADP_RESERVED);
    m[5] = 0;
    m[11] = 0x02; /* a hop's reserved bits */
    assert_int_equal(plc_loadng_path_decode(m, la, &d), PLC_ERR_ADP_RESERVED);
    m[11] = 0;
    assert_int_equal(plc_loadng_path_decode(m, la, &d), PLC_OK);
    uint8_t big[1 + 6 + 17 * 4] = {PLC_LOADNG_PREQ};
    assert_int_equal(plc_loadng_path_decode(big, sizeof(big), &d), PLC_ERR_ADP_PATH);
    assert_int_equal(plc_loadng_path_decode(big, sizeof(big) - 4, &d), PLC_OK);
    assert_int_equal(d.n_fwd, 16);
    big[0] = PLC_LOADNG_RREQ;
    assert_int_equal(plc_loadng_path_decode(big, 12, &d), PLC_ERR_ADP_TYPE);
    assert_int_equal(plc_loadng_path_decode(big, 0, &d), PLC_ERR_ADP_SHORT);
    /* 17 reverse hops after a forward one */
    uint8_t rev[1 + 8 + 18 * 4] = {PLC_LOADNG_PREP, 0, 0, 0, 9, 0, 0, 0, 9, 0, 9};
    assert_int_equal(plc_loadng_path_decode(rev, sizeof(rev), &d), PLC_ERR_ADP_PATH);
    assert_int_equal(plc_loadng_path_decode(rev, sizeof(rev) - 4, &d), PLC_OK);
    assert_int_equal(d.n_fwd, 1);
    assert_int_equal(d.n_rev, 16);
    /* what the encoder refuses */
    a.fwd[1].addr = 0x0008; /* forward hops not ending with the originator */
    assert_int_equal(plc_loadng_path_encode(&a, b, sizeof(b)), PLC_ERR_ARG);
    a.fwd[1].addr = 0x0009;
    a.rev[0].addr = 0x0009; /* the way back holding the originator */
    assert_int_equal(plc_loadng_path_encode(&a, b, sizeof(b)), PLC_ERR_ARG);
    q.fwd[0].phase = 8;
    assert_int_equal(plc_loadng_path_encode(&q, b, sizeof(b)), PLC_ERR_ARG);
    q.fwd[0].phase = 0;
    assert_int_equal(plc_loadng_path_encode(&q, b, 10), PLC_ERR_BUFFER);
    /* a PREQ is not a RREQ, nor the other way round */
    assert_int_equal(plc_loadng_decode(want_q + 2, sizeof(want_q) - 2, &(plc_loadng_msg){0}),
                     PLC_ERR_ADP_TYPE);
}

static unsigned g_paths;
static int g_path_status;
static plc_loadng_path g_path;

static void on_path(void *u, uint16_t dest, int status, const plc_loadng_path *reply)
{
    (void)u;
    (void)dest;
    g_paths++;
    g_path_status = status;
    if (reply)
        g_path = *reply;
    else
        memset(&g_path, 0, sizeof(g_path));
}

static unsigned lqi_cost(void *u, uint16_t nb, uint8_t lqi)
{
    (void)u;
    (void)nb;
    return lqi / 10u;
}

static plc_loadng *path_node(plc_loop *loop, uint16_t self)
{
    plc_loadng_config c;
    plc_loadng_config_default(&c);
    c.self = self;
    assert_int_equal(c.path_discovery_ms, 40000);
    const plc_loadng_ops ops = {.send = record_send, .link_cost = lqi_cost, .path = on_path};
    g_outs = g_paths = 0;
    plc_loadng *r = plc_loadng_create(&c, loop, 1, &ops);
    assert_non_null(r);
    return r;
}

/* The i-th message sent, into r as if from `from` at this LQI. */
static void pass_on(plc_loadng *r, unsigned i, uint16_t from, uint8_t lqi)
{
    plc_loadng_input(r, from, lqi, g_out[i].msg + 2, g_out[i].len - 2);
}

static plc_loadng_path sent_path(unsigned i)
{
    plc_loadng_path m;
    assert_true(i < g_outs);
    assert_int_equal(plc_loadng_path_decode(g_out[i].msg + 2, g_out[i].len - 2, &m), PLC_OK);
    return m;
}

/* Path discovery 1 -> 9 over 1-5-6-9 (the way back 9-7-5-1): the PREQ goes hop by hop over
 * each node's own route, each appending itself with the cost of the link it came in on;
 * 9 answers over its own route to 1, each appending itself again; the originator gets the
 * hops both ways. A node without a route on answers with the path so far; a relay whose
 * next hop does not take the PREQ too; unanswered, it times out after 40 s. */
static void test_path_discovery_hop_by_hop(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_loadng *n1 = path_node(loop, 1);
    plc_loadng *n5 = path_node(loop, 5), *n6 = path_node(loop, 6), *n7 = path_node(loop, 7);
    plc_loadng *n9 = path_node(loop, 9);
    plc_loadng_learn(n1, 9, 5, 3, 0);
    plc_loadng_learn(n5, 9, 6, 2, 0);
    plc_loadng_learn(n6, 9, 9, 1, 0);
    plc_loadng_learn(n9, 1, 7, 3, 0); /* the way back differs */
    plc_loadng_learn(n7, 1, 5, 2, 0);
    plc_loadng_learn(n5, 1, 1, 1, 0);
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_COMPOSITE), PLC_ERR_BUSY);
    assert_int_equal(g_outs, 1);
    assert_int_equal(g_out[0].next, 5);
    static const uint8_t preq[] = {0x40, 0x01, 0xFC, 0x00, 0x09, 0x00, 0x01, 0xF0, 0x00};
    assert_int_equal(g_out[0].len, sizeof(preq));
    assert_memory_equal(g_out[0].msg, preq, sizeof(preq));
    pass_on(n5, 0, 1, 200); /* cost 20 */
    assert_int_equal(g_out[1].next, 6);
    pass_on(n6, 1, 5, 150);
    assert_int_equal(g_out[2].next, 9);
    pass_on(n9, 2, 6, 120);
    assert_int_equal(g_outs, 4);
    assert_int_equal(g_out[3].next, 7); /* the PREP over 9's own route to 1 */
    plc_loadng_path p = sent_path(3);
    assert_int_equal(p.type, PLC_LOADNG_PREP);
    assert_int_equal(p.dest, 1);
    assert_int_equal(p.orig, 9);
    assert_int_equal(p.expected, 9);
    assert_int_equal(p.n_fwd, 3);
    assert_int_equal(p.n_rev, 0);
    pass_on(n7, 3, 9, 100);
    assert_int_equal(g_out[4].next, 5);
    pass_on(n5, 4, 7, 90);
    assert_int_equal(g_out[5].next, 1);
    pass_on(n1, 5, 5, 250);
    assert_int_equal(g_paths, 1);
    assert_int_equal(g_path_status, PLC_OK);
    const uint16_t fwd[] = {5, 6, 9}, rev[] = {7, 5, 1};
    const uint8_t fcost[] = {20, 15, 12}, rcost[] = {10, 9, 25};
    assert_int_equal(g_path.n_fwd, 3);
    assert_int_equal(g_path.n_rev, 3);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(g_path.fwd[k].addr, fwd[k]);
        assert_int_equal(g_path.fwd[k].cost, fcost[k]);
        assert_int_equal(g_path.fwd[k].mns, 0);
        assert_int_equal(g_path.rev[k].addr, rev[k]);
        assert_int_equal(g_path.rev[k].cost, rcost[k]);
    }
    plc_loadng_counters c;
    plc_loadng_get_counters(n5, &c);
    assert_int_equal(c.preq_relayed, 1);
    assert_int_equal(c.prep_relayed, 1);
    /* 6 without a route on: it answers with the path up to itself */
    for (int k = 0; k < 3; k++)
        plc_loadng_link_failed(n6, 9, 9);
    const unsigned o = g_outs;
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    pass_on(n5, o, 1, 200);
    pass_on(n6, o + 1, 5, 150);
    assert_int_equal(g_out[o + 2].next, 5); /* no route to 1 at 6: back to the hop before */
    p = sent_path(o + 2);
    assert_int_equal(p.orig, 6);
    assert_int_equal(p.expected, 9);
    pass_on(n5, o + 2, 6, 150);
    pass_on(n1, o + 3, 5, 250);
    assert_int_equal(g_paths, 2);
    assert_int_equal(g_path_status, PLC_ERR_NO_ROUTE);
    assert_int_equal(g_path.n_fwd, 2);
    assert_int_equal(g_path.fwd[1].addr, 6);
    assert_int_equal(g_path.n_rev, 2);
    /* 5's next hop does not take the PREQ: 5 answers */
    plc_loadng_learn(n6, 9, 9, 1, 0);
    const unsigned o2 = g_outs;
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_HOPS), PLC_OK);
    pass_on(n5, o2, 1, 200);
    plc_loadng_sent(n5, g_out[o2 + 1].next, g_out[o2 + 1].msg, g_out[o2 + 1].len,
                    PLC_ERR_NO_ACK);
    assert_int_equal(g_out[o2 + 2].next, 1);
    pass_on(n1, o2 + 2, 5, 250);
    assert_int_equal(g_paths, 3);
    assert_int_equal(g_path_status, PLC_ERR_NO_ROUTE);
    assert_int_equal(g_path.n_fwd, 1);
    assert_int_equal(g_path.fwd[0].cost, 1); /* the hop-count metric */
    assert_int_equal(g_path.rev[0].cost, 1);
    /* unanswered: 40 s */
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    plc_loop_run(loop, plc_loop_now_us(loop) + 39000000);
    assert_int_equal(g_paths, 3);
    plc_loop_run(loop, plc_loop_now_us(loop) + 2000000);
    assert_int_equal(g_paths, 4);
    assert_int_equal(g_path_status, PLC_ERR_TIMEOUT);
    /* a late PREP is dropped and counted; no route: refused */
    pass_on(n1, o2 + 2, 5, 250);
    assert_int_equal(g_paths, 4);
    plc_loadng_get_counters(n1, &c);
    assert_int_equal(c.path_dropped, 1);
    assert_int_equal(c.preq_sent, 4);
    assert_int_equal(plc_loadng_path_discover(n1, 8, 0), PLC_ERR_NO_ROUTE);
    assert_int_equal(plc_loadng_path_discover(n1, 1, 0), PLC_ERR_ARG);
    /* a routing loop (6 sends 9's traffic back to 5): 5 sees itself in the path and answers
     * with it, the loop in plain sight */
    for (int k = 0; k < 3; k++)
        plc_loadng_link_failed(n6, 9, 9);
    assert_int_equal(plc_loadng_learn(n6, 9, 5, 2, 0), 1);
    const unsigned o3 = g_outs;
    assert_int_equal(plc_loadng_path_discover(n1, 9, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    pass_on(n5, o3, 1, 200);
    pass_on(n6, o3 + 1, 5, 150);
    assert_int_equal(g_out[o3 + 2].next, 5);
    pass_on(n5, o3 + 2, 6, 150);
    assert_int_equal(g_out[o3 + 3].next, 1);
    pass_on(n1, o3 + 3, 5, 250);
    assert_int_equal(g_paths, 5);
    assert_int_equal(g_path_status, PLC_ERR_NO_ROUTE);
    assert_int_equal(g_path.orig, 5);
    assert_int_equal(g_path.n_fwd, 3);
    const uint16_t loop_fwd[] = {5, 6, 5};
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(g_path.fwd[k].addr, loop_fwd[k]);
    assert_int_equal(g_path.n_rev, 1);
    assert_int_equal(g_path.rev[0].addr, 1);
    /* a malformed one is counted */
    const uint8_t bad[] = {PLC_LOADNG_PREP, 0, 1, 0, 9, 0, 0, 0, 9};
    plc_loadng_input(n1, 5, 200, bad, sizeof(bad));
    plc_loadng_get_counters(n1, &c);
    assert_int_equal(c.malformed, 1);
    plc_loadng *all[] = {n1, n5, n6, n7, n9};
    for (unsigned k = 0; k < 5; k++)
        plc_loadng_destroy(all[k]);
    plc_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mesh_bc0_frag_bytes),
        cmocka_unit_test(test_header_malformed),
        cmocka_unit_test(test_loadng_bytes),
        cmocka_unit_test(test_route_dropped_after_failures_in_a_row),
        cmocka_unit_test(test_beacon_rounds_are_loop_free),
        cmocka_unit_test(test_beacon_below_min_lqi_only_without_route),
        cmocka_unit_test(test_beacon_relay_only_with_a_route_of_its_round),
        cmocka_unit_test(test_route_in_use_does_not_expire),
        cmocka_unit_test(test_discoveries_paced),
        cmocka_unit_test(test_repair_unicast_first_then_flood),
        cmocka_unit_test(test_unicast_rreq_relayed_on_route),
        cmocka_unit_test(test_unacknowledged_rrep_blacklists),
        cmocka_unit_test(test_path_bytes),
        cmocka_unit_test(test_path_discovery_hop_by_hop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
