#include "plc_meter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_meter_server.h"
#include "plc_rng.h"

#define SYNC_WINDOW_S 300        /* broadcast time sync accepted within +/-5 minutes */
#define PROFILE_STEP_US 60000000u /* the load changes once a simulated minute */
#define NOMINAL_V 220.0

/* A load profile record: the quantities as their 645 fields (x10 V, x1000 A, ...). */
typedef struct profile_rec {
    int64_t at_s;
    int64_t volt, amp, freq, kw, kvar, pf;
    double fwd, rev;
} profile_rec;

struct plc_meter {
    plc_meter_config cfg;
    plc_rng rng;
    uint64_t now_us;
    uint64_t step_us;        /* start of the current load step */
    double load_kw, walk;    /* load of the current step; its random-walk factor */
    double voltage, pf, freq;
    /* energy in kWh, tariffs 1..4 (index 0 unused); total = sum */
    double fwd[5], rev[5];
    double remaining;        /* yuan */
    int64_t clock_offset_s;  /* set by time sync and writes */
    int mains;
    int relay_closed, trip_cmd, credit_trip, alarm_cmd;
    int64_t keep_power_until; /* meter seconds since 2000; 0: off */
    uint32_t power_downs, cover_opens;
    uint32_t time_sets, programs; /* 03300400, 03300000: clock and parameter writes [R] */
    struct {                      /* ... their last records, newest at [(count - 1) % N] */
        uint32_t op;
        int64_t before, after;    /* clock setting: meter seconds; programming: when */
        uint32_t di;              /* programming: the DI written */
    } time_set[PLC_METER_WRITE_RECORDS], program[PLC_METER_WRITE_RECORDS];
    int64_t power_down_start, power_down_end, cover_open_start; /* meter seconds */
    /* daily freezes at the meter's midnight, newest at daily[(daily_next - 1) % N] */
    struct {
        int64_t at_s;
        double fwd[5];
    } daily[PLC_METER_DAILY_FREEZES];
    unsigned daily_count, daily_next;
    int64_t purchases;       /* top-ups applied (the purchase count) */
    int64_t day;             /* the meter's day (clock / 86400) at the last step */
    struct {
        int64_t at_s;
        double fwd, rev;
    } hourly[PLC_METER_HOURLY_FREEZES];
    unsigned hourly_count, hourly_next;
    int64_t period_no;       /* the meter's clock / period at the last step */
    profile_rec profile[PLC_METER_PROFILE_RECORDS]; /* every PLC_METER_PROFILE_MIN */
    unsigned profile_count, profile_next;
    int64_t profile_no;
    unsigned period_min;     /* 04001202: 60 */
    int64_t price[5];        /* tariffs 1..4 in 0.0001 yuan/kWh (04050101..04) */
};

void plc_meter_config_default(plc_meter_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->mean_load_kw = 0.6;
    cfg->clock_drift_ppm = 20.0;
    cfg->start = (plc_dlt645_time){2026, 1, 1, 4, 0, 0, 0};
    cfg->password = 123456;
    cfg->prepaid = 1;
    cfg->remaining_centi_yuan = 10000;
    cfg->alarm1_centi_yuan = 2000;
    cfg->alarm2_centi_yuan = 500;
    cfg->price_centi_yuan_per_kwh = 60;
}

/* ---- calendar: seconds since 2000-01-01 00:00:00 <-> date and time ---- */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 - 10957; /* 10957: days 1970 -> 2000 */
}

static int64_t to_seconds(const plc_dlt645_time *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
           t->minute * 60 + t->second;
}

static void from_seconds(int64_t s, plc_dlt645_time *t)
{
    int64_t z = s / 86400 + 10957 + 719468;
    const int64_t sod = s % 86400;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (int)(yoe + era * 400 + (t->month <= 2));
    t->hour = (int)(sod / 3600);
    t->minute = (int)(sod / 60 % 60);
    t->second = (int)(sod % 60);
    t->weekday = (int)((s / 86400 + 6) % 7); /* 2000-01-01 was a Saturday */
}

