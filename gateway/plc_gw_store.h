/* The concentrator's store: one SQLite file in WAL mode holding the meter archive, the
 * readings, the events, the command log and the per-day completeness of the daily freeze.
 *
 * Durability (../shared/spec/gateway-upstream.md section 3): a reading or event counts as
 * kept once its transaction commits. The default is synchronous=FULL, under which WAL fsyncs
 * every commit, so what committed survives a power cut on storage that honours fsync;
 * durable = 0 gives synchronous=NORMAL (never corrupt; the last commits may roll back after a
 * power cut, not after a process kill). Writers take the lock up front (BEGIN IMMEDIATE) and
 * wait busy_timeout for readers such as plc-gateway.
 *
 * Idempotence: a reading is keyed by (meter, DI, the data's own time stamp) and stored with
 * INSERT OR IGNORE, so a reading taken again after a restart is never stored twice.
 *
 * Times are seconds since 1970-01-01 00:00 of the area's local time (the meters' clocks): the
 * store never converts time zones [R]. */
#ifndef PLC_GW_STORE_H
#define PLC_GW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_err.h"

typedef struct plc_gw_store plc_gw_store;

/* err receives SQLite's message when open fails. */
plc_gw_store *plc_gw_store_open(const char *path, int durable, char *err, size_t errlen);
void plc_gw_store_close(plc_gw_store *s);
/* The last SQLite message (for a PLC_ERR_STORE). */
const char *plc_gw_store_message(const plc_gw_store *s);

/* ---- archive: one row per meter ---- */
#define PLC_GW_ADDR_LEN 13 /* 12 digits and the NUL */
typedef struct plc_gw_meter {
    int64_t id;                       /* 0 on add: assigned */
    char addr[PLC_GW_ADDR_LEN];       /* DL/T 645 address, 12 digits as printed */
    char protocol[16];                /* "dlt645-2007" */
    char port[16];                    /* "plc" or the RS-485 line's name */
    char tariff[16], user_data[64], collector[PLC_GW_ADDR_LEN], asset[32];
    int in_archive;                   /* 1: the utility's; 0: joined, not in the archive */
    int short_addr;                   /* mesh address, -1 unknown */
    int hops, lqi;                    /* of its last answer, -1 unknown */
    int parent;                       /* its route's next hop (short address), -1 unknown;
                                       * read only: plc_gw_store_meter_parent sets it */
    int64_t last_seen;                /* last answer, 0 never */
    uint64_t eui;                     /* its PLC modem's EUI-64, 0 unknown */
    uint8_t psk[16];                  /* ... and its EAP-PSK key (valid when eui is set) */
} plc_gw_meter;

void plc_gw_meter_default(plc_gw_meter *m);
/* Adds a meter or, for an address already there, updates what is given (protocol, port,
 * tariff, user data, collector, asset, in_archive, and the modem's EUI-64 and PSK when the
 * EUI is set); *id is its row. [R] The PSKs are kept in the store (file permissions guard
 * them; a secure element would be better). */
int plc_gw_store_meter_put(plc_gw_store *s, const plc_gw_meter *m, int64_t *id);
/* n meters in one transaction (an archive import). */
int plc_gw_store_meters_put(plc_gw_store *s, const plc_gw_meter *m, unsigned n);
/* Every meter (in_archive only when archive_only), ordered by address; *n is how many there
 * are (more than cap: only cap written). */
int plc_gw_store_meters(plc_gw_store *s, int archive_only, plc_gw_meter *out, unsigned cap,
                        unsigned *n);
/* What the mesh said of a meter: its address there, hops and link quality, when. */
int plc_gw_store_meter_seen(plc_gw_store *s, int64_t id, int short_addr, int hops, int lqi,
                            int64_t at);

/* The next hop toward the concentrator of the meter at short_addr (its route's parent). */
int plc_gw_store_meter_parent(plc_gw_store *s, int short_addr, int parent);

/* ---- readings ---- */
typedef struct plc_gw_reading {
    int64_t meter;
    uint32_t di;
    int64_t ts;           /* the data's time: a freeze's time, or the task slot it was read in */
    char value[128];      /* decimal text, or JSON for a block */
    int64_t read_at;
} plc_gw_reading;

/* Stores n readings in one transaction; *stored: how many were new. */
int plc_gw_store_readings(plc_gw_store *s, const plc_gw_reading *r, unsigned n, unsigned *stored);
/* 1 when (meter, di, ts) is stored, 0 when not, or an error. */
int plc_gw_store_has_reading(plc_gw_store *s, int64_t meter, uint32_t di, int64_t ts);
/* The time of a meter's latest reading of di at or before `until`: 1 and *ts, 0 none, or an
 * error. */
