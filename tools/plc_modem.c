/* plc-modem: G3-PLC CENELEC-A modem on sample files.
 *   plc-modem tx --mode MODE [--tonemap 0x3f] [--gap-ms 10] [--format f32|s16|wav]
 *                --in a.bin [--in b.bin ...] --out frames.f32
 *   plc-modem rx --in frames.f32 [--format f32|s16|wav] [--blanking]
 *   plc-modem channel --in a.f32 --out b.f32 [--snr DB] [--gain G] [--dc V] [--seed N] [--class-a]
 * Formats: raw little-endian float32 (default), raw little-endian int16 (full scale 1.0),
 * WAV (16-bit PCM or 32-bit float, mono, 400 kHz). rx prints one JSON line per frame on
 * stdout and a summary on stderr. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_channel.h"
#include "plc_samplefile.h"
#include "plc_err.h"
#include "plc_rx.h"
#include "plc_tx.h"


static void usage(FILE *f)
{
    fprintf(f,
            "usage:\n"
            "  plc-modem tx --mode robo|dbpsk|dqpsk|d8psk [--tonemap 0x3f] [--gap-ms 10]\n"
            "               [--format f32|s16|wav] --in FILE [--in FILE ...] --out FILE\n"
            "  plc-modem rx --in FILE [--format f32|s16|wav] [--blanking]\n"
            "  plc-modem channel --in FILE --out FILE [--snr DB] [--gain G] [--dc V] [--seed N]\n"
            "                    [--class-a] [--format f32|s16|wav]\n"
            "tx writes one frame per input file (the file's bytes are the PSDU, 1..239 bytes,\n"
            "ROBO up to 133), separated by gap-ms of silence. rx prints one JSON line per frame\n"
            "found and a summary on stderr. Samples: 400 kS/s real passband; f32 = raw float32\n"
            "little-endian (default), s16 = raw int16 little-endian, wav = mono WAV.\n"
            "channel applies gain, DC offset and white noise at an in-band SNR (dB, noise over\n"
            "the 36 carriers relative to a frame at the transmitter's level), seeded; with\n"
            "--class-a the noise is Middleton Class A (A = 0.1, Gamma = 0.01) of that power.\n"
            "rx --blanking turns on the impulse defence (blanking before the FFT, erasures).\n");
}

static int die(const char *msg, const char *arg)
{
    fprintf(stderr, "plc-modem: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static int parse_format(const char *s, plc_sample_format *f)
{
    const int v = plc_samplefile_parse_format(s);
    if (v < 0)
        return -1;
    *f = (plc_sample_format)v;
    return 0;
}

/* Loads a sample file; prints the error and returns 2 on failure. */
static int load_samples(const char *path, plc_sample_format fmt, float **out, size_t *count)
{
    char err[512];
    if (plc_samplefile_load(path, fmt, out, count, err, sizeof(err)) != 0) {
        fprintf(stderr, "plc-modem: %s\n", err);
        return 2;
    }
    return 0;
}

