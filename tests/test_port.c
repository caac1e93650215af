/* File sample port: a recorded stream reaches the PHY receiver chunk by chunk with the
 * right sample indices, in virtual time and paced in real time; transmitted bursts land in
 * the output file at their sample index; bad files and arguments give clear errors. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_port.h"
#include "plc_loop_posix.h"
#include "plc_rx.h"
#include "plc_tx.h"

typedef struct rx_ctx {
    plc_rx *rx;
    uint64_t expect_first;
    int chunks, ended, ok;
    uint64_t offsets[4];
} rx_ctx;

static void on_frame(const plc_rx_frame *f, void *user)
{
    rx_ctx *c = user;
    if (f->status == PLC_RX_OK && c->ok < 4)
        c->offsets[c->ok++] = f->offset;
}

static void sink(const float *x, size_t n, uint64_t first, void *user)
{
    rx_ctx *c = user;
    assert_int_equal(first, c->expect_first);
    c->expect_first += n;
    c->chunks++;
    if (n == 0)
        c->ended = 1;
    plc_rx_push(c->rx, x, n);
}

static float stream[100000];

static size_t write_stream(const char *path)
{
    memset(stream, 0, sizeof(stream));
    plc_tx *tx = plc_tx_create(NULL);
    uint8_t psdu[40] = {1, 2, 3};
    plc_tx_request rq = {.mod = PLC_MOD_DBPSK, .tonemap = PLC_TONEMAP_ALL};
    size_t w = 0;
    plc_tx_frame(tx, &rq, psdu, 40, stream + 1000, 40000, &w);
    plc_tx_frame(tx, &rq, psdu, 40, stream + 30000, 40000, &w);
    plc_tx_destroy(tx);
    assert_int_equal(plc_samplefile_write(path, PLC_FMT_F32, stream, 60000), PLC_OK);
    return 60000;
}

static void run_port(plc_loop *loop, rx_ctx *c, const char *out)
{
    char err[256];
    plc_port *p = plc_port_file_create("port_in.f32", PLC_FMT_F32, out, PLC_FMT_F32, 4096, err,
                                       sizeof(err));
    assert_non_null(p);
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    cfg.callback = on_frame;
    cfg.user = c;
    c->rx = plc_rx_create(&cfg);
    assert_int_equal(plc_port_start(p, loop, sink, c), PLC_OK);
    const float burst[3] = {0.25f, -0.5f, 0.75f};
    assert_int_equal(plc_port_transmit(p, 5000, burst, 3), PLC_OK);
    plc_loop_run(loop, PLC_LOOP_FOREVER);
    assert_int_equal(plc_port_close(p), PLC_OK);
    plc_rx_destroy(c->rx);
}

static void test_virtual_time(void **s)
{
    (void)s;
    const size_t n = write_stream("port_in.f32");
    plc_loop *loop = plc_loop_virtual_create(4);
    rx_ctx c = {0};
    run_port(loop, &c, "port_out.f32");
    assert_true(c.ended);
    assert_int_equal(c.expect_first, n);
    assert_int_equal(c.chunks, (int)((n + 4095) / 4096) + 1);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.offsets[0], 1000);
    assert_int_equal(c.offsets[1], 30000);
    /* 60000 samples of loop time at 2.5 us each, plus the end-of-stream tick */
    assert_true(plc_loop_now_us(loop) >= 150000);
    plc_loop_destroy(loop);

    float *o;
    size_t on;
    char err[128];
    assert_int_equal(plc_samplefile_load("port_out.f32", PLC_FMT_F32, &o, &on, err, sizeof(err)), 0);
    assert_int_equal(on, 5003);
    assert_true(o[0] == 0.0f && o[4999] == 0.0f && o[5000] == 0.25f && o[5002] == 0.75f);
    free(o);
    remove("port_out.f32");
}

static void test_real_time_pacing(void **s)
{
    (void)s;
    write_stream("port_in.f32");
    plc_loop *loop = plc_loop_posix_create(4);
    rx_ctx c = {0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    run_port(loop, &c, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    const double wall = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    assert_true(wall >= 0.14); /* 60000 samples at 400 kS/s: 0.15 s */
    assert_int_equal(c.ok, 2);
    plc_loop_destroy(loop);
    remove("port_in.f32");
}

static void test_errors(void **s)
{
    (void)s;
    char err[256];
    assert_null(plc_port_file_create("/nonexistent/in.f32", PLC_FMT_F32, NULL, PLC_FMT_F32, 1024,
                                     err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/in.f32"));
    FILE *f = fopen("notwav.wav", "wb");
    fputs("this is not a wav file", f);
    fclose(f);
    assert_null(plc_port_file_create("notwav.wav", PLC_FMT_WAV, NULL, PLC_FMT_F32, 1024, err,
                                     sizeof(err)));
    assert_non_null(strstr(err, "WAV"));
    remove("notwav.wav");
    assert_null(plc_port_file_create(NULL, PLC_FMT_F32, NULL, PLC_FMT_F32, 0, err, sizeof(err)));
    plc_port *p = plc_port_file_create(NULL, PLC_FMT_F32, "/nonexistent/out.f32", PLC_FMT_F32,
                                       1024, err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(plc_port_transmit(p, 0, NULL, 5), PLC_ERR_ARG);
    assert_int_equal(plc_port_close(p), PLC_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_time),
        cmocka_unit_test(test_real_time_pacing),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
