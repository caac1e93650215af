/* DL/T 645-2007 codec and simulated meter: the public example frames bit-exact, every
 * malformed case with its error, BCD and values, the stream extractor with garbage and split
 * reads, and the meter's behaviour (registers, clock sync window, relay, prepaid, events,
 * passwords). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "plc_dlt645.h"
#include "plc_dlt645_profile.h"
#include "plc_meter.h"

/* the public examples of ../shared/spec/dlt645-2007.md */
static const char *examples[] = {
    "FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16",
    "68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16",
    "68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16",
    "68 12 90 78 56 34 12 68 D1 01 35 8D 16",
    "68 12 90 78 56 34 12 68 12 05 34 33 63 36 34 D1 16",
    "68 12 90 78 56 34 12 68 93 06 45 C3 AB 89 67 45 07 16",
    "FE FE FE FE 68 02 00 31 08 22 20 68 11 04 32 55 B3 35 D1 16",
};

static void test_public_examples_roundtrip(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        uint8_t in[64], out[64];
        const size_t n = tu_hex(examples[i], in, sizeof(in));
        plc_dlt645_frame f;
        size_t used = 0;
        assert_int_equal(plc_dlt645_decode(in, n, &f, &used), PLC_DLT645_OK);
        assert_int_equal(used, n);
        const unsigned pre = in[0] == 0xFE ? 4 : 0;
        assert_int_equal(plc_dlt645_encode(&f, pre, out, sizeof(out)), (int)n);
        assert_memory_equal(in, out, n);
    }
}

static void test_public_examples_content(void **st)
{
    (void)st;
    uint8_t in[64];
    plc_dlt645_frame f;
    char a[13];
    /* reply 001234.56 kWh for 00010000 at 123456789012 */
    size_t n = tu_hex(examples[2], in, sizeof(in));
    assert_int_equal(plc_dlt645_decode(in, n, &f, NULL), PLC_DLT645_OK);
    plc_dlt645_addr_format(f.addr, a);
    assert_string_equal(a, "123456789012");
    assert_int_equal(f.ctrl, 0x91);
    assert_int_equal(plc_dlt645_di_get(f.data), 0x00010000);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(0x00010000, f.data + 4, 4, &v), PLC_DLT645_OK);
    assert_int_equal(v.raw, 123456);
    assert_int_equal(v.decimals, 2);
    /* abnormal: no requested data */
    n = tu_hex(examples[3], in, sizeof(in));
    assert_int_equal(plc_dlt645_decode(in, n, &f, NULL), PLC_DLT645_OK);
    assert_int_equal(f.ctrl & PLC_DLT645_C_ABNORMAL, PLC_DLT645_C_ABNORMAL);
    assert_int_equal(f.data[0], PLC_DLT645_ERR_NO_DATA);
    /* follow-up DI 03300001 seq 1 */
    n = tu_hex(examples[4], in, sizeof(in));
    assert_int_equal(plc_dlt645_decode(in, n, &f, NULL), PLC_DLT645_OK);
    assert_int_equal(plc_dlt645_di_get(f.data), 0x03300001);
    assert_int_equal(f.data[4], 1);
    /* read DI 028022FF at 202208310002 */
    n = tu_hex(examples[6], in, sizeof(in));
    assert_int_equal(plc_dlt645_decode(in, n, &f, NULL), PLC_DLT645_OK);
    plc_dlt645_addr_format(f.addr, a);
    assert_string_equal(a, "202208310002");
    assert_int_equal(plc_dlt645_di_get(f.data), 0x028022FF);
    /* the builder gives the example's bytes */
    uint8_t addr[6], out[64];
    assert_int_equal(plc_dlt645_addr_parse("123456789012", addr), PLC_DLT645_OK);
    plc_dlt645_read_request(addr, 0x00010000, &f);
    n = tu_hex(examples[1], in, sizeof(in));
    assert_int_equal(plc_dlt645_encode(&f, 0, out, sizeof(out)), (int)n);
    assert_memory_equal(in, out, n);
}

static void expect_error(const char *h, int err)
{
    uint8_t in[300];
    const size_t n = tu_hex(h, in, sizeof(in));
    plc_dlt645_frame f;
    assert_int_equal(plc_dlt645_decode(in, n, &f, NULL), err);
    assert_non_null(strstr(plc_dlt645_strerror(err), " ") ? plc_dlt645_strerror(err) : NULL);
}

