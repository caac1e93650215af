/* plc-headend: the reference head-end (headend/plc_he.h, docs/upstream.md).
 *   plc-headend serve --bind EP --key FILE --allow FILE --store DB [--for S] [--clock-offset MS]
 *                     [--normal]
 *   plc-headend command --store DB --gateway ID --kind KIND [--meter ADDR] [--arg N] [--id ID]
 *                     [--tariff NAME] [--rate N] [--eui HEX --psk HEX] [--port P] [--asset A]
 *                     [--timeout S] [--wait S] [--again]
 *   plc-headend stats --store DB [--day YYYY-MM-DD]
 *   plc-headend export --store DB readings|events [--day YYYY-MM-DD]
 *   plc-headend log --store DB
 * serve: SIGTERM/SIGINT stop it after the message in hand; at exit one JSON line of counters.
 * command: queues it for the running server, waits for the result (90 s by default) and
 * prints it as one JSON line; exit 0 done, 1 failed, 3 no result in time. --again sends an
 * id already used once more (a deliberate replay: the gateway answers with its stored
 * result). A tariff: --rate 1-4 and --arg its price in 0.0001 yuan/kWh. stats: per gateway
 * and day, read completeness of the daily freeze and events by kind, as JSON. export: CSV on
 * stdout. */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plc_err.h"
#include "plc_gw_config.h"
#include "plc_he.h"
#include "plc_he_store.h"
#include "plc_up_link.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: plc-headend serve --bind EP --key FILE --allow FILE --store DB [--for S]\n"
            "                         [--clock-offset MS] [--normal]\n"
            "       plc-headend command --store DB --gateway ID --kind KIND [--meter ADDR]\n"
            "                         [--arg N] [--id ID] [--tariff NAME] [--rate N] [--eui HEX --psk HEX]\n"
            "                         [--port P] [--asset A] [--timeout S] [--wait S] [--again]\n"
            "       plc-headend stats --store DB [--day YYYY-MM-DD]\n"
            "       plc-headend export --store DB readings|events [--day YYYY-MM-DD]\n"
            "       plc-headend log --store DB\n"
            "  kinds: read trip close keep-power-on keep-power-off alarm-on alarm-off topup\n"
            "         set-time time-sync tariff archive-add archive-remove search topology firmware\n");
}

static const char *const kinds[] = {
    [PLC__UPSTREAM__COMMAND__KIND__READ] = "read",
    [PLC__UPSTREAM__COMMAND__KIND__TRIP] = "trip",
    [PLC__UPSTREAM__COMMAND__KIND__CLOSE] = "close",
    [PLC__UPSTREAM__COMMAND__KIND__KEEP_ON] = "keep-power-on",
    [PLC__UPSTREAM__COMMAND__KIND__KEEP_OFF] = "keep-power-off",
    [PLC__UPSTREAM__COMMAND__KIND__ALARM_ON] = "alarm-on",
    [PLC__UPSTREAM__COMMAND__KIND__ALARM_OFF] = "alarm-off",
    [PLC__UPSTREAM__COMMAND__KIND__TOPUP] = "topup",
    [PLC__UPSTREAM__COMMAND__KIND__SET_TIME] = "set-time",
    [PLC__UPSTREAM__COMMAND__KIND__TIME_SYNC] = "time-sync",
    [PLC__UPSTREAM__COMMAND__KIND__TARIFF] = "tariff",
    [PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD] = "archive-add",
    [PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_REMOVE] = "archive-remove",
    [PLC__UPSTREAM__COMMAND__KIND__SEARCH] = "search",
    [PLC__UPSTREAM__COMMAND__KIND__TOPOLOGY] = "topology",
    [PLC__UPSTREAM__COMMAND__KIND__FIRMWARE] = "firmware",
};
#define N_KINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

