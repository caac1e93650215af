/* Firmware images: SHA-256 against FIPS 180-2 and Python's hashlib, ECDSA P-256 against a
 * signature python3-cryptography made (vectors/oracle/fw_image.txt), and the node's side of a
 * transfer (meter/plc_fw_image): blocks out of order, damaged and missing ones reported and
 * sent again, the image checked and switched to at its time; a corrupted, an unsigned and a
 * too large image refused, the old image running on. The same program runs on the target
 * (fw/, PLC_FW_TARGET: mbedTLS built for the Cortex-M4F from Debian's source package), all
 * but the concentrator's side over the simulated mesh; there it prints the instructions an
 * ECDSA check takes ("FIGURE ecdsa"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plc_crc.h"
#include "plc_ecdsa.h"
#include "plc_err.h"
#include "plc_fw_image.h"
#include "plc_loop.h"
#include "plc_sha256.h"
#include "test_util.h"
#ifdef PLC_FW_TARGET
#include "board.h"
#else /* the concentrator's side over the mesh: Linux only */
#include <unistd.h>

#include "plc_gw.h"
#include "plc_gw_store.h"
#include "plc_meshnet.h"
#include "plc_sql.h"
#endif

#define IMAGE_LEN 3000
#define BLOCK 128

typedef struct vec {
    uint8_t pub[65], digest[32], sig[64];
    struct { unsigned n; uint8_t d[32]; } prefix[16];
    unsigned n_prefix;
} vec;

static vec v;
static uint8_t image[IMAGE_LEN];

static void load(void)
{
    FILE *f = fopen(tu_vector_path("oracle/fw_image.txt"), "r");
    assert_non_null(f);
    char key[32], hex[200];
    unsigned n;
    while (fscanf(f, "%31s", key) == 1) {
        if (key[0] == '#') {
            char rest[300];
            if (!fgets(rest, sizeof(rest), f))
                break;
        } else if (!strcmp(key, "pub") && fscanf(f, "%199s", hex) == 1) {
            assert_int_equal(tu_hex(hex, v.pub, sizeof(v.pub)), 65);
        } else if (!strcmp(key, "digest") && fscanf(f, "%199s", hex) == 1) {
            assert_int_equal(tu_hex(hex, v.digest, 32), 32);
        } else if (!strcmp(key, "sig") && fscanf(f, "%199s", hex) == 1) {
            assert_int_equal(tu_hex(hex, v.sig, 64), 64);
        } else if (!strcmp(key, "image_len") && fscanf(f, "%u", &n) == 1) {
            assert_int_equal(n, IMAGE_LEN);
        } else if (!strcmp(key, "sha256") && fscanf(f, "%u %199s", &n, hex) == 2) {
            v.prefix[v.n_prefix].n = n;
            assert_int_equal(tu_hex(hex, v.prefix[v.n_prefix].d, 32), 32);
            v.n_prefix++;
        }
    }
    fclose(f);
    for (unsigned i = 0; i < IMAGE_LEN; i++)
        image[i] = (uint8_t)((7 * i + 3) % 251);
}

static void test_sha256(void **st)
{
    (void)st;
    uint8_t d[32], want[32];
    plc_sha256((const uint8_t *)"abc", 3, d); /* FIPS 180-2 appendix B.1 */
    tu_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(d, want, 32);
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* B.2 */
    plc_sha256((const uint8_t *)m2, strlen(m2), d);
    tu_hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", want, 32);
    assert_memory_equal(d, want, 32);
    assert_true(v.n_prefix >= 10);
    for (unsigned k = 0; k < v.n_prefix; k++) { /* against hashlib, at the block edges */
        plc_sha256(image, v.prefix[k].n, d);
        assert_memory_equal(d, v.prefix[k].d, 32);
        plc_sha256_ctx c; /* the same in pieces of 1, 2, 3, ... bytes */
        plc_sha256_init(&c);
        for (unsigned off = 0, step = 1; off < v.prefix[k].n; step++) {
            const unsigned take = v.prefix[k].n - off < step ? v.prefix[k].n - off : step;
            plc_sha256_update(&c, image + off, take);
            off += take;
        }
        plc_sha256_final(&c, d);
        assert_memory_equal(d, v.prefix[k].d, 32);
    }
    plc_sha256(image, IMAGE_LEN, d);
    assert_memory_equal(d, v.digest, 32);
}

