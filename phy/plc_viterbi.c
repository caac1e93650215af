#include "plc_viterbi.h"

#include <math.h>
#include <stdlib.h>

#include "plc_conv.h"
#include "plc_err.h"
#include "plc_phy_conventions.h"
#include "plc_viterbi_kernels.h"

struct plc_viterbi {
    size_t max_bits;
    plc_viterbi_kernel kernel;
    plc_viterbi_signs signs;
    uint64_t *dec;  /* one decision word per trellis step */
    int8_t *llr;    /* scratch for the float and hard entry points */
};

static unsigned reverse7(unsigned x)
{
    unsigned r = 0;
    for (int i = 0; i < 7; i++)
        r |= ((x >> i) & 1u) << (6 - i);
    return r;
}

void plc_viterbi_branch_signs(plc_viterbi_signs *s)
{
    /* The decoder's register has the newest bit in bit 0, the encoder's in bit 6. */
    unsigned g_first = reverse7(PLC_PHY_CONV_133_FIRST ? PLC_CONV_G0 : PLC_CONV_G1);
    unsigned g_second = reverse7(PLC_PHY_CONV_133_FIRST ? PLC_CONV_G1 : PLC_CONV_G0);
    for (unsigned k = 0; k < 32; k++) {
        unsigned reg = k << 1; /* predecessor k, input 0 */
        s->first[k] = (int16_t)(plc_conv_parity7(reg & g_first) ? -1 : 0);
        s->second[k] = (int16_t)(plc_conv_parity7(reg & g_second) ? -1 : 0);
    }
}

static plc_viterbi_kernel best_kernel(void)
{
#if defined(PLC_HAVE_SSE2)
    return PLC_VITERBI_SSE2;
#else
    return PLC_VITERBI_PORTABLE;
#endif
}

plc_viterbi *plc_viterbi_create(size_t max_bits)
{
    if (max_bits == 0 || max_bits > (1u << 20))
        return NULL;
    plc_viterbi *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->max_bits = max_bits;
    v->kernel = best_kernel();
    plc_viterbi_branch_signs(&v->signs);
    v->dec = malloc((max_bits + PLC_CONV_TAIL) * sizeof(uint64_t));
    v->llr = malloc(plc_conv_coded_len(max_bits));
    if (!v->dec || !v->llr) {
        plc_viterbi_destroy(v);
        return NULL;
    }
    return v;
}

void plc_viterbi_destroy(plc_viterbi *v)
{
    if (!v)
        return;
    free(v->dec);
    free(v->llr);
    free(v);
}

int plc_viterbi_set_kernel(plc_viterbi *v, plc_viterbi_kernel kernel)
{
    if (!v)
        return PLC_ERR_ARG;
    switch (kernel) {
    case PLC_VITERBI_AUTO: v->kernel = best_kernel(); return PLC_OK;
    case PLC_VITERBI_PORTABLE: v->kernel = kernel; return PLC_OK;
    case PLC_VITERBI_SSE2:
#if defined(PLC_HAVE_SSE2)
        v->kernel = kernel;
        return PLC_OK;
#else
        return PLC_ERR_UNSUPPORTED;
#endif
    }
    return PLC_ERR_ARG;
}

plc_viterbi_kernel plc_viterbi_get_kernel(const plc_viterbi *v)
{
    return v->kernel;
}

int plc_viterbi_decode_soft(plc_viterbi *v, const int8_t *llr, size_t nbits, uint8_t *out)
{
    if (!v || !llr || !out)
        return PLC_ERR_ARG;
    if (nbits == 0 || nbits > v->max_bits)
        return PLC_ERR_LENGTH;
    const size_t nsteps = nbits + PLC_CONV_TAIL;
#if defined(PLC_HAVE_SSE2)
    if (v->kernel == PLC_VITERBI_SSE2)
        plc_viterbi_acs_sse2(&v->signs, llr, nsteps, v->dec);
    else
#endif
        plc_viterbi_acs_portable(&v->signs, llr, nsteps, v->dec);

    /* Trace back from state 0, where the tail bits leave the encoder. */
    unsigned state = 0;
    for (size_t t = nsteps; t-- > 0;) {
        if (t < nbits)
            out[t] = (uint8_t)(state & 1u);
        unsigned from_upper = (unsigned)((v->dec[t] >> state) & 1u);
        state = (state >> 1) | (from_upper << 5);
    }
    return PLC_OK;
}

int plc_viterbi_decode_float(plc_viterbi *v, const float *llr, size_t nbits, float scale,
                             uint8_t *out)
{
    if (!v || !llr || !out || !(scale > 0.0f))
        return PLC_ERR_ARG;
    if (nbits == 0 || nbits > v->max_bits)
        return PLC_ERR_LENGTH;
    const size_t n = plc_conv_coded_len(nbits);
    for (size_t k = 0; k < n; k++) {
        float q = llr[k] * scale;
        if (!(q == q))
            q = 0.0f; /* NaN carries no information */
        q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);
        v->llr[k] = (int8_t)lrintf(q);
    }
    return plc_viterbi_decode_soft(v, v->llr, nbits, out);
}

int plc_viterbi_decode_hard(plc_viterbi *v, const uint8_t *coded, size_t nbits, uint8_t *out)
{
    if (!v || !coded || !out)
        return PLC_ERR_ARG;
    if (nbits == 0 || nbits > v->max_bits)
        return PLC_ERR_LENGTH;
    const size_t n = plc_conv_coded_len(nbits);
    for (size_t k = 0; k < n; k++)
        v->llr[k] = (int8_t)((coded[k] & 1u) ? -1 : 1);
    return plc_viterbi_decode_soft(v, v->llr, nbits, out);
}
