#define _POSIX_C_SOURCE 200809L
/* Coding-chain benchmark against libfec in the same run:
 *  - Viterbi K=7 soft decision, 1192-bit blocks: decoded Mbit/s. The headline is like for
 *    like: our portable C kernel against libfec's portable C kernel (viterbi27_port), same
 *    soft inputs, same compiler target. Debian's libfec exports only its portable kernels,
 *    so our SSE2 kernel is compared with that scalar kernel too: SIMD against scalar,
 *    printed and named as such. Before timing, both decoders decode every block once and
 *    their decoded bits must agree;
 *  - Reed-Solomon (255,239): microseconds per block to encode, and to decode with 8 errors.
 * Prints a table, the ratios, and one JSON line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fec.h>

#include "bench_clock.h"
#include "plc_conv.h"
#include "plc_rng.h"
#include "plc_rs.h"
#include "plc_viterbi.h"

#define NB 1192
#define NBLK 64

static plc_rng rng = {.s = 12345};
static uint32_t rnd(void)
{
    return (uint32_t)plc_rng_next(&rng);
}

/* Runs fn until at least min_s seconds have passed; returns seconds per call. */
#define TIME_IT(min_s, body)                                                                   \
    ({                                                                                         \
        long _n = 0;                                                                           \
        double _t0 = now_s(), _t;                                                              \
        do {                                                                                   \
            body;                                                                              \
            _n++;                                                                              \
        } while ((_t = now_s() - _t0) < (min_s));                                              \
        _t / _n;                                                                               \
    })

static int8_t llr[NBLK][2 * NB + 12];
static unsigned char syms[NBLK][2 * NB + 12];

