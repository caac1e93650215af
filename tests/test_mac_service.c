/* The MAC's service contract, against a scripted PHY (every request it makes is logged with
 * the loop time; frames are handed to it as a PHY would) and on the simulated line:
 * every request ends in a confirm, segments follow the tone mask, the frame counter
 * survives a restart, reassembly never loses an ACKed segment, the PHY's failed-payload
 * indications apply EIFS, ACKs go aRIFS after the end of the frame, the PIB is checked,
 * unauthenticated frames cannot steer a link, anti-replay works without table room, beacons
 * are sent only with a route to the coordinator and answers are jittered and suppressed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_crc.h"
#include "plc_mac.h"
#include "plc_macnet.h"
#include "plc_medium.h"

/* ---- a scripted PHY ---- */
#define LOG 256

typedef struct fake_tx {
    plc_tx_request rq;
    uint8_t psdu[255];
    size_t len;
    uint64_t at_us, t_us; /* asked for, asked when */
} fake_tx;

typedef struct fake_phy {
    plc_loop *loop;
    plc_phy_user user;
    plc_tx *tx;        /* checks frames as the waveform PHY would (tone mask) */
    int refuse;        /* every request returns this when non-zero */
    int busy;
    int sending;
    plc_timer done;
    fake_tx log[LOG];
    unsigned n;
} fake_phy;

static void fake_done(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    fake_phy *p = user;
    p->sending = 0;
    if (p->user.tx_confirm)
        p->user.tx_confirm(p->user.user, PLC_OK);
}

static int fake_tx_request(void *phy, const plc_tx_request *rq, const uint8_t *psdu, size_t len,
                           uint64_t at_us)
{
    fake_phy *p = phy;
    if (p->sending)
        return PLC_ERR_BUSY;
    if (p->refuse)
        return p->refuse;
    const long samples = plc_tx_frame_samples(p->tx, rq, len);
    if (samples < 0)
        return (int)samples;
    fake_tx *l = &p->log[p->n++ % LOG];
    l->rq = *rq;
    l->len = psdu ? len : 0;
    if (psdu)
        memcpy(l->psdu, psdu, len);
    const uint64_t now = plc_loop_now_us(p->loop);
    l->at_us = at_us;
    l->t_us = now;
    p->sending = 1;
    plc_timer_start_at(p->loop, &p->done,
                       (at_us > now ? at_us : now) + plc_medium_us_of((uint64_t)samples));
    return PLC_OK;
}

static int fake_busy(void *phy)
{
    const fake_phy *p = phy;
    return p->busy || p->sending;
}

static void fake_set_user(void *phy, const plc_phy_user *u)
{
    fake_phy *p = phy;
    p->user = u ? *u : (plc_phy_user){0};
}

static const plc_phy_ops fake_ops = {fake_tx_request, fake_busy, fake_set_user, NULL};

static void fake_init(fake_phy *p, plc_loop *loop, uint64_t tonemask)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    plc_tx_config tc;
    plc_tx_config_default(&tc);
    tc.tonemask = tonemask;
    p->tx = plc_tx_create(&tc);
    assert_non_null(p->tx);
    plc_timer_init(&p->done, fake_done, p);
}

static void fake_fini(fake_phy *p)
{
    plc_timer_stop(p->loop, &p->done);
    plc_tx_destroy(p->tx);
}

