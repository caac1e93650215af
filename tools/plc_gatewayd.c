/* plc-gatewayd: the concentrator daemon. Reads its INI configuration (gateway/plc_gw_config.h,
 * docs/gateway.md), opens the store and runs the concentrator (gateway/plc_gw.h) on its PLC
 * side: [plc] mode = sim, a simulated feeder of N meters over the mesh in the same process
 * (every node the whole stack: MAC, adaptation layer, LOADng, LBP; DL/T 645 meters), run as
 * fast as it goes or at [plc] speed times real time; or mode = port, the concentrator's
 * modem (gateway/plc_gw_modem.h) on an SDR through SoapySDR, in real time, the meters on the
 * line being real (or plc-meter processes on a test's shared loopback line).
 *   plc-gatewayd -c FILE [--store PATH] [--for SECONDS] [--drain SECONDS]
 *                [--topology-out FILE.dot]
 * --store: the store instead of the file's [gateway] store.
 * --for: stop after that much (simulated) time.
 * --drain: then (the feeder stopped) keep the upstream link until the outbox is empty, at
 * most that many wall seconds; exit 3 when it did not empty.
 * [upstream] endpoint set: the head-end link (gateway/plc_gw_upstream.h), polled between
 * simulated seconds; its clock sync steps the clock only at speed = 1 (real time). SIGTERM or SIGINT: the transaction in hand
 * finishes (every store write is one), then it exits 0. Every simulated hour one log line on
 * stderr; at exit one JSON line on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plc_dlt645.h"
#include "plc_err.h"
#include "plc_gw.h"
#include "plc_gw_config.h"
#include "plc_gw_nmea.h"
#include "plc_gw_serial.h"
#ifdef PLC_HAVE_ECDSA
#include "plc_ecdsa.h"
#endif
#include "plc_gw_store.h"
#include "plc_gw_upstream.h"
#include "plc_gw_modem.h"
#include "plc_loadng.h"
#include "plc_loop_posix.h"
#include "plc_os_random.h"
#include "plc_gw_topology.h"
#include "plc_meshnet.h"
#include "plc_port.h"
#include "plc_port_phy.h"

static volatile sig_atomic_t stop_requested;
#ifdef PLC_HAVE_ECDSA
static uint8_t trusted_key[65]; /* the simulated meters' (a real meter has its own in ROM) */

static int sim_verify(const uint8_t digest[32], const uint8_t sig[64])
{
    return plc_ecdsa_p256_verify(trusted_key, digest, sig);
}
#endif