static int parse_day(const char *t, int64_t *day)
{
    int y, m, d;
    if (sscanf(t, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    *day = (int64_t)timegm(&tm); /* local seconds: no zone */
    return 0;
}

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

/* ---- serve ---- */
static int serve(int argc, char **argv)
{
    plc_he_config c;
    plc_he_config_default(&c);
    const char *bind = opt(argc, argv, "--bind"), *key = opt(argc, argv, "--key"),
               *allow = opt(argc, argv, "--allow"), *store = opt(argc, argv, "--store"),
               *run_for = opt(argc, argv, "--for"), *offset = opt(argc, argv, "--clock-offset");
    if (!bind || !key || !allow || !store) {
        usage(stderr);
        return 2;
    }
    snprintf(c.bind, sizeof(c.bind), "%s", bind);
    snprintf(c.key_file, sizeof(c.key_file), "%s", key);
    snprintf(c.allow_file, sizeof(c.allow_file), "%s", allow);
    snprintf(c.store, sizeof(c.store), "%s", store);
    c.durable = !flag(argc, argv, "--normal");
    c.clock_offset_ms = offset ? atoll(offset) : 0;
    char err[512];
    plc_he *h = plc_he_create(&c, err, sizeof(err));
    if (!h) {
        fprintf(stderr, "plc-headend: %s\n", err);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(stderr, "plc-headend: serving %s, store %s\n", c.bind, c.store);
    const int64_t t0 = plc_up_mono_ms(), limit = run_for ? (int64_t)(atof(run_for) * 1000) : -1;
    while (!stop_requested && (limit < 0 || plc_up_mono_ms() - t0 < limit))
        plc_he_poll(h, 100);
    plc_he_stats s;
    plc_he_get_stats(h, &s);
    printf("{\"logins\":%llu,\"batches\":%llu,\"items\":%llu,\"stored\":%llu,\"duplicates\":%llu,"
           "\"gaps\":%llu,\"heartbeats\":%llu,\"results\":%llu,\"commands_sent\":%llu,"
           "\"refused_keys\":%llu,\"bad_messages\":%llu,\"id_mismatches\":%llu}\n",
           (unsigned long long)s.logins, (unsigned long long)s.batches,
           (unsigned long long)s.items, (unsigned long long)s.stored,
           (unsigned long long)s.duplicates, (unsigned long long)s.gaps,
           (unsigned long long)s.heartbeats, (unsigned long long)s.results,
           (unsigned long long)s.commands_sent, (unsigned long long)s.refused_keys,
           (unsigned long long)s.bad_messages, (unsigned long long)s.id_mismatches);
    plc_he_destroy(h);
    return 0;
}

/* ---- command ---- */
static int command(int argc, char **argv)
{
    const char *store = opt(argc, argv, "--store"), *gw = opt(argc, argv, "--gateway"),
               *kind = opt(argc, argv, "--kind"), *id = opt(argc, argv, "--id"),
               *meter = opt(argc, argv, "--meter"), *arg = opt(argc, argv, "--arg"),
               *tariff = opt(argc, argv, "--tariff"), *eui = opt(argc, argv, "--eui"),
               *psk = opt(argc, argv, "--psk"), *port = opt(argc, argv, "--port"),
               *asset = opt(argc, argv, "--asset"), *timeout = opt(argc, argv, "--timeout"),
               *wait = opt(argc, argv, "--wait"), *rate = opt(argc, argv, "--rate");
    if (!store || !gw || !kind) {
        usage(stderr);
        return 2;
    }
    plc_he_command c;
    memset(&c, 0, sizeof(c));
    int k = 0;
    for (int i = 1; i < N_KINDS; i++)
        if (kinds[i] && !strcmp(kinds[i], kind))
            k = i;
    if (!k) {
        fprintf(stderr, "plc-headend: --kind %s: no such command\n", kind);
        return 2;
    }
    c.kind = (Plc__Upstream__Command__Kind)k;
    if (id)
        snprintf(c.id, sizeof(c.id), "%s", id);
    else
        snprintf(c.id, sizeof(c.id), "he-%lld-%d", (long long)plc_up_local_ms(), (int)getpid());
    snprintf(c.gateway, sizeof(c.gateway), "%s", gw);
    snprintf(c.meter, sizeof(c.meter), "%s", meter ? meter : "");
    c.has_arg = arg != NULL;
    c.arg = arg ? strtoll(arg, NULL, 0) : 0;
    c.timeout_s = timeout ? (unsigned)atoi(timeout) : 0;
    snprintf(c.tariff, sizeof(c.tariff), "%s", tariff ? tariff : "");
    c.rate = rate ? (unsigned)atoi(rate) : 0;
    snprintf(c.port, sizeof(c.port), "%s", port ? port : "");
    snprintf(c.asset, sizeof(c.asset), "%s", asset ? asset : "");
    if (eui || psk) {
        uint8_t e[8];
        if (!eui || !psk || !plc_gw_parse_hex(eui, e, 8) ||
            !plc_gw_parse_hex(psk, c.psk, 16)) {
            fprintf(stderr, "plc-headend: --eui takes 16 hex digits and --psk 32, together\n");
            return 2;
        }
        c.has_eui = 1;
        for (int i = 0; i < 8; i++)
            c.eui = c.eui << 8 | e[i];
    }
    char err[512];
    if (plc_he_command_check(&c, err, sizeof(err)) != PLC_OK) {
        fprintf(stderr, "plc-headend: %s\n", err);
        return 2;
    }
    plc_he_store *s = plc_he_store_open(store, 1, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "plc-headend: %s\n", err);
        return 1;
    }
    sqlite3_stmt *q;
    int known = 0;
    if (sqlite3_prepare_v2(plc_he_store_db(s), "SELECT 1 FROM gateways WHERE name = ?1", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, gw, -1, SQLITE_STATIC);
        known = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    if (!known) {
        fprintf(stderr, "plc-headend: no gateway %s has logged in here\n", gw);
        plc_he_store_close(s);
        return 1;
    }
    if (plc_he_store_command_add(s, &c, flag(argc, argv, "--again"), plc_up_local_ms() / 1000) !=
        PLC_OK) {
        fprintf(stderr, "plc-headend: %s\n", plc_he_store_message(s));
        plc_he_store_close(s);
        return 1;
    }
    const int64_t until = plc_up_mono_ms() + (int64_t)((wait ? atof(wait) : 90) * 1000);
    int rc = 3;
    for (;;) {
        plc_he_command r;
        if (plc_he_store_command_get(s, c.id, &r) == 1) {
            const int over = !strcmp(r.status, "done") || !strcmp(r.status, "failed");
            if (over) {
                printf("{\"id\":\"%s\",\"gateway\":\"%s\",\"kind\":\"%s\",\"status\":\"%s\","
                       "\"code\":%d,\"error\":\"%s\",\"repeated\":%s,\"result\":%s}\n",
                       r.id, r.gateway, kind, r.status, r.result_code,
                       r.result_code ? plc_strerror(r.result_code) : "",
                       r.repeated ? "true" : "false", r.result[0] ? r.result : "null");
                rc = !strcmp(r.status, "done") ? 0 : 1;
            }
            free(r.result);
            if (over)
                break;
        }
        if (plc_up_mono_ms() > until) {
            printf("{\"id\":\"%s\",\"gateway\":\"%s\",\"kind\":\"%s\",\"status\":\"pending\"}\n",
                   c.id, gw, kind);
            break;
        }
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    plc_he_store_close(s);
    return rc;
}

/* ---- reports ---- */
static sqlite3 *open_ro(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "plc-headend: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void day_text(int64_t t, char out[11])
{
    const time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int stats(int argc, char **argv)
{
    const char *store = opt(argc, argv, "--store"), *d = opt(argc, argv, "--day");
    int64_t day = -1;
    if (!store || (d && parse_day(d, &day) != 0)) {
        usage(stderr);
        return 2;
    }
    sqlite3 *db = open_ro(store);
    if (!db)
        return 1;
    sqlite3_stmt *g, *r, *e;
    sqlite3_prepare_v2(db, "SELECT id, name, meters, software, last_login, latitude, longitude"
                           " FROM gateways ORDER BY name", -1, &g, NULL);
    /* per day of the data's time: readings, meters with the daily freeze of that day */
    sqlite3_prepare_v2(db, "SELECT ts / 86400 * 86400 AS day, count(*),"
                           " count(DISTINCT CASE di WHEN 84279553 THEN meter END)"
                           " FROM readings WHERE gateway = ?1 AND (?2 < 0 OR (ts >= ?2 AND"
                           " ts < ?2 + 86400)) GROUP BY day ORDER BY day", -1, &r, NULL);
    sqlite3_prepare_v2(db, "SELECT kind, count(*) FROM events WHERE gateway = ?1 AND ts >= ?2"
                           " AND ts < ?2 + 86400 GROUP BY kind ORDER BY kind", -1, &e, NULL);
    printf("{\"gateways\":[");
    int first_g = 1;
    while (sqlite3_step(g) == SQLITE_ROW) {
        const int64_t id = sqlite3_column_int64(g, 0);
        const int meters = sqlite3_column_int(g, 2);
        printf("%s{\"gateway\":\"%s\",\"meters\":%d,\"software\":\"%s\",\"last_login\":%lld",
               first_g ? "" : ",", sqlite3_column_text(g, 1), meters, sqlite3_column_text(g, 3),
               (long long)sqlite3_column_int64(g, 4));
        if (sqlite3_column_type(g, 5) != SQLITE_NULL)
            printf(",\"latitude\":%.6f,\"longitude\":%.6f", sqlite3_column_double(g, 5),
                   sqlite3_column_double(g, 6));
        printf(",\"days\":[");
        first_g = 0;
        sqlite3_bind_int64(r, 1, id);
        sqlite3_bind_int64(r, 2, day);
        int first_d = 1;
        while (sqlite3_step(r) == SQLITE_ROW) {
            char t[11];
            const int64_t dd = sqlite3_column_int64(r, 0);
            const int daily = sqlite3_column_int(r, 2);
            day_text(dd, t);
            printf("%s{\"day\":\"%s\",\"readings\":%lld,\"daily_meters\":%d,"
                   "\"completeness\":%.4f,\"events\":{",
                   first_d ? "" : ",", t, (long long)sqlite3_column_int64(r, 1), daily,
                   meters ? (double)daily / meters : 0.0);
            first_d = 0;
            sqlite3_bind_int64(e, 1, id);
            sqlite3_bind_int64(e, 2, dd);
            int first_e = 1;
            while (sqlite3_step(e) == SQLITE_ROW) {
                printf("%s\"%s\":%d", first_e ? "" : ",", sqlite3_column_text(e, 0),
                       sqlite3_column_int(e, 1));
                first_e = 0;
            }
            sqlite3_reset(e);
            printf("}}");
        }
        sqlite3_reset(r);
        printf("]}");
    }
    sqlite3_stmt *l;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM log", -1, &l, NULL);
    const int logged = sqlite3_step(l) == SQLITE_ROW ? sqlite3_column_int(l, 0) : 0;
    printf("],\"refusals_logged\":%d}\n", logged);
    sqlite3_finalize(l);
    sqlite3_finalize(g);
    sqlite3_finalize(r);
    sqlite3_finalize(e);
    sqlite3_close(db);
    return 0;
}

/* CSV text field: quoted, quotes doubled. */
static void csv(const unsigned char *t)
{
    putchar('"');
    for (; t && *t; t++) {
        if (*t == '"')
            putchar('"');
        putchar(*t);
    }
    putchar('"');
}

static int export_csv(int argc, char **argv)
{
    const char *store = opt(argc, argv, "--store"), *d = opt(argc, argv, "--day");
    const char *what = "";
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "readings") || !strcmp(argv[i], "events"))
            what = argv[i];
    int64_t day = -1;
    if (!store || (d && parse_day(d, &day) != 0) ||
        (strcmp(what, "readings") && strcmp(what, "events"))) {
        usage(stderr);
        return 2;
    }
    sqlite3 *db = open_ro(store);
    if (!db)
        return 1;
    const int readings = !strcmp(what, "readings");
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, readings
                               ? "SELECT g.name, r.meter, printf('%08X', r.di), r.ts, r.value,"
                                 " r.read_at, r.seq FROM readings r JOIN gateways g ON"
                                 " g.id = r.gateway WHERE ?1 < 0 OR (r.ts >= ?1 AND"
                                 " r.ts < ?1 + 86400) ORDER BY g.name, r.meter, r.di, r.ts"
                               : "SELECT g.name, e.meter, e.kind, e.ts, e.detail, e.received,"
                                 " e.seq FROM events e JOIN gateways g ON g.id = e.gateway"
                                 " WHERE ?1 < 0 OR (e.ts >= ?1 AND e.ts < ?1 + 86400)"
                                 " ORDER BY g.name, e.ts, e.seq",
                       -1, &q, NULL);
    sqlite3_bind_int64(q, 1, day);
    puts(readings ? "gateway,meter,di,ts,value,read_at,seq" : "gateway,meter,kind,ts,detail,received,seq");
    while (sqlite3_step(q) == SQLITE_ROW) {
        csv(sqlite3_column_text(q, 0));
        putchar(',');
        csv(sqlite3_column_text(q, 1));
        putchar(',');
        csv(sqlite3_column_text(q, 2));
        printf(",%lld,", (long long)sqlite3_column_int64(q, 3));
        csv(sqlite3_column_text(q, 4));
        printf(",%lld,%lld\n", (long long)sqlite3_column_int64(q, 5),
               (long long)sqlite3_column_int64(q, 6));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return 0;
}

static int show_log(int argc, char **argv)
{
    const char *store = opt(argc, argv, "--store");
    if (!store) {
        usage(stderr);
        return 2;
    }
    sqlite3 *db = open_ro(store);
    if (!db)
        return 1;
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT ts, gateway, text FROM log ORDER BY id", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW)
        printf("%lld %s %s\n", (long long)sqlite3_column_int64(q, 0), sqlite3_column_text(q, 1),
               sqlite3_column_text(q, 2));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "serve"))
        return serve(argc, argv);
    if (!strcmp(argv[1], "command"))
        return command(argc, argv);
    if (!strcmp(argv[1], "stats"))
        return stats(argc, argv);
    if (!strcmp(argv[1], "export"))
        return export_csv(argc, argv);
    if (!strcmp(argv[1], "log"))
        return show_log(argc, argv);
    usage(stderr);
    return 2;
}
