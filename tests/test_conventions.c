/* The PHY and MAC conventions that public vendor code settles, each checked against the
 * numbers of vectors/published/g3-encoding-example.txt (Microchip ATPL250 host code, the
 * Renesas G3 dissector, TI's interleaver tables; sources listed in that file):
 * FCH and ACK/NACK field positions and CRC-5, tone map bits to carriers, FCH and FL
 * sizes, the receiver's RS length rule, interleaver parameters and the legacy swap, the
 * SYNCP table, the FCH phase reference (read back from the transmitted waveform) and the
 * PN fill of carriers the tone map switches off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "plc_crc.h"
#include "plc_err.h"
#include "plc_fch.h"
#include "plc_fec.h"
#include "plc_fft.h"
#include "plc_interleaver.h"
#include "plc_ofdm.h"
#include "plc_phy_params.h"
#include "plc_tx.h"
#include "test_util.h"

#define VENDOR "published/g3-encoding-example.txt"
#define PI 3.14159265358979

/* "byte:mask [byte:mask]" of a field line. */
static unsigned field_masks(const char *key, unsigned byte[2], unsigned mask[2])
{
    char rest[256];
    assert_int_equal(tu_vector_line(VENDOR, key, rest, sizeof(rest)), 0);
    int n = sscanf(rest, " %u:%x %u:%x", &byte[0], &mask[0], &byte[1], &mask[1]);
    assert_true(n == 2 || n == 4);
    return (unsigned)n / 2;
}

static void pack(const plc_fch *f, uint8_t out[5])
{
    assert_int_equal(plc_fch_pack_cenelec(f, out), PLC_OK);
    out[3] &= 0xF0; /* the CRC bits are checked on their own */
    out[4] = 0;
}

/* Setting the field to value moves exactly the bits the file's mask names, value aligned
 * to the mask's lowest bit. */
static void check_field(const char *key, const plc_fch *zero, const plc_fch *set, unsigned value)
{
    unsigned byte[2], mask[2];
    assert_int_equal(field_masks(key, byte, mask), 1);
    uint8_t a[5], b[5];
    pack(zero, a);
    pack(set, b);
    unsigned shift = 0;
    while (!((mask[0] >> shift) & 1u))
        shift++;
    for (unsigned k = 0; k < 5; k++) {
        const unsigned want = k == byte[0] ? (value << shift) & mask[0] : 0;
        if ((unsigned)(a[k] ^ b[k]) != want)
            fail_msg("%s: byte %u differs by %02x, expected %02x", key, k, a[k] ^ b[k], want);
    }
}

static void test_fch_data_fields(void **state)
{
    (void)state;
    const plc_fch z = {.dt = PLC_DT_SOF_NO_RESPONSE};
    plc_fch f = z;
    f.pdc = 0xFF;
    check_field("fch_PDC", &z, &f, 0xFF);
    f = z;
    f.mod = 3;
    check_field("fch_MOD", &z, &f, 3);
    f = z;
    f.fl = 63;
    check_field("fch_FL", &z, &f, 63);
    f = z;
    f.tm = 0x2A;
    check_field("fch_TM", &z, &f, 0x2A);
    f = z;
    f.pms = 1;
    check_field("fch_PMS", &z, &f, 1);
    f = z;
    f.dt = PLC_DT_SOF_RESPONSE;
    check_field("fch_DT", &z, &f, 1);
    /* FCCS: CRC-5 (poly 0x05, init 0x1F, xorout 0x1F, MSB first) over the first 28 bits,
     * bits 4..1 in byte 3's low nibble and bit 0 in byte 4's MSB; the tail bits are 0 */
    unsigned byte[2], mask[2];
    assert_int_equal(field_masks("fch_FCCS_4_1", byte, mask), 1);
    assert_true(byte[0] == 3 && mask[0] == 0x0F);
    assert_int_equal(field_masks("fch_FCCS_0", byte, mask), 1);
    assert_true(byte[0] == 4 && mask[0] == 0x80);
    uint64_t rng = 13;
    for (int t = 0; t < 200; t++) {
        f = (plc_fch){.pdc = (uint8_t)tu_rand(&rng), .mod = (uint8_t)tu_rand_below(&rng, 4),
                      .fl = (uint16_t)tu_rand_below(&rng, 64), .tm = tu_rand_below(&rng, 64),
                      .pms = (uint8_t)tu_rand_below(&rng, 2), .dt = (uint8_t)tu_rand_below(&rng, 2)};
        uint8_t b[5];
        assert_int_equal(plc_fch_pack_cenelec(&f, b), PLC_OK);
        const unsigned fccs = ((b[3] & 0x0Fu) << 1) | (b[4] >> 7);
        assert_int_equal(fccs, plc_crc_msb_bits(b, 28, 5, 0x05, 0x1F, 0x1F));
        assert_int_equal(b[4] & 0x7F, 0);
    }
}

