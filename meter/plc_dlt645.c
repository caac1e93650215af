#include "plc_dlt645.h"

#include <string.h>

const char *plc_dlt645_strerror(int status)
{
    switch (status) {
    case PLC_DLT645_OK: return "ok";
    case PLC_DLT645_E_SHORT: return "frame truncated";
    case PLC_DLT645_E_START: return "no 0x68 start byte";
    case PLC_DLT645_E_START2: return "no second 0x68 after the address";
    case PLC_DLT645_E_LENGTH: return "bad length (L > 200, or > 50 for a write)";
    case PLC_DLT645_E_CHECKSUM: return "bad checksum";
    case PLC_DLT645_E_END: return "missing 0x16 end byte";
    case PLC_DLT645_E_BCD: return "bad BCD digit";
    case PLC_DLT645_E_UNKNOWN_DI: return "unknown data identifier";
    case PLC_DLT645_E_OVERSIZE: return "value or frame too large";
    case PLC_DLT645_E_FUNCTION: return "undefined function code";
    case PLC_DLT645_E_DATA: return "data length wrong for the function or DI";
    case PLC_DLT645_E_ARG: return "bad argument";
    default: return "unknown DL/T 645 error";
    }
}

/* ---- addresses ---- */
int plc_dlt645_addr_parse(const char *text, uint8_t addr[6])
{
    if (!text || strlen(text) != 12)
        return PLC_DLT645_E_ARG;
    for (unsigned i = 0; i < 6; i++) {
        uint8_t b = 0;
        for (unsigned k = 0; k < 2; k++) {
            const char c = text[2 * i + k];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = (unsigned)(c - '0');
            else if (c == 'A' || c == 'a')
                d = 0xA;
            else
                return PLC_DLT645_E_ARG;
            b = (uint8_t)(b << 4 | d);
        }
        if ((b >> 4 == 0xA) != ((b & 0xF) == 0xA))
            return PLC_DLT645_E_ARG; /* wildcards come in whole bytes */
        addr[5 - i] = b;
    }
    return PLC_DLT645_OK;
}

void plc_dlt645_addr_format(const uint8_t addr[6], char text[13])
{
    static const char hex[] = "0123456789ABCDEF";
    for (unsigned i = 0; i < 6; i++) {
        text[2 * i] = hex[addr[5 - i] >> 4];
        text[2 * i + 1] = hex[addr[5 - i] & 0xF];
    }
    text[12] = '\0';
}

static int addr_all(const uint8_t addr[6], uint8_t b)
{
    for (unsigned i = 0; i < 6; i++)
        if (addr[i] != b)
            return 0;
    return 1;
}

int plc_dlt645_addr_is_broadcast(const uint8_t addr[6])
{
    return addr_all(addr, 0x99);
}

int plc_dlt645_addr_is_wildcard(const uint8_t addr[6])
{
    return addr_all(addr, 0xAA);
}

int plc_dlt645_addr_matches(const uint8_t to[6], const uint8_t mine[6])
{
    if (plc_dlt645_addr_is_broadcast(to))
        return 1;
    /* AA bytes stand for any digits: only from the high end down (shortened address) */
    int high = 1;
    for (int i = 5; i >= 0; i--) {
        if (high && to[i] == 0xAA)
            continue;
        high = 0;
        if (to[i] != mine[i])
            return 0;
    }
    return 1;
}

/* ---- frames ---- */
const char *plc_dlt645_function_name(uint8_t func)
{
    switch (func) {
    case PLC_DLT645_BROADCAST_TIME: return "broadcast time sync";
    case PLC_DLT645_READ: return "read data";
    case PLC_DLT645_READ_FOLLOWUP: return "read follow-up";
    case PLC_DLT645_READ_ADDRESS: return "read address";
    case PLC_DLT645_WRITE: return "write data";
    case PLC_DLT645_WRITE_ADDRESS: return "write address";
    case PLC_DLT645_FREEZE: return "freeze";
    case PLC_DLT645_CHANGE_BAUD: return "change baud rate";
    case PLC_DLT645_CHANGE_PASSWORD: return "change password";
    case PLC_DLT645_CLEAR_DEMAND: return "clear maximum demand";
    case PLC_DLT645_CLEAR_METER: return "clear meter";
    case PLC_DLT645_CLEAR_EVENTS: return "clear events";
    case PLC_DLT645_RELAY: return "relay control";
    default: return NULL;
    }
}