static void test_ecdsa_p256(void **st)
{
    (void)st;
#ifdef PLC_FW_TARGET
    const uint64_t i0 = board_instructions();
#endif
    assert_int_equal(plc_ecdsa_p256_verify(v.pub, v.digest, v.sig), 1);
#ifdef PLC_FW_TARGET
    printf("FIGURE ecdsa verify_instr=%lu\n", (unsigned long)(board_instructions() - i0));
#endif
    uint8_t s[64], d[32], p[65];
    memcpy(s, v.sig, 64);
    s[40] ^= 0x01;
    assert_int_equal(plc_ecdsa_p256_verify(v.pub, v.digest, s), 0);
    memcpy(d, v.digest, 32);
    d[0] ^= 0x80;
    assert_int_equal(plc_ecdsa_p256_verify(v.pub, d, v.sig), 0);
    memcpy(p, v.pub, 65);
    p[64] ^= 0x01; /* off the curve */
    assert_int_equal(plc_ecdsa_p256_verify(p, v.digest, v.sig), 0);
    memset(s, 0, 64);
    assert_int_equal(plc_ecdsa_p256_verify(v.pub, v.digest, s), 0);
}

/* ---- the node's side ---- */
typedef struct node {
    uint8_t flash[4096];
    unsigned activations;
    uint32_t active_id;
} node;

static int st_write(void *u, uint32_t off, const uint8_t *d, size_t n)
{
    node *x = u;
    if (off + n > sizeof(x->flash))
        return PLC_ERR_LENGTH;
    memcpy(x->flash + off, d, n);
    return PLC_OK;
}

static int st_read(void *u, uint32_t off, uint8_t *d, size_t n)
{
    node *x = u;
    if (off + n > sizeof(x->flash))
        return PLC_ERR_LENGTH;
    memcpy(d, x->flash + off, n);
    return PLC_OK;
}

static int verify(void *u, const uint8_t digest[32], const uint8_t sig[64])
{
    (void)u;
    return plc_ecdsa_p256_verify(v.pub, digest, sig);
}

static void activate(void *u, uint32_t id)
{
    node *x = u;
    x->activations++;
    x->active_id = id;
}

static size_t msg_init(uint8_t *m, uint32_t id, uint32_t size, uint16_t block, const uint8_t *sig)
{
    m[0] = 0x01;
    for (int i = 0; i < 4; i++) {
        m[1 + i] = (uint8_t)(id >> (24 - 8 * i));
        m[5 + i] = (uint8_t)(size >> (24 - 8 * i));
    }
    m[9] = (uint8_t)(block >> 8);
    m[10] = (uint8_t)block;
    memcpy(m + 11, sig, 64);
    return 75;
}

static size_t msg_block(uint8_t *m, const uint8_t *img, unsigned n, int damage)
{
    const size_t len = (n + 1) * BLOCK <= IMAGE_LEN ? BLOCK : IMAGE_LEN - n * BLOCK;
    m[0] = 0x02;
    m[1] = (uint8_t)(n >> 8);
    m[2] = (uint8_t)n;
    memcpy(m + 5, img + n * BLOCK, len);
    const uint16_t crc = plc_crc16_xmodem(m + 5, len);
    m[3] = (uint8_t)(crc >> 8);
    m[4] = (uint8_t)crc;
    if (damage)
        m[5 + len / 2] ^= 0x10; /* after the CRC: damaged on the way */
    return 5 + len;
}

static void send(plc_fw_image *f, const uint8_t *m, size_t n, uint8_t type, uint8_t status)
{
    uint8_t out[32];
    const size_t r = plc_fw_image_input(f, m, n, out, sizeof(out));
    assert_int_equal(r, 2);
    assert_int_equal(out[0], type);
    assert_int_equal(out[1], status);
}

