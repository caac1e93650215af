/* The simulated line with the real PHY at each receiver: two-node delivery over the feeder;
 * two simultaneous transmissions collide at an equidistant receiver, while it captures the
 * stronger one when it is 20 dB above the other; link loss grows with distance and
 * frequency; topology files are validated. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_line.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define MAXS 200000

static float frame_a[MAXS], frame_b[MAXS], rxbuf[MAXS];

typedef struct got {
    int n, ok;
    uint8_t first;
} got;

static void on_frame(const plc_rx_frame *f, void *user)
{
    got *g = user;
    g->n++;
    if (f->status == PLC_RX_OK) {
        g->ok++;
        g->first = f->psdu[0];
    }
}

static size_t make_frame(float *x, uint8_t tag)
{
    plc_tx *tx = plc_tx_create(NULL);
    uint8_t psdu[64];
    for (int i = 0; i < 64; i++)
        psdu[i] = (uint8_t)(tag + i * 3);
    plc_tx_request rq = {.mod = PLC_MOD_DBPSK, .tonemap = PLC_TONEMAP_ALL};
    size_t n = 0;
    assert_int_equal(plc_tx_frame(tx, &rq, psdu, 64, x, MAXS, &n), PLC_OK);
    plc_tx_destroy(tx);
    return n;
}

/* Runs node r's receiver over [0, n) of line time. */
static got receive_at(plc_line *l, unsigned r, size_t n)
{
    got g = {0};
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    cfg.callback = on_frame;
    cfg.user = &g;
    plc_rx *rx = plc_rx_create(&cfg);
    plc_line_receive(l, r, 0, rxbuf, n);
    plc_rx_push(rx, rxbuf, n);
    plc_rx_flush(rx);
    plc_rx_destroy(rx);
    return g;
}

/* Three nodes: 0 and 1 each 150 m from 2, on two branches of one pole. */
static void three_nodes(plc_topology *t)
{
    memset(t, 0, sizeof(*t));
    FILE *f = fopen("line3.topo", "w");
    fprintf(f, "# two senders equidistant from a receiver\nsegment 1 0 10\n"
               "segment 2 1 150\nsegment 3 1 150\nsegment 4 1 0.5\n"
               "node 0 2\nnode 1 3\nnode 2 4\n");
    fclose(f);
    char err[128];
    assert_int_equal(plc_topology_load(t, "line3.topo", err, sizeof(err)), PLC_OK);
    remove("line3.topo");
}

static void test_two_node_delivery(void **st)
{
    (void)st;
    static plc_topology t;
    assert_int_equal(plc_topology_generate(&t, 2, 5), PLC_OK);
    plc_line_config c;
    plc_line_config_default(&c);
    plc_line *l = plc_line_create(&t, &c);
    const size_t n = make_frame(frame_a, 0x11);
    assert_int_equal(plc_line_transmit(l, 0, 3000, frame_a, n, 1.0), PLC_OK);
    assert_true(plc_line_signal_present(l, 1, 0, 4000));
    assert_false(plc_line_signal_present(l, 0, 0, 4000)); /* not to itself */
    assert_true(plc_line_transmitting(l, 0, 3000, 1));
    got g = receive_at(l, 1, n + 8000);
    assert_int_equal(g.ok, 1);
    assert_int_equal(g.first, 0x11);
    assert_int_equal(plc_line_expire(l, n + 8000), n + 8000);
    assert_false(plc_line_signal_present(l, 1, 0, n + 8000));
    plc_line_destroy(l);
}

static void test_loss_model(void **st)
{
    (void)st;
    static plc_topology t;
    three_nodes(&t);
    plc_line_config c;
    plc_line_config_default(&c);
    plc_line *l = plc_line_create(&t, &c);
    unsigned nb;
    assert_true(fabs(plc_topology_distance(&t, 0, 2, &nb) - 150.5) < 1e-9);
    assert_int_equal(nb, 1);
    /* 150.5 m at 60 kHz: 150.5 * (0.03 + 0.05 * 0.6) + 2 = 11.03 dB */
    assert_true(fabs(plc_line_loss_db(l, 0, 2, 60000) - 11.03) < 0.01);
    assert_true(plc_line_loss_db(l, 0, 1, 60000) > plc_line_loss_db(l, 0, 2, 60000));
    assert_true(plc_line_loss_db(l, 0, 2, 90000) > plc_line_loss_db(l, 0, 2, 40000));
    assert_true(fabs(plc_line_ppm(l, 1)) <= 50.0);
    plc_line_destroy(l);
}

