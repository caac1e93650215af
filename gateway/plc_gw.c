#include "plc_gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_dlt645.h"
#include "plc_dlt645_profile.h"
#include "plc_err.h"
#include "plc_gw_internal.h"

/* the profile scheme's slot is kept when the store has its voltage A point (a restart) */
#define PROFILE_MARK_DI 0x06100101u
#define COMMAND_POLL_TICKS 5 /* the command log is looked at for new ones every 5 s */

void plc_gw_config_default(plc_gw_config *c)
{
    memset(c, 0, sizeof(*c));
    c->clock0 = 1767225600; /* 2026-01-01 00:00 */
    c->parallel = 5;
    c->timeout_s = 6.0;
    c->per_hop_s = 2.0;
    c->retries = 3;
    c->retry_gap_s = 30;
    c->deadline_s = 7 * 3600;
    c->catchup_s = 900;
    c->area_threshold = 3;
    c->area_window_s = 30;
    c->unreachable_passes = 3;
    c->password = 123456;
    c->command_s = 120;
    c->time_sync = 1;
    c->sync_at = 2 * 3600 + 30 * 60;
    c->clock_window_s = 300;
    c->set_clocks = 1;
    c->n_tasks = 1;
    c->task[0] = (plc_gw_task){"daily", PLC_GW_DAILY, DAY, 5 * 60, DAY - 5 * 60, 1};
}

int64_t plc_gw_now_ms(const plc_gw *g)
{
    return g->cfg.clock0 * 1000 + (int64_t)(plc_loop_now_us(g->loop) / 1000u) + g->clock_adj_ms;
}

int64_t plc_gw_now(const plc_gw *g)
{
    const int64_t ms = plc_gw_now_ms(g);
    return ms / 1000 - (ms % 1000 < 0); /* floor */
}

void plc_gw_clock_step(plc_gw *g, int64_t delta_ms)
{
    g->clock_adj_ms += delta_ms;
}

void plc_gw_search_open(plc_gw *g, unsigned seconds)
{
    g->search_until_us = plc_loop_now_us(g->loop) + (uint64_t)seconds * 1000000u;
}

static int64_t slot_of(const plc_gw_task *t, int64_t now)
{
    const int64_t iv = t->interval_s ? t->interval_s : DAY;
    return now - now % iv;
}

/* ---- values as text ---- */
void gw_value_text(const plc_dlt645_value *v, char *out, size_t cap)
{
    switch (v->kind) {
    case PLC_DLT645_NUMBER: {
        const int dec = v->decimals > 8 ? 8 : v->decimals;
        int64_t scale = 1;
        for (int i = 0; i < dec; i++)
            scale *= 10;
        const long long a = (long long)(v->raw < 0 ? -v->raw : v->raw);
        if (dec)
            snprintf(out, cap, "%s%lld.%0*lld", v->raw < 0 ? "-" : "", a / scale, dec, a % scale);
        else
            snprintf(out, cap, "%lld", (long long)v->raw);
        break;
    }
    case PLC_DLT645_HEX: snprintf(out, cap, "0x%04llX", (unsigned long long)v->raw); break;
    case PLC_DLT645_ENERGY_BLOCK: {
        /* 8 BCD digits each: the parts fit an int */
        const int64_t *p[5] = {&v->raw, &v->tariff[0], &v->tariff[1], &v->tariff[2], &v->tariff[3]};
        int n = snprintf(out, cap, "{\"total\":");
        for (int k = 0; k < 5 && n > 0 && (size_t)n < cap; k++)
            n += snprintf(out + n, cap - (size_t)n, "%s%d.%02d%s", k == 1 ? ",\"tariffs\":[" : k ? "," : "",
                          (int)(*p[k] / 100), (int)(*p[k] % 100), k == 4 ? "]}" : "");
        break;
    }
    default:
        snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", v->t.year % 10000, v->t.month % 100,
                 v->t.day % 100, v->t.hour % 100, v->t.minute % 100, v->t.second % 100);
        break;
    }
}

int64_t plc_gw_local_time(int year, int month, int day, int hour, int minute, int second)
{
    int y = year - (month <= 2);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const int64_t days = (int64_t)era * 146097 + doe - 719468;
    return days * DAY + hour * 3600 + minute * 60 + second;
}

void plc_gw_calendar(int64_t t, plc_dlt645_time *out)
{
    const int64_t days = (t >= 0 ? t : t - (DAY - 1)) / DAY, sod = t - days * DAY;
    const int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)(yoe + era * 400 + (out->month <= 2));
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod / 60 % 60);
    out->second = (int)(sod % 60);
    out->weekday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

int plc_gw_sync_time_ok(unsigned sod)
{
    const unsigned into_hour = sod % 3600;
    return into_hour >= 300 && into_hour <= 3300; /* 5 minutes clear of every hour and of
                                                  * midnight (an hour too) */
}

static int64_t local_seconds(const plc_dlt645_time *t)
{
    return plc_gw_local_time(t->year, t->month, t->day, t->hour, t->minute, t->second);
}

/* ---- archive ---- */
static unsigned port_of(const plc_gw *g, const char *name)
{
    for (unsigned p = 0; p < g->n_ports; p++)
        if (strcmp(g->ports[p].name, name) == 0)
            return p + 1;
    return 0;
}

static void index_meter(plc_gw *g, unsigned k)
{
    gmeter *x = &g->meter[k];
    plc_dlt645_addr_parse(x->m.addr, x->addr);
    x->port = port_of(g, x->m.port);
    for (unsigned t = 0; t < PLC_GW_MAX_TASKS; t++)
        x->done[t] = x->pass[t] = -1;
    x->last_status = x->last_covers = x->last_downs = -1;
    x->last_time_sets = x->last_programs = -1;
    if (x->m.short_addr >= 0 && x->m.short_addr < 0x8000)
        g->by_short[x->m.short_addr] = (uint16_t)(k + 1);
}

