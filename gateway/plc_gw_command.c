/* The concentrator's commands (plc_gw.h): remote control read back, top-ups applied once,
 * on-demand reads; every one logged with its result, idempotent by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_crc.h"
#include "plc_gw_internal.h"

#define CMD_SLOTS 64            /* commands in hand at once */
#define READ_TIMEOUT_S 20       /* on-demand read (concentrator.md): 20 s ... */
#define READ_TIMEOUT_MAX_S 60   /* ... at most 60 */
#define DI_STATUS3 0x04000503u
#define DI_PURCHASES 0x03330201u
#define DI_REMAINING 0x00900200u
#define DI_TOPUP 0x070102FFu
#define DI_PRICE 0x04050100u    /* + the rate (1-4): the first tariff set's prices [R] */
#define ST3_RELAY_OPEN 0x0010u  /* status word 3 (gateway-upstream.md section 4) */
#define ST3_TRIP_CMD 0x0040u
#define ST3_ALARM 0x0080u
#define ST3_KEEP_POWER 0x1000u

/* a command's steps */
enum { S_ASK, S_CONTROL, S_STATUS, S_COUNT, S_WRITE, S_RECOUNT, S_REMAINING, S_DATE, S_TIME,
       S_PRICE, S_PRICE_CHECK, S_FW_INIT, S_FW_BLOCKS, S_FW_STATUS, S_FW_VERIFY, S_FW_ACTIVATE };

#define IMAGE_DISPATCH 0xF1      /* [R] image messages on the data service (sim/plc_meshnet.h) */
#define BLOCK_GAP_US 1500000u    /* blocks go unanswered: one every 1.5 s */
#define FIRMWARE_S 1800          /* a transfer gives up after this by default */
#define FIRMWARE_SWITCH_S 600    /* the switch this long after the check, by default */

typedef struct gw_command {
    plc_gw *g;
    int used;
    plc_gw_command_row row;
    plc_gw_cmd_kind kind;
    unsigned meter;
    int in_flight;
    unsigned step;
    int64_t deadline;           /* local time */
    plc_timer timer;
    /* a firmware transfer: the blocks still to send in this round, and how many went again */
    uint16_t todo[32], n_todo, next_todo, next_block, blocks;
    unsigned resent, rounds;
    int all_once;               /* every block sent at least once */
} gw_command;

static const char *const names[PLC_GW_CMD_KINDS] = {
    "read", "trip", "close", "keep-power-on", "keep-power-off", "alarm-on", "alarm-off", "topup",
    "set-time", "firmware", "price"};

const char *plc_gw_cmd_name(plc_gw_cmd_kind k)
{
    return k < PLC_GW_CMD_KINDS ? names[k] : "?";
}

int plc_gw_cmd_parse(const char *name, plc_gw_cmd_kind *k)
{
    for (unsigned i = 0; i < PLC_GW_CMD_KINDS; i++)
        if (strcmp(name, names[i]) == 0) {
            *k = (plc_gw_cmd_kind)i;
            return PLC_OK;
        }
    return PLC_ERR_ARG;
}

void plc_gw_set_result_callback(plc_gw *g, plc_gw_result_fn fn, void *user)
{
    g->result_fn = fn;
    g->result_user = user;
}

static void deliver(plc_gw *g, const plc_gw_command_row *row, int repeated)
{
    if (!g->result_fn)
        return;
    plc_gw_result r = {.status = row->result_code, .repeated = repeated};
    snprintf(r.id, sizeof(r.id), "%s", row->id);
    snprintf(r.json, sizeof(r.json), "%s", row->result);
    g->result_fn(g->result_user, &r);
}

/* A value as JSON: numbers and our blocks as they are, anything else quoted. */
static void json_value(const plc_dlt645_value *v, char *out, size_t cap)
{
    char t[160];
    gw_value_text(v, t, sizeof(t));
    const int bare = v->kind == PLC_DLT645_NUMBER || v->kind == PLC_DLT645_ENERGY_BLOCK;
    snprintf(out, cap, bare ? "%s" : "\"%s\"", t);
}