/* Hands the MAC a frame as the PHY would: it ended at end_us, snr_db on every carrier. */
static void fake_deliver_snr(fake_phy *p, const uint8_t *psdu, size_t len, uint64_t end_us,
                             int status, float snr_db)
{
    float snr[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        snr[c] = snr_db;
    const plc_phy_rx_ind ind = {.status = (uint8_t)status, .dt = PLC_DT_SOF_RESPONSE,
                                .mod = PLC_MOD_ROBO, .tonemap = PLC_TONEMAP_ALL,
                                .psdu = status ? NULL : psdu, .psdu_len = status ? 0 : len,
                                .end_us = end_us, .snr_db = snr_db, .carrier_snr_db = snr,
                                .lqi = 120};
    p->user.rx_indication(p->user.user, &ind);
}

static void fake_deliver(fake_phy *p, const uint8_t *psdu, size_t len, uint64_t end_us, int status)
{
    fake_deliver_snr(p, psdu, len, end_us, status, 20.0f);
}

/* ---- building frames to hand in ---- */
static const uint8_t gmk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* A frame from src to dst, segment sc of a train (lsf: the last), secured with frame
 * counter fc when sec is given. Returns the PSDU length (no padding). */
static size_t make_psdu(uint8_t *psdu, uint16_t src, uint16_t dst, uint8_t seq, unsigned sc,
                        int lsf, const uint8_t *payload, size_t n, plc_mac_sec *sec, uint32_t fc,
                        uint8_t type)
{
    memset(psdu, 0, 255);
    plc_mac_frame f;
    memset(&f, 0, sizeof(f));
    f.type = type;
    f.seq = seq;
    f.src.mode = f.dst.mode = PLC_MAC_ADDR_SHORT;
    f.src.short_addr = src;
    f.dst.short_addr = dst;
    f.src_pan = f.dst_pan = 0x781D;
    f.panid_compression = 1;
    f.ack_request = dst != PLC_MAC_BROADCAST;
    f.seg.sc = (uint8_t)sc;
    f.seg.lsf = (uint8_t)lsf;
    f.seg.cc = (uint8_t)!lsf;
    uint8_t body[300];
    memcpy(body, payload, n);
    size_t plen = n;
    if (sec) {
        f.security = 1;
        f.sec_level = PLC_MAC_SEC_ENC_MIC32;
        f.frame_counter = fc;
        uint8_t hdr[PLC_MAC_MAX_HEADER], nonce[PLC_MAC_NONCE_LEN];
        size_t hl;
        assert_int_equal(plc_mac_header_encode(&f, hdr, sizeof(hdr), &hl), PLC_OK);
        plc_mac_nonce(plc_mac_nonce_addr_short(0x781D, src), fc, f.sec_level, nonce);
        assert_int_equal(plc_mac_sec_encrypt(sec, 0, nonce, sizeof(nonce), hdr, hl, body, n,
                                             body + n, PLC_MAC_MIC_LEN),
                         PLC_OK);
        plen += PLC_MAC_MIC_LEN;
    }
    f.payload = body;
    f.payload_len = plen;
    size_t len;
    assert_int_equal(plc_mac_frame_encode(&f, psdu + 3, 252, &len), PLC_OK);
    f.seg.sl = (uint16_t)len;
    plc_mac_segctl_write(&f.seg, psdu);
    return len + 3;
}

/* The FCS of a PSDU's frame, as an ACK carries it. */
static uint16_t psdu_fcs(const uint8_t *psdu)
{
    plc_mac_frame f;
    assert_int_equal(plc_mac_psdu_decode(psdu, 255, &f), PLC_OK);
    return f.fcs;
}

/* ---- a MAC on the scripted PHY ---- */
typedef struct rig {
    plc_loop *loop;
    fake_phy phy;
    plc_mac *mac;
    plc_mac_sec *sec;
    int confirms, last_status;
    int status_count[PLC_ERR_MAX_CODE + 1];
    int delivered;
    size_t last_len;
    uint16_t last_src;
    uint64_t last_src_ext;
    int last_secured;
} rig;

static void rig_confirm(void *user, uint8_t handle, int status)
{
    (void)handle;
    rig *r = user;
    r->confirms++;
    r->last_status = status;
    r->status_count[-status]++;
}

static void rig_indication(void *user, const plc_mac_data_indication *ind)
{
    rig *r = user;
    r->delivered++;
    r->last_len = ind->len;
    r->last_src = ind->src;
    r->last_src_ext = ind->src_ext;
    r->last_secured = ind->secured;
}

static void rig_open(rig *r, const plc_mac_pib *pib, unsigned timers, int secure)
{
    memset(r, 0, sizeof(*r));
    r->loop = plc_loop_virtual_create(timers);
    assert_non_null(r->loop);
    fake_init(&r->phy, r->loop, pib->tonemask);
    if (secure) {
        r->sec = plc_mac_sec_create();
        assert_int_equal(plc_mac_sec_set_key(r->sec, 0, gmk), PLC_OK);
    }
    const plc_mac_callbacks cb = {.confirm = rig_confirm, .indication = rig_indication, .user = r};
    r->mac = plc_mac_create(pib, 5, r->loop, (plc_phy_service){&fake_ops, &r->phy}, r->sec, &cb);
    assert_non_null(r->mac);
}

static void rig_close(rig *r)
{
    plc_mac_destroy(r->mac);
    fake_fini(&r->phy);
    plc_mac_sec_destroy(r->sec);
    plc_loop_destroy(r->loop);
}

static plc_mac_pib node_pib(uint16_t addr)
{
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.short_addr = addr;
    return pib;
}

static int send(rig *r, uint16_t dst, size_t len)
{
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    for (size_t i = 0; i < len; i++)
        msdu[i] = (uint8_t)(i * 13u);
    const plc_mac_data_req rq = {.dst = dst, .msdu = msdu, .len = len};
    return plc_mac_data_request(r->mac, &rq);
}

static void run_for(rig *r, uint64_t us)
{
    plc_loop_run(r->loop, plc_loop_now_us(r->loop) + us);
}

/* Hands a PSDU in as ending now, then lets 100 ms pass (the MAC answers). */
static void hand_in(rig *r, const uint8_t *psdu)
{
    fake_deliver(&r->phy, psdu, 255, plc_loop_now_us(r->loop), PLC_PHY_RX_OK);
    run_for(r, 100000);
}

/* ---- every request ends in a confirm ---- */
static void test_phy_refusal_confirms(void **st)
{
    (void)st;
    rig r;
    const plc_mac_pib pib = node_pib(1);
    rig_open(&r, &pib, 64, 0);
    r.phy.refuse = PLC_ERR_LENGTH;
    assert_int_equal(send(&r, 0, 40), PLC_OK);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 40), PLC_OK);
    run_for(&r, 2000000);
    /* before: the MAC retried a refused frame forever, no confirm, the queue stalled */
    assert_int_equal(r.confirms, 2);
    assert_int_equal(r.status_count[-PLC_MAC_PHY_REFUSED], 2);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.phy_refused, 2);
    assert_int_equal(plc_mac_queue_length(r.mac), 0);
    assert_string_equal(plc_strerror(PLC_MAC_PHY_REFUSED), "the PHY refused the frame");
    /* once the PHY takes frames again the queue moves */
    r.phy.refuse = 0;
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 40), PLC_OK);
    run_for(&r, 2000000);
    assert_int_equal(r.confirms, 3);
    assert_int_equal(r.last_status, PLC_OK);
    rig_close(&r);
}

static void hog_fn(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    (void)user;
}