static void test_transfer(void **st)
{
    (void)st;
    plc_loop *loop = plc_loop_virtual_create(8);
    node x = {0};
    plc_fw_image_config cfg;
    plc_fw_image_config_default(&cfg);
    cfg.max_size = sizeof(x.flash);
    const plc_fw_image_ops ops = {st_write, st_read, verify, activate, &x};
    plc_fw_image *f = plc_fw_image_create(&cfg, &ops, loop);
    assert_non_null(f);
    uint8_t m[300], out[32];
    /* a block before any INIT, an image larger than the store, a bad block size */
    assert_int_equal(plc_fw_image_input(f, m, msg_block(m, image, 0, 0), out, sizeof(out)), 0);
    send(f, m, msg_init(m, 7, sizeof(x.flash) + 1, BLOCK, v.sig), 0x81, PLC_FW_TOO_BIG);
    send(f, m, msg_init(m, 7, IMAGE_LEN, 8, v.sig), 0x81, PLC_FW_BAD_ARG);
    send(f, m, 10, 0x81, PLC_FW_BAD_ARG);
    send(f, m, msg_init(m, 7, IMAGE_LEN, BLOCK, v.sig), 0x81, PLC_FW_OK);
    /* 24 blocks, backwards, 5 and 17 lost, 3 damaged, 9 twice */
    for (int n = 23; n >= 0; n--) {
        if (n == 5 || n == 17)
            continue;
        assert_int_equal(plc_fw_image_input(f, m, msg_block(m, image, (unsigned)n, n == 3), out,
                                            sizeof(out)), 0);
    }
    plc_fw_image_input(f, m, msg_block(m, image, 9, 0), out, sizeof(out));
    assert_int_equal(plc_fw_image_input(f, (const uint8_t *)"\x03", 1, out, sizeof(out)), 16);
    assert_int_equal(out[1], PLC_FW_RECEIVING);
    assert_int_equal(out[6] << 8 | out[7], 21);  /* received */
    assert_int_equal(out[8] << 8 | out[9], 24);  /* blocks */
    assert_int_equal(out[10] << 8 | out[11], 3); /* first missing */
    const uint8_t missing[4] = {0xA0, 0x02, 0x00, 0x00}; /* 3, 5 and 17 from 3 */
    assert_memory_equal(out + 12, missing, 4);
    send(f, (const uint8_t *)"\x04", 1, 0x84, PLC_FW_INCOMPLETE);
    send(f, (const uint8_t *)"\x05\x00\x00\x00\x64", 5, 0x85, PLC_FW_NOT_VERIFIED);
    /* the transfer resumes: INIT again keeps the blocks, the missing come */
    send(f, m, msg_init(m, 7, IMAGE_LEN, BLOCK, v.sig), 0x81, PLC_FW_OK);
    const unsigned again[3] = {3, 5, 17};
    for (int k = 0; k < 3; k++)
        plc_fw_image_input(f, m, msg_block(m, image, again[k], 0), out, sizeof(out));
    plc_fw_image_counters c;
    plc_fw_image_get_counters(f, &c);
    assert_int_equal(c.blocks, 24);
    assert_int_equal(c.bad_crc, 1);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.bad_messages, 1);
    send(f, (const uint8_t *)"\x04", 1, 0x84, PLC_FW_OK);
    assert_int_equal(plc_fw_image_state(f), PLC_FW_VERIFIED);
    /* switched to at 100 s, not before */
    send(f, (const uint8_t *)"\x05\x00\x00\x00\x64", 5, 0x85, PLC_FW_OK);
    plc_loop_run(loop, 99000000u);
    assert_int_equal(x.activations, 0);
    assert_int_equal(plc_fw_image_state(f), PLC_FW_ACTIVATING);
    plc_loop_run(loop, 101000000u);
    assert_int_equal(x.activations, 1);
    assert_int_equal(x.active_id, 7);
    assert_int_equal(plc_fw_image_state(f), PLC_FW_ACTIVE);

    /* a corrupted image (one byte changed, its block's CRC made to match): refused */
    uint8_t bad[IMAGE_LEN];
    memcpy(bad, image, IMAGE_LEN);
    bad[1500] ^= 0x01;
    send(f, m, msg_init(m, 8, IMAGE_LEN, BLOCK, v.sig), 0x81, PLC_FW_OK);
    for (unsigned n = 0; n < 24; n++)
        plc_fw_image_input(f, m, msg_block(m, bad, n, 0), out, sizeof(out));
    send(f, (const uint8_t *)"\x04", 1, 0x84, PLC_FW_BAD_SIGNATURE);
    assert_int_equal(plc_fw_image_state(f), PLC_FW_REFUSED);
    send(f, (const uint8_t *)"\x05\x00\x00\x00\x00", 5, 0x85, PLC_FW_NOT_VERIFIED);
    plc_loop_run(loop, 200000000u);
    assert_int_equal(x.activations, 1); /* the image that runs is still 7 */
    assert_int_equal(x.active_id, 7);
    /* an unsigned one (no signature): refused too */
    const uint8_t none[64] = {0};
    send(f, m, msg_init(m, 9, IMAGE_LEN, BLOCK, none), 0x81, PLC_FW_OK);
    for (unsigned n = 0; n < 24; n++)
        plc_fw_image_input(f, m, msg_block(m, image, n, 0), out, sizeof(out));
    send(f, (const uint8_t *)"\x04", 1, 0x84, PLC_FW_BAD_SIGNATURE);
    plc_fw_image_get_counters(f, &c);
    assert_int_equal(c.refused, 2);
    /* malformed: a last block of the wrong length, an unknown message, a long STATUS */
    send(f, m, msg_init(m, 10, IMAGE_LEN, BLOCK, v.sig), 0x81, PLC_FW_OK);
    const size_t n23 = msg_block(m, image, 23, 0);
    assert_int_equal(plc_fw_image_input(f, m, n23 - 1, out, sizeof(out)), 0);
    assert_int_equal(plc_fw_image_input(f, (const uint8_t *)"\x77", 1, out, sizeof(out)), 0);
    send(f, (const uint8_t *)"\x03\x00", 2, 0x83, PLC_FW_BAD_ARG);
    plc_fw_image_get_counters(f, &c);
    assert_int_equal(c.bad_messages, 3);
    plc_fw_image_destroy(f);
    plc_loop_destroy(loop);
}