static int cmd_tx(int argc, char **argv)
{
    const char *ins[64], *out = NULL;
    int nin = 0, mod = -1;
    unsigned long tonemap = 0x3F;
    double gap_ms = 10.0;
    plc_sample_format fmt = PLC_FMT_F32;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return die("missing value after", a);
        if (!strcmp(a, "--mode")) {
            if ((mod = plc_mode_parse(v)) < 0)
                return die("unknown mode (robo, dbpsk, dqpsk, d8psk)", v);
        } else if (!strcmp(a, "--tonemap")) {
            char *end;
            tonemap = strtoul(v, &end, 0);
            if (*end || tonemap == 0 || tonemap > 0x3F)
                return die("tone map must be 0x01..0x3f", v);
        } else if (!strcmp(a, "--gap-ms")) {
            char *end;
            gap_ms = strtod(v, &end);
            if (*end || gap_ms < 0 || gap_ms > 60000)
                return die("gap must be 0..60000 ms", v);
        } else if (!strcmp(a, "--format")) {
            if (parse_format(v, &fmt))
                return die("unknown format (f32, s16, wav)", v);
        } else if (!strcmp(a, "--in")) {
            if (nin == 64)
                return die("at most 64 input files", NULL);
            ins[nin++] = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else {
            return die("unknown option", a);
        }
        i++;
    }
    if (mod < 0 || nin == 0 || !out)
        return die("tx needs --mode, at least one --in and --out (see --help)", NULL);
    plc_tx *tx = plc_tx_create(NULL);
    const size_t gap = (size_t)(gap_ms * 400.0);
    size_t cap = 0, n = 0;
    float *x = NULL;
    int rc = 0;
    for (int k = 0; k < nin && !rc; k++) {
        uint8_t psdu[256];
        FILE *f = fopen(ins[k], "rb");
        if (!f) {
            rc = die(strerror(errno), ins[k]);
            break;
        }
        size_t len = fread(psdu, 1, sizeof(psdu), f);
        fclose(f);
        plc_tx_request rq = {.mod = (plc_modulation)mod, .tonemap = (unsigned)tonemap,
                             .dt = PLC_DT_SOF_NO_RESPONSE};
        long need = plc_tx_frame_samples(tx, &rq, len);
        if (need < 0) {
            fprintf(stderr, "plc-modem: %s: %zu bytes cannot be sent in one %s frame: %s\n",
                    ins[k], len, plc_mode_get(mod)->name, plc_strerror((int)need));
            rc = 1;
            break;
        }
        if (n + (size_t)need + gap > cap) {
            cap = 2 * (n + (size_t)need + gap);
            float *nx = realloc(x, cap * sizeof(float));
            if (!nx) {
                rc = die("out of memory", NULL);
                break;
            }
            x = nx;
        }
        size_t w = 0;
        if (k > 0) {
            memset(x + n, 0, gap * sizeof(float));
            n += gap;
        }
        if ((rc = plc_tx_frame(tx, &rq, psdu, len, x + n, cap - n, &w)) != PLC_OK) {
            fprintf(stderr, "plc-modem: %s: %s\n", ins[k], plc_strerror(rc));
            rc = 1;
            break;
        }
        n += w;
    }
    if (!rc && plc_samplefile_write(out, fmt, x, n))
        rc = die("cannot write", out);
    if (!rc)
        fprintf(stderr, "plc-modem: wrote %d frame%s, %zu samples (%.1f ms) to %s\n", nin,
                nin == 1 ? "" : "s", n, n / 400.0, out);
    free(x);
    plc_tx_destroy(tx);
    return rc;
}

static void print_frame(const plc_rx_frame *f, void *user)
{
    (void)user;
    static const char *status[] = {"ok", "rs_failed", "truncated"};
    printf("{\"offset\":%llu,\"status\":\"%s\",\"header_ok\":%s", (unsigned long long)f->offset,
           status[f->status], f->header_ok ? "true" : "false");
    if (f->header_ok) {
        printf(",\"dt\":%u", f->fch.dt);
        if (plc_fch_is_ack(&f->fch))
            printf(",\"ack_fcs\":\"%04x\"", f->fch.fcs);
        else
            printf(",\"mode\":\"%s\",\"tonemap\":\"0x%02x\",\"fl\":%u",
                   plc_mode_get(f->fch.mod)->name, (unsigned)f->fch.tm, f->fch.fl);
    }
    printf(",\"psdu_len\":%zu,\"snr_db\":%.1f,\"lqi\":%u,\"rs_ok\":%s,\"rs_corrected\":%d"
           ",\"rs_erasures\":%d,\"symbols_erased\":%u",
           f->psdu_len, f->snr_db, f->lqi, f->status == PLC_RX_OK ? "true" : "false",
           f->rs_corrected, f->rs_erasures, f->symbols_erased);
    printf(",\"payload\":\"");
    if (f->status == PLC_RX_OK)
        for (size_t i = 0; i < f->psdu_len; i++)
            printf("%02x", f->psdu[i]);
    printf("\"}\n");
}

