/* plc-gateway: looks into a concentrator's store (gateway/plc_gw_store.h) while the daemon
 * runs (SQLite WAL: readers never block the writer), and prints JSON.
 *   plc-gateway -s STORE status
 *   plc-gateway -s STORE meters
 *   plc-gateway -s STORE readings [--meter ADDR] [--day YYYY-MM-DD] [--limit N]
 *   plc-gateway -s STORE events [--kind KIND] [--limit N]
 *   plc-gateway -s STORE completeness [--day YYYY-MM-DD]
 *   plc-gateway -s STORE topology [--dot]
 *   plc-gateway -s STORE archive-add ADDR [--port PORT] [--asset ASSET] [--eui HEX16 --psk HEX32]
 * archive-add: the daemon reads the archive (and admits the modems whose EUI-64 and PSK it
 * has) when it starts.
 *   plc-gateway -s STORE commands
 *   plc-gateway -s STORE command ID METER KIND [ARG] [--wait SECONDS]
 * command puts a command in the log, where the daemon takes it (within 5 s): KIND read (ARG
 * the DI in hex), trip, close, keep-power-on (ARG until "YYYY-MM-DD hh:mm"), keep-power-off,
 * alarm-on, alarm-off, topup (ARG the amount, e.g. 50.00), set-time, firmware (ARG the switch
 * delay in seconds, 600 by default; the daemon's [firmware] image), price (ARG RATE:YUAN, e.g.
 * 2:0.5230: a tariff's price); ID is unique (a repeated
 * ID is never applied again); --wait prints the result when it comes (0: do not wait).
 * Times print as the area's local time. Exit 0, 1 when the store cannot be read, 2 on bad
 * usage. */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc_dlt645.h"
#include "plc_err.h"
#include "plc_gw.h"
#include "plc_gw_config.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: plc-gateway -s STORE status | meters | readings [--meter ADDR] [--day "
               "YYYY-MM-DD] [--limit N]\n"
               "                   | events [--kind KIND] [--limit N] | completeness [--day "
               "YYYY-MM-DD] | topology [--dot]\n"
               "                   | commands | command ID METER KIND [ARG] [--wait SECONDS]\n"
               "                   | archive-add ADDR [--port PORT] [--asset ASSET] [--eui HEX16 --psk HEX32]\n");
}