static int bcd_ok(uint8_t b)
{
    return (b >> 4) <= 9 && (b & 0xF) <= 9;
}

/* DATA lengths the functions allow (requests and normal replies); abnormal replies carry
 * exactly one error byte. */
static int data_length_ok(uint8_t ctrl, unsigned len)
{
    const uint8_t func = ctrl & PLC_DLT645_C_FUNC;
    if (ctrl & PLC_DLT645_C_ABNORMAL)
        return (ctrl & PLC_DLT645_C_REPLY) && len == 1;
    if (ctrl & PLC_DLT645_C_REPLY) {
        switch (func) {
        case PLC_DLT645_READ: return len >= 4;
        case PLC_DLT645_READ_FOLLOWUP: return len >= 5;
        case PLC_DLT645_READ_ADDRESS: return len == 6;
        case PLC_DLT645_CHANGE_BAUD: return len == 1;
        case PLC_DLT645_CHANGE_PASSWORD: return len == 4;
        case PLC_DLT645_BROADCAST_TIME: return 0; /* never answered */
        default: return len == 0;
        }
    }
    switch (func) {
    case PLC_DLT645_BROADCAST_TIME: return len == 6;
    case PLC_DLT645_READ: return len == 4 || len == 5 || len == 10;
    case PLC_DLT645_READ_FOLLOWUP: return len == 5;
    case PLC_DLT645_READ_ADDRESS: return len == 0;
    case PLC_DLT645_WRITE: return len > 12 && len <= PLC_DLT645_MAX_WRITE_DATA;
    case PLC_DLT645_WRITE_ADDRESS: return len == 6;
    case PLC_DLT645_FREEZE: return len == 4;
    case PLC_DLT645_CHANGE_BAUD: return len == 1;
    case PLC_DLT645_CHANGE_PASSWORD: return len == 12;
    case PLC_DLT645_CLEAR_DEMAND:
    case PLC_DLT645_CLEAR_METER: return len == 8;
    case PLC_DLT645_CLEAR_EVENTS: return len == 12;
    case PLC_DLT645_RELAY: return len == 16;
    default: return 0;
    }
}

int plc_dlt645_encode(const plc_dlt645_frame *f, unsigned preamble, uint8_t *out, size_t cap)
{
    if (!f || !out || preamble > PLC_DLT645_MAX_PREAMBLE)
        return PLC_DLT645_E_ARG;
    if (f->len > PLC_DLT645_MAX_DATA)
        return PLC_DLT645_E_LENGTH;
    const size_t total = preamble + PLC_DLT645_OVERHEAD + f->len;
    if (total > cap)
        return PLC_DLT645_E_OVERSIZE;
    size_t n = 0;
    for (unsigned i = 0; i < preamble; i++)
        out[n++] = 0xFE;
    const size_t start = n;
    out[n++] = 0x68;
    memcpy(out + n, f->addr, 6);
    n += 6;
    out[n++] = 0x68;
    out[n++] = f->ctrl;
    out[n++] = f->len;
    for (unsigned i = 0; i < f->len; i++)
        out[n++] = (uint8_t)(f->data[i] + 0x33);
    uint8_t cs = 0;
    for (size_t i = start; i < n; i++)
        cs = (uint8_t)(cs + out[i]);
    out[n++] = cs;
    out[n++] = 0x16;
    return (int)n;
}

