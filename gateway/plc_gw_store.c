#include "plc_gw_store.h"
#include "plc_sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const schema =
    "CREATE TABLE IF NOT EXISTS meters("
    " id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE,"
    " protocol TEXT NOT NULL DEFAULT 'dlt645-2007', port TEXT NOT NULL DEFAULT 'plc',"
    " tariff TEXT NOT NULL DEFAULT '', user_data TEXT NOT NULL DEFAULT '',"
    " collector TEXT NOT NULL DEFAULT '', asset TEXT NOT NULL DEFAULT '',"
    " in_archive INTEGER NOT NULL DEFAULT 1, short_addr INTEGER NOT NULL DEFAULT -1,"
    " hops INTEGER NOT NULL DEFAULT -1, lqi INTEGER NOT NULL DEFAULT -1,"
    " parent INTEGER NOT NULL DEFAULT -1, last_seen INTEGER NOT NULL DEFAULT 0,"
    " eui INTEGER NOT NULL DEFAULT 0, psk BLOB);"
    "CREATE TABLE IF NOT EXISTS readings("
    " meter INTEGER NOT NULL REFERENCES meters(id), di INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " value TEXT NOT NULL, read_at INTEGER NOT NULL,"
    " PRIMARY KEY(meter, di, ts)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS daily("
    " day INTEGER NOT NULL, meter INTEGER NOT NULL REFERENCES meters(id),"
    " tries INTEGER NOT NULL DEFAULT 0, got_at INTEGER NOT NULL DEFAULT 0,"
    " before_deadline INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(day, meter)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS events("
    " id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL,"
    " meter INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts);"
    "CREATE TABLE IF NOT EXISTS commands("
    " id TEXT PRIMARY KEY, ts INTEGER NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL,"
    " arg INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL, result_code INTEGER NOT NULL DEFAULT 0,"
    " result TEXT NOT NULL DEFAULT '', done_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    /* the upstream outbox: every new reading, event and command result gets a sequence
     * number in the same transaction that stores it, and keeps it until the head-end
     * acknowledges it (plc_gw_store_outbox_ack). kind 0 reading (a meter, b DI, c ts),
     * 1 event (a its id), 2 command result (id). AUTOINCREMENT: a number is never reused. */
    "CREATE TABLE IF NOT EXISTS outbox("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL,"
    " a INTEGER NOT NULL DEFAULT 0, b INTEGER NOT NULL DEFAULT 0, c INTEGER NOT NULL DEFAULT 0,"
    " id TEXT);"
    "CREATE TRIGGER IF NOT EXISTS outbox_reading AFTER INSERT ON readings BEGIN"
    " INSERT INTO outbox(kind, a, b, c) VALUES(0, NEW.meter, NEW.di, NEW.ts); END;"
    "CREATE TRIGGER IF NOT EXISTS outbox_event AFTER INSERT ON events BEGIN"
    " INSERT INTO outbox(kind, a) VALUES(1, NEW.id); END;"
    "CREATE TRIGGER IF NOT EXISTS outbox_result_new AFTER INSERT ON commands"
    " WHEN NEW.status IN ('done', 'failed') BEGIN"
    " INSERT INTO outbox(kind, id) VALUES(2, NEW.id); END;"
    "CREATE TRIGGER IF NOT EXISTS outbox_result AFTER UPDATE OF status ON commands"
    " WHEN OLD.status = 'queued' AND NEW.status IN ('done', 'failed') BEGIN"
    " INSERT INTO outbox(kind, id) VALUES(2, NEW.id); END;";

