/* The mesh on the simulated line (abstract PHY, secured MAC, every node an adaptation layer
 * with LOADng): a chain feeder where each node hears only its neighbours, 8 hops from the
 * concentrator to the last meter. The concentrator asks every meter (a 60-byte request, a
 * route discovery the first time) and every meter answers with 700 bytes (fragmented, sent
 * back over the route learned from the request, no discovery): every answer arrives whole
 * with the right hop count. A route that failed while its links still work is repaired by
 * one unicast RREQ, with no broadcast. A relay on the route dies: the unicast RREQ fails, the
 * flood finds the way around it and answers resume. A lost fragment gives a reassembly timeout and no partial delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_adp.h"
#include "plc_mac.h"
#include "plc_medium.h"
#include "plc_meshnet.h"

#define NODES 9
static const char *topo = "test_mesh_topo.txt";

typedef struct mesh mesh;
typedef struct node {
    mesh *m;
    unsigned id;
    plc_adp *adp;
    plc_mac *mac;
} node;

struct mesh {
    plc_loop *loop;
    plc_medium *medium;
    plc_mac_sec *sec;
    node n[NODES];
    unsigned got_answers, got_requests, bad, confirms_ok, confirms_failed;
    unsigned hops_of[NODES];
    size_t last_len[NODES];
    unsigned paths;             /* path discoveries ended at the concentrator */
    int path_status;
    plc_loadng_path path;
};

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 37u + i * 11u);
}

static void on_confirm(void *user, uint8_t handle, int status)
{
    (void)handle;
    node *x = user;
    if (status == PLC_OK)
        x->m->confirms_ok++;
    else
        x->m->confirms_failed++;
}

static void on_path(void *user, uint16_t dst, int status, const plc_loadng_path *reply)
{
    (void)dst;
    mesh *m = ((node *)user)->m;
    m->paths++;
    m->path_status = status;
    memset(&m->path, 0, sizeof(m->path));
    if (reply)
        m->path = *reply;
}

static void on_indication(void *user, const plc_adp_indication *ind)
{
    node *x = user;
    mesh *m = x->m;
    uint8_t want[PLC_ADP_MTU];
    if (x->id == 0) { /* an answer */
        fill(want, 700, 100 + ind->orig);
        if (ind->len != 700 || memcmp(ind->data, want, 700))
            m->bad++;
        m->got_answers++;
        m->hops_of[ind->orig] = ind->hops;
        m->last_len[ind->orig] = ind->len;
        return;
    }
    fill(want, 60, x->id);
    if (ind->orig != 0 || ind->len != 60 || memcmp(ind->data, want, 60)) {
        m->bad++;
        return;
    }
    m->got_requests++;
    uint8_t answer[700];
    fill(answer, sizeof(answer), 100 + x->id);
    plc_adp_data_request(x->adp, 0, answer, sizeof(answer), 1);
}

/* The chain feeder as a topology file: node i on segment i - 1 .. i of link_m metres. */
static void write_chain(double link_m)
{
    FILE *f = fopen(topo, "w");
    assert_non_null(f);
    for (unsigned i = 1; i < NODES; i++)
        fprintf(f, "segment %u %u %.0f\n", i, i - 1, link_m);
    for (unsigned i = 0; i < NODES; i++)
        fprintf(f, "node %u %u\n", i, i);
    fclose(f);
}

static unsigned coordinator_weak_lqi; /* 0: the default */

static mesh *mesh_create(double link_m)
{
    write_chain(link_m);
    mesh *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(NODES) + NODES * 80);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = topo;
    mc.abstract_phy = 1;
    mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    char err[200];
    m->medium = plc_medium_create(&mc, m->loop, err, sizeof(err));
    if (!m->medium)
        fail_msg("%s", err);
    m->sec = plc_mac_sec_create();
    static const uint8_t gmk[16] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    plc_mac_sec_set_key(m->sec, 0, gmk);
    for (unsigned i = 0; i < NODES; i++) {
        node *x = &m->n[i];
        x->m = m;
        x->id = i;
        plc_adp_config ac;
        plc_adp_config_default(&ac);
        ac.loadng.self = (uint16_t)i;
        ac.loadng.rrep_wait_ms = 500;
        if (coordinator_weak_lqi)
            ac.loadng.coordinator_weak_lqi = coordinator_weak_lqi;
        const plc_adp_callbacks cb = {.confirm = on_confirm, .indication = on_indication,
                                      .path = on_path, .user = x};
        x->adp = plc_adp_create(&ac, m->loop, 100 + i, &cb);
        assert_non_null(x->adp);
        plc_mac_pib pib;
        plc_mac_pib_default(&pib);
        pib.short_addr = (uint16_t)i;
        pib.security_enabled = 1;
        const plc_mac_callbacks mcb = plc_adp_mac_callbacks(x->adp);
        x->mac = plc_mac_create(&pib, 7 + i, m->loop, plc_medium_phy(m->medium, i), m->sec, &mcb);
        assert_non_null(x->mac);
        plc_adp_attach(x->adp, x->mac);
    }
    remove(topo);
    return m;
}

