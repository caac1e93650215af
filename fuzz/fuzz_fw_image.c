/* libFuzzer target: the node's side of a firmware image transfer (meter/plc_fw_image), the
 * messages a concentrator sends: a script of records (a length byte, that many bytes fed as
 * one message; the time moves on a second between them), into a node with a 4 KiB store.
 * The signature check is a stand-in (the digest's first byte even): ECDSA itself is mbedTLS's.
 * No crash, no sanitizer report, no write outside the store. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_fw_image.h"
#include "plc_loop.h"

static uint8_t flash[4096];

static int st_write(void *u, uint32_t off, const uint8_t *d, size_t n)
{
    (void)u;
    if (off > sizeof(flash) || n > sizeof(flash) - off)
        abort(); /* the module wrote past the store it was given */
    memcpy(flash + off, d, n);
    return PLC_OK;
}

static int st_read(void *u, uint32_t off, uint8_t *d, size_t n)
{
    (void)u;
    if (off > sizeof(flash) || n > sizeof(flash) - off)
        abort();
    memcpy(d, flash + off, n);
    return PLC_OK;
}

static int verify(void *u, const uint8_t digest[32], const uint8_t sig[64])
{
    (void)u;
    (void)sig;
    return !(digest[0] & 1);
}

static void activate(void *u, uint32_t id)
{
    (void)u;
    (void)id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plc_loop *loop = plc_loop_virtual_create(8);
    plc_fw_image_config cfg;
    plc_fw_image_config_default(&cfg);
    cfg.max_size = sizeof(flash);
    const plc_fw_image_ops ops = {st_write, st_read, verify, activate, NULL};
    plc_fw_image *f = plc_fw_image_create(&cfg, &ops, loop);
    if (!f)
        abort();
    size_t i = 0;
    while (i < size) {
        const size_t len = data[i++];
        if (len > size - i)
            break;
        uint8_t out[64];
        const size_t r = plc_fw_image_input(f, data + i, len, out, sizeof(out));
        if (r > sizeof(out))
            abort();
        i += len;
        plc_loop_run(loop, plc_loop_now_us(loop) + 1000000u);
    }
    plc_loop_run(loop, plc_loop_now_us(loop) + 4000000000ull);
    plc_fw_image_destroy(f);
    plc_loop_destroy(loop);
    return 0;
}