static void test_queue_and_timer_limits(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(1);
    pib.queue_size = 2;
    rig_open(&r, &pib, 64, 0);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 10), PLC_OK);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 10), PLC_OK);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 10), PLC_MAC_TRANSACTION_OVERFLOW);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.queue_overflows, 1);
    run_for(&r, 3000000);
    assert_int_equal(r.confirms, 2);
    rig_close(&r);
    /* a timer heap with no room: the request is confirmed with PLC_ERR_FULL, not lost */
    pib = node_pib(1);
    rig_open(&r, &pib, 64, 0);
    plc_timer hog[65];
    unsigned k = 0;
    for (; k < 65; k++) {
        plc_timer_init(&hog[k], hog_fn, NULL);
        if (plc_timer_start_at(r.loop, &hog[k], 100000000) != PLC_OK)
            break;
    }
    assert_int_equal(k, 64); /* the heap is full */
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 10), PLC_OK);
    assert_int_equal(r.confirms, 1);
    assert_int_equal(r.last_status, PLC_ERR_FULL);
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.timer_failures, 1);
    for (unsigned i = 0; i < k; i++)
        plc_timer_stop(r.loop, &hog[i]);
    rig_close(&r);
}

/* With a tone mask notching carriers the PHY has fewer carriers per symbol: segments sized
 * for all 36 did not fit and the PHY refused them. */
static void test_segments_follow_tonemask(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(1);
    pib.tonemask = PLC_TONEMASK_ALL & ~0x0FFFull; /* first 12 carriers notched */
    rig_open(&r, &pib, 64, 0);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 400), PLC_OK);
    run_for(&r, 20000000);
    assert_int_equal(r.confirms, 1);
    assert_int_equal(r.last_status, PLC_OK);
    assert_true(r.phy.n > 1); /* segmented */
    for (unsigned i = 0; i < r.phy.n; i++)
        assert_true(plc_tx_frame_samples(r.phy.tx, &r.phy.log[i].rq, r.phy.log[i].len) > 0);
    rig_close(&r);
}

/* ---- PIB ---- */
static void test_pib_checked(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(1);
    rig_open(&r, &pib, 64, 0);
    plc_mac_pib p;
    plc_mac_get_pib(r.mac, &p);
    p.max_be = 40; /* 1u << 40 is undefined */
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    assert_int_equal(p.max_be, 8); /* nothing changed */
    p.min_be = 9;
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    p.tonemask = 0;
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    p.tonemask = 1ull << 40; /* only carriers that do not exist */
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    p.neighbour_table_size = 500; /* fixed at create */
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    p.key_index = 2;
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_ERR_ARG);
    plc_mac_get_pib(r.mac, &p);
    p.max_frame_retries = 2;
    p.csma_scheme = PLC_MAC_CSMA_ADAPTIVE;
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_OK);
    plc_mac_get_pib(r.mac, &p);
    assert_int_equal(p.max_frame_retries, 2);
    pib.max_be = 32;
    assert_null(plc_mac_create(&pib, 1, r.loop, (plc_phy_service){&fake_ops, &r.phy}, NULL, NULL));
    rig_close(&r);
}

/* ---- ACK timing and EIFS ---- */
static void test_ack_after_frame_end(void **st)
{
    (void)st;
    rig r;
    const plc_mac_pib pib = node_pib(0);
    rig_open(&r, &pib, 64, 0);
    run_for(&r, 1000000);
    uint8_t psdu[255] = {0}, data[20] = {7};
    make_psdu(psdu, 5, 0, 1, 0, 1, data, sizeof(data), NULL, 0, PLC_MAC_DATA);
    /* the PHY reports the frame 3 ms after it ended (decoding latency) */
    const uint64_t end = plc_loop_now_us(r.loop) - 3000;
    fake_deliver(&r.phy, psdu, sizeof(psdu), end, PLC_PHY_RX_OK);
    run_for(&r, 100000);
    assert_int_equal(r.delivered, 1);
    assert_true(r.phy.n >= 1);
    const fake_tx *ack = &r.phy.log[0];
    assert_int_equal(ack->rq.dt, PLC_DT_ACK);
    assert_int_equal(ack->rq.ack_fcs, psdu_fcs(psdu));
    /* before: RIFS after the indication (3 ms late) */
    assert_int_equal(ack->at_us, end + PLC_MAC_RIFS_US);
    assert_int_equal(ack->t_us, end + PLC_MAC_RIFS_US);
    rig_close(&r);
}

static void test_payload_failed_applies_eifs(void **st)
{
    (void)st;
    rig r;
    const plc_mac_pib pib = node_pib(1);
    rig_open(&r, &pib, 64, 0);
    run_for(&r, 1000000);
    const uint64_t end = plc_loop_now_us(r.loop);
    fake_deliver(&r.phy, NULL, 0, end, PLC_PHY_RX_PAYLOAD_FAILED);
    assert_int_equal(send(&r, PLC_MAC_BROADCAST, 10), PLC_OK);
    run_for(&r, 2000000);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.rx_payload_failed, 1);
    assert_int_equal(r.phy.n, 1);
    assert_true(r.phy.log[0].t_us >= end + PLC_MAC_EIFS_US);
    rig_close(&r);
}

/* Both PHYs report a frame whose header decoded but whose payload did not. */
static unsigned failed_seen;
static void count_failed(void *user, const plc_phy_rx_ind *ind)
{
    (void)user;
    failed_seen += ind->status == PLC_PHY_RX_PAYLOAD_FAILED;
    if (ind->status == PLC_PHY_RX_PAYLOAD_FAILED)
        assert_null(ind->psdu);
}