static void test_fch_ack_fields(void **state)
{
    (void)state;
    const plc_fch z = {.dt = PLC_DT_ACK};
    plc_fch f = z;
    f.fcs = 0x00FF;
    check_field("ack_FCS_7_0", &z, &f, 0xFF);
    f = z;
    f.fcs = 0xFF00;
    check_field("ack_FCS_15_8", &z, &f, 0xFF);
    f = z;
    f.ssca = 1;
    check_field("ack_SSCA", &z, &f, 1);
    unsigned byte[2], mask[2];
    assert_int_equal(field_masks("ack_DT", byte, mask), 1);
    assert_true(byte[0] == 3 && mask[0] == 0x70);
    assert_int_equal(field_masks("ack_FCCS", byte, mask), 2);
    assert_true(byte[0] == 3 && mask[0] == 0x0F && byte[1] == 4 && mask[1] == 0x80);
    /* a NACK for FCS 0x1234 built by hand from the file's positions decodes as such */
    uint8_t raw[5] = {0x34, 0x80, 0x12, (uint8_t)(PLC_DT_NACK << 4), 0};
    const unsigned crc = plc_crc_msb_bits(raw, 28, 5, 0x05, 0x1F, 0x1F);
    raw[3] |= (uint8_t)(crc >> 1);
    raw[4] = (uint8_t)((crc & 1u) << 7);
    plc_fch g;
    assert_int_equal(plc_fch_unpack_cenelec(raw, &g), PLC_OK);
    assert_int_equal(g.dt, PLC_DT_NACK);
    assert_int_equal(g.fcs, 0x1234);
    assert_int_equal(g.ssca, 1);
    /* and packing the same fields gives the same bytes */
    uint8_t back[5];
    assert_int_equal(plc_fch_pack_cenelec(&g, back), PLC_OK);
    assert_memory_equal(back, raw, 5);
}

static void test_tonemap_groups(void **state)
{
    (void)state;
    char rest[256];
    assert_int_equal(tu_vector_line(VENDOR, "tm_bit_to_carriers", rest, sizeof(rest)), 0);
    const char *p = rest;
    unsigned seen = 0, k, lo, hi;
    int used;
    while (sscanf(p, " %u:%u-%u%n", &k, &lo, &hi, &used) == 3) {
        uint8_t idx[PLC_PHY_CARRIERS];
        const unsigned m = plc_active_carriers(1u << k, PLC_TONEMASK_ALL, idx);
        assert_int_equal(m, hi - lo + 1);
        for (unsigned i = 0; i < m; i++)
            assert_int_equal(PLC_PHY_FIRST_CARRIER + idx[i], lo + i);
        seen++;
        p += used;
    }
    assert_int_equal(seen, 6);
}

static unsigned ceil_div(unsigned a, unsigned b) { return (a + b - 1) / b; }

/* FCH symbols ceil(468/m); FL = ceil(8(8L+64+6)/(4m)) for ROBO, ceil(2(8L+128+6)/(4m bpc))
 * otherwise; the receiver's RS block from FL: floor((4 FL m bpc - 6f) / 8f), f = 8 ROBO,
 * 2 otherwise. The file's examples, then every carrier count and PSDU length. */
