/* What the concentrator's files share (gateway/plc_gw.c: archive, reading tasks, events;
 * plc_gw_command.c: commands); not for its users. */
#ifndef PLC_GW_INTERNAL_H
#define PLC_GW_INTERNAL_H

#include "plc_dlt645.h"
#include "plc_gw.h"

#define TICK_US 1000000u       /* the scheduler looks for work once a second */
#define UNKNOWN_HOPS 4         /* a meter's hops before its first answer */
#define MAX_STEPS 8            /* DIs a job reads */
#define MAX_JOBS 64
#define DAY 86400

typedef struct gmeter {
    plc_gw_meter m;
    uint8_t addr[6];                   /* wire order */
    int64_t done[PLC_GW_MAX_TASKS];    /* the last slot stored, -1 none */
    int64_t pass[PLC_GW_MAX_TASKS];    /* the pass its tries count for */
    unsigned tries[PLC_GW_MAX_TASKS];
    int64_t next_at[PLC_GW_MAX_TASKS]; /* no try before */
    uint64_t rtt_us;                   /* request to answer, the last one (0: none yet) */
    int busy;
    unsigned port;                     /* 0: the PLC side; else ports[port - 1] */
    unsigned silent_passes;            /* passes in a row without an answer */
    int answered_in_pass;              /* a word from it since its current pass began */
    int unreachable;                   /* reported so */
    int down;                          /* its last gasp came, it has not joined again */
    int64_t last_status, last_covers, last_downs; /* of the last status read, -1 none */
    int64_t last_time_sets, last_programs;        /* ... the meter's counts of clock settings
                                                   * and programmings, -1 none */
    unsigned own_time_sets, own_programs;         /* what this concentrator wrote since */
} gmeter;

#define MAX_PORTS 8

typedef struct gport {
    char name[16];
    plc_gw_link link;
    int busy;                          /* a serial line carries one request at a time */
} gport;

typedef struct job {
    struct plc_gw *g;
    int used;
    unsigned meter, task;
    int64_t slot;
    unsigned step, steps;
    uint32_t di[MAX_STEPS];
    plc_dlt645_value v[MAX_STEPS];
    uint64_t sent_us;
    int64_t from;     /* the profile scheme: the next record asked for is at or after this */
    plc_timer timer;
} job;

struct plc_gw {
    plc_gw_config cfg;
    plc_gw_store *store;
    plc_loop *loop;
    plc_gw_link link;
    gport ports[MAX_PORTS];
    unsigned n_ports;
    gmeter *meter;
    unsigned n, cap;
    unsigned cursor[PLC_GW_MAX_TASKS];
    unsigned order[PLC_GW_MAX_TASKS]; /* tasks by priority */
    uint16_t by_short[0x8000];        /* meter index + 1 */
    job jobs[MAX_JOBS];
    plc_timer tick, area;
    unsigned ticks;
    struct gw_command *cmds;          /* commands in hand (plc_gw_command.c) */
    plc_gw_admission admission;
    struct { uint64_t eui; int64_t at; } refused[16]; /* the last reported, for the rate */
    struct {
        uint32_t id;
        uint8_t *data;
        size_t len;
        uint8_t sig[64];
        unsigned block;
    } image;                          /* what a FIRMWARE command sends */
    plc_gw_result_fn result_fn;
    void *result_user;
    unsigned area_count;
    int64_t area_first;
    int64_t clock_adj_ms;             /* steps of the clock (plc_gw_clock_step) */
    uint64_t search_until_us;         /* the registration window is open until (loop time) */
    plc_gw_counters cnt;
};

/* plc_gw.c */
void gw_store_failed(plc_gw *g);
int gw_meter_of_addr(const plc_gw *g, const uint8_t addr[6]);
/* Sends one DL/T 645 frame to meter k: PLC_OK or why not. */
int gw_send_frame(plc_gw *g, unsigned k, const plc_dlt645_frame *f);
/* Meter k can be asked now (not busy, reachable, its line free); marking it busy or not
 * marks its serial line too. */
int gw_meter_ready(const plc_gw *g, unsigned k);
void gw_meter_busy(plc_gw *g, unsigned k, int busy);
/* The wait for an answer from meter k (hop-scaled). */
uint64_t gw_answer_wait_us(const plc_gw *g, unsigned k);
/* A value as the store keeps it: decimal text, a JSON block, a date. */
void gw_value_text(const plc_dlt645_value *v, char *out, size_t cap);

/* plc_gw_time.c */
void gw_time_tick(plc_gw *g); /* the daily broadcast time sync when due */
/* Meter k's clock read (date, time): its offset as the reading's value (JSON); a meter off
 * by more than the window is flagged and, with set_clocks, set. */
void gw_clock_checked(plc_gw *g, unsigned k, const plc_dlt645_value *date,
                      const plc_dlt645_value *time, char *value, size_t cap);
/* The one-way delay the sync compensates (us): half the meters' median round trip. */
uint64_t gw_one_way_us(const plc_gw *g);

/* plc_gw_command.c */
int gw_commands_load(plc_gw *g, char *err, size_t errlen); /* the store's pending ones */
void gw_commands_free(plc_gw *g);
/* Takes queued commands the log has and we do not (plc-gateway puts them there). */
int gw_commands_poll(plc_gw *g);
/* Starts what commands can start; returns how many requests that put in flight. */
unsigned gw_commands_start(plc_gw *g, unsigned room);
unsigned gw_commands_busy(const plc_gw *g);
/* An image transfer answer from meter k. */
void gw_commands_image_input(plc_gw *g, unsigned k, const uint8_t *msg, size_t len);
/* An answer from meter k: 1 when a command took it. */
int gw_commands_input(plc_gw *g, unsigned k, const plc_dlt645_frame *f);

#endif
