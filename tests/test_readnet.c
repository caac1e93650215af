/* Meter reading over MAC + PHY: a concentrator reads two DIs from 5 meter nodes on the
 * waveform PHY and every value equals the meter model's register; a meter that loses mains
 * gets its last gasp (power-down record) to the concentrator within the hold-up time and
 * then answers nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc_meter_node.h"
#include "plc_readnet.h"

static void test_read_five_meters(void **st)
{
    (void)st;
    plc_readnet_config cfg;
    plc_readnet_config_default(&cfg);
    cfg.meters = 5;
    char err[256];
    plc_readnet *r = plc_readnet_create(&cfg, err, sizeof(err));
    assert_non_null(r);
    plc_readnet_run(r, 60.0);
    unsigned ok, asked;
    plc_readnet_success(r, &ok, &asked);
    assert_int_equal(asked, 10);
    assert_int_equal(ok, 10);
    for (unsigned i = 1; i <= 5; i++) {
        const plc_readnet_result *x = plc_readnet_result_get(r, i);
        assert_int_equal(x->value[0].raw, x->model[0]);
        assert_int_equal(x->value[1].raw, x->model[1]);
        /* the meters were set up with 1000.00 + 123.45 x i kWh, and 1 s of load since */
        assert_true(x->value[0].raw >= 100000 + 12345 * (int64_t)i);
        assert_true(x->value[0].raw <= 100000 + 12345 * (int64_t)i + 1);
        assert_true(x->value[1].raw > 2000 && x->value[1].raw < 2400);
        assert_true(x->snr_db > 5.0f);
    }
    plc_readnet_destroy(r);
}

typedef struct capture {
    plc_macnet *net;
    int got;
    double at_s;
    plc_dlt645_frame f;
} capture;

static void on_concentrator(void *user, const plc_mac_data_indication *ind)
{
    capture *c = user;
    size_t used;
    if (plc_dlt645_decode(ind->msdu, ind->len, &c->f, &used) == PLC_DLT645_OK) {
        c->got++;
        c->at_s = plc_macnet_now_s(c->net);
    }
}

static void on_meter(void *user, const plc_mac_data_indication *ind)
{
    plc_meter_node_indication(user, ind);
}

static void test_last_gasp(void **st)
{
    (void)st;
    plc_medium_config mc;
    plc_medium_config_default(&mc);
    mc.nodes = 2;
    char err[256];
    plc_macnet *n = plc_macnet_create(&mc, 1, 3, err, sizeof(err));
    assert_non_null(n);
    plc_meter_config c;
    plc_meter_config_default(&c);
    plc_dlt645_addr_parse("000000000001", c.addr);
    plc_meter *m = plc_meter_create(&c);
    plc_meter_node_config nc;
    plc_meter_node_config_default(&nc);
    const plc_meter_regs regs = plc_meter_regs_of(m);
    plc_meter_node *node = plc_meter_node_create(&nc, &regs, plc_macnet_mac(n, 1), plc_macnet_loop(n));
    assert_non_null(node);
    capture cap = {.net = n};
    plc_macnet_set_app(n, 0, on_concentrator, &cap);
    plc_macnet_set_app(n, 1, on_meter, node);
    plc_macnet_run(n, 10.0);
    plc_meter_node_set_mains(node, 0);
    plc_macnet_run(n, 10.0 + nc.holdup_ms / 1000.0 + 1.0);
    assert_int_equal(cap.got, 1);
    assert_true(cap.at_s > 10.0 && cap.at_s < 10.0 + nc.holdup_ms / 1000.0);
    assert_int_equal(cap.f.ctrl, 0x91);
    assert_int_equal(plc_dlt645_di_get(cap.f.data), 0x03110001);
    plc_dlt645_value v;
    assert_int_equal(plc_dlt645_value_decode(0x03110001, cap.f.data + 4, 12, &v), PLC_DLT645_OK);
    assert_int_equal(v.t.year, 2026);
    assert_int_equal(v.t.second, 10); /* mains went at 10 s past midnight */
    assert_false(plc_meter_node_alive(node));
    /* dark: a read gets no answer */
    plc_dlt645_frame q;
    plc_dlt645_read_request(c.addr, 0x00010000, &q);
    uint8_t buf[64];
    const int len = plc_dlt645_encode(&q, 0, buf, sizeof(buf));
    plc_macnet_send(n, 0, 1, buf, (size_t)len);
    plc_macnet_run(n, 10.0 + nc.holdup_ms / 1000.0 + 6.0);
    assert_int_equal(cap.got, 1);
    /* mains back: it answers again */
    plc_meter_node_set_mains(node, 1);
    plc_macnet_send(n, 0, 1, buf, (size_t)len);
    plc_macnet_run(n, 10.0 + nc.holdup_ms / 1000.0 + 11.0);
    assert_int_equal(cap.got, 2);
    assert_int_equal(cap.f.ctrl, 0x91);
    assert_int_equal(plc_meter_register(m, 0x03110000), 1);
    plc_meter_node_destroy(node);
    plc_meter_destroy(m);
    plc_macnet_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_five_meters),
        cmocka_unit_test(test_last_gasp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