/* The example feeder in docs/: paths, lengths and branch points as drawn. */
static void test_example_feeder(void **st)
{
    (void)st;
    static plc_topology t;
    char err[256];
    if (plc_topology_load(&t, PLC_SOURCE_DIR "/docs/examples/feeder.topo", err, sizeof(err)))
        fail_msg("%s", err);
    assert_int_equal(t.n_nodes, 9);
    assert_int_equal(t.n_vertices, 15);
    unsigned nb;
    /* transformer, poles 1, 2, 5, 6, then a 27 m service cable; all four poles branch */
    assert_true(fabs(plc_topology_distance(&t, 0, 8, &nb) - 170.0) < 1e-9);
    assert_int_equal(nb, 4);
    /* meter 3 (pole 3) to meter 5 (pole 4): 9 + 40 + 14 m, through pole 3 and pole 4 */
    assert_true(fabs(plc_topology_distance(&t, 3, 5, &nb) - 63.0) < 1e-9);
    assert_int_equal(nb, 2);
}

static void test_collision_and_capture(void **st)
{
    (void)st;
    static plc_topology t;
    three_nodes(&t);
    plc_line_config c;
    plc_line_config_default(&c);
    const size_t na = make_frame(frame_a, 0xA0), nb = make_frame(frame_b, 0xB0);
    assert_int_equal(na, nb);

    plc_line *l = plc_line_create(&t, &c);
    plc_line_transmit(l, 0, 2000, frame_a, na, 1.0);
    plc_line_transmit(l, 1, 2000 + 600, frame_b, nb, 1.0); /* same time, equal level */
    got g = receive_at(l, 2, na + 8000);
    assert_int_equal(g.ok, 0); /* collision: neither frame survives */
    plc_line_destroy(l);

    l = plc_line_create(&t, &c);
    plc_line_transmit(l, 0, 2000, frame_a, na, 1.0);
    plc_line_transmit(l, 1, 2000 + 600, frame_b, nb, 0.1); /* 20 dB weaker */
    g = receive_at(l, 2, na + 8000);
    assert_int_equal(g.ok, 1); /* capture of the stronger one */
    assert_int_equal(g.first, 0xA0);
    plc_line_destroy(l);

    /* alone, the weaker one is received fine: the loss above was the collision */
    l = plc_line_create(&t, &c);
    plc_line_transmit(l, 1, 2000 + 600, frame_b, nb, 0.1);
    g = receive_at(l, 2, na + 8000);
    assert_int_equal(g.ok, 1);
    assert_int_equal(g.first, 0xB0);
    plc_line_destroy(l);
}

/* Each malformed topology is refused with a message that names what is wrong. */
static void test_bad_topology_files(void **st)
{
    (void)st;
    static plc_topology t;
    char longline[400];
    memset(longline, ' ', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = 0;
    const struct {
        const char *text, *says;
    } bad[] = {
        {"segment 1 0 10\nnode 0 1\nnode 2 1\n", "without gaps"},
        {"segment 1 2 10\nsegment 2 1 10\nnode 0 1\n", "cycle"},
        {"segment 1 0 -5\nnode 0 1\n", "line 1: bad or repeated segment"},
        {"segment 1 0 nan\nnode 0 1\n", "line 1: bad or repeated segment"},
        {"segment 1 0 10\nsegment 1 0 12\nnode 0 1\n", "line 2: bad or repeated segment"},
        {"segment 1 0 10\nnode 0 1\nnode 0 1\n", "line 3: bad or repeated node"},
        {"segment 1 0 10\nnode 0 7\n", "undefined vertex"},
        {"segment 1 0 10\nnode 0 1 extra\n", "line 2: expected"},
        {"segmant 1 0 10\n", "line 1: expected"},
        {"# nothing\n", "without gaps"},
        {longline, "line 1: not text or longer"},
    };
    char err[128];
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fmemopen((void *)bad[i].text, strlen(bad[i].text), "r");
        assert_non_null(f);
        err[0] = 0;
        assert_int_equal(plc_topology_read(&t, f, err, sizeof(err)), PLC_ERR_FORMAT);
        fclose(f);
        if (!strstr(err, bad[i].says))
            fail_msg("case %u: '%s' does not say '%s'", i, err, bad[i].says);
    }
    /* the file loader prefixes its name */
    FILE *f = fopen("bad.topo", "w");
    fputs(bad[0].text, f);
    fclose(f);
    assert_int_equal(plc_topology_load(&t, "bad.topo", err, sizeof(err)), PLC_ERR_FORMAT);
    assert_non_null(strstr(err, "bad.topo: nodes must be numbered"));
    remove("bad.topo");
    assert_int_equal(plc_topology_load(&t, "/nonexistent/x.topo", err, sizeof(err)), PLC_ERR_IO);
    assert_int_equal(plc_topology_generate(&t, 0, 1), PLC_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_node_delivery),
        cmocka_unit_test(test_loss_model),
        cmocka_unit_test(test_collision_and_capture),
        cmocka_unit_test(test_bad_topology_files),
        cmocka_unit_test(test_example_feeder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
