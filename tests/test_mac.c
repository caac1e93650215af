/* The MAC on the simulated line (plc_macnet): data service, retries, duplicates, hidden
 * terminals, saturation, segmentation, tone map adaptation, security, malformed frames.
 * Abstract PHY unless the test says waveform. Node i has short address i. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_crc.h"
#include "plc_macnet.h"

static const char *topo_path = "test_mac_topo.txt";

/* n nodes on one pole, each at `drop` metres of side cable: every link about equal. */
static plc_medium_config star(unsigned n, double drop, int abstract)
{
    FILE *f = fopen(topo_path, "w");
    assert_non_null(f);
    fprintf(f, "segment 1 0 20\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "segment %u 1 %.1f\nnode %u %u\n", i + 2, drop, i, i + 2);
    fclose(f);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = topo_path;
    mc.abstract_phy = abstract;
    mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    return mc;
}

static plc_macnet *make(const plc_medium_config *mc, int security)
{
    char err[256];
    plc_macnet *n = plc_macnet_create(mc, security, 1, err, sizeof(err));
    if (!n)
        fail_msg("%s", err);
    return n;
}

static plc_mac_counters counters(plc_macnet *n, unsigned node)
{
    plc_mac_counters c;
    plc_mac_get_counters(plc_macnet_mac(n, node), &c);
    return c;
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed * 31u + i * 7u);
}

static void expect_last_rx(plc_macnet *n, unsigned node, uint16_t src, const uint8_t *msdu,
                           size_t len)
{
    uint16_t s = 0;
    size_t l = 0;
    const uint8_t *got = plc_macnet_last_rx(n, node, &s, &l);
    assert_non_null(got);
    assert_int_equal(s, src);
    assert_int_equal(l, len);
    assert_memory_equal(got, msdu, len);
}

static void test_unicast_ack(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 50, 1);
    plc_macnet *n = make(&mc, 0);
    uint8_t msdu[30];
    fill(msdu, sizeof(msdu), 1);
    assert_int_equal(plc_macnet_send(n, 1, 0, msdu, sizeof(msdu)), PLC_MAC_SUCCESS);
    plc_macnet_run(n, 2.0);
    assert_int_equal(plc_macnet_stats(n, 1)->ok, 1);
    expect_last_rx(n, 0, 1, msdu, sizeof(msdu));
    const plc_mac_counters s = counters(n, 1), r = counters(n, 0);
    assert_int_equal(s.tx_retries, 0);
    assert_int_equal(s.tx_msdu_ok, 1);
    /* the data frame and the tone map response each got one ACK */
    assert_int_equal(r.tx_acks, 1);
    assert_int_equal(s.tx_acks, 1);
    assert_int_equal(r.rx_msdu, 1);
    assert_int_equal(s.tonemap_responses, 1);
    /* a broadcast reaches the other node without an ACK */
    assert_int_equal(plc_macnet_send(n, 0, PLC_MAC_BROADCAST, msdu, 10), PLC_MAC_SUCCESS);
    plc_macnet_run(n, 4.0);
    expect_last_rx(n, 1, 0, msdu, 10);
    assert_int_equal(counters(n, 1).tx_acks, 1);
    plc_macnet_destroy(n);
}

static void test_lost_ack_retry_duplicate(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 50, 1);
    plc_macnet *n = make(&mc, 0);
    uint8_t msdu[40];
    fill(msdu, sizeof(msdu), 2);
    plc_macnet_drop_acks(n, 1, 1); /* the sender misses the first ACK */
    plc_macnet_send(n, 1, 0, msdu, sizeof(msdu));
    plc_macnet_run(n, 3.0);
    assert_int_equal(plc_macnet_stats(n, 1)->ok, 1);
    const plc_mac_counters s = counters(n, 1), r = counters(n, 0);
    assert_int_equal(s.tx_retries, 1);
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.rx_msdu, 1); /* delivered once */
    assert_int_equal(plc_macnet_rx_count(n, 0), 1);
    assert_int_equal(r.tx_acks, 2); /* the frame and its copy */
    /* every ACK lost: NO_ACK after 1 + max_frame_retries attempts */
    plc_macnet_drop_acks(n, 1, 100);
    plc_macnet_send(n, 1, 0, msdu, 20);
    plc_macnet_run(n, 10.0);
    assert_int_equal(plc_macnet_stats(n, 1)->status[-PLC_MAC_NO_ACK], 1);
    assert_int_equal(counters(n, 1).tx_retries, 1 + 5);
    plc_macnet_destroy(n);
}

