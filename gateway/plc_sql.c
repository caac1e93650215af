#include "plc_sql.h"

#include <stdio.h>

#include "plc_err.h"

#define BUSY_TIMEOUT_MS 5000

int plc_sql_fail(plc_sql *s)
{
    snprintf(s->msg, sizeof(s->msg), "%s", sqlite3_errmsg(s->db));
    return PLC_ERR_STORE;
}

int plc_sql_exec(plc_sql *s, const char *text)
{
    char *e = NULL;
    if (sqlite3_exec(s->db, text, NULL, NULL, &e) != SQLITE_OK) {
        snprintf(s->msg, sizeof(s->msg), "%s", e ? e : sqlite3_errmsg(s->db));
        sqlite3_free(e);
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

int plc_sql_open(plc_sql *s, const char *path, int durable, const char *schema, char *err,
                 size_t errlen)
{
    s->msg[0] = 0;
    char pragmas[160];
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = ON;",
             durable ? "FULL" : "NORMAL");
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
        plc_sql_exec(s, pragmas) != PLC_OK || plc_sql_exec(s, schema) != PLC_OK) {
        snprintf(err, errlen, "%s: %s", path, s->msg[0] ? s->msg : sqlite3_errmsg(s->db));
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

int plc_sql_prepare(plc_sql *s, const char *const *text, unsigned n, sqlite3_stmt **q,
                    const char *path, char *err, size_t errlen)
{
    for (unsigned k = 0; k < n; k++)
        if (sqlite3_prepare_v2(s->db, text[k], -1, &q[k], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
            return PLC_ERR_STORE;
        }
    return PLC_OK;
}

void plc_sql_finalize(sqlite3_stmt **q, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        sqlite3_finalize(q[k]);
}

void plc_sql_remove(const char *path)
{
    char p[1024];
    remove(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    remove(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    remove(p);
}

void plc_sql_close(plc_sql *s)
{
    sqlite3_close(s->db);
    s->db = NULL;
}

int plc_sql_step_done(plc_sql *s, sqlite3_stmt *q)
{
    const int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? PLC_OK : plc_sql_fail(s);
}

int plc_sql_end(plc_sql *s, int rc)
{
    if (rc == PLC_OK && plc_sql_exec(s, "COMMIT") == PLC_OK)
        return PLC_OK;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc == PLC_OK ? PLC_ERR_STORE : rc;
}
