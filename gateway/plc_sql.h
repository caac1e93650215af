/* What the two SQLite stores share (the concentrator's, gateway/plc_gw_store.c, and the
 * head-end's, headend/plc_he_store.c): opening in WAL with the durability asked for, a
 * statement run to its end, a transaction closed, SQLite's last message kept. Linux side. */
#ifndef PLC_SQL_H
#define PLC_SQL_H

#include <sqlite3.h>
#include <stddef.h>

typedef struct plc_sql {
    sqlite3 *db;
    char msg[256];
} plc_sql;

/* Opens (or makes) path: busy timeout 5 s, journal_mode WAL, synchronous FULL when durable
 * (else NORMAL), then the schema. PLC_OK, or PLC_ERR_STORE with err naming the file. */
int plc_sql_open(plc_sql *s, const char *path, int durable, const char *schema, char *err,
                 size_t errlen);
void plc_sql_close(plc_sql *s);
/* Prepares n statements (text[k] into q[k]): PLC_OK, or PLC_ERR_STORE with err naming path. */
int plc_sql_prepare(plc_sql *s, const char *const *text, unsigned n, sqlite3_stmt **q,
                    const char *path, char *err, size_t errlen);
void plc_sql_finalize(sqlite3_stmt **q, unsigned n);
/* Deletes a store's file with its WAL and shared-memory files (closed first). */
void plc_sql_remove(const char *path);
/* Keeps SQLite's message; returns PLC_ERR_STORE. */
int plc_sql_fail(plc_sql *s);
int plc_sql_exec(plc_sql *s, const char *text);
/* Runs a prepared statement that returns no rows (or ignores them), then resets it. */
int plc_sql_step_done(plc_sql *s, sqlite3_stmt *q);
/* COMMIT when rc is PLC_OK (PLC_ERR_STORE if that fails), else ROLLBACK and rc. */
int plc_sql_end(plc_sql *s, int rc);

#endif
