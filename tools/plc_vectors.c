/* plc-vectors: writes the golden vectors of the transmit chain to a directory.
 *   plc-vectors DIR      (the project's set lives in vectors/golden)
 * Each coding vector is a text file of "key value" lines: the inputs (mode, tone map, PSDU
 * or header) and every transmit stage (scrambled, rs_codeword, coded, repeated,
 * interleaved). Bytes are hex, bit arrays are 0/1 strings in transmit order.
 * tests/test_golden.c re-encodes every file and compares each stage bit-exact.
 * Sample vectors (samples_*.txt) hold the transmitted waveform of a frame at 400 kS/s;
 * they are compared within SAMPLE_TOLERANCE, because float rounding differs between FFT
 * backends and compilers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_fch.h"
#include "plc_fec.h"
#include "plc_rng.h"
#include "plc_tx.h"

/* Largest allowed difference per sample (the frame's RMS is about 0.21): float rounding of
 * a 256-point FFT is below 1e-7 here. */
#define SAMPLE_TOLERANCE 2e-6

typedef struct payload_vector {
    const char *name;
    plc_modulation mod;
    unsigned tonemap;
    uint64_t tonemask;
    size_t len;
    uint64_t seed;
    int samples; /* also write the transmitted waveform (long ROBO frames are left out) */
} payload_vector;

static const payload_vector payloads[] = {
    {"robo_40", PLC_MOD_ROBO, 0x3F, PLC_TONEMASK_ALL, 40, 1, 1},
    {"robo_133", PLC_MOD_ROBO, 0x3F, PLC_TONEMASK_ALL, 133, 2, 0},
    {"dbpsk_133", PLC_MOD_DBPSK, 0x3F, PLC_TONEMASK_ALL, 133, 3, 1},
    {"dbpsk_64_notched", PLC_MOD_DBPSK, 0x3F, PLC_TONEMASK_ALL & ~0x3ull, 64, 4, 1},
    {"dqpsk_100_tm3b", PLC_MOD_DQPSK, 0x3B, PLC_TONEMASK_ALL, 100, 5, 1},
    {"d8psk_239", PLC_MOD_D8PSK, 0x3F, PLC_TONEMASK_ALL, 239, 6, 1},
};

static const struct {
    const char *name;
    plc_fch fch;
} headers[] = {
    {"fch_sof", {.pdc = 0, .mod = PLC_MOD_DBPSK, .fl = 29, .tm = 0x3F, .dt = PLC_DT_SOF_RESPONSE}},
    {"fch_ack", {.dt = PLC_DT_ACK, .fcs = 0x2189}},
};

static void put_hex(FILE *f, const char *key, const uint8_t *b, size_t n)
{
    fprintf(f, "%s", key);
    for (size_t k = 0; k < n; k++)
        fprintf(f, " %02x", b[k]);
    fputc('\n', f);
}

static void put_bits(FILE *f, const char *key, const uint8_t *b, size_t n)
{
    fprintf(f, "%s ", key);
    for (size_t k = 0; k < n; k++)
        fputc('0' + b[k], f);
    fputc('\n', f);
}

static FILE *open_vector(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "plc-vectors: cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "# plcstack golden vector %s: output of our own encoder, not a published vector.\n"
               "# Regenerate: build/tools/plc-vectors vectors/golden ; conventions: docs/phy.md\n",
            name);
    return f;
}

static uint8_t bits[PLC_PHY_MAX_FRAME_BITS], coded[PLC_PHY_MAX_FRAME_BITS],
    repeated[PLC_PHY_MAX_FRAME_BITS];
static float wave[80000];

