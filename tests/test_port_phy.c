/* The MAC over the PHY on a sample port (hal/plc_port_phy.h):
 *   - file port, virtual time: a node's broadcasts go to a sample file; a second node reads
 *     that file and its MAC delivers every MSDU, byte for byte;
 *   - SoapySDR port, real time (POSIX loop): two stacks, each MAC over its own port on a
 *     simulated device (tests/soapy_loopback.cpp) sharing one line, exchange acknowledged
 *     unicast MSDUs both ways: every request confirmed SUCCESS, every MSDU delivered once. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_mac.h"
#include "plc_loop_posix.h"
#include "plc_port.h"
#include "plc_port_phy.h"
#ifdef PLC_HAVE_SOAPY
#include <SoapySDR/Modules.h>
#include <SoapySDR/Types.h>
#endif

typedef struct node {
    plc_port *port;
    plc_port_phy *phy;
    plc_mac *mac;
    int confirms, ok;
    int rx;
    uint8_t last[PLC_MAC_MAX_MSDU];
    size_t last_len;
    uint16_t last_src;
} node;

static void on_confirm(void *user, uint8_t handle, int status)
{
    (void)handle;
    node *n = user;
    n->confirms++;
    n->ok += status == PLC_OK;
    if (status != PLC_OK)
        print_message("confirm: %s\n", plc_strerror(status));
}

static void on_indication(void *user, const plc_mac_data_indication *ind)
{
    node *n = user;
    n->rx++;
    memcpy(n->last, ind->msdu, ind->len);
    n->last_len = ind->len;
    n->last_src = ind->src;
}

static void node_open(node *n, plc_port *port, plc_loop *loop, uint16_t addr)
{
    memset(n, 0, sizeof(*n));
    n->port = port;
    assert_non_null(port);
    n->phy = plc_port_phy_create(port, loop, NULL);
    assert_non_null(n->phy);
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.short_addr = addr;
    const plc_mac_callbacks cb = {.confirm = on_confirm, .indication = on_indication, .user = n};
    n->mac = plc_mac_create(&pib, addr, loop, plc_port_phy_service(n->phy), NULL, &cb);
    assert_non_null(n->mac);
}

static void node_close(node *n)
{
    plc_mac_destroy(n->mac);
    plc_port_phy_destroy(n->phy);
    assert_int_equal(plc_port_close(n->port), PLC_OK);
}

static void msdu_of(unsigned k, uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(k * 17u + i * 5u);
}

static void send_msdu(node *n, uint16_t dst, unsigned k, size_t len)
{
    uint8_t b[PLC_MAC_MAX_MSDU];
    msdu_of(k, b, len);
    const plc_mac_data_req rq = {.dst = dst, .msdu = b, .len = len, .handle = (uint8_t)k};
    assert_int_equal(plc_mac_data_request(n->mac, &rq), PLC_OK);
}

/* ---- file port ---- */
typedef struct collect {
    unsigned got;
    int ok;
} collect;

static collect file_rx;
static void file_indication(void *user, const plc_mac_data_indication *ind)
{
    (void)user;
    uint8_t want[PLC_MAC_MAX_MSDU];
    msdu_of(file_rx.got, want, 120);
    file_rx.ok &= ind->len == 120 && !memcmp(ind->msdu, want, 120) && ind->src == 1;
    file_rx.got++;
}

static void test_file_port(void **st)
{
    (void)st;
    const char *path = "test_port_phy.f32";
    char err[200];
    /* sender: three broadcasts to the file */
    plc_loop *loop = plc_loop_virtual_create(64);
    node a;
    node_open(&a, plc_port_file_create(NULL, PLC_FMT_F32, path, PLC_FMT_F32, 4000, err,
                                       sizeof(err)),
              loop, 1);
    for (unsigned k = 0; k < 3; k++) {
        send_msdu(&a, PLC_MAC_BROADCAST, k, 120);
        plc_loop_run(loop, plc_loop_now_us(loop) + 2000000);
    }
    assert_int_equal(a.ok, 3);
    plc_mac_counters ca;
    plc_mac_get_counters(a.mac, &ca);
    assert_true(ca.tx_frames >= 3);
    assert_int_equal(plc_port_phy_get_stats(a.phy).tx_frames, ca.tx_frames);
    node_close(&a);
    plc_loop_destroy(loop);
    /* receiver: the file as its line */
    loop = plc_loop_virtual_create(64);
    node b;
    node_open(&b, plc_port_file_create(path, PLC_FMT_F32, NULL, PLC_FMT_F32, 4000, err,
                                       sizeof(err)),
              loop, 2);
    plc_mac_destroy(b.mac);
    plc_mac_pib pib;
    plc_mac_pib_default(&pib);
    pib.short_addr = 2;
    const plc_mac_callbacks cb = {.indication = file_indication};
    b.mac = plc_mac_create(&pib, 2, loop, plc_port_phy_service(b.phy), NULL, &cb);
    file_rx = (collect){0, 1};
    plc_loop_run(loop, PLC_LOOP_FOREVER);
    assert_int_equal(file_rx.got, 3);
    assert_true(file_rx.ok);
    assert_int_equal(plc_port_phy_get_stats(b.phy).payload_failed, 0);
    node_close(&b);
    plc_loop_destroy(loop);
    remove(path);
}