static void test_phy_reports_payload_failure(void **st)
{
    (void)st;
    for (int abstract = 0; abstract <= 1; abstract++) {
        /* D8PSK over a link where ROBO's header still decodes: 1-6 dB */
        plc_loop *loop = NULL;
        plc_medium *m = NULL;
        for (unsigned len_m = 500; len_m <= 3000; len_m += 100) {
            FILE *f = fopen("test_mac_service_topo.txt", "w");
            assert_non_null(f);
            fprintf(f, "segment 1 0 %u\nnode 0 0\nnode 1 1\n", len_m);
            fclose(f);
            plc_medium_config mc;
            plc_medium_config_default(&mc);
            mc.topology_file = "test_mac_service_topo.txt";
            mc.abstract_phy = abstract;
            mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
            loop = plc_loop_virtual_create(PLC_MEDIUM_TIMERS(2) + 8);
            char err[200];
            m = plc_medium_create(&mc, loop, err, sizeof(err));
            assert_non_null(m);
            remove("test_mac_service_topo.txt");
            const double snr = plc_medium_link_snr_db(m, 0, 1);
            if (snr > 1.0 && snr < 6.0)
                break;
            plc_medium_destroy(m);
            plc_loop_destroy(loop);
            m = NULL;
        }
        assert_non_null(m);
        plc_phy_service tx = plc_medium_phy(m, 0), rx = plc_medium_phy(m, 1);
        const plc_phy_user u = {.rx_indication = count_failed};
        rx.ops->set_user(rx.phy, &u);
        failed_seen = 0;
        uint8_t psdu[100];
        memset(psdu, 0x5A, sizeof(psdu));
        const plc_tx_request rq = {.mod = PLC_MOD_D8PSK, .tonemap = PLC_TONEMAP_ALL,
                                   .dt = PLC_DT_SOF_NO_RESPONSE};
        for (int i = 0; i < 10; i++) {
            assert_int_equal(tx.ops->tx_request(tx.phy, &rq, psdu, sizeof(psdu), PLC_PHY_NOW),
                             PLC_OK);
            plc_loop_run(loop, plc_loop_now_us(loop) + 200000);
        }
        assert_true(failed_seen >= 8);
        plc_medium_destroy(m);
        plc_loop_destroy(loop);
    }
}

/* ---- reassembly never loses an ACKed segment ---- */
static unsigned count_dt(const rig *r, unsigned from, uint8_t dt)
{
    unsigned k = 0;
    for (unsigned i = from; i < r->phy.n; i++)
        k += r->phy.log[i].rq.dt == dt;
    return k;
}

static void test_reassembly_refusals_nacked(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(0);
    pib.reassembly_trains = 4;
    pib.reassembly_timeout_ms = 1000;
    rig_open(&r, &pib, 64, 0);
    uint8_t psdu[255], data[30];
    memset(data, 3, sizeof(data));
    /* first segments of five trains: four are taken, the fifth NACKed */
    for (uint16_t src = 1; src <= 5; src++) {
        make_psdu(psdu, src, 0, 10, 0, 0, data, sizeof(data), NULL, 0, PLC_MAC_DATA);
        hand_in(&r, psdu);
    }
    assert_int_equal(count_dt(&r, 0, PLC_DT_ACK), 4);
    assert_int_equal(count_dt(&r, 0, PLC_DT_NACK), 1); /* before: ACKed, then dropped */
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.reassembly_refused, 1);
    /* out of order: segment 2 after segment 0 */
    unsigned mark = r.phy.n;
    make_psdu(psdu, 1, 0, 11, 2, 1, data, sizeof(data), NULL, 0, PLC_MAC_DATA);
    hand_in(&r, psdu);
    assert_int_equal(count_dt(&r, mark, PLC_DT_NACK), 1);
    /* in order: segment 1 (last) of train 2 completes it */
    mark = r.phy.n;
    make_psdu(psdu, 2, 0, 12, 1, 1, data, sizeof(data), NULL, 0, PLC_MAC_DATA);
    hand_in(&r, psdu);
    assert_int_equal(count_dt(&r, mark, PLC_DT_ACK), 1);
    assert_int_equal(r.delivered, 1);
    assert_int_equal(r.last_len, 60);
    /* timed out: train 3's last segment after the reassembly timeout is NACKed */
    run_for(&r, 1100000);
    mark = r.phy.n;
    make_psdu(psdu, 3, 0, 13, 1, 1, data, sizeof(data), NULL, 0, PLC_MAC_DATA);
    hand_in(&r, psdu);
    assert_int_equal(count_dt(&r, mark, PLC_DT_NACK), 1);
    assert_int_equal(r.delivered, 1);
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.reassembly_refused, 3);
    assert_int_equal(c.reassembly_timeouts, 3); /* trains 1, 3 and 4 */
    rig_close(&r);
}

