/* On the target: TX -> white noise -> RX of every mode (ROBO, DBPSK, DQPSK, D8PSK; all 36
 * carriers and a partial tone map), four PSDUs each at 12 dB in-band SNR, every one decoded
 * bit-exact. Also measures what the figures need (docs/firmware.md): heap after creating
 * the transmitter and the receiver, and the receiver's instructions per second of signal
 * and per decoded frame, per mode (QEMU -icount: instructions, a proxy for cycles). Lines
 * starting "FIGURE" are read by scripts/firmware.sh. */
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
#include "plc_ofdm.h"
#include "plc_rx.h"
#include "plc_tx.h"
#include "test_util.h"

#define FRAMES 4
#define GAP 3000
#define MAXN (FRAMES * (80000 + GAP))

typedef struct got {
    unsigned ok;
    uint8_t psdu[FRAMES][255];
    size_t len[FRAMES];
    int match;
} got;

static void on_frame(const plc_rx_frame *f, void *user)
{
    got *g = user;
    if (f->status != PLC_RX_OK || g->ok >= FRAMES)
        return;
    g->match &= f->psdu_len >= g->len[g->ok] && !memcmp(f->psdu, g->psdu[g->ok], g->len[g->ok]);
    g->ok++;
}

static float line[MAXN];

static void one_mode(plc_modulation mod, unsigned tonemap, const char *name)
{
    static const size_t lens[FRAMES] = {20, 64, 100, 133};
    uint64_t seed = 12345 + (uint64_t)mod * 7 + tonemap;
    size_t heap0 = board_heap_in_use();
    plc_tx *tx = plc_tx_create(NULL);
    const size_t heap_tx = board_heap_in_use() - heap0;
    got g = {.match = 1};
    plc_rx_config rc;
    plc_rx_config_default(&rc);
    rc.callback = on_frame;
    rc.user = &g;
    heap0 = board_heap_in_use();
    plc_rx *rx = plc_rx_create(&rc);
    const size_t heap_rx = board_heap_in_use() - heap0;
    assert_non_null(tx);
    assert_non_null(rx);
    size_t n = 0;
    for (int k = 0; k < FRAMES; k++) {
        g.len[k] = lens[k];
        tu_rand_bytes(&seed, g.psdu[k], g.len[k]);
        const plc_tx_request rq = {.mod = mod, .tonemap = tonemap};
        size_t w = 0;
        const int rc_ = plc_tx_frame(tx, &rq, g.psdu[k], g.len[k], line + n, MAXN - n, &w);
        if (rc_ == PLC_ERR_LENGTH) { /* ROBO on a partial map holds fewer bytes */
            g.len[k] = 16;
            assert_int_equal(plc_tx_frame(tx, &rq, g.psdu[k], g.len[k], line + n, MAXN - n, &w),
                             PLC_OK);
        } else {
            assert_int_equal(rc_, PLC_OK);
        }
        n += w;
        memset(line + n, 0, GAP * sizeof(float));
        n += GAP;
    }
    /* 12 dB in-band SNR: the signal's in-band power 0.045, the noise's in-band share 36/128 */
    const double sigma = 0.1;
    for (size_t i = 0; i < n; i++)
        line[i] += (float)(sigma * tu_gauss(&seed));
    const uint64_t i0 = board_instructions();
    for (size_t i = 0; i < n; i += 256)
        assert_int_equal(plc_rx_push(rx, line + i, n - i < 256 ? n - i : 256), PLC_OK);
    plc_rx_flush(rx);
    const uint64_t spent = board_instructions() - i0;
    assert_int_equal(g.ok, FRAMES);
    assert_true(g.match);
    const double seconds = (double)n / 400000.0;
    printf("FIGURE rx %s tonemap=0x%02x signal_s=%.4f instr=%lu instr_per_s=%lu "
           "instr_per_frame=%lu heap_tx=%u heap_rx=%u\n",
           name, tonemap, seconds, (unsigned long)spent, (unsigned long)((double)spent / seconds),
           (unsigned long)(spent / FRAMES), (unsigned)heap_tx, (unsigned)heap_rx);
    plc_rx_destroy(rx);
    plc_tx_destroy(tx);
}

static void test_robo(void **st)
{
    (void)st;
    one_mode(PLC_MOD_ROBO, PLC_TONEMAP_ALL, "robo");
}

static void test_dbpsk(void **st)
{
    (void)st;
    one_mode(PLC_MOD_DBPSK, PLC_TONEMAP_ALL, "dbpsk");
}

static void test_dqpsk(void **st)
{
    (void)st;
    one_mode(PLC_MOD_DQPSK, PLC_TONEMAP_ALL, "dqpsk");
}

static void test_d8psk(void **st)
{
    (void)st;
    one_mode(PLC_MOD_D8PSK, PLC_TONEMAP_ALL, "d8psk");
}

static void test_partial_tonemap(void **st)
{
    (void)st;
    one_mode(PLC_MOD_DQPSK, 0x2D, "dqpsk_tm2d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robo),
        cmocka_unit_test(test_dbpsk),
        cmocka_unit_test(test_dqpsk),
        cmocka_unit_test(test_d8psk),
        cmocka_unit_test(test_partial_tonemap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