/* The meter's clock, seconds since 2000: the start plus elapsed time with drift. */
static int64_t clock_s(const plc_meter *m)
{
    const double elapsed = (double)m->now_us * 1e-6 * (1.0 + m->cfg.clock_drift_ppm * 1e-6);
    return to_seconds(&m->cfg.start) + (int64_t)floor(elapsed) + m->clock_offset_s;
}

/* [R] tariffs by hour: 1 peak 08-11 and 18-21, 2 shoulder 11-18, 3 valley 23-07, 4 flat */
static int tariff_of_hour(int h)
{
    if ((h >= 8 && h < 11) || (h >= 18 && h < 21))
        return 1;
    if (h >= 11 && h < 18)
        return 2;
    if (h >= 23 || h < 7)
        return 3;
    return 4;
}

/* Daily load shape (multiplier of the mean): low at night, morning and evening peaks. */
static double daily_shape(double hour)
{
    const double morning = exp(-0.5 * pow((hour - 7.5) / 1.2, 2));
    const double evening = exp(-0.5 * pow((hour - 19.5) / 1.8, 2));
    return 0.45 + 1.1 * morning + 1.6 * evening;
}

static void new_step(plc_meter *m)
{
    /* random walk on the load (bounded), a fresh voltage / pf / frequency sample */
    m->walk = fmin(1.6, fmax(0.4, m->walk * exp(0.15 * plc_rng_gauss(&m->rng))));
    plc_dlt645_time t;
    from_seconds(clock_s(m), &t);
    const double hour = t.hour + t.minute / 60.0;
    m->load_kw = m->cfg.mean_load_kw * daily_shape(hour) / 1.2 * m->walk;
    m->voltage = NOMINAL_V * (1.0 + 0.03 * plc_rng_gauss(&m->rng)) - 8.0 * m->load_kw / 5.0;
    m->pf = fmin(0.999, 0.93 + 0.03 * plc_rng_gauss(&m->rng));
    m->freq = 50.0 + 0.03 * plc_rng_gauss(&m->rng);
}

/* A new day on the meter's clock: the forward energy as of its midnight. A clock set back
 * takes no freeze until the day after the one frozen last. */
static void daily_freeze_at(plc_meter *m, int64_t day)
{
    const unsigned k = m->daily_next % PLC_METER_DAILY_FREEZES;
    m->daily[k].at_s = day * 86400;
    memcpy(m->daily[k].fwd, m->fwd, sizeof(m->fwd));
    m->daily_next++;
    if (m->daily_count < PLC_METER_DAILY_FREEZES)
        m->daily_count++;
}

static double total(const double e[5])
{
    return e[1] + e[2] + e[3] + e[4];
}

/* A period boundary of the meter's clock: the energy registers as of then. */
static void hourly_freeze(plc_meter *m)
{
    const int64_t per = (int64_t)m->period_min * 60, no = clock_s(m) / per;
    if (no <= m->period_no) {
        if (no < m->period_no)
            m->period_no = no;
        return;
    }
    m->period_no = no;
    const unsigned k = m->hourly_next % PLC_METER_HOURLY_FREEZES;
    m->hourly[k].at_s = no * per;
    m->hourly[k].fwd = total(m->fwd);
    m->hourly[k].rev = total(m->rev);
    m->hourly_next++;
    if (m->hourly_count < PLC_METER_HOURLY_FREEZES)
        m->hourly_count++;
}