/* The command is over: logged, then its result given. */
static void conclude(gw_command *c, int status, const char *json)
{
    plc_gw *g = c->g;
    plc_timer_stop(g->loop, &c->timer);
    c->row.result_code = status;
    snprintf(c->row.result, sizeof(c->row.result), "%s", json);
    snprintf(c->row.status, sizeof(c->row.status), "%s", status == PLC_OK ? "done" : "failed");
    c->row.done_at = plc_gw_now(g);
    if (status != PLC_OK)
        g->cnt.commands_failed++;
    if (plc_gw_store_command_put(g->store, &c->row) != PLC_OK)
        gw_store_failed(g);
    if (c->in_flight)
        gw_meter_busy(g, c->meter, 0);
    c->used = 0;
    deliver(g, &c->row, 0);
}

static uint8_t control_code(plc_gw_cmd_kind k)
{
    static const uint8_t n1[PLC_GW_CMD_KINDS] = {
        [PLC_GW_CMD_TRIP] = 0x1A,     [PLC_GW_CMD_CLOSE] = 0x1B,     [PLC_GW_CMD_KEEP_ON] = 0x3A,
        [PLC_GW_CMD_KEEP_OFF] = 0x3B, [PLC_GW_CMD_ALARM_ON] = 0x2A, [PLC_GW_CMD_ALARM_OFF] = 0x2B};
    return n1[k];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A firmware step's message (behind the image dispatch) to the meter's node. */
static void send_image_step(gw_command *c)
{
    plc_gw *g = c->g;
    const unsigned block = g->image.block;
    uint8_t m[1 + 5 + 200 + 70];
    size_t n = 0;
    m[n++] = IMAGE_DISPATCH;
    switch (c->step) {
    case S_FW_INIT:
        m[n++] = 0x01;
        put32(m + n, g->image.id), n += 4;
        put32(m + n, (uint32_t)g->image.len), n += 4;
        m[n++] = (uint8_t)(block >> 8);
        m[n++] = (uint8_t)block;
        memcpy(m + n, g->image.sig, 64), n += 64;
        break;
    case S_FW_BLOCKS: {
        const unsigned b = c->next_block;
        const size_t off = (size_t)b * block;
        const size_t len = g->image.len - off < block ? g->image.len - off : block;
        const uint16_t crc = plc_crc16_xmodem(g->image.data + off, len);
        m[n++] = 0x02;
        m[n++] = (uint8_t)(b >> 8);
        m[n++] = (uint8_t)b;
        m[n++] = (uint8_t)(crc >> 8);
        m[n++] = (uint8_t)crc;
        memcpy(m + n, g->image.data + off, len), n += len;
        break;
    }
    case S_FW_STATUS: m[n++] = 0x03; break;
    case S_FW_VERIFY: m[n++] = 0x04; break;
    case S_FW_ACTIVATE:
        m[n++] = 0x05;
        put32(m + n, (uint32_t)c->row.arg), n += 4;
        break;
    }
    gmeter *x = &g->meter[c->meter];
    g->cnt.requests++;
    if (x->port || g->link.send(g->link.user, (uint16_t)x->m.short_addr, m, n) != PLC_OK)
        g->cnt.send_failures++; /* the timer tries again */
    /* blocks are not answered: the next one after the gap; the rest wait for an answer */
    c->in_flight = c->step != S_FW_BLOCKS;
    gw_meter_busy(g, c->meter, 1);
    plc_timer_start_in(g->loop, &c->timer,
                       c->step == S_FW_BLOCKS ? BLOCK_GAP_US : gw_answer_wait_us(g, c->meter));
}

/* Sends the frame of the current step and waits for its answer. */
static void send_step(gw_command *c)
{
    plc_gw *g = c->g;
    gmeter *x = &g->meter[c->meter];
    plc_dlt645_frame f;
    if (c->step >= S_FW_INIT) {
        send_image_step(c);
        return;
    }
    switch (c->step) {
    case S_ASK: plc_dlt645_read_request(x->addr, (uint32_t)c->row.arg, &f); break;
    case S_CONTROL: {
        plc_dlt645_time until = {0}, *u = NULL;
        if (c->kind == PLC_GW_CMD_KEEP_ON) {
            plc_gw_calendar(c->row.arg, &until);
            u = &until;
        }
        plc_dlt645_control_request(x->addr, 0x02, g->cfg.password, g->cfg.operator_code,
                                   control_code(c->kind), u, &f);
        break;
    }
    case S_STATUS: plc_dlt645_read_request(x->addr, DI_STATUS3, &f); break;
    case S_COUNT:
    case S_RECOUNT: plc_dlt645_read_request(x->addr, DI_PURCHASES, &f); break;
    case S_REMAINING: plc_dlt645_read_request(x->addr, DI_REMAINING, &f); break;
    case S_DATE:
    case S_TIME: { /* the time the meter will read it: now plus the one-way delay */
        plc_dlt645_value v = {.kind = c->step == S_DATE ? PLC_DLT645_DATE : PLC_DLT645_TIME};
        plc_gw_calendar(plc_gw_now(g) + (int64_t)((gw_one_way_us(g) + 500000) / 1000000), &v.t);
        plc_dlt645_write_request(x->addr, c->step == S_DATE ? 0x04000101u : 0x04000102u, 0x02,
                                 g->cfg.password, g->cfg.operator_code, &v, &f);
        break;
    }
    case S_PRICE: {
        const plc_dlt645_value v = {.kind = PLC_DLT645_NUMBER, .raw = c->row.arg & 0xFFFFFFFF,
                                    .decimals = 4};
        plc_dlt645_write_request(x->addr, DI_PRICE | (uint32_t)(c->row.arg >> 32), 0x02,
                                 g->cfg.password, g->cfg.operator_code, &v, &f);
        break;
    }
    case S_PRICE_CHECK:
        plc_dlt645_read_request(x->addr, DI_PRICE | (uint32_t)(c->row.arg >> 32), &f);
        break;
    case S_WRITE: {
        const plc_dlt645_value v = {.kind = PLC_DLT645_TOPUP, .raw = c->row.arg,
                                    .count = c->row.count, .decimals = 2};
        if (plc_dlt645_write_request(x->addr, DI_TOPUP, 0x02, g->cfg.password,
                                     g->cfg.operator_code, &v, &f) != PLC_DLT645_OK) {
            conclude(c, PLC_ERR_ARG, "{\"error\":\"the amount does not fit the top-up\"}");
            return;
        }
        break;
    }
    default: return;
    }
    gw_send_frame(g, c->meter, &f); /* refused now (counted): the timer tries again */
    c->in_flight = 1;
    gw_meter_busy(g, c->meter, 1);
    plc_timer_start_in(g->loop, &c->timer, gw_answer_wait_us(g, c->meter));
}

/* No answer: the same step again (a write again is safe: the meter refuses a repeated
 * purchase count) until the deadline. */
static void on_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    gw_command *c = user;
    if (c->step == S_FW_BLOCKS) { /* the gap after a block: the next one, or ask what came */
        if (++c->next_todo < c->n_todo || (!c->all_once && c->next_block + 1u < c->blocks)) {
            c->next_block = c->all_once ? c->todo[c->next_todo] : (uint16_t)(c->next_block + 1);
        } else {
            c->all_once = 1;
            c->step = S_FW_STATUS;
        }
        send_step(c);
        return;
    }
    c->g->cnt.timeouts++;
    if (plc_gw_now(c->g) >= c->deadline) {
        conclude(c, PLC_ERR_TIMEOUT, "{\"error\":\"no answer in time\"}");
        return;
    }
    send_step(c);
}