static int add_meter(plc_gw *g, const plc_gw_meter *m)
{
    if (g->n == g->cap) {
        const unsigned cap = g->cap ? 2 * g->cap : 64;
        gmeter *nm = realloc(g->meter, cap * sizeof(*nm));
        if (!nm)
            return -1;
        g->meter = nm;
        g->cap = cap;
    }
    memset(&g->meter[g->n], 0, sizeof(g->meter[0]));
    g->meter[g->n].m = *m;
    index_meter(g, g->n);
    return (int)g->n++;
}

int gw_meter_of_addr(const plc_gw *g, const uint8_t addr[6])
{
    for (unsigned k = 0; k < g->n; k++)
        if (memcmp(g->meter[k].addr, addr, 6) == 0)
            return (int)k;
    return -1;
}

/* What the store already has for the current slots: a restarted concentrator goes on where
 * it stopped. */
static void load_done(plc_gw *g)
{
    const int64_t now = plc_gw_now(g);
    for (unsigned t = 0; t < g->cfg.n_tasks; t++) {
        const plc_gw_task *tk = &g->cfg.task[t];
        const int64_t slot = slot_of(tk, now);
        const uint32_t di = tk->scheme == PLC_GW_DAILY    ? 0x05060101u
                            : tk->scheme == PLC_GW_ENERGY  ? 0x00010000u
                            : tk->scheme == PLC_GW_INSTANT ? 0x02030000u
                            : tk->scheme == PLC_GW_CLOCK   ? 0x04000102u
                            : tk->scheme == PLC_GW_CURVE   ? 0x05040101u
                            : tk->scheme == PLC_GW_PROFILE ? PROFILE_MARK_DI
                                                           : 0x04000503u;
        for (unsigned k = 0; k < g->n; k++)
            if (plc_gw_store_has_reading(g->store, g->meter[k].m.id, di, slot) == 1)
                g->meter[k].done[t] = slot;
    }
}

/* ---- events of a meter ---- */
static void meter_event(plc_gw *g, gmeter *x, const char *kind, const char *detail)
{
    if (plc_gw_store_event(g->store, plc_gw_now(g), kind, x->m.id, detail) != PLC_OK)
        gw_store_failed(g);
}

/* A pass of tries ran out without a word from the meter. */
static void silent_pass(plc_gw *g, unsigned k)
{
    gmeter *x = &g->meter[k];
    if (++x->silent_passes < g->cfg.unreachable_passes || x->unreachable)
        return;
    x->unreachable = 1;
    g->cnt.unreachable++;
    char d[80];
    snprintf(d, sizeof(d), "no answer in %u passes of %u tries", x->silent_passes, g->cfg.retries);
    meter_event(g, x, "unreachable", d);
}

/* The meter answered. */
static void heard(plc_gw *g, gmeter *x)
{
    x->silent_passes = 0;
    x->answered_in_pass = 1;
    if (x->unreachable) {
        x->unreachable = 0;
        meter_event(g, x, "reachable", "answers again");
    }
}

/* Writes from elsewhere than this concentrator since the last status read (their count grew
 * by more than its own). */
static int foreign(int64_t count, int64_t last, unsigned own)
{
    return last >= 0 && count - last > (int64_t)own;
}

/* The meter's last clock setting or programming record as text. */
static void write_record_text(const plc_dlt645_value *r, char *out, size_t cap)
{
    const plc_dlt645_time *a = &r->t, *b = &r->t_end;
    int n = snprintf(out, cap, "; last by operator %08lld", (long long)r->raw);
    if (r->kind == PLC_DLT645_TIMESET_RECORD)
        snprintf(out + n, cap - (size_t)n, ": %04d-%02d-%02d %02d:%02d:%02d -> %04d-%02d-%02d %02d:%02d:%02d",
                 a->year, a->month, a->day, a->hour, a->minute, a->second, b->year, b->month,
                 b->day, b->hour, b->minute, b->second);
    else
        for (unsigned k = 0; k < r->n_dis && n > 0 && (size_t)n < cap; k++)
            n += snprintf(out + n, cap - (size_t)n, k ? ", %08X" : " at %04d-%02d-%02d %02d:%02d:%02d: %08X",
                          a->year, a->month, a->day, a->hour, a->minute, a->second,
                          (unsigned)r->dis[k]);
}

/* A count the meter keeps of writes (clock settings, programmings) against the last read,
 * less what this concentrator wrote meanwhile: the rest came from elsewhere (a handheld, the
 * optical port, another master) and is an event, with the meter's last record (rec, NULL
 * when it could not be read). */
static void foreign_writes(plc_gw *g, gmeter *x, int64_t count, int64_t *last, unsigned *own,
                           const char *kind, const char *what, const plc_dlt645_value *rec)
{
    if (foreign(count, *last, *own)) {
        char d[256], r[160] = "";
        if (rec)
            write_record_text(rec, r, sizeof(r));
        snprintf(d, sizeof(d), "the meter counted %lld %s since the last read, %u by this "
                               "concentrator (count %lld)%s",
                 (long long)(count - *last), what, *own, (long long)count, r);
        g->cnt.foreign_writes++;
        meter_event(g, x, kind, d);
    }
    *last = count;
    *own = 0;
}

/* A status read (status word 3, cover-open count, power-down count, time settings,
 * programmings, and the last records of those that came from elsewhere) against the last
 * one: the first read of a run is the baseline. */
