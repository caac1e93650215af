#include "plc_fch.h"

#include <string.h>

#include "plc_crc.h"
#include "plc_err.h"

/* MSB-first bit field writer/reader over a byte buffer. */
static void put_bits(uint8_t *buf, unsigned *pos, uint32_t value, unsigned width)
{
    for (unsigned b = width; b-- > 0; (*pos)++)
        if ((value >> b) & 1u)
            buf[*pos >> 3] |= (uint8_t)(0x80u >> (*pos & 7));
}

static uint32_t get_bits(const uint8_t *buf, unsigned *pos, unsigned width)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < width; b++, (*pos)++)
        v = (v << 1) | ((buf[*pos >> 3] >> (7 - (*pos & 7))) & 1u);
    return v;
}

int plc_fch_pack_cenelec(const plc_fch *f, uint8_t out[PLC_FCH_CENELEC_BYTES])
{
    if (!f || !out)
        return PLC_ERR_ARG;
    if (f->dt > PLC_DT_NACK || f->pms > 1 ||
        (!plc_fch_is_ack(f) && (f->mod > 3 || f->fl > 63 || f->tm > 63)))
        return PLC_ERR_FORMAT;
    memset(out, 0, PLC_FCH_CENELEC_BYTES);
    unsigned pos = 0;
    if (plc_fch_is_ack(f)) {
        /* FCS[7:0] | SSCA, 7 reserved | FCS[15:8] | reserved */
        put_bits(out, &pos, f->fcs & 0xFFu, 8);
        put_bits(out, &pos, f->ssca & 1u, 1);
        put_bits(out, &pos, 0, 7);
        put_bits(out, &pos, f->fcs >> 8, 8);
        put_bits(out, &pos, 0, 1);
    } else {
        put_bits(out, &pos, f->pdc, 8);
        put_bits(out, &pos, f->mod, 2);
        put_bits(out, &pos, f->fl, 6);
        put_bits(out, &pos, 0, 2);
        put_bits(out, &pos, f->tm, 6);
        put_bits(out, &pos, f->pms, 1);
    }
    put_bits(out, &pos, f->dt, 3);
    put_bits(out, &pos, plc_crc5_g3(out, 28), 5);
    return PLC_OK;
}

int plc_fch_unpack_cenelec(const uint8_t in[PLC_FCH_CENELEC_BYTES], plc_fch *f)
{
    if (!in || !f)
        return PLC_ERR_ARG;
    unsigned pos = 28;
    if (get_bits(in, &pos, 5) != plc_crc5_g3(in, 28))
        return PLC_ERR_CRC;
    memset(f, 0, sizeof(*f));
    f->dt = (in[3] >> 4) & 7u;
    if (f->dt > PLC_DT_NACK)
        return PLC_ERR_FORMAT;
    if (plc_fch_is_ack(f)) {
        f->fcs = (uint16_t)(in[0] | in[2] << 8);
        f->ssca = in[1] >> 7;
    } else {
        /* the reserved bits (byte 2 bits 7..6) are ignored on receive */
        f->pdc = in[0];
        f->mod = in[1] >> 6;
        f->fl = in[1] & 0x3Fu;
        f->tm = in[2] & 0x3Fu;
        f->pms = in[3] >> 7;
    }
    return PLC_OK;
}

int plc_fch_pack_fcc(const plc_fch *f, uint8_t out[PLC_FCH_FCC_BYTES])
{
    if (!f || !out)
        return PLC_ERR_ARG;
    if (f->dt > PLC_DT_NACK || f->pms > 1 ||
        (!plc_fch_is_ack(f) && (f->mod > 7 || f->fl > 511 || f->tm > 0xFFFFFFu)))
        return PLC_ERR_FORMAT;
    memset(out, 0, PLC_FCH_FCC_BYTES);
    unsigned pos = 0;
    put_bits(out, &pos, f->pdc, 8);
    put_bits(out, &pos, plc_fch_is_ack(f) ? 0 : f->mod, 3);
    put_bits(out, &pos, f->pms, 1);
    put_bits(out, &pos, f->dt, 3);
    if (plc_fch_is_ack(f)) {
        put_bits(out, &pos, f->fcs, 16);
        put_bits(out, &pos, 0, 17);
    } else {
        put_bits(out, &pos, f->fl, 9);
        put_bits(out, &pos, f->tm, 24);
    }
    put_bits(out, &pos, 0, 10);
    put_bits(out, &pos, plc_crc8_g3(out, 58), 8);
    return PLC_OK;
}

int plc_fch_unpack_fcc(const uint8_t in[PLC_FCH_FCC_BYTES], plc_fch *f)
{
    if (!in || !f)
        return PLC_ERR_ARG;
    unsigned pos = 58;
    if (get_bits(in, &pos, 8) != plc_crc8_g3(in, 58))
        return PLC_ERR_CRC;
    memset(f, 0, sizeof(*f));
    pos = 0;
    f->pdc = (uint8_t)get_bits(in, &pos, 8);
    f->mod = (uint8_t)get_bits(in, &pos, 3);
    f->pms = (uint8_t)get_bits(in, &pos, 1);
    f->dt = (uint8_t)get_bits(in, &pos, 3);
    if (f->dt > PLC_DT_NACK)
        return PLC_ERR_FORMAT;
    if (plc_fch_is_ack(f)) {
        f->mod = 0;
        f->fcs = (uint16_t)get_bits(in, &pos, 16);
    } else {
        f->fl = (uint16_t)get_bits(in, &pos, 9);
        f->tm = get_bits(in, &pos, 24);
    }
    return PLC_OK;
}