int plc_dlt645_decode(const uint8_t *buf, size_t len, plc_dlt645_frame *f, size_t *used)
{
    if (!buf || !f)
        return PLC_DLT645_E_ARG;
    size_t i = 0;
    while (i < len && buf[i] == 0xFE)
        i++;
    if (i == len)
        return PLC_DLT645_E_SHORT;
    const uint8_t *p = buf + i;
    const size_t rest = len - i;
    if (p[0] != 0x68)
        return PLC_DLT645_E_START;
    if (rest < 10)
        return PLC_DLT645_E_SHORT;
    if (p[7] != 0x68)
        return PLC_DLT645_E_START2;
    const unsigned l = p[9];
    if (l > PLC_DLT645_MAX_DATA)
        return PLC_DLT645_E_LENGTH;
    if (rest < 12 + (size_t)l)
        return PLC_DLT645_E_SHORT;
    uint8_t cs = 0;
    for (size_t k = 0; k < 10 + (size_t)l; k++)
        cs = (uint8_t)(cs + p[k]);
    if (cs != p[10 + l])
        return PLC_DLT645_E_CHECKSUM;
    if (p[11 + l] != 0x16)
        return PLC_DLT645_E_END;
    for (unsigned k = 0; k < 6; k++)
        if (!bcd_ok(p[1 + k]) && p[1 + k] != 0xAA)
            return PLC_DLT645_E_BCD;
    const uint8_t ctrl = p[8];
    if (!plc_dlt645_function_name(ctrl & PLC_DLT645_C_FUNC))
        return PLC_DLT645_E_FUNCTION;
    if ((ctrl & PLC_DLT645_C_FUNC) == PLC_DLT645_WRITE && !(ctrl & PLC_DLT645_C_REPLY) &&
        l > PLC_DLT645_MAX_WRITE_DATA)
        return PLC_DLT645_E_LENGTH;
    if (!data_length_ok(ctrl, l))
        return PLC_DLT645_E_DATA;
    memcpy(f->addr, p + 1, 6);
    f->ctrl = ctrl;
    f->len = (uint8_t)l;
    for (unsigned k = 0; k < l; k++)
        f->data[k] = (uint8_t)(p[10 + k] - 0x33);
    if (used)
        *used = i + 12 + l;
    return PLC_DLT645_OK;
}