static void status_events(plc_gw *g, gmeter *x, const job *j)
{
    const plc_dlt645_value *v = j->v, *ts_rec = NULL, *prog_rec = NULL;
    for (unsigned k = 5; k < j->steps; k++) {
        if (j->di[k] == 0x03300401u)
            ts_rec = &j->v[k];
        if (j->di[k] == 0x03300001u)
            prog_rec = &j->v[k];
    }
    char d[96];
    const int64_t sw = v[0].raw;
    if (x->last_status >= 0 && ((sw ^ x->last_status) & 0x0010)) {
        g->cnt.relay_changes++;
        snprintf(d, sizeof(d), "relay %s (status word 3 0x%04llX)", (sw & 0x0010) ? "open" : "closed",
                 (unsigned long long)sw);
        meter_event(g, x, (sw & 0x0010) ? "relay-open" : "relay-closed", d);
    }
    if (x->last_covers >= 0 && v[1].raw > x->last_covers) {
        g->cnt.cover_opens++;
        snprintf(d, sizeof(d), "cover opened %lld time(s) since the last read (count %lld)",
                 (long long)(v[1].raw - x->last_covers), (long long)v[1].raw);
        meter_event(g, x, "cover-open", d);
    }
    if (x->last_downs >= 0 && v[2].raw > x->last_downs) {
        snprintf(d, sizeof(d), "the meter counted %lld power-down(s) since the last read",
                 (long long)(v[2].raw - x->last_downs));
        meter_event(g, x, "power-down", d);
    }
    x->last_status = sw;
    x->last_covers = v[1].raw;
    x->last_downs = v[2].raw;
    foreign_writes(g, x, v[3].raw, &x->last_time_sets, &x->own_time_sets, "time-set",
                   "clock setting(s)", ts_rec);
    foreign_writes(g, x, v[4].raw, &x->last_programs, &x->own_programs, "programming",
                   "programming(s)", prog_rec);
}

/* ---- jobs ---- */
void gw_store_failed(plc_gw *g)
{
    g->cnt.store_errors++;
    fprintf(stderr, "plc-gw: store: %s\n", plc_gw_store_message(g->store));
}

static void finish(job *j, int ok)
{
    plc_gw *g = j->g;
    gmeter *x = &g->meter[j->meter];
    plc_timer_stop(g->loop, &j->timer);
    j->used = 0;
    gw_meter_busy(g, j->meter, 0);
    const plc_gw_task *tk = &g->cfg.task[j->task];
    const int64_t now = plc_gw_now(g);
    if (!ok) {
        x->tries[j->task]++;
        x->next_at[j->task] = now + g->cfg.retry_gap_s;
        if (x->tries[j->task] >= g->cfg.retries && !x->answered_in_pass)
            silent_pass(g, j->meter);
        if (tk->scheme == PLC_GW_DAILY &&
            plc_gw_store_daily_try(g->store, j->slot, x->m.id, 0, 0, now) != PLC_OK)
            gw_store_failed(g);
        return;
    }
    plc_gw_reading r[MAX_STEPS];
    unsigned n = 0, stored = 0;
    int rc;
    if (tk->scheme == PLC_GW_DAILY) {
        if (local_seconds(&j->v[0].t) != j->slot) { /* the meter's freeze of another day */
            g->cnt.stale_freezes++;
            x->tries[j->task]++;
            x->next_at[j->task] = now + g->cfg.retry_gap_s;
            return;
        }
        r[n] = (plc_gw_reading){x->m.id, 0x05060101u, j->slot, "", now};
        gw_value_text(&j->v[1], r[n].value, sizeof(r[n].value));
        n++;
        const int64_t sod = now - j->slot;
        rc = plc_gw_store_daily_got(g->store, j->slot, r, n, sod < g->cfg.deadline_s, &stored);
    } else if (tk->scheme == PLC_GW_CURVE) {
        /* each point under its freeze's own time; the slot's must be there */
        const int64_t iv = tk->interval_s;
        if (local_seconds(&j->v[0].t) != j->slot) {
            g->cnt.stale_freezes++; /* not frozen yet, or another period */
            x->tries[j->task]++;
            x->next_at[j->task] = now + g->cfg.retry_gap_s;
            return;
        }
        for (unsigned p = 0; p + 1 < j->steps; p += 2) {
            const int64_t at = local_seconds(&j->v[p].t);
            if (at != j->slot - (int64_t)(p / 2) * iv)
                continue; /* the one before is not that period's: the meter lacks it */
            r[n] = (plc_gw_reading){x->m.id, 0x05040101u, at, "", now};
            gw_value_text(&j->v[p + 1], r[n].value, sizeof(r[n].value));
            n++;
        }
        rc = plc_gw_store_readings(g->store, r, n, &stored);
    } else if (tk->scheme == PLC_GW_STATUS) {
        status_events(g, x, j);
        for (; n < 5; n++) { /* the counts and the word; the records went into the events */
            r[n] = (plc_gw_reading){x->m.id, j->di[n], j->slot, "", now};
            gw_value_text(&j->v[n], r[n].value, sizeof(r[n].value));
        }
        rc = plc_gw_store_readings(g->store, r, n, &stored);
    } else if (tk->scheme == PLC_GW_PROFILE) {
        rc = PLC_OK; /* stored reply by reply (profile_reply) */
    } else if (tk->scheme == PLC_GW_CLOCK) {
        r[n] = (plc_gw_reading){x->m.id, 0x04000102u, j->slot, "", now};
        gw_clock_checked(g, j->meter, &j->v[0], &j->v[1], r[n].value, sizeof(r[n].value));
        n++;
        rc = plc_gw_store_readings(g->store, r, n, &stored);
    } else {
        for (; n < j->steps; n++) {
            r[n] = (plc_gw_reading){x->m.id, j->di[n], j->slot, "", now};
            gw_value_text(&j->v[n], r[n].value, sizeof(r[n].value));
        }
        rc = plc_gw_store_readings(g->store, r, n, &stored);
    }
    if (rc != PLC_OK) {
        gw_store_failed(g); /* not kept: tried again */
        x->next_at[j->task] = now + g->cfg.retry_gap_s;
        return;
    }
    g->cnt.stored += stored;
    g->cnt.duplicates += n - stored;
    x->done[j->task] = j->slot;
}

