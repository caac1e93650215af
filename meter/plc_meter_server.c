#include "plc_meter_server.h"

#include <string.h>

static int abnormal(const uint8_t *addr, uint8_t func, uint8_t err, plc_dlt645_frame *r)
{
    memcpy(r->addr, addr, 6);
    r->ctrl = (uint8_t)(func | PLC_DLT645_C_REPLY | PLC_DLT645_C_ABNORMAL);
    r->len = 1;
    r->data[0] = err;
    return 1;
}

static int normal(const uint8_t *addr, uint8_t func, const uint8_t *data, unsigned len,
                  plc_dlt645_frame *r)
{
    memcpy(r->addr, addr, 6);
    r->ctrl = (uint8_t)(func | PLC_DLT645_C_REPLY);
    r->len = (uint8_t)len;
    if (len)
        memmove(r->data, data, len);
    return 1;
}

/* PA P0 P1 P2: level 02 or 04 and the 6-digit password, low byte first. */
static int password_ok(const plc_meter_regs *g, const uint8_t *p)
{
    int64_t pw;
    if ((p[0] != 0x02 && p[0] != 0x04) || plc_dlt645_bcd_decode(p + 1, 3, 0, &pw))
        return 0;
    return g->ops->password_ok(g->meter, p[0], (uint32_t)pw);
}

/* A load profile read (06000001 / 060n0001 with N and a time): whole records from that time
 * on, as many as N and the reply's DATA allow. */
static int serve_profile(const plc_meter_regs *g, uint64_t now, const uint8_t *addr,
                         const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    uint8_t classes;
    unsigned n;
    plc_dlt645_time from;
    if (!g->ops->profile ||
        plc_dlt645_profile_parse_request(q->data, q->len, &classes, &n, &from) != PLC_DLT645_OK)
        return abnormal(addr, PLC_DLT645_READ, PLC_DLT645_ERR_NO_DATA, r);
    uint8_t out[PLC_DLT645_MAX_DATA];
    memcpy(out, q->data, 4);
    unsigned len = 4, k = 0;
    plc_dlt645_profile_record rec;
    for (; k < n && g->ops->profile(g->meter, now, &from, k, classes, &rec) == PLC_DLT645_OK; k++) {
        const int w = plc_dlt645_profile_record_encode(&rec, out + len, sizeof(out) - len);
        if (w < 0)
            break; /* no room for a whole one: the rest on the next read */
        len += (unsigned)w;
    }
    if (len == 4)
        return abnormal(addr, PLC_DLT645_READ, PLC_DLT645_ERR_NO_DATA, r);
    return normal(addr, PLC_DLT645_READ, out, len, r);
}

static int serve_read(const plc_meter_regs *g, uint64_t now, const uint8_t *addr,
                      const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    const uint32_t di = plc_dlt645_di_get(q->data);
    if ((di & 0xFF00FFFFu) == PLC_DLT645_PROFILE_DI)
        return serve_profile(g, now, addr, q, r);
    uint8_t out[4 + 64]; /* the longest value: a programming record (50 bytes) */
    plc_dlt645_di_put(di, out);
    plc_dlt645_value v;
    memset(&v, 0, sizeof(v));
    const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
    int n = -1;
    if (info && g->ops->read(g->meter, now, di, &v) == PLC_DLT645_OK) {
        v.kind = info->kind;
        n = plc_dlt645_value_encode(di, &v, out + 4, sizeof(out) - 4);
    }
    if (n < 0)
        return abnormal(addr, PLC_DLT645_READ, PLC_DLT645_ERR_NO_DATA, r);
    return normal(addr, PLC_DLT645_READ, out, 4u + (unsigned)n, r);
}

static int serve_write(const plc_meter_regs *g, uint64_t now, const uint8_t *addr,
                       const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    const uint32_t di = plc_dlt645_di_get(q->data);
    if (!password_ok(g, q->data + 4))
        return abnormal(addr, PLC_DLT645_WRITE, PLC_DLT645_ERR_PASSWORD, r);
    plc_dlt645_value v;
    int64_t op;
    if (plc_dlt645_value_decode(di, q->data + 12, q->len - 12u, &v) != PLC_DLT645_OK ||
        plc_dlt645_bcd_decode(q->data + 8, 4, 0, &op) != PLC_DLT645_OK) /* C0-C3 */
        return abnormal(addr, PLC_DLT645_WRITE, PLC_DLT645_ERR_OTHER, r);
    const int err = g->ops->write(g->meter, now, di, &v, (uint32_t)op);
    return err ? abnormal(addr, PLC_DLT645_WRITE, (uint8_t)err, r)
               : normal(addr, PLC_DLT645_WRITE, NULL, 0, r);
}