/* ---- data identifiers ---- */
static const plc_dlt645_di_info di_table[] = {
    {0x00000000, "combined active energy", PLC_DLT645_NUMBER, 4, 2, 1, "kWh"},
    {0x00010000, "forward active energy", PLC_DLT645_NUMBER, 4, 2, 0, "kWh"},
    {0x00020000, "reverse active energy", PLC_DLT645_NUMBER, 4, 2, 0, "kWh"},
    {0x00900100, "remaining energy", PLC_DLT645_NUMBER, 4, 2, 0, "kWh"},
    {0x00900200, "remaining amount", PLC_DLT645_NUMBER, 4, 2, 0, "yuan"},
    {0x02010100, "voltage A", PLC_DLT645_NUMBER, 2, 1, 0, "V"},
    {0x02010200, "voltage B", PLC_DLT645_NUMBER, 2, 1, 0, "V"},
    {0x02010300, "voltage C", PLC_DLT645_NUMBER, 2, 1, 0, "V"},
    {0x02020100, "current A", PLC_DLT645_NUMBER, 3, 3, 1, "A"},
    {0x02020200, "current B", PLC_DLT645_NUMBER, 3, 3, 1, "A"},
    {0x02020300, "current C", PLC_DLT645_NUMBER, 3, 3, 1, "A"},
    {0x02030000, "total active power", PLC_DLT645_NUMBER, 3, 4, 1, "kW"},
    {0x02060000, "total power factor", PLC_DLT645_NUMBER, 2, 3, 1, ""},
    {0x02800002, "frequency", PLC_DLT645_NUMBER, 2, 2, 0, "Hz"},
    {0x03110000, "power-down count", PLC_DLT645_NUMBER, 3, 0, 0, ""},
    {0x03110001, "last power-down record", PLC_DLT645_RECORD, 12, 0, 0, ""},
    {0x03300000, "programming count", PLC_DLT645_NUMBER, 3, 0, 0, ""},
    {0x03300001, "last programming record", PLC_DLT645_PROGRAM_RECORD, 50, 0, 0, ""},
    {0x03300400, "time set count", PLC_DLT645_NUMBER, 3, 0, 0, ""},
    {0x03300401, "last time set record", PLC_DLT645_TIMESET_RECORD, 16, 0, 0, ""},
    {0x03300D00, "cover open count", PLC_DLT645_NUMBER, 3, 0, 0, ""},
    {0x03300D01, "last cover open record", PLC_DLT645_RECORD, 12, 0, 0, ""},
    {0x04000101, "date and weekday", PLC_DLT645_DATE, 4, 0, 0, ""},
    {0x04000102, "time", PLC_DLT645_TIME, 3, 0, 0, ""},
    {0x04000401, "communication address", PLC_DLT645_DIGITS, 6, 0, 0, ""},
    {0x04000402, "meter number", PLC_DLT645_DIGITS, 6, 0, 0, ""},
    {0x04000503, "run status word 3", PLC_DLT645_HEX, 2, 0, 0, ""},
    {0x04001001, "prepaid alarm amount 1", PLC_DLT645_NUMBER, 4, 2, 0, "yuan"},
    {0x04001002, "prepaid alarm amount 2", PLC_DLT645_NUMBER, 4, 2, 0, "yuan"},
    /* [R] the first tariff set's prices, rates 1-4 (NNNN.NNNN): the layout of a public
     * prepaid meter firmware's register table (04050101 "TariffPrice1", 4 bytes) */
    {0x04050101, "tariff price 1", PLC_DLT645_NUMBER, 4, 4, 0, "yuan/kWh"},
    {0x04050102, "tariff price 2", PLC_DLT645_NUMBER, 4, 4, 0, "yuan/kWh"},
    {0x04050103, "tariff price 3", PLC_DLT645_NUMBER, 4, 4, 0, "yuan/kWh"},
    {0x04050104, "tariff price 4", PLC_DLT645_NUMBER, 4, 4, 0, "yuan/kWh"},
    {0x03330201, "purchase count", PLC_DLT645_NUMBER, 2, 0, 0, ""},
    {0x04001202, "hourly freeze period", PLC_DLT645_NUMBER, 1, 0, 0, "min"},
    {0x05040001, "hourly freeze time", PLC_DLT645_FREEZE_TIME, 5, 0, 0, ""},
    {0x05040101, "hourly frozen forward active energy", PLC_DLT645_NUMBER, 4, 2, 0, "kWh"},
    {0x05040201, "hourly frozen reverse active energy", PLC_DLT645_NUMBER, 4, 2, 0, "kWh"},
    {0x05060001, "daily freeze time", PLC_DLT645_FREEZE_TIME, 5, 0, 0, ""},
    {0x05060101, "daily frozen forward active energy", PLC_DLT645_ENERGY_BLOCK, 20, 2, 0, "kWh"},
    /* [R] plaintext top-up: SGCC meters take 070102FF only as ESAM ciphertext */
    {0x070102FF, "top-up", PLC_DLT645_TOPUP, 6, 2, 0, "yuan"},
};

const plc_dlt645_di_info *plc_dlt645_di_lookup(uint32_t di)
{
    /* tariff registers 00ttxx00 (tt 00..02, xx 01..04) share their total's format */
    if ((di & 0xFF0000FFu) == 0 && (di >> 16) <= 2 && ((di >> 8) & 0xFF) >= 1 &&
        ((di >> 8) & 0xFF) <= 4)
        di &= 0xFFFF00FFu;
    /* daily freezes 050600nn / 050601nn: nn 01..3E is the n-th last */
    if ((di & 0xFFFFFE00u) == 0x05060000u && (di & 0xFF) >= 1 && (di & 0xFF) <= 0x3E)
        di = (di & 0xFFFFFF00u) | 1;
    /* hourly freezes 050400nn / 050401nn / 050402nn: nn 01..FE */
    if ((di & 0xFFFFFF00u) >= 0x05040000u && (di & 0xFFFFFF00u) <= 0x05040200u &&
        (di & 0xFF) >= 1 && (di & 0xFF) <= 0xFE)
        di = (di & 0xFFFFFF00u) | 1;
    /* programming and clock setting records 033000nn / 033004nn: nn 01..0A */
    if (((di & 0xFFFFFF00u) == 0x03300000u || (di & 0xFFFFFF00u) == 0x03300400u) &&
        (di & 0xFF) >= 1 && (di & 0xFF) <= 0x0A)
        di = (di & 0xFFFFFF00u) | 1;
    for (size_t i = 0; i < sizeof(di_table) / sizeof(di_table[0]); i++)
        if (di_table[i].di == di)
            return &di_table[i];
    return NULL;
}

