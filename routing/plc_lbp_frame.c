#include "plc_lbp_frame.h"

#include <string.h>

#include "plc_adp_frame.h"

#define EAP_HEAD 6 /* code, id, length (2), type, flags */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int known_type(uint8_t t)
{
    switch (t) {
    case PLC_LBP_JOINING: case PLC_LBP_KICK_FROM_LBD: case PLC_LBP_CONFLICT:
    case PLC_LBP_ACCEPTED: case PLC_LBP_CHALLENGE: case PLC_LBP_DECLINE:
    case PLC_LBP_KICK_TO_LBD:
        return 1;
    default:
        return 0;
    }
}

int plc_lbp_decode(const uint8_t *p, size_t len, plc_lbp_msg *m)
{
    if (!p || !m)
        return PLC_ERR_ARG;
    if (len < PLC_LBP_HEADER - 2)
        return PLC_ERR_LBP_FORMAT;
    const uint16_t h = be16(p);
    if ((h & 0x07FF) != 0) /* media 0 (PLC), no-backup 0, reserved 0 */
        return PLC_ERR_LBP_FORMAT;
    m->type = (uint8_t)(h >> 12);
    if (!known_type(m->type))
        return PLC_ERR_LBP_FORMAT;
    m->lbd = 0;
    for (int i = 0; i < 8; i++)
        m->lbd = m->lbd << 8 | p[2 + i];
    m->data = p + 10;
    m->len = len - 10;
    return PLC_OK;
}

int plc_lbp_encode(const plc_lbp_msg *m, uint8_t *out, size_t cap)
{
    if (!m || !out || !known_type(m->type) || (m->len && !m->data))
        return PLC_ERR_ARG;
    if (cap < PLC_LBP_HEADER + m->len)
        return PLC_ERR_BUFFER;
    out[0] = PLC_ADP_DISPATCH_ESC;
    out[1] = PLC_ADP_ESC_LBP;
    put16(out + 2, (uint16_t)(m->type << 12));
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(m->lbd >> (56 - 8 * i));
    if (m->len)
        memmove(out + PLC_LBP_HEADER, m->data, m->len);
    return (int)(PLC_LBP_HEADER + m->len);
}

/* ---- EAP ---- */
static size_t body_len(uint8_t psk)
{
    switch (psk) {
    case 1: return 16 + PLC_EAP_PSK_ID;
    case 2: return 16 + 16 + 16 + PLC_EAP_PSK_ID;
    case 3: return 16 + 16;
    default: return 16;
    }
}

/* The EAX header: the first 22 bytes with the plain (unshifted) code. */
static void pchannel_header(const uint8_t *pkt, uint8_t hdr[PLC_EAP_PSK_HEADER])
{
    memcpy(hdr, pkt, PLC_EAP_PSK_HEADER);
    hdr[0] = (uint8_t)(pkt[0] >> 2);
}

