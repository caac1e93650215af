#include "plc_up_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"

static int bad(int code, char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && cap)
        vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* An id: 1..PLC_UP_MAX_ID printable ASCII characters, no space. */
int plc_up_id_ok(const char *s)
{
    if (!s || !*s || strlen(s) > PLC_UP_MAX_ID)
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return 0;
    return 1;
}

static int text_ok(const char *s)
{
    return s && strlen(s) <= PLC_UP_MAX_TEXT;
}

static int json_ok(const char *s)
{
    return s && strlen(s) <= PLC_UP_MAX_JSON;
}

int plc_up_meter_ok(const char *s)
{
    if (!s || strlen(s) != 12)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

#define INVALID(...) bad(PLC_ERR_UP_INVALID, why, cap, __VA_ARGS__)

static int login_ok(const Plc__Upstream__Login *l, char *why, size_t cap)
{
    if (!plc_up_id_ok(l->gateway_id))
        return INVALID("login: gateway_id must be 1-%d printable characters", PLC_UP_MAX_ID);
    if (!text_ok(l->software) || strlen(l->software) > 64)
        return INVALID("login: software longer than 64");
    if (l->epoch == 0)
        return INVALID("login: epoch 0");
    const Plc__Upstream__Location *p = l->location;
    if (p && (!(p->latitude >= -90 && p->latitude <= 90) ||
              !(p->longitude >= -180 && p->longitude <= 180) ||
              (strcmp(p->source, "configured") && strcmp(p->source, "gnss"))))
        return INVALID("login: location out of range or of an unknown source");
    return PLC_OK;
}

/* Items of a batch: within (after, last], ascending in each list. */
static int batch_ok(const Plc__Upstream__Batch *b, char *why, size_t cap)
{
    if (b->epoch == 0)
        return INVALID("batch: epoch 0");
    if (b->last <= b->after)
        return INVALID("batch: last %llu not after %llu", (unsigned long long)b->last,
                       (unsigned long long)b->after);
    if (b->n_reading + b->n_event + b->n_result > PLC_UP_MAX_ITEMS)
        return INVALID("batch: more than %d items", PLC_UP_MAX_ITEMS);
    uint64_t prev = b->after;
    for (size_t i = 0; i < b->n_reading; i++, prev = b->reading[i - 1]->seq) {
        const Plc__Upstream__Reading *r = b->reading[i];
        if (r->seq <= prev || r->seq > b->last)
            return INVALID("batch: reading seq %llu out of order or range",
                           (unsigned long long)r->seq);
        if (!plc_up_meter_ok(r->meter) || !text_ok(r->value))
            return INVALID("batch: reading %llu: meter or value", (unsigned long long)r->seq);
    }
    prev = b->after;
    for (size_t i = 0; i < b->n_event; i++, prev = b->event[i - 1]->seq) {
        const Plc__Upstream__Event *e = b->event[i];
        if (e->seq <= prev || e->seq > b->last)
            return INVALID("batch: event seq %llu out of order or range",
                           (unsigned long long)e->seq);
        if (!plc_up_id_ok(e->kind) || (e->meter && e->meter[0] && !plc_up_meter_ok(e->meter)) ||
            (e->detail && !text_ok(e->detail)))
            return INVALID("batch: event %llu: kind, meter or detail", (unsigned long long)e->seq);
    }
    prev = b->after;
    for (size_t i = 0; i < b->n_result; i++, prev = b->result[i - 1]->seq) {
        const Plc__Upstream__CommandResult *r = b->result[i];
        if (!r->has_seq || r->seq <= prev || r->seq > b->last)
            return INVALID("batch: result seq out of order or range");
        if (!plc_up_id_ok(r->id) || !json_ok(r->json))
            return INVALID("batch: result %llu: id or json", (unsigned long long)r->seq);
    }
    return PLC_OK;
}

static int command_ok(const Plc__Upstream__Command *c, char *why, size_t cap)
{
    if (!plc_up_id_ok(c->id))
        return INVALID("command: id must be 1-%d printable characters", PLC_UP_MAX_ID);
    const int k = (int)c->kind;
    if (k < PLC__UPSTREAM__COMMAND__KIND__READ || k > PLC__UPSTREAM__COMMAND__KIND__FIRMWARE)
        return INVALID("command %s: unknown kind %d", c->id, k);
    const int needs_meter = k != PLC__UPSTREAM__COMMAND__KIND__TIME_SYNC &&
                            k != PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD &&
                            k != PLC__UPSTREAM__COMMAND__KIND__SEARCH &&
                            k != PLC__UPSTREAM__COMMAND__KIND__TOPOLOGY;
    if (needs_meter && !plc_up_meter_ok(c->meter))
        return INVALID("command %s: meter must be 12 digits", c->id);
    if (k == PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD) {
        const Plc__Upstream__ArchiveEntry *e = c->entry;
        if (!e || !plc_up_meter_ok(e->meter))
            return INVALID("command %s: archive-add needs an entry with a 12-digit meter", c->id);
        if ((e->port && strlen(e->port) > 15) || (e->tariff && strlen(e->tariff) > 15) ||
            (e->asset && strlen(e->asset) > 31) || (e->has_psk && e->psk.len != 16) ||
            e->has_eui != e->has_psk)
            return INVALID("command %s: archive entry: port, tariff, asset, or eui with a "
                           "16-byte psk", c->id);
    }
    if (k == PLC__UPSTREAM__COMMAND__KIND__TARIFF &&
        (!c->has_rate || c->rate < 1 || c->rate > 4 || !c->has_arg || c->arg < 1 ||
         c->arg > 99999999 || (c->tariff && strlen(c->tariff) > 15)))
        return INVALID("command %s: tariff needs rate 1-4, a price (arg) of 1-99999999 x 0.0001 "
                       "yuan/kWh, a name of at most 15", c->id);
    if ((k == PLC__UPSTREAM__COMMAND__KIND__READ || k == PLC__UPSTREAM__COMMAND__KIND__TOPUP ||
         k == PLC__UPSTREAM__COMMAND__KIND__KEEP_ON || k == PLC__UPSTREAM__COMMAND__KIND__SEARCH) &&
        !c->has_arg)
        return INVALID("command %s: arg missing", c->id);
    if (k == PLC__UPSTREAM__COMMAND__KIND__READ && (c->arg < 0 || c->arg > 0xFFFFFFFFll))
        return INVALID("command %s: a DI is 32 bits", c->id);
    if (k == PLC__UPSTREAM__COMMAND__KIND__SEARCH && (c->arg < 0 || c->arg > 31536000))
        return INVALID("command %s: a search window of 0-31536000 s", c->id);
    return PLC_OK;
}

/* [R] Unknown fields are refused anywhere in a message: protobuf-c keeps them and would
 * pack them again, and a newer protocol says so with a new version instead. */
static int no_unknown_fields(const ProtobufCMessage *m)
{
    if (m->n_unknown_fields)
        return 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *at = (const char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            const size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)at;
            for (size_t k = 0; k < n; k++)
                if (!no_unknown_fields(v[k]))
                    return 0;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof: the union holds that one */
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)at;
        if (sub && !no_unknown_fields(sub))
            return 0;
    }
    return 1;
}

