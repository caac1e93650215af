/* plc-dlt645: DL/T 645-2007 frames on the command line.
 *   plc-dlt645 decode <hex...>        one JSON object; exit 1 with the error named
 *   plc-dlt645 encode read --addr 123456789012 --di 00010000
 *   plc-dlt645 encode read-followup --addr A --di D --seq N
 *   plc-dlt645 encode read-address
 *   plc-dlt645 encode write --addr A --di D --value V [--password 123456] [--operator 00000000]
 *   plc-dlt645 encode relay --addr A --action trip|close|alarm|alarm-off|keep|keep-off
 *                           [--until "YYYY-MM-DD hh:mm:ss"] [--password P] [--operator C]
 *   plc-dlt645 encode time-sync --time "YYYY-MM-DD hh:mm:ss"
 *   plc-dlt645 encode freeze --addr A
 * Options common to encode: --preamble N (FE bytes, default 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_dlt645.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: plc-dlt645 decode <hex>\n"
            "       plc-dlt645 encode read|read-followup|read-address|write|relay|time-sync|freeze"
            " [--addr 12 digits] [--di 8 hex digits] [--seq N] [--value V]\n"
            "              [--action trip|close|alarm|alarm-off|keep|keep-off] [--until T]"
            " [--time T] [--password 6 digits] [--operator 8 hex digits] [--preamble 0..4]\n");
    return 2;
}

static int fail(const char *what, int code)
{
    printf("{\"error\":\"%s\",\"code\":%d}\n", what, code);
    return 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void print_value(uint32_t di, const uint8_t *p, size_t n)
{
    const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
    printf(",\"di\":\"%08X\"", di);
    if (!info) {
        printf(",\"value_error\":\"%s\"", plc_dlt645_strerror(PLC_DLT645_E_UNKNOWN_DI));
        return;
    }
    printf(",\"name\":\"%s\"", info->name);
    if (n == 0)
        return; /* a request: the DI alone */
    plc_dlt645_value v;
    const int rc = plc_dlt645_value_decode(di, p, n, &v);
    if (rc != PLC_DLT645_OK) {
        printf(",\"value_error\":\"%s\"", plc_dlt645_strerror(rc));
        return;
    }
    switch (v.kind) {
    case PLC_DLT645_NUMBER: {
        const int64_t a = v.raw < 0 ? -v.raw : v.raw;
        int64_t scale = 1;
        for (unsigned i = 0; i < v.decimals; i++)
            scale *= 10;
        printf(",\"value\":%s%lld", v.raw < 0 ? "-" : "", (long long)(a / scale));
        if (v.decimals)
            printf(".%0*lld", v.decimals, (long long)(a % scale));
        printf(",\"unit\":\"%s\"", info->unit);
        break;
    }
    case PLC_DLT645_DIGITS: printf(",\"value\":\"%012lld\"", (long long)v.raw); break;
    case PLC_DLT645_HEX: printf(",\"value\":\"0x%04llX\"", (long long)v.raw); break;
    case PLC_DLT645_DATE:
        printf(",\"value\":\"%04d-%02d-%02d\",\"weekday\":%d", v.t.year, v.t.month, v.t.day,
               v.t.weekday);
        break;
    case PLC_DLT645_TIME:
        printf(",\"value\":\"%02d:%02d:%02d\"", v.t.hour, v.t.minute, v.t.second);
        break;
    case PLC_DLT645_DATETIME:
    case PLC_DLT645_RECORD:
        printf(",\"value\":\"%04d-%02d-%02d %02d:%02d:%02d\"", v.t.year, v.t.month, v.t.day,
               v.t.hour, v.t.minute, v.t.second);
        if (v.kind == PLC_DLT645_RECORD)
            printf(",\"end\":\"%04d-%02d-%02d %02d:%02d:%02d\"", v.t_end.year, v.t_end.month,
                   v.t_end.day, v.t_end.hour, v.t_end.minute, v.t_end.second);
        break;
    case PLC_DLT645_FREEZE_TIME:
        printf(",\"value\":\"%04d-%02d-%02d %02d:%02d\"", v.t.year, v.t.month, v.t.day, v.t.hour,
               v.t.minute);
        break;
    case PLC_DLT645_TIMESET_RECORD:
    case PLC_DLT645_PROGRAM_RECORD: {
        const plc_dlt645_time *a = &v.t, *b = &v.t_end;
        printf(",\"operator\":\"%08lld\",\"%s\":\"%04d-%02d-%02d %02d:%02d:%02d\"",
               (long long)v.raw, v.kind == PLC_DLT645_TIMESET_RECORD ? "before" : "at", a->year,
               a->month, a->day, a->hour, a->minute, a->second);
        if (v.kind == PLC_DLT645_TIMESET_RECORD)
            printf(",\"after\":\"%04d-%02d-%02d %02d:%02d:%02d\"", b->year, b->month, b->day,
                   b->hour, b->minute, b->second);
        if (v.kind == PLC_DLT645_PROGRAM_RECORD) {
            printf(",\"dis\":[");
            for (unsigned k = 0; k < v.n_dis; k++)
                printf("%s\"%08X\"", k ? "," : "", (unsigned)v.dis[k]);
            printf("]");
        }
        break;
    }
    case PLC_DLT645_TOPUP:
        printf(",\"value\":%lld.%02lld,\"count\":%lld,\"unit\":\"%s\"", (long long)(v.raw / 100),
               (long long)(v.raw % 100), (long long)v.count, info->unit);
        break;
    case PLC_DLT645_ENERGY_BLOCK:
        printf(",\"value\":%lld.%02lld,\"tariffs\":[", (long long)(v.raw / 100),
               (long long)(v.raw % 100));
        for (unsigned k = 0; k < 4; k++)
            printf("%s%lld.%02lld", k ? "," : "", (long long)(v.tariff[k] / 100),
                   (long long)(v.tariff[k] % 100));
        printf("],\"unit\":\"%s\"", info->unit);
        break;
    }
}

