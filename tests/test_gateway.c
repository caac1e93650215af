/* The concentrator (gateway/plc_gw) on virtual time: reply checking against a scripted link,
 * and a day of a 50-meter area read across the simulated mesh with its whole stack: the daily
 * freeze of every meter stored before the 07:00 deadline though a relay dies as the window
 * opens, and a power cut of 10 meters as 10 power-down events and one area outage. */
#define _DEFAULT_SOURCE /* openpty, CRTSCTS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "plc_dlt645.h"
#include "plc_dlt645_profile.h"
#include "plc_gw.h"
#include "plc_gw_topology.h"
#include "plc_gw_serial.h"
#include "plc_gw_store.h"
#include "plc_loadng.h"
#include "plc_loop.h"
#include "plc_meshnet.h"
#include "plc_sql.h"

#define DAY 86400
/* 2026-01-01 23:59:00 local, seconds since 1970 */
#define START (1767225600 + DAY - 60)

static void temp_db(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/plc_gw_test_%d_%u.db", (int)getpid(), (unsigned)rand());
}

static int64_t count_rows(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void add_archive(plc_gw_store *s, unsigned meters)
{
    for (unsigned i = 1; i <= meters; i++) {
        plc_gw_meter m;
        plc_gw_meter_default(&m);
        snprintf(m.addr, sizeof(m.addr), "%012u", i);
        assert_int_equal(plc_gw_store_meter_put(s, &m, NULL), PLC_OK);
    }
}

/* ---- reply checking against a scripted link ---- */
typedef struct script {
    unsigned sent;
    uint16_t to;
    plc_dlt645_frame last;
} script;

static int script_send(void *user, uint16_t to, const uint8_t *frame, size_t len)
{
    script *sc = user;
    assert_int_equal(plc_dlt645_decode(frame, len, &sc->last, NULL), PLC_DLT645_OK);
    sc->to = to;
    sc->sent++;
    return PLC_OK;
}

/* A meter's read reply: di, then len bytes of data. */
static size_t reply_bytes(const char *addr, uint32_t di, const uint8_t *data, size_t len,
                          uint8_t *out)
{
    plc_dlt645_frame f = {0};
    plc_dlt645_addr_parse(addr, f.addr);
    f.ctrl = PLC_DLT645_C_REPLY | PLC_DLT645_READ;
    plc_dlt645_di_put(di, f.data);
    assert_true(len <= sizeof(f.data) - 4);
    memcpy(f.data + 4, data, len);
    f.len = (uint8_t)(4 + len);
    const int n = plc_dlt645_encode(&f, 0, out, PLC_DLT645_MAX_FRAME);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t reply(const char *addr, uint32_t di, const plc_dlt645_value *v, uint8_t *out)
{
    uint8_t d[PLC_DLT645_MAX_DATA];
    const int n = plc_dlt645_value_encode(di, v, d, sizeof(d));
    assert_true(n > 0);
    return reply_bytes(addr, di, d, (size_t)n, out);
}

static void test_bad_replies_counted_never_stored(void **st)
{
    (void)st;
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, 2);
    plc_loop *loop = plc_loop_virtual_create(200);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + DAY + 6 * 3600; /* 2026-01-02 06:00: the window is open */
    script sc = {0};
    const plc_gw_link link = {script_send, &sc};
    plc_gw *g = plc_gw_create(&cfg, s, loop, &link, err, sizeof(err));
    assert_non_null(g);
    uint8_t a1[6];
    plc_dlt645_addr_parse("000000000001", a1);
    plc_gw_node_announced(g, 0x0011, a1);
    plc_loop_run(loop, 1500000);
    assert_int_equal(sc.sent, 1); /* the freeze time of the day, nn = 01 */
    assert_int_equal(sc.to, 0x0011);
    assert_int_equal(plc_dlt645_di_get(sc.last.data), 0x05060001u);

    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const plc_dlt645_value t = {.kind = PLC_DLT645_FREEZE_TIME, .t = {2026, 1, 2, -1, 0, 0, 0}};
    size_t n = reply("000000000001", 0x05060001u, &t, buf);
    /* garbage, a bad checksum, another meter's address, another DI: each counted, no step */
    const uint8_t garbage[7] = {0x68, 0x01, 0x02, 0x68, 0x00, 0x99, 0x16};
    plc_gw_frame_input(g, 0x0011, 2, 100, garbage, sizeof(garbage));
    uint8_t bad[PLC_DLT645_MAX_FRAME];
    memcpy(bad, buf, n);
    bad[n - 2] ^= 0x01;
    plc_gw_frame_input(g, 0x0011, 2, 100, bad, n);
    uint8_t other[PLC_DLT645_MAX_FRAME];
    const size_t no = reply("000000000002", 0x05060001u, &t, other);
    plc_gw_frame_input(g, 0x0011, 2, 100, other, no);
    const plc_dlt645_value e0 = {.kind = PLC_DLT645_NUMBER, .raw = 1234, .decimals = 2};
    const size_t nd = reply("000000000001", 0x00010000u, &e0, other);
    plc_gw_frame_input(g, 0x0011, 2, 100, other, nd);
    plc_gw_counters c;
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.bad_frames, 2);
    assert_int_equal(c.wrong_address, 1);
    assert_int_equal(c.wrong_di, 1);
    assert_int_equal(sc.sent, 1);
    /* the right answer: the energy of that freeze is asked next, then stored */
    plc_gw_frame_input(g, 0x0011, 2, 100, buf, n);
    assert_int_equal(sc.sent, 2);
    assert_int_equal(plc_dlt645_di_get(sc.last.data), 0x05060101u);
    const plc_dlt645_value e = {.kind = PLC_DLT645_ENERGY_BLOCK, .raw = 123456,
                                .tariff = {100000, 20000, 3000, 456}};
    n = reply("000000000001", 0x05060101u, &e, buf);
    plc_gw_frame_input(g, 0x0011, 2, 100, buf, n);
    /* the same answer again: nothing asked, nothing stored twice */
    plc_gw_frame_input(g, 0x0011, 2, 100, buf, n);
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.answers, 2);
    assert_int_equal(c.stored, 1);
    assert_int_equal(c.unsolicited, 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings WHERE value = "
                                      "'{\"total\":1234.56,\"tariffs\":[1000.00,200.00,30.00,4.56]}'"
                                      " AND ts = 1767312000 AND di = 84279553"),
                     1);
    assert_int_equal(count_rows(path, "SELECT before_deadline FROM daily"), 1);
    /* a node whose meter is not in the archive is reported, not read */
    uint8_t a9[6];
    plc_dlt645_addr_parse("000000000009", a9);
    plc_gw_node_announced(g, 0x0019, a9);
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.unknown_nodes, 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'unknown-node'"), 1);
    assert_int_equal(count_rows(path, "SELECT in_archive FROM meters WHERE address = '000000000009'"), 0);
    plc_gw_destroy(g);
    /* a restart knows the meter is done for the day: it is not asked again */
    sc.sent = 0;
    g = plc_gw_create(&cfg, s, loop, &link, err, sizeof(err));
    assert_non_null(g);
    plc_gw_node_announced(g, 0x0011, a1);
    plc_loop_run(loop, plc_loop_now_us(loop) + 5000000);
    assert_int_equal(sc.sent, 0);
    plc_gw_destroy(g);
    plc_loop_destroy(loop);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}