static void mesh_destroy(mesh *m)
{
    for (unsigned i = 0; i < NODES; i++) {
        plc_mac_destroy(m->n[i].mac);
        plc_adp_destroy(m->n[i].adp);
    }
    plc_medium_destroy(m->medium);
    plc_mac_sec_destroy(m->sec);
    plc_loop_destroy(m->loop);
    free(m);
}

static void run(mesh *m, double s)
{
    plc_loop_run(m->loop, plc_loop_now_us(m->loop) + (uint64_t)(s * 1e6));
}

/* The span where a node hears its neighbours well and the next but one not at all. */
static double chain_link(void)
{
    for (double l = 200; l <= 2000; l += 50) {
        mesh *m = mesh_create(l);
        const double one = plc_medium_link_snr_db(m->medium, 0, 1);
        const double two = plc_medium_link_snr_db(m->medium, 0, 2);
        mesh_destroy(m);
        if (one < 12.0 && two < PLC_MEDIUM_CS_SNR_DB - 6.0) {
            print_message("chain: %.0f m links, neighbour %.1f dB, next but one %.1f dB\n", l, one,
                          two);
            return l;
        }
    }
    fail_msg("no span gives a chain");
    return 0;
}

static void test_chain_8_hops(void **st)
{
    (void)st;
    mesh *m = mesh_create(chain_link());
    for (unsigned k = 1; k < NODES; k++) {
        uint8_t q[60];
        fill(q, sizeof(q), k);
        assert_int_equal(plc_adp_data_request(m->n[0].adp, (uint16_t)k, q, sizeof(q), 0), PLC_OK);
        run(m, 30.0);
    }
    run(m, 30.0);
    for (unsigned k = 1; k < NODES; k++)
        assert_int_equal(m->hops_of[k], k); /* the chain: k hops to meter k */
    assert_int_equal(m->got_requests, NODES - 1);
    assert_int_equal(m->got_answers, NODES - 1);
    assert_int_equal(m->bad, 0);
    assert_int_equal(m->confirms_failed, 0);
    assert_int_equal(m->confirms_ok, 2 * (NODES - 1));
    /* answers went back over the routes learned from the requests: no meter discovered */
    for (unsigned k = 1; k < NODES; k++) {
        plc_loadng_counters c;
        plc_loadng_get_counters(plc_adp_routing(m->n[k].adp), &c);
        assert_int_equal(c.discoveries, 0);
    }
    plc_loadng_counters c0;
    plc_loadng_get_counters(plc_adp_routing(m->n[0].adp), &c0);
    assert_int_equal(c0.discoveries, NODES - 1);
    plc_adp_counters a8;
    plc_adp_get_counters(m->n[8].adp, &a8);
    assert_true(a8.tx_fragments >= 2); /* 700 bytes take two MSDUs */
    mesh_destroy(m);
}

static void ask(mesh *m, unsigned k)
{
    uint8_t q[60];
    fill(q, sizeof(q), k);
    plc_adp_data_request(m->n[0].adp, (uint16_t)k, q, sizeof(q), 0);
}

/* The concentrator asks for the path to the last meter of the chain: 8 hops out (meters
 * 1..8), 8 back (7..1, then itself), each hop with the composite cost of its link as the
 * receiver sees it, in 16 unicast frames and no broadcast. With meter 4's route on gone,
 * the answer comes from meter 4: the path up to it, and the status says so. */