/* A load profile period of the meter's clock: the record of its quantities then. */
static void profile_take(plc_meter *m)
{
    const int64_t per = PLC_METER_PROFILE_MIN * 60, no = clock_s(m) / per;
    if (no <= m->profile_no) {
        if (no < m->profile_no)
            m->profile_no = no; /* the clock was set back */
        return;
    }
    m->profile_no = no;
    const unsigned k = m->profile_next % PLC_METER_PROFILE_RECORDS;
    m->profile[k].at_s = no * per;
    m->profile[k].volt = plc_meter_register(m, 0x02010100);
    m->profile[k].amp = plc_meter_register(m, 0x02020100);
    m->profile[k].freq = plc_meter_register(m, 0x02800002);
    m->profile[k].kw = plc_meter_register(m, 0x02030000);
    m->profile[k].pf = plc_meter_register(m, 0x02060000);
    const double pf = (double)m->profile[k].pf / 1000.0; /* lagging: the load is inductive */
    const double kvar = (double)m->profile[k].kw * sqrt(fmax(0.0, 1.0 - pf * pf)) /
                        (pf > 0.1 ? pf : 0.1);
    m->profile[k].kvar = llround(fmin(kvar, 799999.0)); /* XX.XXXX signed: the field's most */
    m->profile[k].fwd = total(m->fwd);
    m->profile[k].rev = total(m->rev);
    m->profile_next++;
    if (m->profile_count < PLC_METER_PROFILE_RECORDS)
        m->profile_count++;
}

static void daily_freeze(plc_meter *m)
{
    const int64_t day = clock_s(m) / 86400;
    if (day <= m->day) {
        if (day < m->day)
            m->day = day;
        return;
    }
    m->day = day;
    daily_freeze_at(m, day);
}

plc_meter *plc_meter_create(const plc_meter_config *cfg)
{
    if (!cfg)
        return NULL;
    plc_meter *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cfg = *cfg;
    m->clock_offset_s = cfg->clock_offset_s;
    plc_rng_seed(&m->rng, cfg->seed);
    m->walk = 1.0;
    m->mains = 1;
    m->relay_closed = 1;
    m->remaining = (double)cfg->remaining_centi_yuan / 100.0;
    /* [R] a register that is not new has its energy spread over the tariffs like a year of
     * the daily shape: peak 25%, shoulder 30%, valley 30%, flat 15% */
    static const double share[5] = {0, 0.25, 0.30, 0.30, 0.15};
    for (int t = 1; t <= 4; t++)
        m->fwd[t] = (double)cfg->energy_start_centi_kwh / 100.0 * share[t];
    m->day = clock_s(m) / 86400;
    m->period_min = 60;
    for (unsigned t = 1; t <= 4; t++)
        m->price[t] = cfg->price_centi_yuan_per_kwh * 100;
    m->period_no = clock_s(m) / 3600;
    m->profile_no = clock_s(m) / (PLC_METER_PROFILE_MIN * 60);
    if (clock_s(m) % 86400) /* started during a day: it has been running, so it froze at the
                             * day's midnight [R] (with the energy it starts with) */
        daily_freeze_at(m, m->day);
    new_step(m);
    return m;
}

void plc_meter_destroy(plc_meter *m)
{
    free(m);
}

static int supplied(const plc_meter *m)
{
    return m->mains && m->relay_closed;
}

static void relay_logic(plc_meter *m)
{
    const int64_t now_s = clock_s(m);
    if (m->keep_power_until && now_s >= m->keep_power_until)
        m->keep_power_until = 0;
    if (m->keep_power_until)
        return; /* guaranteed supply: no trip */
    if (m->cfg.prepaid && m->remaining <= 0 && m->relay_closed) {
        m->relay_closed = 0;
        m->credit_trip = 1;
    }
    if (m->trip_cmd)
        m->relay_closed = 0;
}

void plc_meter_advance(plc_meter *m, uint64_t now_us)
{
    while (now_us > m->now_us) {
        const uint64_t step_end = m->step_us + PROFILE_STEP_US;
        const uint64_t until = now_us < step_end ? now_us : step_end;
        if (supplied(m)) {
            const double kwh = m->load_kw * (double)(until - m->now_us) / 3.6e9;
            plc_dlt645_time t;
            from_seconds(clock_s(m), &t);
            m->fwd[tariff_of_hour(t.hour)] += kwh;
            if (m->cfg.prepaid)
                m->remaining -= kwh * (double)m->price[tariff_of_hour(t.hour)] / 10000.0;
        }
        m->now_us = until;
        daily_freeze(m);
        hourly_freeze(m);
        profile_take(m);
        if (until == step_end) {
            m->step_us = step_end;
            new_step(m);
        }
        relay_logic(m);
    }
}

