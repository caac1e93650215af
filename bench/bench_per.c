/* Packet error rate versus in-band SNR with real synchronisation (no genie timing).
 *
 * Every frame is sent into one continuous stream: a random gap of noise (500..2500
 * samples), the frame, 1500 samples of noise; the receiver runs on the stream as it would
 * on a line. A frame counts as received when the receiver reports it decoded at the right
 * offset (+-40 samples) with the PSDU exactly as sent; anything else is an error. G3 has
 * no PHY CRC: every PSDU ends in a MAC FCS (CRC-16/XMODEM of the bytes before it, low
 * byte first), and a PSDU the receiver reports decoded that is not the frame sent is
 * classified as the MAC would see it: a Reed-Solomon miscorrection the FCS rejects
 * (decoding beyond the code's radius lands on a wrong codeword now and then, mostly ROBO,
 * t = 4), a wrong PSDU the FCS passes (undetected: expected about 1 in 65536
 * miscorrections), or the sent frame reported twice (a duplicate, which the MAC's sequence
 * numbers drop).
 *
 * Curves: AWGN for every mode at 32, 133 and 239 bytes (ROBO up to 133), DBPSK 133 in AWGN
 * with the impulse defence on (its cost without impulses), and DBPSK 133 under Middleton
 * Class A noise (A = 0.1, Gamma = 0.01) with the impulse defence off and on; and AWGN with
 * each frame resampled for a random clock offset (two clocks within +/-50 ppm, as on the
 * simulated line), the tables the abstract PHY uses.
 * Each point runs until 60 errors or --max-frames frames (at least 100); a curve steps by
 * 0.5 dB until no error is left in --max-frames frames. The clock-offset curves feed the
 * simulator, whose links sit anywhere on the waterfall: they step by 0.5 dB while every
 * frame is lost, then by 0.1 dB with up to 400 errors per point (docs/sim.md).
 *
 *   bench_per [--max-frames N] [--out DIR] [--only awgn|classa|sco] [--verbose]
 *   bench_per --high-snr [--max-frames N]   every mode at 32 and 133 bytes at 40 dB: frames
 *                                           lost where none should be (sync robustness)
 * writes DIR/per_awgn.dat, DIR/per_classa.dat and DIR/per_sco.dat (gnuplot blocks, one per curve; plotted
 * by bench/per_plot.gp), prints a table of the SNR at PER 10% and 1% and a JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc_channel.h"
#include "plc_crc.h"
#include "plc_rx.h"
#include "plc_tx.h"

#define LEAD_MIN 500
#define LEAD_SPAN 2000
#define TAIL 1500
#define OFFSET_TOL 40
#define TARGET_ERRORS 60
#define MIN_FRAMES 100
#define MAX_POINTS 64
#define FINE_ERRORS 400 /* simulator tables: errors per point in the waterfall */
#define SIGNAL_POWER 0.045 /* 36 carriers of amplitude 0.05: 36 * 0.05^2 / 2 */

typedef enum { NOISE_AWGN, NOISE_CLASS_A, NOISE_AWGN_SCO } noise_kind;

static int verbose; /* --verbose: receiver statistics per point on stderr */

typedef struct curve {
    plc_modulation mod;
    size_t len;
    noise_kind noise;
    int defence;
    double start_db;
    double target_db; /* PER 10% target at 133 bytes, or NAN */
} curve;

typedef struct point {
    double snr_db;
    long frames, errors;
    long miscorrected, undetected, duplicates; /* reported decoded, not the frame sent */
} point;

/* What the receiver reported during one push. */
typedef struct catcher {
    uint64_t expect_offset;
    const uint8_t *expect;
    size_t len;
    int matched, miscorrected, undetected, duplicates;
} catcher;

static int fcs_ok(const uint8_t *p, size_t len)
{
    const uint16_t fcs = plc_crc16_xmodem(p, len - 2);
    return p[len - 2] == (uint8_t)fcs && p[len - 1] == (uint8_t)(fcs >> 8);
}

