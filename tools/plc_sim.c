/* plc-sim: runs a scenario on the simulated power line.
 *   plc-sim --nodes N --phy waveform|abstract --seed S --duration SECONDS
 *           [--topology FILE] [--noise awgn|residential|impulsive] [--noise-level X]
 *           [--period S] [--mode robo|dbpsk|dqpsk|d8psk] [--psdu BYTES]
 *           [--per-table FILE] [--traffic phy|mac|mesh] [--secure] [--pcap FILE] [--json]
 *           [--power-up S] [--topology-out FILE.dot] [--answer BYTES]
 * phy traffic (sim/plc_simnet): every node broadcasts a PHY frame once per period, every
 * other node tries to receive it; per-link frames sent/received and SNR.
 * mac traffic (sim/plc_macnet, chosen by --traffic mac or --pcap): every meter sends an
 * MSDU of --psdu bytes to the concentrator (node 0) once per period through the MAC;
 * per-node MSDUs, retries and failures; --pcap writes every frame the concentrator sends
 * or receives (link type 230: 802.15.4 without the FCS, which the MAC checked).
 * mesh traffic (sim/plc_meshnet): node 0 the concentrator, the others meters powering up at
 * random within --power-up seconds (600), joining through LBP over the mesh; when all have
 * joined (or --duration has passed) one read round, a request and an answer per meter;
 * --answer sets the answer's size (120 bytes; above 384 it travels in fragments);
 * --topology-out writes the routes as a Graphviz graph; --pcap writes the concentrator's
 * MSDUs both ways in clear, as 6LoWPAN over Ethernet (EtherType 0xA0ED), for Wireshark's
 * 6LoWPAN dissector.
 * All print totals, wall time and simulated seconds per wall second (JSON with --json);
 * a progress bar on a terminal. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plc_err.h"
#include "plc_mac_frame.h"
#include "plc_macnet.h"
#include "plc_meshnet.h"
#include "plc_medium.h"
#include "plc_pcap.h"
#include "plc_rng.h"
#include "plc_simnet.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: plc-sim --nodes N --phy waveform|abstract --seed S --duration SECONDS\n"
               "               [--topology FILE] [--noise awgn|residential|impulsive]\n"
               "               [--noise-level X] [--period S] [--mode robo|dbpsk|dqpsk|d8psk]\n"
               "               [--psdu BYTES] [--per-table FILE] [--traffic phy|mac]\n"
               "               [--secure] [--pcap FILE] [--json] [--power-up S]\n"
               "               [--topology-out FILE.dot] [--answer BYTES]\n"
               "phy traffic: every node broadcasts one frame per period (default 10 s); the\n"
               "summary gives frames sent/received per link and SNR statistics.\n"
               "mac traffic (or --pcap): every meter sends an MSDU to node 0 per period through\n"
               "the MAC; the summary gives MSDUs per node, retries and failures; --pcap writes\n"
               "the concentrator's frames as a pcap file (IEEE 802.15.4, FCS checked and stripped).\n"
               "mesh traffic: node 0 a concentrator, the rest meters that power up within\n"
               "--power-up s and join through LBP over the mesh; then one read round; the summary\n"
               "gives joined, hops, delivery, RREQ share and frames per meter; --answer sets\n"
               "the answer's size (120), --pcap writes the concentrator's MSDUs (6LoWPAN).\n");
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

/* ---- MAC traffic: meters -> concentrator ---- */
typedef struct mac_run {
    plc_macnet *net;
    plc_timer *timer;
    unsigned n;
    size_t len;
    double period;
    plc_pcap *pcap;
    int pcap_failed;
} mac_run;

typedef struct meter_ctx {
    mac_run *run;
    unsigned id;
} meter_ctx;

static void on_meter_timer(plc_loop *loop, plc_timer *t, void *user)
{
    meter_ctx *c = user;
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    for (size_t i = 0; i < c->run->len; i++)
        msdu[i] = (uint8_t)(c->id + i);
    plc_macnet_send(c->run->net, c->id, 0, msdu, c->run->len);
    plc_timer_start_in(loop, t, (uint64_t)(c->run->period * 1e6));
}

