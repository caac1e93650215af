#include "plc_mac_frame.h"

#include <string.h>

#include "plc_crc.h"

void plc_mac_segctl_write(const plc_mac_segctl *s, uint8_t out[PLC_MAC_SEGCTL_LEN])
{
    out[0] = (uint8_t)((s->tmr & 1) << 3 | (s->cc & 1) << 2 | (s->cap & 1) << 1 | (s->lsf & 1));
    out[1] = (uint8_t)((s->sc & 0x3F) << 2 | (s->sl >> 8 & 3));
    out[2] = (uint8_t)s->sl;
}

int plc_mac_segctl_read(const uint8_t in[PLC_MAC_SEGCTL_LEN], plc_mac_segctl *s)
{
    if (in[0] & 0xF0)
        return PLC_MAC_FRAME_RESERVED;
    s->tmr = in[0] >> 3 & 1;
    s->cc = in[0] >> 2 & 1;
    s->cap = in[0] >> 1 & 1;
    s->lsf = in[0] & 1;
    s->sc = in[1] >> 2;
    s->sl = (uint16_t)((in[1] & 3) << 8 | in[2]);
    return PLC_MAC_FRAME_OK;
}

static size_t addr_len(uint8_t mode)
{
    return mode == PLC_MAC_ADDR_SHORT ? 2 : mode == PLC_MAC_ADDR_EXT ? 8 : 0;
}

static int fields_valid(const plc_mac_frame *f)
{
    if (f->type != PLC_MAC_BEACON && f->type != PLC_MAC_DATA && f->type != PLC_MAC_COMMAND)
        return PLC_MAC_FRAME_TYPE;
    if (f->version > 1)
        return PLC_MAC_FRAME_VERSION;
    if (f->dst.mode == 1 || f->src.mode == 1 || f->dst.mode > 3 || f->src.mode > 3)
        return PLC_MAC_FRAME_ADDR_MODE;
    if (f->panid_compression && (!f->dst.mode || !f->src.mode))
        return PLC_MAC_FRAME_PANID_COMP;
    if (f->security && f->sec_level != PLC_MAC_SEC_ENC_MIC32)
        return PLC_MAC_FRAME_SEC_LEVEL;
    return PLC_MAC_FRAME_OK;
}