int gw_meter_ready(const plc_gw *g, unsigned k)
{
    const gmeter *x = &g->meter[k];
    if (x->busy)
        return 0;
    if (x->port)
        return !g->ports[x->port - 1].busy;
    return strcmp(x->m.port, "plc") == 0 && x->m.short_addr >= 0;
}

void gw_meter_busy(plc_gw *g, unsigned k, int busy)
{
    gmeter *x = &g->meter[k];
    x->busy = busy;
    if (x->port)
        g->ports[x->port - 1].busy = busy;
}

int gw_send_frame(plc_gw *g, unsigned k, const plc_dlt645_frame *f)
{
    uint8_t buf[PLC_DLT645_MAX_FRAME];
    const gmeter *x = &g->meter[k];
    /* a serial line gets the wake-up preamble (FE FE FE FE) DL/T 645 sends before a frame */
    const int len = plc_dlt645_encode(f, x->port ? 4 : 0, buf, sizeof(buf));
    const plc_gw_link *link = x->port ? &g->ports[x->port - 1].link : &g->link;
    const uint16_t to = x->port ? 0 : (uint16_t)x->m.short_addr;
    g->cnt.requests++;
    if (len <= 0 || link->send(link->user, to, buf, (size_t)len) != PLC_OK) {
        g->cnt.send_failures++;
        return PLC_ERR_IO;
    }
    return PLC_OK;
}

uint64_t gw_answer_wait_us(const plc_gw *g, unsigned k)
{
    const int h = g->meter[k].m.hops;
    const unsigned hops = h > 0 ? (unsigned)h : UNKNOWN_HOPS;
    return (uint64_t)((g->cfg.timeout_s + g->cfg.per_hop_s * hops) * 1e6);
}

static void send_step(job *j)
{
    plc_gw *g = j->g;
    plc_dlt645_frame f;
    if (g->cfg.task[j->task].scheme == PLC_GW_PROFILE) { /* the records from j->from on */
        plc_dlt645_time from;
        plc_gw_calendar(j->from, &from);
        plc_dlt645_profile_request(g->meter[j->meter].addr, 0, PLC_DLT645_PROFILE_MAX_N, &from, &f);
    } else {
        plc_dlt645_read_request(g->meter[j->meter].addr, j->di[j->step], &f);
    }
    j->sent_us = plc_loop_now_us(g->loop);
    if (gw_send_frame(g, j->meter, &f) != PLC_OK) {
        finish(j, 0);
        return;
    }
    plc_timer_start_in(g->loop, &j->timer, gw_answer_wait_us(g, j->meter));
}

static void on_job_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    job *j = user;
    j->g->cnt.timeouts++;
    finish(j, 0);
}

static void start_job(plc_gw *g, unsigned k, unsigned t, int64_t slot)
{
    job *j = NULL;
    for (unsigned i = 0; i < MAX_JOBS && !j; i++)
        if (!g->jobs[i].used)
            j = &g->jobs[i];
    if (!j)
        return;
    j->used = 1;
    j->meter = k;
    j->task = t;
    j->slot = slot;
    j->step = 0;
    switch (g->cfg.task[t].scheme) {
    case PLC_GW_DAILY: {
        const unsigned nth = (unsigned)((slot_of(&g->cfg.task[t], plc_gw_now(g)) - slot) / DAY) + 1;
        j->di[0] = 0x05060000u | nth; /* the freeze's time first: is it the day asked? */
        j->di[1] = 0x05060100u | nth;
        j->steps = 2;
        break;
    }
    case PLC_GW_ENERGY: j->di[0] = 0x00010000u; j->steps = 1; break;
    case PLC_GW_INSTANT:
        j->di[0] = 0x02010100u;
        j->di[1] = 0x02020100u;
        j->di[2] = 0x02030000u;
        j->steps = 3;
        break;
    case PLC_GW_STATUS:
        j->di[0] = 0x04000503u;
        j->di[1] = 0x03300D00u;
        j->di[2] = 0x03110000u;
        j->di[3] = 0x03300400u; /* time settings */
        j->di[4] = 0x03300000u; /* programmings */
        j->steps = 5;
        break;
    case PLC_GW_CURVE: {
        const int64_t iv = g->cfg.task[t].interval_s;
        j->di[0] = 0x05040001u; /* the last freeze: the slot's */
        j->di[1] = 0x05040101u;
        j->steps = 2;
        if (plc_gw_store_has_reading(g->store, g->meter[k].m.id, 0x05040101u, slot - iv) == 0) {
            j->di[2] = 0x05040002u; /* and the one before, missing */
            j->di[3] = 0x05040102u;
            j->steps = 4;
        }
        break;
    }
    case PLC_GW_CLOCK:
        j->di[0] = 0x04000101u;
        j->di[1] = 0x04000102u;
        j->steps = 2;
        break;
    case PLC_GW_PROFILE: { /* a step per reply, until the slot's record */
        /* [R] from the record after the last one stored, a day back at most (the meter
         * keeps more: a concentrator down longer takes the last day) */
        const int64_t iv = g->cfg.task[t].interval_s, back = iv > DAY ? iv : DAY;
        int64_t last;
        j->di[0] = PLC_DLT645_PROFILE_DI;
        j->steps = 1;
        j->from = slot - iv + 60;
        if (plc_gw_store_last_reading(g->store, g->meter[k].m.id, PROFILE_MARK_DI, slot, &last) == 1)
            j->from = last + 60 > slot - back ? last + 60 : slot - back + 60;
        break;
    }
    }
    gw_meter_busy(g, k, 1);
    send_step(j);
}