enum {
    Q_METER_PUT,
    Q_METER_ID,
    Q_METERS,
    Q_METER_SEEN,
    Q_METER_PARENT,
    Q_READING,
    Q_HAS_READING,
    Q_LAST_READING,
    Q_DAILY_TRY,
    Q_DAILY_GOT,
    Q_DAILY_COUNT,
    Q_EVENT,
    Q_STATE_GET,
    Q_STATE_SET,
    Q_CMD_GET,
    Q_CMD_PUT,
    Q_CMD_QUEUED,
    Q_OUTBOX,
    Q_OUTBOX_ACK,
    Q_OUTBOX_COUNT,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_METER_PUT] = "INSERT INTO meters(address, protocol, port, tariff, user_data, collector,"
                    " asset, in_archive, eui, psk) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                    " ON CONFLICT(address) DO UPDATE SET protocol = ?2, port = ?3, tariff = ?4,"
                    " user_data = ?5, collector = ?6, asset = ?7, in_archive = ?8,"
                    " eui = CASE ?9 WHEN 0 THEN eui ELSE ?9 END,"
                    " psk = CASE ?9 WHEN 0 THEN psk ELSE ?10 END",
    [Q_METER_ID] = "SELECT id FROM meters WHERE address = ?1",
    [Q_METERS] = "SELECT id, address, protocol, port, tariff, user_data, collector, asset,"
                 " in_archive, short_addr, hops, lqi, last_seen, eui, psk, parent FROM meters"
                 " WHERE in_archive >= ?1 ORDER BY address",
    [Q_METER_SEEN] = "UPDATE meters SET short_addr = ?2, hops = ?3, lqi = ?4, last_seen = ?5"
                     " WHERE id = ?1",
    [Q_METER_PARENT] = "UPDATE meters SET parent = ?2 WHERE short_addr = ?1",
    [Q_READING] = "INSERT OR IGNORE INTO readings(meter, di, ts, value, read_at)"
                  " VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_HAS_READING] = "SELECT 1 FROM readings WHERE meter = ?1 AND di = ?2 AND ts = ?3",
    [Q_LAST_READING] = "SELECT max(ts) FROM readings WHERE meter = ?1 AND di = ?2 AND ts <= ?3",
    [Q_DAILY_TRY] = "INSERT INTO daily(day, meter, tries) VALUES(?1, ?2, 1)"
                    " ON CONFLICT(day, meter) DO UPDATE SET tries = tries + 1",
    [Q_DAILY_GOT] = "INSERT INTO daily(day, meter, tries, got_at, before_deadline)"
                    " VALUES(?1, ?2, 1, ?3, ?4) ON CONFLICT(day, meter) DO UPDATE SET"
                    " tries = tries + 1, got_at = CASE got_at WHEN 0 THEN ?3 ELSE got_at END,"
                    " before_deadline = max(before_deadline, ?4)",
    [Q_DAILY_COUNT] = "SELECT count(*), coalesce(sum(before_deadline), 0) FROM daily"
                      " WHERE day = ?1 AND got_at > 0",
    [Q_EVENT] = "INSERT INTO events(ts, kind, meter, detail) VALUES(?1, ?2, ?3, ?4)",
    [Q_CMD_GET] = "SELECT id, ts, meter, kind, arg, count, status, result_code, result, done_at"
                  " FROM commands WHERE id = ?1",
    [Q_CMD_PUT] = "INSERT INTO commands(id, ts, meter, kind, arg, count, status, result_code,"
                  " result, done_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                  " ON CONFLICT(id) DO UPDATE SET count = ?6, status = ?7, result_code = ?8,"
                  " result = ?9, done_at = ?10",
    [Q_CMD_QUEUED] = "SELECT id, ts, meter, kind, arg, count, status, result_code, result, done_at"
                     " FROM commands WHERE status = 'queued' ORDER BY ts, id",
    [Q_OUTBOX] = "SELECT o.seq, o.kind, coalesce(rm.address, em.address, ''), r.di, r.ts, r.value,"
                 " r.read_at, e.ts, e.kind, e.detail, c.id, c.result_code, c.result"
                 " FROM outbox o"
                 " LEFT JOIN readings r ON o.kind = 0 AND r.meter = o.a AND r.di = o.b AND r.ts = o.c"
                 " LEFT JOIN meters rm ON o.kind = 0 AND rm.id = o.a"
                 " LEFT JOIN events e ON o.kind = 1 AND e.id = o.a"
                 " LEFT JOIN meters em ON o.kind = 1 AND em.id = e.meter"
                 " LEFT JOIN commands c ON o.kind = 2 AND c.id = o.id"
                 " WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2",
    [Q_OUTBOX_ACK] = "DELETE FROM outbox WHERE seq <= ?1",
    [Q_OUTBOX_COUNT] = "SELECT count(*), coalesce(max(seq), 0) FROM outbox",
    [Q_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
    [Q_STATE_SET] = "INSERT INTO state(key, value) VALUES(?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET value = ?2",
};

