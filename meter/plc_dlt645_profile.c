/* DL/T 645-2007 load profile records and their read (plc_dlt645_profile.h). */
#include <string.h>

#include "plc_dlt645_profile.h"

#define REC_START 0xA0
#define REC_SPLIT 0xAA
#define REC_END 0xE5
#define TIME_DI 0x05040001u /* a freeze time: the same 5 bytes, mm hh DD MM YY */

/* The record's quantities in their order (curve DIs: gateway-upstream.md section 4). */
static const plc_dlt645_profile_field fields[] = {
    {1, 2, 1, 0, 0x06100101u, "voltage A", "V"},
    {1, 2, 1, 0, 0x06100102u, "voltage B", "V"},
    {1, 2, 1, 0, 0x06100103u, "voltage C", "V"},
    {1, 3, 3, 1, 0x06100201u, "current A", "A"},
    {1, 3, 3, 1, 0x06100202u, "current B", "A"},
    {1, 3, 3, 1, 0x06100203u, "current C", "A"},
    {1, 2, 2, 0, 0x02800002u, "frequency", "Hz"},
    {2, 3, 4, 1, 0x06100300u, "active power", "kW"},
    {2, 3, 4, 1, 0x06100301u, "active power A", "kW"},
    {2, 3, 4, 1, 0x06100302u, "active power B", "kW"},
    {2, 3, 4, 1, 0x06100303u, "active power C", "kW"},
    {2, 3, 4, 1, 0x06100400u, "reactive power", "kvar"},
    {2, 3, 4, 1, 0x06100401u, "reactive power A", "kvar"},
    {2, 3, 4, 1, 0x06100402u, "reactive power B", "kvar"},
    {2, 3, 4, 1, 0x06100403u, "reactive power C", "kvar"},
    {3, 2, 3, 1, 0x06100500u, "power factor", ""},
    {3, 2, 3, 1, 0x06100501u, "power factor A", ""},
    {3, 2, 3, 1, 0x06100502u, "power factor B", ""},
    {3, 2, 3, 1, 0x06100503u, "power factor C", ""},
    {4, 4, 2, 0, 0x06100601u, "forward active energy", "kWh"},
    {4, 4, 2, 0, 0x06100602u, "reverse active energy", "kWh"},
    {4, 4, 2, 0, 0x06100603u, "combined reactive energy 1", "kvarh"},
    {4, 4, 2, 0, 0x06100604u, "combined reactive energy 2", "kvarh"},
    {5, 4, 2, 0, 0x06100701u, "reactive energy quadrant I", "kvarh"},
    {5, 4, 2, 0, 0x06100702u, "reactive energy quadrant II", "kvarh"},
    {5, 4, 2, 0, 0x06100703u, "reactive energy quadrant III", "kvarh"},
    {5, 4, 2, 0, 0x06100704u, "reactive energy quadrant IV", "kvarh"},
    {6, 3, 4, 0, 0, "active demand", "kW"},
    {6, 3, 4, 0, 0, "reactive demand", "kvar"},
};
_Static_assert(sizeof(fields) / sizeof(fields[0]) == PLC_DLT645_PROFILE_FIELDS, "field table");

const plc_dlt645_profile_field *plc_dlt645_profile_field_info(unsigned i)
{
    return i < PLC_DLT645_PROFILE_FIELDS ? &fields[i] : NULL;
}

unsigned plc_dlt645_profile_field_count(void)
{
    return PLC_DLT645_PROFILE_FIELDS;
}

static size_t class_bytes(unsigned cls)
{
    size_t n = 0;
    for (unsigned i = 0; i < PLC_DLT645_PROFILE_FIELDS; i++)
        n += fields[i].cls == cls ? fields[i].bytes : 0;
    return n;
}

size_t plc_dlt645_profile_record_size(uint8_t classes)
{
    size_t n = 3 + 5 + PLC_DLT645_PROFILE_CLASSES + 2; /* A0 A0 LEN, time, the AAs, CS E5 */
    for (unsigned c = 1; c <= PLC_DLT645_PROFILE_CLASSES; c++)
        n += classes & (1u << (c - 1)) ? class_bytes(c) : 0;
    return n;
}

int plc_dlt645_profile_request(const uint8_t addr[6], unsigned cls, unsigned n,
                               const plc_dlt645_time *from, plc_dlt645_frame *f)
{
    if (!addr || !from || !f || cls > PLC_DLT645_PROFILE_CLASSES || n < 1 ||
        n > PLC_DLT645_PROFILE_MAX_N)
        return PLC_DLT645_E_ARG;
    plc_dlt645_read_request(addr, PLC_DLT645_PROFILE_DI | (uint32_t)cls << 16, f);
    f->data[4] = (uint8_t)((n / 10) << 4 | n % 10);
    const plc_dlt645_value t = {.kind = PLC_DLT645_FREEZE_TIME, .t = *from};
    if (plc_dlt645_value_encode(TIME_DI, &t, f->data + 5, 5) != 5)
        return PLC_DLT645_E_ARG;
    f->len = 10;
    return PLC_DLT645_OK;
}

