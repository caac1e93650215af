#include "plc_fw_image.h"

#include <stdlib.h>
#include <string.h>

#include "plc_crc.h"
#include "plc_err.h"
#include "plc_sha256.h"

#define HASH_CHUNK 64 /* the digest reads the store this much at a time */

struct plc_fw_image {
    plc_fw_image_config cfg;
    plc_fw_image_ops ops;
    plc_loop *loop;
    plc_timer switch_at;
    plc_fw_state state;
    uint32_t id, size;
    uint16_t block, blocks, received;
    uint8_t sig[64];
    uint8_t *bitmap; /* one bit a block of the largest image */
    plc_fw_image_counters cnt;
};

void plc_fw_image_config_default(plc_fw_image_config *cfg)
{
    cfg->max_size = 65536;
    cfg->max_block = 200;
}

static void on_switch(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_fw_image *f = user;
    f->state = PLC_FW_ACTIVE;
    f->cnt.activated++;
    f->ops.activate(f->ops.user, f->id);
}

plc_fw_image *plc_fw_image_create(const plc_fw_image_config *cfg, const plc_fw_image_ops *ops,
                                  plc_loop *loop)
{
    if (!cfg || !ops || !ops->write || !ops->read || !ops->verify || !ops->activate || !loop ||
        cfg->max_block < 16 || cfg->max_size == 0)
        return NULL;
    plc_fw_image *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->cfg = *cfg;
    f->ops = *ops;
    f->loop = loop;
    /* the smallest block a transfer may use is 16 bytes: the bitmap covers that many blocks */
    f->bitmap = calloc((cfg->max_size / 16 + 8) / 8, 1);
    if (!f->bitmap) {
        free(f);
        return NULL;
    }
    plc_timer_init(&f->switch_at, on_switch, f);
    return f;
}

