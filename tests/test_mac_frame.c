/* MAC frame codec: exact bytes of encoded frames, round trips, and every malformed case
 * refused with its own status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc_crc.h"
#include "plc_mac_frame.h"

static plc_mac_frame data_frame(const uint8_t *payload, size_t len)
{
    plc_mac_frame f;
    memset(&f, 0, sizeof(f));
    f.type = PLC_MAC_DATA;
    f.ack_request = 1;
    f.panid_compression = 1;
    f.seq = 0x10;
    f.dst_pan = f.src_pan = 0x781D;
    f.dst = (plc_mac_addr){.mode = PLC_MAC_ADDR_SHORT, .short_addr = 0x0001};
    f.src = (plc_mac_addr){.mode = PLC_MAC_ADDR_SHORT, .short_addr = 0x0002};
    f.payload = payload;
    f.payload_len = len;
    return f;
}

static void test_encode_exact_bytes(void **state)
{
    (void)state;
    /* frame control 0x8861: data, ack request, PAN id compression, short/short;
     * FCS = CRC-16/XMODEM 0xCD08, low byte first (computed independently with Python's
     * binascii.crc_hqx(frame, 0)) */
    static const uint8_t expect[] = {0x61, 0x88, 0x10, 0x1D, 0x78, 0x01, 0x00, 0x02,
                                     0x00, 0x61, 0x62, 0x63, 0x08, 0xCD};
    plc_mac_frame f = data_frame((const uint8_t *)"abc", 3);
    uint8_t out[64];
    size_t len = 0;
    assert_int_equal(plc_mac_frame_encode(&f, out, sizeof(out), &len), PLC_MAC_FRAME_OK);
    assert_int_equal(len, sizeof(expect));
    assert_memory_equal(out, expect, sizeof(expect));
    assert_int_equal(f.fcs, 0xCD08);
    assert_int_equal(f.header_len, 9);
    /* the decoder gives back every field */
    plc_mac_frame d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(plc_mac_frame_decode(out, len, &d), PLC_MAC_FRAME_OK);
    assert_int_equal(d.type, PLC_MAC_DATA);
    assert_int_equal(d.ack_request, 1);
    assert_int_equal(d.seq, 0x10);
    assert_int_equal(d.dst_pan, 0x781D);
    assert_int_equal(d.src_pan, 0x781D);
    assert_int_equal(d.dst.short_addr, 1);
    assert_int_equal(d.src.short_addr, 2);
    assert_int_equal(d.payload_len, 3);
    assert_memory_equal(d.payload, "abc", 3);
    assert_int_equal(d.fcs, 0xCD08);
}

static void test_segctl_bits(void **state)
{
    (void)state;
    const plc_mac_segctl s = {.tmr = 1, .cc = 0, .cap = 1, .lsf = 1, .sc = 0x2A, .sl = 0x2F1};
    uint8_t b[3];
    plc_mac_segctl_write(&s, b);
    /* reserved:4 TMR CC CAP LSF | SC:6 SL:10 */
    assert_int_equal(b[0], 0x0B);
    assert_int_equal(b[1], (0x2A << 2) | 0x2);
    assert_int_equal(b[2], 0xF1);
    plc_mac_segctl r;
    assert_int_equal(plc_mac_segctl_read(b, &r), PLC_MAC_FRAME_OK);
    assert_int_equal(r.tmr, 1);
    assert_int_equal(r.cc, 0);
    assert_int_equal(r.cap, 1);
    assert_int_equal(r.lsf, 1);
    assert_int_equal(r.sc, 0x2A);
    assert_int_equal(r.sl, 0x2F1);
    b[0] |= 0x10;
    assert_int_equal(plc_mac_segctl_read(b, &r), PLC_MAC_FRAME_RESERVED);
}