static void test_malformed(void **st)
{
    (void)st;
    expect_error("68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 55 16",
                 PLC_DLT645_E_CHECKSUM);
    expect_error("68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 17", PLC_DLT645_E_END);
    expect_error("68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67", PLC_DLT645_E_SHORT);
    expect_error("69 12 90 78 56 34 12 68 11 04 33 33 34 33 69 16", PLC_DLT645_E_START);
    expect_error("68 12 90 78 56 34 12 69 11 04 33 33 34 33 69 16", PLC_DLT645_E_START2);
    expect_error("68 12 90 78 56 34 12 68 91 C9", PLC_DLT645_E_LENGTH); /* L = 201 */
    expect_error("68 1F 90 78 56 34 12 68 11 04 33 33 34 33 75 16", PLC_DLT645_E_BCD);
    expect_error("68 12 90 78 56 34 12 68 05 00 8B 16", PLC_DLT645_E_FUNCTION);
    /* a read request must carry a DI */
    expect_error("68 12 90 78 56 34 12 68 11 01 33 CB 16", PLC_DLT645_E_DATA);
    expect_error("FE FE", PLC_DLT645_E_SHORT);
    /* a write request over 50 bytes */
    uint8_t buf[128];
    plc_dlt645_frame f;
    memset(&f, 0, sizeof(f));
    memset(f.addr, 0x11, 6);
    f.ctrl = PLC_DLT645_WRITE;
    f.len = 51;
    const int n = plc_dlt645_encode(&f, 0, buf, sizeof(buf));
    assert_int_equal(n, 63);
    assert_int_equal(plc_dlt645_decode(buf, (size_t)n, &f, NULL), PLC_DLT645_E_LENGTH);
    /* encode refuses a buffer too small */
    f.len = 4;
    assert_int_equal(plc_dlt645_encode(&f, 4, buf, 10), PLC_DLT645_E_OVERSIZE);
    /* unknown DI and wrong value length */
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(0x12345678, buf, 4, &v), PLC_DLT645_E_UNKNOWN_DI);
    assert_int_equal(plc_dlt645_value_decode(0x00010000, buf, 3, &v), PLC_DLT645_E_DATA);
    const uint8_t bad_bcd[4] = {0x1A, 0, 0, 0};
    assert_int_equal(plc_dlt645_value_decode(0x00010000, bad_bcd, 4, &v), PLC_DLT645_E_BCD);
    const uint8_t bad_time[3] = {0x00, 0x60, 0x12}; /* minute 60 */
    assert_int_equal(plc_dlt645_value_decode(0x04000102, bad_time, 3, &v), PLC_DLT645_E_BCD);
    /* a tariff's price, NNNN.NNNN yuan/kWh, low byte first: 0.5230 */
    const uint8_t price[4] = {0x30, 0x52, 0x00, 0x00};
    assert_int_equal(plc_dlt645_value_decode(0x04050102, price, 4, &v), PLC_DLT645_OK);
    assert_int_equal(v.raw, 5230);
    assert_int_equal(v.decimals, 4);
    assert_int_equal(plc_dlt645_value_decode(0x04050105, price, 4, &v), PLC_DLT645_E_UNKNOWN_DI);
    uint8_t a[6];
    assert_int_equal(plc_dlt645_addr_parse("12345678901", a), PLC_DLT645_E_ARG);
    assert_int_equal(plc_dlt645_addr_parse("1234567890AB", a), PLC_DLT645_E_ARG);
}

static void test_bcd_and_values(void **st)
{
    (void)st;
    uint8_t p[8];
    int64_t v;
    /* signed current -12.345 A: 3 bytes, sign in the top bit */
    assert_int_equal(plc_dlt645_bcd_encode(-12345, 3, 1, p), 3);
    assert_int_equal(p[0], 0x45);
    assert_int_equal(p[1], 0x23);
    assert_int_equal(p[2], 0x81);
    assert_int_equal(plc_dlt645_bcd_decode(p, 3, 1, &v), PLC_DLT645_OK);
    assert_int_equal(v, -12345);
    assert_int_equal(plc_dlt645_bcd_encode(800000, 3, 1, p), PLC_DLT645_E_OVERSIZE);
    assert_int_equal(plc_dlt645_bcd_encode(1000000, 3, 0, p), PLC_DLT645_E_OVERSIZE);
    assert_int_equal(plc_dlt645_bcd_encode(-1, 3, 0, p), PLC_DLT645_E_ARG);
    /* date 2026-11-21, a Saturday (6): YYMMDDWW low byte first */
    plc_dlt645_value d = {.kind = PLC_DLT645_DATE, .t = {2026, 11, 21, 6, 0, 0, 0}};
    assert_int_equal(plc_dlt645_value_encode(0x04000101, &d, p, sizeof(p)), 4);
    const uint8_t want[4] = {0x06, 0x21, 0x11, 0x26};
    assert_memory_equal(p, want, 4);
    plc_dlt645_value back;
    assert_int_equal(plc_dlt645_value_decode(0x04000101, p, 4, &back), PLC_DLT645_OK);
    assert_int_equal(back.t.year, 2026);
    assert_int_equal(back.t.day, 21);
    assert_int_equal(back.t.weekday, 6);
    /* tariff registers share the total's format */
    assert_non_null(plc_dlt645_di_lookup(0x00010300));
    assert_null(plc_dlt645_di_lookup(0x00010500));
    /* addresses */
    uint8_t a[6], b[6];
    assert_int_equal(plc_dlt645_addr_parse("123456789012", a), PLC_DLT645_OK);
    assert_int_equal(plc_dlt645_addr_parse("AAAAAAAAAAAA", b), PLC_DLT645_OK);
    assert_true(plc_dlt645_addr_matches(b, a));
    assert_int_equal(plc_dlt645_addr_parse("AAAA56789012", b), PLC_DLT645_OK);
    assert_true(plc_dlt645_addr_matches(b, a));
    assert_int_equal(plc_dlt645_addr_parse("AAAA56789013", b), PLC_DLT645_OK);
    assert_false(plc_dlt645_addr_matches(b, a));
    assert_int_equal(plc_dlt645_addr_parse("999999999999", b), PLC_DLT645_OK);
    assert_true(plc_dlt645_addr_is_broadcast(b) && plc_dlt645_addr_matches(b, a));
}

/* The daily freeze formats (gateway-upstream.md section 4): freeze time YYMMDDhhmm and the
 * forward energy block, total and 4 tariffs of XXXXXX.XX, low byte first. */