#ifndef PLC_FW_TARGET
/* ---- over the mesh: the concentrator sends the image to a meter's node ---- */
typedef struct area {
    plc_meshnet *net;
    plc_gw *gw;
    int drop;                 /* blocks to lose on the way (the first ones sent) */
    plc_gw_result last;
    unsigned results;
} area;

static int mesh_verify(const uint8_t digest[32], const uint8_t sig[64])
{
    return plc_ecdsa_p256_verify(v.pub, digest, sig);
}

static int a_send(void *u, uint16_t to, const uint8_t *f, size_t n)
{
    area *a = u;
    if (a->drop > 0 && n > 2 && f[0] == PLC_IMAGE_DISPATCH && f[1] == 0x02 &&
        (f[3] == 4 || f[3] == 11 || f[3] == 12)) { /* blocks 4, 11 and 12 lost the first time */
        a->drop--;
        return PLC_OK;
    }
    return plc_meshnet_send(a->net, to, f, n, 0);
}

static void a_announced(void *u, uint16_t s, const uint8_t addr[6])
{
    plc_gw_node_announced(((area *)u)->gw, s, addr);
}

static void a_frame(void *u, uint16_t from, unsigned hops, uint8_t lqi, const uint8_t *d, size_t n)
{
    plc_gw_frame_input(((area *)u)->gw, from, hops, lqi, d, n);
}

static void a_image(void *u, uint16_t from, const uint8_t *m, size_t n)
{
    plc_gw_image_input(((area *)u)->gw, from, m, n);
}

static void a_result(void *u, const plc_gw_result *r)
{
    area *a = u;
    a->last = *r;
    a->results++;
}