/* The firmware image of [firmware] image, for FIRMWARE commands. */
static int load_image(plc_gw *g, const plc_gw_daemon_config *dc)
{
    FILE *f = fopen(dc->image, "rb");
    if (!f)
        return PLC_ERR_IO;
    uint8_t *buf = malloc(1u << 20);
    const size_t n = buf ? fread(buf, 1, 1u << 20, f) : 0;
    const int eof = feof(f);
    fclose(f);
    const int rc = buf && n && eof ? plc_gw_set_image(g, dc->image_id, buf, n, dc->image_sig,
                                                      dc->image_block)
                                   : PLC_ERR_LENGTH;
    free(buf);
    return rc;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct line_t {
    struct daemon *d;
    const char *name;
    plc_gw_serial *port;
} line_t;

typedef struct daemon {
    plc_meshnet *net;      /* mode = sim: the simulated area */
    plc_gw_modem *modem;   /* mode = port: the concentrator's modem on the port, ... */
    plc_loop *loop;        /* ... the real-time loop */
    plc_port *port;
    plc_port_phy *phy;
    plc_gw *gw;
    plc_gw_upstream *up;
    plc_gw_topology *topo; /* the path survey, or NULL */
    plc_gw_serial *gnss;   /* [gnss] an NMEA receiver, or NULL */
    plc_gw_nmea nmea;
    line_t lines[PLC_GW_MAX_LINES];
    unsigned n_lines;
} daemon_t;

static int line_send(void *user, uint16_t to, const uint8_t *frame, size_t len)
{
    (void)to;
    return plc_gw_serial_write(((line_t *)user)->port, frame, len);
}

static void line_frame(void *user, const uint8_t *frame, size_t len)
{
    line_t *l = user;
    plc_gw_port_input(l->d->gw, l->name, frame, len);
}

static int mesh_send(void *user, uint16_t to, const uint8_t *frame, size_t len)
{
    daemon_t *d = user;
    return d->net ? plc_meshnet_send(d->net, to, frame, len, 0)
                  : plc_gw_modem_send(d->modem, to, frame, len);
}

static void on_announced(void *user, uint16_t short_addr, const uint8_t addr[6])
{
    daemon_t *d = user;
    plc_gw_node_announced(d->gw, short_addr, addr);
}

static void on_frame(void *user, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *data,
                     size_t len)
{
    daemon_t *d = user;
    plc_gw_frame_input(d->gw, from, hops, lqi, data, len);
}

/* The meters' parents come from the concentrator's path discoveries (plc_gw_topology.h). */
static void on_path(void *user, uint16_t dst, int status, const plc_loadng_path *reply)
{
    daemon_t *d = user;
    plc_gw_topology_path(d->topo, dst, status, reply);
}

static void on_image(void *user, uint16_t from, const uint8_t *msg, size_t len)
{
    daemon_t *d = user;
    plc_gw_image_input(d->gw, from, msg, len);
}

static void on_refused(void *user, uint64_t eui, const char *reason)
{
    daemon_t *d = user;
    plc_gw_node_refused(d->gw, eui, reason);
}

static int allow(void *user, uint64_t eui, const uint8_t psk[16])
{
    daemon_t *d = user;
    return d->net ? plc_meshnet_allow(d->net, eui, psk) : plc_gw_modem_allow(d->modem, eui, psk);
}

static void deny(void *user, uint64_t eui)
{
    daemon_t *d = user;
    if (d->net)
        plc_meshnet_disallow(d->net, eui);
    else
        plc_gw_modem_disallow(d->modem, eui);
}

/* What the GNSS receiver said: a new fix is the position the next login reports. */
static void read_gnss(daemon_t *d)
{
    uint8_t buf[256];
    ssize_t n;
    plc_gw_fix fix;
    while (d->gnss && (n = read(plc_gw_serial_fd(d->gnss), buf, sizeof(buf))) > 0)
        if (plc_gw_nmea_feed(&d->nmea, buf, (size_t)n, &fix) && d->up)
            plc_gw_upstream_set_location(d->up, fix.latitude, fix.longitude,
                                         fix.has_altitude ? fix.altitude_m : 0, "gnss");
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void local_text(int64_t t, char *out, size_t cap)
{
    const time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm); /* local seconds: no zone to apply */
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int64_t system_local_now(void)
{
    const time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return plc_gw_local_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                             tm.tm_sec);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: plc-gatewayd -c FILE [--store PATH] [--for SECONDS] [--drain SECONDS]\n"
               "                    [--topology-out FILE.dot]\n"
               "  the concentrator daemon; FILE is its INI configuration (docs/gateway.md)\n");
}

/* The simulated meters are the archive ([archive] sim_meters = 1) when it is empty, with their
 * modems' EUI-64 and PSK as a utility's import from the manufacturer would bring them. */