int plc_up_validate(const plc_up_env *e, char *why, size_t cap)
{
    if (!no_unknown_fields(&e->base))
        return INVALID("unknown fields (a newer protocol sends another version)");
    if (e->version != PLC_UP_VERSION)
        return bad(PLC_ERR_UP_VERSION, why, cap, "version %u (this side speaks %d)", e->version,
                   PLC_UP_VERSION);
    switch (e->body_case) {
    case PLC__UPSTREAM__ENVELOPE__BODY_LOGIN:
        return login_ok(e->login, why, cap);
    case PLC__UPSTREAM__ENVELOPE__BODY_LOGIN_ACK:
        return e->login_ack->epoch ? PLC_OK : INVALID("login ack: epoch 0");
    case PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT:
    case PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT_ACK:
        return PLC_OK;
    case PLC__UPSTREAM__ENVELOPE__BODY_BATCH:
        return batch_ok(e->batch, why, cap);
    case PLC__UPSTREAM__ENVELOPE__BODY_ACK:
        return e->ack->epoch ? PLC_OK : INVALID("ack: epoch 0");
    case PLC__UPSTREAM__ENVELOPE__BODY_COMMAND:
        return command_ok(e->command, why, cap);
    case PLC__UPSTREAM__ENVELOPE__BODY_RESULT:
        return plc_up_id_ok(e->result->id) && json_ok(e->result->json) ? PLC_OK
                                                                 : INVALID("result: id or json");
    case PLC__UPSTREAM__ENVELOPE__BODY_ERROR:
        return text_ok(e->error->text) ? PLC_OK : INVALID("error: text too long");
    default:
        return INVALID("no body");
    }
}

plc_up_env *plc_up_decode(const uint8_t *buf, size_t len, int *code, char *why, size_t cap)
{
    if (len > PLC_UP_MAX_MSG) {
        *code = bad(PLC_ERR_UP_INVALID, why, cap, "%zu bytes, more than %u", len, PLC_UP_MAX_MSG);
        return NULL;
    }
    plc_up_env *e = plc__upstream__envelope__unpack(NULL, len, buf);
    if (!e) {
        *code = bad(PLC_ERR_UP_DECODE, why, cap, "%zu bytes that are not an Envelope", len);
        return NULL;
    }
    *code = plc_up_validate(e, why, cap);
    if (*code != PLC_OK) {
        plc_up_free(e);
        return NULL;
    }
    return e;
}

void plc_up_free(plc_up_env *e)
{
    if (e)
        plc__upstream__envelope__free_unpacked(e, NULL);
}

int plc_up_encode(const plc_up_env *e, uint8_t **out, size_t *len)
{
    const size_t n = plc__upstream__envelope__get_packed_size(e);
    if (n > PLC_UP_MAX_MSG)
        return PLC_ERR_LENGTH;
    *out = malloc(n ? n : 1);
    if (!*out)
        return PLC_ERR_NOMEM;
    *len = plc__upstream__envelope__pack(e, *out);
    return PLC_OK;
}