int plc_eap_encode(const plc_eap_msg *m, const plc_eap_psk_keys *keys, uint8_t *out, size_t cap)
{
    if (!m || !out)
        return PLC_ERR_ARG;
    if (m->code == PLC_EAP_SUCCESS || m->code == PLC_EAP_FAILURE) {
        if (cap < 4)
            return PLC_ERR_BUFFER;
        out[0] = m->code;
        out[1] = m->id;
        put16(out + 2, 4);
        return 4;
    }
    if ((m->code != PLC_EAP_REQUEST && m->code != PLC_EAP_RESPONSE) || m->psk < 1 || m->psk > 4 ||
        (m->code == PLC_EAP_REQUEST) != (m->psk % 2 == 1) || m->ext_len > PLC_EAP_MAX_EXT ||
        (m->psk >= 3 && !keys))
        return PLC_ERR_ARG;
    const int pchan = m->psk >= 3;
    const size_t plain = pchan ? 1 + (m->ext_len ? 1 + m->ext_len : 0) : 0;
    const size_t n = EAP_HEAD + body_len(m->psk) + (pchan ? 4 + 16 + plain : 0);
    if (cap < n)
        return PLC_ERR_BUFFER;
    out[0] = m->code;
    out[1] = m->id;
    put16(out + 2, (uint16_t)n);
    out[4] = PLC_EAP_TYPE_PSK;
    out[5] = (uint8_t)((m->psk - 1) << 6);
    uint8_t *b = out + EAP_HEAD;
    memcpy(b, m->rand_s, 16);
    b += 16;
    if (m->psk == 1) {
        memcpy(b, m->id_x, PLC_EAP_PSK_ID);
    } else if (m->psk == 2) {
        memcpy(b, m->rand_p, 16);
        memcpy(b + 16, m->mac, 16);
        memcpy(b + 32, m->id_x, PLC_EAP_PSK_ID);
    } else {
        if (m->psk == 3) {
            memcpy(b, m->mac, 16);
            b += 16;
        }
        b[0] = (uint8_t)(m->nonce >> 24);
        b[1] = (uint8_t)(m->nonce >> 16);
        b[2] = (uint8_t)(m->nonce >> 8);
        b[3] = (uint8_t)m->nonce;
        uint8_t *enc = b + 20;
        enc[0] = (uint8_t)(m->result << 6 | (m->ext_len ? 0x20 : 0));
        if (m->ext_len) {
            enc[1] = PLC_EAP_EXT_PARAMETERS;
            memcpy(enc + 2, m->ext, m->ext_len);
        }
        uint8_t hdr[PLC_EAP_PSK_HEADER];
        pchannel_header(out, hdr);
        const int rc = plc_eap_psk_pchannel_seal(keys, m->nonce, hdr, enc, plain, b + 4);
        if (rc != PLC_OK)
            return rc;
    }
    return (int)n;
}

int plc_eap_decode(const uint8_t *p, size_t len, plc_eap_msg *m)
{
    if (!p || !m)
        return PLC_ERR_ARG;
    memset(m, 0, sizeof(*m));
    if (len < 4 || be16(p + 2) != len)
        return PLC_ERR_LBP_FORMAT;
    m->code = p[0];
    m->id = p[1];
    if (m->code == PLC_EAP_SUCCESS || m->code == PLC_EAP_FAILURE)
        return len == 4 ? PLC_OK : PLC_ERR_LBP_FORMAT;
    if ((m->code != PLC_EAP_REQUEST && m->code != PLC_EAP_RESPONSE) || len < EAP_HEAD ||
        p[4] != PLC_EAP_TYPE_PSK || (p[5] & 0x3F))
        return PLC_ERR_LBP_FORMAT;
    m->psk = (uint8_t)((p[5] >> 6) + 1);
    if ((m->code == PLC_EAP_REQUEST) != (m->psk % 2 == 1))
        return PLC_ERR_LBP_FORMAT;
    const size_t need = EAP_HEAD + body_len(m->psk) + (m->psk >= 3 ? 4 + 16 + 1 : 0);
    if (m->psk <= 2 ? len != need : len < need)
        return PLC_ERR_LBP_FORMAT;
    const uint8_t *b = p + EAP_HEAD;
    memcpy(m->rand_s, b, 16);
    b += 16;
    if (m->psk == 1) {
        memcpy(m->id_x, b, PLC_EAP_PSK_ID);
    } else if (m->psk == 2) {
        memcpy(m->rand_p, b, 16);
        memcpy(m->mac, b + 16, 16);
        memcpy(m->id_x, b + 32, PLC_EAP_PSK_ID);
    } else {
        if (m->psk == 3) {
            memcpy(m->mac, b, 16);
            b += 16;
        }
        m->nonce = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        memcpy(m->tag, b + 4, 16);
        if (len - need > 1 + PLC_EAP_MAX_EXT)
            return PLC_ERR_LBP_FORMAT;
    }
    return PLC_OK;
}

