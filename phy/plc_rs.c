#include "plc_rs.h"

#include <stdlib.h>
#include <string.h>

#include "plc_err.h"

#define GF_POLY 0x11D
#define NN 255
#define A0 NN /* log of zero */

struct plc_rs {
    unsigned nroots;
    uint8_t exp[2 * NN + 1]; /* alpha^i for i in 0..2*NN, so sums of two logs need no modulo */
    uint8_t log[256];        /* log[0] = A0 */
    uint8_t gen[PLC_RS_MAX_NROOTS + 1]; /* generator, gen[i] is the coefficient of x^i */
    /* Constant-multiplier tables: mul_syn[r][x] = x * alpha^(r+1) (syndrome Horner steps),
     * mul_gen[r][x] = x * gen[nroots-1-r] (encoder LFSR taps). 256 bytes each. */
    uint8_t mul_syn[PLC_RS_MAX_NROOTS][256];
    uint8_t mul_gen[PLC_RS_MAX_NROOTS][256];
};

static inline unsigned modnn(unsigned x)
{
    while (x >= NN)
        x -= NN;
    return x;
}

static uint8_t gf_mul(const plc_rs *rs, uint8_t a, uint8_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return rs->exp[rs->log[a] + rs->log[b]];
}

plc_rs *plc_rs_create(unsigned nroots)
{
    if (nroots < 2 || nroots > PLC_RS_MAX_NROOTS || (nroots & 1))
        return NULL;
    plc_rs *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return NULL;
    rs->nroots = nroots;

    unsigned x = 1;
    for (unsigned i = 0; i < NN; i++) {
        rs->exp[i] = (uint8_t)x;
        rs->log[x] = (uint8_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= GF_POLY;
    }
    for (unsigned i = NN; i <= 2 * NN; i++)
        rs->exp[i] = rs->exp[i - NN];
    rs->log[0] = A0;

    /* gen(x) = prod_{r=1..nroots} (x + alpha^r), built up one factor at a time. */
    memset(rs->gen, 0, sizeof(rs->gen));
    rs->gen[0] = 1;
    for (unsigned r = 1; r <= nroots; r++) {
        for (unsigned j = r; j > 0; j--)
            rs->gen[j] = rs->gen[j - 1] ^ gf_mul(rs, rs->gen[j], rs->exp[r]);
        rs->gen[0] = gf_mul(rs, rs->gen[0], rs->exp[r]);
    }

    for (unsigned r = 0; r < nroots; r++) {
        for (unsigned v = 0; v < 256; v++) {
            rs->mul_syn[r][v] = gf_mul(rs, (uint8_t)v, rs->exp[r + 1]);
            rs->mul_gen[r][v] = gf_mul(rs, (uint8_t)v, rs->gen[nroots - 1 - r]);
        }
    }
    return rs;
}

void plc_rs_destroy(plc_rs *rs)
{
    free(rs);
}

unsigned plc_rs_nroots(const plc_rs *rs)
{
    return rs->nroots;
}

void plc_rs_generator(const plc_rs *rs, uint8_t *coef)
{
    for (unsigned i = 0; i <= rs->nroots; i++)
        coef[i] = rs->gen[rs->nroots - i];
}

int plc_rs_encode(const plc_rs *rs, const uint8_t *data, size_t k, uint8_t *parity)
{
    if (!rs || !data || !parity)
        return PLC_ERR_ARG;
    const unsigned nr = rs->nroots;
    if (k < 1 || k > NN - nr)
        return PLC_ERR_LENGTH;
    /* Division by gen(x) in an LFSR; parity[0] holds the highest-degree remainder term. */
    uint8_t reg[PLC_RS_MAX_NROOTS];
    memset(reg, 0, nr);
    for (size_t i = 0; i < k; i++) {
        uint8_t fb = data[i] ^ reg[0];
        for (unsigned j = 0; j + 1 < nr; j++)
            reg[j] = reg[j + 1] ^ rs->mul_gen[j][fb];
        reg[nr - 1] = rs->mul_gen[nr - 1][fb];
    }
    memcpy(parity, reg, nr);
    return PLC_OK;
}

/* S_r = c(alpha^(r+1)) with the first codeword byte as the highest-degree coefficient.
 * Eight roots per pass over the codeword keep the accumulators in registers and give the
 * CPU eight independent table-lookup chains. */
static int rs_syndromes(const plc_rs *rs, const uint8_t *cw, size_t n, uint8_t *syn)
{
    const unsigned nr = rs->nroots;
    unsigned r = 0;
    for (; r + 8 <= nr; r += 8) {
        const uint8_t(*t)[256] = &rs->mul_syn[r];
        unsigned s0 = cw[0], s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (size_t j = 1; j < n; j++) {
            const unsigned c = cw[j];
            s0 = t[0][s0] ^ c;
            s1 = t[1][s1] ^ c;
            s2 = t[2][s2] ^ c;
            s3 = t[3][s3] ^ c;
            s4 = t[4][s4] ^ c;
            s5 = t[5][s5] ^ c;
            s6 = t[6][s6] ^ c;
            s7 = t[7][s7] ^ c;
        }
        syn[r] = (uint8_t)s0, syn[r + 1] = (uint8_t)s1, syn[r + 2] = (uint8_t)s2;
        syn[r + 3] = (uint8_t)s3, syn[r + 4] = (uint8_t)s4, syn[r + 5] = (uint8_t)s5;
        syn[r + 6] = (uint8_t)s6, syn[r + 7] = (uint8_t)s7;
    }
    for (; r < nr; r++) {
        unsigned sr = cw[0];
        for (size_t j = 1; j < n; j++)
            sr = rs->mul_syn[r][sr] ^ cw[j];
        syn[r] = (uint8_t)sr;
    }
    uint8_t any = 0;
    for (r = 0; r < nr; r++)
        any |= syn[r];
    return any != 0;
}

int plc_rs_decode(const plc_rs *rs, uint8_t *cw, size_t n, const int *erasures, int n_eras,
                  int *error_pos)
{
    if (!rs || !cw || n_eras < 0 || (n_eras > 0 && !erasures))
        return PLC_ERR_ARG;
    const unsigned nr = rs->nroots;
    if (n <= nr || n > NN)
        return PLC_ERR_LENGTH;
    if ((unsigned)n_eras > nr)
        return PLC_ERR_UNCORRECTABLE;
    for (int i = 0; i < n_eras; i++)
        if (erasures[i] < 0 || (size_t)erasures[i] >= n)
            return PLC_ERR_ARG;

    uint8_t syn[PLC_RS_MAX_NROOTS];
    if (!rs_syndromes(rs, cw, n, syn))
        return 0; /* a valid codeword: erased bytes, if any, were already right */

    const uint8_t *lg = rs->log, *ex = rs->exp;
    /* Polynomials are indexed by degree; one extra slot makes the x*B shifts simple. */
    uint8_t lambda[PLC_RS_MAX_NROOTS + 1] = {1};
    uint8_t b[PLC_RS_MAX_NROOTS + 1], t[PLC_RS_MAX_NROOTS + 1];

    /* Erasure locator: prod (1 + X_k x) with X_k = alpha^(n-1-pos). */
    for (int i = 0; i < n_eras; i++) {
        uint8_t xk = ex[(unsigned)(n - 1 - (size_t)erasures[i])];
        for (int j = i + 1; j > 0; j--)
            lambda[j] ^= gf_mul(rs, xk, lambda[j - 1]);
    }
    memcpy(b, lambda, sizeof(b));

    /* Berlekamp-Massey, started after the erasures (Forney's modification). */
    unsigned el = (unsigned)n_eras;
    for (unsigned r = (unsigned)n_eras + 1; r <= nr; r++) {
        uint8_t discr = 0;
        for (unsigned i = 0; i < r; i++)
            discr ^= gf_mul(rs, lambda[i], syn[r - 1 - i]);
        if (discr == 0) {
            memmove(b + 1, b, nr);
            b[0] = 0;
            continue;
        }
        t[0] = lambda[0];
        for (unsigned i = 0; i < nr; i++)
            t[i + 1] = lambda[i + 1] ^ gf_mul(rs, discr, b[i]);
        if (2 * el <= r + (unsigned)n_eras - 1) {
            el = r + (unsigned)n_eras - el;
            unsigned inv = NN - lg[discr];
            for (unsigned i = 0; i <= nr; i++)
                b[i] = lambda[i] ? ex[modnn(lg[lambda[i]] + inv)] : 0;
        } else {
            memmove(b + 1, b, nr);
            b[0] = 0;
        }
        memcpy(lambda, t, sizeof(t));
    }

    unsigned deg = 0;
    for (unsigned i = 0; i <= nr; i++)
        if (lambda[i])
            deg = i;
    /* A consistent locator has the degree Berlekamp-Massey's register length says, and
     * 2e + s <= nroots with e + s = deg. */
    if (deg == 0 || deg != el || 2 * deg - (unsigned)n_eras > nr)
        return PLC_ERR_UNCORRECTABLE;

    /* Chien search over the positions that exist in the shortened codeword: position j
     * has degree d = n-1-j and is an error location when lambda(alpha^-d) = 0. For each
     * nonzero term, reg holds log(lambda_i) - i*d (mod NN) as d increases from 0. */
    unsigned reg[PLC_RS_MAX_NROOTS + 1], step[PLC_RS_MAX_NROOTS + 1], nterms = 0;
    for (unsigned i = 1; i <= deg; i++) {
        if (lambda[i]) {
            reg[nterms] = lg[lambda[i]];
            step[nterms] = NN - i;
            nterms++;
        }
    }
    uint8_t root_log[PLC_RS_MAX_NROOTS]; /* log of the root alpha^-d */
    int loc[PLC_RS_MAX_NROOTS];
    unsigned count = 0;
    for (size_t d = 0; d < n && count < deg; d++) {
        unsigned q = 1; /* lambda_0 is always 1 */
        for (unsigned k = 0; k < nterms; k++) {
            q ^= ex[reg[k]];
            unsigned v = reg[k] + step[k];
            reg[k] = v >= NN ? v - NN : v;
        }
        if (q == 0) {
            root_log[count] = (uint8_t)(d ? NN - d : 0);
            loc[count] = (int)(n - 1 - d);
            count++;
        }
    }
    if (count != deg)
        return PLC_ERR_UNCORRECTABLE;

    /* omega(x) = S(x) * lambda(x) mod x^nroots. */
    uint8_t omega[PLC_RS_MAX_NROOTS];
    unsigned deg_omega = 0;
    for (unsigned i = 0; i < nr; i++) {
        uint8_t v = 0;
        for (unsigned j = 0; j <= deg && j <= i; j++)
            v ^= gf_mul(rs, syn[i - j], lambda[j]);
        omega[i] = v;
        if (v)
            deg_omega = i;
    }
    if (deg_omega >= deg) /* the evaluator of a true errata pattern has lower degree */
        return PLC_ERR_UNCORRECTABLE;

    /* Forney: e = omega(X^-1) / lambda'(X^-1) (first consecutive root 1, so no X factor).
     * Values are computed for every location before the buffer is touched. */
    uint8_t val[PLC_RS_MAX_NROOTS];
    for (unsigned k = 0; k < count; k++) {
        unsigned rl = root_log[k];
        uint8_t num = 0;
        for (unsigned i = 0; i <= deg_omega; i++)
            if (omega[i])
                num ^= ex[(lg[omega[i]] + (i * rl) % NN) % NN];
        uint8_t den = 0; /* lambda' keeps only the odd-degree terms */
        for (unsigned i = 1; i <= deg; i += 2)
            if (lambda[i])
                den ^= ex[(lg[lambda[i]] + ((i - 1) * rl) % NN) % NN];
        if (den == 0)
            return PLC_ERR_UNCORRECTABLE;
        val[k] = num ? ex[modnn(lg[num] + NN - lg[den])] : 0;
    }
    int corrected = 0;
    for (unsigned k = 0; k < count; k++) {
        if (val[k] == 0)
            continue; /* an erased byte that was right after all */
        cw[loc[k]] ^= val[k];
        if (error_pos)
            error_pos[corrected] = loc[k];
        corrected++;
    }
    return corrected;
}
