/* The concentrator (data collector) of a transformer area: its meter archive, the reading
 * tasks with catch-up, and the events, kept in the store (plc_gw_store.h). It runs on the
 * event loop (plc_loop: real time in the daemon, virtual time in tests and --sim) and reaches
 * the meters through a link: the mesh's data service to a short address (the PLC side).
 *
 * Reading: every task names a scheme (which DIs) and an interval; a task's slot is the
 * interval it is in (a day for the daily freeze), and a meter is done for the slot when its
 * reading of that slot is in the store, which is also how a restarted concentrator knows
 * where it was. `parallel` requests are in flight across the mesh at once, one per meter;
 * each waits timeout_s + per_hop_s x the meter's hops (4 while unknown), and a meter gets
 * `retries` tries a pass, retry_gap_s apart. Catch-up: until the deadline (07:00) meters
 * still missing the day's freeze come before any other work, and every catchup_s they get a
 * new pass. Completeness per day and meter is kept (tries, when it came, in time or not).
 *
 * Replies are checked before anything is stored: a frame that does not decode, one from
 * another address than the meter asked, an answer to another DI, an error answer: each is
 * counted, none stored.
 *
 * Events: a last gasp (an unsolicited power-down record, DI 03110001) is stored at once as
 * "power-down"; area_threshold of them within area_window_s make one "area-outage" event,
 * stored when the window closes; "power-up" when such a meter joins again. A meter silent for unreachable_passes passes is
 * "unreachable" (and "reachable" when it answers again); the status scheme turns a changed
 * relay into "relay-open"/"relay-closed", a grown cover-open count into "cover-open", a grown
 * power-down count into "power-down" (counted by the meter: its last gasp was lost). A node that announces itself with an address not in the
 * archive is added while the registration window is open, else kept as not in the archive
 * and reported once ("unknown-node").
 *
 * Times are the area's local time in seconds since 1970 (plc_gw_store.h): clock0 is that
 * time at loop time 0. */
#ifndef PLC_GW_H
#define PLC_GW_H

#include <stddef.h>
#include <stdint.h>

#include "plc_dlt645.h"
#include "plc_gw_store.h"
#include "plc_loop.h"

typedef enum plc_gw_scheme {
    PLC_GW_DAILY,   /* daily freeze: 050600nn time and 050601nn forward energy of the day */
    PLC_GW_ENERGY,  /* current forward active energy 00010000 */
    PLC_GW_INSTANT, /* voltage 02010100, current 02020100, active power 02030000 */
    PLC_GW_STATUS,  /* run status word 3 04000503, cover-open count 03300D00, power-down
                     * count 03110000, time-set count 03300400, programming count 03300000:
                     * relay changes, cover openings and power-downs the meter counted become
                     * events, and so do clock settings ("time-set") and programmings
                     * ("programming") that this concentrator did not write */
    PLC_GW_CLOCK,   /* the meter's date 04000101 and time 04000102: its clock's offset */
    PLC_GW_CURVE,   /* the load curve: the meter's hourly freezes (050400nn time, 050401nn
                     * forward energy) at the task's interval, which must be the meter's
                     * freeze period (04001202); the last one, and the one before when the
                     * store lacks it */
    PLC_GW_PROFILE, /* the load profile (meter/plc_dlt645_profile.h): the meter's records
                     * after the last one stored (a day back at most) up to the slot's time,
                     * each quantity stored under its State Grid
                     * curve DI (061001xx voltage, ..., 061006xx energy; frequency 02800002)
                     * at the record's time; done with the record of the slot's time */
} plc_gw_scheme;

#define PLC_GW_MAX_TASKS 8

typedef struct plc_gw_task {
    char name[32];
    plc_gw_scheme scheme;
    unsigned interval_s;    /* a slot; the daily scheme's is a day */
    unsigned window_start;  /* run window, seconds of the day: [start, end) */
    unsigned window_end;
    unsigned priority;      /* lower first */
} plc_gw_task;