void plc_fw_image_destroy(plc_fw_image *f)
{
    if (!f)
        return;
    plc_timer_stop(f->loop, &f->switch_at);
    free(f->bitmap);
    free(f);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int have(const plc_fw_image *f, unsigned n)
{
    return f->bitmap[n / 8] >> (7 - n % 8) & 1;
}

static size_t answer(uint8_t *out, size_t cap, uint8_t type, uint8_t status)
{
    if (cap < 2)
        return 0;
    out[0] = type;
    out[1] = status;
    return 2;
}

static uint8_t on_init(plc_fw_image *f, const uint8_t *m, size_t len)
{
    if (len != 1 + 4 + 4 + 2 + 64)
        return PLC_FW_BAD_ARG;
    const uint32_t id = get32(m + 1), size = get32(m + 5);
    const uint16_t block = get16(m + 9);
    if (block < 16 || block > f->cfg.max_block || size == 0)
        return PLC_FW_BAD_ARG;
    if (size > f->cfg.max_size)
        return PLC_FW_TOO_BIG;
    if (f->state == PLC_FW_RECEIVING && id == f->id && size == f->size && block == f->block &&
        memcmp(f->sig, m + 11, 64) == 0)
        return PLC_FW_OK; /* the same transfer again: go on from the blocks we have */
    plc_timer_stop(f->loop, &f->switch_at);
    f->state = PLC_FW_RECEIVING;
    f->id = id;
    f->size = size;
    f->block = block;
    f->blocks = (uint16_t)((size + block - 1) / block);
    f->received = 0;
    memcpy(f->sig, m + 11, 64);
    memset(f->bitmap, 0, (f->cfg.max_size / 16 + 8) / 8);
    return PLC_FW_OK;
}

static void on_block(plc_fw_image *f, const uint8_t *m, size_t len)
{
    if (f->state != PLC_FW_RECEIVING || len < 5) {
        f->cnt.bad_messages++;
        return;
    }
    const uint16_t n = get16(m + 1), crc = get16(m + 3);
    const size_t dlen = len - 5;
    const size_t want = n + 1u == f->blocks ? f->size - (uint32_t)n * f->block : f->block;
    if (n >= f->blocks || dlen != want) {
        f->cnt.bad_messages++;
        return;
    }
    if (plc_crc16_xmodem(m + 5, dlen) != crc) {
        f->cnt.bad_crc++; /* damaged on the way: it stays missing */
        return;
    }
    if (have(f, n)) {
        f->cnt.duplicates++;
        return;
    }
    if (f->ops.write(f->ops.user, (uint32_t)n * f->block, m + 5, dlen) != PLC_OK)
        return; /* stays missing: STATUS says so */
    f->bitmap[n / 8] |= (uint8_t)(0x80 >> (n % 8));
    f->received++;
    f->cnt.blocks++;
}

static size_t on_status(const plc_fw_image *f, uint8_t *out, size_t cap)
{
    if (cap < 16)
        return 0;
    memset(out, 0, 16);
    out[0] = 0x83;
    out[1] = (uint8_t)f->state;
    for (int i = 0; i < 4; i++)
        out[2 + i] = (uint8_t)(f->id >> (24 - 8 * i));
    put16(out + 6, f->received);
    put16(out + 8, f->blocks);
    unsigned first = 0;
    while (first < f->blocks && have(f, first))
        first++;
    put16(out + 10, (uint16_t)first);
    for (unsigned k = 0; k < 32; k++)
        if (first + k < f->blocks && !have(f, first + k))
            out[12 + k / 8] |= (uint8_t)(0x80 >> (k % 8));
    return 16;
}

/* The digest of the whole image read back from the store, and its signature. */
static uint8_t on_verify(plc_fw_image *f)
{
    if (f->state == PLC_FW_IDLE)
        return PLC_FW_NO_TRANSFER;
    if (f->state == PLC_FW_VERIFIED || f->state == PLC_FW_ACTIVATING || f->state == PLC_FW_ACTIVE)
        return PLC_FW_OK;
    if (f->received != f->blocks)
        return PLC_FW_INCOMPLETE;
    plc_sha256_ctx h;
    plc_sha256_init(&h);
    uint8_t chunk[HASH_CHUNK];
    for (uint32_t off = 0; off < f->size; off += HASH_CHUNK) {
        const size_t n = f->size - off < HASH_CHUNK ? f->size - off : HASH_CHUNK;
        if (f->ops.read(f->ops.user, off, chunk, n) != PLC_OK)
            return PLC_FW_STORE;
        plc_sha256_update(&h, chunk, n);
    }
    uint8_t digest[PLC_SHA256_LEN];
    plc_sha256_final(&h, digest);
    if (!f->ops.verify(f->ops.user, digest, f->sig)) {
        f->state = PLC_FW_REFUSED;
        f->cnt.refused++;
        return PLC_FW_BAD_SIGNATURE;
    }
    f->state = PLC_FW_VERIFIED;
    return PLC_FW_OK;
}

static uint8_t on_activate(plc_fw_image *f, const uint8_t *m, size_t len)
{
    if (len != 5)
        return PLC_FW_BAD_ARG;
    if (f->state != PLC_FW_VERIFIED && f->state != PLC_FW_ACTIVATING)
        return PLC_FW_NOT_VERIFIED;
    f->state = PLC_FW_ACTIVATING;
    plc_timer_start_in(f->loop, &f->switch_at, (uint64_t)get32(m + 1) * 1000000u);
    return PLC_FW_OK;
}

size_t plc_fw_image_input(plc_fw_image *f, const uint8_t *m, size_t len, uint8_t *out,
                          size_t cap)
{
    if (!m || len < 1) {
        f->cnt.bad_messages++;
        return 0;
    }
    switch (m[0]) {
    case 0x01: return answer(out, cap, 0x81, on_init(f, m, len));
    case 0x02: on_block(f, m, len); return 0;
    case 0x03: return len == 1 ? on_status(f, out, cap) : answer(out, cap, 0x83, PLC_FW_BAD_ARG);
    case 0x04: return answer(out, cap, 0x84, len == 1 ? on_verify(f) : PLC_FW_BAD_ARG);
    case 0x05: return answer(out, cap, 0x85, on_activate(f, m, len));
    default: f->cnt.bad_messages++; return 0;
    }
}

plc_fw_state plc_fw_image_state(const plc_fw_image *f)
{
    return f->state;
}

void plc_fw_image_get_counters(const plc_fw_image *f, plc_fw_image_counters *c)
{
    *c = f->cnt;
}