static void on_frame(const plc_rx_frame *f, void *user)
{
    catcher *c = user;
    if (f->status != PLC_RX_OK || f->psdu_len == 0)
        return;
    const int64_t d = (int64_t)f->offset - (int64_t)c->expect_offset;
    if (!c->matched && d >= -OFFSET_TOL && d <= OFFSET_TOL && f->psdu_len >= c->len &&
        memcmp(f->psdu, c->expect, c->len) == 0)
        c->matched = 1;
    else {
        const int same = f->psdu_len >= c->len && memcmp(f->psdu, c->expect, c->len) == 0;
        const int fcs = fcs_ok(f->psdu, c->len);
        const char *what = same ? "duplicate" : (fcs ? "UNDETECTED wrong PSDU" : "RS miscorrection, FCS rejects it");
        if (same)
            c->duplicates++;
        else if (fcs)
            c->undetected++;
        else
            c->miscorrected++;
        if (verbose)
            fprintf(stderr, "delivered, not the frame sent: offset %+lld, %s\n", (long long)d, what);
    }
}

static float scratch[90000];

static point run_frames(const curve *cv, double snr_db, long max_frames, long stop_errors,
                        uint64_t seed, float *buf, size_t cap, plc_tx *tx)
{
    point pt = {.snr_db = snr_db};
    plc_rng rng;
    plc_rng_seed(&rng, seed);
    catcher c = {0};
    plc_rx_config cfg;
    plc_rx_config_default(&cfg);
    cfg.impulse_blanking = cv->defence;
    cfg.callback = on_frame;
    cfg.user = &c;
    plc_rx *rx = plc_rx_create(&cfg);
    const double sigma = plc_channel_sigma_for_snr(SIGNAL_POWER, 36, snr_db);
    plc_tx_request rq = {.mod = cv->mod, .tonemap = PLC_TONEMAP_ALL};
    uint8_t psdu[255];
    uint64_t pos = 0;
    while (pt.frames < max_frames && (pt.errors < stop_errors || pt.frames < MIN_FRAMES)) {
        for (size_t i = 0; i + 2 < cv->len; i++)
            psdu[i] = (uint8_t)plc_rng_next(&rng);
        const uint16_t fcs = plc_crc16_xmodem(psdu, cv->len - 2);
        psdu[cv->len - 2] = (uint8_t)fcs;
        psdu[cv->len - 1] = (uint8_t)(fcs >> 8);
        const size_t lead = LEAD_MIN + (size_t)(plc_rng_next(&rng) % LEAD_SPAN);
        size_t w = 0;
        memset(buf, 0, lead * sizeof(float));
        if (plc_tx_frame(tx, &rq, psdu, cv->len, buf + lead, cap - lead - TAIL, &w) != 0) {
            fprintf(stderr, "bench_per: cannot build frame\n");
            exit(2);
        }
        if (cv->noise == NOISE_AWGN_SCO) {
            /* transmitter and receiver clocks each uniform within +/-50 ppm, as on the
             * simulated line */
            const double ppm = 50.0 * (2.0 * plc_rng_uniform(&rng) - 1.0) -
                               50.0 * (2.0 * plc_rng_uniform(&rng) - 1.0);
            w = plc_channel_resample(buf + lead, w, 1.0 + ppm * 1e-6, scratch, cap);
            memcpy(buf + lead, scratch, w * sizeof(float));
        }
        const size_t n = lead + w + TAIL;
        memset(buf + lead + w, 0, TAIL * sizeof(float));
        if (cv->noise != NOISE_CLASS_A)
            plc_channel_apply(buf, n, 1.0, 0.0, sigma, &rng);
        else
            plc_channel_add_class_a(buf, n, sigma, 0.1, 0.01, &rng);
        c.expect_offset = pos + lead;
        c.expect = psdu;
        c.len = cv->len;
        c.matched = 0;
        plc_rx_push(rx, buf, n);
        pos += n;
        pt.frames++;
        pt.errors += !c.matched;
        pt.miscorrected += c.miscorrected;
        pt.undetected += c.undetected;
        pt.duplicates += c.duplicates;
        c.miscorrected = c.undetected = c.duplicates = 0;
    }
    if (verbose) {
        plc_rx_stats st;
        plc_rx_get_stats(rx, &st);
        fprintf(stderr, "%.1f dB: frames %ld errors %ld det %lu synclost %lu hdr %lu ok %lu rs %lu\n",
                snr_db, pt.frames, pt.errors, (unsigned long)st.detections,
                (unsigned long)st.sync_lost, (unsigned long)st.header_errors,
                (unsigned long)st.frames_ok, (unsigned long)st.rs_failures);
    }
    plc_rx_destroy(rx);
    return pt;
}