static void test_sizes(void **state)
{
    (void)state;
    plc_fch_layout fch;
    for (unsigned m = 1; m <= PLC_PHY_CARRIERS; m++) {
        assert_int_equal(plc_fch_layout_get(PLC_FCH_CENELEC_BITS, m, &fch), PLC_OK);
        assert_int_equal(fch.symbols, ceil_div(468, m));
        assert_int_equal(fch.total_bits, ceil_div(468, m) * m);
    }
    assert_int_equal(ceil_div(468, 36), 13);
    static const struct { int mod; unsigned len, fl; } examples[] = {
        {PLC_MOD_ROBO, 133, 63}, {PLC_MOD_ROBO, 1, 5}, {PLC_MOD_DBPSK, 239, 29},
        {PLC_MOD_DQPSK, 239, 15}, {PLC_MOD_D8PSK, 239, 10},
    };
    plc_payload_layout pl;
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        assert_int_equal(plc_payload_layout_for_psdu(examples[i].mod, 36, examples[i].len, &pl), PLC_OK);
        assert_int_equal(pl.fl, examples[i].fl);
    }
    unsigned checked = 0;
    for (int mod = PLC_MOD_ROBO; mod <= PLC_MOD_D8PSK; mod++) {
        const plc_mode_params *p = plc_mode_get(mod);
        const unsigned bpc = p->bits_per_carrier, f = mod == PLC_MOD_ROBO ? 8 : 2;
        for (unsigned m = 1; m <= PLC_PHY_CARRIERS; m++) {
            for (unsigned len = 1; len <= 255 - p->nroots; len++) {
                const unsigned fl = mod == PLC_MOD_ROBO ? ceil_div(8 * (8 * len + 64 + 6), 4 * m)
                                                        : ceil_div(2 * (8 * len + 128 + 6), 4 * m * bpc);
                const int rc = plc_payload_layout_for_psdu(mod, m, len, &pl);
                if (fl > 63) {
                    assert_int_equal(rc, PLC_ERR_LENGTH);
                    continue;
                }
                assert_int_equal(rc, PLC_OK);
                assert_int_equal(pl.fl, fl);
                /* the receiver's rule gives back a block that holds the PSDU */
                plc_payload_layout rxl;
                assert_int_equal(plc_payload_layout_for_fl(mod, m, fl, &rxl), PLC_OK);
                unsigned rs = (4 * fl * m * bpc - 6 * f) / (8 * f);
                rs = rs > 255 ? 255 : rs;
                assert_int_equal(rxl.rs_len, rs);
                assert_true(rxl.capacity >= len);
                checked++;
            }
        }
    }
    assert_true(checked > 10000);
}

/* Parses "N:(a, b)" or "N:(x a, y b)" items of an ilv_ line. */
static int parse_ilv(const char *key, unsigned dim[8], unsigned a[8], unsigned b[8])
{
    char rest[256];
    assert_int_equal(tu_vector_line(VENDOR, key, rest, sizeof(rest)), 0);
    int n = 0;
    for (const char *p = strchr(rest, ':'); p && n < 8; p = strchr(p + 1, ':')) {
        const char *q = p;
        while (q > rest && q[-1] >= '0' && q[-1] <= '9')
            q--;
        dim[n] = (unsigned)strtoul(q, NULL, 10);
        const char *s = p + 2; /* after ":(" */
        while (*s && (*s < '0' || *s > '9'))
            s++;
        char *end;
        a[n] = (unsigned)strtoul(s, &end, 10);
        s = end;
        while (*s && (*s < '0' || *s > '9'))
            s++;
        b[n] = (unsigned)strtoul(s, NULL, 10);
        n++;
    }
    return n;
}

static unsigned gcd(unsigned x, unsigned y) { return y ? gcd(y, x % y) : x; }

