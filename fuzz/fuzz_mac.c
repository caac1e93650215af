/* libFuzzer target: the MAC's receive path, everything a neighbour can put on the line.
 * The input is a script of frames for one MAC (security on, a group key installed, small
 * tables so eviction and refusals happen), each: flags (1 byte), length (1 byte), bytes.
 *   flags bit 0  fix up the FCS (so the fuzzer gets past it to the header, security and
 *                reassembly), bit 1  indicate a payload failure instead, bit 2  an ACK/NACK
 *                carrying the first two bytes as FCS, bit 3  also queue an MSDU to send,
 *                bits 4-7  let that many x 50 ms pass first.
 * The same bytes also go through the frame codec directly. No crash, no sanitizer report,
 * no MSDU longer than PLC_MAC_MAX_MSDU delivered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_crc.h"
#include "plc_mac.h"
#include "plc_mac_tonemap.h"

typedef struct phy {
    plc_loop *loop;
    plc_phy_user user;
    plc_timer done;
    int sending;
} phy;

static void on_done(plc_loop *l, plc_timer *t, void *u)
{
    (void)l;
    (void)t;
    phy *p = u;
    p->sending = 0;
    if (p->user.tx_confirm)
        p->user.tx_confirm(p->user.user, PLC_OK);
}

static int tx(void *v, const plc_tx_request *rq, const uint8_t *psdu, size_t len, uint64_t at)
{
    phy *p = v;
    (void)rq;
    (void)psdu;
    if (p->sending)
        return PLC_ERR_BUSY;
    p->sending = 1;
    const uint64_t now = plc_loop_now_us(p->loop);
    plc_timer_start_at(p->loop, &p->done, (at > now ? at : now) + 1000 + 100 * len);
    return PLC_OK;
}

static int busy(void *v)
{
    return ((phy *)v)->sending;
}

static void set_user(void *v, const plc_phy_user *u)
{
    ((phy *)v)->user = u ? *u : (plc_phy_user){0};
}

static const plc_phy_ops ops = {tx, busy, set_user, NULL};

static void on_ind(void *user, const plc_mac_data_indication *ind)
{
    (void)user;
    if (ind->len == 0 || ind->len > PLC_MAC_MAX_MSDU)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the codec alone */
    plc_mac_frame f;
    plc_mac_psdu_decode(data, size, &f);
    plc_mac_frame_decode(data, size, &f);
    plc_mac_tonemap_response r;
    plc_mac_tonemap_response_decode(data, size, &r);
    uint16_t rc;
    plc_mac_beacon_decode(data, size, &rc);

    plc_loop *loop = plc_loop_virtual_create(64);
    phy p = {.loop = loop};
    plc_timer_init(&p.done, on_done, &p);
    plc_mac_sec *sec = plc_mac_sec_create();
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    plc_mac_sec_set_key(sec, 0, key);
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.short_addr = 0;
    pib.security_enabled = 1;
    pib.neighbour_table_size = 3;
    pib.replay_table_size = 2;
    pib.reassembly_trains = 2;
    pib.queue_size = 2;
    const plc_mac_callbacks cb = {.indication = on_ind};
    plc_mac *m = plc_mac_create(&pib, 1, loop, (plc_phy_service){&ops, &p}, sec, &cb);
    float snr[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        snr[c] = (float)c;
    uint8_t psdu[255];
    size_t i = 0;
    while (m && i + 2 <= size) {
        const uint8_t flags = data[i];
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        memset(psdu, 0, sizeof(psdu));
        memcpy(psdu, data + i, len);
        i += len;
        plc_loop_run(loop, plc_loop_now_us(loop) + 50000u * (flags >> 4));
        if ((flags & 1) && len >= 3) { /* a valid FCS over the SL bytes the segment control names */
            const size_t sl = (size_t)((psdu[1] & 3) << 8 | psdu[2]);
            if (sl >= 2 && 3 + sl <= sizeof(psdu)) {
                const uint16_t fcs = plc_crc16_xmodem(psdu + 3, sl - 2);
                psdu[3 + sl - 2] = (uint8_t)fcs;
                psdu[3 + sl - 1] = (uint8_t)(fcs >> 8);
                if (3 + sl > len)
                    len = 3 + sl;
            }
        }
        if (flags & 8) {
            const uint8_t msdu[40] = {0};
            const plc_mac_data_req rq = {.dst = (uint16_t)(len ? psdu[0] % 4 : 0xFFFF),
                                         .msdu = msdu, .len = sizeof(msdu)};
            plc_mac_data_request(m, &rq);
        }
        const int ack = (flags & 4) != 0;
        const plc_phy_rx_ind ind = {
            .status = (flags & 2) ? PLC_PHY_RX_PAYLOAD_FAILED : PLC_PHY_RX_OK,
            .dt = ack ? (uint8_t)(PLC_DT_ACK + (len & 1)) : PLC_DT_SOF_RESPONSE,
            .ack_fcs = (uint16_t)(psdu[0] | psdu[1] << 8),
            .mod = (plc_modulation)(len % PLC_MOD_COUNT),
            .tonemap = PLC_TONEMAP_ALL,
            .psdu = (flags & 2) ? NULL : psdu,
            .psdu_len = (flags & 2) ? 0 : len,
            .end_us = plc_loop_now_us(loop),
            .snr_db = 10.0f,
            .carrier_snr_db = snr,
            .lqi = (uint8_t)len,
        };
        if (p.user.rx_indication)
            p.user.rx_indication(p.user.user, &ind);
    }
    plc_loop_run(loop, plc_loop_now_us(loop) + 10000000);
    plc_mac_destroy(m);
    plc_timer_stop(loop, &p.done);
    plc_mac_sec_destroy(sec);
    plc_loop_destroy(loop);
    return 0;
}