static int import_sim_archive(plc_gw_store *s, plc_meshnet *net)
{
    const unsigned meters = plc_meshnet_meters(net);
    unsigned have = 0;
    int rc = plc_gw_store_meters(s, 1, NULL, 0, &have);
    if (rc != PLC_OK || have)
        return rc;
    plc_gw_meter *m = calloc(meters, sizeof(*m));
    if (!m)
        return PLC_ERR_NOMEM;
    for (unsigned i = 0; i < meters; i++) {
        plc_gw_meter_default(&m[i]);
        snprintf(m[i].addr, sizeof(m[i].addr), "%012u", i + 1);
        snprintf(m[i].asset, sizeof(m[i].asset), "SIM-%05u", i + 1);
        m[i].eui = plc_meshnet_eui(net, i + 1);
        plc_meshnet_psk(net, i + 1, m[i].psk);
    }
    rc = plc_gw_store_meters_put(s, m, meters);
    free(m);
    return rc;
}

/* Meters on the mesh (announced) and the PLC side's time. */
static unsigned announced(const daemon_t *d)
{
    return d->net ? plc_meshnet_announced(d->net) : plc_gw_modem_announced(d->modem);
}

static double plc_now_s(daemon_t *d)
{
    return d->net ? plc_meshnet_now_s(d->net) : (double)plc_loop_now_us(d->loop) * 1e-6;
}

static void report(daemon_t *d, FILE *f, int json, double wall0)
{
    const int64_t now = plc_gw_now(d->gw);
    const int64_t day = now - now % 86400;
    unsigned meters, got, in_time;
    plc_gw_daily_completeness(d->gw, day, &meters, &got, &in_time);
    plc_gw_counters c;
    plc_gw_get_counters(d->gw, &c);
    char t[32];
    local_text(now, t, sizeof(t));
    if (!json) {
        fprintf(f, "[%s] joined %u/%u; today's daily freeze %u/%u (%u before the deadline); "
                   "requests %llu answers %llu timeouts %llu; events: power-down %llu area %llu\n",
                t, announced(d), meters, got, meters, in_time,
                (unsigned long long)c.requests, (unsigned long long)c.answers,
                (unsigned long long)c.timeouts, (unsigned long long)c.power_downs,
                (unsigned long long)c.area_outages);
        return;
    }
    plc_gw_upstream_stats u = {0};
    if (d->up)
        plc_gw_upstream_get_stats(d->up, &u);
    plc_gw_topology_counters p = {0};
    if (d->topo)
        plc_gw_topology_get_counters(d->topo, &p);
    fprintf(f, "{\"clock\":\"%s\",\"meters\":%u,\"joined\":%u,\"daily_got\":%u,"
               "\"daily_before_deadline\":%u,\"requests\":%llu,\"answers\":%llu,\"timeouts\":%llu,"
               "\"stored\":%llu,\"duplicates\":%llu,\"bad_frames\":%llu,\"wrong_address\":%llu,\"power_downs\":%llu,"
               "\"area_outages\":%llu,\"unknown_nodes\":%llu,\"store_errors\":%llu,"
               "\"upstream\":{\"up\":%s,\"logins\":%llu,\"items_sent\":%llu,"
               "\"items_acked\":%llu,\"outbox\":%llu,\"resends\":%llu,\"commands\":%llu,"
               "\"clock_steps\":%llu,\"auth_failures\":%llu},"
               "\"paths\":{\"asked\":%llu,\"complete\":%llu,\"incomplete\":%llu,"
               "\"failed\":%llu,\"no_route\":%llu},"
               "\"sim_s\":%.0f,\"wall_s\":%.1f}\n",
            t, meters, announced(d), got, in_time,
            (unsigned long long)c.requests, (unsigned long long)c.answers,
            (unsigned long long)c.timeouts, (unsigned long long)c.stored,
            (unsigned long long)c.duplicates, (unsigned long long)c.bad_frames, (unsigned long long)c.wrong_address,
            (unsigned long long)c.power_downs, (unsigned long long)c.area_outages,
            (unsigned long long)c.unknown_nodes, (unsigned long long)c.store_errors,
            u.up ? "true" : "false", (unsigned long long)u.logins,
            (unsigned long long)u.items_sent, (unsigned long long)u.items_acked,
            (unsigned long long)u.outbox, (unsigned long long)u.resends,
            (unsigned long long)u.commands, (unsigned long long)u.clock_steps,
            (unsigned long long)u.auth_failures, (unsigned long long)p.asked,
            (unsigned long long)p.complete, (unsigned long long)p.incomplete,
            (unsigned long long)p.failed, (unsigned long long)p.no_route, plc_now_s(d),
            wall_s() - wall0);
}