typedef struct plc_gw_config {
    int64_t clock0;          /* local time at loop time 0 */
    unsigned parallel;       /* requests in flight: 5 (HPLC rigs) */
    double timeout_s;        /* per request: 6 s ... */
    double per_hop_s;        /* ... + 2 s a hop */
    unsigned retries;        /* tries a pass: 3 */
    unsigned retry_gap_s;    /* between tries: 30 */
    unsigned deadline_s;     /* catch-up until, seconds of the day: 07:00 */
    unsigned catchup_s;      /* a new pass for the missing every: 900 */
    unsigned area_threshold; /* power-downs that make an area outage: 3 */
    unsigned area_window_s;  /* ... within: 30 */
    unsigned unreachable_passes; /* [R] a meter that answered nothing in this many passes in a
                                  * row (each `retries` tries) is reported unreachable: 3 */
    unsigned search_s;       /* registration window from start: 0 (closed) */
    uint32_t password;       /* [R] the meters' level 02 password: 123456 (a real archive
                              * holds one per meter, or the ESAM does the work) */
    uint32_t operator_code;  /* written with every write and control: 0 */
    unsigned command_s;      /* a remote control or top-up gives up after: 120 */
    /* time: a broadcast time sync (0x08) once a day at sync_at (seconds of the day, never
     * within 5 minutes of an hour or midnight), compensated by the measured delay; a clock
     * task (scheme PLC_GW_CLOCK) finds meters off by more than clock_window_s, which the
     * broadcast cannot correct, and sets them one by one when set_clocks */
    int time_sync;           /* 1 */
    unsigned sync_at;        /* 02:30 */
    unsigned clock_window_s; /* the meters' window: 300 */
    int set_clocks;          /* 1 */
    unsigned n_tasks;
    plc_gw_task task[PLC_GW_MAX_TASKS]; /* default: the daily freeze, window 00:05-23:55 */
} plc_gw_config;

void plc_gw_config_default(plc_gw_config *cfg);

/* The PLC side: a DL/T 645 frame to a short address (0xFFFF: everyone). */
typedef struct plc_gw_link {
    int (*send)(void *user, uint16_t to, const uint8_t *frame, size_t len);
    void *user;
} plc_gw_link;

typedef struct plc_gw_counters {
    uint64_t requests, answers, timeouts, send_failures;
    uint64_t bad_frames,    /* did not decode */
        wrong_address,      /* from another meter than asked */
        wrong_di,           /* an answer to another DI */
        meter_errors,       /* error answers (e.g. not frozen yet) */
        unsolicited,        /* frames nobody asked for that were not last gasps */
        stale_freezes,      /* a freeze of another day than asked */
        stored, duplicates, /* readings new to the store, and already there */
        store_errors;
    uint64_t power_downs, power_ups, area_outages, unknown_nodes, registered, unreachable,
        relay_changes, cover_opens, refused_nodes;
    uint64_t commands, commands_repeated, commands_failed;
    uint64_t foreign_writes; /* clock settings and programmings not by this concentrator */
    uint64_t time_syncs, clocks_off, clocks_set;
} plc_gw_counters;

typedef struct plc_gw plc_gw;

/* The archive is loaded from the store; err says why on failure. */
plc_gw *plc_gw_create(const plc_gw_config *cfg, plc_gw_store *store, plc_loop *loop,
                      const plc_gw_link *link, char *err, size_t errlen);
void plc_gw_destroy(plc_gw *g);

/* Another port: meters whose archive port is `name` (e.g. an RS-485 line, gateway/
 * plc_gw_serial.h) are reached through link (its `to` is 0), one request at a time; their
 * frames come back through plc_gw_port_input. PLC_ERR_FULL past 8 ports. Meters the archive
 * gets later on the port are taken as they come. */
int plc_gw_add_port(plc_gw *g, const char *name, const plc_gw_link *link);
void plc_gw_port_input(plc_gw *g, const char *name, const uint8_t *frame, size_t len);

/* The coordinator's allow-list (the LBP server's) follows the archive: every archive meter
 * whose modem's EUI-64 and PSK are known is allowed, at once and whenever one is added. */
typedef struct plc_gw_admission {
    int (*allow)(void *user, uint64_t eui, const uint8_t psk[16]);
    void *user;
    /* may be NULL: an archive meter that left the archive (plc_gw_archive_put with
     * in_archive 0): its modem out of the allow-list and kicked off the mesh */
    void (*deny)(void *user, uint64_t eui);
} plc_gw_admission;
int plc_gw_set_admission(plc_gw *g, const plc_gw_admission *a);
/* A meter into the archive (or changed) while running: stored, and allowed on the mesh when
 * its modem is known. */
int plc_gw_archive_put(plc_gw *g, const plc_gw_meter *m);
/* From the PLC side: the coordinator refused a device ("refused-node", once an hour each). */
void plc_gw_node_refused(plc_gw *g, uint64_t eui, const char *reason);

/* From the PLC side: a node announced itself (its meter's address, wire order). */
void plc_gw_node_announced(plc_gw *g, uint16_t short_addr, const uint8_t addr[6]);
/* ... a DL/T 645 frame from short address `from`, over `hops` hops, the last link's LQI. */
void plc_gw_frame_input(plc_gw *g, uint16_t from, unsigned hops, unsigned lqi,
                        const uint8_t *frame, size_t len);