static void time_text(int64_t t, char *out, size_t cap)
{
    const time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* A JSON string (the store's texts are ours, but quote anything). */
static void json_str(const unsigned char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if (*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* The store, waiting up to 5 s for the daemon's transaction in hand; NULL (said why) when it
 * cannot be opened. */
static sqlite3 *open_store(const char *path, int flags)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK) {
        fprintf(stderr, "plc-gateway: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "plc-gateway: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return q;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = prepare(db, sql);
    const int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return v;
}

static void print_completeness(sqlite3 *db, int64_t day)
{
    sqlite3_stmt *q;
    if (day >= 0) {
        q = prepare(db, "SELECT ?1, count(*), coalesce(sum(before_deadline), 0) FROM daily "
                        "WHERE day = ?1 AND got_at > 0");
        sqlite3_bind_int64(q, 1, day);
    } else {
        q = prepare(db, "SELECT day, count(*), coalesce(sum(before_deadline), 0) FROM daily "
                        "WHERE got_at > 0 GROUP BY day ORDER BY day DESC LIMIT 7");
    }
    const int64_t meters = scalar(db, "SELECT count(*) FROM meters WHERE in_archive = 1");
    printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++) {
        char t[32];
        time_text(sqlite3_column_int64(q, 0), t, sizeof(t));
        t[10] = 0;
        const int64_t got = sqlite3_column_int64(q, 1), in_time = sqlite3_column_int64(q, 2);
        printf("%s{\"day\":\"%s\",\"meters\":%lld,\"got\":%lld,\"before_deadline\":%lld,"
               "\"completeness\":%.4f}",
               n ? "," : "", t, (long long)meters, (long long)got, (long long)in_time,
               meters ? (double)in_time / (double)meters : 0.0);
    }
    printf("]");
    sqlite3_finalize(q);
}

static void cmd_status(sqlite3 *db)
{
    const int64_t pid = scalar(db, "SELECT value FROM state WHERE key = 'daemon_pid'");
    char t[32];
    time_text(scalar(db, "SELECT value FROM state WHERE key = 'daemon_clock'"), t, sizeof(t));
    printf("{\"daemon_pid\":%lld,\"clock\":\"%s\",\"meters\":%lld,\"not_in_archive\":%lld,"
           "\"meters_seen\":%lld,\"readings\":%lld,\"events\":%lld,\"daily\":",
           (long long)pid, t, (long long)scalar(db, "SELECT count(*) FROM meters WHERE in_archive = 1"),
           (long long)scalar(db, "SELECT count(*) FROM meters WHERE in_archive = 0"),
           (long long)scalar(db, "SELECT count(*) FROM meters WHERE last_seen > 0"),
           (long long)scalar(db, "SELECT count(*) FROM readings"),
           (long long)scalar(db, "SELECT count(*) FROM events"));
    print_completeness(db, -1);
    printf("}\n");
}

static void cmd_meters(sqlite3 *db)
{
    sqlite3_stmt *q = prepare(db, "SELECT address, protocol, port, asset, in_archive, short_addr,"
                                  " hops, lqi, parent, last_seen FROM meters ORDER BY address");
    printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++) {
        char t[32] = "";
        if (sqlite3_column_int64(q, 9))
            time_text(sqlite3_column_int64(q, 9), t, sizeof(t));
        printf("%s{\"address\":", n ? ",\n" : "");
        json_str(sqlite3_column_text(q, 0));
        printf(",\"protocol\":");
        json_str(sqlite3_column_text(q, 1));
        printf(",\"port\":");
        json_str(sqlite3_column_text(q, 2));
        printf(",\"asset\":");
        json_str(sqlite3_column_text(q, 3));
        printf(",\"in_archive\":%s,\"short_addr\":%d,\"hops\":%d,\"lqi\":%d,\"parent\":%d,"
               "\"last_seen\":%s%s%s}",
               sqlite3_column_int(q, 4) ? "true" : "false", sqlite3_column_int(q, 5),
               sqlite3_column_int(q, 6), sqlite3_column_int(q, 7), sqlite3_column_int(q, 8),
               t[0] ? "\"" : "null", t, t[0] ? "\"" : "");
    }
    printf("]\n");
    sqlite3_finalize(q);
}

static void cmd_readings(sqlite3 *db, const char *meter, int64_t day, int limit)
{
    sqlite3_stmt *q = prepare(db, "SELECT m.address, r.di, r.ts, r.value, r.read_at FROM readings r"
                                  " JOIN meters m ON m.id = r.meter"
                                  " WHERE (?1 IS NULL OR m.address = ?1)"
                                  " AND (?2 < 0 OR (r.ts >= ?2 AND r.ts < ?2 + 86400))"
                                  " ORDER BY r.ts, m.address, r.di LIMIT ?3");
    if (meter)
        sqlite3_bind_text(q, 1, meter, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, day);
    sqlite3_bind_int(q, 3, limit);
    printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++) {
        char ts[32], at[32];
        time_text(sqlite3_column_int64(q, 2), ts, sizeof(ts));
        time_text(sqlite3_column_int64(q, 4), at, sizeof(at));
        const char *v = (const char *)sqlite3_column_text(q, 3);
        printf("%s{\"meter\":", n ? ",\n" : "");
        json_str(sqlite3_column_text(q, 0));
        printf(",\"di\":\"%08llX\",\"ts\":\"%s\",\"value\":", (unsigned long long)sqlite3_column_int64(q, 1), ts);
        if (v && (v[0] == '{' || (v[0] >= '0' && v[0] <= '9') || v[0] == '-') && !strchr(v, ' ') &&
            !strchr(v, 'x'))
            printf("%s", v); /* a number or our JSON block */
        else
            json_str((const unsigned char *)v);
        printf(",\"read_at\":\"%s\"}", at);
    }
    printf("]\n");
    sqlite3_finalize(q);
}

static void cmd_events(sqlite3 *db, const char *kind, int limit)
{
    sqlite3_stmt *q = prepare(db, "SELECT e.ts, e.kind, coalesce(m.address, ''), e.detail FROM events e"
                                  " LEFT JOIN meters m ON m.id = e.meter"
                                  " WHERE (?1 IS NULL OR e.kind = ?1) ORDER BY e.ts, e.id LIMIT ?2");
    if (kind)
        sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, limit);
    printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++) {
        char ts[32];
        time_text(sqlite3_column_int64(q, 0), ts, sizeof(ts));
        printf("%s{\"ts\":\"%s\",\"kind\":", n ? ",\n" : "", ts);
        json_str(sqlite3_column_text(q, 1));
        printf(",\"meter\":");
        json_str(sqlite3_column_text(q, 2));
        printf(",\"detail\":");
        json_str(sqlite3_column_text(q, 3));
        printf("}");
    }
    printf("]\n");
    sqlite3_finalize(q);
}