/* ---- security: unauthenticated frames, anti-replay without room ---- */
static void test_unauthenticated_tonemap_ignored(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(1);
    pib.security_enabled = 1;
    rig_open(&r, &pib, 64, 1);
    uint8_t psdu[255] = {0}, cmd[1 + PLC_MAC_TONEMAP_RESPONSE_LEN];
    const plc_mac_tonemap_response tr = {.mod = PLC_MOD_D8PSK, .tonemap = 0x3F, .lqi = 200};
    cmd[0] = PLC_MAC_CMD_TONEMAP_RESPONSE;
    plc_mac_tonemap_response_encode(&tr, cmd + 1);
    make_psdu(psdu, 0, 1, 1, 0, 1, cmd, sizeof(cmd), NULL, 0, PLC_MAC_COMMAND);
    hand_in(&r, psdu);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.tonemap_unauthenticated, 1);
    const plc_mac_neighbour *n = plc_mac_neighbour_get(r.mac, 0);
    assert_true(!n || n->tonemap_valid_until == 0); /* before: the link went D8PSK */
    /* the same response secured is taken */
    make_psdu(psdu, 0, 1, 2, 0, 1, cmd, sizeof(cmd), r.sec, 1, PLC_MAC_COMMAND);
    hand_in(&r, psdu);
    n = plc_mac_neighbour_get(r.mac, 0);
    assert_non_null(n);
    assert_int_equal(n->mod, PLC_MOD_D8PSK);
    assert_true(n->tonemap_valid_until > plc_loop_now_us(r.loop));
    rig_close(&r);
}

static void test_replay_without_table_room(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(0);
    pib.security_enabled = 1;
    pib.neighbour_table_size = 1;
    pib.replay_table_size = 1;
    pib.duplicate_ttl_ms = 100;
    rig_open(&r, &pib, 64, 1);
    uint8_t psdu[255], data[16], first[255];
    memset(data, 9, sizeof(data));
    /* three sources take turns through a table of one entry */
    for (unsigned round = 0; round < 3; round++)
        for (uint16_t src = 1; src <= 3; src++) {
            make_psdu(psdu, src, 0, (uint8_t)(round * 3 + src), 0, 1, data, sizeof(data), r.sec,
                      100 * src + round, PLC_MAC_DATA);
            if (round == 0 && src == 1)
                memcpy(first, psdu, sizeof(psdu));
            fake_deliver(&r.phy, psdu, sizeof(psdu), plc_loop_now_us(r.loop), PLC_PHY_RX_OK);
            run_for(&r, 200000);
        }
    /* before: a source without an entry counted as a replay */
    assert_int_equal(r.delivered, 9);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.replays, 0);
    assert_true(c.neighbours_evicted >= 8);
    /* an old frame of a source evicted since is still refused */
    fake_deliver(&r.phy, first, sizeof(first), plc_loop_now_us(r.loop), PLC_PHY_RX_OK);
    run_for(&r, 200000);
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.replays, 1);
    assert_int_equal(r.delivered, 9);
    rig_close(&r);
}

/* A secured frame whose ACK was lost, retried after the duplicate memory forgot it: ACKed
 * again and not delivered twice (before: counted as a replay and left unanswered, so the
 * sender failed an MSDU that had arrived). */
static void test_late_retry_acked_again(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(0);
    pib.security_enabled = 1;
    pib.duplicate_ttl_ms = 100;
    rig_open(&r, &pib, 64, 1);
    uint8_t psdu[255], data[16];
    memset(data, 4, sizeof(data));
    make_psdu(psdu, 7, 0, 40, 0, 1, data, sizeof(data), r.sec, 55, PLC_MAC_DATA);
    hand_in(&r, psdu);
    run_for(&r, 500000); /* the duplicate memory forgets it */
    hand_in(&r, psdu);
    assert_int_equal(r.delivered, 1);
    assert_int_equal(count_dt(&r, 0, PLC_DT_ACK), 2);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.replays, 0);
    assert_int_equal(c.duplicates, 1);
    /* an older frame of the same source is still a replay */
    make_psdu(psdu, 7, 0, 41, 0, 1, data, sizeof(data), r.sec, 54, PLC_MAC_DATA);
    hand_in(&r, psdu);
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.replays, 1);
    assert_int_equal(count_dt(&r, 0, PLC_DT_ACK), 2);
    rig_close(&r);
}

/* ---- frame counter persistence ---- */
typedef struct store {
    uint32_t reserved;
    int saves, fail;
} store;

static int save_counter(void *user, uint32_t reserved)
{
    store *s = user;
    if (s->fail)
        return PLC_ERR_IO;
    s->reserved = reserved;
    s->saves++;
    return PLC_OK;
}

/* Frame counters a sender put on the line (from the scripted PHY's log). */
static unsigned sent_counters(const rig *r, uint32_t *out)
{
    unsigned k = 0;
    for (unsigned i = 0; i < r->phy.n; i++) {
        plc_mac_frame f;
        if (r->phy.log[i].len && plc_mac_psdu_decode(r->phy.log[i].psdu, 255, &f) == PLC_OK &&
            f.security)
            out[k++] = f.frame_counter;
    }
    return k;
}

static void test_frame_counter_survives_restart(void **st)
{
    (void)st;
    store s = {0};
    uint32_t used[2][64];
    unsigned nused[2];
    plc_mac_pib pib = node_pib(1);
    pib.security_enabled = 1;
    pib.frame_counter_reserve = 4;
    for (int boot = 0; boot < 2; boot++) {
        rig r;
        pib.frame_counter = s.reserved; /* what a restart restores (0 at the first boot) */
        memset(&r, 0, sizeof(r));
        r.loop = plc_loop_virtual_create(64);
        fake_init(&r.phy, r.loop, PLC_TONEMASK_ALL);
        r.sec = plc_mac_sec_create();
        plc_mac_sec_set_key(r.sec, 0, gmk);
        const plc_mac_callbacks cb = {.confirm = rig_confirm, .save_frame_counter = save_counter,
                                      .user = &s};
        r.mac = plc_mac_create(&pib, 5 + boot, r.loop, (plc_phy_service){&fake_ops, &r.phy},
                               r.sec, &cb);
        assert_non_null(r.mac);
        for (int i = 0; i < 7; i++) {
            send(&r, PLC_MAC_BROADCAST, 10);
            run_for(&r, 500000);
        }
        nused[boot] = sent_counters(&r, used[boot]);
        assert_int_equal(nused[boot], 7);
        rig_close(&r); /* a crash: nothing is saved on the way down */
    }
    /* every counter the second boot used is above every one of the first */
    for (unsigned i = 0; i < nused[1]; i++)
        for (unsigned j = 0; j < nused[0]; j++)
            assert_true(used[1][i] > used[0][j]);
    assert_true(s.saves >= 4);
}