static void on_concentrator_frame(void *user, const uint8_t *frame, size_t len, int outgoing)
{
    (void)outgoing;
    mac_run *r = user;
    /* the tap's frames passed the FCS check; link type 230 holds them without it */
    if (len < PLC_MAC_FCS_LEN ||
        plc_pcap_write(r->pcap, plc_loop_now_us(plc_macnet_loop(r->net)), frame,
                       len - PLC_MAC_FCS_LEN) != PLC_OK)
        r->pcap_failed = 1;
}

static int run_mac(const plc_simnet_config *cfg, double duration, int json, int secure,
                   const char *pcap_path)
{
    if (cfg->psdu_len < 1 || cfg->psdu_len > PLC_MAC_MAX_MSDU)
        return bad("--psdu must be 1..400 bytes of MSDU with --traffic mac", NULL);
    plc_medium_config mc;
    plc_simnet_medium_config(cfg, &mc);
    char err[256];
    mac_run r = {.len = cfg->psdu_len, .period = cfg->period_s};
    r.net = plc_macnet_create(&mc, secure, cfg->seed, err, sizeof(err));
    if (!r.net)
        return bad(err, NULL);
    r.n = plc_macnet_nodes(r.net);
    if (pcap_path) {
        r.pcap = plc_pcap_open(pcap_path, PLC_PCAP_LINKTYPE_IEEE802_15_4_NOFCS);
        if (!r.pcap) {
            plc_macnet_destroy(r.net);
            return bad("cannot create the pcap file", pcap_path);
        }
        plc_macnet_set_tap(r.net, 0, on_concentrator_frame, &r);
    }
    plc_timer *timers = calloc(r.n, sizeof(plc_timer));
    meter_ctx *ctx = calloc(r.n, sizeof(meter_ctx));
    if (!timers || !ctx)
        return bad("out of memory", NULL);
    plc_rng rng;
    plc_rng_seed(&rng, cfg->seed ^ 0x7E7E7E7Eull);
    for (unsigned i = 1; i < r.n; i++) {
        ctx[i] = (meter_ctx){&r, i};
        plc_timer_init(&timers[i], on_meter_timer, &ctx[i]);
        plc_timer_start_at(plc_macnet_loop(r.net), &timers[i],
                           (uint64_t)(plc_rng_uniform(&rng) * r.period * 1e6));
    }
    progress_ctx pc = {duration, now_s()};
    const int bar = isatty(STDERR_FILENO) && !json;
    for (double t = 1.0; t < duration + 1.0; t += 1.0) {
        plc_macnet_run(r.net, t < duration ? t : duration);
        if (bar)
            progress(t < duration ? t : duration, &pc);
    }
    const double wall = now_s() - pc.t0;
    if (bar)
        fputc('\n', stderr);
    for (unsigned i = 1; i < r.n; i++)
        plc_timer_stop(plc_macnet_loop(r.net), &timers[i]);
    unsigned long long req = 0, ok = 0, failed = 0, delivered = 0, retries = 0, caf = 0;
    for (unsigned i = 1; i < r.n; i++) {
        const plc_macnet_node_stats *s = plc_macnet_stats(r.net, i);
        plc_mac_counters c;
        plc_mac_get_counters(plc_macnet_mac(r.net, i), &c);
        req += s->requests;
        ok += s->ok;
        failed += s->failed;
        retries += c.tx_retries;
        caf += c.channel_access_failures;
    }
    delivered = plc_macnet_rx_count(r.net, 0);
    plc_mac_counters cc;
    plc_mac_get_counters(plc_macnet_mac(r.net, 0), &cc);
    const double speed = duration / (wall > 1e-9 ? wall : 1e-9);
    if (json) {
        printf("{\"nodes\":%u,\"phy\":\"%s\",\"traffic\":\"mac\",\"seed\":%llu,\"duration_s\":%.1f,"
               "\"msdu_requests\":%llu,\"msdu_ok\":%llu,\"msdu_failed\":%llu,"
               "\"delivered_to_concentrator\":%llu,\"retries\":%llu,"
               "\"channel_access_failures\":%llu,\"concentrator_fcs_errors\":%llu,"
               "\"wall_s\":%.3f,\"speed_x_real_time\":%.1f,\"nodes_detail\":[",
               r.n, mc.abstract_phy ? "abstract" : "waveform", (unsigned long long)cfg->seed,
               duration, req, ok, failed, delivered, retries, caf,
               (unsigned long long)cc.fcs_errors, wall, speed);
        for (unsigned i = 1; i < r.n; i++) {
            const plc_macnet_node_stats *s = plc_macnet_stats(r.net, i);
            const plc_mac_neighbour *nb = plc_mac_neighbour_get(plc_macnet_mac(r.net, i), 0);
            printf("%s{\"node\":%u,\"requests\":%llu,\"ok\":%llu,\"failed\":%llu,\"mod\":\"%s\"}",
                   i > 1 ? "," : "", i, (unsigned long long)s->requests,
                   (unsigned long long)s->ok, (unsigned long long)s->failed,
                   plc_mode_get(nb && nb->tonemap_valid_until ? (int)nb->mod : 0)->name);
        }
        printf("]}\n");
    } else {
        printf("plc-sim: %u nodes, %s PHY, MAC traffic (%zu-byte MSDUs to node 0 every %.0f s%s), "
               "seed %llu, %.0f s simulated\n", r.n, mc.abstract_phy ? "abstract" : "waveform",
               r.len, r.period, secure ? ", secured" : "", (unsigned long long)cfg->seed,
               duration);
        if (r.n <= 50) {
            printf("%6s %9s %6s %7s %8s %7s %7s\n", "node", "requests", "ok", "failed", "retries",
                   "mod", "LQI");
            for (unsigned i = 1; i < r.n; i++) {
                const plc_macnet_node_stats *s = plc_macnet_stats(r.net, i);
                plc_mac_counters c;
                plc_mac_get_counters(plc_macnet_mac(r.net, i), &c);
                const plc_mac_neighbour *nb = plc_mac_neighbour_get(plc_macnet_mac(r.net, i), 0);
                printf("%6u %9llu %6llu %7llu %8llu %7s %7u\n", i, (unsigned long long)s->requests,
                       (unsigned long long)s->ok, (unsigned long long)s->failed,
                       (unsigned long long)c.tx_retries,
                       plc_mode_get(nb && nb->tonemap_valid_until ? (int)nb->mod : 0)->name,
                       nb ? nb->lqi : 0);
            }
        }
        printf("MSDUs: %llu requested, %llu confirmed ok (%.1f%%), %llu failed; %llu delivered to "
               "the concentrator; %llu retries, %llu channel access failures\n", req, ok,
               req ? 100.0 * ok / req : 0.0, failed, delivered, retries, caf);
        printf("concentrator: %llu frames in, %llu FCS errors, %llu duplicates\n",
               (unsigned long long)cc.rx_frames, (unsigned long long)cc.fcs_errors,
               (unsigned long long)cc.duplicates);
        printf("wall time %.2f s: %.1f simulated seconds per wall second\n", wall, speed);
    }
    int rc = 0;
    if (r.pcap && (plc_pcap_close(r.pcap) != PLC_OK || r.pcap_failed))
        rc = bad("writing the pcap file failed", pcap_path);
    plc_macnet_destroy(r.net);
    free(timers);
    free(ctx);
    return rc;
}

