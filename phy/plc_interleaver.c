#include "plc_interleaver.h"

#include "plc_err.h"

static unsigned gcd(unsigned a, unsigned b)
{
    while (b) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The two smallest integers >= 3 coprime with dim, reduced modulo dim. */
static void coprime_pair(unsigned dim, unsigned *first, unsigned *second)
{
    unsigned found[2], count = 0;
    for (unsigned v = 3; count < 2; v++)
        if (gcd(v, dim) == 1)
            found[count++] = v;
    *first = found[0] % dim;
    *second = found[1] % dim;
}

int plc_interleaver_init(plc_interleaver *il, unsigned m, unsigned n)
{
    if (!il)
        return PLC_ERR_ARG;
    if (m < 1 || n < 1 || (size_t)m * n > 65535u)
        return PLC_ERR_LENGTH;
    il->m = m;
    il->n = n;
    coprime_pair(m, &il->m_i, &il->m_j);
    coprime_pair(n, &il->n_j, &il->n_i);
    /* The vendor's "legacy" rule (Microchip ATPL250, on by default): when input bit 1
     * would land on carrier 0 with bit 0, i.e. (m_i + n_i m_j) mod m == 0, n_i and n_j
     * trade places. */
    if ((il->m_i + il->n_i * il->m_j) % m == 0) {
        const unsigned t = il->n_i;
        il->n_i = il->n_j;
        il->n_j = t;
    }
    return PLC_OK;
}

size_t plc_interleaver_index(const plc_interleaver *il, size_t k)
{
    const size_t i = k % il->m, j = k / il->m;
    const size_t J = (il->n_i * i + il->n_j * j) % il->n;
    const size_t I = (il->m_i * i + il->m_j * J) % il->m;
    return J * il->m + I;
}

void plc_interleave_bits(const plc_interleaver *il, const uint8_t *in, uint8_t *out)
{
    const size_t total = (size_t)il->m * il->n;
    for (size_t k = 0; k < total; k++)
        out[plc_interleaver_index(il, k)] = in[k];
}

void plc_deinterleave_soft(const plc_interleaver *il, const int8_t *in, int8_t *out)
{
    const size_t total = (size_t)il->m * il->n;
    for (size_t k = 0; k < total; k++)
        out[k] = in[plc_interleaver_index(il, k)];
}