/* The rule as the file states it: the two smallest k >= 3 coprime with dim. */
static void rule_pair(unsigned dim, unsigned *first, unsigned *second)
{
    unsigned v = 3;
    while (gcd(v, dim) != 1)
        v++;
    *first = v;
    v++;
    while (gcd(v, dim) != 1)
        v++;
    *second = v;
}

static void test_interleaver_params(void **state)
{
    (void)state;
    unsigned dim[8], a[8], b[8];
    plc_interleaver il;
    int n = parse_ilv("ilv_m", dim, a, b);
    assert_int_equal(n, 4);
    for (int k = 0; k < n; k++) {
        assert_int_equal(plc_interleaver_init(&il, dim[k], 13), PLC_OK);
        assert_int_equal(il.m_i, a[k] % dim[k]);
        assert_int_equal(il.m_j, b[k] % dim[k]);
    }
    n = parse_ilv("ilv_n", dim, a, b);
    assert_int_equal(n, 5);
    for (int k = 0; k < n; k++) {
        /* m = 36 (m_i 5, m_j 7): none of these n meets the swap condition */
        assert_int_equal(plc_interleaver_init(&il, 36, dim[k]), PLC_OK);
        assert_int_equal(il.n_i, a[k] % dim[k]);
        assert_int_equal(il.n_j, b[k] % dim[k]);
    }
    /* legacy mode: n_i and n_j swapped when (m_i + (n_i mod n) m_j) mod m == 0; it happens
     * for tone-map subsets (m = 6 with n = 4, say), and the map stays a bijection */
    unsigned swapped = 0;
    static uint8_t hit[65535];
    for (unsigned m = 1; m <= 72; m++) {
        unsigned mi, mj, ni, nj;
        rule_pair(m, &mi, &mj);
        for (unsigned nn = 1; nn <= 756; nn += (nn < 40 ? 1 : 7)) {
            rule_pair(nn, &nj, &ni);
            const int swap = (mi + (ni % nn) * mj) % m == 0;
            assert_int_equal(plc_interleaver_init(&il, m, nn), PLC_OK);
            assert_int_equal(il.n_i, (swap ? nj : ni) % nn);
            assert_int_equal(il.n_j, (swap ? ni : nj) % nn);
            if (!swap || m * nn > sizeof(hit))
                continue;
            swapped++;
            memset(hit, 0, m * nn);
            for (size_t k = 0; k < (size_t)m * nn; k++)
                hit[plc_interleaver_index(&il, k)]++;
            for (size_t k = 0; k < (size_t)m * nn; k++)
                assert_int_equal(hit[k], 1);
        }
    }
    assert_true(swapped > 100);
    assert_int_equal(plc_interleaver_init(&il, 6, 4), PLC_OK);
    assert_int_equal(il.n_i, 3); /* unswapped: n_j 3, n_i 5 mod 4 = 1 */
    assert_int_equal(il.n_j, 1);
}

static void test_syncp_table(void **state)
{
    (void)state;
    char rest[512];
    assert_int_equal(tu_vector_line(VENDOR, "syncp_phase_pi_over_8", rest, sizeof(rest)), 0);
    int ph[64];
    assert_int_equal(tu_parse_dec(rest, ph, 64), PLC_PHY_CARRIERS);
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        assert_int_equal(plc_ofdm_syncp_phase[c], ph[c]);
}

/* ---- the transmitted waveform, read back per carrier ---- */

typedef struct wave {
    float *x;
    size_t len;
    plc_fft *fft;
} wave;

/* Carrier bins of the 256 samples at start (no noise: exact up to float rounding). */
static void bins(wave *w, size_t start, plc_cf *y)
{
    plc_cf out[PLC_OFDM_N / 2 + 1];
    assert_true(start + PLC_OFDM_N <= w->len);
    plc_fft_forward(w->fft, w->x + start, out);
    memcpy(y, out + PLC_PHY_FIRST_CARRIER, PLC_PHY_CARRIERS * sizeof(plc_cf));
}