/* ---- a day of a 50-meter area over the mesh (the rural feeder: 25 poles 250 m apart) ---- */
typedef struct area {
    plc_meshnet *net;
    plc_gw *gw;
    int drop_write_answer_from; /* short address: its next write answer is lost */
    int mute_from;              /* short address: nothing from it gets through */
    plc_gw_result results[16];
    unsigned n_results;
    plc_gw_topology *topo;      /* the path survey, when a test runs one */
    unsigned paths_ok, paths_as_tables; /* complete paths; ... whose hops both ends' tables
                                         * confirm when the reply comes */
} area;

static void on_result(void *user, const plc_gw_result *r)
{
    area *a = user;
    if (a->n_results < 16)
        a->results[a->n_results++] = *r;
}

static const plc_gw_result *result_of(const area *a, const char *id)
{
    const plc_gw_result *last = NULL;
    for (unsigned i = 0; i < a->n_results; i++)
        if (strcmp(a->results[i].id, id) == 0)
            last = &a->results[i];
    return last;
}

static void on_announced(void *user, uint16_t short_addr, const uint8_t addr[6]);
static void on_frame(void *user, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *data,
                     size_t len);
static void on_refused(void *user, uint64_t eui, const char *reason);
static void on_path(void *user, uint16_t dst, int status, const plc_loadng_path *reply);
static int mesh_send(void *user, uint16_t to, const uint8_t *frame, size_t len);

/* A test area: DL/T 645 meters powering up within a minute, the abstract PHY. */
static void area_config(plc_meshnet_config *mc, unsigned meters)
{
    plc_meshnet_config_default(mc);
    mc->medium.nodes = meters + 1;
    mc->medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    mc->power_up_s = 60;
    mc->dlt645 = 1;
}

static void area_net(area *a, const plc_meshnet_config *mc)
{
    char err[256];
    a->net = plc_meshnet_create(mc, err, sizeof(err));
    if (!a->net)
        fail_msg("%s", err);
}

/* A load profile reply is checked before anything of it is stored: a record that does not
 * decode (checksum) is counted and nothing stored; records only from before the time asked
 * end the try; the slot's record completes it, stored under the curve DIs. */
static size_t profile_reply_frame(const char *addr, const plc_dlt645_profile_record *rec,
                                  unsigned n, uint8_t *out)
{
    uint8_t d[PLC_DLT645_MAX_DATA - 4];
    size_t at = 0;
    for (unsigned k = 0; k < n; k++) {
        const int w = plc_dlt645_profile_record_encode(&rec[k], d + at, sizeof(d) - at);
        assert_true(w > 0);
        at += (size_t)w;
    }
    return reply_bytes(addr, PLC_DLT645_PROFILE_DI, d, at, out);
}

static void test_profile_replies_checked(void **st)
{
    (void)st;
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, 1);
    plc_loop *loop = plc_loop_virtual_create(200);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + DAY + 6 * 3600 + 5; /* 2026-01-02 06:00:05 */
    cfg.task[0] = (plc_gw_task){"profile", PLC_GW_PROFILE, 3600, 0, DAY, 1};
    script sc = {0};
    plc_gw *g = plc_gw_create(&cfg, s, loop, &(plc_gw_link){script_send, &sc}, err, sizeof(err));
    assert_non_null(g);
    uint8_t a1[6];
    plc_dlt645_addr_parse("000000000001", a1);
    plc_gw_node_announced(g, 0x0011, a1);
    plc_loop_run(loop, 1500000);
    assert_int_equal(sc.sent, 1);
    /* 06000001, N 99, from 05:01 */
    const uint8_t want[10] = {0x01, 0x00, 0x00, 0x06, 0x99, 0x01, 0x05, 0x02, 0x01, 0x26};
    assert_int_equal(sc.last.len, 10);
    assert_memory_equal(sc.last.data, want, 10);
    plc_dlt645_profile_record rec[2] = {
        {.t = {2026, 1, 2, 5, 5, 45, 0}, .classes = 1, .present = 1},
        {.t = {2026, 1, 2, 5, 6, 0, 0}, .classes = 1, .present = 1},
    };
    rec[0].field[0] = 2301, rec[1].field[0] = 2299;
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    size_t n = profile_reply_frame("000000000001", rec, 2, buf);
    uint8_t bad[PLC_DLT645_MAX_FRAME];
    memcpy(bad, buf, n);
    bad[10 + 4 + 10] ^= 0x01; /* a byte inside the first record: its own CS fails */
    uint8_t cs = 0;           /* the frame's CS made right again */
    for (size_t i = 0; i < n - 2; i++)
        cs = (uint8_t)(cs + bad[i]);
    bad[n - 2] = cs;
    plc_gw_frame_input(g, 0x0011, 1, 100, bad, n);
    plc_gw_counters c;
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.bad_frames, 1);
    assert_int_equal(c.stored, 0);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings"), 0);
    /* the next try (after retry_gap_s) asks again: a record from before the time asked */
    const uint64_t gap = (uint64_t)cfg.retry_gap_s * 1000000u + 1500000;
    plc_loop_run(loop, 1500000 + gap);
    assert_int_equal(sc.sent, 2);
    assert_memory_equal(sc.last.data, want, 10);
    const plc_dlt645_profile_record old = {.t = {2026, 1, 2, 5, 4, 0, 0}, .classes = 1, .present = 1};
    uint8_t ob[PLC_DLT645_MAX_FRAME];
    plc_gw_frame_input(g, 0x0011, 1, 100, ob, profile_reply_frame("000000000001", &old, 1, ob));
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.bad_frames, 2);
    assert_int_equal(sc.sent, 2); /* not asked again at once */
    /* the third: the good records */
    plc_loop_run(loop, 1500000 + 2 * gap);
    assert_int_equal(sc.sent, 3);
    plc_gw_frame_input(g, 0x0011, 1, 100, buf, n);
    plc_gw_get_counters(g, &c);
    assert_int_equal(c.stored, 2); /* voltage A of 05:45 and 06:00 */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings WHERE di = 101712129 AND "
                                      "value IN ('230.1', '229.9')"), 2);
    plc_loop_run(loop, plc_loop_now_us(loop) + 120000000u);
    assert_int_equal(sc.sent, 3); /* the slot is done */
    plc_gw_destroy(g);
    plc_loop_destroy(loop);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}

/* The concentrator on the area's mesh, its results collected. */
static void area_gw(area *a, const plc_gw_config *cfg, plc_gw_store *s)
{
    char err[256];
    a->gw = plc_gw_create(cfg, s, plc_meshnet_loop(a->net), &(plc_gw_link){mesh_send, a}, err,
                          sizeof(err));
    if (!a->gw)
        fail_msg("%s", err);
    plc_gw_set_result_callback(a->gw, on_result, a);
    const plc_meshnet_app app = {.announced = on_announced, .frame = on_frame,
                                 .refused = on_refused, .path = on_path, .user = a};
    plc_meshnet_set_app(a->net, &app);
}