static void test_daily_freeze_formats(void **st)
{
    (void)st;
    uint8_t p[20];
    const plc_dlt645_value t = {.kind = PLC_DLT645_FREEZE_TIME, .t = {2026, 3, 5, -1, 0, 0, 0}};
    assert_int_equal(plc_dlt645_value_encode(0x05060001, &t, p, sizeof(p)), 5);
    const uint8_t want_t[5] = {0x00, 0x00, 0x05, 0x03, 0x26};
    assert_memory_equal(p, want_t, 5);
    plc_dlt645_value e = {.kind = PLC_DLT645_ENERGY_BLOCK, .raw = 123456,
                          .tariff = {1, 20000, 3456, 99999999}};
    assert_int_equal(plc_dlt645_value_encode(0x0506013E, &e, p, sizeof(p)), 20);
    const uint8_t want_e[20] = {0x56, 0x34, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x02, 0x00, 0x56, 0x34, 0x00, 0x00, 0x99, 0x99, 0x99, 0x99};
    assert_memory_equal(p, want_e, 20);
    plc_dlt645_value back;
    assert_int_equal(plc_dlt645_value_decode(0x05060102, p, 20, &back), PLC_DLT645_OK);
    assert_int_equal(back.raw, 123456);
    assert_int_equal(back.tariff[1], 20000);
    assert_int_equal(back.tariff[3], 99999999);
    /* nn is 01..3E: 00 and 3F are not daily freezes */
    assert_non_null(plc_dlt645_di_lookup(0x0506003E));
    assert_null(plc_dlt645_di_lookup(0x05060000));
    assert_null(plc_dlt645_di_lookup(0x0506003F));
    assert_null(plc_dlt645_di_lookup(0x05060201));
    /* malformed: a month of 13, a non-BCD energy digit, short data */
    const uint8_t bad_t[5] = {0x00, 0x00, 0x05, 0x13, 0x26};
    assert_int_equal(plc_dlt645_value_decode(0x05060001, bad_t, 5, &back), PLC_DLT645_E_BCD);
    p[9] = 0x0A;
    assert_int_equal(plc_dlt645_value_decode(0x05060101, p, 20, &back), PLC_DLT645_E_BCD);
    assert_true(plc_dlt645_value_decode(0x05060101, p, 19, &back) != PLC_DLT645_OK);
    assert_int_equal(plc_dlt645_value_encode(0x05060101, &e, p, 19), PLC_DLT645_E_OVERSIZE);
}

static void test_extractor(void **st)
{
    (void)st;
    uint8_t stream[512];
    size_t n = 0;
    /* garbage, a frame, a fake start byte, a frame with a bad checksum, two good frames */
    n += tu_hex("00 13 68 FF 77", stream + n, sizeof(stream) - n);
    n += tu_hex(examples[2], stream + n, sizeof(stream) - n);
    n += tu_hex("68 12 90", stream + n, sizeof(stream) - n);
    n += tu_hex("68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 55 16", stream + n, sizeof(stream) - n);
    n += tu_hex(examples[0], stream + n, sizeof(stream) - n);
    n += tu_hex(examples[5], stream + n, sizeof(stream) - n);
    /* fed one byte at a time and in odd chunks: the same frames come out */
    for (size_t chunk = 1; chunk <= 7; chunk += 3) {
        plc_dlt645_extractor x;
        plc_dlt645_extractor_init(&x);
        plc_dlt645_frame f;
        uint8_t ctrls[8];
        unsigned got = 0;
        for (size_t i = 0; i < n; i += chunk) {
            const size_t k = i + chunk <= n ? chunk : n - i;
            assert_int_equal(plc_dlt645_extractor_feed(&x, stream + i, k), k);
            while (plc_dlt645_extractor_next(&x, &f))
                ctrls[got++] = f.ctrl;
        }
        assert_int_equal(got, 3);
        assert_int_equal(ctrls[0], 0x91);
        assert_int_equal(ctrls[1], 0x13);
        assert_int_equal(ctrls[2], 0x93);
        assert_int_equal(x.bad_frames, 1);
        assert_int_equal(x.last_error, PLC_DLT645_E_CHECKSUM);
        assert_true(x.garbage_bytes >= 8);
    }
}

/* ---- the meter ---- */
static plc_meter *meter(void)
{
    plc_meter_config c;
    plc_meter_config_default(&c);
    plc_dlt645_addr_parse("000000000042", c.addr);
    c.seed = 42;
    plc_meter *m = plc_meter_create(&c);
    assert_non_null(m);
    return m;
}

static int ask(plc_meter *m, const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    /* through the wire format, as over the network */
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const int n = plc_dlt645_encode(q, 4, buf, sizeof(buf));
    assert_true(n > 0);
    plc_dlt645_frame q2;
    assert_int_equal(plc_dlt645_decode(buf, (size_t)n, &q2, NULL), PLC_DLT645_OK);
    return plc_meter_handle(m, &q2, r);
}

static int64_t read_raw(plc_meter *m, uint32_t di)
{
    plc_dlt645_frame q, r;
    plc_dlt645_read_request(plc_meter_addr(m), di, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x91);
    assert_int_equal(plc_dlt645_di_get(r.data), di);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(di, r.data + 4, r.len - 4u, &v), PLC_DLT645_OK);
    return v.raw;
}

static void control(plc_meter *m, uint8_t func, uint8_t n1, uint32_t password,
                    const uint8_t *tail, plc_dlt645_frame *q)
{
    memset(q, 0, sizeof(*q));
    memcpy(q->addr, plc_meter_addr(m), 6);
    q->ctrl = func;
    q->data[0] = 0x02;
    plc_dlt645_bcd_encode(password, 3, 0, q->data + 1);
    q->len = 16;
    q->data[8] = n1;
    if (tail)
        memcpy(q->data + 10, tail, 6);
}

