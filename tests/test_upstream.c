/* The upstream link's parts without a network: the clock estimator's arithmetic, message
 * validation (every malformed case its own code), the gateway store's outbox (triggers,
 * epoch, acknowledgement), the head-end store's idempotence, and the key files. */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "plc_err.h"
#include "plc_gw_nmea.h"
#include "plc_gw_store.h"
#include "plc_he_store.h"
#include "plc_sql.h"
#include "plc_up_clock.h"
#include "plc_up_link.h"
#include "plc_up_msg.h"

static void temp_path(char *p, size_t cap, const char *what)
{
    snprintf(p, cap, "/tmp/plc_up_test_%d_%s", (int)getpid(), what);
}

/* ---- the clock ---- */
static void test_clock_offsets(void **state)
{
    (void)state;
    plc_up_clock c;
    plc_up_clock_init(&c, 5, 2000);
    int64_t off = 0;
    int step = -1;
    /* the head-end 30 s ahead, symmetric 100 ms paths: offset 30000 every time, except one
     * sample 5 s off (an asymmetric path) and one -3 s: both dropped as max and min */
    const int64_t extra[5] = {0, 5000, 0, -3000, 0};
    int r = 0;
    for (int i = 0; i < 5; i++) {
        const int64_t t1 = 1000 * i, t2 = t1 + 100 + 30000 + 2 * extra[i], t3 = t2 + 10;
        const int64_t t4 = t1 + 210;
        r = plc_up_clock_sample(&c, t1, t2, t3, t4, &off, &step);
        assert_int_equal(r, i < 4 ? 0 : 1);
    }
    assert_int_equal(off, 30000);
    assert_int_equal(step, 1);
    /* within the threshold: estimated, not stepped */
    for (int i = 0; i < 5; i++)
        r = plc_up_clock_sample(&c, 0, 1500 + 100, 1500 + 110, 210, &off, &step);
    assert_int_equal(r, 1);
    assert_int_equal(off, 1500);
    assert_int_equal(step, 0);
    /* impossible round trips are refused and not counted */
    assert_int_equal(plc_up_clock_sample(&c, 100, 0, 0, 50, &off, &step), -1);
    assert_int_equal(plc_up_clock_sample(&c, 0, 0, 500, 100, &off, &step), -1);
    assert_int_equal(c.n, 0);
}

/* ---- messages ---- */
static int decode_code(const plc_up_env *e)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(plc_up_encode(e, &buf, &len), PLC_OK);
    int code = 1;
    char why[160];
    plc_up_env *d = plc_up_decode(buf, len, &code, why, sizeof(why));
    free(buf);
    if (d) {
        plc_up_free(d);
        return PLC_OK;
    }
    assert_true(why[0] != 0);
    return code;
}