/* A path discovery's reply, checked against the tables it should come from (the oracle a
 * simulation has): its first hop out is the concentrator's next hop to the meter, its first
 * hop back the meter's next hop to the concentrator. */
static void on_path(void *user, uint16_t dst, int status, const plc_loadng_path *reply)
{
    area *a = user;
    if (status == PLC_OK && reply) {
        const int node = plc_meshnet_node_of(a->net, dst);
        uint16_t out = 0xFFFF, back = 0xFFFF;
        plc_loadng_next_hop(plc_adp_routing(plc_meshnet_adp(a->net, 0)), dst, &out, NULL, NULL);
        if (node > 0)
            plc_loadng_next_hop(plc_adp_routing(plc_meshnet_adp(a->net, (unsigned)node)), 0,
                                &back, NULL, NULL);
        a->paths_ok++;
        a->paths_as_tables += reply->n_fwd && reply->fwd[0].addr == out && reply->n_rev &&
                              reply->rev[0].addr == back &&
                              reply->fwd[reply->n_fwd - 1].addr == dst &&
                              reply->rev[reply->n_rev - 1].addr == 0;
    }
    plc_gw_topology_path(a->topo, dst, status, reply);
}

static void area_stop(area *a, plc_gw_store *s, const char *path)
{
    plc_gw_destroy(a->gw);
    plc_meshnet_destroy(a->net);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}

static int mesh_send(void *user, uint16_t to, const uint8_t *frame, size_t len)
{
    area *a = user;
    return plc_meshnet_send(a->net, to, frame, len, 0);
}

static void on_announced(void *user, uint16_t short_addr, const uint8_t addr[6])
{
    area *a = user;
    plc_gw_node_announced(a->gw, short_addr, addr);
}

static void on_refused(void *user, uint64_t eui, const char *reason)
{
    area *a = user;
    plc_gw_node_refused(a->gw, eui, reason);
}

static int mesh_allow(void *user, uint64_t eui, const uint8_t psk[16])
{
    area *a = user;
    return plc_meshnet_allow(a->net, eui, psk);
}

static void mesh_deny(void *user, uint64_t eui)
{
    area *a = user;
    plc_meshnet_disallow(a->net, eui);
}

static void on_frame(void *user, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *data,
                     size_t len)
{
    area *a = user;
    if (from == a->mute_from)
        return;
    if (from == a->drop_write_answer_from && len >= 10 && data[8] >= 0x80 && (data[8] & 0x1F) == 0x14) {
        a->drop_write_answer_from = -1; /* lost on the way back */
        return;
    }
    plc_gw_frame_input(a->gw, from, hops, lqi, data, len);
}