static void test_meter_registers_and_clock(void **st)
{
    (void)st;
    plc_meter *m = meter();
    plc_meter_advance(m, 3600ull * 1000000u * 24); /* one day */
    const int64_t fwd = read_raw(m, 0x00010000);
    assert_true(fwd > 500 && fwd < 5000); /* 0.6 kW mean: about 14 kWh a day */
    assert_int_equal(fwd, plc_meter_register(m, 0x00010000));
    int64_t tariffs = 0;
    for (uint32_t t = 1; t <= 4; t++)
        tariffs += read_raw(m, 0x00010000 | t << 8);
    assert_true(tariffs >= fwd - 4 && tariffs <= fwd); /* each rounded down */
    assert_int_equal(read_raw(m, 0x00000000), fwd);     /* no reverse energy */
    const int64_t volts = read_raw(m, 0x02010100);
    assert_true(volts > 2000 && volts < 2400);
    assert_true(read_raw(m, 0x02800002) > 4980 && read_raw(m, 0x02800002) < 5020);
    assert_int_equal(read_raw(m, 0x04000401), 42);
    /* clock: one day later with +20 ppm drift: 2026-01-02 00:00:01 */
    plc_dlt645_time t;
    plc_meter_clock(m, &t);
    assert_int_equal(t.day, 2);
    assert_int_equal(t.second, 1);
    assert_int_equal(t.weekday, 5); /* a Friday */
    /* broadcast time sync: 4 minutes off is accepted, 6 minutes off is not; no reply */
    plc_dlt645_frame q, r;
    plc_dlt645_time want = {2026, 1, 2, 0, 0, 4, 0};
    plc_dlt645_time_sync(&want, &q);
    assert_int_equal(ask(m, &q, &r), 0);
    plc_meter_clock(m, &t);
    assert_int_equal(t.minute, 4);
    want.minute = 10;
    plc_dlt645_time_sync(&want, &q);
    assert_int_equal(ask(m, &q, &r), 0);
    plc_meter_clock(m, &t);
    assert_int_equal(t.minute, 4);
    /* not for this meter: silence; unknown DI: abnormal reply "no data" */
    uint8_t other[6];
    plc_dlt645_addr_parse("000000000043", other);
    plc_dlt645_read_request(other, 0x00010000, &q);
    assert_int_equal(ask(m, &q, &r), 0);
    plc_dlt645_read_request(plc_meter_addr(m), 0x02FF0000, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1);
    assert_int_equal(r.data[0], PLC_DLT645_ERR_NO_DATA);
    /* read address by wildcard */
    memset(q.addr, 0xAA, 6);
    q.ctrl = PLC_DLT645_READ_ADDRESS;
    q.len = 0;
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x93);
    assert_memory_equal(r.data, plc_meter_addr(m), 6);
    plc_meter_destroy(m);
}

static plc_dlt645_value read_value(plc_meter *m, uint32_t di)
{
    plc_dlt645_frame q, r;
    plc_dlt645_read_request(plc_meter_addr(m), di, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x91);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(di, r.data + 4, r.len - 4u, &v), PLC_DLT645_OK);
    return v;
}

/* The meter freezes at its own midnight: the n-th last freeze has that day's time and the
 * energy the register had then (within one minute's load); none yet reads "no data". */
static void test_meter_daily_freeze(void **st)
{
    (void)st;
    plc_meter *m = meter();
    const uint64_t minute = 60000000ull, day = 1440 * minute;
    plc_dlt645_frame q, r;
    plc_dlt645_read_request(plc_meter_addr(m), 0x05060101, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1); /* nothing frozen on the first day */
    assert_int_equal(r.data[0], PLC_DLT645_ERR_NO_DATA);
    int64_t before[4], after[4];
    for (unsigned d = 1; d <= 3; d++) {
        plc_meter_advance(m, d * day - 2 * minute); /* the clock runs 20 ppm fast */
        before[d] = plc_meter_register(m, 0x00010000);
        plc_meter_advance(m, d * day + minute);
        after[d] = plc_meter_register(m, 0x00010000);
    }
    for (unsigned nth = 1; nth <= 3; nth++) {
        const unsigned d = 4 - nth;
        const plc_dlt645_value t = read_value(m, 0x05060000 | nth);
        assert_int_equal(t.t.year, 2026);
        assert_int_equal(t.t.month, 1);
        assert_int_equal(t.t.day, 1 + (int)d);
        assert_int_equal(t.t.hour, 0);
        assert_int_equal(t.t.minute, 0);
        const plc_dlt645_value e = read_value(m, 0x05060100 | nth);
        assert_true(e.raw >= before[d] - 4 && e.raw <= after[d]);
        assert_int_equal(e.raw, e.tariff[0] + e.tariff[1] + e.tariff[2] + e.tariff[3]);
        assert_true(e.tariff[2] > 0); /* the valley tariff runs over midnight */
    }
    plc_dlt645_read_request(plc_meter_addr(m), 0x05060104, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1);
    plc_meter_destroy(m);
}

/* Hourly freezes at every period boundary of the meter's clock (60 min; 15 once written):
 * 050400nn the time, 050401nn the forward energy then; none before the first. */