static int64_t centi(double v)
{
    return (int64_t)floor(v * 100.0 + 1e-9);
}

int64_t plc_meter_register(const plc_meter *m, uint32_t di)
{
    const unsigned tariff = (di >> 8) & 0xFF;
    const double *fwd = m->fwd, *rev = m->rev;
    double f = 0, r = 0;
    for (unsigned k = 1; k <= 4; k++)
        if (tariff == 0 || tariff == k) {
            f += fwd[k];
            r += rev[k];
        }
    const int on = supplied(m);
    switch (di & 0xFFFF00FFu) {
    case 0x00000000: return centi(f) + centi(r); /* combination word: forward + reverse */
    case 0x00010000: return centi(f);
    case 0x00020000: return centi(r);
    default: break;
    }
    switch (di) {
    case 0x00900100:
        return m->remaining > 0 ? centi(m->remaining * 10000.0 / (double)m->price[1]) : 0;
    case 0x04050101:
    case 0x04050102:
    case 0x04050103:
    case 0x04050104: return m->price[di & 0xF];
    case 0x00900200: return m->remaining > 0 ? centi(m->remaining) : 0;
    case 0x02010100: return m->mains ? lround(m->voltage * 10.0) : 0;
    case 0x02020100: return on ? lround(m->load_kw * 1e6 / (m->voltage * m->pf)) : 0;
    case 0x02030000: return on ? lround(m->load_kw * 1e4) : 0;
    case 0x02060000: return on ? lround(m->pf * 1000.0) : 1000;
    case 0x02800002: return lround(m->freq * 100.0);
    case 0x03110000: return m->power_downs;
    case 0x03300D00: return m->cover_opens;
    case 0x03300400: return m->time_sets;
    case 0x03300000: return m->programs;
    case 0x03330201: return m->purchases;
    case 0x04001202: return m->period_min;
    case 0x04001001: return m->cfg.alarm1_centi_yuan;
    case 0x04001002: return m->cfg.alarm2_centi_yuan;
    default: return 0;
    }
}

void plc_meter_clock(const plc_meter *m, plc_dlt645_time *t)
{
    from_seconds(clock_s(m), t);
}

int plc_meter_relay_closed(const plc_meter *m)
{
    return m->relay_closed;
}

const uint8_t *plc_meter_addr(const plc_meter *m)
{
    return m->cfg.addr;
}

void plc_meter_set_mains(plc_meter *m, int on)
{
    on = !!on;
    if (on == m->mains)
        return;
    m->mains = on;
    if (!on) {
        m->power_downs++;
        m->power_down_start = clock_s(m);
        m->power_down_end = 0;
    } else {
        m->power_down_end = clock_s(m);
    }
}

void plc_meter_open_cover(plc_meter *m)
{
    m->cover_opens++;
    m->cover_open_start = clock_s(m);
}

static unsigned status_word3(const plc_meter *m)
{
    unsigned s = 0;
    if (!m->relay_closed)
        s |= PLC_METER_ST3_RELAY_OPEN;
    if (m->trip_cmd)
        s |= PLC_METER_ST3_TRIP_CMD;
    if (m->keep_power_until)
        s |= PLC_METER_ST3_KEEP_POWER;
    if (m->cfg.prepaid && m->remaining * 100.0 < (double)m->cfg.alarm1_centi_yuan)
        s |= PLC_METER_ST3_ALARM1;
    if (m->cfg.prepaid && m->remaining * 100.0 < (double)m->cfg.alarm2_centi_yuan)
        s |= PLC_METER_ST3_ALARM2;
    if (m->alarm_cmd)
        s |= PLC_METER_ST3_ALARM;
    if (m->cfg.prepaid)
        s |= PLC_METER_ST3_MONEY_PREPAID;
    return s;
}

/* ---- the registers (plc_meter_regs.h) ---- */
static const uint8_t *reg_address(void *meter)
{
    return ((plc_meter *)meter)->cfg.addr;
}