static int verified(plc_gw_cmd_kind k, unsigned sw)
{
    switch (k) {
    case PLC_GW_CMD_TRIP: return (sw & (ST3_RELAY_OPEN | ST3_TRIP_CMD)) == (ST3_RELAY_OPEN | ST3_TRIP_CMD);
    case PLC_GW_CMD_CLOSE: return !(sw & ST3_TRIP_CMD);
    case PLC_GW_CMD_KEEP_ON: return (sw & ST3_KEEP_POWER) != 0;
    case PLC_GW_CMD_KEEP_OFF: return !(sw & ST3_KEEP_POWER);
    case PLC_GW_CMD_ALARM_ON: return (sw & ST3_ALARM) != 0;
    case PLC_GW_CMD_ALARM_OFF: return !(sw & ST3_ALARM);
    default: return 0;
    }
}

/* One answer for the current step. */
static void step_answered(gw_command *c, const plc_dlt645_frame *f)
{
    plc_gw *g = c->g;
    char json[256];
    const int error = (f->ctrl & PLC_DLT645_C_ABNORMAL) != 0;
    plc_dlt645_value v = {0};
    if (!error && f->len >= 4) {
        const uint32_t di = plc_dlt645_di_get(f->data);
        if (plc_dlt645_value_decode(di, f->data + 4, f->len - 4u, &v) != PLC_DLT645_OK) {
            g->cnt.bad_frames++;
            return; /* wait on: the timer asks again */
        }
    }
    plc_timer_stop(g->loop, &c->timer);
    c->in_flight = 0;
    gw_meter_busy(g, c->meter, 0);
    g->cnt.answers++;
    const unsigned code = error && f->len >= 1 ? f->data[0] : 0;
    switch (c->step) {
    case S_ASK:
        if (error) {
            snprintf(json, sizeof(json), "{\"error\":\"the meter answered error 0x%02X\"}", code);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        {
            char value[180];
            json_value(&v, value, sizeof(value));
            snprintf(json, sizeof(json), "{\"di\":\"%08llX\",\"value\":%s}",
                     (unsigned long long)c->row.arg, value);
        }
        conclude(c, PLC_OK, json);
        return;
    case S_CONTROL:
        if (error) {
            snprintf(json, sizeof(json), "{\"error\":\"the meter refused the control\",\"code\":\"0x%02X\"}", code);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        c->step = S_STATUS;
        break;
    case S_STATUS:
        if (error) {
            conclude(c, PLC_ERR_METER, "{\"error\":\"the status word could not be read\"}");
            return;
        }
        snprintf(json, sizeof(json), "{\"status_word\":\"0x%04llX\",\"verified\":%s}",
                 (unsigned long long)v.raw, verified(c->kind, (unsigned)v.raw) ? "true" : "false");
        conclude(c, verified(c->kind, (unsigned)v.raw) ? PLC_OK : PLC_ERR_METER, json);
        return;
    case S_COUNT:
        if (error) {
            conclude(c, PLC_ERR_METER, "{\"error\":\"the purchase count could not be read\"}");
            return;
        }
        c->row.count = v.raw + 1; /* kept before the write: a retry carries the same count */
        if (plc_gw_store_command_put(g->store, &c->row) != PLC_OK) {
            gw_store_failed(g);
            conclude(c, PLC_ERR_STORE, "{\"error\":\"the command log could not be written\"}");
            return;
        }
        c->step = S_WRITE;
        break;
    case S_WRITE:
        c->step = S_RECOUNT; /* refused or not: the count says whether it is applied */
        break;
    case S_RECOUNT:
        if (error || v.raw < c->row.count) {
            snprintf(json, sizeof(json), "{\"error\":\"the meter did not take the top-up\","
                                         "\"purchase\":%lld}", (long long)c->row.count);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        c->step = S_REMAINING;
        break;
    case S_DATE:
    case S_TIME:
        if (error) {
            snprintf(json, sizeof(json), "{\"error\":\"the meter refused the time\",\"code\":\"0x%02X\"}", code);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        g->meter[c->meter].own_time_sets++; /* the meter counts it (status events) */
        if (c->step == S_DATE) {
            c->step = S_TIME;
            break;
        }
        {
            plc_dlt645_time t;
            plc_gw_calendar(plc_gw_now(g), &t);
            snprintf(json, sizeof(json), "{\"set\":\"%04d-%02d-%02d %02d:%02d:%02d\"}", t.year,
                     t.month, t.day, t.hour, t.minute, t.second);
            g->cnt.clocks_set++;
            if (plc_gw_store_event(g->store, plc_gw_now(g), "time-set", g->meter[c->meter].m.id,
                                   json) != PLC_OK)
                gw_store_failed(g);
        }
        conclude(c, PLC_OK, json);
        return;
    case S_PRICE:
        if (error) {
            snprintf(json, sizeof(json), "{\"error\":\"the meter refused the price\",\"code\":\"0x%02X\"}", code);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        g->meter[c->meter].own_programs++;
        c->step = S_PRICE_CHECK;
        break;
    case S_PRICE_CHECK: {
        const int64_t want = c->row.arg & 0xFFFFFFFF;
        const int ok = !error && v.raw == want;
        snprintf(json, sizeof(json), "{\"rate\":%lld,\"price\":%lld.%04lld,\"verified\":%s}",
                 (long long)(c->row.arg >> 32), (long long)(want / 10000),
                 (long long)(want % 10000), ok ? "true" : "false");
        conclude(c, ok ? PLC_OK : PLC_ERR_METER, json);
        return;
    }
    case S_REMAINING: {
        char rem[180] = "null";
        if (!error)
            json_value(&v, rem, sizeof(rem));
        snprintf(json, sizeof(json), "{\"purchase\":%lld,\"amount\":%lld.%02lld,\"remaining\":%s}",
                 (long long)c->row.count, (long long)(c->row.arg / 100),
                 (long long)(c->row.arg % 100), rem);
        conclude(c, PLC_OK, json);
        return;
    }
    }
}

void gw_commands_image_input(plc_gw *g, unsigned k, const uint8_t *m, size_t len)
{
    gw_command *c = NULL;
    for (unsigned i = 0; i < CMD_SLOTS && !c; i++)
        if (g->cmds[i].used && g->cmds[i].in_flight && g->cmds[i].meter == k &&
            g->cmds[i].kind == PLC_GW_CMD_FIRMWARE)
            c = &g->cmds[i];
    const uint8_t want = c ? (uint8_t)(0x80 | (c->step == S_FW_INIT     ? 0x01
                                              : c->step == S_FW_STATUS  ? 0x03
                                              : c->step == S_FW_VERIFY  ? 0x04
                                                                        : 0x05))
                           : 0;
    if (!c || len < 2 || m[0] != want) {
        g->cnt.unsolicited++;
        return;
    }
    plc_timer_stop(g->loop, &c->timer);
    c->in_flight = 0;
    gw_meter_busy(g, c->meter, 0);
    g->cnt.answers++;
    char json[256];
    switch (c->step) {
    case S_FW_INIT:
        if (m[1] != 0) {
            snprintf(json, sizeof(json), "{\"error\":\"the node refused the image\",\"status\":%u}", m[1]);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        c->step = S_FW_BLOCKS; /* every block once, then what is missing */
        c->next_block = 0;
        break;
    case S_FW_STATUS: {
        if (len < 16) {
            g->cnt.bad_frames++;
            return;
        }
        const unsigned received = (unsigned)(m[6] << 8 | m[7]), blocks = (unsigned)(m[8] << 8 | m[9]);
        const unsigned first = (unsigned)(m[10] << 8 | m[11]);
        if (blocks != c->blocks) { /* the node lost the transfer (restarted): from the start */
            c->step = S_FW_INIT;
            c->all_once = 0;
            break;
        }
        if (received >= blocks) {
            c->step = S_FW_VERIFY;
            break;
        }
        c->n_todo = 0;
        for (unsigned b = 0; b < 32; b++)
            if (m[12 + b / 8] >> (7 - b % 8) & 1)
                c->todo[c->n_todo++] = (uint16_t)(first + b);
        if (!c->n_todo) /* nothing missing among the 32 shown: ask again */
            break;
        c->resent += c->n_todo;
        c->rounds++;
        c->next_todo = 0;
        c->next_block = c->todo[0];
        c->step = S_FW_BLOCKS;
        break;
    }
    case S_FW_VERIFY:
        if (m[1] != 0) {
            snprintf(json, sizeof(json), "{\"error\":\"the node refused the image: %s\",\"status\":%u}",
                     m[1] == 5 ? "signature" : "check", m[1]);
            conclude(c, PLC_ERR_METER, json);
            return;
        }
        c->step = S_FW_ACTIVATE;
        break;
    case S_FW_ACTIVATE:
        snprintf(json, sizeof(json), "{\"image\":%lu,\"blocks\":%u,\"resent\":%u,\"switch_in_s\":%lld}",
                 (unsigned long)g->image.id, c->blocks, c->resent, (long long)c->row.arg);
        conclude(c, m[1] == 0 ? PLC_OK : PLC_ERR_METER, json);
        return;
    }
    send_step(c);
}

int gw_commands_input(plc_gw *g, unsigned k, const plc_dlt645_frame *f)
{
    for (unsigned i = 0; i < CMD_SLOTS; i++) {
        gw_command *c = &g->cmds[i];
        if (c->used && c->in_flight && c->meter == k && c->kind != PLC_GW_CMD_FIRMWARE) {
            step_answered(c, f);
            return 1;
        }
    }
    return 0;
}

unsigned gw_commands_busy(const plc_gw *g)
{
    unsigned n = 0;
    for (unsigned i = 0; i < CMD_SLOTS; i++)
        n += g->cmds[i].used && g->cmds[i].in_flight ? 1 : 0;
    return n;
}

unsigned gw_commands_start(plc_gw *g, unsigned room)
{
    unsigned started = 0;
    for (unsigned i = 0; i < CMD_SLOTS && started < room; i++) {
        gw_command *c = &g->cmds[i];
        if (!c->used || c->in_flight || plc_timer_pending(&c->timer))
            continue;
        if (plc_gw_now(g) >= c->deadline) {
            conclude(c, PLC_ERR_TIMEOUT, "{\"error\":\"no answer in time\"}");
            continue;
        }
        if (!gw_meter_ready(g, c->meter))
            continue; /* a reading in flight, its line busy, or not on the mesh (yet) */
        send_step(c);
        started++;
    }
    return started;
}

/* A command into a free slot, at its first step (a top-up whose count is logged already goes
 * on with the write). */
static int take(plc_gw *g, const plc_gw_command_row *row, plc_gw_cmd_kind kind, int k,
                unsigned timeout_s)
{
    gw_command *c = NULL;
    for (unsigned i = 0; i < CMD_SLOTS && !c; i++)
        if (!g->cmds[i].used)
            c = &g->cmds[i];
    if (!c)
        return PLC_ERR_FULL;
    c->used = 1;
    c->row = *row;
    c->kind = kind;
    c->meter = (unsigned)k;
    c->in_flight = 0;
    c->step = kind == PLC_GW_CMD_READ       ? S_ASK
              : kind == PLC_GW_CMD_TOPUP    ? (row->count ? S_WRITE : S_COUNT)
              : kind == PLC_GW_CMD_SET_TIME ? S_DATE
              : kind == PLC_GW_CMD_FIRMWARE ? S_FW_INIT
              : kind == PLC_GW_CMD_PRICE    ? S_PRICE
                                            : S_CONTROL;
    c->n_todo = c->next_todo = c->next_block = 0;
    c->resent = c->rounds = 0;
    c->all_once = 0;
    c->blocks = g->image.block ? (uint16_t)((g->image.len + g->image.block - 1) / g->image.block) : 0;
    c->deadline = plc_gw_now(g) + timeout_s;
    return PLC_OK;
}

static unsigned timeout_of(const plc_gw *g, plc_gw_cmd_kind kind, unsigned asked)
{
    if (kind == PLC_GW_CMD_FIRMWARE)
        return asked ? asked : FIRMWARE_S;
    if (kind != PLC_GW_CMD_READ)
        return asked ? asked : g->cfg.command_s;
    return !asked ? READ_TIMEOUT_S : asked > READ_TIMEOUT_MAX_S ? READ_TIMEOUT_MAX_S : asked;
}

int plc_gw_command_submit(plc_gw *g, const plc_gw_command *cmd)
{
    if (!cmd || !cmd->id[0] || cmd->kind >= PLC_GW_CMD_KINDS)
        return PLC_ERR_ARG;
    plc_gw_command_row row;
    const int have = plc_gw_store_command_get(g->store, cmd->id, &row);
    if (have < 0) {
        gw_store_failed(g);
        return PLC_ERR_STORE;
    }
    if (have) { /* known: never applied again */
        g->cnt.commands_repeated++;
        if (strcmp(row.status, "queued") != 0)
            deliver(g, &row, 1);
        return PLC_OK;
    }
    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "%s", cmd->id);
    snprintf(row.meter, sizeof(row.meter), "%s", cmd->meter);
    snprintf(row.kind, sizeof(row.kind), "%s", plc_gw_cmd_name(cmd->kind));
    snprintf(row.status, sizeof(row.status), "queued");
    row.ts = plc_gw_now(g);
    row.arg = cmd->arg;
    g->cnt.commands++;
    uint8_t addr[6];
    const int k = plc_dlt645_addr_parse(cmd->meter, addr) == PLC_DLT645_OK ? gw_meter_of_addr(g, addr) : -1;
    if (k < 0 || !g->meter[k].m.in_archive) {
        g->cnt.commands_failed++;
        row.result_code = PLC_ERR_UNKNOWN_METER;
        snprintf(row.status, sizeof(row.status), "failed");
        snprintf(row.result, sizeof(row.result), "{\"error\":\"no such meter in the archive\"}");
        row.done_at = row.ts;
        if (plc_gw_store_command_put(g->store, &row) != PLC_OK)
            gw_store_failed(g);
        deliver(g, &row, 0);
        return PLC_OK;
    }
    if (cmd->kind == PLC_GW_CMD_TOPUP && (cmd->arg <= 0 || cmd->arg > 99999999))
        return PLC_ERR_ARG;
    if (cmd->kind == PLC_GW_CMD_PRICE &&
        ((cmd->arg >> 32) < 1 || (cmd->arg >> 32) > 4 || (cmd->arg & 0xFFFFFFFF) == 0 ||
         (cmd->arg & 0xFFFFFFFF) > 99999999))
        return PLC_ERR_ARG;
    if (cmd->kind == PLC_GW_CMD_FIRMWARE) {
        if (!g->image.data || g->meter[k].port)
            return PLC_ERR_ARG; /* no image set, or not a meter on the mesh */
        if (cmd->arg <= 0)
            row.arg = FIRMWARE_SWITCH_S;
    }
    const int rc = take(g, &row, cmd->kind, k, timeout_of(g, cmd->kind, cmd->timeout_s));
    if (rc != PLC_OK)
        return rc; /* not logged: the head-end may send it again */
    if (plc_gw_store_command_put(g->store, &row) != PLC_OK) {
        gw_store_failed(g);
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

static int in_hand(const plc_gw *g, const char *id)
{
    for (unsigned i = 0; i < CMD_SLOTS; i++)
        if (g->cmds[i].used && strcmp(g->cmds[i].row.id, id) == 0)
            return 1;
    return 0;
}

/* A queued command from the log (a restart, or put there by plc-gateway): in hand, or
 * failed when it names no meter of the archive or no kind we know. */
static void adopt(plc_gw *g, plc_gw_command_row *row, int starting)
{
    plc_gw_cmd_kind kind;
    uint8_t addr[6];
    const int k = plc_dlt645_addr_parse(row->meter, addr) == PLC_DLT645_OK ? gw_meter_of_addr(g, addr) : -1;
    const int known = plc_gw_cmd_parse(row->kind, &kind) == PLC_OK;
    if (known && kind == PLC_GW_CMD_FIRMWARE && !g->image.data && starting)
        return; /* the daemon sets its image after it starts: the next poll takes it */
    if (known && kind == PLC_GW_CMD_FIRMWARE && (!g->image.data || (k >= 0 && g->meter[k].port))) {
        g->cnt.commands_failed++;
        row->result_code = PLC_ERR_ARG;
        snprintf(row->status, sizeof(row->status), "failed");
        snprintf(row->result, sizeof(row->result),
                 "{\"error\":\"no firmware image set, or not a meter on the mesh\"}");
        row->done_at = plc_gw_now(g);
        if (plc_gw_store_command_put(g->store, row) != PLC_OK)
            gw_store_failed(g);
        deliver(g, row, 0);
        return;
    }
    if (known && kind == PLC_GW_CMD_FIRMWARE && row->arg <= 0)
        row->arg = FIRMWARE_SWITCH_S;
    if (known && k >= 0 && g->meter[k].m.in_archive) {
        take(g, row, kind, k, timeout_of(g, kind, 0)); /* no slot free: the next poll */
        return;
    }
    g->cnt.commands_failed++;
    row->result_code = known ? PLC_ERR_UNKNOWN_METER : PLC_ERR_ARG;
    snprintf(row->status, sizeof(row->status), "failed");
    snprintf(row->result, sizeof(row->result), "{\"error\":\"%s\"}",
             known ? "no such meter in the archive" : "no such command");
    row->done_at = plc_gw_now(g);
    if (plc_gw_store_command_put(g->store, row) != PLC_OK)
        gw_store_failed(g);
    deliver(g, row, 0);
}

static int poll_log(plc_gw *g, int starting)
{
    plc_gw_command_row rows[CMD_SLOTS];
    unsigned n = 0;
    if (plc_gw_store_commands_queued(g->store, rows, CMD_SLOTS, &n) != PLC_OK) {
        gw_store_failed(g);
        return PLC_ERR_STORE;
    }
    for (unsigned i = 0; i < n && i < CMD_SLOTS; i++)
        if (!in_hand(g, rows[i].id))
            adopt(g, &rows[i], starting);
    return PLC_OK;
}

int gw_commands_poll(plc_gw *g)
{
    return poll_log(g, 0);
}

int gw_commands_load(plc_gw *g, char *err, size_t errlen)
{
    g->cmds = calloc(CMD_SLOTS, sizeof(gw_command));
    if (!g->cmds) {
        snprintf(err, errlen, "out of memory");
        return PLC_ERR_NOMEM;
    }
    for (unsigned i = 0; i < CMD_SLOTS; i++) {
        g->cmds[i].g = g;
        plc_timer_init(&g->cmds[i].timer, on_timeout, &g->cmds[i]);
    }
    if (poll_log(g, 1) != PLC_OK) { /* interrupted by a restart: go on */
        snprintf(err, errlen, "store: %s", plc_gw_store_message(g->store));
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

void gw_commands_free(plc_gw *g)
{
    if (!g->cmds)
        return;
    for (unsigned i = 0; i < CMD_SLOTS; i++)
        plc_timer_stop(g->loop, &g->cmds[i].timer);
    free(g->cmds);
    g->cmds = NULL;
}