/* A and C are 1.2 km apart and cannot hear each other; B sits in the middle. */
static void test_hidden_terminal(void **st)
{
    (void)st;
    FILE *f = fopen(topo_path, "w");
    assert_non_null(f);
    fprintf(f, "segment 1 0 600\nsegment 2 1 600\nsegment 3 0 1\nnode 0 1\nnode 1 3\nnode 2 2\n");
    fclose(f);
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = topo_path;
    mc.abstract_phy = 1;
    mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    plc_macnet *n = make(&mc, 0);
    const plc_medium *m = plc_macnet_medium(n);
    /* node 0 = B (middle), 1 = A, 2 = C */
    assert_true(plc_medium_link_snr_db(m, 1, 2) < PLC_MEDIUM_CS_SNR_DB);
    assert_true(plc_medium_link_snr_db(m, 1, 0) > 5.0);
    assert_true(plc_medium_link_snr_db(m, 2, 0) > 5.0);
    plc_macnet_saturate(n, 1, 0, 100);
    plc_macnet_saturate(n, 2, 0, 100);
    plc_macnet_run(n, 60.0);
    plc_macnet_saturate(n, 1, 0, 0);
    plc_macnet_saturate(n, 2, 0, 0);
    plc_macnet_run(n, 70.0);
    const plc_mac_counters a = counters(n, 1), c = counters(n, 2);
    const plc_macnet_node_stats *sa = plc_macnet_stats(n, 1), *sc = plc_macnet_stats(n, 2);
    /* carrier sense cannot help: frames collide at B and cost retries; retries with a
     * growing window still get most through, to both senders alike. An MSDU B received
     * whose every ACK was lost counts as failed at the sender and delivered at B. */
    assert_true(a.tx_retries > 20 && c.tx_retries > 20);
    assert_true(sa->delivered > 50 && sc->delivered > 50);
    assert_true(sa->ok + sc->ok >= 0.75 * (double)(sa->ok + sa->failed + sc->ok + sc->failed));
    assert_true(sa->delivered >= sa->ok && sc->delivered >= sc->ok);
    assert_int_equal(counters(n, 0).rx_msdu, sa->delivered + sc->delivered);
    plc_macnet_destroy(n);
}

static void test_saturation_in_range(void **st)
{
    (void)st;
    const unsigned senders = 8;
    plc_medium_config mc = star(senders + 1, 30, 1);
    plc_macnet *n = make(&mc, 0);
    for (unsigned i = 1; i <= senders; i++)
        plc_macnet_saturate(n, i, 0, 100);
    plc_macnet_run(n, 120.0);
    double sum = 0, sq = 0;
    uint64_t busy = 0, ok = 0, failed = 0;
    for (unsigned i = 1; i <= senders; i++) {
        const plc_macnet_node_stats *s = plc_macnet_stats(n, i);
        sum += (double)s->delivered;
        sq += (double)s->delivered * (double)s->delivered;
        ok += s->ok;
        failed += s->failed;
        busy += counters(n, i).csma_busy;
        assert_true(s->delivered >= s->ok);       /* every confirmed MSDU arrived */
        /* every request is confirmed except the one in progress */
        assert_int_equal(s->ok + s->failed + 1, s->requests);
        /* collisions did not leave anyone in ROBO: the tone map says D8PSK (40 dB links) */
        assert_int_equal(plc_mac_neighbour_get(plc_macnet_mac(n, i), 0)->mod, PLC_MOD_D8PSK);
    }
    assert_true(busy > 100); /* carrier sense deferred them */
    assert_int_equal(counters(n, 0).rx_msdu, (uint64_t)sum);
    /* a fair share each (Jain's index), hardly any MSDU lost, and the medium well used: one
     * sender alone delivers about 12 of these MSDUs a second (bench_mac measures the rest) */
    assert_true(sum * sum / (senders * sq) > 0.95);
    assert_true(failed * 100 <= ok);
    assert_true(sum > 0.7 * 12 * 120);
    plc_macnet_destroy(n);
}

static void send_and_check(plc_macnet *n, unsigned from, unsigned to, size_t len, unsigned seed,
                           double run_s)
{
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    fill(msdu, len, seed);
    const uint64_t before = plc_macnet_stats(n, from)->ok;
    assert_int_equal(plc_macnet_send(n, from, (uint16_t)to, msdu, len), PLC_MAC_SUCCESS);
    plc_macnet_run(n, plc_macnet_now_s(n) + run_s);
    assert_int_equal(plc_macnet_stats(n, from)->ok, before + 1);
    expect_last_rx(n, to, (uint16_t)from, msdu, len);
}

/* Waveform PHY: a 400-byte MSDU in ROBO (no tone map yet: 4 segments) and, once the
 * receiver's tone map response arrived, in D8PSK (2 segments). */