int plc_eap_open(const uint8_t *p, size_t len, const plc_eap_psk_keys *keys, plc_eap_msg *m)
{
    if (!p || !keys || !m || m->psk < 3)
        return PLC_ERR_ARG;
    const size_t at = EAP_HEAD + body_len(m->psk) + 4 + 16; /* the encrypted part */
    if (len <= at || len - at > 2 + PLC_EAP_MAX_EXT)
        return PLC_ERR_LBP_FORMAT;
    uint8_t enc[2 + PLC_EAP_MAX_EXT], hdr[PLC_EAP_PSK_HEADER];
    const size_t n = len - at;
    memcpy(enc, p + at, n);
    pchannel_header(p, hdr);
    if (plc_eap_psk_pchannel_open(keys, m->nonce, hdr, enc, n, m->tag) != PLC_OK)
        return PLC_ERR_LBP_AUTH;
    m->result = enc[0] >> 6;
    const int e = (enc[0] & 0x20) != 0;
    if ((enc[0] & 0x1F) || m->result == 0 || (e ? n < 2 || enc[1] != PLC_EAP_EXT_PARAMETERS : n != 1))
        return PLC_ERR_LBP_FORMAT;
    m->ext_len = e ? n - 2 : 0;
    memcpy(m->ext, enc + 2, m->ext_len);
    return PLC_OK;
}

int plc_lbp_encode_eap(uint8_t type, uint64_t lbd, const plc_eap_msg *m,
                       const plc_eap_psk_keys *keys, uint8_t *out, size_t cap)
{
    if (!out || cap < PLC_LBP_HEADER)
        return PLC_ERR_BUFFER;
    const int n = plc_eap_encode(m, keys, out + PLC_LBP_HEADER, cap - PLC_LBP_HEADER);
    if (n < 0)
        return n;
    const plc_lbp_msg l = {.type = type, .lbd = lbd, .data = out + PLC_LBP_HEADER,
                           .len = (size_t)n};
    return plc_lbp_encode(&l, out, cap); /* the data is already in place */
}

void plc_lbp_eui_bytes(uint64_t eui, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(eui >> (56 - 8 * i));
}

/* ---- parameters ---- */
static uint8_t *param(uint8_t *o, uint8_t id, const uint8_t *v, uint8_t n)
{
    o[0] = id;
    o[1] = n;
    memcpy(o + 2, v, n);
    return o + 2 + n;
}

int plc_lbp_params_encode(const plc_lbp_params *p, uint8_t *out, size_t cap)
{
    if (!p || !out)
        return PLC_ERR_ARG;
    const size_t n = (p->has_short ? 4u : 0u) + (p->has_gmk ? 19u : 0u) +
                     (p->has_activation ? 3u : 0u) + (p->has_removal ? 3u : 0u) +
                     (p->has_result ? 4u : 0u) + (p->has_retry ? 4u : 0u);
    if (cap < n)
        return PLC_ERR_BUFFER;
    uint8_t *o = out;
    if (p->has_short) {
        const uint8_t v[2] = {(uint8_t)(p->short_addr >> 8), (uint8_t)p->short_addr};
        o = param(o, PLC_LBP_PARAM_SHORT_ADDR, v, 2);
    }
    if (p->has_gmk) {
        uint8_t v[17];
        v[0] = p->gmk_id;
        memcpy(v + 1, p->gmk, 16);
        o = param(o, PLC_LBP_PARAM_GMK, v, 17);
    }
    if (p->has_activation)
        o = param(o, PLC_LBP_PARAM_GMK_ACTIVATION, &p->activation_id, 1);
    if (p->has_removal)
        o = param(o, PLC_LBP_PARAM_GMK_REMOVAL, &p->removal_id, 1);
    if (p->has_result) {
        const uint8_t v[2] = {p->result, p->result_attr};
        o = param(o, PLC_LBP_PARAM_RESULT, v, 2);
    }
    if (p->has_retry) {
        const uint8_t v[2] = {(uint8_t)(p->retry_s >> 8), (uint8_t)p->retry_s};
        o = param(o, PLC_LBP_PARAM_RETRY_AFTER, v, 2);
    }
    return (int)(o - out);
}