static int reg_read(void *meter, uint64_t now_us, uint32_t di, plc_dlt645_value *v)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
    if (!info)
        return PLC_DLT645_E_UNKNOWN_DI;
    switch (info->kind) {
    case PLC_DLT645_TOPUP: return PLC_DLT645_E_UNKNOWN_DI; /* written, never read */
    case PLC_DLT645_NUMBER:
        if ((di & 0xFFFFFE00u) == 0x05040000u) { /* 050401nn / 050402nn: an hourly freeze */
            const unsigned nth = di & 0xFF;
            if (nth > m->hourly_count)
                return PLC_DLT645_E_UNKNOWN_DI;
            const unsigned k = (m->hourly_next - nth) % PLC_METER_HOURLY_FREEZES;
            v->raw = centi((di & 0xFF00) == 0x0100 ? m->hourly[k].fwd : m->hourly[k].rev);
            break;
        }
        v->raw = plc_meter_register(m, di);
        break;
    case PLC_DLT645_DIGITS: {
        int64_t a;
        if (plc_dlt645_bcd_decode(m->cfg.addr, 6, 0, &a))
            return PLC_DLT645_E_BCD;
        v->raw = a;
        break;
    }
    case PLC_DLT645_HEX: v->raw = status_word3(m); break;
    case PLC_DLT645_FREEZE_TIME:
    case PLC_DLT645_ENERGY_BLOCK: {
        const unsigned nth = di & 0xFF; /* 1: the last */
        if ((di & 0xFFFFFF00u) == 0x05040000u) { /* an hourly freeze's time */
            if (nth > m->hourly_count)
                return PLC_DLT645_E_UNKNOWN_DI;
            from_seconds(m->hourly[(m->hourly_next - nth) % PLC_METER_HOURLY_FREEZES].at_s, &v->t);
            break;
        }
        if (nth > m->daily_count)
            return PLC_DLT645_E_UNKNOWN_DI; /* not frozen yet */
        const unsigned k = (m->daily_next - nth) % PLC_METER_DAILY_FREEZES;
        from_seconds(m->daily[k].at_s, &v->t);
        v->raw = 0;
        for (unsigned t = 1; t <= 4; t++) {
            v->tariff[t - 1] = centi(m->daily[k].fwd[t]);
            v->raw += v->tariff[t - 1];
        }
        break;
    }
    case PLC_DLT645_DATE:
    case PLC_DLT645_TIME:
    case PLC_DLT645_DATETIME: plc_meter_clock(m, &v->t); break;
    case PLC_DLT645_TIMESET_RECORD:
    case PLC_DLT645_PROGRAM_RECORD: { /* 033004nn / 033000nn: the nn-th last */
        const int ts = info->kind == PLC_DLT645_TIMESET_RECORD;
        const unsigned nth = di & 0xFF, count = ts ? m->time_sets : m->programs;
        if (nth > count || nth > PLC_METER_WRITE_RECORDS)
            return PLC_DLT645_E_UNKNOWN_DI;
        const unsigned k = (count - nth) % PLC_METER_WRITE_RECORDS;
        v->raw = ts ? m->time_set[k].op : m->program[k].op;
        from_seconds(ts ? m->time_set[k].before : m->program[k].before, &v->t);
        if (ts)
            from_seconds(m->time_set[k].after, &v->t_end);
        else
            v->dis[v->n_dis++] = m->program[k].di;
        break;
    }
    case PLC_DLT645_RECORD: {
        const int cover = di == 0x03300D01;
        const int64_t s = cover ? m->cover_open_start : m->power_down_start;
        const int64_t e = cover ? 0 : m->power_down_end;
        if (!s)
            return PLC_DLT645_E_UNKNOWN_DI; /* no such event yet */
        from_seconds(s, &v->t);
        if (e)
            from_seconds(e, &v->t_end);
        else
            v->t_end = (plc_dlt645_time){2000, 1, 1, 0, 0, 0, 0};
        break;
    }
    }
    return PLC_DLT645_OK;
}

static int reg_write_di(plc_meter *m, uint32_t di, const plc_dlt645_value *v);