static void test_meter_hourly_freeze(void **st)
{
    (void)st;
    assert_non_null(plc_dlt645_di_lookup(0x050400FE));
    assert_non_null(plc_dlt645_di_lookup(0x05040201));
    assert_null(plc_dlt645_di_lookup(0x050400FF));
    assert_null(plc_dlt645_di_lookup(0x05040301));
    plc_meter *m = meter();
    const uint64_t minute = 60000000ull;
    plc_meter_advance(m, 185 * minute); /* 03:05 */
    int64_t last = -1;
    for (unsigned nth = 3; nth >= 1; nth--) {
        const plc_dlt645_value t = read_value(m, 0x05040000 | nth);
        assert_int_equal(t.t.hour, 4 - (int)nth);
        assert_int_equal(t.t.minute, 0);
        const int64_t e = read_raw(m, 0x05040100 | nth);
        assert_true(e > last);
        last = e;
    }
    assert_true(last <= read_raw(m, 0x00010000));
    plc_dlt645_frame q, r;
    plc_dlt645_read_request(plc_meter_addr(m), 0x05040004, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1); /* no fourth: the meter started at 00:00 */
    assert_int_equal(read_raw(m, 0x04001202), 60);
    const plc_dlt645_value p15 = {.kind = PLC_DLT645_NUMBER, .raw = 15};
    plc_dlt645_write_request(plc_meter_addr(m), 0x04001202, 0x02, 123456, 0, &p15, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x94);
    plc_meter_advance(m, 215 * minute); /* 03:35: 03:15 and 03:30 frozen */
    assert_int_equal(read_value(m, 0x05040001).t.minute, 30);
    assert_int_equal(read_value(m, 0x05040002).t.minute, 15);
    assert_int_equal(read_value(m, 0x05040003).t.hour, 3);
    const plc_dlt645_value p20 = {.kind = PLC_DLT645_NUMBER, .raw = 20};
    plc_dlt645_write_request(plc_meter_addr(m), 0x04001202, 0x02, 123456, 0, &p20, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD4); /* only 15, 30 or 60 */
    plc_meter_destroy(m);
}

/* The load profile record, byte by byte as the layout says (independent of the encoder):
 * 2026-12-02 14:15, class 1 only: voltage A 220.1 V, current A 1.234 A, B and C not
 * measured (FF), 50.00 Hz. */
static const uint8_t rec_class1[] = {
    0xA0, 0xA0, 0x1C,                   /* LEN = time 5 + class 1 17 + 6 AA = 28 */
    0x15, 0x14, 0x02, 0x12, 0x26,       /* mm hh DD MM YY */
    0x01, 0x22, 0xFF, 0xFF, 0xFF, 0xFF, /* 220.1 V, B, C absent */
    0x34, 0x12, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* 1.234 A, B, C absent */
    0x00, 0x50,                         /* 50.00 Hz */
    0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, /* class 1 ends, classes 2-6 empty */
    0x00, 0xE5};                        /* CS (filled below), E5 */

