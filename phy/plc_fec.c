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
    uint8_t rs_copy[255]; /* codeword before an erasure decode that may be rejected */
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

/* Corrected positions that were not marked as erasures: the errors RS found itself. */
static int rs_errors_beyond(const int *corrected, int n, const int *erasures, int n_erasures)
{
    int e = 0;
    for (int i = 0; i < n; i++) {
        int marked = 0;
        for (int j = 0; j < n_erasures && !marked; j++)
            marked = corrected[i] == erasures[j];
        e += !marked;
    }
    return e;
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
    /* Erasures spend parity: with s erasures and e errors corrected, accept the result
     * only if 2e + s <= nroots - 2, so two parity bytes' worth of detection is left and
     * a decode that merely "fills in" the erasures is not trusted. */
    int positions[16];
    if (n_erasures > (int)p->nroots / 2 || (n_erasures > 0 && !erasures))
        n_erasures = 0;
    rc = PLC_ERR_UNCORRECTABLE;
    if (n_erasures > 0) {
        memcpy(fec->rs_copy, fec->bytes, lay->rs_len);
        rc = plc_rs_decode(rs, fec->bytes, lay->rs_len, erasures, n_erasures, positions);
        if (rc >= 0 && 2 * rs_errors_beyond(positions, rc, erasures, n_erasures) + n_erasures >
                           (int)p->nroots - 2) {
            memcpy(fec->bytes, fec->rs_copy, lay->rs_len);
            rc = PLC_ERR_UNCORRECTABLE;
        }
    }
    if (rc < 0) {
        n_erasures = 0;
        rc = plc_rs_decode(rs, fec->bytes, lay->rs_len, NULL, 0, positions);
    }
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

int plc_fec_payload_erasures(plc_fec *fec, const plc_payload_layout *lay, const uint8_t *erased,
                             int *positions, int max)
{
    if (!fec || !erased || (max > 0 && !positions) || check_payload_layout(lay))
        return PLC_ERR_ARG;
    const plc_mode_params *p = plc_mode_get(lay->mod);
    const size_t per_symbol = lay->total_bits / lay->symbols;
    /* a mask of the erased soft bits in transmit order, taken through the deinterleaver */
    for (size_t k = 0; k < lay->total_bits; k++)
        fec->soft_b[k] = erased[k / per_symbol] ? 1 : 0;
    plc_interleaver il;
    int rc = plc_interleaver_init(&il, lay->carriers, (unsigned)(lay->total_bits / lay->carriers));
    if (rc)
        return rc;
    plc_deinterleave_soft(&il, fec->soft_b, fec->soft_a);
    int n = 0;
    for (size_t j = 0; j < lay->rs_len && n < max; j++) {
        size_t lo = 16 * j, hi = lo + 16 + 12;
        if (hi > lay->coded_bits)
            hi = lay->coded_bits;
        size_t hit = 0;
        for (size_t t = lo; t < hi; t++) {
            unsigned all = 1;
            for (unsigned c = 0; c < p->copies; c++)
                all &= (unsigned)fec->soft_a[c * lay->coded_bits + t];
            hit += all;
        }
        if (2 * hit >= hi - lo)
            positions[n++] = (int)j;
    }
    return n;
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