/* [R] Every accepted write is recorded as the meter counts it: the date or the time as a time
 * setting (03300400), a parameter as a programming (03300000); a top-up is neither, and the
 * broadcast time sync (0x08) is not recorded. */
static int reg_write(void *meter, uint64_t now_us, uint32_t di, const plc_dlt645_value *v,
                     uint32_t op)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    const int64_t before = clock_s(m);
    const int rc = reg_write_di(m, di, v);
    if (rc == 0 && (di == 0x04000101 || di == 0x04000102)) {
        const unsigned k = m->time_sets++ % PLC_METER_WRITE_RECORDS;
        m->time_set[k].op = op;
        m->time_set[k].before = before;
        m->time_set[k].after = clock_s(m);
    } else if (rc == 0 && di != 0x070102FF) { /* [R] a programming record per write */
        const unsigned k = m->programs++ % PLC_METER_WRITE_RECORDS;
        m->program[k].op = op;
        m->program[k].before = before;
        m->program[k].di = di;
    }
    return rc;
}

static int reg_write_di(plc_meter *m, uint32_t di, const plc_dlt645_value *v)
{
    plc_dlt645_time now;
    plc_meter_clock(m, &now);
    switch (di) {
    case 0x04000101: /* date: keep the time of day */
        now.year = v->t.year;
        now.month = v->t.month;
        now.day = v->t.day;
        m->clock_offset_s += to_seconds(&now) - clock_s(m);
        return 0;
    case 0x04000102:
        now.hour = v->t.hour;
        now.minute = v->t.minute;
        now.second = v->t.second;
        m->clock_offset_s += to_seconds(&now) - clock_s(m);
        return 0;
    case 0x070102FF: /* [R] top-up with its purchase count: applied only as the next one */
        if (!m->cfg.prepaid || v->count != m->purchases + 1)
            return PLC_DLT645_ERR_OTHER; /* a repeat (or out of turn): never added twice */
        m->purchases++;
        m->remaining += (double)v->raw / 100.0;
        if (m->credit_trip && m->remaining > 0 && !m->trip_cmd) {
            m->credit_trip = 0;
            m->relay_closed = 1;
        }
        return 0;
    case 0x04001202: /* the hourly freeze period: 15, 30 or 60 minutes */
        if (v->raw != 15 && v->raw != 30 && v->raw != 60)
            return PLC_DLT645_ERR_OTHER;
        m->period_min = (unsigned)v->raw;
        m->period_no = clock_s(m) / (v->raw * 60);
        return 0;
    case 0x04050101: /* a tariff's price: billed from now */
    case 0x04050102:
    case 0x04050103:
    case 0x04050104:
        if (v->raw <= 0)
            return PLC_DLT645_ERR_OTHER;
        m->price[di & 0xF] = v->raw;
        return 0;
    case 0x04001001: m->cfg.alarm1_centi_yuan = v->raw; return 0;
    case 0x04001002: m->cfg.alarm2_centi_yuan = v->raw; return 0;
    default: return PLC_DLT645_ERR_OTHER;
    }
}

static int reg_control(void *meter, uint64_t now_us, uint8_t cmd, const plc_dlt645_time *until)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    switch (cmd) {
    case 0x1A: /* trip */
        if (m->keep_power_until)
            return PLC_DLT645_ERR_OTHER;
        m->trip_cmd = 1;
        m->relay_closed = 0;
        break;
    case 0x1B: /* close allowed (the customer's button, simulated as at once) */
        m->trip_cmd = 0;
        if (!(m->cfg.prepaid && m->remaining <= 0)) {
            m->relay_closed = 1;
            m->credit_trip = 0;
        }
        break;
    case 0x2A: m->alarm_cmd = 1; break;
    case 0x2B: m->alarm_cmd = 0; break;
    case 0x3A: /* keep power until N3..N8 */
        if (to_seconds(until) <= clock_s(m))
            return PLC_DLT645_ERR_OTHER;
        m->keep_power_until = to_seconds(until);
        m->trip_cmd = 0;
        if (m->mains)
            m->relay_closed = 1;
        break;
    case 0x3B: m->keep_power_until = 0; break;
    default: return PLC_DLT645_ERR_OTHER;
    }
    relay_logic(m);
    return 0;
}