static void cmd_topology(sqlite3 *db, int dot)
{
    sqlite3_stmt *q = prepare(db, "SELECT address, short_addr, hops, lqi, parent FROM meters"
                                  " WHERE short_addr >= 0 ORDER BY short_addr");
    if (dot)
        printf("digraph area {\n  rankdir=BT;\n  n0 [label=\"C\", shape=box];\n");
    else
        printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++) {
        const int sh = sqlite3_column_int(q, 1), hops = sqlite3_column_int(q, 2);
        const int lqi = sqlite3_column_int(q, 3), parent = sqlite3_column_int(q, 4);
        if (dot) {
            printf("  n%d [label=\"%s\\n0x%04X\"];\n", sh, sqlite3_column_text(q, 0), sh);
            if (parent >= 0)
                printf("  n%d -> n%d [label=\"%d hops\"];\n", sh, parent, hops);
            continue;
        }
        printf("%s{\"meter\":", n ? ",\n" : "");
        json_str(sqlite3_column_text(q, 0));
        printf(",\"short_addr\":%d,\"parent\":%d,\"hops\":%d,\"lqi\":%d}", sh, parent, hops, lqi);
    }
    printf(dot ? "}\n" : "]\n");
    sqlite3_finalize(q);
}

static void print_command(sqlite3_stmt *q, int n)
{
    char ts[32], done[32] = "";
    time_text(sqlite3_column_int64(q, 1), ts, sizeof(ts));
    if (sqlite3_column_int64(q, 7))
        time_text(sqlite3_column_int64(q, 7), done, sizeof(done));
    printf("%s{\"id\":", n ? ",\n" : "");
    json_str(sqlite3_column_text(q, 0));
    printf(",\"ts\":\"%s\",\"meter\":", ts);
    json_str(sqlite3_column_text(q, 2));
    printf(",\"kind\":");
    json_str(sqlite3_column_text(q, 3));
    printf(",\"status\":");
    json_str(sqlite3_column_text(q, 4));
    const unsigned char *r = sqlite3_column_text(q, 6);
    printf(",\"error\":\"%s\",\"result\":%s,\"done_at\":%s%s%s}",
           sqlite3_column_int(q, 5) ? plc_strerror(sqlite3_column_int(q, 5)) : "",
           r && r[0] ? (const char *)r : "null", done[0] ? "\"" : "null", done, done[0] ? "\"" : "");
}

#define COMMAND_COLUMNS "id, ts, meter, kind, status, result_code, result, done_at"

static void cmd_commands(sqlite3 *db)
{
    sqlite3_stmt *q = prepare(db, "SELECT " COMMAND_COLUMNS " FROM commands ORDER BY ts, id");
    printf("[");
    for (int n = 0; sqlite3_step(q) == SQLITE_ROW; n++)
        print_command(q, n);
    printf("]\n");
    sqlite3_finalize(q);
}