/* Data symbol i seen from 15 samples into its cyclic prefix: the clean span between the
 * overlap ramps, the same cyclic offset as a preamble window starting at 3*256 + 241. */
#define WIN(i) ((size_t)PLC_OFDM_SYMBOL_START(i) + 15)
#define SYNCP_WIN ((size_t)3 * PLC_OFDM_N + PLC_OFDM_N - (PLC_OFDM_CP - 15))

static double phase_between(plc_cf a, plc_cf b) /* arg(a conj(b)) */
{
    return atan2(a.im * b.re - a.re * b.im, a.re * b.re + a.im * b.im);
}

static double wrap(double a)
{
    while (a > PI)
        a -= 2 * PI;
    while (a < -PI)
        a += 2 * PI;
    return a;
}

static void make_frame(wave *w, uint64_t tonemask, const plc_tx_request *rq, const uint8_t *psdu,
                       size_t len)
{
    plc_tx_config cfg;
    plc_tx_config_default(&cfg);
    cfg.tonemask = tonemask;
    plc_tx *tx = plc_tx_create(&cfg);
    assert_non_null(tx);
    const long n = plc_tx_frame_samples(tx, rq, len);
    assert_true(n > 0);
    w->x = calloc((size_t)n, sizeof(float));
    w->fft = plc_fft_create(PLC_OFDM_N);
    assert_int_equal(plc_tx_frame(tx, rq, psdu, len, w->x, (size_t)n, &w->len), PLC_OK);
    plc_tx_destroy(tx);
}

static void free_frame(wave *w)
{
    free(w->x);
    plc_fft_destroy(w->fft);
}

/* phase(s, c) = SYNCP(c) + pi (b_0(c) ^ ... ^ b_s(c)) over the 13 FCH symbols */
static void test_fch_phase_reference(void **state)
{
    (void)state;
    for (int notch = 0; notch < 2; notch++) {
        const uint64_t mask = notch ? PLC_TONEMASK_ALL & ~((1ull << 4) | (1ull << 30)) : PLC_TONEMASK_ALL;
        plc_tx_request rq = {.dt = PLC_DT_ACK, .ack_fcs = 0x5AA5};
        wave w;
        make_frame(&w, mask, &rq, NULL, 0);
        uint8_t idx[PLC_PHY_CARRIERS];
        const unsigned m = plc_active_carriers(PLC_TONEMAP_ALL, mask, idx);
        plc_fch_layout fl;
        assert_int_equal(plc_fch_layout_get(PLC_FCH_CENELEC_BITS, m, &fl), PLC_OK);
        plc_fch f = {.dt = PLC_DT_ACK, .fcs = 0x5AA5};
        uint8_t hdr[5];
        assert_int_equal(plc_fch_pack_cenelec(&f, hdr), PLC_OK);
        static uint8_t bits[PLC_PHY_MAX_FRAME_BITS];
        plc_fec *fec = plc_fec_create();
        assert_int_equal(plc_fec_encode_fch(fec, &fl, hdr, bits, NULL), PLC_OK);
        plc_fec_destroy(fec);
        plc_cf pre[PLC_PHY_CARRIERS], y[PLC_PHY_CARRIERS];
        bins(&w, SYNCP_WIN, pre);
        uint8_t acc[PLC_PHY_CARRIERS] = {0};
        for (unsigned s = 0; s < fl.symbols; s++) {
            bins(&w, WIN(s), y);
            for (unsigned i = 0; i < m; i++) {
                const unsigned c = idx[i];
                acc[c] ^= bits[s * m + i];
                const double err = wrap(phase_between(y[c], pre[c]) - PI * acc[c]);
                if (fabs(err) > 0.01)
                    fail_msg("FCH symbol %u carrier %u: %.3f rad off", s, c, err);
            }
        }
        free_frame(&w);
    }
}

/* Tone-map-off carriers carry bpc bits of the 127-bit sequence each, mapped like data; the
 * index starts at FCH symbols x notched carriers and advances by bpc over notched and off
 * carriers, 23 -> 58 in each symbol. */
