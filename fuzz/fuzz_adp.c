/* libFuzzer target: the adaptation layer's receive path, LOADng's and LBP's, everything a
 * neighbour can send: the header, LOADng (path messages too: what decodes encodes back to
 * the same bytes), LBP, EAP and parameter decoders, then one node's adaptation layer fed
 * the bytes as MAC indications (flag byte: bit 0 from a second neighbour, bit 1 in clear
 * from an EUI-64, bits 2-7 x 10 ms pass first), with an LBP server and a joined device (an
 * agent) behind it taking every LBP message. No crash, no sanitizer report, nothing longer
 * than the MTU delivered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_adp.h"
#include "plc_lbp_device.h"
#include "plc_lbp_frame.h"
#include "plc_lbp_server.h"

typedef struct lbp_pair {
    plc_lbs *lbs;
    plc_lbd *lbd;
    int turn;
} lbp_pair;

static int f_send(void *u, uint16_t d, uint64_t e, const uint8_t *m, size_t n)
{
    (void)u, (void)d, (void)e, (void)m, (void)n;
    return PLC_OK;
}
static int f_beacon(void *u)
{
    (void)u;
    return PLC_OK;
}
static unsigned f_cost(void *u, uint16_t n, uint8_t l)
{
    (void)u, (void)n;
    return l;
}
static void f_random(void *u, uint8_t *o, size_t n)
{
    (void)u;
    memset(o, 0x5A, n);
}
static void f_joined(void *u, uint16_t a, uint16_t g, unsigned c)
{
    (void)u, (void)a, (void)g, (void)c;
}
static void f_key(void *u, uint8_t id, const uint8_t k[16])
{
    (void)u, (void)id, (void)k;
}
static void f_act(void *u, uint8_t id)
{
    (void)u, (void)id;
}
static void f_left(void *u)
{
    (void)u;
}
static void f_sjoined(void *u, uint64_t e, uint16_t a, uint16_t g)
{
    (void)u, (void)e, (void)a, (void)g;
}

/* every LBP message goes to the server and the device in turn */
static void on_lbp(void *user, const plc_adp_lbp_indication *ind)
{
    lbp_pair *p = user;
    if (p->turn++ & 1)
        plc_lbd_input(p->lbd, ind);
    else
        plc_lbs_input(p->lbs, ind);
}

static void on_ind(void *user, const plc_adp_indication *ind)
{
    (void)user;
    if (ind->len == 0 || ind->len > PLC_ADP_MTU)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plc_adp_header h;
    plc_adp_header_decode(data, size, &h);
    plc_loadng_msg m;
    plc_loadng_decode(data, size, &m);
    plc_loadng_path pd;
    if (plc_loadng_path_decode(data, size, &pd) == PLC_OK) { /* what decodes encodes back */
        uint8_t b[PLC_LOADNG_MAX_LEN];
        const int n = plc_loadng_path_encode(&pd, b, sizeof(b));
        if (n != (int)size + 2 || memcmp(b + 2, data, size))
            abort();
    }
    plc_lbp_msg l;
    plc_lbp_decode(data, size, &l);
    plc_eap_msg e;
    if (plc_eap_decode(data, size, &e) == PLC_OK && e.psk >= 3) {
        plc_eap_psk_keys k = {{0}};
        plc_eap_open(data, size, &k, &e);
    }
    plc_lbp_params pr;
    uint8_t unk;
    plc_lbp_params_decode(data, size, &pr, &unk);

    plc_loop *loop = plc_loop_virtual_create(128);
    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = 1;
    ac.loadng.route_table_size = 4;
    ac.loadng.blacklist_size = 2;
    ac.reassembly_slots = 2;
    ac.broadcast_log = 4;
    static const uint8_t key[16] = {1};
    lbp_pair pair = {0};
    plc_lbs_config sc;
    plc_lbs_config_default(&sc);
    sc.max_devices = 4;
    const plc_lbs_ops so = {f_send, f_random, f_key, f_act, f_sjoined, NULL, NULL};
    pair.lbs = plc_lbs_create(&sc, loop, &so, 0, key);
    plc_lbs_allow(pair.lbs, 0x0102030405060708ull, key);
    plc_lbd_config dc;
    plc_lbd_config_default(&dc);
    dc.eui = 0x0102030405060709ull;
    const plc_lbd_ops dops = {f_send, f_beacon, f_cost, f_random, f_joined, f_key, f_act, f_left,
                              NULL, NULL};
    pair.lbd = plc_lbd_create(&dc, loop, &dops);
    plc_lbd_start(pair.lbd);
    const plc_adp_callbacks cb = {.indication = on_ind, .lbp = on_lbp, .user = &pair};
    plc_adp *a = plc_adp_create(&ac, loop, 1, &cb);
    const plc_mac_callbacks mcb = plc_adp_mac_callbacks(a);
    size_t i = 0;
    while (i + 2 <= size) {
        const uint8_t flags = data[i];
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        plc_loop_run(loop, plc_loop_now_us(loop) + 10000u * (flags >> 2));
        const int clear = (flags & 2) != 0;
        const plc_mac_data_indication ind = {
            .src = clear ? 0xFFFE : (uint16_t)(2 + (flags & 1)), .dst = 1,
            .src_ext = clear ? 0x0102030405060708ull : 0, .msdu = data + i, .len = len,
            .lqi = (uint8_t)len, .secured = !clear};
        if (len)
            mcb.indication(mcb.user, &ind);
        i += len;
    }
    plc_loop_run(loop, plc_loop_now_us(loop) + 60000000);
    plc_adp_destroy(a);
    plc_lbd_destroy(pair.lbd);
    plc_lbs_destroy(pair.lbs);
    plc_loop_destroy(loop);
    return 0;
}