static void test_load_profile_codec(void **st)
{
    (void)st;
    uint8_t want[sizeof(rec_class1)];
    memcpy(want, rec_class1, sizeof(want));
    uint8_t cs = 0;
    for (size_t i = 0; i < sizeof(want) - 2; i++)
        cs = (uint8_t)(cs + want[i]);
    want[sizeof(want) - 2] = cs;
    plc_dlt645_profile_record r = {.t = {2026, 12, 2, 3, 14, 15, 0}, .classes = 0x01,
                                   .present = 1u << 0 | 1u << 3 | 1u << 6};
    r.field[0] = 2201, r.field[3] = 1234, r.field[6] = 5000;
    uint8_t out[128];
    assert_int_equal(plc_dlt645_profile_record_encode(&r, out, sizeof(out)), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(plc_dlt645_profile_record_size(0x01), sizeof(want));
    assert_int_equal(plc_dlt645_profile_record_size(0x3F), 3 + 5 + 17 + 24 + 8 + 16 + 16 + 6 + 6 + 2);
    plc_dlt645_profile_record d;
    size_t used;
    assert_int_equal(plc_dlt645_profile_record_decode(want, sizeof(want), &d, &used), PLC_DLT645_OK);
    assert_int_equal(used, sizeof(want));
    assert_int_equal(d.classes, 0x01);
    assert_int_equal(d.present, r.present);
    assert_int_equal(d.field[0], 2201);
    assert_int_equal(d.field[3], 1234);
    assert_int_equal(d.field[6], 5000);
    assert_int_equal(d.t.year, 2026);
    assert_int_equal(d.t.hour, 14);
    assert_int_equal(d.t.minute, 15);
    /* every class, signed values */
    plc_dlt645_profile_record a = {.t = {2026, 1, 31, 6, 23, 45, 0}, .classes = 0x3F,
                                   .present = (1u << PLC_DLT645_PROFILE_FIELDS) - 1};
    for (unsigned i = 0; i < PLC_DLT645_PROFILE_FIELDS; i++) {
        const plc_dlt645_profile_field *f = plc_dlt645_profile_field_info(i);
        a.field[i] = (int64_t)(i + 1) * 37 * (f->is_signed && i % 2 ? -1 : 1);
    }
    const int n = plc_dlt645_profile_record_encode(&a, out, sizeof(out));
    assert_int_equal(n, plc_dlt645_profile_record_size(0x3F));
    assert_int_equal(plc_dlt645_profile_record_decode(out, (size_t)n, &d, &used), PLC_DLT645_OK);
    assert_int_equal(d.present, a.present);
    for (unsigned i = 0; i < PLC_DLT645_PROFILE_FIELDS; i++)
        assert_int_equal(d.field[i], a.field[i]);
    assert_int_equal(plc_dlt645_profile_record_encode(&a, out, (size_t)n - 1), PLC_DLT645_E_OVERSIZE);

    /* malformed records: each its own error, never a crash */
    uint8_t b[sizeof(want)];
#define BAD(mutate, err)                                                                   \
    do {                                                                                   \
        memcpy(b, want, sizeof(b));                                                        \
        mutate;                                                                            \
        assert_int_equal(plc_dlt645_profile_record_decode(b, sizeof(b), &d, &used), err);  \
    } while (0)
    BAD(b[1] = 0x68, PLC_DLT645_E_START);
    BAD(b[sizeof(b) - 2] ^= 1, PLC_DLT645_E_CHECKSUM);
    BAD(b[sizeof(b) - 1] = 0x16, PLC_DLT645_E_END);
    BAD((b[8] = 0x0B, b[sizeof(b) - 2] = (uint8_t)(cs + 0x0A)), PLC_DLT645_E_BCD);
    BAD((b[5] = 0x32, b[sizeof(b) - 2] = (uint8_t)(cs + 0x30)), PLC_DLT645_E_BCD); /* day 32 */
    /* a class neither empty nor whole: no AA after its 17 bytes */
    BAD((b[25] = 0x00, b[sizeof(b) - 2] = (uint8_t)(cs - 0xAA)), PLC_DLT645_E_DATA);
    BAD((b[2] = 0x08), PLC_DLT645_E_LENGTH);
    assert_int_equal(plc_dlt645_profile_record_decode(want, sizeof(want) - 1, &d, &used), PLC_DLT645_E_SHORT);
    assert_int_equal(plc_dlt645_profile_record_decode(want, 2, &d, &used), PLC_DLT645_E_SHORT);
#undef BAD

    /* the request: DI, N (BCD), mm hh DD MM YY */
    plc_dlt645_frame f;
    const uint8_t addr[6] = {0x01, 0, 0, 0, 0, 0};
    const plc_dlt645_time from = {2026, 12, 2, 3, 14, 0, 0};
    assert_int_equal(plc_dlt645_profile_request(addr, 0, 12, &from, &f), PLC_DLT645_OK);
    const uint8_t q[10] = {0x01, 0x00, 0x00, 0x06, 0x12, 0x00, 0x14, 0x02, 0x12, 0x26};
    assert_int_equal(f.len, 10);
    assert_memory_equal(f.data, q, 10);
    assert_int_equal(f.ctrl, 0x11);
    uint8_t classes;
    unsigned nn;
    plc_dlt645_time t;
    assert_int_equal(plc_dlt645_profile_parse_request(f.data, f.len, &classes, &nn, &t), PLC_DLT645_OK);
    assert_int_equal(classes, 0x3F);
    assert_int_equal(nn, 12);
    assert_int_equal(t.hour, 14);
    assert_int_equal(plc_dlt645_profile_request(addr, 2, 1, &from, &f), PLC_DLT645_OK);
    assert_int_equal(f.data[2], 0x02); /* 06020001: class 2 */
    assert_int_equal(plc_dlt645_profile_parse_request(f.data, f.len, &classes, &nn, &t), PLC_DLT645_OK);
    assert_int_equal(classes, 0x02);
    assert_int_equal(plc_dlt645_profile_request(addr, 7, 1, &from, &f), PLC_DLT645_E_ARG);
    assert_int_equal(plc_dlt645_profile_request(addr, 0, 100, &from, &f), PLC_DLT645_E_ARG);
    uint8_t bad[10];
    memcpy(bad, q, 10);
    assert_int_equal(plc_dlt645_profile_parse_request(bad, 9, &classes, &nn, &t), PLC_DLT645_E_DATA);
    bad[4] = 0x1A;
    assert_int_equal(plc_dlt645_profile_parse_request(bad, 10, &classes, &nn, &t), PLC_DLT645_E_BCD);
    bad[4] = 0x00;
    assert_int_equal(plc_dlt645_profile_parse_request(bad, 10, &classes, &nn, &t), PLC_DLT645_E_DATA);
    bad[4] = 0x01, bad[2] = 0x07;
    assert_int_equal(plc_dlt645_profile_parse_request(bad, 10, &classes, &nn, &t), PLC_DLT645_E_UNKNOWN_DI);
}

/* The simulated meter's load profile through its 645 side: a record every 15 minutes, whole
 * records from the time asked, as many as fit, "no data" past the last. */
static void test_meter_load_profile(void **st)
{
    (void)st;
    plc_meter *m = meter();
    const uint64_t minute = 60000000ull;
    plc_meter_advance(m, 125 * minute); /* 02:05: 00:15 .. 02:00 taken (8) */
    plc_dlt645_frame q, r;
    const plc_dlt645_time from = {2026, 1, 1, 4, 0, 30, 0};
    assert_int_equal(plc_dlt645_profile_request(plc_meter_addr(m), 0, 10, &from, &q), PLC_DLT645_OK);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x91);
    assert_int_equal(plc_dlt645_di_get(r.data), PLC_DLT645_PROFILE_DI);
    const size_t size = plc_dlt645_profile_record_size(0x0F);
    assert_int_equal(r.len, 4 + 2 * size); /* two whole records of classes 1-4 fit in 200 */
    size_t at = 4, used;
    int64_t last_kwh = -1;
    for (int k = 0; k < 2; k++) {
        plc_dlt645_profile_record d;
        assert_int_equal(plc_dlt645_profile_record_decode(r.data + at, r.len - at, &d, &used), PLC_DLT645_OK);
        at += used;
        assert_int_equal(d.classes, 0x0F);
        assert_int_equal(d.t.hour, 0);
        assert_int_equal(d.t.minute, 30 + 15 * k);
        assert_true(d.present & 1u << 0);      /* voltage A */
        assert_false(d.present & 1u << 1);     /* no phase B */
        assert_true(d.field[0] > 2000 && d.field[0] < 2500);
        assert_int_equal(d.field[6] / 100, 50); /* 50.xx Hz */
        assert_true(d.field[19] >= last_kwh && d.field[19] < 100); /* a new register */
        last_kwh = d.field[19];
    }
    /* class 1 only: five of them fit */
    assert_int_equal(plc_dlt645_profile_request(plc_meter_addr(m), 1, 10, &from, &q), PLC_DLT645_OK);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.len, 4 + 5 * plc_dlt645_profile_record_size(0x01));
    /* from 02:00: the last one; from 02:01: none */
    plc_dlt645_time late = {2026, 1, 1, 4, 2, 0, 0};
    plc_dlt645_profile_request(plc_meter_addr(m), 0, 10, &late, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.len, 4 + size);
    late.minute = 1;
    plc_dlt645_profile_request(plc_meter_addr(m), 0, 10, &late, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1);
    assert_int_equal(r.data[0], PLC_DLT645_ERR_NO_DATA);
    plc_meter_destroy(m);
}

