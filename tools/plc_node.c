/* plc-node: one MAC node over a sample port, from the command line.
 *   plc-node --addr N (--in FILE | --out FILE | --soapy ARGS) [options]
 * Port: --in FILE (the line heard, played at 400 kS/s of loop time) and/or --out FILE (what
 * the node sends, written at close), --format f32|s16|wav; or --soapy ARGS (a SoapySDR
 * device, e.g. "driver=uhd"; --rate 1e6 --rf 0 --gain 0), always in real time.
 * Traffic: --send DST (short address, 0xFFFF broadcast) --count K --len BYTES
 * --interval S sends K MSDUs; --key HEX (32 hex digits) secures with group key 0.
 * --duration S (default: to the end of --in, else 10 s); --realtime runs file ports on the
 * wall clock (default: as fast as possible, virtual time). --pan 0x781D.
 * Prints every MSDU received and every confirm as a line, then a JSON summary (MAC
 * counters, PHY and port statistics). Exit 0 when every request was confirmed SUCCESS. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_mac.h"
#include "plc_loop_posix.h"
#include "plc_port.h"
#include "plc_port_phy.h"

typedef struct node {
    plc_loop *loop;
    plc_mac *mac;
    uint16_t dst;
    unsigned count, sent, confirmed, ok;
    size_t len;
    double interval_s;
    plc_timer t;
} node;

static int die(const char *msg, const char *arg)
{
    fprintf(stderr, "plc-node: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static void usage(void)
{
    printf("usage: plc-node --addr N (--in FILE | --out FILE | --soapy ARGS) [options]\n"
           "  --in FILE --out FILE --format f32|s16|wav   a sample-file port\n"
           "  --soapy ARGS [--rate HZ] [--rf HZ] [--gain DB] a SoapySDR device (real time)\n"
           "  --send DST --count K --len BYTES --interval S  traffic to send\n"
           "  --key HEX32     secure with this group key   --pan ID   PAN id (0x781D)\n"
           "  --duration S    run this long               --realtime  file ports on the wall clock\n");
}

static void on_confirm(void *user, uint8_t handle, int status)
{
    node *n = user;
    n->confirmed++;
    n->ok += status == PLC_OK;
    printf("confirm handle=%u status=%d (%s)\n", handle, status, plc_strerror(status));
}

static void on_indication(void *user, const plc_mac_data_indication *ind)
{
    (void)user;
    printf("rx src=%u dst=0x%04X len=%zu lqi=%u snr=%.1f secured=%d data=", ind->src, ind->dst,
           ind->len, ind->lqi, ind->snr_db, ind->secured);
    for (size_t i = 0; i < ind->len; i++)
        printf("%02x", ind->msdu[i]);
    printf("\n");
}

static void on_send(plc_loop *loop, plc_timer *t, void *user)
{
    node *n = user;
    uint8_t msdu[PLC_MAC_MAX_MSDU];
    for (size_t i = 0; i < n->len; i++)
        msdu[i] = (uint8_t)(n->sent + i);
    const plc_mac_data_req rq = {.dst = n->dst, .msdu = msdu, .len = n->len,
                                 .handle = (uint8_t)n->sent};
    const int rc = plc_mac_data_request(n->mac, &rq);
    if (rc != PLC_OK) {
        printf("refused handle=%u status=%d (%s)\n", n->sent, rc, plc_strerror(rc));
        n->confirmed++;
    }
    if (++n->sent < n->count)
        plc_timer_start_in(loop, t, (uint64_t)(n->interval_s * 1e6));
}

static int parse_key(const char *s, uint8_t key[PLC_MAC_KEY_LEN])
{
    if (strlen(s) != 2 * PLC_MAC_KEY_LEN)
        return -1;
    for (int i = 0; i < PLC_MAC_KEY_LEN; i++) {
        char b[3] = {s[2 * i], s[2 * i + 1], 0};
        char *end;
        key[i] = (uint8_t)strtoul(b, &end, 16);
        if (*end)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *soapy = NULL, *key_hex = NULL;
    plc_sample_format fmt = PLC_FMT_F32;
    long addr = -1;
    double duration = -1, rate = 1e6, rf = 0, gain = 0;
    int realtime = 0;
    node n = {.dst = PLC_MAC_BROADCAST, .len = 32, .interval_s = 1.0};
    unsigned long pan = 0x781D;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        }
        if (!strcmp(a, "--realtime")) {
            realtime = 1;
            continue;
        }
        if (!v)
            return die("missing value after", a);
        i++;
        char *end = NULL;
        if (!strcmp(a, "--addr"))
            addr = strtol(v, &end, 0);
        else if (!strcmp(a, "--in"))
            in = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--soapy"))
            soapy = v;
        else if (!strcmp(a, "--format")) {
            const int f = plc_samplefile_parse_format(v);
            if (f < 0)
                return die("--format must be f32, s16 or wav", v);
            fmt = (plc_sample_format)f;
        } else if (!strcmp(a, "--send"))
            n.dst = (uint16_t)strtoul(v, &end, 0);
        else if (!strcmp(a, "--count"))
            n.count = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--len"))
            n.len = strtoul(v, &end, 10);
        else if (!strcmp(a, "--interval"))
            n.interval_s = strtod(v, &end);
        else if (!strcmp(a, "--duration"))
            duration = strtod(v, &end);
        else if (!strcmp(a, "--key"))
            key_hex = v;
        else if (!strcmp(a, "--pan"))
            pan = strtoul(v, &end, 0);
        else if (!strcmp(a, "--rate"))
            rate = strtod(v, &end);
        else if (!strcmp(a, "--rf"))
            rf = strtod(v, &end);
        else if (!strcmp(a, "--gain"))
            gain = strtod(v, &end);
        else
            return die("unknown option (see --help)", a);
        if (end && *end)
            return die("bad number", v);
    }
    if (addr < 0 || addr > 0xFFFD)
        return die("--addr must be a short address 0..0xFFFD", NULL);
    if (!in && !out && !soapy)
        return die("a port is needed: --in/--out FILE or --soapy ARGS (see --help)", NULL);
    if (soapy && (in || out))
        return die("--soapy and a file port exclude each other", NULL);
    if (n.len < 1 || n.len > PLC_MAC_MAX_MSDU || pan > 0xFFFE || !(n.interval_s >= 0))
        return die("--len 1..400, --pan 0..0xFFFE, --interval >= 0", NULL);
    char err[512] = "";
    plc_port *port = NULL;
    if (soapy) {
#ifdef PLC_HAVE_SOAPY
        plc_sdr_config fe;
        plc_sdr_config_default(&fe);
        fe.sdr_rate_hz = rate;
        port = plc_port_soapy_create(soapy, &fe, rf, gain, err, sizeof(err));
        realtime = 1;
#else
        (void)rate;
        (void)rf;
        (void)gain;
        return die("built without SoapySDR (libsoapysdr-dev): no --soapy", NULL);
#endif
    } else {
        port = plc_port_file_create(in, fmt, out, fmt, 4000, err, sizeof(err));
    }
    if (!port)
        return die(err, NULL);
    if (duration < 0)
        duration = 10.0; /* a file's end stops the run earlier when nothing is left to do */
    n.loop = realtime ? plc_loop_posix_create(64) : plc_loop_virtual_create(64);
    plc_port_phy *phy = n.loop ? plc_port_phy_create(port, n.loop, NULL) : NULL;
    if (!phy) {
        plc_port_close(port);
        return die("cannot start the port", NULL);
    }
    plc_mac_sec *sec = NULL;
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.short_addr = (uint16_t)addr;
    pib.pan_id = (uint16_t)pan;
    if (key_hex) {
        uint8_t key[PLC_MAC_KEY_LEN];
        sec = plc_mac_sec_create();
        if (parse_key(key_hex, key) != 0 || !sec || plc_mac_sec_set_key(sec, 0, key) != PLC_OK)
            return die("--key must be 32 hex digits", key_hex);
        pib.security_enabled = 1;
    }
    const plc_mac_callbacks cb = {.confirm = on_confirm, .indication = on_indication, .user = &n};
    n.mac = plc_mac_create(&pib, (uint64_t)addr * 7919u + 1, n.loop, plc_port_phy_service(phy),
                           sec, &cb);
    if (!n.mac)
        return die("cannot create the MAC", NULL);
    plc_timer_init(&n.t, on_send, &n);
    if (n.count)
        plc_timer_start_in(n.loop, &n.t, 100000); /* after the port has started */
    plc_loop_run(n.loop, (uint64_t)(duration * 1e6));
    plc_timer_stop(n.loop, &n.t);
    plc_mac_counters c;
    plc_mac_get_counters(n.mac, &c);
    const plc_port_phy_stats ps = plc_port_phy_get_stats(phy);
    const plc_port_stats pt = plc_port_get_stats(port);
    printf("{\"addr\":%ld,\"sent\":%u,\"confirmed\":%u,\"ok\":%u,\"rx_msdu\":%llu,"
           "\"tx_frames\":%llu,\"tx_retries\":%llu,\"tx_acks\":%llu,\"fcs_errors\":%llu,"
           "\"rx_payload_failed\":%llu,\"decryption_errors\":%llu,\"phy_frames\":%llu,"
           "\"phy_tx_late\":%llu,\"port_bursts\":%llu,\"port_late\":%llu,\"port_gaps\":%llu}\n",
           addr, n.sent, n.confirmed, n.ok, (unsigned long long)c.rx_msdu,
           (unsigned long long)c.tx_frames, (unsigned long long)c.tx_retries,
           (unsigned long long)c.tx_acks, (unsigned long long)c.fcs_errors,
           (unsigned long long)c.rx_payload_failed, (unsigned long long)c.decryption_errors,
           (unsigned long long)ps.frames, (unsigned long long)ps.tx_late,
           (unsigned long long)pt.bursts, (unsigned long long)pt.late, (unsigned long long)pt.gaps);
    const int all_ok = n.ok == n.count;
    plc_mac_destroy(n.mac);
    plc_port_phy_destroy(phy);
    const int rc = plc_port_close(port);
    plc_mac_sec_destroy(sec);
    plc_loop_destroy(n.loop);
    if (rc != PLC_OK)
        return die("closing the port", plc_strerror(rc));
    return all_ok ? 0 : 1;
}