/* The pass a meter's tries count for: the daily freeze gets a new one every catchup_s. */
static int64_t pass_of(const plc_gw *g, const plc_gw_task *tk, int64_t now)
{
    return tk->scheme == PLC_GW_DAILY && g->cfg.catchup_s ? now / g->cfg.catchup_s
                                                          : slot_of(tk, now);
}

/* The next meter and task to read: before the deadline the day's missing freezes come
 * first, then the tasks by priority; within a task the meters in turn. */
static int pick(plc_gw *g, unsigned *mk, unsigned *mt, int64_t *mslot)
{
    const int64_t now = plc_gw_now(g);
    const unsigned sod = (unsigned)(now % DAY);
    for (int round = 0; round < 2; round++)
        for (unsigned o = 0; o < g->cfg.n_tasks; o++) {
            const unsigned t = g->order[o];
            const plc_gw_task *tk = &g->cfg.task[t];
            const int catchup = tk->scheme == PLC_GW_DAILY && sod < g->cfg.deadline_s;
            if ((round == 0) != catchup || sod < tk->window_start || sod >= tk->window_end)
                continue;
            const int64_t slot = slot_of(tk, now), pass = pass_of(g, tk, now);
            for (unsigned i = 0; i < g->n; i++) {
                const unsigned k = (g->cursor[t] + i) % g->n;
                gmeter *x = &g->meter[k];
                if (!x->m.in_archive || x->done[t] == slot || !gw_meter_ready(g, k))
                    continue;
                if (x->pass[t] != pass) {
                    x->pass[t] = pass;
                    x->tries[t] = 0;
                    x->answered_in_pass = 0;
                }
                if (x->tries[t] >= g->cfg.retries || now < x->next_at[t])
                    continue;
                g->cursor[t] = (k + 1) % g->n;
                *mk = k;
                *mt = t;
                *mslot = slot;
                return 1;
            }
        }
    return 0;
}

static void on_tick(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    plc_gw *g = user;
    gw_time_tick(g);
    if (++g->ticks % COMMAND_POLL_TICKS == 0)
        gw_commands_poll(g);
    unsigned busy = gw_commands_busy(g); /* commands first: an operator waits for them */
    for (unsigned i = 0; i < MAX_JOBS; i++)
        busy += g->jobs[i].used ? 1 : 0;
    if (busy < g->cfg.parallel)
        busy += gw_commands_start(g, g->cfg.parallel - busy);
    unsigned k, tk;
    int64_t slot;
    while (busy < g->cfg.parallel && busy < MAX_JOBS && pick(g, &k, &tk, &slot)) {
        start_job(g, k, tk, slot);
        busy++;
    }
    plc_timer_start_in(g->loop, t, TICK_US);
}

/* ---- events ---- */
static void on_area(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_gw *g = user;
    if (g->area_count >= g->cfg.area_threshold) {
        char d[64];
        snprintf(d, sizeof(d), "%u meters lost mains within %u s", g->area_count,
                 g->cfg.area_window_s);
        g->cnt.area_outages++;
        if (plc_gw_store_event(g->store, g->area_first, "area-outage", 0, d) != PLC_OK)
            gw_store_failed(g);
    }
    g->area_count = 0;
}

static void power_down(plc_gw *g, gmeter *x, const plc_dlt645_value *rec)
{
    char d[96];
    snprintf(d, sizeof(d), "last gasp: mains lost at %04d-%02d-%02d %02d:%02d:%02d (meter clock)",
             rec->t.year, rec->t.month, rec->t.day, rec->t.hour, rec->t.minute, rec->t.second);
    const int64_t now = plc_gw_now(g);
    g->cnt.power_downs++;
    x->down = 1;
    if (plc_gw_store_event(g->store, now, "power-down", x->m.id, d) != PLC_OK)
        gw_store_failed(g);
    if (g->area_count++ == 0) {
        g->area_first = now;
        plc_timer_start_in(g->loop, &g->area, (uint64_t)g->cfg.area_window_s * 1000000u);
    }
}

/* ---- admission ---- */
static int admit(plc_gw *g, const gmeter *x)
{
    if (!g->admission.allow || !x->m.in_archive || !x->m.eui)
        return PLC_OK;
    return g->admission.allow(g->admission.user, x->m.eui, x->m.psk);
}

int plc_gw_set_admission(plc_gw *g, const plc_gw_admission *a)
{
    g->admission = a ? *a : (plc_gw_admission){0};
    int rc = PLC_OK;
    for (unsigned k = 0; k < g->n; k++)
        if (admit(g, &g->meter[k]) != PLC_OK)
            rc = PLC_ERR_FULL; /* the allow-list has no room */
    return rc;
}