static void test_secured_and_extended(void **state)
{
    (void)state;
    uint8_t payload[8] = {1, 2, 3, 4, 0xA, 0xB, 0xC, 0xD}; /* 4 bytes + MIC */
    plc_mac_frame f = data_frame(payload, sizeof(payload));
    f.panid_compression = 0;
    f.src_pan = 0x1234;
    f.src = (plc_mac_addr){.mode = PLC_MAC_ADDR_EXT, .ext = 0x0102030405060708ull};
    f.security = 1;
    f.sec_level = PLC_MAC_SEC_ENC_MIC32;
    f.key_index = 1;
    f.frame_counter = 0xA1B2C3D4;
    uint8_t out[80];
    size_t len;
    assert_int_equal(plc_mac_frame_encode(&f, out, sizeof(out), &len), PLC_MAC_FRAME_OK);
    assert_int_equal(f.header_len, 3 + 4 + 2 + 8 + 6);
    /* auxiliary header: level 5, key id mode 1, counter little endian, key index */
    static const uint8_t aux[] = {0x0D, 0xD4, 0xC3, 0xB2, 0xA1, 0x01};
    assert_memory_equal(out + 17, aux, sizeof(aux));
    /* extended address little endian on the air */
    assert_int_equal(out[9], 0x08);
    assert_int_equal(out[16], 0x01);
    plc_mac_frame d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(plc_mac_frame_decode(out, len, &d), PLC_MAC_FRAME_OK);
    assert_int_equal(d.src.ext, 0x0102030405060708ull);
    assert_int_equal(d.src_pan, 0x1234);
    assert_int_equal(d.frame_counter, 0xA1B2C3D4);
    assert_int_equal(d.key_index, 1);
    assert_int_equal(d.payload_len, 8);
}

static void test_psdu_with_padding(void **state)
{
    (void)state;
    plc_mac_frame f = data_frame((const uint8_t *)"hello", 5);
    uint8_t psdu[100];
    memset(psdu, 0, sizeof(psdu));
    size_t len;
    assert_int_equal(plc_mac_frame_encode(&f, psdu + 3, sizeof(psdu) - 3, &len), PLC_MAC_FRAME_OK);
    const plc_mac_segctl s = {.lsf = 1, .sl = (uint16_t)len};
    plc_mac_segctl_write(&s, psdu);
    plc_mac_frame d;
    assert_int_equal(plc_mac_psdu_decode(psdu, sizeof(psdu), &d), PLC_MAC_FRAME_OK);
    assert_int_equal(d.seg.lsf, 1);
    assert_int_equal(d.seg.sl, len);
    assert_memory_equal(d.payload, "hello", 5);
}

/* Re-signs a modified frame so the check under test is the one that fails. */
static void refcs(uint8_t *b, size_t len)
{
    const uint16_t c = plc_crc16_xmodem(b, len - 2);
    b[len - 2] = (uint8_t)c;
    b[len - 1] = (uint8_t)(c >> 8);
}