static void test_day_of_50_meters_over_the_mesh(void **st)
{
    (void)st;
    enum { METERS = 50 };
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, METERS);
    plc_meshnet_config mc;
    plc_meshnet_config_default(&mc);
    mc.medium.nodes = METERS + 1;
    mc.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    mc.power_up_s = 120;
    mc.medium.topology_file = PLC_SOURCE_DIR "/sim/topologies/feeder50.txt"; /* up to 14 hops */
    mc.dlt645 = 1;
    mc.meter_start = (plc_dlt645_time){2026, 1, 1, 4, 23, 59, 0};
    area a = {0};
    area_net(&a, &mc);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = START;
    cfg.task[0].window_start = 6 * 3600; /* the day's reading starts at 06:00 */
    area_gw(&a, &cfg, s);
    const double six = DAY + 6 * 3600 - (START - 1767225600);
    plc_meshnet_run(a.net, six - 1);
    assert_int_equal(plc_meshnet_announced(a.net), METERS);
    /* a relay dies as the window opens: the meter most routes from the concentrator go
     * through first */
    unsigned through[0x100] = {0}, relay = 0, max_hops = 0;
    plc_loadng *rt = plc_adp_routing(plc_meshnet_adp(a.net, 0));
    for (unsigned k = 1; k <= METERS; k++) {
        uint16_t next;
        unsigned hops = 0;
        if (plc_loadng_next_hop(rt, (uint16_t)k, &next, &hops, NULL) != PLC_OK)
            continue;
        max_hops = hops > max_hops ? hops : max_hops;
        if (next != k && next < 0x100 && ++through[next] > through[relay])
            relay = next;
    }
    print_message("routes up to %u hops; relay %u carries %u routes, dies at 06:00\n", max_hops,
                  relay, through[relay]);
    assert_true(max_hops >= 4);
    assert_true(relay > 0 && through[relay] >= 2);
    const int relay_node = plc_meshnet_node_of(a.net, (uint16_t)relay);
    assert_true(relay_node > 0);
    plc_meshnet_kill(a.net, (unsigned)relay_node);
    plc_meshnet_run(a.net, six + 3600); /* 07:00 */
    unsigned meters, got, in_time;
    plc_gw_daily_completeness(a.gw, 1767225600 + DAY, &meters, &got, &in_time);
    plc_gw_counters c;
    plc_gw_get_counters(a.gw, &c);
    print_message("by 07:00: %u of %u meters' daily freeze, %u in time; %llu requests, %llu "
                  "timeouts\n", got, meters, in_time, (unsigned long long)c.requests,
                  (unsigned long long)c.timeouts);
    assert_int_equal(meters, METERS);
    assert_int_equal(got, METERS - 1); /* all but the dead relay */
    assert_int_equal(in_time, METERS - 1);
    assert_true(c.timeouts > 0); /* the relay's death was felt */
    /* no frame of the night was taken for a replay: every meter's anti-replay table holds
     * every source it hears (with the MAC's default 64, evicted sources' folded marks made
     * quiet neighbours' frames look replayed) */
    uint64_t replays = 0;
    for (unsigned k = 1; k <= METERS; k++) {
        plc_mac *mac = plc_meshnet_mac(a.net, k);
        plc_mac_counters mcnt;
        if (mac) {
            plc_mac_get_counters(mac, &mcnt);
            replays += mcnt.replays;
        }
    }
    assert_int_equal(replays, 0);
    assert_int_equal(c.bad_frames + c.wrong_address + c.wrong_di + c.store_errors, 0);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings WHERE di = 84279553 AND "
                                      "ts = 1767312000"),
                     METERS - 1);
    /* the dead relay, silent for 3 passes, is reported unreachable; nobody else is */
    char uq[160];
    snprintf(uq, sizeof(uq), "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                             "WHERE e.kind = 'unreachable' AND m.address = '%012d'", relay_node);
    assert_int_equal(count_rows(path, uq), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'unreachable'"), 1);
    /* 07:10: mains lost at 10 meters that relay for no one: their last gasps are 10
     * power-down events and one area outage, all stored within 60 s */
    plc_meshnet_run(a.net, six + 3600 + 600);
    const int64_t cut_at = START + (int64_t)plc_meshnet_now_s(a.net);
    unsigned cut = 0;
    for (unsigned k = 1; k <= METERS && cut < 10; k++) {
        const int node = plc_meshnet_node_of(a.net, (uint16_t)k);
        if (k == relay || through[k] || node <= 0)
            continue;
        assert_int_equal(plc_meshnet_power_cut(a.net, (unsigned)node), PLC_OK);
        cut++;
    }
    assert_int_equal(cut, 10);
    plc_meshnet_run(a.net, six + 3600 + 600 + 60);
    char q[200];
    snprintf(q, sizeof(q), "SELECT count(DISTINCT meter) FROM events WHERE kind = 'power-down' "
                           "AND ts BETWEEN %lld AND %lld", (long long)cut_at, (long long)cut_at + 60);
    assert_int_equal(count_rows(path, q), 10);
    snprintf(q, sizeof(q), "SELECT count(*) FROM events WHERE kind = 'area-outage' "
                           "AND ts BETWEEN %lld AND %lld", (long long)cut_at, (long long)cut_at + 60);
    assert_int_equal(count_rows(path, q), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'power-down'"), 10);
    /* mains back 5 minutes later: the 10 nodes join again, 10 power-up events */
    plc_meshnet_run(a.net, six + 3600 + 900);
    cut = 0;
    for (unsigned k = 1; k <= METERS && cut < 10; k++) {
        const int node = plc_meshnet_node_of(a.net, (uint16_t)k);
        if (k == relay || through[k] || node <= 0)
            continue;
        assert_int_equal(plc_meshnet_power_restore(a.net, (unsigned)node), PLC_OK);
        cut++;
    }
    plc_meshnet_run(a.net, six + 3600 + 900 + 900);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'power-up'"), 10);
    /* every one announced again (the count keeps the dead relay's first announce) */
    assert_int_equal(plc_meshnet_announced(a.net), METERS);
    area_stop(&a, s, path);
}

/* The concentrator's topology from path discovery on the 14-hop rural feeder: one meter
 * every 5 s. Every complete reply's hops are the routes as the tables hold them when it
 * comes (the simulation's oracle, which a concentrator cannot read: the concentrator's next
 * hop out, the meter's next hop back), every meter gets a parent, and following the
 * parents from any meter reaches the concentrator. */
static void test_topology_from_path_discovery(void **st)
{
    (void)st;
    enum { METERS = 50 };
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, METERS);
    plc_meshnet_config mc;
    area_config(&mc, METERS);
    mc.power_up_s = 120;
    mc.medium.topology_file = PLC_SOURCE_DIR "/sim/topologies/feeder50.txt";
    area a = {0};
    area_net(&a, &mc);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = START;
    area_gw(&a, &cfg, s);
    assert_null(plc_gw_topology_create(plc_meshnet_loop(a.net), plc_meshnet_adp(a.net, 0), s, 0));
    a.topo = plc_gw_topology_create(plc_meshnet_loop(a.net), plc_meshnet_adp(a.net, 0), s, 5);
    assert_non_null(a.topo);
    double t = 0;
    while (plc_meshnet_announced(a.net) < METERS && t < 1800)
        plc_meshnet_run(a.net, t += 10);
    assert_int_equal(plc_meshnet_announced(a.net), METERS);
    plc_meshnet_run(a.net, t + 2 * METERS * 5); /* two rounds of the survey */
    plc_gw_topology_counters c;
    plc_gw_topology_get_counters(a.topo, &c);
    plc_gw_meter m[METERS];
    unsigned n = 0, agree = 0, rooted = 0;
    assert_int_equal(plc_gw_store_meters(s, 0, m, METERS, &n), PLC_OK);
    assert_int_equal(n, METERS);
    int parent_of[0x100];
    for (unsigned i = 0; i < 0x100; i++)
        parent_of[i] = -1;
    for (unsigned i = 0; i < n; i++)
        if (m[i].short_addr > 0 && m[i].short_addr < 0x100)
            parent_of[m[i].short_addr] = m[i].parent;
    for (unsigned i = 0; i < n; i++) {
        const int node = plc_meshnet_node_of(a.net, (uint16_t)m[i].short_addr);
        assert_true(node > 0);
        uint16_t next;
        if (plc_loadng_next_hop(plc_adp_routing(plc_meshnet_adp(a.net, (unsigned)node)), 0,
                                &next, NULL, NULL) == PLC_OK && next == m[i].parent)
            agree++;
        int at = m[i].short_addr, steps = 0;
        while (at > 0 && at < 0x100 && steps++ < 16)
            at = parent_of[at];
        rooted += at == 0;
    }
    print_message("path survey: %llu asked, %llu complete (%u as the tables held them), %llu "
                  "incomplete, %llu failed, %llu without a route; at the end %u of %u parents "
                  "as the meters' tables hold them (routes moved since), %u reach the "
                  "concentrator\n", (unsigned long long)c.asked, (unsigned long long)c.complete,
                  a.paths_as_tables, (unsigned long long)c.incomplete,
                  (unsigned long long)c.failed, (unsigned long long)c.no_route, agree, n, rooted);
    assert_true(c.complete >= 2 * METERS - 10);
    assert_int_equal(a.paths_ok, c.complete);
    assert_int_equal(a.paths_as_tables, a.paths_ok);
    assert_true(c.asked - (c.complete + c.incomplete + c.failed) <= 1); /* one may run */
    for (unsigned i = 0; i < n; i++)
        assert_true(m[i].parent >= 0);
    assert_int_equal(rooted, METERS);
    plc_gw_topology_destroy(a.topo);
    area_stop(&a, s, path);
}

static void submit(area *a, const char *id, unsigned node, plc_gw_cmd_kind kind, int64_t arg)
{
    plc_gw_command c = {.kind = kind, .arg = arg};
    snprintf(c.id, sizeof(c.id), "%s", id);
    snprintf(c.meter, sizeof(c.meter), "%012u", node);
    assert_int_equal(plc_gw_command_submit(a->gw, &c), PLC_OK);
    plc_meshnet_run(a->net, plc_meshnet_now_s(a->net) + 60);
    const plc_gw_result *r = result_of(a, id);
    if (!r)
        fail_msg("command %s: no result in 60 s", id);
    print_message("%s: %s %s\n", id, plc_strerror(r->status), r->json);
}

/* Remote control over the mesh, each read back; prepaid top-ups applied once though
 * repeated by id or retried after a lost answer; an unknown meter refused; an on-demand read. */
static void test_commands_over_the_mesh(void **st)
{
    (void)st;
    enum { METERS = 10 };
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, METERS);
    plc_meshnet_config mc;
    area_config(&mc, METERS);
    mc.meter_start = (plc_dlt645_time){2026, 1, 2, 5, 12, 0, 0}; /* the concentrator's clock */
    area a = {.drop_write_answer_from = -1, .mute_from = -1};
    area_net(&a, &mc);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + DAY + 12 * 3600;
    cfg.task[0].window_start = cfg.task[0].window_end - 60; /* no daily reading in the way */
    cfg.n_tasks = 2; /* the status of every meter every minute: relay and cover events */
    cfg.task[1] = (plc_gw_task){"status", PLC_GW_STATUS, 60, 0, DAY, 2};
    area_gw(&a, &cfg, s);
    plc_meshnet_run(a.net, 600);
    assert_int_equal(plc_meshnet_announced(a.net), METERS);
    plc_meter *m3 = plc_meshnet_meter(a.net, 3), *m4 = plc_meshnet_meter(a.net, 4);
    /* trip and close allowed, each read back */
    submit(&a, "trip-3", 3, PLC_GW_CMD_TRIP, 0);
    assert_int_equal(result_of(&a, "trip-3")->status, PLC_OK);
    assert_non_null(strstr(result_of(&a, "trip-3")->json, "\"verified\":true"));
    assert_false(plc_meter_relay_closed(m3));
    submit(&a, "close-3", 3, PLC_GW_CMD_CLOSE, 0);
    assert_int_equal(result_of(&a, "close-3")->status, PLC_OK);
    assert_true(plc_meter_relay_closed(m3));
    /* keep power on for an hour: a trip is refused by the meter then; keep power off */
    submit(&a, "keep-4", 4, PLC_GW_CMD_KEEP_ON, plc_gw_now(a.gw) + 3600);
    assert_int_equal(result_of(&a, "keep-4")->status, PLC_OK);
    submit(&a, "trip-4", 4, PLC_GW_CMD_TRIP, 0);
    assert_int_equal(result_of(&a, "trip-4")->status, PLC_ERR_METER);
    assert_true(plc_meter_relay_closed(m4));
    submit(&a, "unkeep-4", 4, PLC_GW_CMD_KEEP_OFF, 0);
    assert_int_equal(result_of(&a, "unkeep-4")->status, PLC_OK);
    submit(&a, "alarm-5", 5, PLC_GW_CMD_ALARM_ON, 0);
    assert_int_equal(result_of(&a, "alarm-5")->status, PLC_OK);
    /* a top-up of 50.00 as purchase 1 */
    plc_meter *m6 = plc_meshnet_meter(a.net, 6);
    const int64_t before = plc_meter_register(m6, 0x00900200);
    submit(&a, "topup-6-a", 6, PLC_GW_CMD_TOPUP, 5000);
    assert_int_equal(result_of(&a, "topup-6-a")->status, PLC_OK);
    assert_non_null(strstr(result_of(&a, "topup-6-a")->json, "\"purchase\":1"));
    assert_int_equal(plc_meter_register(m6, 0x03330201), 1);
    const int64_t after = plc_meter_register(m6, 0x00900200);
    assert_true(after - before > 4990 && after - before <= 5000); /* less what was used */
    /* the same id again: the stored result, nothing applied */
    submit(&a, "topup-6-a", 6, PLC_GW_CMD_TOPUP, 5000);
    assert_int_equal(a.results[a.n_results - 1].repeated, 1);
    assert_int_equal(plc_meter_register(m6, 0x03330201), 1);
    /* a top-up whose write answer is lost: retried, refused as a repeat, applied once */
    uint16_t sh6 = 0;
    for (uint16_t k = 1; k < 0x100 && !sh6; k++)
        if (plc_meshnet_node_of(a.net, k) == 6)
            sh6 = k;
    assert_true(sh6 > 0);
    a.drop_write_answer_from = sh6;
    submit(&a, "topup-6-b", 6, PLC_GW_CMD_TOPUP, 2000);
    assert_int_equal(a.drop_write_answer_from, -1); /* the answer was lost */
    assert_int_equal(result_of(&a, "topup-6-b")->status, PLC_OK);
    assert_non_null(strstr(result_of(&a, "topup-6-b")->json, "\"purchase\":2"));
    assert_int_equal(plc_meter_register(m6, 0x03330201), 2);
    const int64_t after2 = plc_meter_register(m6, 0x00900200);
    assert_true(after2 - after > 1990 && after2 - after <= 2000);
    /* an unknown meter; an on-demand read */
    submit(&a, "x", 42, PLC_GW_CMD_TRIP, 0);
    assert_int_equal(result_of(&a, "x")->status, PLC_ERR_UNKNOWN_METER);
    submit(&a, "read-7", 7, PLC_GW_CMD_READ, 0x00010000);
    assert_int_equal(result_of(&a, "read-7")->status, PLC_OK);
    char want[64];
    const int64_t e = plc_meter_register(plc_meshnet_meter(a.net, 7), 0x00010000);
    snprintf(want, sizeof(want), "\"value\":%lld.%02lld}", (long long)(e / 100), (long long)(e % 100));
    assert_non_null(strstr(result_of(&a, "read-7")->json, want));
    /* the status reads saw the trip and the close of meter 3; a cover opened at meter 5 */
    plc_meter_open_cover(plc_meshnet_meter(a.net, 5));
    plc_meshnet_run(a.net, plc_meshnet_now_s(a.net) + 180);
    assert_true(count_rows(path, "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                                 "WHERE e.kind = 'relay-open' AND m.address = '000000000003'") >= 1);
    assert_true(count_rows(path, "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                                 "WHERE e.kind = 'relay-closed' AND m.address = '000000000003'") >= 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                                      "WHERE e.kind = 'cover-open' AND m.address = '000000000005'"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'cover-open'"), 1);
    /* a tariff's price written and read back; then a handheld sets meter 8's clock and an
     * alarm level: "time-set" and "programming" for meter 8, none for the concentrator's own
     * price write at meter 7 */
    submit(&a, "price-7", 7, PLC_GW_CMD_PRICE, (2LL << 32) | 5230);
    assert_int_equal(result_of(&a, "price-7")->status, PLC_OK);
    assert_non_null(strstr(result_of(&a, "price-7")->json, "\"price\":0.5230,\"verified\":true"));
    assert_int_equal(plc_meter_register(plc_meshnet_meter(a.net, 7), 0x04050102), 5230);
    plc_meter *m8 = plc_meshnet_meter(a.net, 8);
    const plc_meter_regs r8 = plc_meter_regs_of(m8);
    const uint64_t at = plc_loop_now_us(plc_meshnet_loop(a.net));
    const plc_dlt645_value t8 = {.kind = PLC_DLT645_TIME, .t = {.hour = 12, .minute = 40}};
    const plc_dlt645_value al = {.kind = PLC_DLT645_NUMBER, .raw = 3000, .decimals = 2};
    assert_int_equal(r8.ops->write(r8.meter, at, 0x04000102, &t8, 4711), 0);
    assert_int_equal(r8.ops->write(r8.meter, at, 0x04001001, &al, 4711), 0);
    plc_meshnet_run(a.net, plc_meshnet_now_s(a.net) + 180);
    /* each with what the meter's last record says: who, and the clock before and after or
     * the DI written */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                                      "WHERE e.kind = 'time-set' AND m.address = '000000000008' "
                                      "AND e.detail LIKE '%1 clock setting(s)%0 by this%' "
                                      "AND e.detail LIKE '%last by operator 00004711: % -> % 12:40:00%'"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events e JOIN meters m ON m.id = e.meter "
                                      "WHERE e.kind = 'programming' AND m.address = '000000000008' "
                                      "AND e.detail LIKE '%last by operator 00004711 at %: 04001001%'"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'programming'"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'time-set'"), 1);
    /* the log has every command once, with its result */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM commands"), 11);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM commands WHERE status = 'done'"), 9);
    area_stop(&a, s, path);
}