/* The area's key: [plc] gmk, else the one drawn at the first start and kept in the store (a
 * concentrator restarted with a new key would lose its meters until each joins again). */
static int area_key(const plc_gw_daemon_config *dc, plc_gw_store *store, uint8_t gmk[16])
{
    if (dc->has_gmk) {
        memcpy(gmk, dc->gmk, 16);
        return PLC_OK;
    }
    int64_t h[2];
    if (plc_gw_store_state_get(store, "gmk_hi", &h[0]) == 1 &&
        plc_gw_store_state_get(store, "gmk_lo", &h[1]) == 1) {
        for (int i = 0; i < 16; i++)
            gmk[i] = (uint8_t)((uint64_t)h[i / 8] >> (56 - 8 * (i % 8)));
        return PLC_OK;
    }
    plc_os_random(NULL, gmk, 16);
    for (int k = 0; k < 2; k++) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | gmk[8 * k + i];
        if (plc_gw_store_state_set(store, k ? "gmk_lo" : "gmk_hi", (int64_t)v) != PLC_OK)
            return PLC_ERR_IO;
    }
    return PLC_OK;
}

/* mode = sim: the simulated area (its meters the archive when [archive] sim_meters and the
 * archive is empty), its meters' clocks at clock0. */
static int open_sim(daemon_t *d, const plc_gw_daemon_config *dc, plc_gw_store *store,
                    int64_t clock0, char *err, size_t errlen)
{
    plc_meshnet_config mc;
    plc_meshnet_config_default(&mc);
    mc.medium.nodes = dc->meters + 1;
    mc.medium.abstract_phy = !dc->waveform;
    mc.medium.per_table = dc->per_table;
    mc.medium.topology_file = dc->topology[0] ? dc->topology : NULL;
    mc.seed = dc->seed;
    mc.power_up_s = dc->power_up_s;
    mc.dlt645 = 1;
    mc.allow_none = 1; /* the archive says who may join */
    if (dc->has_key) {
#ifdef PLC_HAVE_ECDSA
        memcpy(trusted_key, dc->key, sizeof(trusted_key));
        mc.image_verify = sim_verify;
#else
        snprintf(err, errlen, "[firmware] key: this build has no ECDSA (mbedTLS)");
        return PLC_ERR_CONFIG;
#endif
    }
    const time_t tt = (time_t)clock0;
    struct tm tm;
    gmtime_r(&tt, &tm);
    mc.meter_start = (plc_dlt645_time){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday,
                                       tm.tm_hour, tm.tm_min, tm.tm_sec};
    char why[256];
    d->net = plc_meshnet_create(&mc, why, sizeof(why));
    if (!d->net) {
        snprintf(err, errlen, "simulated feeder: %s", why);
        return PLC_ERR_NOMEM;
    }
    if (dc->sim_archive && import_sim_archive(store, d->net) != PLC_OK) {
        snprintf(err, errlen, "store: %s", plc_gw_store_message(store));
        return PLC_ERR_STORE;
    }
    return PLC_OK;
}