int plc_gw_store_last_reading(plc_gw_store *s, int64_t meter, uint32_t di, int64_t until,
                              int64_t *ts);

/* ---- per-day completeness of the daily freeze ---- */
/* One try to get day's daily freeze from a meter (got: it came; before_deadline: in time);
 * kept per (day, meter): tries, when it came, whether before the deadline. */
int plc_gw_store_daily_try(plc_gw_store *s, int64_t day, int64_t meter, int got,
                           int before_deadline, int64_t at);
/* The same together with the day's readings, in one transaction: the reading and the record
 * that it came are kept or lost together. */
int plc_gw_store_daily_got(plc_gw_store *s, int64_t day, const plc_gw_reading *r, unsigned n,
                           int before_deadline, unsigned *stored);

/* Of day's daily freeze: meters that have it stored (got) and of them before the deadline. */
int plc_gw_store_daily_count(plc_gw_store *s, int64_t day, unsigned *got, unsigned *in_time);

/* ---- events ---- */
/* kind: "power-down", "area-outage", "unknown-node", ... meter 0: none. */
int plc_gw_store_event(plc_gw_store *s, int64_t ts, const char *kind, int64_t meter,
                       const char *detail);

/* ---- the command log ---- */
typedef struct plc_gw_command_row {
    char id[48];
    int64_t ts;           /* taken */
    char meter[PLC_GW_ADDR_LEN];
    char kind[16];
    int64_t arg;
    int64_t count;        /* a top-up's purchase count, once known (0: not yet) */
    char status[12];      /* "queued", "done", "failed" */
    int result_code;      /* plc_err */
    char result[256];     /* JSON */
    int64_t done_at;
} plc_gw_command_row;

/* 1 with *row filled when id is logged, 0 when not, or an error. */
int plc_gw_store_command_get(plc_gw_store *s, const char *id, plc_gw_command_row *row);
/* Inserts or updates the row (by id). */
int plc_gw_store_command_put(plc_gw_store *s, const plc_gw_command_row *row);
/* The queued ones, oldest first. */
int plc_gw_store_commands_queued(plc_gw_store *s, plc_gw_command_row *out, unsigned cap,
                                 unsigned *n);

/* ---- the upstream outbox ----
 * Every reading, event and command result new to the store is put in the outbox by the same
 * transaction (SQLite triggers), with a sequence number never reused, and stays there until
 * the head-end has acknowledged it (gateway/plc_gw_upstream.h). The numbers belong to the
 * store's epoch, random and made with the store. */
enum { PLC_GW_OUT_READING = 0, PLC_GW_OUT_EVENT = 1, PLC_GW_OUT_RESULT = 2 };
typedef struct plc_gw_outbox_item {
    uint64_t seq;
    int kind;                    /* PLC_GW_OUT_* */
    char meter[PLC_GW_ADDR_LEN]; /* reading, event ("" for an area event) */
    uint32_t di;                 /* reading */
    int64_t ts, read_at;         /* reading: its time and when read; event: its time */
    char name[48];               /* event: its kind; result: the command id */
    int status;                  /* result: plc_err */
    char text[256];              /* reading: value; event: detail; result: JSON */
} plc_gw_outbox_item;

uint64_t plc_gw_store_epoch(plc_gw_store *s);
/* Up to cap items after seq `after`, in order. */
int plc_gw_store_outbox(plc_gw_store *s, uint64_t after, plc_gw_outbox_item *out, unsigned cap,
                        unsigned *n);
/* The head-end holds everything up to upto: gone from the outbox (*deleted: how many). */
int plc_gw_store_outbox_ack(plc_gw_store *s, uint64_t upto, uint64_t *deleted);
/* Rows this store's connection changed so far: unchanged, so is the outbox. */
uint64_t plc_gw_store_changes(plc_gw_store *s);
/* Items waiting, and the last seq given (0: none waiting). */
int plc_gw_store_outbox_count(plc_gw_store *s, uint64_t *count, uint64_t *last);

/* ---- the key/value state of the daemon (last run times and the like) ---- */
int plc_gw_store_state_get(plc_gw_store *s, const char *key, int64_t *value); /* 0 none, 1 */
int plc_gw_store_state_set(plc_gw_store *s, const char *key, int64_t value);

#endif