int plc_gw_archive_put(plc_gw *g, const plc_gw_meter *m)
{
    plc_gw_meter row = *m;
    if (plc_gw_store_meter_put(g->store, &row, &row.id) != PLC_OK) {
        gw_store_failed(g);
        return PLC_ERR_STORE;
    }
    uint8_t addr[6];
    if (plc_dlt645_addr_parse(row.addr, addr) != PLC_DLT645_OK)
        return PLC_ERR_ARG;
    int k = gw_meter_of_addr(g, addr);
    if (k < 0) {
        row.short_addr = row.hops = row.lqi = -1;
        if ((k = add_meter(g, &row)) < 0)
            return PLC_ERR_NOMEM;
    } else {
        gmeter *x = &g->meter[k];
        const plc_gw_meter was = x->m;
        x->m = row;
        x->m.short_addr = was.short_addr; /* what the mesh said stays */
        x->m.hops = was.hops;
        x->m.lqi = was.lqi;
        x->m.last_seen = was.last_seen;
        if (!row.eui) {
            x->m.eui = was.eui;
            memcpy(x->m.psk, was.psk, 16);
        }
        x->port = port_of(g, x->m.port);
        if (was.in_archive && !x->m.in_archive && x->m.eui && g->admission.deny)
            g->admission.deny(g->admission.user, x->m.eui); /* it left the archive */
    }
    return admit(g, &g->meter[k]);
}

void plc_gw_node_refused(plc_gw *g, uint64_t eui, const char *reason)
{
    const int64_t now = plc_gw_now(g);
    unsigned slot = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (g->refused[i].eui == eui) {
            if (now - g->refused[i].at < 3600)
                return; /* reported within the hour */
            slot = i;
            break;
        }
        if (g->refused[i].at < g->refused[slot].at)
            slot = i;
    }
    g->refused[slot].eui = eui;
    g->refused[slot].at = now;
    g->cnt.refused_nodes++;
    char d[128];
    snprintf(d, sizeof(d), "device %016llX refused: %s", (unsigned long long)eui,
             reason ? reason : "");
    if (plc_gw_store_event(g->store, now, "refused-node", 0, d) != PLC_OK)
        gw_store_failed(g);
}

/* ---- from the PLC side ---- */
void plc_gw_node_announced(plc_gw *g, uint16_t short_addr, const uint8_t addr[6])
{
    if (short_addr >= 0x8000)
        return;
    const int64_t now = plc_gw_now(g);
    int k = gw_meter_of_addr(g, addr);
    if (k < 0) {
        plc_gw_meter m;
        plc_gw_meter_default(&m);
        plc_dlt645_addr_format(addr, m.addr);
        const int open = plc_loop_now_us(g->loop) < g->search_until_us;
        m.in_archive = open;
        if (plc_gw_store_meter_put(g->store, &m, &m.id) != PLC_OK || (k = add_meter(g, &m)) < 0) {
            gw_store_failed(g);
            return;
        }
        if (open) {
            g->cnt.registered++;
        } else {
            g->cnt.unknown_nodes++;
            char d[64];
            snprintf(d, sizeof(d), "node 0x%04X joined, meter %s not in the archive", short_addr,
                     m.addr);
            if (plc_gw_store_event(g->store, now, "unknown-node", m.id, d) != PLC_OK)
                gw_store_failed(g);
        }
    }
    gmeter *x = &g->meter[k];
    if (x->down) { /* it joined again: mains is back */
        x->down = 0;
        g->cnt.power_ups++;
        meter_event(g, x, "power-up", "joined again after its last gasp");
    }
    if (x->m.short_addr >= 0 && x->m.short_addr < 0x8000 && x->m.short_addr != short_addr)
        g->by_short[x->m.short_addr] = 0;
    x->m.short_addr = short_addr;
    g->by_short[short_addr] = (uint16_t)(k + 1);
    if (plc_gw_store_meter_seen(g->store, x->m.id, short_addr, x->m.hops, x->m.lqi, now) != PLC_OK)
        gw_store_failed(g);
}

static job *job_of(plc_gw *g, unsigned k)
{
    for (unsigned i = 0; i < MAX_JOBS; i++)
        if (g->jobs[i].used && g->jobs[i].meter == k)
            return &g->jobs[i];
    return NULL;
}

/* A load profile reply (NULL: "no data"): its records up to the slot's time stored, one
 * transaction a reply; then the next records asked for, or the job done with the slot's
 * record (or one after it: the meter lacks that one). A reply that does not decode is
 * counted and nothing of it stored. */
static void profile_reply(job *j, const plc_dlt645_frame *f)
{
    plc_gw *g = j->g;
    gmeter *x = &g->meter[j->meter];
    const int64_t now = plc_gw_now(g);
    /* a 200-byte reply holds at most 8 records with any quantity (class 6 alone: 22 bytes) */
    plc_gw_reading r[8 * PLC_DLT645_PROFILE_FIELDS];
    unsigned n = 0, records = 0;
    int reached = 0;
    const int64_t asked = j->from;
    for (size_t at = 4; f && at < f->len; records++) {
        plc_dlt645_profile_record rec;
        size_t used;
        if (plc_dlt645_profile_record_decode(f->data + at, f->len - at, &rec, &used) != PLC_DLT645_OK) {
            g->cnt.bad_frames++;
            finish(j, 0);
            return;
        }
        at += used;
        const int64_t t = local_seconds(&rec.t);
        if (t < asked)
            continue; /* not what was asked for: not taken */
        j->from = t + 60 > j->from ? t + 60 : j->from;
        reached |= t >= j->slot;
        if (t > j->slot)
            continue; /* the next slot's */
        for (unsigned i = 0; i < PLC_DLT645_PROFILE_FIELDS; i++) {
            const plc_dlt645_profile_field *fi = plc_dlt645_profile_field_info(i);
            if (!(rec.present & (1u << i)) || !fi->curve_di)
                continue;
            const plc_dlt645_value v = {.kind = PLC_DLT645_NUMBER, .raw = rec.field[i],
                                        .decimals = fi->decimals};
            r[n] = (plc_gw_reading){x->m.id, fi->curve_di, t, "", now};
            gw_value_text(&v, r[n].value, sizeof(r[n].value));
            n++;
        }
    }
    if (f)
        g->cnt.answers++;
    else
        g->cnt.meter_errors++;
    unsigned stored = 0;
    if (n && plc_gw_store_readings(g->store, r, n, &stored) != PLC_OK) {
        gw_store_failed(g); /* not kept: tried again */
        finish(j, 0);
        return;
    }
    g->cnt.stored += stored;
    g->cnt.duplicates += n - stored;
    if (reached) {
        if (plc_gw_store_meter_seen(g->store, x->m.id, x->m.short_addr, x->m.hops, x->m.lqi,
                                    x->m.last_seen) != PLC_OK)
            gw_store_failed(g);
        finish(j, 1);
        return;
    }
    if (!records) { /* the meter has not taken the slot's record yet */
        g->cnt.stale_freezes++;
        finish(j, 0);
        return;
    }
    if (j->from == asked) { /* only records from before the time asked: it would never end */
        g->cnt.bad_frames++;
        finish(j, 0);
        return;
    }
    plc_timer_stop(g->loop, &j->timer);
    send_step(j); /* the records after these */
}