static void test_malformed(void **state)
{
    (void)state;
    plc_mac_frame f = data_frame((const uint8_t *)"abc", 3);
    uint8_t good[64], b[64];
    size_t len;
    assert_int_equal(plc_mac_frame_encode(&f, good, sizeof(good), &len), PLC_MAC_FRAME_OK);
    plc_mac_frame d;
#define CASE(mutation, expect)                                  \
    do {                                                        \
        memcpy(b, good, len);                                   \
        mutation;                                               \
        memset(&d, 0, sizeof(d));                               \
        assert_int_equal(plc_mac_frame_decode(b, n, &d), expect); \
        assert_string_not_equal(plc_strerror(expect), "unknown error"); \
    } while (0)
    size_t n = len;
    CASE(b[5] ^= 1, PLC_MAC_FRAME_FCS);
    CASE((b[0] = (uint8_t)((b[0] & ~7) | 2), refcs(b, n)), PLC_MAC_FRAME_TYPE); /* 802.15.4 ACK */
    CASE((b[0] = (uint8_t)((b[0] & ~7) | 5), refcs(b, n)), PLC_MAC_FRAME_TYPE);
    CASE((b[1] |= 0x20, refcs(b, n)), PLC_MAC_FRAME_VERSION);
    CASE((b[1] = (uint8_t)((b[1] & ~0x0C) | 0x04), refcs(b, n)), PLC_MAC_FRAME_ADDR_MODE);
    CASE((b[1] &= (uint8_t)~0xC0, refcs(b, n)), PLC_MAC_FRAME_PANID_COMP);
    CASE((b[0] |= 0x08, refcs(b, n)), PLC_MAC_FRAME_SHORT); /* aux header missing */
    n = 4;
    CASE((void)0, PLC_MAC_FRAME_SHORT);
    n = 8;
    CASE(refcs(b, n), PLC_MAC_FRAME_SHORT); /* addresses cut */
    /* security levels and key modes */
    uint8_t payload[8] = {0};
    plc_mac_frame s = data_frame(payload, sizeof(payload));
    s.security = 1;
    s.sec_level = PLC_MAC_SEC_ENC_MIC32;
    uint8_t sg[64];
    size_t sl;
    assert_int_equal(plc_mac_frame_encode(&s, sg, sizeof(sg), &sl), PLC_MAC_FRAME_OK);
    memcpy(b, sg, sl);
    b[9] = (uint8_t)((b[9] & ~7) | 4); /* ENC only */
    refcs(b, sl);
    assert_int_equal(plc_mac_frame_decode(b, sl, &d), PLC_MAC_FRAME_SEC_LEVEL);
    memcpy(b, sg, sl);
    b[9] = (uint8_t)(b[9] & ~0x18); /* key id mode 0 */
    refcs(b, sl);
    assert_int_equal(plc_mac_frame_decode(b, sl, &d), PLC_MAC_FRAME_KEY_MODE);
    /* a secured payload shorter than the MIC */
    assert_int_equal(plc_mac_frame_decode(sg, sl - 6, &d) != PLC_MAC_FRAME_OK, 1);
    memcpy(b, sg, sl - 8);
    b[sl - 8] = 0;
    b[sl - 7] = 0;
    refcs(b, sl - 6); /* header + 2 payload bytes + FCS */
    assert_int_equal(plc_mac_frame_decode(b, sl - 6, &d), PLC_MAC_FRAME_NO_MIC);
    /* PSDU level: segment length beyond the PSDU, reserved bits */
    uint8_t psdu[40] = {0x01, 0x00, 30};
    assert_int_equal(plc_mac_psdu_decode(psdu, 20, &d), PLC_MAC_FRAME_SEGLEN);
    psdu[2] = 2;
    assert_int_equal(plc_mac_psdu_decode(psdu, 20, &d), PLC_MAC_FRAME_SEGLEN);
    psdu[0] = 0x81;
    assert_int_equal(plc_mac_psdu_decode(psdu, 20, &d), PLC_MAC_FRAME_RESERVED);
    assert_int_equal(plc_mac_psdu_decode(psdu, 2, &d), PLC_MAC_FRAME_SHORT);
    /* encoder refusals */
    plc_mac_frame e = data_frame((const uint8_t *)"abc", 3);
    assert_int_equal(plc_mac_frame_encode(&e, b, 10, &len), PLC_MAC_FRAME_TOO_LONG);
    e.type = 2;
    assert_int_equal(plc_mac_frame_encode(&e, b, sizeof(b), &len), PLC_MAC_FRAME_TYPE);
#undef CASE
}

static void test_commands(void **state)
{
    (void)state;
    const plc_mac_tonemap_response r = {.mod = 3, .tx_gain = 5, .tx_res = 1, .tonemap = 0x1E,
                                        .lqi = 200};
    uint8_t b[PLC_MAC_TONEMAP_RESPONSE_LEN];
    plc_mac_tonemap_response_encode(&r, b);
    assert_int_equal(b[0], (3 << 1) | (5 << 3) | 0x80);
    assert_int_equal(b[1], 0x1E);
    assert_int_equal(b[2], 200);
    plc_mac_tonemap_response d;
    assert_int_equal(plc_mac_tonemap_response_decode(b, sizeof(b), &d), PLC_MAC_FRAME_OK);
    assert_int_equal(d.mod, 3);
    assert_int_equal(d.tx_gain, 5);
    assert_int_equal(d.tx_res, 1);
    assert_int_equal(d.tonemap, 0x1E);
    assert_int_equal(d.lqi, 200);
    assert_int_equal(plc_mac_tonemap_response_decode(b, 3, &d), PLC_MAC_FRAME_PAYLOAD);
    b[1] = 0;
    assert_int_equal(plc_mac_tonemap_response_decode(b, sizeof(b), &d), PLC_MAC_FRAME_ARG);
    uint8_t bc[PLC_MAC_BEACON_LEN];
    plc_mac_beacon_encode(0x1234, 1, bc);
    uint16_t rc = 0;
    assert_int_equal(plc_mac_beacon_decode(bc, sizeof(bc), &rc), PLC_MAC_FRAME_OK);
    assert_int_equal(rc, 0x1234);
    assert_int_equal(bc[1] & 0x40, 0x40);
    assert_int_equal(plc_mac_beacon_decode(bc, 2, &rc), PLC_MAC_FRAME_PAYLOAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact_bytes),
        cmocka_unit_test(test_segctl_bits),
        cmocka_unit_test(test_secured_and_extended),
        cmocka_unit_test(test_psdu_with_padding),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
