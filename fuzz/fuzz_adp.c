/* libFuzzer target: the adaptation layer's receive path and LOADng's, everything a
 * neighbour can send: the header and message decoders, then one node's adaptation layer
 * fed the bytes as MAC indications (flag byte: bit 0 from a second neighbour, bits 1-7 x
 * 10 ms pass first). No crash, no sanitizer report, nothing longer than the MTU delivered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_adp.h"

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

    plc_loop *loop = plc_loop_virtual_create(128);
    plc_adp_config ac;
    plc_adp_config_default(&ac);
    ac.loadng.self = 1;
    ac.loadng.route_table_size = 4;
    ac.loadng.blacklist_size = 2;
    ac.reassembly_slots = 2;
    ac.broadcast_log = 4;
    const plc_adp_callbacks cb = {NULL, on_ind, NULL};
    plc_adp *a = plc_adp_create(&ac, loop, 1, &cb);
    const plc_mac_callbacks mcb = plc_adp_mac_callbacks(a);
    size_t i = 0;
    while (i + 2 <= size) {
        const uint8_t flags = data[i];
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        plc_loop_run(loop, plc_loop_now_us(loop) + 10000u * (flags >> 1));
        const plc_mac_data_indication ind = {.src = (uint16_t)(2 + (flags & 1)), .dst = 1,
                                             .msdu = data + i, .len = len, .lqi = (uint8_t)len,
                                             .secured = 1};
        if (len)
            mcb.indication(mcb.user, &ind);
        i += len;
    }
    plc_loop_run(loop, plc_loop_now_us(loop) + 60000000);
    plc_adp_destroy(a);
    plc_loop_destroy(loop);
    return 0;
}