/* An answer from meter k (its address checked). */
static void meter_frame(plc_gw *g, unsigned k, const plc_dlt645_frame *f)
{
    gmeter *x = &g->meter[k];
    x->m.last_seen = plc_gw_now(g);
    heard(g, x);
    job *j = job_of(g, k);
    const int error = (f->ctrl & PLC_DLT645_C_ABNORMAL) != 0;
    const uint32_t di = !error && f->len >= 4 ? plc_dlt645_di_get(f->data) : 0;
    plc_dlt645_value v;
    if (!error && di == 0x03110001u && (!j || j->di[j->step] != di)) {
        if (plc_dlt645_value_decode(di, f->data + 4, f->len - 4u, &v) == PLC_DLT645_OK)
            power_down(g, x, &v); /* a last gasp */
        else
            g->cnt.bad_frames++;
        return;
    }
    if (gw_commands_input(g, k, f))
        return;
    if (!j) {
        g->cnt.unsolicited++;
        return;
    }
    if (g->cfg.task[j->task].scheme == PLC_GW_PROFILE && (error || di == j->di[0])) {
        if (!error)
            x->rtt_us = plc_loop_now_us(g->loop) - j->sent_us;
        profile_reply(j, error ? NULL : f);
        return;
    }
    if (error && g->cfg.task[j->task].scheme == PLC_GW_STATUS && j->step >= 5) {
        j->steps = j->step; /* a meter without the write records: the events without them */
        finish(j, 1);
        return;
    }
    if (error && g->cfg.task[j->task].scheme == PLC_GW_CURVE && j->step >= 2) {
        j->steps = j->step; /* the meter has no freeze before: keep the one it had */
        finish(j, 1);
        return;
    }
    if (error) {
        g->cnt.meter_errors++;
        finish(j, 0);
        return;
    }
    if (di != j->di[j->step]) {
        g->cnt.wrong_di++;
        return;
    }
    if (plc_dlt645_value_decode(di, f->data + 4, f->len - 4u, &v) != PLC_DLT645_OK) {
        g->cnt.bad_frames++;
        return;
    }
    g->cnt.answers++;
    x->rtt_us = plc_loop_now_us(g->loop) - j->sent_us;
    j->v[j->step++] = v;
    if (g->cfg.task[j->task].scheme == PLC_GW_STATUS && j->step == 5) {
        /* writes from elsewhere: what the meter recorded of the last one, too */
        if (foreign(j->v[3].raw, x->last_time_sets, x->own_time_sets))
            j->di[j->steps++] = 0x03300401u;
        if (foreign(j->v[4].raw, x->last_programs, x->own_programs))
            j->di[j->steps++] = 0x03300001u;
    }
    if (j->step < j->steps) {
        plc_timer_stop(g->loop, &j->timer);
        send_step(j);
        return;
    }
    if (plc_gw_store_meter_seen(g->store, x->m.id, x->m.short_addr, x->m.hops, x->m.lqi,
                                x->m.last_seen) != PLC_OK)
        gw_store_failed(g);
    finish(j, 1);
}

void plc_gw_frame_input(plc_gw *g, uint16_t from, unsigned hops, unsigned lqi,
                        const uint8_t *frame, size_t len)
{
    plc_dlt645_frame f;
    size_t used;
    if (plc_dlt645_decode(frame, len, &f, &used) != PLC_DLT645_OK) {
        g->cnt.bad_frames++;
        return;
    }
    const unsigned k1 = from < 0x8000 ? g->by_short[from] : 0;
    if (!(f.ctrl & PLC_DLT645_C_REPLY) || !k1) {
        g->cnt.unsolicited++;
        return;
    }
    gmeter *x = &g->meter[k1 - 1];
    if (memcmp(f.addr, x->addr, 6) != 0) {
        g->cnt.wrong_address++; /* not the meter behind that node: never stored */
        return;
    }
    x->m.hops = (int)hops;
    x->m.lqi = (int)lqi;
    meter_frame(g, k1 - 1, &f);
}

int plc_gw_set_image(plc_gw *g, uint32_t id, const uint8_t *image, size_t len,
                     const uint8_t sig[64], unsigned block)
{
    if (!image || !len || len > 0xFFFFFFu || block < 16 || block > 200 || len / block > 0xFFFE)
        return PLC_ERR_ARG;
    uint8_t *copy = malloc(len);
    if (!copy)
        return PLC_ERR_NOMEM;
    memcpy(copy, image, len);
    free(g->image.data);
    g->image.data = copy;
    g->image.len = len;
    g->image.id = id;
    g->image.block = block;
    memcpy(g->image.sig, sig, 64);
    return PLC_OK;
}