/* The last clock setting and programming records (03300401: operator, before, after;
 * 03300001: when, operator, 10 DI slots), byte by byte as gateway-upstream.md section 4 lays
 * them out, and the simulated meter's through its 645 side after writes with an operator. */
static void test_write_records(void **st)
{
    (void)st;
    const uint8_t ts[16] = {0x11, 0x47, 0x00, 0x00,              /* operator 00004711 */
                            0x00, 0x05, 0x00, 0x01, 0x01, 0x26,  /* 2026-01-01 00:05:00 */
                            0x00, 0x40, 0x12, 0x01, 0x01, 0x26}; /* 2026-01-01 12:40:00 */
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(0x03300401, ts, sizeof(ts), &v), PLC_DLT645_OK);
    assert_int_equal(v.kind, PLC_DLT645_TIMESET_RECORD);
    assert_int_equal(v.raw, 4711);
    assert_int_equal(v.t.minute, 5);
    assert_int_equal(v.t_end.hour, 12);
    assert_int_equal(v.t_end.minute, 40);
    uint8_t out[64];
    assert_int_equal(plc_dlt645_value_encode(0x03300401, &v, out, sizeof(out)), 16);
    assert_memory_equal(out, ts, 16);
    uint8_t pr[50];
    memset(pr, 0xFF, sizeof(pr));
    const uint8_t head[14] = {0x30, 0x59, 0x23, 0x31, 0x12, 0x26, /* 2026-12-31 23:59:30 */
                              0x78, 0x56, 0x34, 0x12,             /* operator 12345678 */
                              0x01, 0x10, 0x00, 0x04};            /* DI 04001001 */
    memcpy(pr, head, sizeof(head));
    assert_int_equal(plc_dlt645_value_decode(0x03300001, pr, sizeof(pr), &v), PLC_DLT645_OK);
    assert_int_equal(v.kind, PLC_DLT645_PROGRAM_RECORD);
    assert_int_equal(v.raw, 12345678);
    assert_int_equal(v.t.second, 30);
    assert_int_equal(v.n_dis, 1);
    assert_int_equal(v.dis[0], 0x04001001u);
    assert_int_equal(plc_dlt645_value_encode(0x03300001, &v, out, sizeof(out)), 50);
    assert_memory_equal(out, pr, 50);
    assert_non_null(plc_dlt645_di_lookup(0x0330040A));
    assert_null(plc_dlt645_di_lookup(0x0330040B));
    /* malformed: a DI after an unused slot, a bad operator, a bad time, a short record */
    pr[18] = 0x02, pr[19] = 0x10, pr[20] = 0x00, pr[21] = 0x04; /* slot 3 used, slot 2 not */
    assert_int_equal(plc_dlt645_value_decode(0x03300001, pr, sizeof(pr), &v), PLC_DLT645_E_DATA);
    uint8_t bad[16];
    memcpy(bad, ts, 16);
    bad[0] = 0x1A;
    assert_int_equal(plc_dlt645_value_decode(0x03300401, bad, 16, &v), PLC_DLT645_E_BCD);
    memcpy(bad, ts, 16);
    bad[14] = 0x13; /* month 13 */
    assert_int_equal(plc_dlt645_value_decode(0x03300401, bad, 16, &v), PLC_DLT645_E_BCD);
    assert_int_equal(plc_dlt645_value_decode(0x03300401, ts, 15, &v), PLC_DLT645_E_DATA);

    /* the meter keeps them: a clock setting and a programming by operator 4711 */
    plc_meter *m = meter();
    plc_meter_advance(m, 5 * 60000000ull); /* 00:05 */
    plc_dlt645_frame q, r;
    plc_dlt645_read_request(plc_meter_addr(m), 0x03300401, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1); /* none yet */
    const plc_dlt645_value t = {.kind = PLC_DLT645_TIME, .t = {.hour = 12, .minute = 40}};
    plc_dlt645_write_request(plc_meter_addr(m), 0x04000102, 0x02, 123456, 4711, &t, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x94);
    const plc_dlt645_value al = {.kind = PLC_DLT645_NUMBER, .raw = 3000, .decimals = 2};
    plc_dlt645_write_request(plc_meter_addr(m), 0x04001001, 0x02, 123456, 4711, &al, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x94);
    v = read_value(m, 0x03300401);
    assert_int_equal(v.raw, 4711);
    assert_int_equal(v.t.hour, 0);
    assert_int_equal(v.t.minute, 5);
    assert_int_equal(v.t_end.hour, 12);
    assert_int_equal(v.t_end.minute, 40);
    v = read_value(m, 0x03300001);
    assert_int_equal(v.raw, 4711);
    assert_int_equal(v.t.hour, 12); /* after the clock was set */
    assert_int_equal(v.n_dis, 1);
    assert_int_equal(v.dis[0], 0x04001001u);
    plc_dlt645_read_request(plc_meter_addr(m), 0x03300002, &q); /* no second */
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD1);
    plc_meter_destroy(m);
}