/* The meters' clocks spread over +/-7 minutes: the 02:30 broadcast sync brings those within
 * the meters' +/-5 minute window to within 5 s of the concentrator; the clock task finds the
 * others, flags them and sets them one by one. */
static void test_time_sync_and_clock_check(void **st)
{
    (void)st;
    enum { METERS = 20 };
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, METERS);
    plc_meshnet_config mc;
    area_config(&mc, METERS);
    mc.meter_start = (plc_dlt645_time){2026, 1, 2, 5, 2, 15, 0};
    mc.meter_clock_spread_s = 420;
    area a = {.drop_write_answer_from = -1, .mute_from = -1};
    area_net(&a, &mc);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + DAY + 2 * 3600 + 15 * 60; /* 02:15 */
    cfg.n_tasks = 2;
    cfg.task[0].window_start = 2 * 3600 + 20 * 60; /* the daily round before the sync: it */
    cfg.task[1] = (plc_gw_task){"clock", PLC_GW_CLOCK, DAY, 2 * 3600 + 40 * 60, 4 * 3600, 2};
    area_gw(&a, &cfg, s);
    int64_t off0[METERS + 1];
    unsigned outside = 0;
    for (unsigned k = 1; k <= METERS; k++) {
        plc_dlt645_time t;
        plc_meter_clock(plc_meshnet_meter(a.net, k), &t);
        off0[k] = plc_gw_local_time(t.year, t.month, t.day, t.hour, t.minute, t.second) -
                  plc_gw_now(a.gw);
        outside += llabs(off0[k]) > 300 ? 1 : 0;
    }
    print_message("%u of %u meters' clocks beyond +/-300 s\n", outside, METERS);
    assert_true(outside >= 2 && outside <= METERS - 5);
    plc_meshnet_run(a.net, 3600 + 45 * 60); /* to 04:00: the sync at 02:30, the check after */
    assert_int_equal(plc_meshnet_announced(a.net), METERS);
    plc_gw_counters c;
    plc_gw_get_counters(a.gw, &c);
    assert_int_equal(c.time_syncs, 1);
    assert_int_equal(c.clocks_off, outside);
    assert_int_equal(c.clocks_set, outside);
    int64_t worst = 0;
    for (unsigned k = 1; k <= METERS; k++) {
        plc_dlt645_time t;
        plc_meter_advance(plc_meshnet_meter(a.net, k), plc_loop_now_us(plc_meshnet_loop(a.net)));
        plc_meter_clock(plc_meshnet_meter(a.net, k), &t);
        const int64_t off = plc_gw_local_time(t.year, t.month, t.day, t.hour, t.minute,
                                              t.second) - plc_gw_now(a.gw);
        worst = llabs(off) > worst ? llabs(off) : worst;
    }
    print_message("after: every clock within %lld s (sync, then %llu set one by one)\n",
                  (long long)worst, (unsigned long long)c.clocks_set);
    assert_true(worst <= 5);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'time-sync'"), 1);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'clock-off'"), outside);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM events WHERE kind = 'time-set'"), outside);
    assert_false(plc_gw_sync_time_ok(0));
    assert_false(plc_gw_sync_time_ok(3 * 3600 + 200));
    assert_false(plc_gw_sync_time_ok(DAY - 120));
    assert_true(plc_gw_sync_time_ok(2 * 3600 + 30 * 60));
    area_stop(&a, s, path);
}