static void test_frame_counter_exhaustion(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(1);
    pib.security_enabled = 1;
    pib.frame_counter = 0xFFFFFFFEu;
    rig_open(&r, &pib, 64, 1);
    send(&r, PLC_MAC_BROADCAST, 10);
    run_for(&r, 500000);
    assert_int_equal(r.last_status, PLC_OK);
    send(&r, PLC_MAC_BROADCAST, 10);
    run_for(&r, 500000);
    assert_int_equal(r.confirms, 2);
    assert_int_equal(r.last_status, PLC_MAC_COUNTER_ERROR);
    assert_string_equal(plc_strerror(r.last_status), "frame counter exhausted: rekey needed");
    /* unsecured frames still go; a rekey resets the counter through the PIB */
    plc_mac_pib p;
    plc_mac_get_pib(r.mac, &p);
    p.frame_counter = 0;
    assert_int_equal(plc_mac_set_pib(r.mac, &p), PLC_OK);
    send(&r, PLC_MAC_BROADCAST, 10);
    run_for(&r, 500000);
    assert_int_equal(r.last_status, PLC_OK);
    rig_close(&r);
}

/* The peer's view on the simulated line: a node restarted with its counter restored is
 * accepted at once; restarted from 0 its frames are replays. */
static void test_restarted_node_accepted_by_peer(void **st)
{
    (void)st;
    for (int restore = 0; restore <= 1; restore++) {
        FILE *f = fopen("test_mac_service_topo.txt", "w");
        assert_non_null(f);
        fprintf(f, "segment 1 0 20\nsegment 2 1 30\nsegment 3 1 30\nnode 0 2\nnode 1 3\n");
        fclose(f);
        plc_medium_config mc;
        plc_medium_config_default(&mc);
        mc.topology_file = "test_mac_service_topo.txt";
        mc.abstract_phy = 1;
        mc.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
        char err[200];
        plc_macnet *n = plc_macnet_create(&mc, 1, 3, err, sizeof(err));
        assert_non_null(n);
        remove("test_mac_service_topo.txt");
        uint8_t msdu[30] = {1};
        for (int i = 0; i < 5; i++) {
            plc_macnet_send(n, 1, 0, msdu, sizeof(msdu));
            plc_macnet_run(n, plc_macnet_now_s(n) + 1.0);
        }
        assert_int_equal(plc_macnet_rx_count(n, 0), 5);
        /* the restart: the counter goes back to what was stored (or to 0) */
        plc_mac *m1 = plc_macnet_mac(n, 1);
        plc_mac_pib p;
        plc_mac_get_pib(m1, &p);
        const uint32_t stored = p.frame_counter + 10; /* a reservation ahead of use */
        p.frame_counter = restore ? stored : 0;
        assert_int_equal(plc_mac_set_pib(m1, &p), PLC_OK);
        plc_macnet_run(n, plc_macnet_now_s(n) + 6.0); /* duplicate TTL passes */
        for (int i = 0; i < 5; i++) {
            plc_macnet_send(n, 1, 0, msdu, sizeof(msdu));
            plc_macnet_run(n, plc_macnet_now_s(n) + 2.0);
        }
        plc_mac_counters c;
        plc_mac_get_counters(plc_macnet_mac(n, 0), &c);
        if (restore) {
            assert_int_equal(plc_macnet_rx_count(n, 0), 10);
            assert_int_equal(c.replays, 0);
        } else {
            assert_true(c.replays >= 5);
            assert_int_equal(plc_macnet_rx_count(n, 0), 5);
        }
        plc_macnet_destroy(n);
    }
}

/* Join traffic: a node without a short address sends from its EUI-64 in clear, a neighbour
 * with security on takes it (secured 0) and answers to the EUI-64, also in clear; unsecured
 * short-to-short data is still refused. */
/* The rc_coord a beacon frame the MAC sent carries (-1: not a beacon). */
static int beacon_rc(const fake_tx *t)
{
    plc_mac_frame f;
    uint16_t rc;
    if (plc_mac_psdu_decode(t->psdu, t->len, &f) != PLC_OK || f.type != PLC_MAC_BEACON ||
        plc_mac_beacon_decode(f.payload, f.payload_len, &rc) != PLC_OK)
        return -1;
    return rc;
}

/* Beacons: none while RC_COORD says no route (asked or unasked); one unasked
 * (plc_mac_beacon_send); a beacon request answered within the 2 s jitter; the answer
 * dropped when 3 neighbours at least as good answered meanwhile. */