/* mode = port: the SDR, the PHY over it and the concentrator's modem on the real-time loop. */
static int open_port(daemon_t *d, const plc_gw_daemon_config *dc, plc_gw_store *store, char *err,
                     size_t errlen)
{
#ifdef PLC_HAVE_SOAPY
    plc_sdr_config fe;
    plc_sdr_config_default(&fe);
    fe.sdr_rate_hz = dc->sdr_rate;
    char why[256];
    d->port = plc_port_soapy_create(dc->soapy, &fe, dc->rf_hz, dc->gain_db, why, sizeof(why));
    if (!d->port) {
        snprintf(err, errlen, "[plc] soapy: %s", why);
        return PLC_ERR_IO;
    }
#else
    snprintf(err, errlen, "[plc] mode = port: this build has no SoapySDR (libsoapysdr-dev)");
    return PLC_ERR_CONFIG;
#endif
    d->loop = plc_loop_posix_create(512);
    d->phy = d->loop ? plc_port_phy_create(d->port, d->loop, NULL) : NULL;
    plc_gw_modem_config mc;
    plc_gw_modem_config_default(&mc);
    mc.eui = dc->eui;
    mc.parallel = dc->gw.parallel;
    mc.random = plc_os_random;
    if (area_key(dc, store, mc.gmk) != PLC_OK) {
        snprintf(err, errlen, "[plc] gmk: cannot draw or keep the area's key");
        return PLC_ERR_IO;
    }
    const plc_gw_modem_app app = {.announced = on_announced, .frame = on_frame,
                                  .image = on_image, .refused = on_refused, .path = on_path,
                                  .user = d};
    d->modem = d->phy ? plc_gw_modem_create(&mc, d->loop, plc_port_phy_service(d->phy), &app)
                      : NULL;
    memset(mc.gmk, 0, sizeof(mc.gmk));
    if (!d->modem) {
        snprintf(err, errlen, "[plc] soapy: cannot start the PHY and the modem on the port");
        return PLC_ERR_NOMEM;
    }
    return PLC_OK;
}

static void close_port(daemon_t *d)
{
    plc_gw_modem_destroy(d->modem);
    plc_port_phy_destroy(d->phy);
    if (d->port)
        plc_port_close(d->port);
    if (d->loop)
        plc_loop_destroy(d->loop);
    d->modem = NULL, d->phy = NULL, d->port = NULL, d->loop = NULL;
}