static void test_transfer_over_the_mesh(void **st)
{
    (void)st;
    char path[64], err[256];
    snprintf(path, sizeof(path), "/tmp/plc_fw_test_%d.db", (int)getpid());
    plc_gw_store *s = plc_gw_store_open(path, 0, err, sizeof(err));
    assert_non_null(s);
    for (unsigned k = 1; k <= 5; k++) {
        plc_gw_meter m;
        plc_gw_meter_default(&m);
        snprintf(m.addr, sizeof(m.addr), "%012u", k);
        assert_int_equal(plc_gw_store_meter_put(s, &m, NULL), PLC_OK);
    }
    plc_meshnet_config mc;
    plc_meshnet_config_default(&mc);
    mc.medium.nodes = 6;
    mc.medium.per_table = PLC_SOURCE_DIR "/docs/per/per_sco.dat";
    mc.power_up_s = 30;
    mc.dlt645 = 1;
    mc.image_verify = mesh_verify;
    area a = {.drop = 3};
    a.net = plc_meshnet_create(&mc, err, sizeof(err));
    if (!a.net)
        fail_msg("%s", err);
    plc_gw_config cfg;
    plc_gw_config_default(&cfg);
    cfg.task[0].window_start = cfg.task[0].window_end - 60; /* no reading in the way */
    a.gw = plc_gw_create(&cfg, s, plc_meshnet_loop(a.net), &(plc_gw_link){a_send, &a}, err,
                         sizeof(err));
    assert_non_null(a.gw);
    plc_gw_set_result_callback(a.gw, a_result, &a);
    const plc_meshnet_app app = {.announced = a_announced, .frame = a_frame, .image = a_image,
                                 .user = &a};
    plc_meshnet_set_app(a.net, &app);
    plc_meshnet_run(a.net, 300);
    assert_int_equal(plc_meshnet_announced(a.net), 5);
    assert_int_equal(plc_gw_set_image(a.gw, 7, image, IMAGE_LEN, v.sig, BLOCK), PLC_OK);
    plc_gw_command c = {.id = "fw-2", .meter = "000000000002", .kind = PLC_GW_CMD_FIRMWARE,
                        .arg = 600};
    assert_int_equal(plc_gw_command_submit(a.gw, &c), PLC_OK);
    plc_meshnet_run(a.net, 300 + 300);
    assert_int_equal(a.results, 1);
    print_message("firmware: %s %s\n", plc_strerror(a.last.status), a.last.json);
    assert_int_equal(a.last.status, PLC_OK);
    assert_non_null(strstr(a.last.json, "\"blocks\":24,\"resent\":3"));
    int state;
    assert_int_equal(plc_meshnet_image(a.net, 2, &state), 0); /* not yet: at its time */
    assert_int_equal(state, PLC_FW_ACTIVATING);
    plc_meshnet_run(a.net, 300 + 300 + 600);
    assert_int_equal(plc_meshnet_image(a.net, 2, &state), 7);
    assert_int_equal(state, PLC_FW_ACTIVE);
    assert_int_equal(plc_meshnet_image(a.net, 3, NULL), 0);
    /* a corrupted image (one byte changed): the node refuses it, its image stays */
    uint8_t bad[IMAGE_LEN];
    memcpy(bad, image, IMAGE_LEN);
    bad[2000] ^= 0x40;
    assert_int_equal(plc_gw_set_image(a.gw, 8, bad, IMAGE_LEN, v.sig, BLOCK), PLC_OK);
    plc_gw_command c2 = {.id = "fw-3", .meter = "000000000003", .kind = PLC_GW_CMD_FIRMWARE};
    assert_int_equal(plc_gw_command_submit(a.gw, &c2), PLC_OK);
    plc_meshnet_run(a.net, 1200 + 300);
    assert_int_equal(a.results, 2);
    print_message("corrupted: %s %s\n", plc_strerror(a.last.status), a.last.json);
    assert_int_equal(a.last.status, PLC_ERR_METER);
    assert_non_null(strstr(a.last.json, "signature"));
    assert_int_equal(plc_meshnet_image(a.net, 3, &state), 0);
    assert_int_equal(state, PLC_FW_REFUSED);
    plc_gw_destroy(a.gw);
    plc_meshnet_destroy(a.net);
    plc_gw_store_close(s);
    plc_sql_remove(path);
}
#endif

int main(void)
{
    load();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_ecdsa_p256),
        cmocka_unit_test(test_transfer),
#ifndef PLC_FW_TARGET
        cmocka_unit_test(test_transfer_over_the_mesh),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
