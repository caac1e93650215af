/* Golden transmit waveforms (vectors/golden/samples_*.txt, written by tools/plc-vectors):
 * the transmitter must reproduce every sample within the tolerance stated in the file
 * (float rounding differs between FFT backends), a one-bit change of the PSDU must move
 * the waveform far beyond it, and the receiver must decode the golden waveform. */
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
#include "plc_rx.h"
#include "plc_tx.h"
#include "test_util.h"

#define MAXN 80000

static float golden[MAXN], made[MAXN];
static char line[1024];

typedef struct sample_vector {
    plc_tx_request rq;
    uint64_t tonemask;
    uint8_t psdu[256];
    int len;
    double tolerance;
    size_t n;
} sample_vector;

static void get(const char *file, const char *key)
{
    if (tu_vector_line(file, key, line, sizeof(line)) != 0)
        fail_msg("%s: no '%s' line", file, key);
}

static void load(const char *file, sample_vector *v)
{
    memset(v, 0, sizeof(*v));
    get(file, "mode");
    const int mod = plc_mode_parse(line);
    assert_true(mod >= 0);
    v->rq.mod = (plc_modulation)mod;
    get(file, "tonemap");
    v->rq.tonemap = (unsigned)strtoul(line, NULL, 16);
    get(file, "tonemask");
    v->tonemask = strtoull(line, NULL, 16);
    get(file, "dt");
    v->rq.dt = (uint8_t)atoi(line);
    get(file, "pdc");
    v->rq.pdc = (uint8_t)atoi(line);
    get(file, "ack_fcs");
    v->rq.ack_fcs = (uint16_t)strtoul(line, NULL, 16);
    get(file, "tolerance");
    v->tolerance = atof(line);
    assert_true(v->tolerance > 0 && v->tolerance < 1e-4);
    if (tu_vector_line(file, "psdu", line, sizeof(line)) == 0)
        v->len = tu_parse_hex(line, v->psdu, 256);
    get(file, "samples");
    v->n = (size_t)atol(line);
    assert_true(v->n > 0 && v->n <= MAXN);

    /* the values follow the "samples N" line */
    FILE *f = fopen(tu_vector_path(file), "r");
    assert_non_null(f);
    char buf[256];
    while (fgets(buf, sizeof(buf), f) && strncmp(buf, "samples ", 8) != 0)
        ;
    for (size_t k = 0; k < v->n; k++)
        assert_int_equal(fscanf(f, "%f", &golden[k]), 1);
    float extra;
    assert_int_equal(fscanf(f, "%f", &extra), EOF);
    fclose(f);
}

static double max_diff(const sample_vector *v, const uint8_t *psdu)
{
    plc_tx_config cfg;
    plc_tx_config_default(&cfg);
    cfg.tonemask = v->tonemask;
    plc_tx *tx = plc_tx_create(&cfg);
    assert_non_null(tx);
    size_t n = 0;
    assert_int_equal(plc_tx_frame(tx, &v->rq, psdu, (size_t)v->len, made, MAXN, &n), PLC_OK);
    assert_int_equal(n, v->n);
    plc_tx_destroy(tx);
    double d = 0;
    for (size_t k = 0; k < n; k++)
        d = fmax(d, fabs((double)made[k] - (double)golden[k]));
    return d;
}

static void on_frame(const plc_rx_frame *f, void *user)
{
    plc_rx_frame *out = user;
    if (out->psdu_len == 0 && !out->header_ok)
        *out = *f;
}

static void check(const char *name)
{
    char file[128];
    snprintf(file, sizeof(file), "golden/samples_%s.txt", name);
    static sample_vector v;
    load(file, &v);
    const double d = max_diff(&v, v.psdu);
    if (d > v.tolerance)
        fail_msg("%s: transmitted samples differ from the golden waveform by %.3g (> %g)",
                 file, d, v.tolerance);
    if (v.len > 0) { /* sensitivity: one PSDU bit changes the waveform far beyond tolerance */
        uint8_t other[256];
        memcpy(other, v.psdu, sizeof(other));
        other[v.len / 2] ^= 0x10;
        assert_true(max_diff(&v, other) > 1000 * v.tolerance);
    }

    /* the receiver decodes the golden waveform, with silence around it */
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    cfg.tonemask = v.tonemask;
    plc_rx_frame got = {0};
    cfg.callback = on_frame;
    cfg.user = &got;
    plc_rx *rx = plc_rx_create(&cfg);
    static const float zeros[1000];
    assert_int_equal(plc_rx_push(rx, zeros, 1000), PLC_OK);
    assert_int_equal(plc_rx_push(rx, golden, v.n), PLC_OK);
    assert_int_equal(plc_rx_push(rx, zeros, 1000), PLC_OK);
    plc_rx_destroy(rx);
    assert_int_equal(got.status, PLC_RX_OK);
    assert_int_equal(got.offset, 1000);
    assert_int_equal(got.fch.dt, v.rq.dt);
    if (v.len > 0) {
        assert_int_equal(got.fch.mod, v.rq.mod);
        assert_int_equal(got.fch.tm, v.rq.tonemap);
        assert_memory_equal(got.psdu, v.psdu, (size_t)v.len);
    } else {
        assert_int_equal(got.fch.fcs, v.rq.ack_fcs);
    }
}

static void test_robo_40(void **s) { (void)s; check("robo_40"); }
static void test_dbpsk_133(void **s) { (void)s; check("dbpsk_133"); }
static void test_dbpsk_64_notched(void **s) { (void)s; check("dbpsk_64_notched"); }
static void test_dqpsk_100_tm3b(void **s) { (void)s; check("dqpsk_100_tm3b"); }
static void test_d8psk_239(void **s) { (void)s; check("d8psk_239"); }
static void test_ack(void **s) { (void)s; check("ack"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robo_40),        cmocka_unit_test(test_dbpsk_133),
        cmocka_unit_test(test_dbpsk_64_notched), cmocka_unit_test(test_dqpsk_100_tm3b),
        cmocka_unit_test(test_d8psk_239),      cmocka_unit_test(test_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
