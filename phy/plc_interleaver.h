/* G3-PLC 2-D block interleaver over m rows (active carriers, m <= 72 in practice) and
 * n columns (bit slots in time: symbols x bits per carrier).
 *
 * Input bit k sits at (i, j) = (k mod m, k div m); it moves to (I, J) with
 *     J = (n_i*i + n_j*j) mod n,   I = (m_i*i + m_j*J) mod m,
 * and output bit q is the bit at (I, J) = (q mod m, q div m), so the mapper reads output
 * bit (s*bpc + b)*m + c for symbol s, bit b of carrier c. The map is a bijection because
 * n_j is coprime with n and m_i with m.
 *
 * Parameters: m_i, m_j are the two smallest integers >= 3 coprime with m, n_j, n_i the
 * two smallest >= 3 coprime with n (in that order). This rule reproduces every entry of
 * the parameter tables published in TI C2000Ware (interleaverSubCarrierParams.h for
 * m = 1..72, interleaverSymbolParams.h for n = 4..1422), is the rule the Microchip
 * ATPL250 code computes, and gives m_i=5, m_j=7, n_i=7, n_j=5 for m = n = 36 as the G3
 * specification does. As that code's default "legacy" mode: n counts symbols x bits per
 * carrier, and n_i and n_j trade places when (m_i + n_i m_j) mod m == 0. */
#ifndef PLC_INTERLEAVER_H
#define PLC_INTERLEAVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct plc_interleaver {
    unsigned m, n;
    unsigned m_i, m_j, n_i, n_j; /* reduced modulo m and n */
} plc_interleaver;

/* m, n >= 1 and m*n <= 65535. Returns PLC_OK or PLC_ERR_LENGTH. */
int plc_interleaver_init(plc_interleaver *il, unsigned m, unsigned n);

/* Output position of input bit k (0 <= k < m*n). */
size_t plc_interleaver_index(const plc_interleaver *il, size_t k);

/* out[index(k)] = in[k] for all m*n bits. in and out must not overlap. */
void plc_interleave_bits(const plc_interleaver *il, const uint8_t *in, uint8_t *out);

/* The inverse on soft values: out[k] = in[index(k)]. */
void plc_deinterleave_soft(const plc_interleaver *il, const int8_t *in, int8_t *out);

#endif