struct plc_gw_store {
    plc_sql sql;
    sqlite3_stmt *q[Q_COUNT];
};



static int make_epoch(plc_gw_store *s);

plc_gw_store *plc_gw_store_open(const char *path, int durable, char *err, size_t errlen)
{
    plc_gw_store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (plc_sql_open(&s->sql, path, durable, schema, err, errlen) != PLC_OK) {
        plc_gw_store_close(s);
        return NULL;
    }
    if (plc_sql_prepare(&s->sql, sql, Q_COUNT, s->q, path, err, errlen) != PLC_OK) {
        plc_gw_store_close(s);
        return NULL;
    }
    if (make_epoch(s) != PLC_OK) {
        snprintf(err, errlen, "%s: %s", path, s->sql.msg);
        plc_gw_store_close(s);
        return NULL;
    }
    return s;
}

void plc_gw_store_close(plc_gw_store *s)
{
    if (!s)
        return;
    plc_sql_finalize(s->q, Q_COUNT);
    plc_sql_close(&s->sql);
    free(s);
}

const char *plc_gw_store_message(const plc_gw_store *s)
{
    return s->sql.msg;
}


static int begin(plc_gw_store *s)
{
    return plc_sql_exec(&s->sql, "BEGIN IMMEDIATE");
}


/* ---- archive ---- */
void plc_gw_meter_default(plc_gw_meter *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->protocol, sizeof(m->protocol), "dlt645-2007");
    snprintf(m->port, sizeof(m->port), "plc");
    m->in_archive = 1;
    m->short_addr = m->hops = m->lqi = m->parent = -1;
}

static void text(sqlite3_stmt *q, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

int plc_gw_store_meter_put(plc_gw_store *s, const plc_gw_meter *m, int64_t *id)
{
    sqlite3_stmt *q = s->q[Q_METER_PUT];
    sqlite3_bind_text(q, 1, m->addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, m->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, m->port, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, m->tariff, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, m->user_data, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, m->collector, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, m->asset, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 8, m->in_archive ? 1 : 0);
    sqlite3_bind_int64(q, 9, (int64_t)m->eui);
    if (m->eui)
        sqlite3_bind_blob(q, 10, m->psk, 16, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 10);
    int rc = plc_sql_step_done(&s->sql, q);
    if (rc != PLC_OK || !id)
        return rc;
    q = s->q[Q_METER_ID];
    sqlite3_bind_text(q, 1, m->addr, -1, SQLITE_STATIC);
    rc = sqlite3_step(q) == SQLITE_ROW ? PLC_OK : plc_sql_fail(&s->sql);
    if (rc == PLC_OK)
        *id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc;
}

int plc_gw_store_meters_put(plc_gw_store *s, const plc_gw_meter *m, unsigned n)
{
    int rc = begin(s);
    if (rc != PLC_OK)
        return rc;
    for (unsigned k = 0; k < n && rc == PLC_OK; k++)
        rc = plc_gw_store_meter_put(s, &m[k], NULL);
    return plc_sql_end(&s->sql, rc);
}

int plc_gw_store_meters(plc_gw_store *s, int archive_only, plc_gw_meter *out, unsigned cap,
                        unsigned *n)
{
    sqlite3_stmt *q = s->q[Q_METERS];
    sqlite3_bind_int(q, 1, archive_only ? 1 : 0);
    unsigned k = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (k < cap) {
            plc_gw_meter *m = &out[k];
            m->id = sqlite3_column_int64(q, 0);
            text(q, 1, m->addr, sizeof(m->addr));
            text(q, 2, m->protocol, sizeof(m->protocol));
            text(q, 3, m->port, sizeof(m->port));
            text(q, 4, m->tariff, sizeof(m->tariff));
            text(q, 5, m->user_data, sizeof(m->user_data));
            text(q, 6, m->collector, sizeof(m->collector));
            text(q, 7, m->asset, sizeof(m->asset));
            m->in_archive = sqlite3_column_int(q, 8);
            m->short_addr = sqlite3_column_int(q, 9);
            m->hops = sqlite3_column_int(q, 10);
            m->lqi = sqlite3_column_int(q, 11);
            m->last_seen = sqlite3_column_int64(q, 12);
            m->eui = (uint64_t)sqlite3_column_int64(q, 13);
            memset(m->psk, 0, sizeof(m->psk));
            if (sqlite3_column_bytes(q, 14) == 16)
                memcpy(m->psk, sqlite3_column_blob(q, 14), 16);
            m->parent = sqlite3_column_int(q, 15);
        }
        k++;
    }
    sqlite3_reset(q);
    *n = k;
    return rc == SQLITE_DONE ? PLC_OK : plc_sql_fail(&s->sql);
}