/* ---- mesh: formation through LBP, then a read round ---- */
typedef struct mesh_tap {
    plc_pcap *pcap;
    plc_meshnet *net;
    int failed;
} mesh_tap;

/* The concentrator's MSDUs (both ways), the adaptation layer's bytes in clear (on the line
 * the MAC encrypts them: no capture tool could open them), each in an Ethernet frame with
 * EtherType 0xA0ED (RFC 7973: LoWPAN encapsulation) between locally administered addresses
 * 02:00:00:00:hh:ll made of the 16-bit ones. Wireshark's 6LoWPAN dissector then decodes the
 * mesh, BC0 and fragment headers of every frame (over 802.15.4 it would try the 6LoWPAN
 * heuristic only, which wants IPv6 after the headers, and G3's LOADng, LBP and our data
 * come behind the escape dispatch). */
static void on_mesh_msdu(void *user, uint16_t peer, const uint8_t *msdu, size_t len, int out)
{
    mesh_tap *t = user;
    uint8_t f[14 + PLC_MAC_MAX_MSDU];
    const uint16_t dst = out ? peer : 0x0000, src = out ? 0x0000 : peer;
    const uint8_t h[14] = {0x02, 0, 0, 0, (uint8_t)(dst >> 8), (uint8_t)dst,
                           0x02, 0, 0, 0, (uint8_t)(src >> 8), (uint8_t)src,
                           PLC_PCAP_ETHERTYPE_6LOWPAN >> 8, PLC_PCAP_ETHERTYPE_6LOWPAN & 0xFF};
    if (len > PLC_MAC_MAX_MSDU) {
        t->failed = 1;
        return;
    }
    memcpy(f, h, sizeof(h));
    memcpy(f + sizeof(h), msdu, len);
    if (plc_pcap_write(t->pcap, (uint64_t)(plc_meshnet_now_s(t->net) * 1e6), f,
                       sizeof(h) + len) != PLC_OK)
        t->failed = 1;
}

