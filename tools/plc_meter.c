/* plc-meter: one meter on the power line through a sample port: a simulated DL/T 645 meter
 * (sim/plc_meter.h) behind its PLC modem (meter/plc_meter_modem.h: MAC, adaptation layer
 * with LOADng, LBP device), in real time. It joins the area of the concentrator it hears
 * (plc-gatewayd with [plc] mode = port), announces its address and answers its requests.
 *   plc-meter --soapy ARGS --addr 12DIGITS --eui HEX16 --psk HEX32 [options]
 * --soapy ARGS: the SDR (e.g. "driver=uhd"; a test's shared loopback line:
 * "driver=plcstack_loopback,share=FILE,node=m1"), --rate 1e6 --rf 0 --gain 0 as plc-node;
 * --duration S (default: until SIGTERM or SIGINT); --seed N (back-offs: 1); --energy KWH (the
 * register at start: 1000.00); --pan 0x781D.
 * --image-store FILE --image-key HEX130: firmware images from the concentrator
 * (meter/plc_fw_image.h) go into FILE, the inactive bank (65536 bytes at most), and are
 * switched to only when their ECDSA P-256 signature checks under the key (uncompressed, 65
 * bytes: 04 x y). Without them, image messages are dropped and counted.
 * The meter's clock starts at the system's local time. One line when it joins and when the
 * concentrator acknowledges its announce; at exit one JSON line (joined, announced, short
 * address, requests answered, datagrams dropped, MAC counters and the frame counter a restart goes on from
 * (not kept here: a meter's firmware keeps it in flash), port counters). Exit 0 when it was
 * announced. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc_adp.h"
#include "plc_app_dispatch.h"
#include "plc_dlt645.h"
#ifdef PLC_HAVE_ECDSA
#include "plc_ecdsa.h"
#endif
#include "plc_err.h"
#include "plc_fw_image.h"
#include "plc_loop_posix.h"
#include "plc_os_random.h"
#include "plc_meter.h"
#include "plc_meter_modem.h"
#include "plc_port.h"
#include "plc_port_phy.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int die(const char *msg, const char *arg)
{
    fprintf(stderr, "plc-meter: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static void usage(void)
{
    printf("usage: plc-meter --soapy ARGS --addr 12DIGITS --eui HEX16 --psk HEX32 [options]\n"
           "  --rate HZ  --rf HZ  --gain DB   the SDR (1e6, 0, 0)\n"
           "  --duration S  (until SIGTERM)   --seed N (1)   --energy KWH (1000.00)   --pan 0x781D\n"
           "  --image-store FILE --image-key HEX130   firmware images, signed under that key\n");
}

static int hex_bytes(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

typedef struct meter_proc {
    plc_loop *loop;
    plc_meter *meter;
    plc_timer tick;
    plc_meter_modem *modem;
    /* the firmware image: its store (a file), the key it must be signed under, what runs */
    plc_fw_image *image;
    FILE *store;
    uint8_t key[65];
    uint32_t running;
    uint64_t dropped;       /* datagrams of a kind nobody here takes */
} meter_proc;

static int store_write(void *user, uint32_t off, const uint8_t *d, size_t n)
{
    meter_proc *p = user;
    return fseek(p->store, (long)off, SEEK_SET) == 0 && fwrite(d, 1, n, p->store) == n &&
                   fflush(p->store) == 0
               ? PLC_OK
               : PLC_ERR_IO;
}

static int store_read(void *user, uint32_t off, uint8_t *d, size_t n)
{
    meter_proc *p = user;
    return fseek(p->store, (long)off, SEEK_SET) == 0 && fread(d, 1, n, p->store) == n ? PLC_OK
                                                                                      : PLC_ERR_IO;
}

static int image_verify(void *user, const uint8_t digest[32], const uint8_t sig[64])
{
#ifdef PLC_HAVE_ECDSA
    const meter_proc *p = user;
    return plc_ecdsa_p256_verify(p->key, digest, sig);
#else
    (void)user, (void)digest, (void)sig;
    return 0; /* not reached: --image-store is refused in a build without ECDSA */
#endif
}

static void image_activate(void *user, uint32_t id)
{
    meter_proc *p = user;
    p->running = id; /* a meter's boot loader would switch banks and restart here */
    fprintf(stderr, "plc-meter: %.1f s: switched to firmware image %u\n",
            (double)plc_loop_now_us(p->loop) * 1e-6, (unsigned)id);
}

/* Datagrams beside DL/T 645 and the announce: the image transfer, answered to the
 * concentrator under the same dispatch. */