static int serve_relay(const plc_meter_regs *g, uint64_t now, const uint8_t *addr,
                       const plc_dlt645_frame *q, plc_dlt645_frame *r)
{
    if (!password_ok(g, q->data))
        return abnormal(addr, PLC_DLT645_RELAY, PLC_DLT645_ERR_PASSWORD, r);
    plc_dlt645_time until = {0};
    const uint8_t cmd = q->data[8];
    if (cmd == 0x3A && plc_dlt645_datetime_decode(q->data + 10, &until) != PLC_DLT645_OK)
        return abnormal(addr, PLC_DLT645_RELAY, PLC_DLT645_ERR_OTHER, r);
    const int err = g->ops->control(g->meter, now, cmd, &until);
    return err ? abnormal(addr, PLC_DLT645_RELAY, (uint8_t)err, r)
               : normal(addr, PLC_DLT645_RELAY, NULL, 0, r);
}

int plc_meter_serve(const plc_meter_regs *g, uint64_t now, const plc_dlt645_frame *q,
                    plc_dlt645_frame *r)
{
    if (!g || !q || !r)
        return 0;
    const uint8_t *addr = g->ops->address(g->meter);
    if ((q->ctrl & PLC_DLT645_C_REPLY) || !plc_dlt645_addr_matches(q->addr, addr))
        return 0;
    const uint8_t func = plc_dlt645_function(q);
    const int broadcast = plc_dlt645_addr_is_broadcast(q->addr);
    memset(r, 0, sizeof(*r));
    switch (func) {
    case PLC_DLT645_BROADCAST_TIME: {
        plc_dlt645_time t;
        if (q->len == 6 && plc_dlt645_datetime_decode(q->data, &t) == PLC_DLT645_OK)
            g->ops->sync_time(g->meter, now, &t);
        return 0; /* never answered */
    }
    case PLC_DLT645_READ:
        return broadcast ? 0 : serve_read(g, now, addr, q, r);
    case PLC_DLT645_READ_FOLLOWUP:
        return broadcast ? 0 : abnormal(addr, func, PLC_DLT645_ERR_NO_DATA, r);
    case PLC_DLT645_READ_ADDRESS:
        return normal(addr, func, addr, 6, r);
    case PLC_DLT645_WRITE:
        return broadcast ? 0 : serve_write(g, now, addr, q, r);
    case PLC_DLT645_WRITE_ADDRESS:
        if (!plc_dlt645_addr_is_wildcard(q->addr))
            return abnormal(addr, func, PLC_DLT645_ERR_OTHER, r);
        for (unsigned i = 0; i < 6; i++)
            if ((q->data[i] >> 4) > 9 || (q->data[i] & 0xF) > 9)
                return abnormal(addr, func, PLC_DLT645_ERR_OTHER, r);
        g->ops->set_address(g->meter, q->data);
        return normal(g->ops->address(g->meter), func, NULL, 0, r);
    case PLC_DLT645_FREEZE:
        return broadcast ? 0 : normal(addr, func, NULL, 0, r);
    case PLC_DLT645_CHANGE_BAUD: {
        const uint8_t b = q->data[0];
        if (b == 0 || (b & (b - 1)) || (b & 0x81))
            return abnormal(addr, func, PLC_DLT645_ERR_BAUD, r);
        return normal(addr, func, q->data, 1, r);
    }
    case PLC_DLT645_CHANGE_PASSWORD: {
        int64_t pw;
        if (!password_ok(g, q->data + 4) || plc_dlt645_bcd_decode(q->data + 9, 3, 0, &pw))
            return abnormal(addr, func, PLC_DLT645_ERR_PASSWORD, r);
        g->ops->set_password(g->meter, q->data[8], (uint32_t)pw);
        return normal(addr, func, q->data + 8, 4, r);
    }
    case PLC_DLT645_CLEAR_DEMAND:
    case PLC_DLT645_CLEAR_EVENTS:
    case PLC_DLT645_CLEAR_METER:
        if (broadcast || !password_ok(g, q->data))
            return broadcast ? 0 : abnormal(addr, func, PLC_DLT645_ERR_PASSWORD, r);
        g->ops->clear(g->meter, now, func);
        return normal(addr, func, NULL, 0, r);
    case PLC_DLT645_RELAY:
        return broadcast ? 0 : serve_relay(g, now, addr, q, r);
    default:
        return abnormal(addr, func, PLC_DLT645_ERR_OTHER, r);
    }
}