/* ---- RS-485: a pseudo-terminal, three simulated meters on its far side ---- */
typedef struct line {
    plc_gw *gw;
    plc_gw_serial *port;
    int far;                 /* the far side's fd: the meters' bus */
    plc_meter *meter[3];
    plc_dlt645_extractor bus;
    unsigned noise;          /* line noise bytes put before every answer */
} line;

static int line_send(void *user, uint16_t to, const uint8_t *frame, size_t len)
{
    (void)to;
    line *l = user;
    return plc_gw_serial_write(l->port, frame, len);
}

static void line_frame(void *user, const uint8_t *frame, size_t len)
{
    line *l = user;
    plc_gw_port_input(l->gw, "rs485-1", frame, len);
}

/* The bus: every meter hears every request; the one addressed answers. */
static void bus_step(line *l, uint64_t now_us)
{
    uint8_t buf[256];
    ssize_t n;
    while ((n = read(l->far, buf, sizeof(buf))) > 0) {
        for (size_t off = 0; off < (size_t)n;) {
            off += plc_dlt645_extractor_feed(&l->bus, buf + off, (size_t)n - off);
            plc_dlt645_frame q, r;
            while (plc_dlt645_extractor_next(&l->bus, &q))
                for (int k = 0; k < 3; k++) {
                    plc_meter_advance(l->meter[k], now_us);
                    if (!plc_meter_handle(l->meter[k], &q, &r))
                        continue;
                    uint8_t out[PLC_DLT645_MAX_FRAME + 16];
                    for (unsigned z = 0; z < l->noise; z++)
                        out[z] = (uint8_t)(0x5A + z); /* noise on the line first */
                    const int len = plc_dlt645_encode(&r, 4, out + l->noise, PLC_DLT645_MAX_FRAME);
                    assert_true(len > 0);
                    assert_int_equal(write(l->far, out, l->noise + (size_t)len), (ssize_t)(l->noise + (size_t)len));
                }
        }
    }
}

static void test_rs485_meters_in_the_same_tasks(void **st)
{
    (void)st;
    int far, near;
    char name[64];
    assert_int_equal(openpty(&far, &near, name, NULL, NULL), 0);
    fcntl(far, F_SETFL, O_NONBLOCK);
    char err[256];
    line l = {.far = far, .noise = 3};
    l.port = plc_gw_serial_open(name, 2400, 'E', err, sizeof(err));
    if (!l.port)
        fail_msg("%s", err);
    close(near); /* the gateway's own descriptor holds the line open */
    struct termios t; /* 2400 8E1 (a pty keeps the speed, not the parity) */
    assert_int_equal(tcgetattr(plc_gw_serial_fd(l.port), &t), 0);
    assert_int_equal(cfgetospeed(&t), B2400);
    assert_int_equal(plc_gw_serial_settings(2400, 'E', &t), PLC_OK);
    assert_true((t.c_cflag & CSIZE) == CS8 && (t.c_cflag & PARENB) && !(t.c_cflag & PARODD) &&
                !(t.c_cflag & CSTOPB) && !(t.c_cflag & CRTSCTS));
    assert_int_equal(cfgetispeed(&t), B2400);
    assert_int_equal(plc_gw_serial_settings(2401, 'E', &t), PLC_ERR_ARG);
    assert_int_equal(plc_gw_serial_settings(2400, 'X', &t), PLC_ERR_ARG);
    plc_dlt645_extractor_init(&l.bus);
    for (int k = 0; k < 3; k++) {
        plc_meter_config c;
        plc_meter_config_default(&c);
        char a[13];
        snprintf(a, sizeof(a), "%012d", 9001 + k);
        plc_dlt645_addr_parse(a, c.addr);
        c.start = (plc_dlt645_time){2026, 1, 1, 4, 23, 59, 0};
        c.seed = 100 + (uint64_t)k;
        l.meter[k] = plc_meter_create(&c);
    }
    char path[256];
    temp_db(path, sizeof(path));
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    for (int k = 0; k < 4; k++) { /* 9004 is in the archive but not on the line */
        plc_gw_meter m;
        plc_gw_meter_default(&m);
        snprintf(m.addr, sizeof(m.addr), "%012d", 9001 + k);
        snprintf(m.port, sizeof(m.port), "rs485-1");
        assert_int_equal(plc_gw_store_meter_put(s, &m, NULL), PLC_OK);
    }
    plc_loop *loop = plc_loop_virtual_create(200);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = START;
    l.gw = plc_gw_create(&cfg, s, loop, &(plc_gw_link){script_send, NULL}, err, sizeof(err));
    assert_non_null(l.gw);
    assert_int_equal(plc_gw_add_port(l.gw, "rs485-1", &(plc_gw_link){line_send, &l}), PLC_OK);
    /* half a second at a time: the gateway writes, the bus answers, the gateway reads */
    for (uint64_t us = 0; us < 20ull * 60 * 1000000; us += 500000) {
        plc_loop_run(loop, us);
        bus_step(&l, us);
        plc_gw_serial_poll(l.port, line_frame, &l);
    }
    unsigned meters, got, in_time;
    plc_gw_daily_completeness(l.gw, 1767225600 + DAY, &meters, &got, &in_time);
    plc_gw_counters c;
    plc_gw_get_counters(l.gw, &c);
    print_message("RS-485: %u of %u daily freezes; %llu requests, %llu timeouts, %llu noise bytes skipped\n",
                  got, meters, (unsigned long long)c.requests, (unsigned long long)c.timeouts,
                  (unsigned long long)plc_gw_serial_skipped(l.port));
    assert_int_equal(got, 3); /* 9004 never answers */
    assert_int_equal(c.stored, 3);
    assert_true(c.timeouts >= 3); /* 9004's tries */
    assert_true(plc_gw_serial_skipped(l.port) >= 3 * 2 * 3);
    assert_int_equal(c.bad_frames + c.wrong_address, 0);
    char q[200];
    snprintf(q, sizeof(q), "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter "
                           "WHERE m.address = '000000009001' AND r.di = 84279553 AND r.ts = 1767312000");
    assert_int_equal(count_rows(path, q), 1);
    plc_gw_destroy(l.gw);
    plc_loop_destroy(loop);
    plc_gw_serial_close(l.port);
    close(far);
    for (int k = 0; k < 3; k++)
        plc_meter_destroy(l.meter[k]);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}

