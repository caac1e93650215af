#include "plc_fec.h"

#include <stdlib.h>
#include <string.h>

#include "plc_bits.h"
#include "plc_conv.h"
#include "plc_err.h"
#include "plc_interleaver.h"
#include "plc_phy_conventions.h"
#include "plc_repetition.h"
#include "plc_rs.h"
#include "plc_scrambler.h"
#include "plc_viterbi.h"

#define MAX_RS_BITS (8 * 255)

struct plc_fec {
    plc_rs *rs16, *rs8;
    plc_viterbi *vit;
    uint8_t bytes[255];
    uint8_t rs_bits[MAX_RS_BITS];           /* RS codeword as bits, the encoder's input */
    uint8_t bits_a[PLC_PHY_MAX_FRAME_BITS]; /* transmit scratch */
    uint8_t bits_b[PLC_PHY_MAX_FRAME_BITS];
    int8_t soft_a[PLC_PHY_MAX_FRAME_BITS];  /* receive scratch */
    int8_t soft_b[PLC_PHY_MAX_FRAME_BITS];
};

plc_fec *plc_fec_create(void)
{
    plc_fec *fec = calloc(1, sizeof(*fec));
    if (!fec)
        return NULL;
    fec->rs16 = plc_rs_create(16);
    fec->rs8 = plc_rs_create(8);
    fec->vit = plc_viterbi_create(MAX_RS_BITS);
    if (!fec->rs16 || !fec->rs8 || !fec->vit) {
        plc_fec_destroy(fec);
        return NULL;
    }
    return fec;
}

void plc_fec_destroy(plc_fec *fec)
{
    if (!fec)
        return;
    plc_rs_destroy(fec->rs16);
    plc_rs_destroy(fec->rs8);
    plc_viterbi_destroy(fec->vit);
    free(fec);
}

static void bytes_to_bits(const uint8_t *bytes, size_t nbits, uint8_t *bits)
{
    if (PLC_PHY_BYTES_MSB_FIRST)
        plc_bits_unpack_msb(bytes, nbits, bits);
    else
        plc_bits_unpack_lsb(bytes, nbits, bits);
}

static void bits_to_bytes(const uint8_t *bits, size_t nbits, uint8_t *bytes)
{
    if (PLC_PHY_BYTES_MSB_FIRST)
        plc_bits_pack_msb(bits, nbits, bytes);
    else
        plc_bits_pack_lsb(bits, nbits, bytes);
}

/* conv -> repetition -> pad -> interleave, shared by payload and header. */
static int encode_block(plc_fec *fec, const uint8_t *in_bits, size_t nbits, unsigned copies,
                        unsigned m, size_t total, uint8_t *out, uint8_t *trace_coded,
                        uint8_t *trace_repeated)
{
    const size_t coded = plc_conv_coded_len(nbits), repeated = coded * copies;
    plc_interleaver il;
    int rc = plc_interleaver_init(&il, m, (unsigned)(total / m));
    if (rc)
        return rc;
    plc_conv_encode(in_bits, nbits, fec->bits_a);
    if (trace_coded)
        memcpy(trace_coded, fec->bits_a, coded);
    plc_repeat_bits(fec->bits_a, coded, copies, fec->bits_b);
    if (trace_repeated)
        memcpy(trace_repeated, fec->bits_b, repeated);
    memset(fec->bits_b + repeated, PLC_PHY_PAD_BIT, total - repeated);
    plc_interleave_bits(&il, fec->bits_b, out);
    return PLC_OK;
}

/* deinterleave -> drop pad -> combine copies -> Viterbi. */
static int decode_block(plc_fec *fec, const int8_t *soft, size_t nbits, unsigned copies,
                        unsigned m, size_t total, uint8_t *out_bits)
{
    const size_t coded = plc_conv_coded_len(nbits);
    plc_interleaver il;
    int rc = plc_interleaver_init(&il, m, (unsigned)(total / m));
    if (rc)
        return rc;
    plc_deinterleave_soft(&il, soft, fec->soft_a);
    plc_repeat_combine(fec->soft_a, coded, copies, fec->soft_b);
    return plc_viterbi_decode_soft(fec->vit, fec->soft_b, nbits, out_bits);
}

static int check_payload_layout(const plc_payload_layout *lay)
{
    plc_payload_layout ref;
    if (!lay || plc_payload_layout_for_fl(lay->mod, lay->carriers, lay->fl, &ref))
        return PLC_ERR_ARG;
    return memcmp(&ref, lay, sizeof(ref)) ? PLC_ERR_ARG : PLC_OK;
}