/* ---- commands: remote control, top-up, on-demand read ----
 * Idempotent by id: the command log (store) keeps every command and its result; a command
 * whose id is there already is not applied again, its stored result is returned (repeated).
 * Each control is read back (status word 3) and verified; a top-up first reads the meter's
 * purchase count, keeps count + 1 in the log and writes the top-up with it, so a retry (an
 * answer lost, or a restart in between) is refused by the meter and the money added once;
 * then the count is read back. Commands go before reading work, one per meter at a time. */
typedef enum plc_gw_cmd_kind {
    PLC_GW_CMD_READ,       /* arg: the DI; timeout_s 20 by default, 60 at most */
    PLC_GW_CMD_TRIP,
    PLC_GW_CMD_CLOSE,      /* close allowed */
    PLC_GW_CMD_KEEP_ON,    /* keep power on; arg: until (local time) */
    PLC_GW_CMD_KEEP_OFF,
    PLC_GW_CMD_ALARM_ON,
    PLC_GW_CMD_ALARM_OFF,
    PLC_GW_CMD_TOPUP,      /* arg: the amount in 0.01 yuan */
    PLC_GW_CMD_SET_TIME,   /* the concentrator's time (delay compensated), date then time */
    PLC_GW_CMD_FIRMWARE,   /* the image set with plc_gw_set_image; arg: switch to it this many
                            * seconds after it checks; 1800 s by default to get it across */
    PLC_GW_CMD_PRICE,      /* a tariff's price (040501 + rate [R]), written and read back; arg:
                            * rate (1-4) << 32 | price in 0.0001 yuan/kWh (1..99999999) */
    PLC_GW_CMD_KINDS
} plc_gw_cmd_kind;

typedef struct plc_gw_command {
    char id[48];                     /* unique: the head-end's */
    char meter[PLC_GW_ADDR_LEN];
    plc_gw_cmd_kind kind;
    int64_t arg;
    unsigned timeout_s;              /* 0: the kind's default */
} plc_gw_command;

typedef struct plc_gw_result {
    char id[48];
    int status;                      /* PLC_OK, or why not (PLC_ERR_TIMEOUT, PLC_ERR_METER, ...) */
    int repeated;                    /* 1: the id was known; the stored result */
    char json[256];                  /* what came back, e.g. {"status_word":"0x0250","verified":true} */
} plc_gw_result;

typedef void (*plc_gw_result_fn)(void *user, const plc_gw_result *r);
/* The firmware image the FIRMWARE command sends (copied): its id, bytes, the ECDSA P-256
 * signature of its SHA-256 (r || s) and the block size (16..200). */
int plc_gw_set_image(plc_gw *g, uint32_t id, const uint8_t *image, size_t len,
                     const uint8_t sig[64], unsigned block);
/* An image transfer message from the node at short address `from` (its dispatch stripped). */
void plc_gw_image_input(plc_gw *g, uint16_t from, const uint8_t *msg, size_t len);
/* Results of every command go to fn (may be NULL: the log has them). */
void plc_gw_set_result_callback(plc_gw *g, plc_gw_result_fn fn, void *user);
/* PLC_OK: taken (the result follows, at once for a repeated id or an unknown meter). */
int plc_gw_command_submit(plc_gw *g, const plc_gw_command *c);
const char *plc_gw_cmd_name(plc_gw_cmd_kind k);
int plc_gw_cmd_parse(const char *name, plc_gw_cmd_kind *k);

/* Local time now (s, and ms). */
int64_t plc_gw_now(const plc_gw *g);
int64_t plc_gw_now_ms(const plc_gw *g);
/* Steps the concentrator's clock (e.g. from the head-end's, plc_gw_upstream.h). */
void plc_gw_clock_step(plc_gw *g, int64_t delta_ms);
/* Opens the registration window for seconds from now: meters that join meanwhile are added
 * to the archive (0 closes it). */
void plc_gw_search_open(plc_gw *g, unsigned seconds);
/* A broadcast time sync now (0x08, delay compensated) and its "time-sync" event. */
int plc_gw_time_sync_now(plc_gw *g);
/* A calendar date and time as local seconds since 1970 (proleptic Gregorian), and back
 * (with the weekday, 0 Sunday). */
int64_t plc_gw_local_time(int year, int month, int day, int hour, int minute, int second);
void plc_gw_calendar(int64_t t, plc_dlt645_time *out);
/* 1 when a broadcast time sync may go at sod (seconds of the day): not within 5 minutes of
 * an hour or of midnight. */
int plc_gw_sync_time_ok(unsigned sod);
void plc_gw_get_counters(const plc_gw *g, plc_gw_counters *c);
/* Meters in the archive, and of them those with day's freeze stored (before the deadline). */
void plc_gw_daily_completeness(plc_gw *g, int64_t day, unsigned *meters, unsigned *got,
                               unsigned *in_time);

#endif