int plc_gw_store_meter_seen(plc_gw_store *s, int64_t id, int short_addr, int hops, int lqi,
                            int64_t at)
{
    sqlite3_stmt *q = s->q[Q_METER_SEEN];
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, short_addr);
    sqlite3_bind_int(q, 3, hops);
    sqlite3_bind_int(q, 4, lqi);
    sqlite3_bind_int64(q, 5, at);
    return plc_sql_step_done(&s->sql, q);
}

int plc_gw_store_meter_parent(plc_gw_store *s, int short_addr, int parent)
{
    sqlite3_stmt *q = s->q[Q_METER_PARENT];
    sqlite3_bind_int(q, 1, short_addr);
    sqlite3_bind_int(q, 2, parent);
    return plc_sql_step_done(&s->sql, q);
}

/* ---- readings ---- */
static int put_readings(plc_gw_store *s, const plc_gw_reading *r, unsigned n, unsigned *stored)
{
    sqlite3_stmt *q = s->q[Q_READING];
    for (unsigned k = 0; k < n; k++) {
        sqlite3_bind_int64(q, 1, r[k].meter);
        sqlite3_bind_int64(q, 2, r[k].di);
        sqlite3_bind_int64(q, 3, r[k].ts);
        sqlite3_bind_text(q, 4, r[k].value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, r[k].read_at);
        const int rc = plc_sql_step_done(&s->sql, q);
        if (rc != PLC_OK)
            return rc;
        if (stored)
            *stored += (unsigned)sqlite3_changes(s->sql.db);
    }
    return PLC_OK;
}

int plc_gw_store_readings(plc_gw_store *s, const plc_gw_reading *r, unsigned n, unsigned *stored)
{
    if (stored)
        *stored = 0;
    int rc = begin(s);
    if (rc != PLC_OK)
        return rc;
    return plc_sql_end(&s->sql, put_readings(s, r, n, stored));
}

int plc_gw_store_has_reading(plc_gw_store *s, int64_t meter, uint32_t di, int64_t ts)
{
    sqlite3_stmt *q = s->q[Q_HAS_READING];
    sqlite3_bind_int64(q, 1, meter);
    sqlite3_bind_int64(q, 2, di);
    sqlite3_bind_int64(q, 3, ts);
    const int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : plc_sql_fail(&s->sql);
}

int plc_gw_store_last_reading(plc_gw_store *s, int64_t meter, uint32_t di, int64_t until,
                              int64_t *ts)
{
    sqlite3_stmt *q = s->q[Q_LAST_READING];
    sqlite3_bind_int64(q, 1, meter);
    sqlite3_bind_int64(q, 2, di);
    sqlite3_bind_int64(q, 3, until);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
        *ts = sqlite3_column_int64(q, 0);
        rc = 1;
    } else {
        rc = rc == SQLITE_ROW ? 0 : plc_sql_fail(&s->sql);
    }
    sqlite3_reset(q);
    return rc;
}