int plc_lbp_params_decode(const uint8_t *b, size_t len, plc_lbp_params *p, uint8_t *unknown)
{
    if (!b || !p)
        return PLC_ERR_ARG;
    memset(p, 0, sizeof(*p));
    if (unknown)
        *unknown = 0;
    size_t i = 0;
    while (i < len) {
        if (len - i < 2 || len - i - 2 < b[i + 1] || !(b[i] & 1))
            return PLC_ERR_LBP_FORMAT;
        const uint8_t id = b[i], n = b[i + 1];
        const uint8_t *v = b + i + 2;
        int ok = 1;
        switch (id) {
        case PLC_LBP_PARAM_SHORT_ADDR:
            ok = n == 2;
            p->has_short = 1;
            p->short_addr = ok ? be16(v) : 0;
            break;
        case PLC_LBP_PARAM_GMK:
            ok = n == 17;
            if (ok) {
                p->has_gmk = 1;
                p->gmk_id = v[0];
                memcpy(p->gmk, v + 1, 16);
            }
            break;
        case PLC_LBP_PARAM_GMK_ACTIVATION:
        case PLC_LBP_PARAM_GMK_REMOVAL:
            ok = n == 1;
            if (ok && id == PLC_LBP_PARAM_GMK_ACTIVATION) {
                p->has_activation = 1;
                p->activation_id = v[0];
            } else if (ok) {
                p->has_removal = 1;
                p->removal_id = v[0];
            }
            break;
        case PLC_LBP_PARAM_RESULT:
            ok = n == 2;
            if (ok) {
                p->has_result = 1;
                p->result = v[0];
                p->result_attr = v[1];
            }
            break;
        case PLC_LBP_PARAM_RETRY_AFTER:
            ok = n == 2;
            p->has_retry = ok;
            p->retry_s = ok ? be16(v) : 0;
            break;
        default:
            if (unknown)
                *unknown = id;
            return PLC_ERR_LBP_FORMAT;
        }
        if (!ok)
            return PLC_ERR_LBP_FORMAT;
        i += 2u + n;
    }
    return PLC_OK;
}

int plc_lbp_decline_encode(uint8_t eap_id, unsigned retry_s, uint8_t *out, size_t cap)
{
    const plc_eap_msg m = {.code = PLC_EAP_FAILURE, .id = eap_id};
    const int n = plc_eap_encode(&m, NULL, out, cap);
    if (n < 0 || !retry_s)
        return n;
    const plc_lbp_params p = {.has_retry = 1,
                              .retry_s = (uint16_t)(retry_s < 0xFFFF ? retry_s : 0xFFFF)};
    const int k = plc_lbp_params_encode(&p, out + n, cap - (size_t)n);
    return k < 0 ? k : n + k;
}

int plc_lbp_decline_retry(const uint8_t *data, size_t len, unsigned *retry_s)
{
    if (!data || !retry_s)
        return PLC_ERR_ARG;
    *retry_s = 0;
    if (len < 4 || be16(data + 2) > len || be16(data + 2) < 4)
        return PLC_ERR_LBP_FORMAT;
    const size_t eap = be16(data + 2);
    if (eap == len)
        return PLC_OK;
    plc_lbp_params p;
    if (plc_lbp_params_decode(data + eap, len - eap, &p, NULL) != PLC_OK || !p.has_retry ||
        p.has_short || p.has_gmk || p.has_activation || p.has_removal || p.has_result)
        return PLC_ERR_LBP_FORMAT;
    *retry_s = p.retry_s;
    return PLC_OK;
}