int plc_fec_encode_payload(plc_fec *fec, const plc_payload_layout *lay, const uint8_t *psdu,
                           size_t psdu_len, uint8_t *bits, const plc_fec_trace *trace)
{
    if (!fec || !psdu || !bits || check_payload_layout(lay))
        return PLC_ERR_ARG;
    if (psdu_len < 1 || psdu_len > lay->capacity)
        return PLC_ERR_LENGTH;
    const plc_mode_params *p = plc_mode_get(lay->mod);
    plc_rs *rs = p->nroots == 8 ? fec->rs8 : fec->rs16;

    memset(fec->bytes, 0, sizeof(fec->bytes));
    memcpy(fec->bytes, psdu, psdu_len);
    plc_scrambler scr;
    plc_scrambler_init(&scr, PLC_PHY_SCRAMBLER_SEED);
    plc_scrambler_bytes(&scr, fec->bytes, lay->capacity);
    if (trace && trace->scrambled)
        memcpy(trace->scrambled, fec->bytes, lay->capacity);
    int rc = plc_rs_encode(rs, fec->bytes, lay->capacity, fec->bytes + lay->capacity);
    if (rc)
        return rc;
    if (trace && trace->rs_codeword)
        memcpy(trace->rs_codeword, fec->bytes, lay->rs_len);

    bytes_to_bits(fec->bytes, lay->conv_in_bits, fec->rs_bits);
    return encode_block(fec, fec->rs_bits, lay->conv_in_bits, p->copies, lay->carriers,
                        lay->total_bits, bits, trace ? trace->coded : NULL,
                        trace ? trace->repeated : NULL);
}

int plc_fec_decode_payload(plc_fec *fec, const plc_payload_layout *lay, const int8_t *soft,
                           const int *erasures, int n_erasures, uint8_t *psdu,
                           plc_fec_result *res)
{
    if (!fec || !soft || !psdu || check_payload_layout(lay))
        return PLC_ERR_ARG;
    const plc_mode_params *p = plc_mode_get(lay->mod);
    plc_rs *rs = p->nroots == 8 ? fec->rs8 : fec->rs16;

    int rc = decode_block(fec, soft, lay->conv_in_bits, p->copies, lay->carriers,
                          lay->total_bits, fec->rs_bits);
    if (rc)
        return rc;
    bits_to_bytes(fec->rs_bits, lay->conv_in_bits, fec->bytes);
    int positions[16];
    rc = plc_rs_decode(rs, fec->bytes, lay->rs_len, erasures, n_erasures, positions);
    if (rc < 0)
        return rc;
    if (res) {
        res->rs_corrected = rc;
        res->rs_erasures_used = n_erasures;
        memcpy(res->rs_positions, positions, (size_t)rc * sizeof(int));
    }
    plc_scrambler scr;
    plc_scrambler_init(&scr, PLC_PHY_SCRAMBLER_SEED);
    plc_scrambler_bytes(&scr, fec->bytes, lay->capacity);
    memcpy(psdu, fec->bytes, lay->capacity);
    return PLC_OK;
}

int plc_fec_encode_fch(plc_fec *fec, const plc_fch_layout *lay, const uint8_t *header,
                       uint8_t *bits, const plc_fec_trace *trace)
{
    if (!fec || !lay || !header || !bits)
        return PLC_ERR_ARG;
    uint8_t hb[128];
    plc_bits_unpack_msb(header, lay->header_bits, hb);
    return encode_block(fec, hb, lay->header_bits, PLC_PHY_FCH_COPIES, lay->carriers,
                        lay->total_bits, bits, trace ? trace->coded : NULL,
                        trace ? trace->repeated : NULL);
}

int plc_fec_decode_fch(plc_fec *fec, const plc_fch_layout *lay, const int8_t *soft,
                       uint8_t *header)
{
    if (!fec || !lay || !soft || !header)
        return PLC_ERR_ARG;
    uint8_t hb[128];
    int rc = decode_block(fec, soft, lay->header_bits, PLC_PHY_FCH_COPIES, lay->carriers,
                          lay->total_bits, hb);
    if (rc)
        return rc;
    plc_bits_pack_msb(hb, lay->header_bits, header);
    return PLC_OK;
}