static int run_mesh(const plc_simnet_config *cfg, double duration, int json, unsigned power_up,
                    const char *dot, const char *pcap_path, size_t answer)
{
    plc_meshnet_config mc;
    plc_meshnet_config_default(&mc);
    plc_simnet_medium_config(cfg, &mc.medium);
    mc.seed = cfg->seed;
    mc.power_up_s = power_up;
    char err[256];
    const double t0 = now_s();
    plc_meshnet *w = plc_meshnet_create(&mc, err, sizeof(err));
    if (!w)
        return bad(err, NULL);
    mesh_tap tap = {.net = w};
    if (pcap_path) {
        tap.pcap = plc_pcap_open(pcap_path, PLC_PCAP_LINKTYPE_ETHERNET);
        if (!tap.pcap) {
            plc_meshnet_destroy(w);
            return bad("cannot create the pcap file", pcap_path);
        }
        plc_adp_set_tap(plc_meshnet_adp(w, 0), on_mesh_msdu, &tap);
    }
    const unsigned meters = plc_meshnet_meters(w);
    const double all = plc_meshnet_form(w, duration);
    const unsigned joined = plc_meshnet_joined(w);
    plc_meshnet_round r;
    plc_meshnet_read_round(w, 40, answer, &r);
    if (tap.pcap && (plc_pcap_close(tap.pcap) != PLC_OK || tap.failed)) {
        plc_meshnet_destroy(w);
        return bad("writing the pcap file failed", pcap_path);
    }
    uint64_t frames, rreq;
    plc_meshnet_frames(w, &frames, &rreq);
    const double delivery = meters ? (double)r.answered / meters : 0;
    const double share = frames ? (double)rreq / (double)frames : 0;
    if (dot) {
        FILE *f = fopen(dot, "w");
        if (!f || plc_meshnet_write_dot(w, f) != PLC_OK || fclose(f) != 0)
            return bad("cannot write the topology file", dot);
    }
    if (json) {
        printf("{\"traffic\":\"mesh\",\"phy\":\"%s\",\"seed\":%llu,\"meters\":%u,\"joined\":%u,"
               "\"all_joined_s\":",
               cfg->abstract_phy ? "abstract" : "waveform", (unsigned long long)cfg->seed, meters,
               joined);
        if (all >= 0)
            printf("%.1f", all);
        else
            printf("null");
        printf(",\"max_hops\":%u,\"mean_hops\":%.2f,\"delivery\":%.4f,\"rreq_share\":%.4f,"
               "\"frames_per_meter\":%.1f,\"sim_s\":%.1f,\"wall_s\":%.2f}\n",
               r.max_hops, r.mean_hops, delivery, share, meters ? (double)frames / meters : 0,
               plc_meshnet_now_s(w), now_s() - t0);
    } else {
        printf("plc-sim: %u meters, %s PHY, mesh: %u joined (%s), read %u answered (%.1f%%), hops "
               "max %u mean %.2f, RREQ share %.1f%%, %.1f frames per meter, %.0f s simulated in "
               "%.1f s\n",
               meters, cfg->abstract_phy ? "abstract" : "waveform", joined,
               all >= 0 ? "all" : "not all", r.answered, 100 * delivery, r.max_hops, r.mean_hops,
               100 * share, meters ? (double)frames / meters : 0, plc_meshnet_now_s(w),
               now_s() - t0);
    }
    plc_meshnet_destroy(w);
    return 0;
}