void plc_gw_image_input(plc_gw *g, uint16_t from, const uint8_t *msg, size_t len)
{
    const unsigned k1 = from < 0x8000 ? g->by_short[from] : 0;
    if (!k1) {
        g->cnt.unsolicited++;
        return;
    }
    gw_commands_image_input(g, k1 - 1, msg, len);
}

int plc_gw_add_port(plc_gw *g, const char *name, const plc_gw_link *link)
{
    if (!name || !name[0] || strlen(name) >= sizeof(g->ports[0].name) || !link || !link->send ||
        strcmp(name, "plc") == 0)
        return PLC_ERR_ARG;
    if (port_of(g, name))
        return PLC_ERR_BUSY;
    if (g->n_ports == MAX_PORTS)
        return PLC_ERR_FULL;
    gport *p = &g->ports[g->n_ports++];
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->link = *link;
    for (unsigned k = 0; k < g->n; k++)
        if (strcmp(g->meter[k].m.port, name) == 0)
            g->meter[k].port = g->n_ports;
    return PLC_OK;
}

/* A serial line: whoever answers says who it is; only a meter of that line's archive is
 * heard. */
void plc_gw_port_input(plc_gw *g, const char *name, const uint8_t *frame, size_t len)
{
    plc_dlt645_frame f;
    size_t used;
    if (plc_dlt645_decode(frame, len, &f, &used) != PLC_DLT645_OK) {
        g->cnt.bad_frames++;
        return;
    }
    const unsigned port = port_of(g, name);
    const int k = gw_meter_of_addr(g, f.addr);
    if (!port || !(f.ctrl & PLC_DLT645_C_REPLY)) {
        g->cnt.unsolicited++;
        return;
    }
    if (k < 0 || g->meter[k].port != port) {
        g->cnt.wrong_address++;
        return;
    }
    g->meter[k].m.hops = 0;
    meter_frame(g, (unsigned)k, &f);
}

/* ---- life cycle ---- */
plc_gw *plc_gw_create(const plc_gw_config *cfg, plc_gw_store *store, plc_loop *loop,
                      const plc_gw_link *link, char *err, size_t errlen)
{
    if (!cfg || !store || !loop || !link || !link->send || cfg->n_tasks > PLC_GW_MAX_TASKS ||
        cfg->parallel == 0) {
        snprintf(err, errlen, "invalid arguments");
        return NULL;
    }
    plc_gw *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = *cfg;
    g->store = store;
    g->loop = loop;
    g->link = *link;
    g->search_until_us = (uint64_t)cfg->search_s * 1000000u;
    unsigned n = 0;
    if (plc_gw_store_meters(store, 0, NULL, 0, &n) != PLC_OK) {
        snprintf(err, errlen, "store: %s", plc_gw_store_message(store));
        plc_gw_destroy(g);
        return NULL;
    }
    plc_gw_meter *all = calloc(n ? n : 1, sizeof(*all));
    if (!all || plc_gw_store_meters(store, 0, all, n, &n) != PLC_OK) {
        snprintf(err, errlen, "store: %s", all ? plc_gw_store_message(store) : "out of memory");
        free(all);
        plc_gw_destroy(g);
        return NULL;
    }
    for (unsigned k = 0; k < n; k++) {
        all[k].short_addr = -1; /* the mesh tells again (it may have changed) */
        if (add_meter(g, &all[k]) < 0) {
            snprintf(err, errlen, "out of memory");
            free(all);
            plc_gw_destroy(g);
            return NULL;
        }
    }
    free(all);
    for (unsigned t = 0; t < g->cfg.n_tasks; t++)
        g->order[t] = t;
    for (unsigned a = 1; a < g->cfg.n_tasks; a++) /* by priority, stable */
        for (unsigned b = a; b > 0 && g->cfg.task[g->order[b]].priority <
                                          g->cfg.task[g->order[b - 1]].priority; b--) {
            const unsigned o = g->order[b];
            g->order[b] = g->order[b - 1];
            g->order[b - 1] = o;
        }
    load_done(g);
    if (gw_commands_load(g, err, errlen) != PLC_OK) {
        plc_gw_destroy(g);
        return NULL;
    }
    for (unsigned i = 0; i < MAX_JOBS; i++) {
        g->jobs[i].g = g;
        plc_timer_init(&g->jobs[i].timer, on_job_timeout, &g->jobs[i]);
    }
    plc_timer_init(&g->tick, on_tick, g);
    plc_timer_init(&g->area, on_area, g);
    plc_timer_start_in(loop, &g->tick, TICK_US);
    return g;
}

void plc_gw_destroy(plc_gw *g)
{
    if (!g)
        return;
    for (unsigned i = 0; i < MAX_JOBS; i++)
        plc_timer_stop(g->loop, &g->jobs[i].timer);
    plc_timer_stop(g->loop, &g->tick);
    plc_timer_stop(g->loop, &g->area);
    gw_commands_free(g);
    free(g->image.data);
    free(g->meter);
    free(g);
}

void plc_gw_get_counters(const plc_gw *g, plc_gw_counters *c)
{
    *c = g->cnt;
}

void plc_gw_daily_completeness(plc_gw *g, int64_t day, unsigned *meters, unsigned *got,
                               unsigned *in_time)
{
    unsigned m = 0;
    for (unsigned k = 0; k < g->n; k++)
        m += g->meter[k].m.in_archive ? 1 : 0;
    *meters = m;
    *got = *in_time = 0;
    if (plc_gw_store_daily_count(g->store, day, got, in_time) != PLC_OK)
        gw_store_failed(g);
}
