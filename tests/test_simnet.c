/* Network scenarios: the same seed gives the same run bit for bit (waveform and abstract
 * PHY), another seed another run; every frame is delivered on a short quiet line; the
 * abstract PHY follows the loss model; bad scenarios are refused with a message. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_loop.h"
#include "plc_medium.h"
#include "plc_pertable.h"
#include "plc_simnet.h"

static uint64_t run(int abstract, unsigned nodes, uint64_t seed, double secs,
                    unsigned long long *sent, unsigned long long *received)
{
    plc_simnet_config c;
    plc_simnet_config_default(&c);
    c.nodes = nodes;
    c.abstract_phy = abstract;
    c.seed = seed;
    c.per_table = PLC_SOURCE_DIR "/docs/per/per_awgn.dat";
    char err[128];
    plc_simnet *s = plc_simnet_create(&c, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(plc_simnet_run(s, secs, NULL, NULL), 0);
    *sent = *received = 0;
    for (unsigned a = 0; a < nodes; a++)
        for (unsigned b = 0; b < nodes; b++) {
            *sent += plc_simnet_link_stats(s, a, b).sent;
            *received += plc_simnet_link_stats(s, a, b).received;
        }
    const uint64_t d = plc_simnet_digest(s);
    plc_simnet_destroy(s);
    return d;
}

static void test_waveform_deterministic(void **st)
{
    (void)st;
    unsigned long long s1, r1, s2, r2, s3, r3;
    const uint64_t a = run(0, 5, 11, 40, &s1, &r1);
    const uint64_t b = run(0, 5, 11, 40, &s2, &r2);
    const uint64_t c = run(0, 5, 12, 40, &s3, &r3);
    assert_int_equal(a, b);
    assert_int_equal(r1, r2);
    assert_true(a != c);
    assert_int_equal(s1, 5 * 4 * 4); /* 4 frames per node in 40 s, 4 receivers each */
    assert_int_equal(r1, s1);        /* a short quiet feeder: every frame arrives */
}

static void test_abstract_deterministic(void **st)
{
    (void)st;
    unsigned long long s1, r1, s2, r2;
    const uint64_t a = run(1, 200, 5, 120, &s1, &r1);
    const uint64_t b = run(1, 200, 5, 120, &s2, &r2);
    assert_int_equal(a, b);
    assert_int_equal(r1, r2);
    assert_int_equal(s1, 200ull * 199 * 12);
    assert_true(r1 > 0 && r1 < s1); /* near links deliver, far ones (hundreds of dB) not */
}

static void test_bad_scenarios(void **st)
{
    (void)st;
    plc_simnet_config c;
    plc_simnet_config_default(&c);
    char err[128];
    c.nodes = 1;
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    c.nodes = 5;
    c.noise_profile = "fog";
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "fog"));
    c.noise_profile = "awgn";
    c.abstract_phy = 1;
    c.per_table = "/nonexistent/per.dat";
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "per.dat"));
}

/* The PER tables: limits, monotonic in SNR, a length between two measured sizes between
 * their PERs; a file that is not a table is refused with its line. */
static void test_pertable(void **st)
{
    (void)st;
    static plc_pertable t;
    char err[256];
    assert_int_equal(plc_pertable_load(&t, PLC_SOURCE_DIR "/docs/per/per_awgn.dat", err,
                                       sizeof(err)), PLC_OK);
    assert_true(t.n >= 11);
    assert_true(plc_pertable_per(&t, PLC_MOD_DBPSK, 133, -10.0) == 1.0);
    assert_true(plc_pertable_per(&t, PLC_MOD_DBPSK, 133, 30.0) == 0.0);
    double prev = 1.0;
    for (double snr = 0.0; snr <= 4.0; snr += 0.25) {
        const double p = plc_pertable_per(&t, PLC_MOD_DBPSK, 133, snr);
        assert_true(p <= prev + 1e-12);
        prev = p;
    }
    const double p32 = plc_pertable_per(&t, PLC_MOD_DBPSK, 32, 1.75);
    const double p64 = plc_pertable_per(&t, PLC_MOD_DBPSK, 64, 1.75);
    const double p133 = plc_pertable_per(&t, PLC_MOD_DBPSK, 133, 1.75);
    assert_true(p32 < p64 && p64 < p133);
    FILE *f = fopen("bad_per.dat", "w");
    fputs("\"dbpsk 32 B awgn\" frames errors per false\n1.0 100 oops\n", f);
    fclose(f);
    assert_int_equal(plc_pertable_load(&t, "bad_per.dat", err, sizeof(err)), PLC_ERR_FORMAT);
    assert_non_null(strstr(err, "bad_per.dat: line 2"));
    remove("bad_per.dat");
}