static void test_path_discovery_on_chain(void **st)
{
    (void)st;
    mesh *m = mesh_create(chain_link());
    ask(m, 8);
    run(m, 30.0);
    assert_int_equal(m->got_answers, 1);
    plc_medium_stats s0, s1;
    plc_medium_get_stats(m->medium, &s0);
    assert_int_equal(plc_adp_path_request(m->n[0].adp, 8, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    run(m, 20.0);
    plc_medium_get_stats(m->medium, &s1);
    assert_int_equal(m->paths, 1);
    assert_int_equal(m->path_status, PLC_OK);
    assert_int_equal(m->path.orig, 8);
    assert_int_equal(m->path.n_fwd, 8);
    assert_int_equal(m->path.n_rev, 8);
    for (unsigned k = 0; k < 8; k++) {
        assert_int_equal(m->path.fwd[k].addr, k + 1);
        assert_int_equal(m->path.rev[k].addr, 7 - k);
        assert_true(m->path.fwd[k].cost >= 4 && m->path.fwd[k].cost <= 14);
        assert_true(m->path.rev[k].cost >= 4 && m->path.rev[k].cost <= 14);
    }
    assert_int_equal(s1.kind_frames[PLC_MEDIUM_KIND_BROADCAST],
                     s0.kind_frames[PLC_MEDIUM_KIND_BROADCAST]);
    plc_loadng *r4 = plc_adp_routing(m->n[4].adp);
    for (int i = 0; i < 3; i++)
        plc_loadng_link_failed(r4, 5, 8);
    assert_int_equal(plc_adp_path_request(m->n[0].adp, 8, PLC_LOADNG_METRIC_COMPOSITE), PLC_OK);
    run(m, 20.0);
    assert_int_equal(m->paths, 2);
    assert_int_equal(m->path_status, PLC_ERR_NO_ROUTE);
    assert_int_equal(m->path.orig, 4);
    assert_int_equal(m->path.expected, 8);
    assert_int_equal(m->path.n_fwd, 4);
    assert_int_equal(m->path.n_rev, 4);
    assert_int_equal(m->path.rev[3].addr, 0);
    mesh_destroy(m);
}

/* The concentrator's route to the last meter fails (three datagrams in a row its first relay
 * did not take, say a burst of noise) while every link still works: the repair goes as one
 * unicast RREQ along the old route and its RREP back, with no broadcast on the line at all. */
static void test_failed_route_repaired_by_unicast_rreq(void **st)
{
    (void)st;
    mesh *m = mesh_create(chain_link());
    ask(m, 8);
    run(m, 30.0);
    assert_int_equal(m->got_answers, 1);
    plc_loadng *rt = plc_adp_routing(m->n[0].adp);
    for (int i = 0; i < 3; i++)
        plc_loadng_link_failed(rt, 1, 8);
    assert_int_equal(plc_loadng_next_hop(rt, 8, NULL, NULL, NULL), PLC_ERR_NO_ROUTE);
    plc_medium_stats s0, s1;
    plc_medium_get_stats(m->medium, &s0);
    plc_loadng_counters before[NODES], after;
    for (unsigned k = 0; k < NODES; k++)
        plc_loadng_get_counters(plc_adp_routing(m->n[k].adp), &before[k]);
    ask(m, 8);
    run(m, 30.0);
    assert_int_equal(m->got_answers, 2);
    assert_int_equal(m->hops_of[8], 8);
    assert_int_equal(m->bad, 0);
    plc_medium_get_stats(m->medium, &s1);
    assert_int_equal(s1.kind_frames[PLC_MEDIUM_KIND_BROADCAST],
                     s0.kind_frames[PLC_MEDIUM_KIND_BROADCAST]); /* no flood */
    plc_loadng_get_counters(rt, &after);
    assert_int_equal(after.rreq_unicast - before[0].rreq_unicast, 1);
    assert_int_equal(after.rreq_unicast_failed, before[0].rreq_unicast_failed);
    assert_int_equal(after.rreq_sent - before[0].rreq_sent, 1);
    for (unsigned k = 1; k < NODES - 1; k++) { /* each relay passed it on once, unicast */
        plc_loadng_get_counters(plc_adp_routing(m->n[k].adp), &after);
        assert_int_equal(after.rreq_relayed - before[k].rreq_relayed, 1);
        assert_int_equal(after.rreq_unicast_failed, 0);
    }
    mesh_destroy(m);
}

/* A span where the next but one is heard too, weakly (ROBO gets through): the way around a
 * relay that died. */
static double chain_link_with_bypass(void)
{
    for (double l = 100; l <= 2000; l += 25) {
        mesh *m = mesh_create(l);
        const double two = plc_medium_link_snr_db(m->medium, 0, 2);
        const double three = plc_medium_link_snr_db(m->medium, 0, 3);
        mesh_destroy(m);
        if (two < 6.0 && two > 2.0 && three < PLC_MEDIUM_CS_SNR_DB) {
            print_message("bypass chain: %.0f m links, next but one %.1f dB, third %.1f dB\n", l,
                          two, three);
            return l;
        }
    }
    fail_msg("no span gives a bypass");
    return 0;
}

static void test_relay_dies_routes_repaired(void **st)
{
    (void)st;
    mesh *m = mesh_create(chain_link_with_bypass());
    ask(m, 8);
    run(m, 60.0);
    assert_int_equal(m->got_answers, 1);
    const unsigned before = m->hops_of[8];
    /* a relay on the way dies: its MAC is gone, nothing it hears is acknowledged or relayed */
    uint16_t next;
    assert_int_equal(plc_loadng_next_hop(plc_adp_routing(m->n[0].adp), 8, &next, NULL, NULL), PLC_OK);
    unsigned dead = next;
    plc_mac_destroy(m->n[dead].mac);
    m->n[dead].mac = NULL;
    plc_adp_attach(m->n[dead].adp, NULL);
    print_message("route to 8: %u hops, first relay %u dies\n", before, dead);
    unsigned answered = 0;
    for (int round = 0; round < 6; round++) {
        const unsigned had = m->got_answers;
        ask(m, 8);
        run(m, 60.0);
        answered += m->got_answers > had;
    }
    assert_true(answered >= 4); /* after a failure or two the repaired route carries them */
    assert_int_equal(m->bad, 0);
    assert_int_equal(plc_loadng_next_hop(plc_adp_routing(m->n[0].adp), 8, &next, NULL, NULL), PLC_OK);
    assert_int_not_equal(next, dead);
    /* the repair tried the old route first, the MAC failed that RREQ, and it flooded */
    plc_loadng_counters c0;
    plc_loadng_get_counters(plc_adp_routing(m->n[0].adp), &c0);
    print_message("repair: %llu unicast RREQ (%llu failed), %llu RREQ in all\n",
                  (unsigned long long)c0.rreq_unicast, (unsigned long long)c0.rreq_unicast_failed,
                  (unsigned long long)c0.rreq_sent);
    assert_true(c0.rreq_unicast >= 1);
    assert_true(c0.rreq_unicast_failed >= 1);
    assert_true(c0.rreq_sent > c0.rreq_unicast + 1);
    mesh_destroy(m);
}

/* The concentrator hears the next but one at 4-7 dB: not weak for a link between meters
 * (adpWeakLQIValue, 3 dB), weak for one with the coordinator (8 dB), whose links carry
 * the whole area's traffic. Its discovery of meter 2 finds the way through meter 1, and the
 * answer comes back that way; with the meters' threshold both take the marginal link. Meter
 * 3 is two hops away either way (the link from meter 1 to 3 is a meters' link). */
/* The SNR a receiver reports (its LQI, a quarter of a dB a step). */
static double reported_snr_db(const plc_medium *m, unsigned from, unsigned to)
{
    return plc_medium_link_lqi(m, from, to) / 4.0 - 10.0;
}

static void test_marginal_coordinator_links_avoided(void **st)
{
    (void)st;
    double span = 0;
    for (double l = 100; l <= 2000 && !span; l += 10) {
        mesh *m = mesh_create(l);
        const double two = reported_snr_db(m->medium, 0, 2);
        const double skip = reported_snr_db(m->medium, 1, 3);
        const double three = plc_medium_link_snr_db(m->medium, 0, 3);
        mesh_destroy(m);
        if (two > 4.0 && two < 7.0 && skip > 4.0 && three < PLC_MEDIUM_CS_SNR_DB - 6.0)
            span = l;
    }
    assert_true(span > 0);
    const unsigned expect[2][4] = {{0, 1, 2, 2}, {0, 1, 1, 2}}; /* hops to meters 1-3 */
    for (int meters_threshold = 0; meters_threshold < 2; meters_threshold++) {
        coordinator_weak_lqi = meters_threshold ? 52 : 0;
        mesh *m = mesh_create(span);
        for (unsigned i = 0; i < 3; i++) {
            const unsigned k = (i + 1) % 3 + 1; /* 2, 3, 1 */
            ask(m, k);
            run(m, 30.0);
            uint16_t next;
            assert_int_equal(plc_loadng_next_hop(plc_adp_routing(m->n[0].adp), (uint16_t)k,
                                                 &next, NULL, NULL), PLC_OK);
            assert_int_equal(next, expect[meters_threshold][k] == 1 ? k : 1);
            assert_int_equal(m->hops_of[k], expect[meters_threshold][k]);
        }
        assert_int_equal(m->got_answers, 3);
        assert_int_equal(m->bad, 0);
        mesh_destroy(m);
    }
    coordinator_weak_lqi = 0;
}

static unsigned delivered;
static void count_delivered(void *user, const plc_adp_indication *ind)
{
    (void)user;
    (void)ind;
    delivered++;
}

/* A datagram one of whose fragments is lost: the destination times it out, delivers nothing
 * of it, counts it; overlapping fragments are counted and never delivered as a datagram. */
static void test_lost_fragment_times_out(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = 0;
    ac.reassembly_timeout_ms = 2000;
    delivered = 0;
    plc_adp *a = plc_adp_create(&ac, loop, 1, &(plc_adp_callbacks){.indication = count_delivered});
    assert_non_null(a);
    const plc_mac_callbacks mcb = plc_adp_mac_callbacks(a);
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    size_t n;
    /* FRAG1 of a 700-byte datagram from node 5 arrives; the FRAGN never does */
    plc_adp_header h = {.mesh = 1, .hops_left = 8, .orig = 5, .final = 0, .frag = PLC_ADP_FRAG1,
                        .dgram_size = 700, .dgram_tag = 3};
    assert_int_equal(plc_adp_header_encode(&h, msdu, sizeof(msdu), &n), PLC_OK);
    memset(msdu + n, 0x41, 384);
    const plc_mac_data_indication ind = {.src = 5, .dst = 0, .msdu = msdu, .len = n + 384,
                                         .lqi = 100, .secured = 1};
    mcb.indication(mcb.user, &ind);
    plc_loop_run(loop, 3000000);
    plc_adp_counters c;
    plc_adp_get_counters(a, &c);
    assert_int_equal(c.reassembly_timeouts, 1);
    assert_int_equal(c.rx_datagrams, 0);
    /* fragments that overlap (one starts where nothing came, then runs into what did)
     * never make a datagram with a hole: 400..700 (last), 392..408, 0..384 would add up to
     * 700 bytes with 384..392 missing */
    const struct {
        uint8_t frag;
        uint16_t off, len;
    } parts[] = {{PLC_ADP_FRAGN, 400, 300}, {PLC_ADP_FRAGN, 392, 16}, {PLC_ADP_FRAG1, 0, 384}};
    for (unsigned i = 0; i < 3; i++) {
        plc_adp_header p = {.mesh = 1, .hops_left = 8, .orig = 6, .final = 0,
                            .frag = parts[i].frag, .dgram_size = 700, .dgram_tag = 4,
                            .offset = parts[i].off};
        assert_int_equal(plc_adp_header_encode(&p, msdu, sizeof(msdu), &n), PLC_OK);
        memset(msdu + n, 0x42, parts[i].len);
        const plc_mac_data_indication pi = {.src = 6, .dst = 0, .msdu = msdu,
                                            .len = n + parts[i].len, .lqi = 100, .secured = 1};
        mcb.indication(mcb.user, &pi);
    }
    plc_adp_get_counters(a, &c);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.rx_datagrams, 0);
    assert_int_equal(delivered, 0);
    /* a malformed mesh frame is counted and dropped */
    static const uint8_t bad[] = {0x88, 1, 2};
    const plc_mac_data_indication ind2 = {.src = 5, .dst = 0, .msdu = bad, .len = sizeof(bad)};
    mcb.indication(mcb.user, &ind2);
    plc_adp_get_counters(a, &c);
    assert_int_equal(c.malformed, 1);
    assert_int_equal(delivered, 0);
    plc_adp_destroy(a);
    plc_loop_destroy(loop);
}

/* The whole stack with admission on the 8-hop chain: every meter joins through LBP (the
 * agent of each is the meter before it), announces itself, and answers a read over 1..8
 * hops; no meter discovers a route. */
static void test_chain_joins_through_lbp(void **st)
{
    (void)st;
    const double l = chain_link();
    write_chain(l);
    plc_meshnet_config cfg;
    plc_meshnet_config_default(&cfg);
    cfg.medium.topology_file = topo;
    cfg.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    cfg.power_up_s = 60;
    char err[200];
    plc_meshnet *w = plc_meshnet_create(&cfg, err, sizeof(err));
    remove(topo);
    if (!w)
        fail_msg("%s", err);
    const double all = plc_meshnet_form(w, 1800);
    print_message("chain with admission: %u of %u joined, all by %.0f s\n", plc_meshnet_joined(w),
                  NODES - 1, all);
    assert_int_equal(plc_meshnet_joined(w), NODES - 1);
    assert_true(all > 0);
    /* the medium's account of the formation: every frame has a kind, every join put its 6
     * LBP messages (JOINING, EAP-PSK 1-4, ACCEPTED) on the agent's hop by EUI-64, scans
     * were beacon requests answered by beacons, the relayed messages short-addressed */
    plc_medium_stats ms;
    plc_medium_get_stats(plc_meshnet_medium(w), &ms);
    uint64_t frames = 0, kinds = 0;
    for (int k = 0; k <= PLC_MOD_COUNT; k++)
        frames += ms.frames[k];
    for (int k = 0; k < PLC_MEDIUM_KINDS; k++)
        kinds += ms.kind_frames[k];
    assert_int_equal(kinds, frames);
    assert_int_equal(ms.kind_frames[PLC_MEDIUM_KIND_OTHER], 0);
    assert_int_equal(ms.kind_frames[PLC_MEDIUM_KIND_ACK], ms.frames[PLC_MOD_COUNT]);
    assert_true(ms.kind_frames[PLC_MEDIUM_KIND_EXT] >= 6 * (NODES - 1));
    assert_true(ms.kind_frames[PLC_MEDIUM_KIND_COMMAND] >= NODES - 1);
    assert_true(ms.kind_frames[PLC_MEDIUM_KIND_BEACON] >= NODES - 1);
    assert_true(ms.kind_frames[PLC_MEDIUM_KIND_UNICAST] > 0);
    assert_true(ms.kind_frames[PLC_MEDIUM_KIND_BROADCAST] > 0); /* route beacons */
    /* route quality: each meter hears only its neighbours, so the chain is the one path and
     * every reference is its ETX, summed here from the medium's PER of each link (a 60-byte
     * ROBO frame one way, its ACK back) */
    plc_pertable per;
    assert_int_equal(plc_pertable_load(&per, cfg.medium.per_table, err, sizeof(err)), PLC_OK);
    const plc_medium *md = plc_meshnet_medium(w);
    double along = 0, sum = 0;
    for (unsigned k = 1; k < NODES; k++) {
        along += 1.0 / ((1 - plc_medium_link_per(md, &per, k, k - 1, PLC_MOD_ROBO, 60)) *
                        (1 - plc_medium_link_per(md, &per, k - 1, k, PLC_MOD_ROBO, 1)));
        sum += along;
    }
    plc_meshnet_quality q;
    plc_meshnet_quality_get(w, &q);
    assert_int_equal(q.routed, NODES - 1);
    assert_int_equal(q.unreachable, 0);
    const double expect = sum / (NODES - 1);
    assert_true(expect >= 1.0);
    assert_true(fabs(q.route_etx - expect) < 1e-9);
    assert_true(fabs(q.oracle_etx - expect) < 1e-9);
    assert_true(fabs(q.tree_etx - expect) < 1e-9);
    assert_true(fabs(q.policy_etx - expect) < 1e-9);
    plc_meshnet_round r;
    plc_meshnet_read_round(w, 40, 700, &r);
    assert_int_equal(r.answered, NODES - 1);
    assert_int_equal(r.max_hops, NODES - 1);
    for (unsigned k = 1; k < NODES; k++) {
        plc_loadng_counters c;
        plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(w, k)), &c);
        assert_int_equal(c.discoveries, 0);
    }
    plc_meshnet_destroy(w);
}

