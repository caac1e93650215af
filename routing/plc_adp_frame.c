#include "plc_adp_frame.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int plc_adp_header_decode(const uint8_t *b, size_t len, plc_adp_header *h)
{
    if (!b || !h)
        return PLC_ERR_ARG;
    *h = (plc_adp_header){0};
    size_t i = 0;
    if (len == 0)
        return PLC_ERR_ADP_SHORT;
    if ((b[0] & 0xC0) == 0x80) { /* mesh */
        if ((b[0] & 0x30) != 0x30)
            return PLC_ERR_ADP_ADDR; /* 64-bit mesh addresses: G3 routes 16-bit ones */
        h->mesh = 1;
        h->hops_left = b[0] & 0x0F;
        i = 1;
        if (h->hops_left == 0x0F) {
            if (len < 2)
                return PLC_ERR_ADP_SHORT;
            h->hops_left = b[1];
            i = 2;
        }
        if (len < i + 4)
            return PLC_ERR_ADP_SHORT;
        h->orig = be16(b + i);
        h->final = be16(b + i + 2);
        i += 4;
    }
    if (i < len && b[i] == 0x50) { /* BC0 */
        if (len < i + 2)
            return PLC_ERR_ADP_SHORT;
        h->bc0 = 1;
        h->bc_seq = b[i + 1];
        i += 2;
    }
    if (i < len && ((b[i] & 0xF8) == 0xC0 || (b[i] & 0xF8) == 0xE0)) { /* FRAG1 / FRAGN */
        const int first = (b[i] & 0xF8) == 0xC0;
        if (len < i + (first ? 4u : 5u))
            return PLC_ERR_ADP_SHORT;
        h->frag = first ? PLC_ADP_FRAG1 : PLC_ADP_FRAGN;
        h->dgram_size = (uint16_t)((b[i] & 0x07) << 8 | b[i + 1]);
        h->dgram_tag = be16(b + i + 2);
        h->offset = first ? 0 : (uint16_t)(b[i + 4] * 8u);
        i += first ? 4 : 5;
        if (h->dgram_size == 0 || h->dgram_size > PLC_ADP_MTU || h->offset >= h->dgram_size)
            return PLC_ERR_ADP_FRAG;
    }
    if (i >= len)
        return PLC_ERR_ADP_SHORT; /* headers and no dispatch */
    h->payload = b + i;
    h->len = len - i;
    return PLC_OK;
}

int plc_adp_header_encode(const plc_adp_header *h, uint8_t *out, size_t cap, size_t *used)
{
    if (!h || !out || !used)
        return PLC_ERR_ARG;
    uint8_t tmp[PLC_ADP_MAX_HEADER];
    size_t i = 0;
    if (h->mesh) {
        if (h->hops_left >= 0x0F) {
            tmp[i++] = 0xBF;
            tmp[i++] = h->hops_left;
        } else {
            tmp[i++] = (uint8_t)(0xB0 | h->hops_left);
        }
        put16(tmp + i, h->orig);
        put16(tmp + i + 2, h->final);
        i += 4;
    }
    if (h->bc0) {
        tmp[i++] = 0x50;
        tmp[i++] = h->bc_seq;
    }
    if (h->frag) {
        if (h->dgram_size == 0 || h->dgram_size > PLC_ADP_MTU || h->offset % 8 ||
            h->offset >= h->dgram_size || (h->frag == PLC_ADP_FRAG1 && h->offset))
            return PLC_ERR_ARG;
        tmp[i++] = (uint8_t)((h->frag == PLC_ADP_FRAG1 ? 0xC0 : 0xE0) | h->dgram_size >> 8);
        tmp[i++] = (uint8_t)h->dgram_size;
        put16(tmp + i, h->dgram_tag);
        i += 2;
        if (h->frag == PLC_ADP_FRAGN)
            tmp[i++] = (uint8_t)(h->offset / 8);
    }
    if (i > cap)
        return PLC_ERR_BUFFER;
    for (size_t k = 0; k < i; k++)
        out[k] = tmp[k];
    *used = i;
    return PLC_OK;
}