/* A table that would be read wrongly or partly is refused, with the line. */
static void test_bad_pertables(void **st)
{
    (void)st;
    static plc_pertable t;
    static char many[8192];
    size_t k = 0;
    for (int c = 0; c <= PLC_PERTABLE_MAX_CURVES; c++)
        k += (size_t)snprintf(many + k, sizeof(many) - k, "\"dbpsk %d B awgn\"\n0 10 1 0.1 0\n",
                              c + 1);
    static char points[8192];
    k = (size_t)snprintf(points, sizeof(points), "\"dqpsk 64 B awgn\"\n");
    for (int i = 0; i <= PLC_PERTABLE_MAX_POINTS; i++)
        k += (size_t)snprintf(points + k, sizeof(points) - k, "%d 10 1 0.1 0\n", i);
    const struct {
        const char *text, *says;
    } bad[] = {
        {"\"dbpsk 32 B awgn\"\n1.0 100 50 1.5 0\n", "line 2: PER outside 0..1"},
        {"\"dbpsk 32 B awgn\"\n1.0 100 50 0.5 0\n0.5 100 90 0.9 0\n", "line 3: PER outside 0..1 or SNR not increasing"},
        {"\"dbpsk 32 B awgn\"\nnan 100 50 0.5 0\n", "line 2: PER outside"},
        {"\"dbpsk 32 B impulsive\"\n1.0 100 50 0.5 0\n", "no AWGN curve"},
        {many, "line 49: more than 24 AWGN curves"},
        {points, "line 66: more than 64 points"},
    };
    char err[160];
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fmemopen((void *)bad[i].text, strlen(bad[i].text), "r");
        assert_non_null(f);
        err[0] = 0;
        assert_int_equal(plc_pertable_read(&t, f, err, sizeof(err)), PLC_ERR_FORMAT);
        fclose(f);
        if (!strstr(err, bad[i].says))
            fail_msg("case %u: '%s' does not say '%s'", i, err, bad[i].says);
    }
}

/* The abstract PHY's spread loss: interpolated between its 1 dB columns, and applied by the
 * spread of each link's carriers. */
static void test_spread_loss_table(void **st)
{
    (void)st;
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    for (int k = 0; k < PLC_MEDIUM_SPREADS; k++)
        mc.spread_loss_db[PLC_MOD_DQPSK][k] = (float)(0.5 * k);
    assert_true(fabs(plc_medium_spread_loss_db(&mc, PLC_MOD_DQPSK, 0.0) - 0.0) < 1e-6);
    assert_true(fabs(plc_medium_spread_loss_db(&mc, PLC_MOD_DQPSK, 2.5) - 1.25) < 1e-6);
    assert_true(fabs(plc_medium_spread_loss_db(&mc, PLC_MOD_DQPSK, 9.0) - 2.5) < 1e-6);
    /* the defaults: measured, flat links lose nothing worth counting */
    plc_medium_config_default(&mc);
    for (int mod = 0; mod < PLC_MOD_COUNT; mod++)
        assert_true(fabs(plc_medium_spread_loss_db(&mc, (plc_modulation)mod, 0.0)) < 0.05);
}

typedef struct spread_run {
    plc_phy_service tx;
    unsigned sent, received;
    unsigned lqi_seen, lqi_other; /* frames whose header decoded; of them, LQI not as expected */
    uint8_t lqi;                  /* plc_medium_link_lqi's */
    uint8_t psdu[64];
} spread_run;

static void spread_send(spread_run *r)
{
    const plc_tx_request rq = {.mod = PLC_MOD_DBPSK, .tonemap = PLC_TONEMAP_ALL};
    assert_int_equal(r->tx.ops->tx_request(r->tx.phy, &rq, r->psdu, sizeof(r->psdu), PLC_PHY_NOW), PLC_OK);
    r->sent++;
}

static void spread_on_tx(void *user, int status)
{
    spread_run *r = user;
    assert_int_equal(status, PLC_OK);
    if (r->sent < 200)
        spread_send(r);
}

static void spread_on_rx(void *user, const plc_phy_rx_ind *ind)
{
    spread_run *r = user;
    if (ind->psdu_len >= 64 && !memcmp(ind->psdu, r->psdu, 64))
        r->received++;
    r->lqi_seen++;
    r->lqi_other += ind->lqi != r->lqi;
}

/* 200 DBPSK frames over a 400 m link at snr_db mean SNR with the given DBPSK row of spread
 * losses; returns how many arrived, and the PER plc_medium_link_per gives the link. Every
 * frame heard reports the LQI plc_medium_link_lqi gives it. */