/* The route quality's reference for LOADng's rules applies them: on a 3-node line whose
 * concentrator hears meter 2 at 4-7 dB (a weak link with the coordinator, fine for ROBO)
 * the shortest paths take meter 2 straight in, the rules through meter 1, and so do the
 * area's routes once route beacons have come (meter 2 joined straight to the concentrator). */
static void test_quality_reference_follows_the_rules(void **st)
{
    (void)st;
    char err[200];
    plc_meshnet_config cfg;
    plc_meshnet_config_default(&cfg);
    cfg.medium.topology_file = topo;
    cfg.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    cfg.power_up_s = 10;
    plc_meshnet *w = NULL;
    for (double l = 100; l <= 2000 && !w; l += 10) {
        FILE *f = fopen(topo, "w");
        assert_non_null(f);
        fprintf(f, "segment 1 0 %.0f\nsegment 2 1 %.0f\nnode 0 0\nnode 1 1\nnode 2 2\n", l, l);
        fclose(f);
        w = plc_meshnet_create(&cfg, err, sizeof(err));
        if (!w)
            fail_msg("%s", err);
        const plc_medium *md = plc_meshnet_medium(w);
        const unsigned two = plc_medium_link_lqi(md, 0, 2), one = plc_medium_link_lqi(md, 0, 1);
        if (!(two > 56 && two < 68 && one >= 80)) { /* 4-7 dB; 10 dB and more */
            plc_meshnet_destroy(w);
            w = NULL;
        }
    }
    remove(topo);
    assert_non_null(w);
    assert_true(plc_meshnet_form(w, 600) > 0);
    plc_meshnet_run(w, plc_meshnet_now_s(w) + 700); /* route beacon rounds after the joins */
    plc_pertable per;
    assert_int_equal(plc_pertable_load(&per, cfg.medium.per_table, err, sizeof(err)), PLC_OK);
    const plc_medium *md = plc_meshnet_medium(w);
    double e[3][3];
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            e[a][b] = a == b ? 0
                             : 1.0 / ((1 - plc_medium_link_per(md, &per, a, b, PLC_MOD_ROBO, 60)) *
                                      (1 - plc_medium_link_per(md, &per, b, a, PLC_MOD_ROBO, 1)));
    plc_meshnet_quality q;
    plc_meshnet_quality_get(w, &q);
    assert_int_equal(q.routed, 2);
    const double shortest = (e[1][0] + fmin(e[2][0], e[2][1] + e[1][0])) / 2;
    const double rules = (e[1][0] + e[2][1] + e[1][0]) / 2;
    assert_true(fabs(q.oracle_etx - shortest) < 1e-9);
    assert_true(fabs(q.policy_etx - rules) < 1e-9);
    assert_true(q.policy_etx > q.oracle_etx + 0.4);
    assert_true(fabs(q.route_etx - rules) < 1e-9);
    plc_meshnet_destroy(w);
}