/* ---- completeness ---- */
int plc_gw_store_daily_try(plc_gw_store *s, int64_t day, int64_t meter, int got,
                           int before_deadline, int64_t at)
{
    sqlite3_stmt *q = s->q[got ? Q_DAILY_GOT : Q_DAILY_TRY];
    sqlite3_bind_int64(q, 1, day);
    sqlite3_bind_int64(q, 2, meter);
    if (got) {
        sqlite3_bind_int64(q, 3, at);
        sqlite3_bind_int(q, 4, before_deadline ? 1 : 0);
    }
    return plc_sql_step_done(&s->sql, q);
}

int plc_gw_store_daily_got(plc_gw_store *s, int64_t day, const plc_gw_reading *r, unsigned n,
                           int before_deadline, unsigned *stored)
{
    if (stored)
        *stored = 0;
    int rc = begin(s);
    if (rc != PLC_OK)
        return rc;
    rc = put_readings(s, r, n, stored);
    if (rc == PLC_OK && n > 0)
        rc = plc_gw_store_daily_try(s, day, r[0].meter, 1, before_deadline, r[0].read_at);
    return plc_sql_end(&s->sql, rc);
}

int plc_gw_store_daily_count(plc_gw_store *s, int64_t day, unsigned *got, unsigned *in_time)
{
    sqlite3_stmt *q = s->q[Q_DAILY_COUNT];
    sqlite3_bind_int64(q, 1, day);
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *got = (unsigned)sqlite3_column_int(q, 0);
        *in_time = (unsigned)sqlite3_column_int(q, 1);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PLC_OK : plc_sql_fail(&s->sql);
}

/* ---- events and state ---- */
int plc_gw_store_event(plc_gw_store *s, int64_t ts, const char *kind, int64_t meter,
                       const char *detail)
{
    sqlite3_stmt *q = s->q[Q_EVENT];
    sqlite3_bind_int64(q, 1, ts);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, meter);
    sqlite3_bind_text(q, 4, detail ? detail : "", -1, SQLITE_STATIC);
    return plc_sql_step_done(&s->sql, q);
}

int plc_gw_store_state_get(plc_gw_store *s, const char *key, int64_t *value)
{
    sqlite3_stmt *q = s->q[Q_STATE_GET];
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : plc_sql_fail(&s->sql);
}

int plc_gw_store_state_set(plc_gw_store *s, const char *key, int64_t value)
{
    sqlite3_stmt *q = s->q[Q_STATE_SET];
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, value);
    return plc_sql_step_done(&s->sql, q);
}

/* ---- the command log ---- */
static void command_row(sqlite3_stmt *q, plc_gw_command_row *r)
{
    text(q, 0, r->id, sizeof(r->id));
    r->ts = sqlite3_column_int64(q, 1);
    text(q, 2, r->meter, sizeof(r->meter));
    text(q, 3, r->kind, sizeof(r->kind));
    r->arg = sqlite3_column_int64(q, 4);
    r->count = sqlite3_column_int64(q, 5);
    text(q, 6, r->status, sizeof(r->status));
    r->result_code = sqlite3_column_int(q, 7);
    text(q, 8, r->result, sizeof(r->result));
    r->done_at = sqlite3_column_int64(q, 9);
}

int plc_gw_store_command_get(plc_gw_store *s, const char *id, plc_gw_command_row *row)
{
    sqlite3_stmt *q = s->q[Q_CMD_GET];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        command_row(q, row);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : plc_sql_fail(&s->sql);
}

int plc_gw_store_command_put(plc_gw_store *s, const plc_gw_command_row *r)
{
    sqlite3_stmt *q = s->q[Q_CMD_PUT];
    sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, r->ts);
    sqlite3_bind_text(q, 3, r->meter, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, r->arg);
    sqlite3_bind_int64(q, 6, r->count);
    sqlite3_bind_text(q, 7, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 8, r->result_code);
    sqlite3_bind_text(q, 9, r->result, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 10, r->done_at);
    return plc_sql_step_done(&s->sql, q);
}