int plc_loadng_decode(const uint8_t *p, size_t len, plc_loadng_msg *m)
{
    if (!p || !m)
        return PLC_ERR_ARG;
    *m = (plc_loadng_msg){0};
    if (len < 1)
        return PLC_ERR_ADP_SHORT;
    m->type = p[0];
    const uint8_t *f = p + 1;
    const size_t n = len - 1;
    switch (m->type) {
    case PLC_LOADNG_RREQ:
    case PLC_LOADNG_RREP:
        if (n != PLC_LOADNG_RREQ_LEN)
            return PLC_ERR_ADP_LENGTH;
        m->dest = be16(f);
        m->orig = be16(f + 2);
        m->seq = be16(f + 4);
        m->flags = f[6] & 0xC0;
        m->metric = f[6] & 0x0F;
        if (f[6] & 0x30)
            return PLC_ERR_ADP_RESERVED;
        if (m->type == PLC_LOADNG_RREP && (m->flags & PLC_LOADNG_FLAG_UNICAST))
            return PLC_ERR_ADP_RESERVED;
        m->cost = be16(f + 7);
        m->hop_limit = f[9] >> 4;
        m->hop_count = f[9] & 0x0F;
        m->weak_links = f[10] >> 4;
        if (f[10] & 0x0F)
            return PLC_ERR_ADP_RESERVED;
        return PLC_OK;
    case PLC_LOADNG_RERR:
        if (n != PLC_LOADNG_RERR_LEN)
            return PLC_ERR_ADP_LENGTH;
        m->dest = be16(f);
        m->orig = be16(f + 2);
        m->error = f[4];
        m->unreachable = be16(f + 5);
        m->hop_limit = f[7] >> 4;
        if (f[7] & 0x0F)
            return PLC_ERR_ADP_RESERVED;
        return PLC_OK;
    default:
        return PLC_ERR_ADP_TYPE; /* RLC is not used here; PREQ/PREP: plc_loadng_path_decode */
    }
}

int plc_loadng_encode(const plc_loadng_msg *m, uint8_t *out, size_t cap)
{
    if (!m || !out || m->metric > 15 || m->hop_limit > 15 || m->hop_count > 15 ||
        m->weak_links > 15 || (m->flags & 0x3F))
        return PLC_ERR_ARG;
    const size_t n = m->type == PLC_LOADNG_RERR ? PLC_LOADNG_RERR_LEN : PLC_LOADNG_RREQ_LEN;
    if (m->type > PLC_LOADNG_RERR)
        return PLC_ERR_ARG;
    if (cap < 3 + n)
        return PLC_ERR_BUFFER;
    out[0] = PLC_ADP_DISPATCH_ESC;
    out[1] = PLC_ADP_ESC_LOADNG;
    out[2] = m->type;
    uint8_t *f = out + 3;
    put16(f, m->dest);
    put16(f + 2, m->orig);
    if (m->type == PLC_LOADNG_RERR) {
        f[4] = m->error;
        put16(f + 5, m->unreachable);
        f[7] = (uint8_t)(m->hop_limit << 4);
    } else {
        put16(f + 4, m->seq);
        f[6] = (uint8_t)(m->flags | m->metric);
        put16(f + 7, m->cost);
        f[9] = (uint8_t)(m->hop_limit << 4 | m->hop_count);
        f[10] = (uint8_t)(m->weak_links << 4);
    }
    return (int)(3 + n);
}

/* ---- path discovery ---- */
static int hops_decode(const uint8_t *p, size_t n, plc_loadng_hop *h)
{
    for (size_t k = 0; k < n; k++, p += 4) {
        if (p[2] & 0x03)
            return PLC_ERR_ADP_RESERVED;
        h[k] = (plc_loadng_hop){.addr = be16(p), .mns = p[2] >> 7, .phase = (p[2] >> 4) & 7,
                                .mrx = (p[2] >> 3) & 1, .mtx = (p[2] >> 2) & 1, .cost = p[3]};
    }
    return PLC_OK;
}

