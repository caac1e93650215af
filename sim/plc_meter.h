/* A simulated DL/T 645-2007 single-phase meter (sim/: a model with a load profile, floating
 * point and a calendar, not firmware): the node application answers from its registers
 * (plc_meter_regs_of, meter/plc_meter_regs.h), as it would from a real meter's.
 *  - energy registers (combined, forward, reverse; total and 4 tariffs) advancing with a
 *    seeded load profile (daily shape plus a random walk), 0.01 kWh resolution;
 *  - instantaneous voltage, current, active power, power factor, frequency;
 *  - a clock with drift; broadcast time sync accepted only within +/-5 minutes;
 *  - relay: trip, close allowed, keep-power (guarantee) with expiry, alarm on/off;
 *  - prepaid: remaining amount falls with each tariff's energy x its price (04050101..04,
 *    writable); alarm levels 1 and 2 set status
 *    bits; at zero the relay trips (unless keep-power); a top-up written with password and
 *    operator code adds to it and recloses a relay tripped for credit;
 *  - daily freeze at the meter's midnight (the last 62: freeze time 050600nn and forward
 *    active energy, total and tariffs, 050601nn);
 *  - hourly freeze every period (04001202: 60 min by default, 15 or 30 writable): the last
 *    254 (050400nn time, 050401nn forward and 050402nn reverse energy);
 *  - load profile: a record every 15 minutes (voltage, current, frequency, active and
 *    reactive power, power factor, forward and reverse energy), the last 288;
 *  - events: power-down count and last record, cover-open count and last record, the counts
 *    of clock settings (03300400) and programmings (03300000) its writes make, and their
 *    last 10 records (033004nn: operator, clock before and after; 033000nn: when, operator,
 *    the DI written);
 *  - password (level 02 or 04) on writes and control.
 * Time comes from the caller (plc_meter_advance with the event loop's microseconds): the
 * meter never reads a clock. Nothing is allocated after create.
 * Choices ([R], docs/meter.md): tariff by hour, top-up as a write of DI 070102FF carrying the
 * amount bought, status word 3 bits. */
#ifndef PLC_METER_H
#define PLC_METER_H

#include <stdint.h>

#include "plc_dlt645.h"
#include "plc_meter_regs.h"

typedef struct plc_meter_config {
    uint8_t addr[6];            /* wire order */
    uint64_t seed;              /* load profile */
    double mean_load_kw;        /* 0.6 */
    double clock_drift_ppm;     /* +20 */
    plc_dlt645_time start;      /* meter clock at time 0: 2026-01-01 00:00:00 (Thursday) */
    int64_t clock_offset_s;     /* ... off by this much (s): 0 */
    uint32_t password;          /* 6 digits, e.g. 123456 (level 02 and 04 alike) */
    int64_t energy_start_centi_kwh; /* forward register at time 0: 0 */
    int prepaid;                /* 1: remaining amount counts down and trips at zero */
    int64_t remaining_centi_yuan;   /* 100.00 yuan */
    int64_t alarm1_centi_yuan;      /* 20.00 */
    int64_t alarm2_centi_yuan;      /* 5.00 */
    int64_t price_centi_yuan_per_kwh; /* 0.60 yuan/kWh -> 60: every tariff's price at start
                                       * (written per tariff: 04050101..04) */
} plc_meter_config;

void plc_meter_config_default(plc_meter_config *cfg);

typedef struct plc_meter plc_meter;

/* Daily freezes kept (DI 050600nn / 050601nn, nn 1..this): 62, the 645 range 01..3E. */
#define PLC_METER_DAILY_FREEZES 62
/* Hourly freezes kept (050400nn time, 050401nn forward, 050402nn reverse energy): 254. */
#define PLC_METER_HOURLY_FREEZES 254
/* [R] The load profile (meter/plc_dlt645_profile.h, read as 06000001 or 060n0001): a record
 * every 15 minutes of the meter's clock with classes 1-4, the last 288 (3 days) kept. */
#define PLC_METER_PROFILE_MIN 15
#define PLC_METER_PROFILE_RECORDS 288
/* Clock setting and programming records kept (033004nn / 033000nn, nn 1..this): 10. */
#define PLC_METER_WRITE_RECORDS 10

/* Status word 3 (DI 04000503) bits this meter sets: b4, b6, b7, b8-9 and b12 as
 * gateway-upstream.md section 4 gives them; b10 and b11 (not in that list) carry the
 * prepaid alarm levels [R]. */
#define PLC_METER_ST3_RELAY_OPEN 0x0010   /* b4: relay is open */
#define PLC_METER_ST3_TRIP_CMD 0x0040     /* b6: a trip command holds */
#define PLC_METER_ST3_ALARM 0x0080        /* b7: (pre-trip) alarm on */
#define PLC_METER_ST3_MONEY_PREPAID 0x0200 /* b8-9 = 10: money prepaid */
#define PLC_METER_ST3_ALARM1 0x0400       /* b10 [R]: remaining amount below alarm 1 */
#define PLC_METER_ST3_ALARM2 0x0800       /* b11 [R]: remaining amount below alarm 2 */
#define PLC_METER_ST3_KEEP_POWER 0x1000   /* b12: keep-power (guarantee) is on */

plc_meter *plc_meter_create(const plc_meter_config *cfg);
void plc_meter_destroy(plc_meter *m);

/* Moves the meter to time now_us (never backwards): energy, prepaid, clock, expiries. */
void plc_meter_advance(plc_meter *m, uint64_t now_us);
/* The meter's registers for the node application. */
plc_meter_regs plc_meter_regs_of(plc_meter *m);
/* Answers one frame (plc_meter_serve on its registers, at the time it was advanced to).
 * Returns 1 with *reply filled when the meter answers, 0 when it stays silent. */
int plc_meter_handle(plc_meter *m, const plc_dlt645_frame *req, plc_dlt645_frame *reply);

/* Mains lost / back (events recorded with the meter's clock). */
void plc_meter_set_mains(plc_meter *m, int on);
void plc_meter_open_cover(plc_meter *m);

/* For tests and displays: the register values as the meter would report them. */
int64_t plc_meter_register(const plc_meter *m, uint32_t di); /* NUMBER DIs, raw units */
void plc_meter_clock(const plc_meter *m, plc_dlt645_time *t);
int plc_meter_relay_closed(const plc_meter *m);
const uint8_t *plc_meter_addr(const plc_meter *m);

#endif