/* Ten meters over the mesh from 2026-01-02 08:50 (their clocks and the concentrator's) with one
 * hourly task of this scheme; the store in path. */
enum { MORNING_METERS = 10 };
static plc_gw_store *morning_area(area *a, char *path, size_t cap, plc_gw_scheme scheme)
{
    temp_db(path, cap);
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    add_archive(s, MORNING_METERS);
    plc_meshnet_config mc;
    area_config(&mc, MORNING_METERS);
    mc.meter_start = (plc_dlt645_time){2026, 1, 2, 5, 8, 50, 0};
    *a = (area){.drop_write_answer_from = -1, .mute_from = -1};
    area_net(a, &mc);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + DAY + 8 * 3600 + 50 * 60; /* 08:50 */
    cfg.task[0] = (plc_gw_task){"hourly", scheme, 3600, 0, DAY, 1};
    area_gw(a, &cfg, s);
    return s;
}

/* The load curve: every meter's hourly freezes stored under their own times, equal to what
 * the meter froze; a meter silent for an hour gets its missing point with the next one. */
static void test_load_curve_over_the_mesh(void **st)
{
    (void)st;
    enum { METERS = MORNING_METERS };
    char path[256];
    area a;
    plc_gw_store *s = morning_area(&a, path, sizeof(path), PLC_GW_CURVE);
    const double h = 3600;
    plc_meshnet_run(a.net, 600 + 1800); /* 09:30: the 09:00 point */
    /* a meter whose 09:00 point is in falls silent for an hour */
    int mute_node = 0;
    for (uint16_t k = 1; k < 0x100 && !mute_node; k++) {
        const int node = plc_meshnet_node_of(a.net, k);
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter "
                 "WHERE m.address = '%012d' AND r.ts = 1767344400", node);
        if (node > 0 && count_rows(path, sql) == 1) {
            a.mute_from = k;
            mute_node = node;
        }
    }
    assert_true(mute_node > 0);
    plc_meshnet_run(a.net, 600 + 1800 + h); /* 10:30: its 10:00 point missing */
    char sql10[200];
    snprintf(sql10, sizeof(sql10), "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter "
             "WHERE m.address = '%012d' AND r.ts = 1767348000", mute_node);
    assert_int_equal(count_rows(path, sql10), 0);
    a.mute_from = -1;
    plc_meshnet_run(a.net, 600 + 1800 + 2 * h); /* 11:30: it came with the 11:00 one */
    assert_int_equal(count_rows(path, sql10), 1);
    /* 10:00 and 11:00 of every meter; 09:00 of those that had joined by then */
    assert_int_equal(count_rows(path, "SELECT count(*) FROM readings WHERE di = 84148481 AND "
                                      "ts IN (1767348000, 1767351600)"), 2 * METERS);
    const int64_t at9 = count_rows(path, "SELECT count(*) FROM readings WHERE di = 84148481 AND "
                                         "ts = 1767344400");
    print_message("load curve: 09:00 of %lld meters, 10:00 and 11:00 of all %d (meter %d's 10:00 "
                  "after an hour's silence)\n", (long long)at9, METERS, mute_node);
    assert_true(at9 >= METERS - 2);
    /* the values are the meters' own freezes */
    for (unsigned k = 1; k <= METERS; k++) {
        plc_meter *m = plc_meshnet_meter(a.net, k);
        plc_dlt645_frame q, r;
        plc_dlt645_read_request(plc_meter_addr(m), 0x05040102, &q); /* the 10:00 one */
        assert_int_equal(plc_meter_handle(m, &q, &r), 1);
        plc_dlt645_value v;
        assert_int_equal(plc_dlt645_value_decode(0x05040102, r.data + 4, r.len - 4u, &v), PLC_DLT645_OK);
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter "
                 "WHERE m.address = '%012u' AND r.ts = 1767348000 AND r.value = '%lld.%02lld'", k,
                 (long long)(v.raw / 100), (long long)(v.raw % 100));
        assert_int_equal(count_rows(path, sql), 1);
    }
    area_stop(&a, s, path);
}

/* The load profile: every meter's 15-minute records stored under the curve DIs at their own
 * times, equal to what the meter recorded, each once though the next slot asks again from
 * its start; a meter silent for an hour gets the hour's records with the next slot's. */