/* Two-phase rekey on the real stack with reads running: the new key is distributed to every
 * meter (EAP-PSK again) while reads go on under the old one, then activated (the
 * concentrator switches, every meter follows); every read of every round before, during and
 * after is answered, and no node ever failed to decrypt a frame or lacked a key. */
static void test_rekey_with_traffic_loses_nothing(void **st)
{
    (void)st;
    plc_meshnet_config cfg;
    plc_meshnet_config_default(&cfg);
    cfg.medium.nodes = 11;
    cfg.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    cfg.power_up_s = 30;
    char err[200];
    plc_meshnet *w = plc_meshnet_create(&cfg, err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    assert_true(plc_meshnet_form(w, 1200) > 0);
    const unsigned m = plc_meshnet_meters(w);
    plc_lbs *s = plc_meshnet_lbs(w);
    uint64_t before[16]; /* no_key + decryption errors per node: formation's (frames
                                 * under the key heard before a node joined) do not count */
    assert_true(m + 1 <= sizeof(before) / sizeof(before[0]));
    for (unsigned k = 0; k <= m; k++) {
        plc_mac_counters c;
        plc_mac_get_counters(plc_meshnet_mac(w, k), &c);
        before[k] = c.no_key + c.decryption_errors;
    }
    static const uint8_t gmk2[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE,
                                     0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    assert_int_equal(plc_lbs_rekey_distribute(s, gmk2), PLC_OK);
    unsigned devices, distributed, activated, rounds = 0;
    plc_meshnet_round r;
    do { /* phase 1 under traffic */
        plc_meshnet_read_round(w, 40, 120, &r);
        assert_int_equal(r.answered, m);
        plc_lbs_rekey_progress(s, &devices, &distributed, &activated);
    } while (distributed < devices && ++rounds < 20);
    assert_int_equal(devices, m);
    assert_int_equal(distributed, m);
    assert_int_equal(plc_lbs_rekey_activate(s), PLC_OK);
    rounds = 0;
    do { /* phase 2 under traffic */
        plc_meshnet_read_round(w, 40, 120, &r);
        assert_int_equal(r.answered, m);
        plc_lbs_rekey_progress(s, &devices, &distributed, &activated);
    } while (activated < devices && ++rounds < 20);
    assert_int_equal(activated, m);
    plc_meshnet_read_round(w, 40, 120, &r); /* all under the new key now */
    assert_int_equal(r.answered, m);
    for (unsigned k = 0; k <= m; k++) {
        plc_mac_pib pib;
        plc_mac_get_pib(plc_meshnet_mac(w, k), &pib);
        assert_int_equal(pib.key_index, 1);
        plc_mac_counters c;
        plc_mac_get_counters(plc_meshnet_mac(w, k), &c);
        assert_int_equal(c.no_key + c.decryption_errors, before[k]);
    }
    plc_lbs_counters sc;
    plc_lbs_get_counters(s, &sc);
    assert_int_equal(sc.rekeyed, m);
    assert_int_equal(sc.activated, m);
    plc_meshnet_destroy(w);
}

/* 100 meters on a generated feeder, formation and a read round: no frame is ever taken for a
 * replay (every meter's anti-replay table holds every source it hears; with the MAC's
 * default 64 entries the evicted sources' folded marks made quiet neighbours' frames look
 * replayed: tens of thousands of frames dropped in a night). */
static void test_no_false_replays_in_a_100_meter_area(void **st)
{
    (void)st;
    plc_meshnet_config cfg;
    plc_meshnet_config_default(&cfg);
    cfg.medium.nodes = 101;
    cfg.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    cfg.power_up_s = 300;
    char err[200];
    plc_meshnet *w = plc_meshnet_create(&cfg, err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    assert_true(plc_meshnet_form(w, 2100) > 0);
    plc_meshnet_run(w, plc_meshnet_now_s(w) + 3 * 3600.0); /* hours of route beacons: the
                                                           * busy relays' counters run ahead */
    plc_meshnet_round r;
    plc_meshnet_read_round(w, 40, 120, &r);
    uint64_t replays = 0;
    for (unsigned k = 1; k <= 100; k++) {
        plc_mac_counters c;
        plc_mac_get_counters(plc_meshnet_mac(w, k), &c);
        replays += c.replays;
    }
    print_message("100 meters: %u answered, %llu frames taken for replays\n", r.answered,
                  (unsigned long long)replays);
    assert_int_equal(replays, 0);
    assert_int_equal(r.answered, 100);
    plc_meshnet_destroy(w);
}

/* A relay next to the concentrator carries the reads of every meter behind it, so it
 * needs a route to each: with tables smaller than that (G3's default is 150 entries, too
 * few at 1000 meters; here 40 in a 100-meter area) routes are evicted and every read of an
 * evicted meter costs a RERR and a flood. The simulation sizes every node's table for the
 * area: no eviction, no flood, every meter answers. */
static void test_route_tables_hold_the_area(void **st)
{
    (void)st;
    uint64_t full[2] = {0}, rreq[2] = {0};
    unsigned answered[2] = {0};
    for (int sized = 0; sized < 2; sized++) {
        plc_meshnet_config cfg;
        plc_meshnet_config_default(&cfg);
        cfg.medium.nodes = 101;
        cfg.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
        cfg.power_up_s = 300;
        cfg.routes = sized ? 0 : 40;
        char err[200];
        plc_meshnet *w = plc_meshnet_create(&cfg, err, sizeof(err));
        if (!w)
            fail_msg("%s", err);
        assert_true(plc_meshnet_form(w, 2100) > 0);
        plc_meshnet_round r;
        plc_meshnet_read_round(w, 40, 120, &r);
        for (unsigned k = 1; k <= 100; k++) {
            plc_loadng_counters c;
            plc_loadng_get_counters(plc_adp_routing(plc_meshnet_adp(w, k)), &c);
            full[sized] += c.table_full;
        }
        rreq[sized] = r.rreq_frames;
        answered[sized] = r.answered;
        plc_meshnet_destroy(w);
    }
    print_message("route tables of 40: %llu evictions, %llu RREQ frames in the round, %u "
                  "answered; of the area: %llu, %llu, %u\n", (unsigned long long)full[0],
                  (unsigned long long)rreq[0], answered[0], (unsigned long long)full[1],
                  (unsigned long long)rreq[1], answered[1]);
    assert_true(full[0] > 0);
    assert_true(rreq[0] > 0);
    assert_int_equal(full[1], 0);
    assert_int_equal(rreq[1], 0);
    assert_int_equal(answered[1], 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_false_replays_in_a_100_meter_area),
        cmocka_unit_test(test_route_tables_hold_the_area),
        cmocka_unit_test(test_chain_joins_through_lbp),
        cmocka_unit_test(test_quality_reference_follows_the_rules),
        cmocka_unit_test(test_rekey_with_traffic_loses_nothing),
        cmocka_unit_test(test_chain_8_hops),
        cmocka_unit_test(test_path_discovery_on_chain),
        cmocka_unit_test(test_failed_route_repaired_by_unicast_rreq),
        cmocka_unit_test(test_relay_dies_routes_repaired),
        cmocka_unit_test(test_marginal_coordinator_links_avoided),
        cmocka_unit_test(test_lost_fragment_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