#ifdef PLC_HAVE_SOAPY
/* ---- two stacks over SoapySDR, real time ---- */
typedef struct exchange {
    node *a, *b;
    unsigned sent_a, sent_b, rounds;
    plc_timer t;
    plc_loop *loop;
} exchange;

static void on_round(plc_loop *loop, plc_timer *t, void *user)
{
    exchange *x = user;
    if (x->a->confirms == (int)x->sent_a && x->b->confirms == (int)x->sent_b) {
        if (x->sent_a == x->rounds) {
            plc_loop_stop(loop);
            return;
        }
        send_msdu(x->a, 2, x->sent_a++, 150);
        send_msdu(x->b, 1, 100 + x->sent_b++, 60);
    }
    plc_timer_start_in(loop, t, 20000);
}

static void test_two_stacks_over_soapy(void **st)
{
    (void)st;
    char *why = SoapySDR_loadModule(PLC_SOAPY_LOOPBACK);
    if (why && *why)
        fail_msg("loading %s: %s", PLC_SOAPY_LOOPBACK, why);
    SoapySDR_free(why);
    plc_loop *loop = plc_loop_posix_create(64);
    plc_sdr_config fe;
    plc_sdr_config_default(&fe);
    char err[256] = "";
    node a, b;
    node_open(&a, plc_port_soapy_create("driver=plcstack_loopback,line=t1,node=a", &fe, 63e3, 0, err,
                                        sizeof(err)),
              loop, 1);
    node_open(&b, plc_port_soapy_create("driver=plcstack_loopback,line=t1,node=b", &fe, 63e3, 0, err,
                                        sizeof(err)),
              loop, 2);
    exchange x = {.a = &a, .b = &b, .rounds = 6, .loop = loop};
    plc_timer_init(&x.t, on_round, &x);
    plc_timer_start_in(loop, &x.t, 100000); /* after the streams have started */
    plc_loop_run(loop, plc_loop_now_us(loop) + 20000000);
    plc_timer_stop(loop, &x.t);
    plc_mac_counters ca, cb;
    plc_mac_get_counters(a.mac, &ca);
    plc_mac_get_counters(b.mac, &cb);
    const plc_port_phy_stats sa = plc_port_phy_get_stats(a.phy), sb = plc_port_phy_get_stats(b.phy);
    print_message("indication latency: a %.1f ms, b %.1f ms at most\n", sa.latency_max_us / 1e3,
                  sb.latency_max_us / 1e3);
    print_message("a: %d/%d confirmed ok, %llu retries, %llu sent late; b: %d/%d, %llu retries, "
                  "%llu late\n", a.ok, a.confirms, (unsigned long long)ca.tx_retries,
                  (unsigned long long)sa.tx_late, b.ok, b.confirms,
                  (unsigned long long)cb.tx_retries, (unsigned long long)sb.tx_late);
    assert_int_equal(a.confirms, 6);
    assert_int_equal(b.confirms, 6);
    assert_int_equal(a.ok, 6);
    assert_int_equal(b.ok, 6);
    assert_int_equal(b.rx, 6); /* once each: no duplicate delivered */
    assert_int_equal(a.rx, 6);
    uint8_t want[PLC_MAC_MAX_MSDU];
    msdu_of(5, want, 150);
    assert_int_equal(b.last_len, 150);
    assert_memory_equal(b.last, want, 150);
    assert_int_equal(b.last_src, 1);
    msdu_of(105, want, 60);
    assert_int_equal(a.last_len, 60);
    assert_memory_equal(a.last, want, 60);
    assert_true(ca.tx_acks >= 6 && cb.tx_acks >= 6);
    node_close(&a);
    node_close(&b);
    plc_loop_destroy(loop);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_port),
#ifdef PLC_HAVE_SOAPY
        cmocka_unit_test(test_two_stacks_over_soapy),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