int main(int argc, char **argv)
{
    plc_simnet_config cfg;
    plc_simnet_config_default(&cfg);
    double duration = 60.0;
    int json = 0, mac = 0, secure = 0;
    const char *pcap = NULL, *dot = NULL;
    int mesh = 0;
    unsigned power_up = 600;
    size_t answer = 120;
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
        if (!strcmp(a, "--secure")) {
            secure = 1;
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
        else if (!strcmp(a, "--pcap"))
            pcap = v, mac = 1;
        else if (!strcmp(a, "--traffic")) {
            if (strcmp(v, "phy") && strcmp(v, "mac") && strcmp(v, "mesh"))
                return bad("--traffic must be phy, mac or mesh", v);
            mac = !strcmp(v, "mac");
            mesh = !strcmp(v, "mesh");
        } else if (!strcmp(a, "--topology-out"))
            dot = v;
        else if (!strcmp(a, "--power-up"))
            power_up = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--answer")) {
            answer = strtoul(v, &end, 10);
            if (answer < 2 || answer > PLC_ADP_MAX_DATA)
                return bad("--answer must be 2 to 1280 bytes", v);
        } else if (!strcmp(a, "--per-table"))
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
    if (mesh)
        return run_mesh(&cfg, duration, json, power_up, dot, pcap, answer);
    if (dot)
        return bad("--topology-out goes with --traffic mesh", NULL);
    if (mac)
        return run_mac(&cfg, duration, json, secure, pcap);
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
            const plc_simnet_link k = plc_simnet_link_stats(s, a, b);
            sent += k.sent;
            received += k.received;
            if (k.received) {
                links_up++;
                snr_sum += k.snr_sum;
                snr_min = k.snr_min < snr_min ? k.snr_min : snr_min;
                snr_max = k.snr_max > snr_max ? k.snr_max : snr_max;
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
                const plc_simnet_link k = plc_simnet_link_stats(s, a, b);
                if (a == b || !k.sent)
                    continue;
                printf("%s{\"from\":%u,\"to\":%u,\"loss_db\":%.1f,\"sent\":%llu,\"received\":%llu,"
                       "\"snr_db\":%.1f}", first ? "" : ",", a, b, plc_medium_loss_db(plc_simnet_medium(s), a, b),
                       (unsigned long long)k.sent, (unsigned long long)k.received,
                       k.received ? k.snr_sum / k.received : 0.0);
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
                    const plc_simnet_link k = plc_simnet_link_stats(s, a, b);
                    if (a == b || !k.sent)
                        continue;
                    printf("%6u %4u %8.1f %6llu %9llu %8.1f\n", a, b, plc_medium_loss_db(plc_simnet_medium(s), a, b),
                           (unsigned long long)k.sent, (unsigned long long)k.received,
                           k.received ? k.snr_sum / k.received : 0.0);
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