static void reg_sync_time(void *meter, uint64_t now_us, const plc_dlt645_time *t)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    const int64_t want = to_seconds(t), have = clock_s(m);
    if (llabs(want - have) <= SYNC_WINDOW_S)
        m->clock_offset_s += want - have;
}

static int reg_password_ok(void *meter, uint8_t level, uint32_t password)
{
    (void)level; /* one password for levels 02 and 04 ([R]) */
    return password == ((plc_meter *)meter)->cfg.password;
}

static void reg_set_password(void *meter, uint8_t level, uint32_t password)
{
    (void)level;
    ((plc_meter *)meter)->cfg.password = password;
}

static void reg_clear(void *meter, uint64_t now_us, uint8_t function)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    if (function == PLC_DLT645_CLEAR_METER) {
        memset(m->fwd, 0, sizeof(m->fwd));
        memset(m->rev, 0, sizeof(m->rev));
    } else if (function == PLC_DLT645_CLEAR_EVENTS) {
        m->power_downs = m->cover_opens = 0;
        m->power_down_start = m->power_down_end = m->cover_open_start = 0;
    }
}

static void reg_set_address(void *meter, const uint8_t addr[6])
{
    memcpy(((plc_meter *)meter)->cfg.addr, addr, 6);
}

static void reg_mains(void *meter, uint64_t now_us, int on)
{
    plc_meter_advance(meter, now_us);
    plc_meter_set_mains(meter, on);
}

/* Record k of those taken at or after `from`: classes 1-4 (a single-phase meter: phase A
 * only, B and C not measured; no reactive energy registers). */
static int reg_profile(void *meter, uint64_t now_us, const plc_dlt645_time *from, unsigned k,
                       uint8_t classes, plc_dlt645_profile_record *rec)
{
    plc_meter *m = meter;
    plc_meter_advance(m, now_us);
    const int64_t t0 = to_seconds(from);
    unsigned skip = k, i = m->profile_count; /* oldest first */
    for (; i > 0; i--) {
        const unsigned at = (m->profile_next - i) % PLC_METER_PROFILE_RECORDS;
        if (m->profile[at].at_s >= t0 && skip-- == 0)
            break;
    }
    if (i == 0 || !(classes & 0x0F))
        return PLC_DLT645_E_UNKNOWN_DI;
    const profile_rec *p = &m->profile[(m->profile_next - i) % PLC_METER_PROFILE_RECORDS];
    memset(rec, 0, sizeof(*rec));
    from_seconds(p->at_s, &rec->t);
    rec->classes = classes & 0x0F;
    static const uint8_t idx[] = {0, 3, 6, 7, 8, 11, 12, 15, 16, 19, 20};
    const int64_t val[] = {p->volt, p->amp, p->freq, p->kw, p->kw, p->kvar, p->kvar, p->pf, p->pf,
                           centi(p->fwd), centi(p->rev)};
    for (unsigned j = 0; j < sizeof(idx); j++) {
        const plc_dlt645_profile_field *f = plc_dlt645_profile_field_info(idx[j]);
        if (rec->classes & (1u << (f->cls - 1))) {
            rec->field[idx[j]] = val[j];
            rec->present |= 1u << idx[j];
        }
    }
    return PLC_DLT645_OK;
}

static const plc_meter_regs_ops meter_ops = {
    reg_address, reg_read, reg_write, reg_control, reg_sync_time, reg_password_ok,
    reg_set_password, reg_clear, reg_set_address, reg_mains, reg_profile,
};

plc_meter_regs plc_meter_regs_of(plc_meter *m)
{
    return (plc_meter_regs){&meter_ops, m};
}

int plc_meter_handle(plc_meter *m, const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    if (!m)
        return 0;
    const plc_meter_regs g = plc_meter_regs_of(m);
    return plc_meter_serve(&g, m->now_us, q, r);
}