static void test_pn_fill(void **state)
{
    (void)state;
    char rest[256];
    assert_int_equal(tu_vector_line("published/g3-cenelec-a-tables.txt", "scrambler_127", rest,
                                    sizeof(rest)), 0);
    uint8_t pn[127];
    assert_true(strlen(rest) >= 127);
    for (int k = 0; k < 127; k++)
        pn[k] = (uint8_t)(rest[k] - '0');
    static const struct { int mod; unsigned tonemap; int notch; } cases[] = {
        {PLC_MOD_DBPSK, 0x3B, 0}, {PLC_MOD_D8PSK, 0x3B, 1}, {PLC_MOD_DQPSK, 0x15, 1},
        {PLC_MOD_ROBO, 0x07, 1},
    };
    for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
        const uint64_t mask = cases[t].notch ? PLC_TONEMASK_ALL & ~((1ull << 2) | (1ull << 13))
                                             : PLC_TONEMASK_ALL;
        plc_tx_request rq = {.mod = cases[t].mod, .tonemap = cases[t].tonemap,
                             .dt = PLC_DT_SOF_NO_RESPONSE};
        uint8_t psdu[40];
        for (int k = 0; k < 40; k++)
            psdu[k] = (uint8_t)(k * 7);
        wave w;
        make_frame(&w, mask, &rq, psdu, sizeof(psdu));
        uint8_t used[PLC_PHY_CARRIERS], active[PLC_PHY_CARRIERS] = {0}, idx[PLC_PHY_CARRIERS];
        const unsigned fm = plc_active_carriers(PLC_TONEMAP_ALL, mask, NULL);
        const unsigned pm = plc_active_carriers(cases[t].tonemap, mask, idx);
        for (unsigned i = 0; i < pm; i++)
            active[idx[i]] = 1;
        for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
            used[c] = (uint8_t)((mask >> c) & 1u);
        plc_fch_layout fl;
        plc_payload_layout pl;
        assert_int_equal(plc_fch_layout_get(PLC_FCH_CENELEC_BITS, fm, &fl), PLC_OK);
        assert_int_equal(plc_payload_layout_for_psdu(cases[t].mod, pm, sizeof(psdu), &pl), PLC_OK);
        const unsigned bpc = plc_mode_get(cases[t].mod)->bits_per_carrier;
        unsigned at = (fl.symbols * (PLC_PHY_CARRIERS - fm)) % 127, checked = 0;
        plc_cf prev[PLC_PHY_CARRIERS], y[PLC_PHY_CARRIERS];
        bins(&w, WIN(fl.symbols - 1), prev);
        for (unsigned s = 0; s < pl.symbols; s++) {
            bins(&w, WIN(fl.symbols + s), y);
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
                if (active[c])
                    continue;
                uint8_t b[3];
                for (unsigned k = 0; k < bpc; k++)
                    b[k] = pn[(at + k) % 127];
                at = (at + bpc) % 127;
                if (!used[c]) { /* nothing sent: far below a carrier that carries bits */
                    const plc_cf r = y[idx[0]];
                    assert_true(y[c].re * y[c].re + y[c].im * y[c].im <
                                1e-8f * (r.re * r.re + r.im * r.im));
                    continue;
                }
                const double want = plc_ofdm_map_phase(b, bpc) * PI / 4;
                const double err = wrap(phase_between(y[c], prev[c]) - want);
                if (fabs(err) > 0.01)
                    fail_msg("case %zu symbol %u carrier %u: %.3f rad off", t, s, c, err);
                checked++;
            }
            memcpy(prev, y, sizeof(y));
        }
        assert_true(checked >= pl.symbols);
        free_frame(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fch_data_fields),  cmocka_unit_test(test_fch_ack_fields),
        cmocka_unit_test(test_tonemap_groups),   cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_interleaver_params), cmocka_unit_test(test_syncp_table),
        cmocka_unit_test(test_fch_phase_reference), cmocka_unit_test(test_pn_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