static void test_segmentation_waveform(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 30, 0);
    plc_macnet *n = make(&mc, 1);
    plc_mac_counters c0 = counters(n, 1);
    send_and_check(n, 1, 0, 400, 3, 3.0);
    plc_mac_counters c1 = counters(n, 1);
    assert_int_equal(c1.tx_frames - c0.tx_frames, 4); /* ROBO: 4 segments, no retry */
    const plc_mac_neighbour *nb = plc_mac_neighbour_get(plc_macnet_mac(n, 1), 0);
    assert_non_null(nb);
    assert_int_equal(nb->mod, PLC_MOD_D8PSK); /* 40+ dB link */
    assert_int_equal(nb->tonemap, PLC_TONEMAP_ALL);
    send_and_check(n, 1, 0, 400, 4, 2.0);
    plc_mac_counters c2 = counters(n, 1);
    assert_int_equal(c2.tx_frames - c1.tx_frames, 2);
    assert_int_equal(counters(n, 0).decryption_errors, 0);
    plc_macnet_destroy(n);
}

static void test_tonemap_adaptation(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 100, 1);
    plc_macnet *n = make(&mc, 0);
    plc_medium *m = plc_macnet_medium(n);
    const plc_mac_neighbour *nb;
    send_and_check(n, 1, 0, 50, 5, 2.0);
    nb = plc_mac_neighbour_get(plc_macnet_mac(n, 1), 0);
    assert_int_equal(nb->mod, PLC_MOD_D8PSK);
    /* noise up by 26 dB: about 4 dB of SNR left, D8PSK frames fail, the link falls back to
     * ROBO, asks again and settles on DBPSK */
    assert_true(plc_medium_link_snr_db(m, 1, 0) > 29.0);
    assert_int_equal(plc_medium_set_noise_level(m, mc.noise_level * 20.0), 0);
    const double snr = plc_medium_link_snr_db(m, 1, 0);
    assert_true(snr > 3.5 && snr < 7.0);
    for (unsigned k = 0; k < 4; k++) {
        uint8_t msdu[50];
        fill(msdu, sizeof(msdu), 10 + k);
        plc_macnet_send(n, 1, 0, msdu, sizeof(msdu));
        plc_macnet_run(n, plc_macnet_now_s(n) + 5.0);
    }
    assert_true(plc_macnet_stats(n, 1)->status[-PLC_MAC_NO_ACK] >= 1);
    nb = plc_mac_neighbour_get(plc_macnet_mac(n, 1), 0);
    assert_int_equal(nb->mod, PLC_MOD_DBPSK);
    send_and_check(n, 1, 0, 50, 20, 3.0);
    /* and back up when the noise goes away: the map is asked for again in the second half
     * of its validity (300 s of 600), not before */
    plc_medium_set_noise_level(m, mc.noise_level);
    const double quiet_from = plc_macnet_now_s(n);
    plc_macnet_run(n, quiet_from + 200.0);
    send_and_check(n, 1, 0, 50, 22, 3.0);
    nb = plc_mac_neighbour_get(plc_macnet_mac(n, 1), 0);
    assert_int_equal(nb->mod, PLC_MOD_DBPSK); /* still valid: no tone map request */
    plc_macnet_run(n, quiet_from + 301.0);
    send_and_check(n, 1, 0, 50, 21, 3.0); /* in DBPSK, with a tone map request */
    nb = plc_mac_neighbour_get(plc_macnet_mac(n, 1), 0);
    assert_int_equal(nb->mod, PLC_MOD_D8PSK);
    plc_macnet_destroy(n);
}

static void test_replay_and_tamper(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 50, 1);
    plc_macnet *n = make(&mc, 1);
    send_and_check(n, 1, 0, 30, 6, 2.0);
    size_t len;
    const uint8_t *p = plc_macnet_last_tx_psdu(n, 1, &len);
    assert_non_null(p);
    uint8_t old[255];
    memcpy(old, p, len);
    const size_t old_len = len;
    send_and_check(n, 1, 0, 30, 7, 2.0);
    plc_mac_counters r0 = counters(n, 0);
    const uint64_t rx0 = plc_macnet_rx_count(n, 0);
    /* replay of the first frame: its sequence number is forgotten after the duplicate TTL */
    plc_macnet_run(n, plc_macnet_now_s(n) + 6.0);
    plc_macnet_inject(n, 0, old, old_len);
    plc_mac_counters r1 = counters(n, 0);
    assert_int_equal(r1.replays, r0.replays + 1);
    assert_int_equal(plc_macnet_rx_count(n, 0), rx0);
    /* tamper: one ciphertext bit of the newest frame, counter made fresh, FCS fixed */
    p = plc_macnet_last_tx_psdu(n, 1, &len);
    uint8_t t[255];
    memcpy(t, p, len);
    const size_t sl = (size_t)((t[1] & 3) << 8 | t[2]);
    const size_t aux = 3 + 9;    /* segment control + MHR before the auxiliary header */
    t[aux + 1] += 10;            /* frame counter (little endian): above the last */
    t[aux + 6] ^= 0x01;          /* first payload byte */
    t[3 + 2] ^= 0x80;            /* a new sequence number so it is not a duplicate */
    const uint16_t fcs = plc_crc16_xmodem(t + 3, sl - 2);
    t[3 + sl - 2] = (uint8_t)fcs;
    t[3 + sl - 1] = (uint8_t)(fcs >> 8);
    plc_macnet_inject(n, 0, t, len);
    plc_macnet_run(n, plc_macnet_now_s(n) + 0.5);
    plc_mac_counters r2 = counters(n, 0);
    assert_int_equal(r2.decryption_errors, r1.decryption_errors + 1);
    assert_int_equal(r2.tx_nacks, r1.tx_nacks + 1); /* a NACK went back */
    assert_int_equal(plc_macnet_rx_count(n, 0), rx0);
    plc_macnet_destroy(n);
}

