/* plc-sim: runs a scenario on the simulated power line (sim/plc_simnet): every node
 * broadcasts a PHY frame once per period, every other node tries to receive it.
 *   plc-sim --nodes N --phy waveform|abstract --seed S --duration SECONDS
 *           [--topology FILE] [--noise awgn|residential|impulsive] [--noise-level X]
 *           [--period S] [--mode robo|dbpsk|dqpsk|d8psk] [--psdu BYTES]
 *           [--per-table FILE] [--json]
 * Prints per-link frames sent/received and SNR, totals, wall time and simulated seconds
 * per wall second (JSON with --json); a progress bar on a terminal. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plc_medium.h"
#include "plc_simnet.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: plc-sim --nodes N --phy waveform|abstract --seed S --duration SECONDS\n"
               "               [--topology FILE] [--noise awgn|residential|impulsive]\n"
               "               [--noise-level X] [--period S] [--mode robo|dbpsk|dqpsk|d8psk]\n"
               "               [--psdu BYTES] [--per-table FILE] [--json]\n"
               "Every node broadcasts one frame per period (default 10 s); the summary gives\n"
               "frames sent/received per link, SNR statistics, wall time and speed.\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct progress_ctx {
    double duration, t0;
} progress_ctx;

static void progress(double sim_s, void *user)
{
    const progress_ctx *p = user;
    const int width = 40, done = (int)(width * sim_s / p->duration);
    fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %.0f s simulated, %.1f s wall", done,
            "########################################", width - done, "",
            100.0 * sim_s / p->duration, sim_s, now_s() - p->t0);
    fflush(stderr);
}

static int bad(const char *msg, const char *arg)
{
    fprintf(stderr, "plc-sim: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    plc_simnet_config cfg;
    plc_simnet_config_default(&cfg);
    double duration = 60.0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!v)
            return bad("missing value after", a);
        i++;
        if (!strcmp(a, "--nodes"))
            cfg.nodes = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--phy")) {
            if (strcmp(v, "waveform") && strcmp(v, "abstract"))
                return bad("--phy must be waveform or abstract", v);
            cfg.abstract_phy = !strcmp(v, "abstract");
        } else if (!strcmp(a, "--seed"))
            cfg.seed = strtoull(v, &end, 0);
        else if (!strcmp(a, "--duration"))
            duration = strtod(v, &end);
        else if (!strcmp(a, "--topology"))
            cfg.topology_file = v;
        else if (!strcmp(a, "--noise"))
            cfg.noise_profile = v;
        else if (!strcmp(a, "--noise-level"))
            cfg.noise_level = strtod(v, &end);
        else if (!strcmp(a, "--period"))
            cfg.period_s = strtod(v, &end);
        else if (!strcmp(a, "--psdu"))
            cfg.psdu_len = strtoul(v, &end, 10);
        else if (!strcmp(a, "--per-table"))
            cfg.per_table = v;
        else if (!strcmp(a, "--mode")) {
            const int m = plc_mode_parse(v);
            if (m < 0)
                return bad("unknown mode (robo, dbpsk, dqpsk, d8psk)", v);
            cfg.mod = (plc_modulation)m;
        } else {
            usage(stderr);
            return bad("unknown option", a);
        }
        if (end && *end)
            return bad("not a number", v);
    }
    if (!(duration > 0))
        return bad("--duration must be positive", NULL);
    char err[256];
    plc_simnet *s = plc_simnet_create(&cfg, err, sizeof(err));
    if (!s)
        return bad(err, NULL);
    const unsigned n = plc_simnet_nodes(s);
    progress_ctx pc = {duration, now_s()};
    const int bar = isatty(STDERR_FILENO) && !json;
    if (plc_simnet_run(s, duration, bar ? progress : NULL, &pc) != 0)
        return bad("simulation failed", NULL);
    const double wall = now_s() - pc.t0;
    if (bar)
        fputc('\n', stderr);

    unsigned long long sent = 0, received = 0;
    double snr_min = 1e9, snr_max = -1e9, snr_sum = 0;
    unsigned links_up = 0;
    for (unsigned a = 0; a < n; a++)
        for (unsigned b = 0; b < n; b++) {
            if (a == b)
                continue;
            const plc_simnet_link *k = plc_simnet_link_stats(s, a, b);
            sent += k->sent;
            received += k->received;
            if (k->received) {
                links_up++;
                snr_sum += k->snr_sum;
                snr_min = k->snr_min < snr_min ? k->snr_min : snr_min;
                snr_max = k->snr_max > snr_max ? k->snr_max : snr_max;
            }
        }
    const double speed = duration / (wall > 1e-9 ? wall : 1e-9);
    if (json) {
        printf("{\"nodes\":%u,\"phy\":\"%s\",\"seed\":%llu,\"duration_s\":%.1f,\"frames_sent\":%llu,"
               "\"frames_received\":%llu,\"delivery\":%.4f,\"links_with_traffic\":%u,"
               "\"snr_min_db\":%.1f,\"snr_mean_db\":%.1f,\"snr_max_db\":%.1f,\"wall_s\":%.3f,"
               "\"speed_x_real_time\":%.1f,\"digest\":\"%016llx\",\"links\":[",
               n, cfg.abstract_phy ? "abstract" : "waveform", (unsigned long long)cfg.seed,
               duration, sent, received, sent ? (double)received / sent : 0.0, links_up,
               links_up ? snr_min : 0, received ? snr_sum / received : 0, links_up ? snr_max : 0,
               wall, speed, (unsigned long long)plc_simnet_digest(s));
        int first = 1;
        for (unsigned a = 0; a < n; a++)
            for (unsigned b = 0; b < n; b++) {
                const plc_simnet_link *k = plc_simnet_link_stats(s, a, b);
                if (a == b || !k->sent)
                    continue;
                printf("%s{\"from\":%u,\"to\":%u,\"loss_db\":%.1f,\"sent\":%llu,\"received\":%llu,"
                       "\"snr_db\":%.1f}", first ? "" : ",", a, b, plc_medium_loss_db(plc_simnet_medium(s), a, b),
                       (unsigned long long)k->sent, (unsigned long long)k->received,
                       k->received ? k->snr_sum / k->received : 0.0);
                first = 0;
            }
        printf("]}\n");
    } else {
        printf("plc-sim: %u nodes, %s PHY, seed %llu, %.0f s simulated\n", n,
               cfg.abstract_phy ? "abstract" : "waveform", (unsigned long long)cfg.seed, duration);
        if (n <= 20) {
            printf("%6s %4s %8s %6s %9s %8s\n", "from", "to", "loss dB", "sent", "received",
                   "SNR dB");
            for (unsigned a = 0; a < n; a++)
                for (unsigned b = 0; b < n; b++) {
                    const plc_simnet_link *k = plc_simnet_link_stats(s, a, b);
                    if (a == b || !k->sent)
                        continue;
                    printf("%6u %4u %8.1f %6llu %9llu %8.1f\n", a, b, plc_medium_loss_db(plc_simnet_medium(s), a, b),
                           (unsigned long long)k->sent, (unsigned long long)k->received,
                           k->received ? k->snr_sum / k->received : 0.0);
                }
        }
        printf("frames: %llu link transmissions, %llu received (%.1f%%); links with traffic "
               "%u of %u\n", sent, received, sent ? 100.0 * received / sent : 0.0, links_up,
               n * (n - 1));
        if (received)
            printf("SNR of received frames: min %.1f, mean %.1f, max %.1f dB\n", snr_min,
                   snr_sum / received, snr_max);
        printf("wall time %.2f s: %.1f simulated seconds per wall second\n", wall, speed);
    }
    plc_simnet_destroy(s);
    return 0;
}