int plc_dlt645_bcd_decode(const uint8_t *p, unsigned bytes, int is_signed, int64_t *v)
{
    if (!p || !v || bytes == 0 || bytes > 8)
        return PLC_DLT645_E_ARG;
    int64_t x = 0;
    int neg = 0;
    for (int i = (int)bytes - 1; i >= 0; i--) {
        uint8_t b = p[i];
        if (is_signed && i == (int)bytes - 1) {
            neg = b >> 7;
            b &= 0x7F;
        }
        if (!bcd_ok(b))
            return PLC_DLT645_E_BCD;
        x = x * 100 + (b >> 4) * 10 + (b & 0xF);
    }
    *v = neg ? -x : x;
    return PLC_DLT645_OK;
}

int plc_dlt645_bcd_encode(int64_t v, unsigned bytes, int is_signed, uint8_t *p)
{
    if (!p || bytes == 0 || bytes > 8 || (v < 0 && !is_signed))
        return PLC_DLT645_E_ARG;
    const int neg = v < 0;
    uint64_t x = neg ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)((x / 10 % 10) << 4 | x % 10);
        x /= 100;
    }
    if (x != 0 || (is_signed && (p[bytes - 1] & 0x80)))
        return PLC_DLT645_E_OVERSIZE; /* does not fit (the sign bit needs the top digit < 8) */
    if (neg)
        p[bytes - 1] |= 0x80;
    return (int)bytes;
}

static int bcd2(uint8_t b, int lo, int hi, int *out)
{
    if (!bcd_ok(b))
        return PLC_DLT645_E_BCD;
    const int v = (b >> 4) * 10 + (b & 0xF);
    if (v < lo || v > hi)
        return PLC_DLT645_E_BCD; /* a digit pair that is no date or time */
    *out = v;
    return PLC_DLT645_OK;
}

int plc_dlt645_datetime_decode(const uint8_t *p, plc_dlt645_time *t)
{
    int rc;
    if ((rc = bcd2(p[0], 0, 59, &t->second)) || (rc = bcd2(p[1], 0, 59, &t->minute)) ||
        (rc = bcd2(p[2], 0, 23, &t->hour)) || (rc = bcd2(p[3], 1, 31, &t->day)) ||
        (rc = bcd2(p[4], 1, 12, &t->month)) || (rc = bcd2(p[5], 0, 99, &t->year)))
        return rc;
    t->year += 2000;
    t->weekday = -1;
    return PLC_DLT645_OK;
}