static void test_malformed_counted(void **st)
{
    (void)st;
    plc_medium_config mc = star(2, 50, 1);
    plc_macnet *n = make(&mc, 0);
    send_and_check(n, 1, 0, 20, 8, 2.0);
    size_t len;
    const uint8_t *p = plc_macnet_last_tx_psdu(n, 1, &len);
    uint8_t b[255];
    plc_mac_counters c0 = counters(n, 0);
    memcpy(b, p, len);
    b[10] ^= 0xFF; /* FCS no longer matches */
    plc_macnet_inject(n, 0, b, len);
    memcpy(b, p, len);
    b[1] |= 3;
    b[2] = 0xFF; /* segment length beyond the PSDU */
    plc_macnet_inject(n, 0, b, len);
    memcpy(b, p, len);
    b[0] |= 0x80; /* reserved bit */
    plc_macnet_inject(n, 0, b, len);
    plc_macnet_inject(n, 0, b, 2); /* shorter than a segment control */
    plc_mac_counters c1 = counters(n, 0);
    assert_int_equal(c1.fcs_errors, c0.fcs_errors + 1);
    assert_int_equal(c1.malformed, c0.malformed + 3);
    assert_int_equal(c1.rx_msdu, c0.rx_msdu);
    plc_macnet_destroy(n);
}

static void test_unicast_waveform(void **st)
{
    (void)st;
    plc_medium_config mc = star(3, 40, 0);
    plc_macnet *n = make(&mc, 0);
    send_and_check(n, 2, 0, 100, 9, 2.0);
    send_and_check(n, 0, 1, 60, 10, 2.0);
    assert_int_equal(counters(n, 2).tx_retries, 0);
    plc_macnet_destroy(n);
}

/* 300 meters one hop from the concentrator, secured, each reading once per 5 minutes:
 * every MSDU arrives. Before the neighbour table was sized by configuration and anti-replay
 * kept apart from it, 256 of these 1200 arrived (a source without an entry was a replay). */
static unsigned scale_rx;
static void scale_app(void *user, const plc_mac_data_indication *ind)
{
    (void)user;
    scale_rx += ind->secured;
}

static void test_scale_secured(void **st)
{
    (void)st;
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.topology_file = PLC_SOURCE_DIR "/sim/topologies/flats300.txt";
    mc.abstract_phy = 1;
    mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    plc_macnet *n = make(&mc, 1);
    assert_int_equal(plc_macnet_nodes(n), 301);
    scale_rx = 0;
    plc_macnet_set_app(n, 0, scale_app, NULL);
    uint8_t msdu[64];
    for (unsigned round = 0; round < 2; round++)
        for (unsigned i = 1; i <= 300; i++) {
            plc_macnet_run(n, round * 300.0 + i * 1.0);
            fill(msdu, sizeof(msdu), i);
            assert_int_equal(plc_macnet_send(n, i, 0, msdu, sizeof(msdu)), PLC_OK);
        }
    plc_macnet_run(n, 700.0);
    uint64_t ok = 0;
    for (unsigned i = 1; i <= 300; i++)
        ok += plc_macnet_stats(n, i)->ok;
    assert_int_equal(ok, 600);
    assert_int_equal(scale_rx, 600);
    assert_int_equal(counters(n, 0).replays, 0);
    plc_macnet_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unicast_ack),
        cmocka_unit_test(test_lost_ack_retry_duplicate),
        cmocka_unit_test(test_hidden_terminal),
        cmocka_unit_test(test_saturation_in_range),
        cmocka_unit_test(test_segmentation_waveform),
        cmocka_unit_test(test_tonemap_adaptation),
        cmocka_unit_test(test_replay_and_tamper),
        cmocka_unit_test(test_malformed_counted),
        cmocka_unit_test(test_unicast_waveform),
        cmocka_unit_test(test_scale_secured),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove(topo_path);
    return rc;
}