static void test_meter_relay_prepaid_events(void **st)
{
    (void)st;
    plc_meter *m = meter();
    plc_dlt645_frame q, r;
    /* wrong password: refused */
    control(m, PLC_DLT645_RELAY, 0x1A, 111111, NULL, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xDC);
    assert_int_equal(r.data[0], PLC_DLT645_ERR_PASSWORD);
    assert_true(plc_meter_relay_closed(m));
    /* trip, then close allowed */
    control(m, PLC_DLT645_RELAY, 0x1A, 123456, NULL, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x9C);
    assert_false(plc_meter_relay_closed(m));
    assert_true(read_raw(m, 0x04000503) & PLC_METER_ST3_RELAY_OPEN);
    control(m, PLC_DLT645_RELAY, 0x1B, 123456, NULL, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_true(plc_meter_relay_closed(m));
    /* keep power until 2026-03-01: a trip is refused meanwhile */
    const uint8_t until[6] = {0x00, 0x00, 0x00, 0x01, 0x03, 0x26};
    control(m, PLC_DLT645_RELAY, 0x3A, 123456, until, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x9C);
    control(m, PLC_DLT645_RELAY, 0x1A, 123456, NULL, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xDC);
    assert_true(plc_meter_relay_closed(m));
    control(m, PLC_DLT645_RELAY, 0x3B, 123456, NULL, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    /* prepaid: 100 yuan at 0.60/kWh lasts about 167 kWh, ~12 days; alarms, then a trip */
    uint64_t t_us = 0;
    int alarm1_day = -1;
    for (int day = 1; day <= 30 && plc_meter_relay_closed(m); day++) {
        t_us += 86400ull * 1000000u;
        plc_meter_advance(m, t_us);
        if (alarm1_day < 0 && (read_raw(m, 0x04000503) & PLC_METER_ST3_ALARM1))
            alarm1_day = day;
    }
    assert_true(alarm1_day > 0);
    assert_false(plc_meter_relay_closed(m));
    assert_int_equal(read_raw(m, 0x00900200), 0);
    assert_true(read_raw(m, 0x04000503) & PLC_METER_ST3_ALARM2);
    /* no energy counted while tripped */
    const int64_t e = read_raw(m, 0x00010000);
    t_us += 86400ull * 1000000u;
    plc_meter_advance(m, t_us);
    assert_int_equal(read_raw(m, 0x00010000), e);
    /* top-up of 50 yuan as purchase 1 (write with password and operator code): the relay
     * recloses; the same top-up again (an answer lost, the write retried) is refused and
     * not added; purchase 3 before 2 is refused too */
    plc_dlt645_value up = {.kind = PLC_DLT645_TOPUP, .raw = 5000, .count = 1};
    assert_int_equal(plc_dlt645_write_request(plc_meter_addr(m), 0x070102FF, 0x02, 123456,
                                              12345678, &up, &q), PLC_DLT645_OK);
    assert_int_equal(q.len, 18);
    const uint8_t want[18] = {0xFF, 0x02, 0x01, 0x07, 0x02, 0x56, 0x34, 0x12, 0x78, 0x56,
                              0x34, 0x12, 0x00, 0x50, 0x00, 0x00, 0x01, 0x00};
    assert_memory_equal(q.data, want, 18);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0x94);
    assert_true(plc_meter_relay_closed(m));
    const int64_t after = read_raw(m, 0x00900200);
    assert_true(after > 4900 && after <= 5000);
    assert_int_equal(read_raw(m, 0x03330201), 1);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD4);
    assert_int_equal(read_raw(m, 0x00900200), after);
    up.count = 3;
    plc_dlt645_write_request(plc_meter_addr(m), 0x070102FF, 0x02, 123456, 0, &up, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    assert_int_equal(r.ctrl, 0xD4);
    assert_int_equal(read_raw(m, 0x03330201), 1);
    /* power down and up: count and record */
    plc_meter_set_mains(m, 0);
    t_us += 60ull * 1000000u;
    plc_meter_advance(m, t_us);
    plc_meter_set_mains(m, 1);
    assert_int_equal(read_raw(m, 0x03110000), 1);
    plc_dlt645_read_request(plc_meter_addr(m), 0x03110001, &q);
    assert_int_equal(ask(m, &q, &r), 1);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(0x03110001, r.data + 4, 12, &v), PLC_DLT645_OK);
    assert_true(v.t_end.minute == (v.t.minute + 1) % 60);
    plc_meter_open_cover(m);
    assert_int_equal(read_raw(m, 0x03300D00), 1);
    plc_meter_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_examples_roundtrip),
        cmocka_unit_test(test_public_examples_content),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bcd_and_values),
        cmocka_unit_test(test_daily_freeze_formats),
        cmocka_unit_test(test_extractor),
        cmocka_unit_test(test_meter_registers_and_clock),
        cmocka_unit_test(test_meter_daily_freeze),
        cmocka_unit_test(test_meter_hourly_freeze),
        cmocka_unit_test(test_load_profile_codec),
        cmocka_unit_test(test_meter_load_profile),
        cmocka_unit_test(test_write_records),
        cmocka_unit_test(test_meter_relay_prepaid_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