static void test_messages_validated(void **state)
{
    (void)state;
    Plc__Upstream__Login l = PLC__UPSTREAM__LOGIN__INIT;
    l.gateway_id = "gw1";
    l.software = "x";
    l.epoch = 7;
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.version = 1;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_LOGIN;
    e.login = &l;
    assert_int_equal(decode_code(&e), PLC_OK);
    e.version = 2;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_VERSION);
    e.version = 1;
    l.gateway_id = "gw 1"; /* a space */
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    l.gateway_id = "gw1";
    l.epoch = 0;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    l.epoch = 7;
    Plc__Upstream__Location loc = PLC__UPSTREAM__LOCATION__INIT;
    loc.latitude = 91;
    loc.source = "configured";
    l.location = &loc;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    loc.latitude = 31;
    assert_int_equal(decode_code(&e), PLC_OK);

    /* batches: seq order and range, meter addresses */
    Plc__Upstream__Reading r1 = PLC__UPSTREAM__READING__INIT, r2 = PLC__UPSTREAM__READING__INIT;
    r1.seq = 11;
    r1.meter = "000000000001";
    r1.value = "1.5";
    r2 = r1;
    r2.seq = 12;
    Plc__Upstream__Reading *rs[2] = {&r1, &r2};
    Plc__Upstream__Batch b = PLC__UPSTREAM__BATCH__INIT;
    b.epoch = 7;
    b.after = 10;
    b.last = 12;
    b.n_reading = 2;
    b.reading = rs;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_BATCH;
    e.batch = &b;
    assert_int_equal(decode_code(&e), PLC_OK);
    r2.seq = 11; /* not ascending */
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    r2.seq = 13; /* past last */
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    r2.seq = 12;
    r2.meter = "00000000000A";
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    r2.meter = "000000000002";
    b.last = 10; /* an empty range */
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    b.last = 12;

    /* commands: the kind, the meter it needs, the archive entry's key */
    Plc__Upstream__Command c = PLC__UPSTREAM__COMMAND__INIT;
    c.id = "c1";
    c.kind = PLC__UPSTREAM__COMMAND__KIND__TRIP;
    c.meter = "000000000003";
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_COMMAND;
    e.command = &c;
    assert_int_equal(decode_code(&e), PLC_OK);
    c.kind = (Plc__Upstream__Command__Kind)99;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    c.kind = PLC__UPSTREAM__COMMAND__KIND__TRIP;
    c.meter = NULL;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    c.kind = PLC__UPSTREAM__COMMAND__KIND__TOPUP; /* no amount */
    c.meter = "000000000003";
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    c.kind = PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD;
    Plc__Upstream__ArchiveEntry a = PLC__UPSTREAM__ARCHIVE_ENTRY__INIT;
    uint8_t psk[15] = {0};
    a.meter = "000000000099";
    a.has_eui = a.has_psk = 1;
    a.psk.data = psk;
    a.psk.len = sizeof(psk); /* 15 bytes */
    c.entry = &a;
    assert_int_equal(decode_code(&e), PLC_ERR_UP_INVALID);
    a.has_eui = a.has_psk = 0;
    assert_int_equal(decode_code(&e), PLC_OK);

    /* an empty envelope, and bytes that are not one */
    plc_up_env empty = PLC__UPSTREAM__ENVELOPE__INIT;
    empty.version = 1;
    assert_int_equal(decode_code(&empty), PLC_ERR_UP_INVALID);
    int code = 0;
    char why[160];
    const uint8_t junk[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    assert_null(plc_up_decode(junk, sizeof(junk), &code, why, sizeof(why)));
    assert_int_equal(code, PLC_ERR_UP_DECODE);
    assert_null(plc_up_decode(junk, PLC_UP_MAX_MSG + 1, &code, why, sizeof(why)));
    assert_int_equal(code, PLC_ERR_UP_INVALID);
}

