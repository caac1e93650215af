#define _POSIX_C_SOURCE 200809L
#include "plc_he_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_sql.h"

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS gateways("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, software TEXT NOT NULL DEFAULT '',"
    " meters INTEGER NOT NULL DEFAULT 0, latitude REAL, longitude REAL, location_source TEXT,"
    " epoch INTEGER NOT NULL DEFAULT 0, last_login INTEGER NOT NULL DEFAULT 0,"
    " logins INTEGER NOT NULL DEFAULT 0, clock_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS epochs(gateway INTEGER NOT NULL, epoch INTEGER NOT NULL,"
    " acked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(gateway, epoch)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS readings(gateway INTEGER NOT NULL, epoch INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, meter TEXT NOT NULL, di INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " value TEXT NOT NULL, read_at INTEGER NOT NULL, received INTEGER NOT NULL,"
    " PRIMARY KEY(gateway, epoch, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS events(gateway INTEGER NOT NULL, epoch INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, ts INTEGER NOT NULL, kind TEXT NOT NULL, meter TEXT NOT NULL,"
    " detail TEXT NOT NULL, received INTEGER NOT NULL,"
    " PRIMARY KEY(gateway, epoch, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS commands(id TEXT PRIMARY KEY, gateway TEXT NOT NULL,"
    " kind INTEGER NOT NULL, meter TEXT NOT NULL DEFAULT '', has_arg INTEGER NOT NULL DEFAULT 0,"
    " arg INTEGER NOT NULL DEFAULT 0, timeout_s INTEGER NOT NULL DEFAULT 0,"
    " tariff TEXT NOT NULL DEFAULT '', rate INTEGER NOT NULL DEFAULT 0,"
    " port TEXT NOT NULL DEFAULT '',"
    " asset TEXT NOT NULL DEFAULT '', eui INTEGER, psk BLOB,"
    " status TEXT NOT NULL DEFAULT 'new', created INTEGER NOT NULL, sent_at INTEGER NOT NULL"
    " DEFAULT 0, result_code INTEGER NOT NULL DEFAULT 0, result TEXT NOT NULL DEFAULT '',"
    " repeated INTEGER NOT NULL DEFAULT 0, done_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS commands_status ON commands(gateway, status);"
    "CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
    " gateway TEXT NOT NULL, text TEXT NOT NULL);";

enum {
    Q_GW_UPSERT,
    Q_GW_ID,
    Q_EPOCH_GET,
    Q_EPOCH_SET,
    Q_READING,
    Q_EVENT,
    Q_RESULT,
    Q_LOG,
    Q_CMD_ADD,
    Q_CMD_AGAIN,
    Q_CMD_GET,
    Q_CMD_NEW,
    Q_CMD_SENT,
    Q_CMD_RESEND,
    Q_COUNT
};

#define CMD_COLS "id, gateway, kind, meter, has_arg, arg, timeout_s, tariff, port, asset, eui," \
                 " psk, status, result_code, repeated, result, rate"

static const char *const sql[Q_COUNT] = {
    [Q_GW_UPSERT] = "INSERT INTO gateways(name, software, meters, latitude, longitude,"
                    " location_source, epoch, last_login, logins, clock_ms)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9) ON CONFLICT(name) DO UPDATE"
                    " SET software = ?2, meters = ?3, latitude = coalesce(?4, latitude),"
                    " longitude = coalesce(?5, longitude),"
                    " location_source = coalesce(?6, location_source), epoch = ?7,"
                    " last_login = ?8, logins = logins + 1, clock_ms = ?9",
    [Q_GW_ID] = "SELECT id FROM gateways WHERE name = ?1",
    [Q_EPOCH_GET] = "SELECT acked FROM epochs WHERE gateway = ?1 AND epoch = ?2",
    [Q_EPOCH_SET] = "INSERT INTO epochs(gateway, epoch, acked) VALUES(?1, ?2, ?3)"
                    " ON CONFLICT(gateway, epoch) DO UPDATE SET acked = max(acked, ?3)",
    [Q_READING] = "INSERT INTO readings(gateway, epoch, seq, meter, di, ts, value, read_at,"
                  " received) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                  " ON CONFLICT DO NOTHING",
    [Q_EVENT] = "INSERT INTO events(gateway, epoch, seq, ts, kind, meter, detail, received)"
                " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
    [Q_RESULT] = "UPDATE commands SET status = CASE ?3 WHEN 0 THEN 'done' ELSE 'failed' END,"
                 " result_code = ?3, result = ?4, repeated = ?5, done_at = ?6"
                 " WHERE id = ?1 AND gateway = ?2",
    [Q_LOG] = "INSERT INTO log(ts, gateway, text) VALUES(?1, ?2, ?3)",
    [Q_CMD_ADD] = "INSERT INTO commands(id, gateway, kind, meter, has_arg, arg, timeout_s,"
                  " tariff, port, asset, eui, psk, created, rate) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
                  " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [Q_CMD_AGAIN] = "UPDATE commands SET status = 'new', sent_at = 0 WHERE id = ?1",
    [Q_CMD_GET] = "SELECT " CMD_COLS " FROM commands WHERE id = ?1",
    [Q_CMD_NEW] = "SELECT " CMD_COLS " FROM commands WHERE gateway = ?1 AND status = 'new'"
                  " ORDER BY created, id LIMIT ?2",
    [Q_CMD_SENT] = "UPDATE commands SET status = 'sent', sent_at = ?2 WHERE id = ?1"
                   " AND status = 'new'",
    [Q_CMD_RESEND] = "UPDATE commands SET status = 'new' WHERE gateway = ?1 AND status = 'sent'",
};

struct plc_he_store {
    plc_sql sql;
    sqlite3_stmt *q[Q_COUNT];
};



plc_he_store *plc_he_store_open(const char *path, int durable, char *err, size_t errlen)
{
    plc_he_store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (plc_sql_open(&s->sql, path, durable, schema, err, errlen) != PLC_OK) {
        plc_he_store_close(s);
        return NULL;
    }
    if (plc_sql_prepare(&s->sql, sql, Q_COUNT, s->q, path, err, errlen) != PLC_OK) {
        plc_he_store_close(s);
        return NULL;
    }
    return s;
}

void plc_he_store_close(plc_he_store *s)
{
    if (!s)
        return;
    plc_sql_finalize(s->q, Q_COUNT);
    plc_sql_close(&s->sql);
    free(s);
}

const char *plc_he_store_message(const plc_he_store *s)
{
    return s->sql.msg;
}

sqlite3 *plc_he_store_db(plc_he_store *s)
{
    return s->sql.db;
}



static int epoch_acked(plc_he_store *s, int64_t gateway, uint64_t epoch, uint64_t *acked)
{
    sqlite3_stmt *q = s->q[Q_EPOCH_GET];
    sqlite3_bind_int64(q, 1, gateway);
    sqlite3_bind_int64(q, 2, (int64_t)epoch);
    const int rc = sqlite3_step(q);
    *acked = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? PLC_OK : plc_sql_fail(&s->sql);
}

int plc_he_store_login(plc_he_store *s, const Plc__Upstream__Login *l, int64_t now,
                       int64_t *gateway, uint64_t *acked)
{
    sqlite3_stmt *q = s->q[Q_GW_UPSERT];
    sqlite3_bind_text(q, 1, l->gateway_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, l->software, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, l->meters);
    if (l->location) {
        sqlite3_bind_double(q, 4, l->location->latitude);
        sqlite3_bind_double(q, 5, l->location->longitude);
        sqlite3_bind_text(q, 6, l->location->source, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(q, 7, (int64_t)l->epoch);
    sqlite3_bind_int64(q, 8, now);
    sqlite3_bind_int64(q, 9, l->clock_ms);
    int rc = plc_sql_step_done(&s->sql, q);
    if (rc != PLC_OK)
        return rc;
    q = s->q[Q_GW_ID];
    sqlite3_bind_text(q, 1, l->gateway_id, -1, SQLITE_STATIC);
    const int r = sqlite3_step(q);
    *gateway = r == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (r != SQLITE_ROW)
        return plc_sql_fail(&s->sql);
    return epoch_acked(s, *gateway, l->epoch, acked);
}

static int put_result(plc_he_store *s, const char *gateway, const Plc__Upstream__CommandResult *r,
                      int64_t now)
{
    sqlite3_stmt *q = s->q[Q_RESULT];
    sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, gateway, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, r->status);
    sqlite3_bind_text(q, 4, r->json, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, r->has_repeated && r->repeated);
    sqlite3_bind_int64(q, 6, now);
    return plc_sql_step_done(&s->sql, q);
}

static const char *gateway_name(plc_he_store *s, int64_t gateway, char *out, size_t cap)
{
    sqlite3_stmt *q;
    out[0] = 0;
    if (sqlite3_prepare_v2(s->sql.db, "SELECT name FROM gateways WHERE id = ?1", -1, &q, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(q, 1, gateway);
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    return out;
}

int plc_he_store_batch(plc_he_store *s, int64_t gateway, const Plc__Upstream__Batch *b,
                       int64_t now, unsigned *stored)
{
    *stored = 0;
    int rc = plc_sql_exec(&s->sql, "BEGIN IMMEDIATE");
    if (rc != PLC_OK)
        return rc;
    sqlite3_stmt *q = s->q[Q_READING];
    for (size_t i = 0; rc == PLC_OK && i < b->n_reading; i++) {
        const Plc__Upstream__Reading *r = b->reading[i];
        sqlite3_bind_int64(q, 1, gateway);
        sqlite3_bind_int64(q, 2, (int64_t)b->epoch);
        sqlite3_bind_int64(q, 3, (int64_t)r->seq);
        sqlite3_bind_text(q, 4, r->meter, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, r->di);
        sqlite3_bind_int64(q, 6, r->ts);
        sqlite3_bind_text(q, 7, r->value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 8, r->read_at);
        sqlite3_bind_int64(q, 9, now);
        rc = plc_sql_step_done(&s->sql, q);
        *stored += (unsigned)sqlite3_changes(s->sql.db);
    }
    q = s->q[Q_EVENT];
    for (size_t i = 0; rc == PLC_OK && i < b->n_event; i++) {
        const Plc__Upstream__Event *e = b->event[i];
        sqlite3_bind_int64(q, 1, gateway);
        sqlite3_bind_int64(q, 2, (int64_t)b->epoch);
        sqlite3_bind_int64(q, 3, (int64_t)e->seq);
        sqlite3_bind_int64(q, 4, e->ts);
        sqlite3_bind_text(q, 5, e->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, e->meter ? e->meter : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, e->detail ? e->detail : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 8, now);
        rc = plc_sql_step_done(&s->sql, q);
        *stored += (unsigned)sqlite3_changes(s->sql.db);
    }
    if (rc == PLC_OK && b->n_result) {
        char name[64];
        gateway_name(s, gateway, name, sizeof(name));
        for (size_t i = 0; rc == PLC_OK && i < b->n_result; i++) {
            rc = put_result(s, name, b->result[i], now);
            *stored += (unsigned)sqlite3_changes(s->sql.db);
        }
    }
    if (rc == PLC_OK) {
        q = s->q[Q_EPOCH_SET];
        sqlite3_bind_int64(q, 1, gateway);
        sqlite3_bind_int64(q, 2, (int64_t)b->epoch);
        sqlite3_bind_int64(q, 3, (int64_t)b->last);
        rc = plc_sql_step_done(&s->sql, q);
    }
    return plc_sql_end(&s->sql, rc);
}

int plc_he_store_result(plc_he_store *s, const char *gateway_name_,
                        const Plc__Upstream__CommandResult *r, int64_t now)
{
    return put_result(s, gateway_name_, r, now);
}

int plc_he_store_log(plc_he_store *s, int64_t now, const char *gateway, const char *text)
{
    sqlite3_stmt *q = s->q[Q_LOG];
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_text(q, 2, gateway ? gateway : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, text, -1, SQLITE_STATIC);
    return plc_sql_step_done(&s->sql, q);
}

/* ---- commands ---- */
int plc_he_store_command_add(plc_he_store *s, const plc_he_command *c, int again, int64_t now)
{
    plc_he_command old;
    const int have = plc_he_store_command_get(s, c->id, &old);
    if (have < 0)
        return have;
    if (have) {
        free(old.result);
        if (!again) {
            snprintf(s->sql.msg, sizeof(s->sql.msg), "command id %s is taken", c->id);
            return PLC_ERR_ARG;
        }
        sqlite3_stmt *q = s->q[Q_CMD_AGAIN];
        sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
        return plc_sql_step_done(&s->sql, q);
    }
    sqlite3_stmt *q = s->q[Q_CMD_ADD];
    sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, c->gateway, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)c->kind);
    sqlite3_bind_text(q, 4, c->meter, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, c->has_arg);
    sqlite3_bind_int64(q, 6, c->arg);
    sqlite3_bind_int(q, 7, (int)c->timeout_s);
    sqlite3_bind_text(q, 8, c->tariff, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 9, c->port, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 10, c->asset, -1, SQLITE_STATIC);
    if (c->has_eui) {
        sqlite3_bind_int64(q, 11, (int64_t)c->eui);
        sqlite3_bind_blob(q, 12, c->psk, 16, SQLITE_STATIC);
    }
    sqlite3_bind_int64(q, 13, now);
    sqlite3_bind_int(q, 14, (int)c->rate);
    return plc_sql_step_done(&s->sql, q);
}

static void text(sqlite3_stmt *q, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void command_row(sqlite3_stmt *q, plc_he_command *c, int with_result)
{
    memset(c, 0, sizeof(*c));
    text(q, 0, c->id, sizeof(c->id));
    text(q, 1, c->gateway, sizeof(c->gateway));
    c->kind = (Plc__Upstream__Command__Kind)sqlite3_column_int(q, 2);
    text(q, 3, c->meter, sizeof(c->meter));
    c->has_arg = sqlite3_column_int(q, 4);
    c->arg = sqlite3_column_int64(q, 5);
    c->timeout_s = (unsigned)sqlite3_column_int(q, 6);
    text(q, 7, c->tariff, sizeof(c->tariff));
    text(q, 8, c->port, sizeof(c->port));
    text(q, 9, c->asset, sizeof(c->asset));
    c->has_eui = sqlite3_column_type(q, 10) != SQLITE_NULL;
    c->eui = (uint64_t)sqlite3_column_int64(q, 10);
    if (sqlite3_column_bytes(q, 11) == 16)
        memcpy(c->psk, sqlite3_column_blob(q, 11), 16);
    text(q, 12, c->status, sizeof(c->status));
    c->result_code = sqlite3_column_int(q, 13);
    c->repeated = sqlite3_column_int(q, 14);
    c->rate = (unsigned)sqlite3_column_int(q, 16);
    if (with_result) {
        const char *r = (const char *)sqlite3_column_text(q, 15);
        c->result = strdup(r ? r : "");
    }
}

int plc_he_store_command_get(plc_he_store *s, const char *id, plc_he_command *c)
{
    sqlite3_stmt *q = s->q[Q_CMD_GET];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        command_row(q, c, 1);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : plc_sql_fail(&s->sql);
}

int plc_he_store_commands_new(plc_he_store *s, const char *gateway, plc_he_command *out,
                              unsigned cap, unsigned *n)
{
    sqlite3_stmt *q = s->q[Q_CMD_NEW];
    sqlite3_bind_text(q, 1, gateway, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)cap);
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        command_row(q, &out[(*n)++], 0);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? PLC_OK : plc_sql_fail(&s->sql);
}

int plc_he_store_command_sent(plc_he_store *s, const char *id, int64_t now)
{
    sqlite3_stmt *q = s->q[Q_CMD_SENT];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    return plc_sql_step_done(&s->sql, q);
}

int plc_he_store_commands_resend(plc_he_store *s, const char *gateway)
{
    sqlite3_stmt *q = s->q[Q_CMD_RESEND];
    sqlite3_bind_text(q, 1, gateway, -1, SQLITE_STATIC);
    return plc_sql_step_done(&s->sql, q);
}