static uint8_t to_bcd2(int v)
{
    return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

void plc_dlt645_datetime_encode(const plc_dlt645_time *t, uint8_t *p)
{
    p[0] = to_bcd2(t->second);
    p[1] = to_bcd2(t->minute);
    p[2] = to_bcd2(t->hour);
    p[3] = to_bcd2(t->day);
    p[4] = to_bcd2(t->month);
    p[5] = to_bcd2(t->year % 100);
}

int plc_dlt645_value_decode(uint32_t di, const uint8_t *p, size_t len, plc_dlt645_value *v)
{
    const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
    if (!info)
        return PLC_DLT645_E_UNKNOWN_DI;
    if (!p || !v)
        return PLC_DLT645_E_ARG;
    if (len != info->bytes)
        return PLC_DLT645_E_DATA;
    memset(v, 0, sizeof(*v));
    v->kind = info->kind;
    v->decimals = info->decimals;
    int rc = PLC_DLT645_OK;
    switch (info->kind) {
    case PLC_DLT645_NUMBER:
    case PLC_DLT645_DIGITS:
        return plc_dlt645_bcd_decode(p, info->bytes, info->is_signed, &v->raw);
    case PLC_DLT645_HEX:
        for (int i = info->bytes - 1; i >= 0; i--)
            v->raw = v->raw << 8 | p[i];
        return PLC_DLT645_OK;
    case PLC_DLT645_DATE:
        if ((rc = bcd2(p[0], 0, 6, &v->t.weekday)) || (rc = bcd2(p[1], 1, 31, &v->t.day)) ||
            (rc = bcd2(p[2], 1, 12, &v->t.month)) || (rc = bcd2(p[3], 0, 99, &v->t.year)))
            return rc;
        v->t.year += 2000;
        return PLC_DLT645_OK;
    case PLC_DLT645_TIME:
        if ((rc = bcd2(p[0], 0, 59, &v->t.second)) || (rc = bcd2(p[1], 0, 59, &v->t.minute)) ||
            (rc = bcd2(p[2], 0, 23, &v->t.hour)))
            return rc;
        return PLC_DLT645_OK;
    case PLC_DLT645_DATETIME:
        return plc_dlt645_datetime_decode(p, &v->t);
    case PLC_DLT645_RECORD:
        if ((rc = plc_dlt645_datetime_decode(p, &v->t)) != PLC_DLT645_OK)
            return rc;
        return plc_dlt645_datetime_decode(p + 6, &v->t_end);
    case PLC_DLT645_FREEZE_TIME:
        if ((rc = bcd2(p[0], 0, 59, &v->t.minute)) || (rc = bcd2(p[1], 0, 23, &v->t.hour)) ||
            (rc = bcd2(p[2], 1, 31, &v->t.day)) || (rc = bcd2(p[3], 1, 12, &v->t.month)) ||
            (rc = bcd2(p[4], 0, 99, &v->t.year)))
            return rc;
        v->t.year += 2000;
        v->t.weekday = -1;
        return PLC_DLT645_OK;
    case PLC_DLT645_TOPUP:
        if ((rc = plc_dlt645_bcd_decode(p, 4, 0, &v->raw)) != PLC_DLT645_OK)
            return rc;
        return plc_dlt645_bcd_decode(p + 4, 2, 0, &v->count);
    case PLC_DLT645_TIMESET_RECORD:
        if ((rc = plc_dlt645_bcd_decode(p, 4, 0, &v->raw)) != PLC_DLT645_OK ||
            (rc = plc_dlt645_datetime_decode(p + 4, &v->t)) != PLC_DLT645_OK)
            return rc;
        return plc_dlt645_datetime_decode(p + 10, &v->t_end);
    case PLC_DLT645_PROGRAM_RECORD:
        if ((rc = plc_dlt645_datetime_decode(p, &v->t)) != PLC_DLT645_OK ||
            (rc = plc_dlt645_bcd_decode(p + 6, 4, 0, &v->raw)) != PLC_DLT645_OK)
            return rc;
        for (unsigned k = 0; k < 10; k++) {
            const uint32_t d = plc_dlt645_di_get(p + 10 + 4 * k);
            if (d == 0xFFFFFFFFu)
                continue;
            if (v->n_dis != k)
                return PLC_DLT645_E_DATA; /* a DI after an unused slot */
            v->dis[v->n_dis++] = d;
        }
        return PLC_DLT645_OK;
    case PLC_DLT645_ENERGY_BLOCK:
        if ((rc = plc_dlt645_bcd_decode(p, 4, 0, &v->raw)) != PLC_DLT645_OK)
            return rc;
        for (unsigned k = 0; k < 4; k++)
            if ((rc = plc_dlt645_bcd_decode(p + 4 * (k + 1), 4, 0, &v->tariff[k])) != PLC_DLT645_OK)
                return rc;
        return PLC_DLT645_OK;
    }
    return PLC_DLT645_E_UNKNOWN_DI;
}

int plc_dlt645_value_encode(uint32_t di, const plc_dlt645_value *v, uint8_t *p, size_t cap)
{
    const plc_dlt645_di_info *info = plc_dlt645_di_lookup(di);
    if (!info)
        return PLC_DLT645_E_UNKNOWN_DI;
    if (!v || !p)
        return PLC_DLT645_E_ARG;
    if (cap < info->bytes)
        return PLC_DLT645_E_OVERSIZE;
    switch (info->kind) {
    case PLC_DLT645_NUMBER:
    case PLC_DLT645_DIGITS:
        return plc_dlt645_bcd_encode(v->raw, info->bytes, info->is_signed, p);
    case PLC_DLT645_HEX:
        for (unsigned i = 0; i < info->bytes; i++)
            p[i] = (uint8_t)(v->raw >> (8 * i));
        break;
    case PLC_DLT645_DATE:
        p[0] = to_bcd2(v->t.weekday);
        p[1] = to_bcd2(v->t.day);
        p[2] = to_bcd2(v->t.month);
        p[3] = to_bcd2(v->t.year % 100);
        break;
    case PLC_DLT645_TIME:
        p[0] = to_bcd2(v->t.second);
        p[1] = to_bcd2(v->t.minute);
        p[2] = to_bcd2(v->t.hour);
        break;
    case PLC_DLT645_DATETIME:
        plc_dlt645_datetime_encode(&v->t, p);
        break;
    case PLC_DLT645_RECORD:
        plc_dlt645_datetime_encode(&v->t, p);
        plc_dlt645_datetime_encode(&v->t_end, p + 6);
        break;
    case PLC_DLT645_FREEZE_TIME:
        p[0] = to_bcd2(v->t.minute);
        p[1] = to_bcd2(v->t.hour);
        p[2] = to_bcd2(v->t.day);
        p[3] = to_bcd2(v->t.month);
        p[4] = to_bcd2(v->t.year % 100);
        break;
    case PLC_DLT645_TIMESET_RECORD: {
        const int rc = plc_dlt645_bcd_encode(v->raw, 4, 0, p);
        if (rc < 0)
            return rc;
        plc_dlt645_datetime_encode(&v->t, p + 4);
        plc_dlt645_datetime_encode(&v->t_end, p + 10);
        break;
    }
    case PLC_DLT645_PROGRAM_RECORD: {
        plc_dlt645_datetime_encode(&v->t, p);
        const int rc = plc_dlt645_bcd_encode(v->raw, 4, 0, p + 6);
        if (rc < 0 || v->n_dis > 10)
            return rc < 0 ? rc : PLC_DLT645_E_OVERSIZE;
        for (unsigned k = 0; k < 10; k++)
            plc_dlt645_di_put(k < v->n_dis ? v->dis[k] : 0xFFFFFFFFu, p + 10 + 4 * k);
        break;
    }
    case PLC_DLT645_TOPUP: {
        int rc = plc_dlt645_bcd_encode(v->raw, 4, 0, p);
        if (rc >= 0)
            rc = plc_dlt645_bcd_encode(v->count, 2, 0, p + 4);
        if (rc < 0)
            return rc;
        break;
    }
    case PLC_DLT645_ENERGY_BLOCK: {
        int rc = plc_dlt645_bcd_encode(v->raw, 4, 0, p);
        for (unsigned k = 0; k < 4 && rc >= 0; k++)
            rc = plc_dlt645_bcd_encode(v->tariff[k], 4, 0, p + 4 * (k + 1));
        if (rc < 0)
            return rc;
        break;
    }
    }
    return info->bytes;
}

/* ---- request builders ---- */
void plc_dlt645_read_request(const uint8_t addr[6], uint32_t di, plc_dlt645_frame *f)
{
    uint8_t a[6];
    memcpy(a, addr, 6); /* addr may point into f */
    memset(f, 0, sizeof(*f));
    memcpy(f->addr, a, 6);
    f->ctrl = PLC_DLT645_READ;
    f->len = 4;
    plc_dlt645_di_put(di, f->data);
}

/* PA (level), P0-P2 (password, BCD), C0-C3 (operator code, BCD) */
static void put_auth(uint8_t *p, uint8_t level, uint32_t password, uint32_t operator_code)
{
    p[0] = level;
    plc_dlt645_bcd_encode(password % 1000000u, 3, 0, p + 1);
    plc_dlt645_bcd_encode(operator_code % 100000000u, 4, 0, p + 4);
}

int plc_dlt645_write_request(const uint8_t addr[6], uint32_t di, uint8_t level,
                             uint32_t password, uint32_t operator_code,
                             const plc_dlt645_value *v, plc_dlt645_frame *f)
{
    uint8_t a[6];
    memcpy(a, addr, 6);
    memset(f, 0, sizeof(*f));
    memcpy(f->addr, a, 6);
    f->ctrl = PLC_DLT645_WRITE;
    plc_dlt645_di_put(di, f->data);
    put_auth(f->data + 4, level, password, operator_code);
    const int n = plc_dlt645_value_encode(di, v, f->data + 12, sizeof(f->data) - 12);
    if (n < 0)
        return n;
    f->len = (uint8_t)(12 + n);
    return PLC_DLT645_OK;
}

void plc_dlt645_control_request(const uint8_t addr[6], uint8_t level, uint32_t password,
                                uint32_t operator_code, uint8_t n1, const plc_dlt645_time *until,
                                plc_dlt645_frame *f)
{
    uint8_t a[6];
    memcpy(a, addr, 6);
    memset(f, 0, sizeof(*f));
    memcpy(f->addr, a, 6);
    f->ctrl = PLC_DLT645_RELAY;
    put_auth(f->data, level, password, operator_code);
    f->data[8] = n1;
    f->data[9] = 0; /* N2: reserved */
    if (until)
        plc_dlt645_datetime_encode(until, f->data + 10);
    else
        memset(f->data + 10, 0x99, 6); /* no expiry given */
    f->len = 16;
}

void plc_dlt645_time_sync(const plc_dlt645_time *t, plc_dlt645_frame *f)
{
    memset(f, 0, sizeof(*f));
    memset(f->addr, 0x99, 6);
    f->ctrl = PLC_DLT645_BROADCAST_TIME;
    f->len = 6;
    plc_dlt645_datetime_encode(t, f->data);
}

/* ---- extractor ---- */
void plc_dlt645_extractor_init(plc_dlt645_extractor *x)
{
    memset(x, 0, sizeof(*x));
}

size_t plc_dlt645_extractor_feed(plc_dlt645_extractor *x, const uint8_t *p, size_t n)
{
    const size_t room = sizeof(x->buf) - x->len;
    if (n > room)
        n = room;
    memcpy(x->buf + x->len, p, n);
    x->len += n;
    return n;
}

static void drop(plc_dlt645_extractor *x, size_t n)
{
    memmove(x->buf, x->buf + n, x->len - n);
    x->len -= n;
}

int plc_dlt645_extractor_next(plc_dlt645_extractor *x, plc_dlt645_frame *f)
{
    for (;;) {
        /* skip to a 68 (preamble FE bytes are not garbage) */
        size_t s = 0;
        while (s < x->len && x->buf[s] != 0x68) {
            if (x->buf[s] != 0xFE)
                x->garbage_bytes++;
            s++;
        }
        drop(x, s);
        if (x->len == 0)
            return 0;
        size_t used = 0;
        const int rc = plc_dlt645_decode(x->buf, x->len, f, &used);
        if (rc == PLC_DLT645_OK) {
            drop(x, used);
            x->frames++;
            return 1;
        }
        if (rc == PLC_DLT645_E_SHORT && x->len < sizeof(x->buf)) {
            /* a 68 in garbage may announce a long frame: if a whole frame already follows
             * it, that 68 was garbage; else wait for the rest */
            size_t k = 1;
            for (; k < x->len; k++)
                if (x->buf[k] == 0x68 && plc_dlt645_decode(x->buf + k, x->len - k, f, NULL) ==
                                             PLC_DLT645_OK)
                    break;
            if (k == x->len)
                return 0;
            x->garbage_bytes += k;
            drop(x, k);
            continue;
        }
        /* not a frame here (or one that failed its checks): resynchronise past this 68 */
        if (rc != PLC_DLT645_E_START2 && rc != PLC_DLT645_E_SHORT) {
            x->bad_frames++;
            x->last_error = rc;
        } else {
            x->garbage_bytes++;
        }
        drop(x, 1);
    }
}