/* ---- the gateway's outbox ---- */
static void test_outbox(void **state)
{
    (void)state;
    char path[200], err[256];
    temp_path(path, sizeof(path), "gw.db");
    plc_sql_remove(path);
    plc_gw_store *s = plc_gw_store_open(path, 0, err, sizeof(err));
    assert_non_null(s);
    const uint64_t epoch = plc_gw_store_epoch(s);
    assert_true(epoch != 0);
    plc_gw_meter m;
    plc_gw_meter_default(&m);
    snprintf(m.addr, sizeof(m.addr), "000000000001");
    assert_int_equal(plc_gw_store_meter_put(s, &m, &m.id), PLC_OK);
    plc_gw_reading r[3] = {{m.id, 0x00010000u, 100, "12.34", 101},
                           {m.id, 0x00010000u, 200, "12.50", 201},
                           {m.id, 0x00010000u, 100, "12.34", 301}}; /* the first again */
    unsigned stored = 0;
    assert_int_equal(plc_gw_store_readings(s, r, 3, &stored), PLC_OK);
    assert_int_equal(stored, 2);
    assert_int_equal(plc_gw_store_event(s, 150, "power-down", m.id, "last gasp"), PLC_OK);
    plc_gw_command_row c = {.id = "c1", .ts = 160, .meter = "000000000001", .kind = "trip",
                            .status = "queued"};
    assert_int_equal(plc_gw_store_command_put(s, &c), PLC_OK); /* queued: nothing yet */
    snprintf(c.status, sizeof(c.status), "done");
    snprintf(c.result, sizeof(c.result), "{\"verified\":true}");
    assert_int_equal(plc_gw_store_command_put(s, &c), PLC_OK);
    assert_int_equal(plc_gw_store_command_put(s, &c), PLC_OK); /* done again: not twice */

    plc_gw_outbox_item it[8];
    unsigned n = 0;
    assert_int_equal(plc_gw_store_outbox(s, 0, it, 8, &n), PLC_OK);
    assert_int_equal(n, 4);
    assert_int_equal(it[0].kind, PLC_GW_OUT_READING);
    assert_string_equal(it[0].meter, "000000000001");
    assert_int_equal(it[0].di, 0x00010000u);
    assert_int_equal(it[0].ts, 100);
    assert_string_equal(it[0].text, "12.34");
    assert_int_equal(it[1].ts, 200);
    assert_int_equal(it[2].kind, PLC_GW_OUT_EVENT);
    assert_string_equal(it[2].name, "power-down");
    assert_string_equal(it[2].meter, "000000000001");
    assert_string_equal(it[2].text, "last gasp");
    assert_int_equal(it[3].kind, PLC_GW_OUT_RESULT);
    assert_string_equal(it[3].name, "c1");
    assert_string_equal(it[3].text, "{\"verified\":true}");
    for (unsigned i = 1; i < n; i++)
        assert_true(it[i].seq > it[i - 1].seq);

    uint64_t gone = 0, count = 0, last = 0;
    assert_int_equal(plc_gw_store_outbox_ack(s, it[1].seq, &gone), PLC_OK);
    assert_int_equal(gone, 2);
    assert_int_equal(plc_gw_store_outbox(s, 0, it, 8, &n), PLC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(plc_gw_store_outbox_count(s, &count, &last), PLC_OK);
    assert_int_equal(count, 2);
    const uint64_t was_last = last;
    plc_gw_store_close(s);

    /* the epoch stays with the store; numbers are never reused after an acknowledgement */
    s = plc_gw_store_open(path, 0, err, sizeof(err));
    assert_non_null(s);
    assert_true(plc_gw_store_epoch(s) == epoch);
    assert_int_equal(plc_gw_store_outbox_ack(s, was_last, &gone), PLC_OK);
    plc_gw_reading r4 = {m.id, 0x00010000u, 300, "13.00", 302};
    assert_int_equal(plc_gw_store_readings(s, &r4, 1, &stored), PLC_OK);
    assert_int_equal(plc_gw_store_outbox(s, 0, it, 8, &n), PLC_OK);
    assert_int_equal(n, 1);
    assert_true(it[0].seq > was_last);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}

/* ---- the head-end's store: resends are harmless, the mark only moves forward ---- */
static void test_headend_store(void **state)
{
    (void)state;
    char path[200], err[256];
    temp_path(path, sizeof(path), "he.db");
    plc_sql_remove(path);
    plc_he_store *s = plc_he_store_open(path, 0, err, sizeof(err));
    assert_non_null(s);
    Plc__Upstream__Login l = PLC__UPSTREAM__LOGIN__INIT;
    l.gateway_id = "gw1";
    l.software = "t";
    l.epoch = 9;
    int64_t gw = 0;
    uint64_t acked = 99;
    assert_int_equal(plc_he_store_login(s, &l, 1000, &gw, &acked), PLC_OK);
    assert_int_equal(acked, 0);
    Plc__Upstream__Reading r[3];
    Plc__Upstream__Reading *rp[3];
    for (int i = 0; i < 3; i++) {
        plc__upstream__reading__init(&r[i]);
        r[i].seq = (uint64_t)i + 1;
        r[i].meter = "000000000001";
        r[i].value = "1";
        r[i].ts = i;
        rp[i] = &r[i];
    }
    Plc__Upstream__Batch b = PLC__UPSTREAM__BATCH__INIT;
    b.epoch = 9;
    b.after = 0;
    b.last = 3;
    b.n_reading = 3;
    b.reading = rp;
    unsigned stored = 0;
    assert_int_equal(plc_he_store_batch(s, gw, &b, 1001, &stored), PLC_OK);
    assert_int_equal(stored, 3);
    assert_int_equal(plc_he_store_batch(s, gw, &b, 1002, &stored), PLC_OK); /* a resend */
    assert_int_equal(stored, 0);
    b.last = 2;
    b.n_reading = 2;
    assert_int_equal(plc_he_store_batch(s, gw, &b, 1003, &stored), PLC_OK);
    assert_int_equal(plc_he_store_login(s, &l, 1004, &gw, &acked), PLC_OK);
    assert_int_equal(acked, 3); /* never moves back */
    l.epoch = 10;               /* a new store of the same gateway: its own numbers */
    assert_int_equal(plc_he_store_login(s, &l, 1005, &gw, &acked), PLC_OK);
    assert_int_equal(acked, 0);

    plc_he_command c = {.id = "c1", .gateway = "gw1", .kind = PLC__UPSTREAM__COMMAND__KIND__TRIP,
                        .meter = "000000000001"};
    assert_int_equal(plc_he_store_command_add(s, &c, 0, 1006), PLC_OK);
    assert_int_equal(plc_he_store_command_add(s, &c, 0, 1007), PLC_ERR_ARG); /* id taken */
    plc_he_command q[4];
    unsigned n = 0;
    assert_int_equal(plc_he_store_commands_new(s, "gw1", q, 4, &n), PLC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(plc_he_store_command_sent(s, "c1", 1008), PLC_OK);
    assert_int_equal(plc_he_store_commands_new(s, "gw1", q, 4, &n), PLC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(plc_he_store_commands_resend(s, "gw1"), PLC_OK); /* logged in again */
    assert_int_equal(plc_he_store_commands_new(s, "gw1", q, 4, &n), PLC_OK);
    assert_int_equal(n, 1);
    Plc__Upstream__CommandResult res = PLC__UPSTREAM__COMMAND_RESULT__INIT;
    res.id = "c1";
    res.status = PLC_ERR_UNKNOWN_METER;
    res.json = "{\"error\":\"no such meter\"}";
    assert_int_equal(plc_he_store_result(s, "gw1", &res, 1009), PLC_OK);
    plc_he_command got;
    assert_int_equal(plc_he_store_command_get(s, "c1", &got), 1);
    assert_string_equal(got.status, "failed");
    assert_int_equal(got.result_code, PLC_ERR_UNKNOWN_METER);
    assert_string_equal(got.result, "{\"error\":\"no such meter\"}");
    free(got.result);
    plc_he_store_close(s);
    plc_sql_remove(path);
}

/* ---- key files ---- */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_key_files(void **state)
{
    (void)state;
    char base[200], path[260], pub[41], sec[41], pub2[41], err[256];
    temp_path(base, sizeof(base), "key");
    snprintf(path, sizeof(path), "%s.key", base);
    remove(path);
    snprintf(path, sizeof(path), "%s.pub", base);
    remove(path);
    assert_int_equal(plc_up_keygen(base, pub, err, sizeof(err)), PLC_OK);
    assert_int_equal(plc_up_keygen(base, pub, err, sizeof(err)), PLC_ERR_IO); /* no overwrite */
    snprintf(path, sizeof(path), "%s.key", base);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(plc_up_key_read(path, pub2, sec, err, sizeof(err)), PLC_OK);
    assert_string_equal(pub, pub2);
    remove(path);
    snprintf(path, sizeof(path), "%s.pub", base);
    assert_int_equal(plc_up_key_read(path, pub2, NULL, err, sizeof(err)), PLC_OK);
    assert_string_equal(pub, pub2);
    assert_int_equal(plc_up_key_read(path, pub2, sec, err, sizeof(err)), PLC_ERR_FORMAT);
    assert_non_null(strstr(err, "secret"));
    write_text(path, "public = tooshort\n");
    assert_int_equal(plc_up_key_read(path, pub2, NULL, err, sizeof(err)), PLC_ERR_FORMAT);
    /* a public key that is not the secret key's */
    char text[200];
    snprintf(text, sizeof(text), "public = %s\nsecret = %s\n", pub, sec);
    text[9] = text[9] == 'a' ? 'b' : 'a';
    write_text(path, text);
    assert_int_equal(plc_up_key_read(path, pub2, sec, err, sizeof(err)), PLC_ERR_FORMAT);
    remove(path);
    assert_int_equal(plc_up_key_read(path, pub2, NULL, err, sizeof(err)), PLC_ERR_IO);
}

/* ---- the GNSS receiver's sentences ----
 * The GGA and RMC lines are the examples printed in NMEA 0183 references (checksums 47 and
 * 6A there); the Beidou one is ours, its checksum computed independently (Python). */
static void test_nmea(void **state)
{
    (void)state;
    plc_gw_fix f;
    const char *gga = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n";
    assert_int_equal(plc_gw_nmea_parse(gga, strlen(gga), &f), PLC_OK);
    assert_true(fabs(f.latitude - (48 + 7.038 / 60)) < 1e-9);
    assert_true(fabs(f.longitude - (11 + 31.0 / 60)) < 1e-9);
    assert_true(f.has_altitude && fabs(f.altitude_m - 545.4) < 1e-9);
    assert_int_equal(f.satellites, 8);
    const char *rmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
    assert_int_equal(plc_gw_nmea_parse(rmc, strlen(rmc), &f), PLC_OK);
    assert_true(fabs(f.latitude - 48.1173) < 1e-9);
    assert_false(f.has_altitude);
    const char *bd = "$BDGGA,041500.00,3113.824,N,12128.422,E,1,12,0.8,4.5,M,0.0,M,,*45";
    assert_int_equal(plc_gw_nmea_parse(bd, strlen(bd), &f), PLC_OK);
    assert_true(fabs(f.latitude - 31.2304) < 1e-9 && fabs(f.longitude - 121.4737) < 1e-9);
    /* no fix, other sentences, checksums, fields */
    const char *cases[][2] = {
        {"$GNGGA,041500.00,,,,,0,00,99.9,,,,,,*41", "unsupported"},
        {"$GPRMC,041500.00,V,,,,,,,021226,,,N*78", "unsupported"},
        {"$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74", "unsupported"},
        {"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48", "crc"},
        {"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", "crc"},
        {"$GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*51", "format"},
        {"$GPGGA,123519,48A7.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*36", "format"},
        /* 15 digits of latitude (fuzz_upstream: the degrees' cast to int overflowed) */
        {"$GPGGA,123519,999999999999999,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*60", "format"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const int want = !strcmp(cases[i][1], "crc")      ? PLC_ERR_CRC
                         : !strcmp(cases[i][1], "format") ? PLC_ERR_FORMAT
                                                          : PLC_ERR_UNSUPPORTED;
        assert_int_equal(plc_gw_nmea_parse(cases[i][0], strlen(cases[i][0]), &f), want);
    }
    /* the stream: noise, a line cut short by a new $, an overlong one, then a fix */
    plc_gw_nmea r;
    memset(&r, 0, sizeof(r));
    char stream[600];
    snprintf(stream, sizeof(stream), "\x01\xff garbage\r\n$GPGGA,1235$GPGSV,1*00\r\n$%0120d\r\n%s", 0,
             gga);
    memset(&f, 0, sizeof(f));
    assert_int_equal(plc_gw_nmea_feed(&r, (const uint8_t *)stream, strlen(stream), &f), 1);
    assert_true(fabs(f.altitude_m - 545.4) < 1e-9);
    assert_int_equal(r.fixes, 1);
    assert_int_equal(r.bad, 3); /* the GGA cut short, the GSV's checksum, the overlong line */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_offsets),
        cmocka_unit_test(test_messages_validated),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test(test_headend_store),
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_nmea),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