static void on_datagram(void *user, const plc_adp_indication *ind)
{
    meter_proc *p = user;
    if (!p->image || ind->data[0] != PLC_IMAGE_DISPATCH) {
        p->dropped++;
        return;
    }
    uint8_t out[1 + 32];
    const size_t n = plc_fw_image_input(p->image, ind->data + 1, ind->len - 1, out + 1,
                                        sizeof(out) - 1);
    if (n) {
        out[0] = PLC_IMAGE_DISPATCH;
        plc_adp_data_request(plc_meter_modem_adp(p->modem), 0, out, n + 1, 0);
    }
}

static void on_address(void *user, uint16_t a)
{
    const meter_proc *p = user;
    const double t = (double)plc_loop_now_us(p->loop) * 1e-6;
    if (a == 0xFFFF)
        fprintf(stderr, "plc-meter: %.1f s: left the area\n", t);
    else
        fprintf(stderr, "plc-meter: %.1f s: joined, short address 0x%04X\n", t, a);
}

static void on_announced(void *user)
{
    const meter_proc *p = user;
    fprintf(stderr, "plc-meter: %.1f s: the concentrator acknowledged our announce\n",
            (double)plc_loop_now_us(p->loop) * 1e-6);
}

/* The meter model runs on (energy, the clock) between requests; a signal ends the run. */
static void on_tick(plc_loop *loop, plc_timer *t, void *user)
{
    meter_proc *p = user;
    plc_meter_advance(p->meter, plc_loop_now_us(loop));
    if (stop_requested)
        plc_loop_stop(loop);
    else
        plc_timer_start_in(loop, t, 200000);
}

int main(int argc, char **argv)
{
    const char *soapy = NULL, *addr = NULL, *eui_hex = NULL, *psk_hex = NULL;
    const char *store_path = NULL, *key_hex = NULL;
    double duration = -1, rate = 1e6, rf = 0, gain = 0, energy = 1000.0;
    unsigned long seed = 1, pan = 0x781D;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        }
        if (!v)
            return die("missing value after", a);
        i++;
        char *end = NULL;
        if (!strcmp(a, "--soapy"))
            soapy = v;
        else if (!strcmp(a, "--addr"))
            addr = v;
        else if (!strcmp(a, "--eui"))
            eui_hex = v;
        else if (!strcmp(a, "--psk"))
            psk_hex = v;
        else if (!strcmp(a, "--duration"))
            duration = strtod(v, &end);
        else if (!strcmp(a, "--seed"))
            seed = strtoul(v, &end, 0);
        else if (!strcmp(a, "--energy"))
            energy = strtod(v, &end);
        else if (!strcmp(a, "--pan"))
            pan = strtoul(v, &end, 0);
        else if (!strcmp(a, "--rate"))
            rate = strtod(v, &end);
        else if (!strcmp(a, "--rf"))
            rf = strtod(v, &end);
        else if (!strcmp(a, "--gain"))
            gain = strtod(v, &end);
        else if (!strcmp(a, "--image-store"))
            store_path = v;
        else if (!strcmp(a, "--image-key"))
            key_hex = v;
        else
            return die("unknown option (see --help)", a);
        if (end && *end)
            return die("bad number", v);
    }
    plc_meter_modem_config mc;
    plc_meter_modem_config_default(&mc);
    uint8_t e[8];
    if (!addr || plc_dlt645_addr_parse(addr, mc.addr) != PLC_OK)
        return die("--addr must be a meter address of 12 digits", addr);
    if (!eui_hex || hex_bytes(eui_hex, e, 8) != 0)
        return die("--eui must be 16 hex digits", eui_hex);
    for (int i = 0; i < 8; i++)
        mc.eui = mc.eui << 8 | e[i];
    if (!psk_hex || hex_bytes(psk_hex, mc.psk, 16) != 0)
        return die("--psk must be 32 hex digits", psk_hex);
    if (!mc.eui || pan > 0xFFFE || !(energy >= 0 && energy < 1e7))
        return die("--eui not 0, --pan 0..0xFFFE, --energy 0..9999999", NULL);
    meter_proc p = {0};
    if (!store_path != !key_hex)
        return die("--image-store and --image-key go together (the store, and the key its "
                   "images must be signed under)", NULL);
    if (key_hex && (hex_bytes(key_hex, p.key, 65) != 0 || p.key[0] != 0x04))
        return die("--image-key must be an uncompressed P-256 key: 130 hex digits from 04",
                   NULL);
#ifndef PLC_HAVE_ECDSA
    if (store_path)
        return die("--image-store: this build has no ECDSA (mbedTLS) to check images with",
                   NULL);
#endif
    if (!soapy)
        return die("a port is needed: --soapy ARGS (see --help)", NULL);
    if (store_path && !(p.store = fopen(store_path, "w+b")))
        return die("cannot open the image store", store_path);
    char err[512] = "";
#ifdef PLC_HAVE_SOAPY
    plc_sdr_config fe;
    plc_sdr_config_default(&fe);
    fe.sdr_rate_hz = rate;
    plc_port *port = plc_port_soapy_create(soapy, &fe, rf, gain, err, sizeof(err));