/* Puts a command in the log for the daemon; waits for its result. */
static int cmd_command(const char *store, char **args, int nargs, double wait_s)
{
    if (nargs < 3) {
        usage(stderr);
        return 2;
    }
    const char *id = args[0], *meter = args[1], *kind = args[2], *arg = nargs > 3 ? args[3] : "";
    plc_gw_cmd_kind k;
    if (plc_gw_cmd_parse(kind, &k) != PLC_OK) {
        fprintf(stderr, "plc-gateway: %s: not a command kind\n", kind);
        return 2;
    }
    int64_t value = 0;
    if (k == PLC_GW_CMD_READ) {
        char *end;
        value = (int64_t)strtoul(arg, &end, 16);
        if (!arg[0] || *end) {
            fprintf(stderr, "plc-gateway: read: the DI in hex, e.g. 00010000\n");
            return 2;
        }
    } else if (k == PLC_GW_CMD_TOPUP) {
        const double yuan = atof(arg);
        if (yuan <= 0 || yuan > 999999.99) {
            fprintf(stderr, "plc-gateway: topup: the amount, e.g. 50.00\n");
            return 2;
        }
        value = (int64_t)(yuan * 100.0 + 0.5);
    } else if (k == PLC_GW_CMD_FIRMWARE) {
        value = arg[0] ? atoll(arg) : 0; /* switch this many seconds after the check */
        if (value < 0) {
            fprintf(stderr, "plc-gateway: firmware: the switch delay in seconds\n");
            return 2;
        }
    } else if (k == PLC_GW_CMD_PRICE) {
        unsigned rate = 0;
        double price = 0;
        char tail;
        if (sscanf(arg, "%u:%lf%c", &rate, &price, &tail) != 2 || rate < 1 || rate > 4 ||
            price <= 0 || price > 9999.9999) {
            fprintf(stderr, "plc-gateway: price: RATE:YUAN_PER_KWH, rate 1-4, e.g. 2:0.5230\n");
            return 2;
        }
        value = (int64_t)rate << 32 | (int64_t)(price * 10000.0 + 0.5);
    } else if (k == PLC_GW_CMD_KEEP_ON && plc_gw_parse_time(arg, &value) != PLC_OK) {
        fprintf(stderr, "plc-gateway: keep-power-on: until \"YYYY-MM-DD hh:mm\"\n");
        return 2;
    }
    sqlite3 *db = open_store(store, SQLITE_OPEN_READWRITE);
    if (!db)
        return 1;
    /* the same id twice is one command: the log keeps the first */
    sqlite3_stmt *q = prepare(db, "INSERT OR IGNORE INTO commands(id, ts, meter, kind, arg, status)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5, 'queued')");
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    /* taken at the daemon's clock (a simulation's runs on its own), else at the local time */
    int64_t at = scalar(db, "SELECT value FROM state WHERE key = 'daemon_clock'");
    if (!at) {
        const time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        at = plc_gw_local_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                               tm.tm_min, tm.tm_sec);
    }
    sqlite3_bind_int64(q, 2, at);
    sqlite3_bind_text(q, 3, meter, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, plc_gw_cmd_name(k), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, value);
    if (sqlite3_step(q) != SQLITE_DONE) {
        fprintf(stderr, "plc-gateway: %s\n", sqlite3_errmsg(db));
        sqlite3_finalize(q);
        sqlite3_close(db);
        return 1;
    }
    sqlite3_finalize(q);
    q = prepare(db, "SELECT " COMMAND_COLUMNS " FROM commands WHERE id = ?1");
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    const double until = (double)time(NULL) + wait_s;
    int rc = 0;
    for (;;) {
        if (sqlite3_step(q) != SQLITE_ROW) {
            rc = 1;
            break;
        }
        const int queued = strcmp((const char *)sqlite3_column_text(q, 4), "queued") == 0;
        if (!queued || (double)time(NULL) >= until) {
            print_command(q, 0);
            printf("\n");
            rc = queued && wait_s > 0 ? 3 : 0; /* 3: waited, not done yet */
            break;
        }
        sqlite3_reset(q);
        nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

/* A meter into the archive (or its port and asset changed); the daemon reads the archive when
 * it starts. A store not there yet is made (the archive is imported before the first start). */
static int cmd_archive_add(const char *store, const char *addr, const char *port, const char *asset,
                           const char *eui_hex, const char *psk_hex)
{
    uint8_t a[6], e[8], psk[16];
    if (!addr || strlen(addr) != 12 || plc_dlt645_addr_parse(addr, a) != PLC_DLT645_OK) {
        fprintf(stderr, "plc-gateway: archive-add: the meter's 12-digit address\n");
        return 2;
    }
    if ((eui_hex || psk_hex) && (!plc_gw_parse_hex(eui_hex, e, 8) || !plc_gw_parse_hex(psk_hex, psk, 16))) {
        fprintf(stderr, "plc-gateway: archive-add: --eui takes 16 hex digits, --psk 32, both\n");
        return 2;
    }
    uint64_t eui = 0;
    for (int i = 0; eui_hex && i < 8; i++)
        eui = eui << 8 | e[i];
    char err[256];
    plc_gw_store *made = plc_gw_store_open(store, 1, err, sizeof(err));
    if (!made) {
        fprintf(stderr, "plc-gateway: %s\n", err);
        return 1;
    }
    plc_gw_store_close(made);
    sqlite3 *db = open_store(store, SQLITE_OPEN_READWRITE);
    if (!db)
        return 1;
    sqlite3_stmt *q = prepare(db, "INSERT INTO meters(address, port, asset, in_archive, eui, psk)"
                                  " VALUES(?1, ?2, ?3, 1, ?4, ?5) ON CONFLICT(address) DO UPDATE SET"
                                  " port = ?2, asset = ?3, in_archive = 1,"
                                  " eui = CASE ?4 WHEN 0 THEN eui ELSE ?4 END,"
                                  " psk = CASE ?4 WHEN 0 THEN psk ELSE ?5 END");
    sqlite3_bind_text(q, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, port ? port : "plc", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, asset ? asset : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (int64_t)eui);
    if (eui)
        sqlite3_bind_blob(q, 5, psk, 16, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 5);
    const int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : 1;
    if (rc)
        fprintf(stderr, "plc-gateway: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    const char *store = NULL, *cmd = NULL, *meter = NULL, *kind = NULL, *port = NULL, *asset = NULL;
    const char *eui = NULL, *psk = NULL;
    int64_t day = -1;
    int limit = 100000, dot = 0, nargs = 0;
    char *args[4];
    double wait_s = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--wait") && i + 1 < argc) {
            wait_s = atof(argv[++i]);
        } else if (cmd && !strcmp(cmd, "command") && a[0] != '-' && nargs < 4) {
            args[nargs++] = argv[i];
        } else if (!strcmp(a, "-s") && i + 1 < argc) {
            store = argv[++i];
        } else if (!strcmp(a, "--meter") && i + 1 < argc) {
            meter = argv[++i];
        } else if (!strcmp(a, "--port") && i + 1 < argc) {
            port = argv[++i];
        } else if (!strcmp(a, "--asset") && i + 1 < argc) {
            asset = argv[++i];
        } else if (!strcmp(a, "--eui") && i + 1 < argc) {
            eui = argv[++i];
        } else if (!strcmp(a, "--psk") && i + 1 < argc) {
            psk = argv[++i];
        } else if (cmd && !strcmp(cmd, "archive-add") && a[0] != '-' && !meter) {
            meter = a;
        } else if (!strcmp(a, "--kind") && i + 1 < argc) {
            kind = argv[++i];
        } else if (!strcmp(a, "--limit") && i + 1 < argc) {
            limit = atoi(argv[++i]);
        } else if (!strcmp(a, "--day") && i + 1 < argc) {
            char t[40];
            snprintf(t, sizeof(t), "%s 00:00", argv[++i]);
            if (plc_gw_parse_time(t, &day) != PLC_OK) {
                fprintf(stderr, "plc-gateway: --day %s: not YYYY-MM-DD\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--dot")) {
            dot = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!cmd && a[0] != '-') {
            cmd = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!store || !cmd) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "command"))
        return cmd_command(store, args, nargs, wait_s);
    if (!strcmp(cmd, "archive-add"))
        return cmd_archive_add(store, meter, port, asset, eui, psk);
    sqlite3 *db = open_store(store, SQLITE_OPEN_READONLY);
    if (!db)
        return 1;
    int rc = 0;
    if (!strcmp(cmd, "status"))
        cmd_status(db);
    else if (!strcmp(cmd, "meters"))
        cmd_meters(db);
    else if (!strcmp(cmd, "readings"))
        cmd_readings(db, meter, day, limit);
    else if (!strcmp(cmd, "events"))
        cmd_events(db, kind, limit);
    else if (!strcmp(cmd, "completeness")) {
        print_completeness(db, day);
        printf("\n");
    } else if (!strcmp(cmd, "topology"))
        cmd_topology(db, dot);
    else if (!strcmp(cmd, "commands"))
        cmd_commands(db);
    else {
        usage(stderr);
        rc = 2;
    }
    sqlite3_close(db);
    return rc;
}