/* Every one of the frames, however many are lost. */
static point run_point_all(const curve *cv, double snr_db, long frames, uint64_t seed,
                           float *buf, size_t cap, plc_tx *tx)
{
    return run_frames(cv, snr_db, frames, frames + 1, seed, buf, cap, tx);
}

/* SNR where the curve first falls through the given PER, interpolating log10(PER)
 * linearly between the two points around it; NAN if it never does. */
static double snr_at(const point *p, int n, double per)
{
    for (int i = 1; i < n; i++) {
        const double a = (double)p[i - 1].errors / p[i - 1].frames;
        const double b = (double)p[i].errors / p[i].frames;
        if (a >= per && b < per) {
            const double la = log10(a), lb = log10(b > 0 ? b : 0.5 / p[i].frames);
            return p[i - 1].snr_db + (p[i].snr_db - p[i - 1].snr_db) * (la - log10(per)) / (la - lb);
        }
    }
    if (n > 0 && (double)p[0].errors / p[0].frames < per)
        return -INFINITY; /* already below at the first point */
    return NAN;
}

static const char *noise_name(const curve *cv)
{
    if (cv->noise == NOISE_AWGN)
        return cv->defence ? "awgn-defence-on" : "awgn";
    if (cv->noise == NOISE_AWGN_SCO)
        return "awgn-sco";
    return cv->defence ? "classA-defence-on" : "classA-defence-off";
}

/* At 40 dB every frame must arrive: what is lost there is lost by synchronisation. All
 * frames are sent (no early stop on errors). */
static int high_snr_check(long frames)
{
    const size_t cap = 80000 + LEAD_MIN + LEAD_SPAN + TAIL;
    float *buf = malloc(cap * sizeof(float));
    plc_tx *tx = plc_tx_create(NULL);
    long lost_total = 0, sent_total = 0;
    printf("%-7s %5s %7s %5s\n", "mode", "bytes", "frames", "lost");
    for (int m = PLC_MOD_ROBO; m <= PLC_MOD_D8PSK; m++)
        for (int k = 0; k < 2; k++) {
            const curve cv = {(plc_modulation)m, k ? 133 : 32, NOISE_AWGN, 0, 40.0, NAN};
            const point p = run_point_all(&cv, 40.0, frames, 77u + (uint64_t)(m * 2 + k), buf, cap, tx);
            printf("%-7s %5zu %7ld %5ld\n", plc_mode_get(cv.mod)->name, cv.len, p.frames, p.errors);
            lost_total += p.errors;
            sent_total += p.frames;
        }
    printf("{\"bench\":\"per_high_snr\",\"snr_db\":40,\"frames\":%ld,\"lost\":%ld}\n", sent_total,
           lost_total);
    plc_tx_destroy(tx);
    free(buf);
    return lost_total != 0;
}