int plc_loadng_path_decode(const uint8_t *p, size_t len, plc_loadng_path *m)
{
    if (!p || !m)
        return PLC_ERR_ARG;
    *m = (plc_loadng_path){0};
    if (len < 1)
        return PLC_ERR_ADP_SHORT;
    m->type = p[0];
    if (m->type != PLC_LOADNG_PREQ && m->type != PLC_LOADNG_PREP)
        return PLC_ERR_ADP_TYPE;
    const size_t head = m->type == PLC_LOADNG_PREQ ? 7 : 9;
    if (len < head || (len - head) % 4)
        return PLC_ERR_ADP_LENGTH;
    m->dest = be16(p + 1);
    if (m->type == PLC_LOADNG_PREQ)
        m->orig = be16(p + 3);
    else
        m->expected = be16(p + 3);
    m->metric = p[5] >> 4;
    if ((p[5] & 0x0F) || p[6])
        return PLC_ERR_ADP_RESERVED;
    const size_t hops = (len - head) / 4;
    const uint8_t *h = p + head;
    if (m->type == PLC_LOADNG_PREQ) {
        if (hops > PLC_LOADNG_PATH_HOPS)
            return PLC_ERR_ADP_PATH;
        m->n_fwd = (uint8_t)hops;
        return hops_decode(h, hops, m->fwd);
    }
    m->orig = be16(p + 7);
    /* the forward hops end with the originator's last appearance (a loop on the way out
     * shows it twice; the way back never holds it) */
    size_t fwd = hops;
    while (fwd > 0 && be16(h + 4 * (fwd - 1)) != m->orig)
        fwd--;
    if (fwd == 0)
        return PLC_ERR_ADP_PATH;
    fwd--;
    if (fwd + 1 > PLC_LOADNG_PATH_HOPS || hops - fwd - 1 > PLC_LOADNG_PATH_HOPS)
        return PLC_ERR_ADP_PATH;
    m->n_fwd = (uint8_t)(fwd + 1);
    m->n_rev = (uint8_t)(hops - fwd - 1);
    const int rc = hops_decode(h, m->n_fwd, m->fwd);
    return rc != PLC_OK ? rc : hops_decode(h + 4 * m->n_fwd, m->n_rev, m->rev);
}

static int hops_encode(const plc_loadng_hop *h, unsigned n, uint8_t *p)
{
    for (unsigned k = 0; k < n; k++, p += 4) {
        if (h[k].mns > 1 || h[k].phase > 7 || h[k].mrx > 1 || h[k].mtx > 1)
            return PLC_ERR_ARG;
        put16(p, h[k].addr);
        p[2] = (uint8_t)(h[k].mns << 7 | h[k].phase << 4 | h[k].mrx << 3 | h[k].mtx << 2);
        p[3] = h[k].cost;
    }
    return PLC_OK;
}

int plc_loadng_path_encode(const plc_loadng_path *m, uint8_t *out, size_t cap)
{
    if (!m || !out || m->metric > 15 || m->n_fwd > PLC_LOADNG_PATH_HOPS ||
        m->n_rev > PLC_LOADNG_PATH_HOPS)
        return PLC_ERR_ARG;
    const int preq = m->type == PLC_LOADNG_PREQ;
    if (!preq && (m->type != PLC_LOADNG_PREP || m->n_fwd == 0 ||
                  m->fwd[m->n_fwd - 1].addr != m->orig))
        return PLC_ERR_ARG; /* a PREP's forward hops end with its originator */
    for (unsigned k = 0; k < m->n_rev; k++)
        if (m->rev[k].addr == m->orig)
            return PLC_ERR_ARG; /* ... and its way back does not hold it */
    if (preq && m->n_rev)
        return PLC_ERR_ARG;
    const size_t head = preq ? 7 : 9, n = 2 + head + 4u * (m->n_fwd + m->n_rev);
    if (cap < n)
        return PLC_ERR_BUFFER;
    out[0] = PLC_ADP_DISPATCH_ESC;
    out[1] = PLC_ADP_ESC_LOADNG;
    uint8_t *f = out + 2;
    f[0] = m->type;
    put16(f + 1, m->dest);
    put16(f + 3, preq ? m->orig : m->expected);
    f[5] = (uint8_t)(m->metric << 4);
    f[6] = 0;
    if (!preq)
        put16(f + 7, m->orig);
    if (hops_encode(m->fwd, m->n_fwd, f + head) != PLC_OK ||
        hops_encode(m->rev, m->n_rev, f + head + 4u * m->n_fwd) != PLC_OK)
        return PLC_ERR_ARG;
    return (int)n;
}