int main(int argc, char **argv)
{
    double min_s = argc > 1 ? atof(argv[1]) : 1.0;
    /* Noisy soft input at Eb/N0 4 dB, the same for both decoders. */
    uint8_t bits[NB], coded[2 * NB + 12], out[NB], packed[NB / 8 + 1];
    const double sigma = sqrt(1.0 / (2.0 * pow(10.0, 0.4) * 0.5));
    for (int b = 0; b < NBLK; b++) {
        for (int k = 0; k < NB; k++)
            bits[k] = rnd() & 1;
        plc_conv_encode(bits, NB, coded);
        for (int k = 0; k < 2 * NB + 12; k++) {
            double q = round(((coded[k] ? -1.0 : 1.0) + sigma * plc_rng_gauss(&rng)) * 32.0);
            q = q > 127 ? 127 : (q < -127 ? -127 : q);
            llr[b][k] = (int8_t)q;
            syms[b][k] = (unsigned char)(128 - llr[b][k]);
        }
    }

    plc_viterbi *v = plc_viterbi_create(NB);
    void *vp = create_viterbi27_port(NB);
    /* warm-up and agreement: every block, both decoders, the same decoded bits */
    int disagree = 0;
    plc_viterbi_set_kernel(v, PLC_VITERBI_PORTABLE);
    for (int b = 0; b < NBLK; b++) {
        plc_viterbi_decode_soft(v, llr[b], NB, out);
        init_viterbi27_port(vp, 0);
        update_viterbi27_blk_port(vp, syms[b], NB + 6);
        chainback_viterbi27_port(vp, packed, NB, 0);
        for (int k = 0; k < NB; k++)
            disagree += out[k] != ((packed[k / 8] >> (7 - k % 8)) & 1);
    }
    int blk = 0;
    double t_port = TIME_IT(min_s, plc_viterbi_decode_soft(v, llr[blk++ % NBLK], NB, out));
    plc_viterbi_set_kernel(v, PLC_VITERBI_AUTO);
    const int simd = plc_viterbi_get_kernel(v) == PLC_VITERBI_SSE2;
    double t_auto = TIME_IT(min_s, plc_viterbi_decode_soft(v, llr[blk++ % NBLK], NB, out));
    double t_fec = TIME_IT(min_s, {
        init_viterbi27_port(vp, 0);
        update_viterbi27_blk_port(vp, syms[blk % NBLK], NB + 6);
        chainback_viterbi27_port(vp, packed, NB, 0);
        blk++;
    });
    delete_viterbi27_port(vp);
    plc_viterbi_destroy(v);

    /* RS(255,239): random data, 8 random errors per block (re-applied each decode). */
    plc_rs *rs = plc_rs_create(16);
    void *frs = init_rs_char(8, 0x11d, 1, 1, 16, 0);
    uint8_t data[NBLK][255], work[255];
    int epos[NBLK][8];
    uint8_t eval[NBLK][8];
    for (int b = 0; b < NBLK; b++) {
        for (int k = 0; k < 239; k++)
            data[b][k] = (uint8_t)rnd();
        plc_rs_encode(rs, data[b], 239, data[b] + 239);
        for (int i = 0; i < 8; i++) {
            int p, dup;
            do {
                p = (int)(rnd() % 255);
                dup = 0;
                for (int j = 0; j < i; j++)
                    dup |= epos[b][j] == p;
            } while (dup);
            epos[b][i] = p;
            eval[b][i] = (uint8_t)(1 + rnd() % 255);
        }
    }
#define CORRUPT(b)                                                                             \
    do {                                                                                       \
        memcpy(work, data[b], 255);                                                            \
        for (int i = 0; i < 8; i++)                                                            \
            work[epos[b][i]] ^= eval[b][i];                                                    \
    } while (0)
    uint8_t parity[16];
    double t_enc = TIME_IT(min_s, plc_rs_encode(rs, data[blk++ % NBLK], 239, parity));
    double t_fenc = TIME_IT(min_s, encode_rs_char(frs, data[blk++ % NBLK], parity));
    double t_copy = TIME_IT(min_s, { CORRUPT(blk % NBLK); blk++; });
    int bad = 0;
    double t_dec = TIME_IT(min_s, {
        CORRUPT(blk % NBLK);
        bad += plc_rs_decode(rs, work, 255, NULL, 0, NULL) != 8;
        blk++;
    }) - t_copy;
    double t_fdec = TIME_IT(min_s, {
        CORRUPT(blk % NBLK);
        bad += decode_rs_char(frs, work, NULL, 0) != 8;
        blk++;
    }) - t_copy;
    free_rs_char(frs);
    plc_rs_destroy(rs);
    if (bad)
        fprintf(stderr, "warning: %d RS decodes did not correct 8 errors\n", bad);

    const double mb_auto = NB / t_auto / 1e6, mb_port = NB / t_port / 1e6, mb_fec = NB / t_fec / 1e6;
    printf("Viterbi K=7 soft, %d-bit blocks (decoded Mbit/s, one core; decoded bits of the two "
           "portable kernels differ in %d of %d)\n", NB, disagree, NB * NBLK);
    printf("  like for like: plcstack portable C %8.1f  libfec portable C (viterbi27_port) %8.1f"
           "  x%.2f\n", mb_port, mb_fec, mb_port / mb_fec);
    if (simd)
        printf("  SIMD vs scalar: plcstack SSE2      %8.1f  against the same libfec portable kernel"
               "        x%.2f (Debian's libfec has no SIMD kernel)\n", mb_auto, mb_auto / mb_fec);
    printf("Reed-Solomon (255,239) (microseconds per block)\n");
    printf("  encode            plcstack %6.2f  libfec %6.2f  speedup x%.2f\n", t_enc * 1e6,
           t_fenc * 1e6, t_fenc / t_enc);
    printf("  decode, 8 errors  plcstack %6.2f  libfec %6.2f  speedup x%.2f\n", t_dec * 1e6,
           t_fdec * 1e6, t_fdec / t_dec);
    printf("{\"bench\":\"coding\",\"viterbi_simd_mbps\":%.2f,\"viterbi_portable_mbps\":%.2f,"
           "\"libfec_portable_viterbi_mbps\":%.2f,\"viterbi_simd_vs_libfec_portable\":%.2f,"
           "\"viterbi_portable_ratio\":%.2f,"
           "\"rs_encode_us\":%.3f,\"libfec_rs_encode_us\":%.3f,\"rs_encode_ratio\":%.2f,"
           "\"rs_decode8_us\":%.3f,\"libfec_rs_decode8_us\":%.3f,\"rs_decode8_ratio\":%.2f}\n",
           simd ? mb_auto : 0.0, mb_port, mb_fec, simd ? mb_auto / mb_fec : 0.0, mb_port / mb_fec,
           t_enc * 1e6, t_fenc * 1e6, t_fenc / t_enc, t_dec * 1e6, t_fdec * 1e6, t_fdec / t_dec);
    return bad || disagree ? 1 : 0;
}