int main(int argc, char **argv)
{
    long max_frames = 1000;
    int high = 0;
    const char *dir = "docs/per", *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-frames") && i + 1 < argc)
            max_frames = atol(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "--high-snr"))
            high = 1;
        else {
            fprintf(stderr, "usage: bench_per [--max-frames N] [--out DIR] [--only awgn|classa|sco] [--verbose] [--high-snr]\n");
            return 2;
        }
    }
    if (max_frames < MIN_FRAMES)
        max_frames = MIN_FRAMES;
    if (high)
        return high_snr_check(max_frames);
    const curve curves[] = {
        {PLC_MOD_ROBO, 32, NOISE_AWGN, 0, -4.0, NAN},
        {PLC_MOD_ROBO, 133, NOISE_AWGN, 0, -4.0, -1.0},
        {PLC_MOD_DBPSK, 32, NOISE_AWGN, 0, -1.0, NAN},
        {PLC_MOD_DBPSK, 133, NOISE_AWGN, 0, -1.0, 2.8},
        {PLC_MOD_DBPSK, 239, NOISE_AWGN, 0, -1.0, NAN},
        {PLC_MOD_DQPSK, 32, NOISE_AWGN, 0, 2.0, NAN},
        {PLC_MOD_DQPSK, 133, NOISE_AWGN, 0, 2.0, 5.5},
        {PLC_MOD_DQPSK, 239, NOISE_AWGN, 0, 2.0, NAN},
        {PLC_MOD_D8PSK, 32, NOISE_AWGN, 0, 6.0, NAN},
        {PLC_MOD_D8PSK, 133, NOISE_AWGN, 0, 6.0, 9.7},
        {PLC_MOD_D8PSK, 239, NOISE_AWGN, 0, 6.0, NAN},
        {PLC_MOD_DBPSK, 133, NOISE_AWGN, 1, -1.0, NAN}, /* what the defence costs in AWGN */
        {PLC_MOD_DBPSK, 133, NOISE_CLASS_A, 0, -1.0, NAN},
        {PLC_MOD_DBPSK, 133, NOISE_CLASS_A, 1, -20.0, NAN},
        {PLC_MOD_ROBO, 32, NOISE_AWGN_SCO, 0, -4.0, NAN},
        {PLC_MOD_ROBO, 64, NOISE_AWGN_SCO, 0, -4.0, NAN},
        {PLC_MOD_ROBO, 133, NOISE_AWGN_SCO, 0, -4.0, NAN},
        {PLC_MOD_DBPSK, 32, NOISE_AWGN_SCO, 0, -1.0, NAN},
        {PLC_MOD_DBPSK, 64, NOISE_AWGN_SCO, 0, -1.0, NAN},
        {PLC_MOD_DBPSK, 133, NOISE_AWGN_SCO, 0, -1.0, NAN},
        {PLC_MOD_DBPSK, 239, NOISE_AWGN_SCO, 0, -1.0, NAN},
        {PLC_MOD_DQPSK, 32, NOISE_AWGN_SCO, 0, 2.0, NAN},
        {PLC_MOD_DQPSK, 64, NOISE_AWGN_SCO, 0, 2.0, NAN},
        {PLC_MOD_DQPSK, 133, NOISE_AWGN_SCO, 0, 2.0, NAN},
        {PLC_MOD_DQPSK, 239, NOISE_AWGN_SCO, 0, 2.0, NAN},
        {PLC_MOD_D8PSK, 32, NOISE_AWGN_SCO, 0, 6.0, NAN},
        {PLC_MOD_D8PSK, 64, NOISE_AWGN_SCO, 0, 6.0, NAN},
        {PLC_MOD_D8PSK, 133, NOISE_AWGN_SCO, 0, 6.0, NAN},
        {PLC_MOD_D8PSK, 239, NOISE_AWGN_SCO, 0, 6.0, NAN},
    };
    const int ncurves = (int)(sizeof(curves) / sizeof(curves[0]));
    const size_t cap = 80000 + LEAD_MIN + LEAD_SPAN + TAIL;
    float *buf = malloc(cap * sizeof(float));
    plc_tx *tx = plc_tx_create(NULL);
    char path[512];
    snprintf(path, sizeof(path), "%s/per_awgn.dat", dir);
    FILE *fa = (!only || !strcmp(only, "awgn")) ? fopen(path, "w") : NULL;
    snprintf(path, sizeof(path), "%s/per_classa.dat", dir);
    FILE *fc = (!only || !strcmp(only, "classa")) ? fopen(path, "w") : NULL;
    snprintf(path, sizeof(path), "%s/per_sco.dat", dir);
    FILE *fs = (!only || !strcmp(only, "sco")) ? fopen(path, "w") : NULL;
    if (!buf || !tx || (!fa && !fc && !fs)) {
        fprintf(stderr, "bench_per: cannot write into %s (does it exist?)\n", dir);
        return 2;
    }
    const char *head = "# PER vs in-band SNR, real synchronisation; regenerate: scripts/per.sh\n"
                       "# columns: snr_db frames errors per rs_miscorrected_fcs_rejects "
                       "fcs_undetected duplicates\n";
    if (fa)
        fputs(head, fa);
    if (fc)
        fputs(head, fc);
    if (fs)
        fputs(head, fs);

    printf("%-7s %5s %-19s %9s %9s %8s %5s %8s %6s %4s\n", "mode", "bytes", "noise", "PER10% dB",
           "PER1% dB", "target", "met", "miscorr", "undet", "dup");
    char json[4096];
    int jl = snprintf(json, sizeof(json), "{\"bench\":\"per\",\"max_frames\":%ld", max_frames);
    double defence_snr[2] = {NAN, NAN};
    long miscorrected_total = 0, undetected_total = 0, duplicates_total = 0;
    int bad = 0;
    const double t0 = (double)clock() / CLOCKS_PER_SEC;
    for (int ci = 0; ci < ncurves; ci++) {
        const curve *cv = &curves[ci];
        FILE *f = cv->noise == NOISE_AWGN ? fa : (cv->noise == NOISE_CLASS_A ? fc : fs);
        if (!f)
            continue;
        const char *mname = plc_mode_get(cv->mod)->name;
        fprintf(f, "\"%s %zu B %s\" frames errors per miscorrected undetected duplicates\n", mname,
                cv->len, noise_name(cv));
        point pts[MAX_POINTS];
        int n = 0;
        long mis = 0, und = 0, dup = 0;
        const int fine = cv->noise == NOISE_AWGN_SCO;
        double snr = cv->start_db;
        while (n < MAX_POINTS) {
            pts[n] = run_frames(cv, snr, max_frames, fine ? FINE_ERRORS : TARGET_ERRORS,
                                1000u * (uint64_t)ci + (uint64_t)n, buf, cap, tx);
            const point *p = &pts[n++];
            snr += fine && p->errors < p->frames ? 0.1 : 0.5;
            mis += p->miscorrected;
            und += p->undetected;
            dup += p->duplicates;
            fprintf(f, "%.2f %ld %ld %.5f %ld %ld %ld\n", p->snr_db, p->frames, p->errors,
                    (double)p->errors / p->frames, p->miscorrected, p->undetected, p->duplicates);
            fflush(f);
            if (p->errors == 0)
                break;
        }
        fprintf(f, "\n\n");
        const double s10 = snr_at(pts, n, 0.10), s1 = snr_at(pts, n, 0.01);
        const int met = isnan(cv->target_db) ? -1 : (s10 <= cv->target_db);
        char target[16] = "-";
        if (!isnan(cv->target_db))
            snprintf(target, sizeof(target), "<= %.1f", cv->target_db);
        printf("%-7s %5zu %-19s %9.2f %9.2f %8s %5s %8ld %6ld %4ld\n", mname, cv->len,
               noise_name(cv), s10, s1, target, met < 0 ? "-" : (met ? "yes" : "NO"), mis, und, dup);
        fflush(stdout);
        jl += snprintf(json + jl, sizeof(json) - (size_t)jl,
                       ",\"%s_%zu_%s_per10_db\":%.2f,\"%s_%zu_%s_per1_db\":%.2f", mname, cv->len,
                       noise_name(cv), s10, mname, cv->len, noise_name(cv), s1);
        if (cv->noise == NOISE_CLASS_A)
            defence_snr[cv->defence] = s10;
        bad |= met == 0;
        miscorrected_total += mis;
        undetected_total += und;
        duplicates_total += dup;
    }
    if (!isnan(defence_snr[0]) && !isnan(defence_snr[1])) {
        const double gain = defence_snr[0] - defence_snr[1];
        printf("impulse defence gain at PER 10%% (Class A, DBPSK 133 B): %.2f dB (target >= 3)\n", gain);
        jl += snprintf(json + jl, sizeof(json) - (size_t)jl, ",\"defence_gain_db\":%.2f", gain);
        bad |= gain < 3.0;
    }
    printf("cpu time %.0f s\n", (double)clock() / CLOCKS_PER_SEC - t0);
    printf("%s,\"rs_miscorrected_fcs_rejects\":%ld,\"fcs_undetected\":%ld,\"duplicates\":%ld}\n",
           json, miscorrected_total, undetected_total, duplicates_total);
    if (fa)
        fclose(fa);
    if (fc)
        fclose(fc);
    if (fs)
        fclose(fs);
    plc_tx_destroy(tx);
    free(buf);
    return bad;
}