int plc_gw_store_commands_queued(plc_gw_store *s, plc_gw_command_row *out, unsigned cap,
                                 unsigned *n)
{
    sqlite3_stmt *q = s->q[Q_CMD_QUEUED];
    unsigned k = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (k < cap)
            command_row(q, &out[k]);
        k++;
    }
    sqlite3_reset(q);
    *n = k;
    return rc == SQLITE_DONE ? PLC_OK : plc_sql_fail(&s->sql);
}

/* ---- the upstream outbox ---- */
/* The outbox's epoch: random, made once with the store, so a head-end never takes a new
 * store's numbers for resends of an old one's. */
static int make_epoch(plc_gw_store *s)
{
    int64_t e = 0;
    const int have = plc_gw_store_state_get(s, "outbox_epoch", &e);
    if (have != 0)
        return have < 0 ? PLC_ERR_STORE : PLC_OK;
    uint64_t r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    const size_t got = f ? fread(&r, sizeof(r), 1, f) : 0;
    if (f)
        fclose(f);
    if (got != 1) {
        snprintf(s->sql.msg, sizeof(s->sql.msg), "no /dev/urandom for the outbox epoch");
        return PLC_ERR_IO;
    }
    r = (r >> 1) | 1; /* positive in SQLite's int64, never 0 */
    return plc_gw_store_state_set(s, "outbox_epoch", (int64_t)r);
}

uint64_t plc_gw_store_epoch(plc_gw_store *s)
{
    int64_t e = 0;
    return plc_gw_store_state_get(s, "outbox_epoch", &e) == 1 ? (uint64_t)e : 0;
}

int plc_gw_store_outbox(plc_gw_store *s, uint64_t after, plc_gw_outbox_item *out, unsigned cap,
                        unsigned *n)
{
    sqlite3_stmt *q = s->q[Q_OUTBOX];
    sqlite3_bind_int64(q, 1, (int64_t)after);
    sqlite3_bind_int(q, 2, (int)cap);
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        plc_gw_outbox_item *it = &out[(*n)++];
        memset(it, 0, sizeof(*it));
        it->seq = (uint64_t)sqlite3_column_int64(q, 0);
        it->kind = sqlite3_column_int(q, 1);
        text(q, 2, it->meter, sizeof(it->meter));
        if (it->kind == PLC_GW_OUT_READING) {
            it->di = (uint32_t)sqlite3_column_int64(q, 3);
            it->ts = sqlite3_column_int64(q, 4);
            text(q, 5, it->text, sizeof(it->text));
            it->read_at = sqlite3_column_int64(q, 6);
        } else if (it->kind == PLC_GW_OUT_EVENT) {
            it->ts = sqlite3_column_int64(q, 7);
            text(q, 8, it->name, sizeof(it->name));
            text(q, 9, it->text, sizeof(it->text));
        } else {
            text(q, 10, it->name, sizeof(it->name));
            it->status = sqlite3_column_int(q, 11);
            text(q, 12, it->text, sizeof(it->text));
        }
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? PLC_OK : plc_sql_fail(&s->sql);
}

int plc_gw_store_outbox_ack(plc_gw_store *s, uint64_t upto, uint64_t *deleted)
{
    sqlite3_stmt *q = s->q[Q_OUTBOX_ACK];
    sqlite3_bind_int64(q, 1, (int64_t)upto);
    const int rc = plc_sql_step_done(&s->sql, q);
    if (deleted)
        *deleted = rc == PLC_OK ? (uint64_t)sqlite3_changes(s->sql.db) : 0;
    return rc;
}

uint64_t plc_gw_store_changes(plc_gw_store *s)
{
    return (uint64_t)sqlite3_total_changes64(s->sql.db);
}

int plc_gw_store_outbox_count(plc_gw_store *s, uint64_t *count, uint64_t *last)
{
    sqlite3_stmt *q = s->q[Q_OUTBOX_COUNT];
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *count = (uint64_t)sqlite3_column_int64(q, 0);
        if (last)
            *last = (uint64_t)sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PLC_OK : plc_sql_fail(&s->sql);
}