static int cmd_rx(int argc, char **argv)
{
    const char *in = NULL;
    plc_sample_format fmt = PLC_FMT_F32;
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--blanking")) {
            cfg.impulse_blanking = 1;
            continue;
        }
        if (!v)
            return die("missing value after", a);
        if (!strcmp(a, "--in"))
            in = v;
        else if (!strcmp(a, "--format")) {
            if (parse_format(v, &fmt))
                return die("unknown format (f32, s16, wav)", v);
        } else
            return die("unknown option", a);
        i++;
    }
    if (!in)
        return die("rx needs --in FILE (see --help)", NULL);
    float *x;
    size_t n;
    int rc = load_samples(in, fmt, &x, &n);
    if (rc)
        return rc;
    cfg.callback = print_frame;
    plc_rx *rx = plc_rx_create(&cfg);
    for (size_t i = 0; i < n; i += 4096)
        plc_rx_push(rx, x + i, n - i < 4096 ? n - i : 4096);
    free(x);
    plc_rx_flush(rx);
    plc_rx_stats s;
    plc_rx_get_stats(rx, &s);
    plc_rx_destroy(rx);
    fflush(stdout);
    if (rc)
        return rc;
    fprintf(stderr,
            "plc-modem: %llu samples, %llu frames ok, %llu payload RS failures, %llu header "
            "errors, %llu truncated, %llu preambles not confirmed, %llu non-finite samples\n",
            (unsigned long long)s.samples, (unsigned long long)s.frames_ok,
            (unsigned long long)s.rs_failures, (unsigned long long)s.header_errors,
            (unsigned long long)s.truncated, (unsigned long long)s.sync_lost,
            (unsigned long long)s.nonfinite_samples);
    return rc;
}

static int cmd_channel(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    plc_sample_format fmt = PLC_FMT_F32;
    double snr_db = 100.0, gain = 1.0, dc = 0.0;
    unsigned long long seed = 1;
    int class_a = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--class-a")) {
            class_a = 1;
            continue;
        }
        if (!v)
            return die("missing value after", a);
        if (!strcmp(a, "--in"))
            in = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--format")) {
            if (parse_format(v, &fmt))
                return die("unknown format (f32, s16, wav)", v);
        } else if (!strcmp(a, "--snr"))
            snr_db = strtod(v, &end);
        else if (!strcmp(a, "--gain"))
            gain = strtod(v, &end);
        else if (!strcmp(a, "--dc"))
            dc = strtod(v, &end);
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, &end, 0);
        else
            return die("unknown option", a);
        if (end && *end)
            return die("not a number", v);
        i++;
    }
    if (!in || !out)
        return die("channel needs --in and --out (see --help)", NULL);
    float *x;
    size_t n;
    int rc = load_samples(in, fmt, &x, &n);
    if (rc)
        return rc;
    /* noise level from the transmitter's known in-band power (36 carriers, amplitude 0.05) */
    plc_tx_config tc;
    plc_tx_config_default(&tc);
    double sig = 36.0 * tc.amplitude * tc.amplitude / 2.0;
    plc_rng r;
    plc_rng_seed(&r, seed);
    const double sigma = gain * plc_channel_sigma_for_snr(sig, 36, snr_db);
    if (class_a) {
        plc_channel_apply(x, n, gain, dc, 0.0, &r);
        plc_channel_add_class_a(x, n, sigma, 0.1, 0.01, &r);
    } else {
        plc_channel_apply(x, n, gain, dc, sigma, &r);
    }
    rc = plc_samplefile_write(out, fmt, x, n) ? die("cannot write", out) : 0;
    free(x);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "tx"))
        return cmd_tx(argc, argv);
    if (!strcmp(argv[1], "rx"))
        return cmd_rx(argc, argv);
    if (!strcmp(argv[1], "channel"))
        return cmd_channel(argc, argv);
    usage(stderr);
    return die("unknown command", argv[1]);
}