static int decode(int argc, char **argv)
{
    uint8_t buf[1024];
    size_t n = 0;
    int half = -1;
    for (int a = 0; a < argc; a++)
        for (const char *s = argv[a]; *s; s++) {
            if (*s == ' ' || *s == ':' || *s == '\t' || *s == '\n' || *s == '\r')
                continue;
            const int v = hexval(*s);
            if (v < 0)
                return fail("not hexadecimal", PLC_DLT645_E_ARG);
            if (half < 0) {
                half = v;
            } else {
                if (n == sizeof(buf))
                    return fail(plc_dlt645_strerror(PLC_DLT645_E_OVERSIZE), PLC_DLT645_E_OVERSIZE);
                buf[n++] = (uint8_t)(half << 4 | v);
                half = -1;
            }
        }
    if (half >= 0)
        return fail("odd number of hex digits", PLC_DLT645_E_ARG);
    plc_dlt645_frame f;
    size_t used;
    const int rc = plc_dlt645_decode(buf, n, &f, &used);
    if (rc != PLC_DLT645_OK)
        return fail(plc_dlt645_strerror(rc), rc);
    if (used != n)
        return fail("bytes after the frame", PLC_DLT645_E_LENGTH);
    char addr[13];
    plc_dlt645_addr_format(f.addr, addr);
    const uint8_t func = plc_dlt645_function(&f);
    const int reply = (f.ctrl & PLC_DLT645_C_REPLY) != 0;
    const int abnormal = (f.ctrl & PLC_DLT645_C_ABNORMAL) != 0;
    printf("{\"address\":\"%s\",\"control\":\"0x%02X\",\"function\":\"%s\",\"function_code\":"
           "\"0x%02X\",\"direction\":\"%s\",\"abnormal\":%s,\"followup\":%s",
           addr, f.ctrl, plc_dlt645_function_name(func), func,
           reply ? "reply" : "request", abnormal ? "true" : "false",
           (f.ctrl & PLC_DLT645_C_FOLLOWUP) ? "true" : "false");
    if (abnormal) {
        static const char *bits[] = {"other error", "no requested data", "password error",
                                     "baud rate cannot change", "year zone count over",
                                     "day period count over", "tariff count over"};
        printf(",\"error_byte\":\"0x%02X\",\"errors\":[", f.data[0]);
        int first = 1;
        for (unsigned b = 0; b < 7; b++)
            if (f.data[0] & (1u << b)) {
                printf("%s\"%s\"", first ? "" : ",", bits[b]);
                first = 0;
            }
        printf("]");
    } else if ((func == PLC_DLT645_READ || func == PLC_DLT645_WRITE) && f.len >= 4) {
        const uint32_t di = plc_dlt645_di_get(f.data);
        if (func == PLC_DLT645_READ && reply)
            print_value(di, f.data + 4, f.len - 4u);
        else if (func == PLC_DLT645_WRITE && !reply)
            print_value(di, f.data + 12, f.len - 12u);
        else
            print_value(di, NULL, 0);
    } else if (func == PLC_DLT645_READ_FOLLOWUP && f.len >= 5) {
        printf(",\"seq\":%u", f.data[f.len - 1]);
        print_value(plc_dlt645_di_get(f.data), reply ? f.data + 4 : NULL,
                    reply ? f.len - 5u : 0);
    } else if ((func == PLC_DLT645_READ_ADDRESS && reply) ||
               (func == PLC_DLT645_WRITE_ADDRESS && !reply)) {
        char a2[13];
        plc_dlt645_addr_format(f.data, a2);
        printf(",\"value\":\"%s\"", a2);
    } else if (func == PLC_DLT645_BROADCAST_TIME) {
        plc_dlt645_time t;
        if (plc_dlt645_datetime_decode(f.data, &t) == PLC_DLT645_OK)
            printf(",\"value\":\"%04d-%02d-%02d %02d:%02d:%02d\"", t.year, t.month, t.day,
                   t.hour, t.minute, t.second);
        else
            printf(",\"value_error\":\"%s\"", plc_dlt645_strerror(PLC_DLT645_E_BCD));
    }
    printf(",\"data_len\":%u}\n", f.len);
    return 0;
}