static void test_load_profile_over_the_mesh(void **st)
{
    (void)st;
    enum { METERS = MORNING_METERS };
    char path[256];
    area a;
    plc_gw_store *s = morning_area(&a, path, sizeof(path), PLC_GW_PROFILE);
    const double h = 3600;
    const int64_t t10 = 1767348000; /* 2026-01-02 10:00 */
    plc_meshnet_run(a.net, 600 + 1800); /* 09:30 */
    int mute_node = plc_meshnet_node_of(a.net, 3);
    assert_true(mute_node > 0);
    a.mute_from = 3;
    plc_meshnet_run(a.net, 600 + 1800 + h); /* 10:30: the (09:00, 10:00] records, but its */
    char q[256];
    snprintf(q, sizeof(q), "SELECT count(*) FROM readings WHERE di = %u AND ts > %lld AND ts <= %lld",
             0x06100101u, (long long)(t10 - 3600), (long long)t10);
    assert_int_equal(count_rows(path, q), 4 * (METERS - 1));
    a.mute_from = -1;
    plc_meshnet_run(a.net, 600 + 1800 + 2 * h); /* 11:30: its hour with the next */
    assert_int_equal(count_rows(path, q), 4 * METERS);
    snprintf(q, sizeof(q), "SELECT count(*) FROM readings WHERE di = %u AND ts > %lld AND ts <= %lld",
             0x06100101u, (long long)t10, (long long)(t10 + 3600));
    assert_int_equal(count_rows(path, q), 4 * METERS);
    /* per record: voltage, current, frequency, active and reactive power, power factor,
     * forward and reverse energy (a single-phase meter: phase A and the totals) */
    snprintf(q, sizeof(q), "SELECT count(DISTINCT di) FROM readings WHERE ts = %lld", (long long)t10);
    assert_int_equal(count_rows(path, q), 11);
    plc_gw_counters c;
    plc_gw_get_counters(a.gw, &c);
    print_message("load profile: %llu readings stored, %llu duplicates, %llu requests, meter %d's "
                  "hour after its silence\n", (unsigned long long)c.stored,
                  (unsigned long long)c.duplicates, (unsigned long long)c.requests, mute_node);
    assert_int_equal(c.bad_frames + c.wrong_address, 0);
    /* the values are the meters' own records */
    for (unsigned k = 1; k <= METERS; k++) {
        plc_meter *m = plc_meshnet_meter(a.net, k);
        plc_dlt645_frame rq, r;
        const plc_dlt645_time at = {2026, 1, 2, 5, 10, 0, 0};
        assert_int_equal(plc_dlt645_profile_request(plc_meter_addr(m), 0, 1, &at, &rq), PLC_DLT645_OK);
        assert_int_equal(plc_meter_handle(m, &rq, &r), 1);
        plc_dlt645_profile_record rec;
        size_t used;
        assert_int_equal(plc_dlt645_profile_record_decode(r.data + 4, r.len - 4u, &rec, &used), PLC_DLT645_OK);
        assert_int_equal(rec.t.hour, 10);
        assert_int_equal(rec.t.minute, 0);
        char sql[300];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter "
                 "WHERE m.address = '%012u' AND r.ts = %lld AND ((r.di = %u AND r.value = '%lld.%01lld')"
                 " OR (r.di = %u AND r.value = '%lld.%02lld'))", k, (long long)t10,
                 0x06100101u, (long long)(rec.field[0] / 10), (long long)(rec.field[0] % 10),
                 0x06100601u, (long long)(rec.field[19] / 100), (long long)(rec.field[19] % 100));
        assert_int_equal(count_rows(path, sql), 2);
    }
    area_stop(&a, s, path);
}

/* The coordinator's allow-list follows the archive: of 10 meters 8 are in it with their modems'
 * EUI-64 and PSK and join; one in it without its modem's key and one not in it are refused and
 * reported once; the key added while running lets the first join. */
static void test_admission_follows_the_archive(void **st)
{
    (void)st;
    enum { METERS = 10 };
    char path[256];
    temp_db(path, sizeof(path));
    char err[256];
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    assert_non_null(s);
    plc_meshnet_config mc;
    area_config(&mc, METERS);
    mc.allow_none = 1;
    area a = {.drop_write_answer_from = -1, .mute_from = -1};
    area_net(&a, &mc);
    for (unsigned k = 1; k <= 9; k++) {
        plc_gw_meter m;
        plc_gw_meter_default(&m);
        snprintf(m.addr, sizeof(m.addr), "%012u", k);
        if (k <= 8) {
            m.eui = plc_meshnet_eui(a.net, k);
            plc_meshnet_psk(a.net, k, m.psk);
        }
        assert_int_equal(plc_gw_store_meter_put(s, &m, NULL), PLC_OK);
    }
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = START;
    area_gw(&a, &cfg, s);
    assert_int_equal(plc_gw_set_admission(a.gw, &(plc_gw_admission){mesh_allow, &a, mesh_deny}),
                     PLC_OK);
    plc_meshnet_run(a.net, 1200);
    assert_int_equal(plc_meshnet_announced(a.net), 8);
    char q[200];
    for (unsigned k = 9; k <= 10; k++) {
        snprintf(q, sizeof(q), "SELECT count(*) FROM events WHERE kind = 'refused-node' AND "
                 "detail LIKE 'device %016llX refused%%'", (unsigned long long)plc_meshnet_eui(a.net, k));
        assert_int_equal(count_rows(path, q), 1); /* once, though it kept trying */
    }
    plc_gw_counters c;
    plc_gw_get_counters(a.gw, &c);
    assert_int_equal(c.refused_nodes, 2);
    /* meter 9's modem key arrives: it joins */
    plc_gw_meter m9;
    plc_gw_meter_default(&m9);
    snprintf(m9.addr, sizeof(m9.addr), "%012u", 9u);
    m9.eui = plc_meshnet_eui(a.net, 9);
    plc_meshnet_psk(a.net, 9, m9.psk);
    assert_int_equal(plc_gw_archive_put(a.gw, &m9), PLC_OK);
    plc_meshnet_run(a.net, 1200 + 1800);
    assert_int_equal(plc_meshnet_announced(a.net), 9);
    assert_int_equal(count_rows(path, "SELECT count(*) FROM meters WHERE eui != 0"), 9);
    /* meter 8 leaves the archive: its modem is kicked and refused when it tries again */
    assert_int_equal(plc_lbd_get_state(plc_meshnet_lbd(a.net, 8)), PLC_LBD_JOINED);
    plc_gw_meter m8;
    plc_gw_meter_default(&m8);
    snprintf(m8.addr, sizeof(m8.addr), "%012u", 8u);
    m8.in_archive = 0;
    assert_int_equal(plc_gw_archive_put(a.gw, &m8), PLC_OK);
    plc_meshnet_run(a.net, 3000 + 1800);
    assert_true(plc_lbd_get_state(plc_meshnet_lbd(a.net, 8)) != PLC_LBD_JOINED);
    snprintf(q, sizeof(q), "SELECT count(*) FROM events WHERE kind = 'refused-node' AND "
             "detail LIKE 'device %016llX refused%%'", (unsigned long long)plc_meshnet_eui(a.net, 8));
    assert_int_equal(count_rows(path, q), 1);
    assert_int_equal(plc_lbd_get_state(plc_meshnet_lbd(a.net, 7)), PLC_LBD_JOINED);
    area_stop(&a, s, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_replies_counted_never_stored),
        cmocka_unit_test(test_day_of_50_meters_over_the_mesh),
        cmocka_unit_test(test_topology_from_path_discovery),
        cmocka_unit_test(test_commands_over_the_mesh),
        cmocka_unit_test(test_time_sync_and_clock_check),
        cmocka_unit_test(test_rs485_meters_in_the_same_tasks),
        cmocka_unit_test(test_load_curve_over_the_mesh),
        cmocka_unit_test(test_load_profile_over_the_mesh),
        cmocka_unit_test(test_profile_replies_checked),
        cmocka_unit_test(test_admission_follows_the_archive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