static void test_beacons(void **st)
{
    (void)st;
    rig r;
    plc_mac_pib pib = node_pib(5);
    rig_open(&r, &pib, 64, 0);
    uint8_t req[3][255], one = PLC_MAC_CMD_BEACON_REQUEST;
    size_t req_len = 0;
    for (uint8_t k = 0; k < 3; k++) /* sequence numbers apart: not duplicates */
        req_len = make_psdu(req[k], 9, PLC_MAC_BROADCAST, k, 0, 1, &one, 1, NULL, 0,
                            PLC_MAC_COMMAND);
    assert_int_equal(plc_mac_beacon_send(r.mac), PLC_ERR_NO_ROUTE);
    fake_deliver(&r.phy, req[0], req_len, plc_loop_now_us(r.loop), PLC_PHY_RX_OK);
    run_for(&r, 3000000);
    assert_int_equal(r.phy.n, 0);
    plc_mac_get_pib(r.mac, &pib);
    pib.rc_coord = 20;
    assert_int_equal(plc_mac_set_pib(r.mac, &pib), PLC_OK);
    assert_int_equal(plc_mac_beacon_send(r.mac), PLC_OK);
    run_for(&r, 1000000);
    assert_int_equal(r.phy.n, 1);
    assert_int_equal(beacon_rc(&r.phy.log[0]), 20);
    const uint64_t asked = plc_loop_now_us(r.loop);
    fake_deliver(&r.phy, req[1], req_len, asked, PLC_PHY_RX_OK);
    run_for(&r, 3000000);
    assert_int_equal(r.phy.n, 2);
    assert_int_equal(beacon_rc(&r.phy.log[1]), 20);
    assert_true(r.phy.log[1].t_us - asked <= 2000000 + 100000); /* jitter, then CSMA */
    fake_deliver(&r.phy, req[2], req_len, plc_loop_now_us(r.loop), PLC_PHY_RX_OK);
    uint8_t b[PLC_MAC_BEACON_LEN], other[255];
    plc_mac_beacon_encode(20, 0, b);
    for (uint16_t k = 0; k < 3; k++) {
        const size_t n = make_psdu(other, (uint16_t)(11 + k), PLC_MAC_BROADCAST, 2, 0, 1, b,
                                   sizeof(b), NULL, 0, PLC_MAC_BEACON);
        fake_deliver(&r.phy, other, n, plc_loop_now_us(r.loop), PLC_PHY_RX_OK);
    }
    run_for(&r, 3000000);
    assert_int_equal(r.phy.n, 2);
    plc_mac_counters c;
    plc_mac_get_counters(r.mac, &c);
    assert_int_equal(c.beacons_suppressed, 1);
    rig_close(&r);
}

/* A joining device (EUI-64 eui, no address, no key yet) and its agent (short address 1). */
static void join_pair_open(rig *lbd, rig *lba, uint64_t eui)
{
    plc_mac_pib pib = node_pib(0xFFFF);
    pib.security_enabled = 1;
    pib.ext_addr = eui;
    rig_open(lbd, &pib, 64, 0);
    pib = node_pib(1);
    pib.security_enabled = 1;
    pib.ext_addr = 0x1111;
    rig_open(lba, &pib, 64, 1);
}

static void test_join_traffic_by_eui64(void **st)
{
    (void)st;
    const uint64_t eui = 0x0011223344556677ull;
    rig lbd, lba;
    join_pair_open(&lbd, &lba, eui);
    assert_int_equal(send(&lbd, PLC_MAC_BROADCAST, 20), PLC_MAC_INVALID_PARAMETER);
    assert_int_equal(send(&lbd, 1, 20), PLC_OK);
    run_for(&lbd, 50000); /* sent; no ACK comes on the scripted PHY, retries follow */
    assert_true(lbd.phy.n >= 1);
    plc_mac_frame f;
    assert_int_equal(plc_mac_psdu_decode(lbd.phy.log[0].psdu, 255, &f), PLC_OK);
    assert_int_equal(f.src.mode, PLC_MAC_ADDR_EXT);
    assert_true(f.src.ext == eui);
    assert_int_equal(f.security, 0);
    assert_int_equal(f.ack_request, 1);
    hand_in(&lba, lbd.phy.log[0].psdu);
    assert_int_equal(lba.delivered, 1);
    assert_int_equal(lba.last_secured, 0);
    assert_int_equal(lba.last_src, 0xFFFE);
    assert_true(lba.last_src_ext == eui);
    assert_int_equal(lba.phy.n, 1); /* the ACK */
    assert_int_equal(lba.phy.log[0].rq.dt, PLC_DT_ACK);
    uint8_t msdu[20] = {0x40, 0x02};
    const plc_mac_data_req rq = {.dst_ext = eui, .msdu = msdu, .len = sizeof(msdu)};
    assert_int_equal(plc_mac_data_request(lba.mac, &rq), PLC_OK);
    run_for(&lba, 50000);
    assert_true(lba.phy.n >= 2);
    assert_int_equal(plc_mac_psdu_decode(lba.phy.log[1].psdu, 255, &f), PLC_OK);
    assert_int_equal(f.dst.mode, PLC_MAC_ADDR_EXT);
    assert_true(f.dst.ext == eui);
    assert_int_equal(f.src.short_addr, 1);
    assert_int_equal(f.security, 0);
    hand_in(&lbd, lba.phy.log[1].psdu);
    assert_int_equal(lbd.delivered, 1);
    /* unsecured short-to-short data: still refused */
    uint8_t psdu[255];
    const uint8_t pl[10] = {0};
    make_psdu(psdu, 2, 1, 9, 0, 1, pl, sizeof(pl), NULL, 0, PLC_MAC_DATA);
    hand_in(&lba, psdu);
    assert_int_equal(lba.delivered, 1);
    plc_mac_counters c;
    plc_mac_get_counters(lba.mac, &c);
    assert_int_equal(c.unsecured_refused, 1);
    rig_close(&lbd);
    rig_close(&lba);
}