static int parse_time(const char *s, plc_dlt645_time *t)
{
    memset(t, 0, sizeof(*t));
    if (!s || sscanf(s, "%d-%d-%d %d:%d:%d", &t->year, &t->month, &t->day, &t->hour,
                     &t->minute, &t->second) != 6 ||
        t->year < 2000 || t->year > 2099 || t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > 31 || t->hour > 23 || t->minute > 59 || t->second > 59)
        return -1;
    return 0;
}

static int put_password(const char *pw, const char *op, uint8_t *p)
{
    p[0] = 0x02;
    char *end;
    const long v = strtol(pw ? pw : "123456", &end, 10);
    if (*end || v < 0 || v > 999999 || plc_dlt645_bcd_encode(v, 3, 0, p + 1) < 0)
        return -1;
    const unsigned long o = strtoul(op ? op : "00000000", &end, 16);
    if (*end)
        return -1;
    plc_dlt645_di_put((uint32_t)o, p + 4);
    return 0;
}

static int encode(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    const char *cmd = argv[0];
    const char *addr = NULL, *di_s = NULL, *value = NULL, *action = NULL, *until = NULL,
               *time_s = NULL, *pw = NULL, *op = NULL;
    unsigned seq = 0, preamble = 4;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (i + 1 >= argc)
            return usage();
        const char *v = argv[++i];
        if (!strcmp(k, "--addr")) addr = v;
        else if (!strcmp(k, "--di")) di_s = v;
        else if (!strcmp(k, "--value")) value = v;
        else if (!strcmp(k, "--action")) action = v;
        else if (!strcmp(k, "--until")) until = v;
        else if (!strcmp(k, "--time")) time_s = v;
        else if (!strcmp(k, "--password")) pw = v;
        else if (!strcmp(k, "--operator")) op = v;
        else if (!strcmp(k, "--seq")) seq = (unsigned)atoi(v);
        else if (!strcmp(k, "--preamble")) preamble = (unsigned)atoi(v);
        else return usage();
    }
    plc_dlt645_frame f;
    memset(&f, 0, sizeof(f));
    if (addr && plc_dlt645_addr_parse(addr, f.addr) != PLC_DLT645_OK) {
        fprintf(stderr, "plc-dlt645: --addr needs 12 digits (or A wildcards)\n");
        return 2;
    }
    uint32_t di = 0;
    if (di_s) {
        char *end;
        di = (uint32_t)strtoul(di_s, &end, 16);
        if (*end || strlen(di_s) != 8) {
            fprintf(stderr, "plc-dlt645: --di needs 8 hex digits\n");
            return 2;
        }
    }
    const int needs_addr = strcmp(cmd, "read-address") && strcmp(cmd, "time-sync");
    if (needs_addr && !addr) {
        fprintf(stderr, "plc-dlt645: %s needs --addr\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "read") || !strcmp(cmd, "read-followup")) {
        if (!di_s)
            return usage();
        plc_dlt645_read_request(f.addr, di, &f);
        if (!strcmp(cmd, "read-followup")) {
            f.ctrl = PLC_DLT645_READ_FOLLOWUP;
            f.data[4] = (uint8_t)seq;
            f.len = 5;
        }
    } else if (!strcmp(cmd, "read-address")) {
        memset(f.addr, 0xAA, 6);
        f.ctrl = PLC_DLT645_READ_ADDRESS;
    } else if (!strcmp(cmd, "freeze")) {
        f.ctrl = PLC_DLT645_FREEZE;
        f.len = 4;
        memset(f.data, 0x99, 4); /* mmhhDDMM all 99: freeze now */
    } else if (!strcmp(cmd, "time-sync")) {
        plc_dlt645_time t;
        if (parse_time(time_s, &t))
            return fail("bad --time (YYYY-MM-DD hh:mm:ss)", PLC_DLT645_E_ARG);
        plc_dlt645_time_sync(&t, &f);
    } else if (!strcmp(cmd, "write")) {
        const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
        if (!di_s || !value)
            return usage();
        if (!info)
            return fail(plc_dlt645_strerror(PLC_DLT645_E_UNKNOWN_DI), PLC_DLT645_E_UNKNOWN_DI);
        f.ctrl = PLC_DLT645_WRITE;
        plc_dlt645_di_put(di, f.data);
        if (put_password(pw, op, f.data + 4))
            return fail("bad --password or --operator", PLC_DLT645_E_ARG);
        plc_dlt645_value v;
        memset(&v, 0, sizeof(v));
        if (info->kind == PLC_DLT645_NUMBER) {
            const double x = atof(value);
            double scale = 1;
            for (unsigned i = 0; i < info->decimals; i++)
                scale *= 10;
            v.raw = (int64_t)(x * scale + (x < 0 ? -0.5 : 0.5));
        } else if (info->kind == PLC_DLT645_DATE || info->kind == PLC_DLT645_TIME) {
            char full[64];
            if (info->kind == PLC_DLT645_DATE)
                snprintf(full, sizeof(full), "%s 00:00:00", value);
            else
                snprintf(full, sizeof(full), "2000-01-01 %s", value);
            if (parse_time(full, &v.t))
                return fail("bad --value for a date or time", PLC_DLT645_E_ARG);
        } else {
            return fail("this DI cannot be written", PLC_DLT645_E_ARG);
        }
        const int n = plc_dlt645_value_encode(di, &v, f.data + 12, sizeof(f.data) - 12);
        if (n < 0)
            return fail(plc_dlt645_strerror(n), n);
        f.len = (uint8_t)(12 + n);
    } else if (!strcmp(cmd, "relay")) {
        static const struct { const char *name; uint8_t code; } acts[] = {
            {"trip", 0x1A}, {"close", 0x1B}, {"alarm", 0x2A}, {"alarm-off", 0x2B},
            {"keep", 0x3A}, {"keep-off", 0x3B}};
        int code = -1;
        for (unsigned i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
            if (action && !strcmp(action, acts[i].name))
                code = acts[i].code;
        if (code < 0)
            return usage();
        f.ctrl = PLC_DLT645_RELAY;
        f.len = 16;
        if (put_password(pw, op, f.data))
            return fail("bad --password or --operator", PLC_DLT645_E_ARG);
        f.data[8] = (uint8_t)code;
        plc_dlt645_time t;
        if (code == 0x3A) {
            if (parse_time(until, &t))
                return fail("keep needs --until YYYY-MM-DD hh:mm:ss", PLC_DLT645_E_ARG);
            plc_dlt645_datetime_encode(&t, f.data + 10);
        }
    } else {
        return usage();
    }
    uint8_t out[PLC_DLT645_MAX_FRAME];
    const int n = plc_dlt645_encode(&f, preamble, out, sizeof(out));
    if (n < 0)
        return fail(plc_dlt645_strerror(n), n);
    for (int i = 0; i < n; i++)
        printf("%02X%s", out[i], i + 1 < n ? " " : "\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "decode"))
        return argc < 3 ? usage() : decode(argc - 2, argv + 2);
    if (!strcmp(argv[1], "encode"))
        return encode(argc - 2, argv + 2);
    return usage();
}
