/* libFuzzer target: what reaches the concentrator from outside. Selector byte 0: the bytes
 * are plc-gatewayd's INI configuration (gateway/plc_gw_config.c). Otherwise a script for one
 * concentrator (gateway/plc_gw.c, an in-memory store, two archive meters on the mesh): each
 * record is a flag byte (bit 0: from the second meter's node; bits 1-7: that many seconds pass
 * first, with the requests, timeouts and commands that brings), a length byte and that many
 * bytes fed as a frame from the mesh. A trip and an on-demand read are in hand from the start.
 * No crash, no sanitizer report; a frame that does not check is counted, never stored. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_gw.h"
#include "plc_gw_config.h"
#include "plc_gw_store.h"
#include "plc_loop.h"

static int f_send(void *u, uint16_t to, const uint8_t *f, size_t n)
{
    (void)u, (void)to, (void)f, (void)n;
    return PLC_OK;
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return;
    plc_gw_daemon_config c;
    plc_gw_daemon_config_default(&c);
    char err[256];
    plc_gw_config_read(&c, f, "fuzz.ini", err, sizeof(err));
    fclose(f);
}

static void fuzz_frames(const uint8_t *data, size_t size)
{
    char err[256];
    plc_gw_store *s = plc_gw_store_open(":memory:", 0, err, sizeof(err));
    if (!s)
        abort();
    plc_gw_meter m[2];
    for (int k = 0; k < 2; k++) {
        plc_gw_meter_default(&m[k]);
        snprintf(m[k].addr, sizeof(m[k].addr), "%012d", k + 1);
    }
    if (plc_gw_store_meters_put(s, m, 2) != PLC_OK)
        abort();
    plc_loop *loop = plc_loop_virtual_create(400);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.clock0 = 1767225600 + 86400 + 6 * 3600; /* 06:00: the daily window is open */
    cfg.n_tasks = 4;
    cfg.task[1] = (plc_gw_task){"energy", PLC_GW_ENERGY, 3600, 0, 86400, 2};
    cfg.task[2] = (plc_gw_task){"clock", PLC_GW_CLOCK, 86400, 0, 86400, 3};
    cfg.task[3] = (plc_gw_task){"profile", PLC_GW_PROFILE, 3600, 0, 86400, 0};
    const plc_gw_link link = {f_send, NULL};
    plc_gw *g = plc_gw_create(&cfg, s, loop, &link, err, sizeof(err));
    if (!g)
        abort();
    const uint8_t a1[6] = {0x01, 0, 0, 0, 0, 0}, a2[6] = {0x02, 0, 0, 0, 0, 0};
    plc_gw_node_announced(g, 0x0011, a1);
    plc_gw_node_announced(g, 0x0012, a2);
    plc_gw_command trip = {.id = "t", .meter = "000000000002", .kind = PLC_GW_CMD_TRIP};
    plc_gw_command read = {.id = "r", .meter = "000000000001", .kind = PLC_GW_CMD_READ,
                           .arg = 0x00010000};
    plc_gw_command_submit(g, &trip);
    plc_gw_command_submit(g, &read);
    size_t i = 0;
    while (i + 2 <= size) {
        const uint8_t flag = data[i], len = data[i + 1];
        i += 2;
        if (len > size - i)
            break;
        if (flag >> 1)
            plc_loop_run(loop, plc_loop_now_us(loop) + (uint64_t)(flag >> 1) * 1000000u);
        plc_gw_frame_input(g, (flag & 1) ? 0x0012 : 0x0011, 3, 100, data + i, len);
        i += len;
    }
    plc_loop_run(loop, plc_loop_now_us(loop) + 200000000u);
    plc_gw_destroy(g);
    plc_loop_destroy(loop);
    plc_gw_store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] == 0)
        fuzz_config(data + 1, size - 1);
    else
        fuzz_frames(data + 1, size - 1);
    return 0;
}