size_t plc_mac_header_len(const plc_mac_frame *f)
{
    size_t n = 3; /* frame control, sequence number */
    if (f->dst.mode)
        n += 2 + addr_len(f->dst.mode);
    if (f->src.mode)
        n += (f->panid_compression ? 0 : 2) + addr_len(f->src.mode);
    if (f->security)
        n += 6; /* security control, frame counter, key index */
    return n;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put_addr(uint8_t *p, const plc_mac_addr *a)
{
    if (a->mode == PLC_MAC_ADDR_SHORT)
        return put16(p, a->short_addr);
    if (a->mode == PLC_MAC_ADDR_EXT)
        for (int i = 0; i < 8; i++)
            *p++ = (uint8_t)(a->ext >> (8 * i));
    return p;
}

int plc_mac_header_encode(const plc_mac_frame *f, uint8_t *out, size_t max, size_t *len)
{
    int st = fields_valid(f);
    if (st)
        return st;
    const size_t n = plc_mac_header_len(f);
    if (n > max)
        return PLC_MAC_FRAME_TOO_LONG;
    const uint16_t fc = (uint16_t)((f->type & 7) | (f->security & 1) << 3 | (f->pending & 1) << 4 |
                                   (f->ack_request & 1) << 5 | (f->panid_compression & 1) << 6 |
                                   (f->dst.mode & 3) << 10 | (f->version & 3) << 12 |
                                   (f->src.mode & 3) << 14);
    uint8_t *p = put16(out, fc);
    *p++ = f->seq;
    if (f->dst.mode) {
        p = put16(p, f->dst_pan);
        p = put_addr(p, &f->dst);
    }
    if (f->src.mode) {
        if (!f->panid_compression)
            p = put16(p, f->src_pan);
        p = put_addr(p, &f->src);
    }
    if (f->security) {
        *p++ = (uint8_t)(f->sec_level | 1 << 3); /* key identifier mode 1 */
        for (int i = 0; i < 4; i++)
            *p++ = (uint8_t)(f->frame_counter >> (8 * i));
        *p++ = f->key_index;
    }
    *len = n;
    return PLC_MAC_FRAME_OK;
}

int plc_mac_frame_encode(plc_mac_frame *f, uint8_t *out, size_t max, size_t *len)
{
    size_t h;
    int st = plc_mac_header_encode(f, out, max, &h);
    if (st)
        return st;
    if (f->payload_len && !f->payload)
        return PLC_MAC_FRAME_ARG;
    if (f->security && f->payload_len < PLC_MAC_MIC_LEN)
        return PLC_MAC_FRAME_NO_MIC;
    if (h + f->payload_len + PLC_MAC_FCS_LEN > max)
        return PLC_MAC_FRAME_TOO_LONG;
    if (f->payload_len)
        memmove(out + h, f->payload, f->payload_len);
    const size_t n = h + f->payload_len;
    f->fcs = plc_crc16_xmodem(out, n);
    put16(out + n, f->fcs);
    f->header_len = h;
    *len = n + PLC_MAC_FCS_LEN;
    return PLC_MAC_FRAME_OK;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static const uint8_t *get_addr(const uint8_t *p, plc_mac_addr *a)
{
    if (a->mode == PLC_MAC_ADDR_SHORT) {
        a->short_addr = get16(p);
        return p + 2;
    }
    if (a->mode == PLC_MAC_ADDR_EXT) {
        a->ext = 0;
        for (int i = 0; i < 8; i++)
            a->ext |= (uint64_t)p[i] << (8 * i);
        return p + 8;
    }
    return p;
}

int plc_mac_frame_decode(const uint8_t *in, size_t len, plc_mac_frame *f)
{
    memset(f, 0, sizeof(*f));
    if (len < 3 + PLC_MAC_FCS_LEN)
        return PLC_MAC_FRAME_SHORT;
    const uint16_t fc = get16(in);
    f->type = fc & 7;
    f->security = fc >> 3 & 1;
    f->pending = fc >> 4 & 1;
    f->ack_request = fc >> 5 & 1;
    f->panid_compression = fc >> 6 & 1;
    f->dst.mode = fc >> 10 & 3;
    f->version = fc >> 12 & 3;
    f->src.mode = fc >> 14 & 3;
    f->seq = in[2];
    /* the security level is checked once the auxiliary header is read */
    f->sec_level = f->security ? PLC_MAC_SEC_ENC_MIC32 : 0;
    int st = fields_valid(f);
    if (st)
        return st;
    const size_t body = len - PLC_MAC_FCS_LEN;
    const size_t h = plc_mac_header_len(f);
    if (h > body)
        return PLC_MAC_FRAME_SHORT;
    const uint16_t fcs = get16(in + body);
    if (plc_crc16_xmodem(in, body) != fcs)
        return PLC_MAC_FRAME_FCS;
    const uint8_t *p = in + 3;
    if (f->dst.mode) {
        f->dst_pan = get16(p);
        p = get_addr(p + 2, &f->dst);
    }
    if (f->src.mode) {
        if (f->panid_compression) {
            f->src_pan = f->dst_pan;
        } else {
            f->src_pan = get16(p);
            p += 2;
        }
        p = get_addr(p, &f->src);
    }
    if (f->security) {
        f->sec_level = p[0] & 7;
        if (f->sec_level != PLC_MAC_SEC_ENC_MIC32)
            return PLC_MAC_FRAME_SEC_LEVEL;
        if ((p[0] >> 3 & 3) != 1)
            return PLC_MAC_FRAME_KEY_MODE;
        f->frame_counter = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                           (uint32_t)p[4] << 24;
        f->key_index = p[5];
        p += 6;
    }
    f->header_len = h;
    f->payload = p;
    f->payload_len = body - h;
    if (f->security && f->payload_len < PLC_MAC_MIC_LEN)
        return PLC_MAC_FRAME_NO_MIC;
    f->fcs = fcs;
    return PLC_MAC_FRAME_OK;
}

int plc_mac_psdu_decode(const uint8_t *psdu, size_t len, plc_mac_frame *f)
{
    memset(f, 0, sizeof(*f));
    if (len < PLC_MAC_SEGCTL_LEN)
        return PLC_MAC_FRAME_SHORT;
    plc_mac_segctl seg;
    int st = plc_mac_segctl_read(psdu, &seg);
    if (st)
        return st;
    if (seg.sl > len - PLC_MAC_SEGCTL_LEN || seg.sl < 3 + PLC_MAC_FCS_LEN)
        return PLC_MAC_FRAME_SEGLEN;
    st = plc_mac_frame_decode(psdu + PLC_MAC_SEGCTL_LEN, seg.sl, f);
    f->seg = seg;
    return st;
}

void plc_mac_tonemap_response_encode(const plc_mac_tonemap_response *r,
                                     uint8_t out[PLC_MAC_TONEMAP_RESPONSE_LEN])
{
    out[0] = (uint8_t)((r->mod & 3) << 1 | (r->tx_gain & 15) << 3 | (r->tx_res & 1) << 7);
    out[1] = r->tonemap & 0x3F;
    out[2] = r->lqi;
    out[3] = out[4] = out[5] = 0;
}

int plc_mac_tonemap_response_decode(const uint8_t *in, size_t len, plc_mac_tonemap_response *r)
{
    if (len != PLC_MAC_TONEMAP_RESPONSE_LEN)
        return PLC_MAC_FRAME_PAYLOAD;
    if ((in[0] & 1) || (in[1] & 0xC0) || !(in[1] & 0x3F))
        return PLC_MAC_FRAME_ARG; /* payload modulation scheme 1 or an empty/oversize tone map */
    r->mod = in[0] >> 1 & 3;
    r->tx_gain = in[0] >> 3 & 15;
    r->tx_res = in[0] >> 7;
    r->tonemap = in[1];
    r->lqi = in[2];
    return PLC_MAC_FRAME_OK;
}

void plc_mac_beacon_encode(uint16_t rc_coord, int pan_coordinator,
                           uint8_t out[PLC_MAC_BEACON_LEN])
{
    out[0] = 0xFF; /* beacon order 15, superframe order 15: no superframe */
    out[1] = (uint8_t)(0x0F | (pan_coordinator ? 0x40 : 0) | 0x80);
    out[2] = 0; /* GTS */
    out[3] = 0; /* pending addresses */
    out[4] = (uint8_t)rc_coord;
    out[5] = (uint8_t)(rc_coord >> 8);
}

int plc_mac_beacon_decode(const uint8_t *in, size_t len, uint16_t *rc_coord)
{
    if (len != PLC_MAC_BEACON_LEN)
        return PLC_MAC_FRAME_PAYLOAD;
    if (in[2] != 0 || in[3] != 0)
        return PLC_MAC_FRAME_ARG; /* GTS or pending addresses: not used by G3 */
    *rc_coord = (uint16_t)(in[4] | in[5] << 8);
    return PLC_MAC_FRAME_OK;
}