int plc_dlt645_profile_parse_request(const uint8_t *data, size_t len, uint8_t *classes,
                                     unsigned *n, plc_dlt645_time *from)
{
    if (!data || !classes || !n || !from)
        return PLC_DLT645_E_ARG;
    if (len != 10)
        return PLC_DLT645_E_DATA;
    const uint32_t di = plc_dlt645_di_get(data);
    const unsigned cls = (di >> 16) & 0xFF;
    if ((di & 0xFF00FFFFu) != PLC_DLT645_PROFILE_DI || cls > PLC_DLT645_PROFILE_CLASSES)
        return PLC_DLT645_E_UNKNOWN_DI;
    if ((data[4] >> 4) > 9 || (data[4] & 15) > 9)
        return PLC_DLT645_E_BCD;
    *n = (data[4] >> 4) * 10u + (data[4] & 15u);
    if (*n == 0)
        return PLC_DLT645_E_DATA;
    plc_dlt645_value t;
    const int rc = plc_dlt645_value_decode(TIME_DI, data + 5, 5, &t);
    if (rc != PLC_DLT645_OK)
        return rc;
    *from = t.t;
    *classes = cls ? (uint8_t)(1u << (cls - 1)) : (uint8_t)0x3F;
    return PLC_DLT645_OK;
}

int plc_dlt645_profile_record_encode(const plc_dlt645_profile_record *r, uint8_t *out,
                                     size_t cap)
{
    if (!r || !out || (r->classes & ~0x3Fu))
        return PLC_DLT645_E_ARG;
    const size_t size = plc_dlt645_profile_record_size(r->classes);
    if (cap < size)
        return PLC_DLT645_E_OVERSIZE;
    size_t k = 0;
    out[k++] = REC_START;
    out[k++] = REC_START;
    out[k++] = (uint8_t)(size - 5);
    const plc_dlt645_value t = {.kind = PLC_DLT645_FREEZE_TIME, .t = r->t};
    if (plc_dlt645_value_encode(TIME_DI, &t, out + k, 5) != 5)
        return PLC_DLT645_E_ARG;
    k += 5;
    for (unsigned c = 1; c <= PLC_DLT645_PROFILE_CLASSES; c++) {
        for (unsigned i = 0; (r->classes & (1u << (c - 1))) && i < PLC_DLT645_PROFILE_FIELDS; i++) {
            const plc_dlt645_profile_field *f = &fields[i];
            if (f->cls != c)
                continue;
            if (!(r->present & (1u << i)))
                memset(out + k, 0xFF, f->bytes);
            else if (plc_dlt645_bcd_encode(r->field[i], f->bytes, f->is_signed, out + k) < 0)
                return PLC_DLT645_E_OVERSIZE;
            k += f->bytes;
        }
        out[k++] = REC_SPLIT;
    }
    uint8_t cs = 0;
    for (size_t i = 0; i < k; i++)
        cs = (uint8_t)(cs + out[i]);
    out[k++] = cs;
    out[k++] = REC_END;
    return (int)k;
}

static int all_ff(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

int plc_dlt645_profile_record_decode(const uint8_t *p, size_t len, plc_dlt645_profile_record *r,
                                     size_t *used)
{
    if (!p || !r || !used)
        return PLC_DLT645_E_ARG;
    memset(r, 0, sizeof(*r));
    if (len < 3)
        return PLC_DLT645_E_SHORT;
    if (p[0] != REC_START || p[1] != REC_START)
        return PLC_DLT645_E_START;
    const size_t body = p[2]; /* time through the last AA */
    if (body < 5 + PLC_DLT645_PROFILE_CLASSES)
        return PLC_DLT645_E_LENGTH;
    if (len < 3 + body + 2)
        return PLC_DLT645_E_SHORT;
    uint8_t cs = 0;
    for (size_t i = 0; i < 3 + body; i++)
        cs = (uint8_t)(cs + p[i]);
    if (p[3 + body] != cs)
        return PLC_DLT645_E_CHECKSUM;
    if (p[4 + body] != REC_END)
        return PLC_DLT645_E_END;
    plc_dlt645_value t;
    int rc = plc_dlt645_value_decode(TIME_DI, p + 3, 5, &t);
    if (rc != PLC_DLT645_OK)
        return rc;
    r->t = t.t;
    r->t.second = 0;
    size_t k = 8;
    const size_t end = 3 + body;
    for (unsigned c = 1; c <= PLC_DLT645_PROFILE_CLASSES; c++) {
        if (k >= end)
            return PLC_DLT645_E_LENGTH;
        if (p[k] == REC_SPLIT) { /* an empty class */
            k++;
            continue;
        }
        if (k + class_bytes(c) >= end || p[k + class_bytes(c)] != REC_SPLIT)
            return PLC_DLT645_E_DATA; /* a class is either empty or whole */
        for (unsigned i = 0; i < PLC_DLT645_PROFILE_FIELDS; i++) {
            const plc_dlt645_profile_field *f = &fields[i];
            if (f->cls != c)
                continue;
            if (!all_ff(p + k, f->bytes)) {
                if ((rc = plc_dlt645_bcd_decode(p + k, f->bytes, f->is_signed, &r->field[i])) != PLC_DLT645_OK)
                    return rc;
                r->present |= 1u << i;
            }
            k += f->bytes;
        }
        r->classes |= (uint8_t)(1u << (c - 1));
        k++; /* its AA */
    }
    if (k != end)
        return PLC_DLT645_E_LENGTH;
    *used = end + 2;
    return PLC_DLT645_OK;
}
