#include "plc_phy_params.h"

#include <string.h>

#include "plc_conv.h"
#include "plc_err.h"

static const plc_mode_params modes[] = {
    [PLC_MOD_ROBO] = {1, PLC_PHY_ROBO_COPIES, 8, "robo"},
    [PLC_MOD_DBPSK] = {1, 1, 16, "dbpsk"},
    [PLC_MOD_DQPSK] = {2, 1, 16, "dqpsk"},
    [PLC_MOD_D8PSK] = {3, 1, 16, "d8psk"},
};

const plc_mode_params *plc_mode_get(int mod)
{
    if (mod < PLC_MOD_ROBO || mod > PLC_MOD_D8PSK)
        return NULL;
    return &modes[mod];
}

/* ASCII case-insensitive equality; the core has no locale. */
static int name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        if (x != *b)
            return 0;
    }
    return *a == *b;
}

int plc_mode_parse(const char *name)
{
    for (int m = PLC_MOD_ROBO; m <= PLC_MOD_D8PSK; m++)
        if (name && name_equal(name, modes[m].name))
            return m;
    return -1;
}

/* Fills everything that follows from (mod, carriers, symbols). */
static int layout_fill(plc_modulation mod, unsigned carriers, unsigned symbols,
                       plc_payload_layout *out)
{
    const plc_mode_params *p = plc_mode_get(mod);
    if (!p || !out)
        return PLC_ERR_ARG;
    if (carriers < 1 || carriers > PLC_PHY_MAX_CARRIERS)
        return PLC_ERR_LENGTH;
    if (symbols < 4 || symbols > PLC_PHY_MAX_SYMBOLS || symbols % 4)
        return PLC_ERR_LENGTH;
    const size_t total = (size_t)symbols * carriers * p->bits_per_carrier;
    /* Whole bytes that fit after repetition, rate 1/2 and the 6 tail bits. */
    const size_t coded_room = total / p->copies / 2;
    if (coded_room < PLC_CONV_TAIL + 8u * (p->nroots + 1))
        return PLC_ERR_LENGTH;
    size_t rs_len = (coded_room - PLC_CONV_TAIL) / 8;
    if (rs_len > 255)
        rs_len = 255;
    memset(out, 0, sizeof(*out));
    out->mod = mod;
    out->carriers = carriers;
    out->symbols = symbols;
    out->fl = symbols / 4;
    out->rs_len = rs_len;
    out->capacity = rs_len - p->nroots;
    out->conv_in_bits = 8 * rs_len;
    out->coded_bits = plc_conv_coded_len(out->conv_in_bits);
    out->repeated_bits = out->coded_bits * p->copies;
    out->total_bits = total;
    return PLC_OK;
}

int plc_payload_layout_for_fl(plc_modulation mod, unsigned carriers, unsigned fl,
                              plc_payload_layout *out)
{
    return layout_fill(mod, carriers, 4 * fl, out);
}

int plc_payload_layout_for_psdu(plc_modulation mod, unsigned carriers, size_t psdu_len,
                                plc_payload_layout *out)
{
    const plc_mode_params *p = plc_mode_get(mod);
    if (!p || !out)
        return PLC_ERR_ARG;
    if (psdu_len < 1 || psdu_len > 255 - p->nroots)
        return PLC_ERR_LENGTH;
    if (carriers < 1 || carriers > PLC_PHY_MAX_CARRIERS)
        return PLC_ERR_LENGTH;
    const size_t need = plc_conv_coded_len(8 * (psdu_len + p->nroots)) * p->copies;
    const size_t per_group = 4u * carriers * p->bits_per_carrier;
    const unsigned symbols = (unsigned)(4 * ((need + per_group - 1) / per_group));
    if (symbols > PLC_PHY_MAX_SYMBOLS)
        return PLC_ERR_LENGTH;
    return layout_fill(mod, carriers, symbols, out);
}

int plc_fch_layout_get(unsigned header_bits, unsigned carriers, plc_fch_layout *out)
{
    if (!out || header_bits == 0 || header_bits > 128)
        return PLC_ERR_ARG;
    if (carriers < 1 || carriers > PLC_PHY_MAX_CARRIERS)
        return PLC_ERR_LENGTH;
    out->carriers = carriers;
    out->header_bits = header_bits;
    out->coded_bits = plc_conv_coded_len(header_bits);
    out->repeated_bits = out->coded_bits * PLC_PHY_FCH_COPIES;
    out->symbols = (unsigned)((out->repeated_bits + carriers - 1) / carriers);
    out->total_bits = (size_t)out->symbols * carriers;
    return PLC_OK;
}

unsigned plc_active_carriers(unsigned tonemap, uint64_t tonemask, uint8_t *index)
{
    unsigned m = 0;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        if (!((tonemap >> (c / PLC_PHY_TONEMAP_GROUP)) & 1u) || !((tonemask >> c) & 1u))
            continue;
        if (index)
            index[m] = (uint8_t)c;
        m++;
    }
    return m;
}

double plc_carrier_hz(unsigned c)
{
    return (PLC_PHY_FIRST_CARRIER + c) * (double)PLC_PHY_SAMPLE_RATE / PLC_PHY_FFT_LEN;
}