/* samples_<name>.txt: the request, the PSDU and the waveform, 8 samples per line. */
static void put_samples(const char *dir, const char *name, const plc_tx_request *rq,
                        uint64_t tonemask, const uint8_t *psdu, size_t len)
{
    plc_tx_config cfg;
    plc_tx_config_default(&cfg);
    cfg.tonemask = tonemask;
    plc_tx *tx = plc_tx_create(&cfg);
    size_t n = 0;
    int rc = tx ? plc_tx_frame(tx, rq, psdu, len, wave, sizeof(wave) / sizeof(wave[0]), &n)
                : PLC_ERR_NOMEM;
    plc_tx_destroy(tx);
    if (rc) {
        fprintf(stderr, "plc-vectors: samples_%s: %s\n", name, plc_strerror(rc));
        exit(1);
    }
    char vname[128];
    snprintf(vname, sizeof(vname), "samples_%s", name);
    FILE *f = open_vector(dir, vname);
    fprintf(f, "mode %s\ntonemap 0x%02x\ntonemask 0x%09llx\ndt %u\npdc %u\nack_fcs 0x%04x\n"
               "amplitude %g\ntolerance %g\n",
            plc_mode_get(rq->mod)->name, rq->tonemap, (unsigned long long)tonemask, rq->dt,
            rq->pdc, rq->ack_fcs, cfg.amplitude, SAMPLE_TOLERANCE);
    put_hex(f, "psdu", psdu, len);
    fprintf(f, "samples %zu\n", n);
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%.8e%c", wave[k], (k % 8 == 7 || k + 1 == n) ? '\n' : ' ');
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: plc-vectors DIR\n  writes the golden coding-chain vectors "
                        "(the project's set is vectors/golden)\n");
        return argc == 2 ? 0 : 2;
    }
    plc_fec *fec = plc_fec_create();
    if (!fec)
        return 1;
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        const payload_vector *v = &payloads[i];
        uint8_t psdu[255], scrambled[255], rs[255];
        plc_rng r;
        plc_rng_seed(&r, v->seed);
        for (size_t k = 0; k < v->len; k++)
            psdu[k] = (uint8_t)plc_rng_next(&r);
        unsigned m = plc_active_carriers(v->tonemap, v->tonemask, NULL);
        plc_payload_layout l;
        plc_fec_trace tr = {scrambled, rs, coded, repeated};
        int rc = plc_payload_layout_for_psdu(v->mod, m, v->len, &l);
        if (!rc)
            rc = plc_fec_encode_payload(fec, &l, psdu, v->len, bits, &tr);
        if (rc) {
            fprintf(stderr, "plc-vectors: %s: %s\n", v->name, plc_strerror(rc));
            return 1;
        }
        FILE *f = open_vector(argv[1], v->name);
        fprintf(f, "mode %s\ntonemap 0x%02x\ntonemask 0x%09llx\ncarriers %u\nsymbols %u\nfl %u\n",
                plc_mode_get(v->mod)->name, v->tonemap, (unsigned long long)v->tonemask, m,
                l.symbols, l.fl);
        put_hex(f, "psdu", psdu, v->len);
        put_hex(f, "scrambled", scrambled, l.capacity);
        put_hex(f, "rs_codeword", rs, l.rs_len);
        put_bits(f, "coded", coded, l.coded_bits);
        put_bits(f, "repeated", repeated, l.repeated_bits);
        put_bits(f, "interleaved", bits, l.total_bits);
        fclose(f);
        if (v->samples) {
            const plc_tx_request rq = {.mod = v->mod, .tonemap = v->tonemap,
                                       .dt = PLC_DT_SOF_RESPONSE};
            put_samples(argv[1], v->name, &rq, v->tonemask, psdu, v->len);
        }
    }
    const plc_tx_request ack = {.mod = PLC_MOD_DBPSK, .tonemap = 0x3F, .dt = PLC_DT_ACK,
                                .ack_fcs = 0x2189};
    put_samples(argv[1], "ack", &ack, PLC_TONEMASK_ALL, NULL, 0);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        uint8_t hdr[PLC_FCH_CENELEC_BYTES];
        plc_fch_layout fl;
        plc_fec_trace tr = {NULL, NULL, coded, repeated};
        int rc = plc_fch_pack_cenelec(&headers[i].fch, hdr);
        if (!rc)
            rc = plc_fch_layout_get(PLC_FCH_CENELEC_BITS, PLC_PHY_CARRIERS, &fl);
        if (!rc)
            rc = plc_fec_encode_fch(fec, &fl, hdr, bits, &tr);
        if (rc) {
            fprintf(stderr, "plc-vectors: %s: %s\n", headers[i].name, plc_strerror(rc));
            return 1;
        }
        FILE *f = open_vector(argv[1], headers[i].name);
        fprintf(f, "carriers %u\nsymbols %u\n", fl.carriers, fl.symbols);
        put_hex(f, "header", hdr, sizeof(hdr));
        put_bits(f, "coded", coded, fl.coded_bits);
        put_bits(f, "repeated", repeated, fl.repeated_bits);
        put_bits(f, "interleaved", bits, fl.total_bits);
        fclose(f);
    }
    plc_fec_destroy(fec);
    printf("plc-vectors: wrote %zu payload and %zu header vectors and their sample vectors to %s\n",
           sizeof(payloads) / sizeof(payloads[0]), sizeof(headers) / sizeof(headers[0]), argv[1]);
    return 0;
}