int main(int argc, char **argv)
{
    const char *conf = NULL, *dot = NULL, *store_path = NULL;
    double run_for = -1, drain = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            conf = argv[++i];
        } else if (!strcmp(argv[i], "--store") && i + 1 < argc) {
            store_path = argv[++i];
        } else if (!strcmp(argv[i], "--for") && i + 1 < argc) {
            run_for = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--drain") && i + 1 < argc) {
            drain = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--topology-out") && i + 1 < argc) {
            dot = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!conf) {
        usage(stderr);
        return 2;
    }
    plc_gw_daemon_config dc;
    plc_gw_daemon_config_default(&dc);
    char err[512];
    if (plc_gw_config_load(&dc, conf, err, sizeof(err)) != PLC_OK) {
        fprintf(stderr, "plc-gatewayd: %s\n", err);
        return 2;
    }
    if (store_path)
        snprintf(dc.store, sizeof(dc.store), "%s", store_path);
    if (dc.n_lines && dc.speed != 1.0) {
        fprintf(stderr, "plc-gatewayd: %s: [rs485 %s]: a serial line's meters answer in real "
                        "time: set [plc] speed = 1\n", conf, dc.line[0].name);
        return 2;
    }
    if (!dc.sim && dc.speed != 0 && dc.speed != 1.0) {
        fprintf(stderr, "plc-gatewayd: %s: [plc] speed: a port runs in real time: set 1\n", conf);
        return 2;
    }
    if (!dc.sim)
        dc.speed = 1;
    plc_gw_store *store = plc_gw_store_open(dc.store, dc.durable, err, sizeof(err));
    if (!store) {
        fprintf(stderr, "plc-gatewayd: store %s\n", err);
        return 1;
    }
    /* a simulated area restarted on its store goes on at the time it stopped [R] */
    int64_t clock0 = dc.clock ? dc.clock : system_local_now(), was = 0;
    if (dc.clock && plc_gw_store_state_get(store, "daemon_clock", &was) == 1 && was > clock0)
        clock0 = was;
    daemon_t d = {0};
    const int opened = dc.sim ? open_sim(&d, &dc, store, clock0, err, sizeof(err))
                              : open_port(&d, &dc, store, err, sizeof(err));
    if (opened != PLC_OK) {
        fprintf(stderr, "plc-gatewayd: %s: %s\n", conf, err);
        plc_meshnet_destroy(d.net);
        close_port(&d);
        plc_gw_store_close(store);
        return opened == PLC_ERR_CONFIG ? 2 : 1;
    }
    plc_gw_config gc = dc.gw;
    gc.clock0 = clock0;
    const plc_gw_link link = {mesh_send, &d};
    d.gw = plc_gw_create(&gc, store, d.net ? plc_meshnet_loop(d.net) : d.loop, &link, err,
                         sizeof(err));
    if (!d.gw) {
        fprintf(stderr, "plc-gatewayd: %s\n", err);
        plc_meshnet_destroy(d.net);
        close_port(&d);
        plc_gw_store_close(store);
        return 1;
    }
    if (d.net) {
        const plc_meshnet_app app = {.announced = on_announced, .frame = on_frame,
                                     .image = on_image, .refused = on_refused,
                                     .path = on_path, .user = &d};
        plc_meshnet_set_app(d.net, &app);
    }
    if (dc.path_survey_s &&
        !(d.topo = plc_gw_topology_create(d.net ? plc_meshnet_loop(d.net) : d.loop,
                                          d.net ? plc_meshnet_adp(d.net, 0)
                                                : plc_gw_modem_adp(d.modem),
                                          store, dc.path_survey_s))) {
        fprintf(stderr, "plc-gatewayd: cannot start the path survey\n");
        return 1;
    }
    if (dc.image[0] && load_image(d.gw, &dc) != PLC_OK) {
        fprintf(stderr, "plc-gatewayd: %s: [firmware] image: %s cannot be read (1 MiB at most)\n",
                conf, dc.image);
        return 1;
    }
    /* the coordinator admits the archive's meters (their modems' EUI-64 and PSK) */
    if (plc_gw_set_admission(d.gw, &(plc_gw_admission){allow, &d, deny}) != PLC_OK)
        fprintf(stderr, "plc-gatewayd: the coordinator's allow-list is full\n");
    for (unsigned i = 0; i < dc.n_lines; i++) { /* the RS-485 lines */
        line_t *l = &d.lines[d.n_lines];
        l->d = &d;
        l->name = dc.line[i].name;
        l->port = plc_gw_serial_open(dc.line[i].device, dc.line[i].baud, dc.line[i].parity, err,
                                     sizeof(err));
        if (!l->port) {
            fprintf(stderr, "plc-gatewayd: [rs485 %s] %s\n", l->name, err);
            return 1;
        }
        d.n_lines++;
        plc_gw_add_port(d.gw, l->name, &(plc_gw_link){line_send, l});
    }
    if (dc.up.endpoint[0]) { /* the head-end */
        if (dc.up.clock_sync && dc.speed != 1.0) {
            dc.up.clock_sync = 0;
            fprintf(stderr, "plc-gatewayd: simulated time: the head-end's clock is not followed\n");
        }
        d.up = plc_gw_upstream_create(&dc.up, d.gw, store, "plcstack plc-gatewayd 0.18", err,
                                      sizeof(err));
        if (!d.up) {
            fprintf(stderr, "plc-gatewayd: %s: %s\n", conf, err);
            return 1;
        }
    }
    if (dc.gnss_device[0] &&
        !(d.gnss = plc_gw_serial_open(dc.gnss_device, dc.gnss_baud, 'N', err, sizeof(err)))) {
        fprintf(stderr, "plc-gatewayd: [gnss] %s\n", err);
        return 1;
    }
    plc_gw_store_state_set(store, "daemon_pid", (int64_t)getpid());
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    char t[32];
    local_text(clock0, t, sizeof(t));
    if (d.net)
        fprintf(stderr, "plc-gatewayd: %s: %u simulated meters (%s PHY), store %s, clock %s\n",
                conf, dc.meters, dc.waveform ? "waveform" : "abstract", dc.store, t);
    else
        fprintf(stderr, "plc-gatewayd: %s: the concentrator's modem on SDR \"%s\" (%.0f S/s), "
                        "EUI-64 %016llX, store %s, clock %s\n",
                conf, dc.soapy, dc.sdr_rate, (unsigned long long)dc.eui, dc.store, t);
    const double wall0 = wall_s();
    double next_log = 3600, next_clock = 60;
    for (double s = 1; !stop_requested && (run_for < 0 || s <= run_for); s += 1) {
        if (d.net)
            plc_meshnet_run(d.net, s);
        else /* real time: the port's samples and the stack's timers for one second */
            plc_loop_run(d.loop, (uint64_t)(s * 1e6));
        for (unsigned i = 0; i < d.n_lines; i++)
            plc_gw_serial_poll(d.lines[i].port, line_frame, &d.lines[i]);
        read_gnss(&d);
        /* real time (or a multiple): wait for the wall clock, serving the head-end */
        double ahead = dc.speed > 0 ? s / dc.speed - (wall_s() - wall0) : 0;
        do {
            const int ms = ahead > 0 ? (int)(ahead * 1000) + 1 : 0;
            if (d.up)
                plc_gw_upstream_poll(d.up, ms);
            else if (ms > 0)
                nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL);
            ahead = dc.speed > 0 ? s / dc.speed - (wall_s() - wall0) : 0;
        } while (ahead > 0 && !stop_requested);
        if (s >= next_clock) { /* where a restart goes on from */
            plc_gw_store_state_set(store, "daemon_clock", plc_gw_now(d.gw));
            next_clock += 60;
        }
        if (s >= next_log) {
            report(&d, stderr, 0, wall0);
            next_log += 3600;
        }
    }
    int rc = 0;
    if (d.up && drain >= 0 && !stop_requested) { /* the outbox up before leaving */
        const double until = wall_s() + drain;
        while (!stop_requested && !plc_gw_upstream_drained(d.up) && wall_s() < until)
            plc_gw_upstream_poll(d.up, 50);
        if (!plc_gw_upstream_drained(d.up)) {
            fprintf(stderr, "plc-gatewayd: the outbox did not empty in %.0f s\n", drain);
            rc = 3;
        }
    }
    if (stop_requested) {
        fprintf(stderr, "plc-gatewayd: stopping on a signal\n");
        report(&d, stderr, 0, wall0);
    }
    report(&d, stdout, 1, wall0);
    if (dot && !d.net) {
        fprintf(stderr, "plc-gatewayd: --topology-out: the routes are known in mode = sim only "
                        "(plc-gateway topology has each meter's hops)\n");
    } else if (dot) {
        FILE *f = fopen(dot, "w");
        if (!f || plc_meshnet_write_dot(d.net, f) != PLC_OK)
            fprintf(stderr, "plc-gatewayd: cannot write %s\n", dot);
        if (f)
            fclose(f);
    }
    plc_gw_topology_destroy(d.topo);
    plc_gw_store_state_set(store, "daemon_clock", plc_gw_now(d.gw));
    plc_gw_store_state_set(store, "daemon_pid", 0);
    plc_gw_upstream_destroy(d.up);
    plc_gw_serial_close(d.gnss);
    plc_gw_destroy(d.gw);
    for (unsigned i = 0; i < d.n_lines; i++)
        plc_gw_serial_close(d.lines[i].port);
    plc_meshnet_destroy(d.net);
    close_port(&d);
    plc_gw_store_close(store);
    return rc;
}