static unsigned spread_deliveries_at(const float row[PLC_MEDIUM_SPREADS], double snr_db,
                                     double *spread_db, double *per)
{
    FILE *f = fopen("spread.topo", "w");
    fputs("segment 1 0 400\nsegment 2 1 10\nnode 0 0\nnode 1 2\n", f);
    fclose(f);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = "spread.topo";
    mc.abstract_phy = 1;
    mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    memcpy(mc.spread_loss_db[PLC_MOD_DBPSK], row, sizeof(mc.spread_loss_db[0]));
    plc_loop *loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(2));
    char err[256];
    plc_medium *m = plc_medium_create(&mc, loop, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    remove("spread.topo");
    const double snr = plc_medium_link_snr_db(m, 0, 1);
    assert_int_equal(plc_medium_set_noise_level(m, mc.noise_level * pow(10.0, (snr - snr_db) / 20.0)),
                     PLC_OK);
    plc_pertable table;
    assert_int_equal(plc_pertable_load(&table, mc.per_table, err, sizeof(err)), PLC_OK);
    *per = plc_medium_link_per(m, &table, 0, 1, PLC_MOD_DBPSK, 64);
    double g[PLC_PHY_CARRIERS], mean = 0, var = 0;
    plc_medium_link_gain_db(m, 0, 1, g);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        mean += g[c] / PLC_PHY_CARRIERS;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        var += (g[c] - mean) * (g[c] - mean) / PLC_PHY_CARRIERS;
    *spread_db = sqrt(var);
    static spread_run r;
    memset(&r, 0, sizeof(r));
    for (unsigned i = 0; i < sizeof(r.psdu); i++)
        r.psdu[i] = (uint8_t)(i * 13 + 1);
    r.lqi = plc_medium_link_lqi(m, 0, 1);
    r.tx = plc_medium_phy(m, 0);
    const plc_phy_service rx = plc_medium_phy(m, 1);
    const plc_phy_user tx_user = {.tx_confirm = spread_on_tx, .user = &r};
    const plc_phy_user rx_user = {.rx_indication = spread_on_rx, .user = &r};
    r.tx.ops->set_user(r.tx.phy, &tx_user);
    rx.ops->set_user(rx.phy, &rx_user);
    spread_send(&r);
    plc_loop_run(loop, 60000000);
    assert_int_equal(r.sent, 200);
    assert_true(r.lqi_seen >= r.received);
    assert_int_equal(r.lqi_other, 0);
    plc_medium_destroy(m);
    plc_loop_destroy(loop);
    return r.received;
}

/* At 4 dB: the table's PER about 0. */
static unsigned spread_deliveries(const float row[PLC_MEDIUM_SPREADS], double *spread_db)
{
    double per;
    const unsigned got = spread_deliveries_at(row, 4.0, spread_db, &per);
    assert_true(got == 200 ? per < 0.01 : got == 0 ? per > 0.99 : 1);
    return got;
}

static void test_spread_loss_applied(void **st)
{
    (void)st;
    double spread;
    const float none[PLC_MEDIUM_SPREADS] = {0};
    const float below[PLC_MEDIUM_SPREADS] = {6, 6, 6, 0, 0, 0};
    const float above[PLC_MEDIUM_SPREADS] = {0, 0, 0, 6, 6, 6};
    assert_int_equal(spread_deliveries(none, &spread), 200);
    assert_true(spread > 3.0 && spread < 4.0); /* the cable's tilt over 400 m */
    assert_int_equal(spread_deliveries(below, &spread), 200);
    assert_int_equal(spread_deliveries(above, &spread), 0);
}

/* The link PER the route oracle counts is the one the abstract PHY draws: 200 frames at an
 * SNR on the slope of the curve (spread loss included) arrive as often as it says, within
 * four standard deviations. */
static void test_link_per_is_the_drawn_one(void **st)
{
    (void)st;
    const float loss[PLC_MEDIUM_SPREADS] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
    double spread, per = 0, snr = -1.0;
    for (; snr < 6.0; snr += 0.1) {
        spread_deliveries_at(loss, snr, &spread, &per);
        if (per > 0.3 && per < 0.7)
            break;
    }
    assert_true(per > 0.3 && per < 0.7);
    const unsigned got = spread_deliveries_at(loss, snr, &spread, &per);
    const double expect = 200 * (1 - per), sd = sqrt(200 * per * (1 - per));
    assert_true(fabs(got - expect) < 4 * sd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waveform_deterministic),
        cmocka_unit_test(test_abstract_deterministic),
        cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_pertable),
        cmocka_unit_test(test_bad_pertables),
        cmocka_unit_test(test_spread_loss_table),
        cmocka_unit_test(test_spread_loss_applied),
        cmocka_unit_test(test_link_per_is_the_drawn_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