/* The join hop has no authenticated tone map either way, so each end sends with the map it
 * would ask for itself from the other's recent frames (docs/mac.md): ROBO before anything
 * is heard, after 10 s without a frame and for 60 s after a failure. */
static const fake_tx *last_data(const rig *r)
{
    for (unsigned i = r->phy.n; i-- > 0;)
        if (r->phy.log[i % LOG].rq.dt != PLC_DT_ACK && r->phy.log[i % LOG].rq.dt != PLC_DT_NACK)
            return &r->phy.log[i % LOG];
    fail_msg("no data frame sent");
    return NULL;
}

static plc_modulation join_send(rig *r, uint16_t dst, uint64_t dst_ext)
{
    uint8_t msdu[40] = {0x40, 0x02};
    const plc_mac_data_req rq = {.dst = dst, .dst_ext = dst_ext, .msdu = msdu, .len = sizeof(msdu)};
    assert_int_equal(plc_mac_data_request(r->mac, &rq), PLC_OK);
    const int confirms = r->confirms;
    run_for(r, 50000);
    const plc_modulation mod = last_data(r)->rq.mod;
    while (r->confirms == confirms) /* no ACK comes on the scripted PHY: it fails */
        run_for(r, 1000000);
    assert_int_equal(r->last_status, PLC_MAC_NO_ACK);
    return mod;
}

static void test_join_hop_link_from_the_reverse_link(void **st)
{
    (void)st;
    const uint64_t eui = 0x0011223344556677ull;
    rig lbd, lba;
    join_pair_open(&lbd, &lba, eui);
    /* nothing heard from the agent yet: ROBO */
    assert_int_equal(join_send(&lbd, 1, 0), PLC_MOD_ROBO);
    uint8_t from_lbd[255];
    memcpy(from_lbd, last_data(&lbd)->psdu, sizeof(from_lbd));
    /* the agent heard the device at 20 dB: D8PSK on every carrier (9 + 2 + 3 dB needed) */
    hand_in(&lba, from_lbd);
    assert_int_equal(lba.delivered, 1);
    const unsigned first = lba.phy.n;
    assert_int_equal(join_send(&lba, 0xFFFF, eui), PLC_MOD_D8PSK);
    /* unacknowledged: every retry in the same modulation, then the MSDU failed */
    assert_true(lba.phy.n - first == 1u + node_pib(1).max_frame_retries);
    for (unsigned i = first; i < lba.phy.n; i++) {
        assert_int_equal(lba.phy.log[i % LOG].rq.mod, PLC_MOD_D8PSK);
        assert_int_equal(lba.phy.log[i % LOG].rq.tonemap, PLC_TONEMAP_ALL);
    }
    plc_mac_counters c;
    plc_mac_get_counters(lba.mac, &c);
    assert_int_equal(c.join_link_sent, 1);
    assert_int_equal(c.join_link_failed, 1);
    /* that frame failed: ROBO for 60 s, even though the device is heard again */
    hand_in(&lba, from_lbd);
    assert_int_equal(join_send(&lba, 0xFFFF, eui), PLC_MOD_ROBO);
    run_for(&lba, 61000000);
    fake_deliver_snr(&lba.phy, from_lbd, 255, plc_loop_now_us(lba.loop), PLC_PHY_RX_OK, 9.0f);
    run_for(&lba, 100000);
    assert_int_equal(join_send(&lba, 0xFFFF, eui), PLC_MOD_DBPSK); /* 9 dB: DBPSK only */
    /* nothing heard for more than 10 s: ROBO again */
    run_for(&lba, 11000000);
    assert_int_equal(join_send(&lba, 0xFFFF, eui), PLC_MOD_ROBO);
    /* the device heard its agent's frame at 12 dB: DQPSK back to it */
    uint8_t from_lba[255];
    memcpy(from_lba, last_data(&lba)->psdu, sizeof(from_lba));
    fake_deliver_snr(&lbd.phy, from_lba, 255, plc_loop_now_us(lbd.loop), PLC_PHY_RX_OK, 12.0f);
    run_for(&lbd, 100000);
    assert_int_equal(join_send(&lbd, 1, 0), PLC_MOD_DQPSK);
    /* joined nodes between themselves keep to authenticated tone maps: ROBO without one */
    assert_int_equal(join_send(&lba, 2, 0), PLC_MOD_ROBO);
    rig_close(&lbd);
    rig_close(&lba);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phy_refusal_confirms),
        cmocka_unit_test(test_beacons),
        cmocka_unit_test(test_join_traffic_by_eui64),
        cmocka_unit_test(test_join_hop_link_from_the_reverse_link),
        cmocka_unit_test(test_queue_and_timer_limits),
        cmocka_unit_test(test_segments_follow_tonemask),
        cmocka_unit_test(test_pib_checked),
        cmocka_unit_test(test_ack_after_frame_end),
        cmocka_unit_test(test_payload_failed_applies_eifs),
        cmocka_unit_test(test_phy_reports_payload_failure),
        cmocka_unit_test(test_reassembly_refusals_nacked),
        cmocka_unit_test(test_unauthenticated_tonemap_ignored),
        cmocka_unit_test(test_replay_without_table_room),
        cmocka_unit_test(test_late_retry_acked_again),
        cmocka_unit_test(test_frame_counter_survives_restart),
        cmocka_unit_test(test_frame_counter_exhaustion),
        cmocka_unit_test(test_restarted_node_accepted_by_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