#else
    (void)rate;
    (void)rf;
    (void)gain;
    plc_port *port = NULL;
    snprintf(err, sizeof(err), "built without SoapySDR (libsoapysdr-dev): no --soapy");
#endif
    if (!port)
        return die(err, NULL);
    p.loop = plc_loop_posix_create(256);
    plc_port_phy *phy = p.loop ? plc_port_phy_create(port, p.loop, NULL) : NULL;
    if (!phy) {
        plc_port_close(port);
        return die("cannot start the port", NULL);
    }
    plc_meter_config c;
    plc_meter_config_default(&c);
    memcpy(c.addr, mc.addr, 6);
    c.seed = seed;
    c.energy_start_centi_kwh = (int64_t)(energy * 100 + 0.5);
    const time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    c.start = (plc_dlt645_time){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec};
    p.meter = plc_meter_create(&c);
    mc.seed = seed;
    mc.pan_id = (uint16_t)pan;
    mc.random = plc_os_random;
    mc.address = on_address;
    mc.announced = on_announced;
    mc.datagram = on_datagram;
    mc.user = &p;
    if (p.store) {
        plc_fw_image_config ic;
        plc_fw_image_config_default(&ic);
        const plc_fw_image_ops io = {store_write, store_read, image_verify, image_activate, &p};
        if (!(p.image = plc_fw_image_create(&ic, &io, p.loop)))
            return die("out of memory", NULL);
    }
    const plc_meter_regs regs = p.meter ? plc_meter_regs_of(p.meter) : (plc_meter_regs){0};
    plc_meter_modem *m = p.meter ? plc_meter_modem_create(&mc, p.loop, plc_port_phy_service(phy),
                                                          &regs)
                                 : NULL;
    if (!m)
        return die("out of memory", NULL);
    p.modem = m;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    plc_timer_init(&p.tick, on_tick, &p);
    plc_timer_start_in(p.loop, &p.tick, 200000);
    plc_meter_modem_start(m);
    plc_loop_run(p.loop, duration >= 0 ? (uint64_t)(duration * 1e6) : PLC_LOOP_FOREVER);
    plc_timer_stop(p.loop, &p.tick);

    plc_meter_node_counters nc;
    plc_meter_node_get_counters(plc_meter_modem_app(m), &nc);
    plc_mac_counters mac;
    plc_mac_get_counters(plc_meter_modem_mac(m), &mac);
    plc_lbd_counters lc;
    plc_lbd_get_counters(plc_meter_modem_lbd(m), &lc);
    const plc_port_stats pt = plc_port_get_stats(port);
    const int announced = plc_meter_modem_announced(m);
    plc_fw_image_counters ic = {0};
    if (p.image)
        plc_fw_image_get_counters(p.image, &ic);
    const uint64_t ic_blocks = ic.blocks, ic_refused = ic.refused;
    printf("{\"addr\":\"%s\",\"joined\":%s,\"announced\":%s,\"short_addr\":%u,\"joinings\":%llu,"
           "\"requests\":%llu,\"replies\":%llu,\"malformed\":%llu,\"tx_frames\":%llu,"
           "\"tx_retries\":%llu,\"rx_msdu\":%llu,\"dropped\":%llu,\"frame_counter\":%u,"
           "\"image_running\":%u,\"image_blocks\":%llu,\"image_refused\":%llu,"
           "\"port_bursts\":%llu,\"port_late\":%llu,\"port_gaps\":%llu}\n",
           addr, plc_lbd_get_state(plc_meter_modem_lbd(m)) == PLC_LBD_JOINED ? "true" : "false",
           announced ? "true" : "false", plc_lbd_short_addr(plc_meter_modem_lbd(m)),
           (unsigned long long)lc.joinings, (unsigned long long)nc.requests,
           (unsigned long long)nc.replies, (unsigned long long)nc.malformed,
           (unsigned long long)mac.tx_frames, (unsigned long long)mac.tx_retries,
           (unsigned long long)mac.rx_msdu,
           (unsigned long long)(plc_meter_modem_dropped(m) + p.dropped),
           (unsigned)plc_meter_modem_frame_counter(m), (unsigned)p.running,
           (unsigned long long)ic_blocks, (unsigned long long)ic_refused,
           (unsigned long long)pt.bursts,
           (unsigned long long)pt.late, (unsigned long long)pt.gaps);
    plc_meter_modem_destroy(m);
    plc_fw_image_destroy(p.image);
    if (p.store)
        fclose(p.store);
    plc_meter_destroy(p.meter);
    plc_port_phy_destroy(phy);
    const int rc = plc_port_close(port);
    plc_loop_destroy(p.loop);
    if (rc != PLC_OK)
        return die("closing the port", plc_strerror(rc));
    return announced ? 0 : 1;
}
