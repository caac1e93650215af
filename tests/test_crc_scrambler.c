/* CRCs against catalogue check values, the frame-control CRC examples, and the
 * scrambler against the G3 127-bit sequence and IEEE 802.11 Annex G tables G.13/G.16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_bits.h"
#include "plc_crc.h"
#include "plc_scrambler.h"
#include "test_util.h"

static const uint8_t check_input[] = "123456789";

/* Reads the check value column of a catalogue line in crc-check-values.txt. */
static unsigned catalogue_check(const char *name)
{
    char rest[512];
    assert_int_equal(tu_vector_line("published/crc-check-values.txt", name, rest, sizeof(rest)), 0);
    char cols[7][32];
    assert_int_equal(sscanf(rest, "%31s %31s %31s %31s %31s %31s %31s", cols[0], cols[1],
                            cols[2], cols[3], cols[4], cols[5], cols[6]), 7);
    unsigned v;
    assert_int_equal(sscanf(cols[6], "%x", &v), 1);
    return v;
}

static void test_crc_catalogue(void **state)
{
    (void)state;
    /* MAC FCS: CRC-16/XMODEM (vectors/published/crc-check-values.txt; the G3 vendor code in
     * ../shared/vectors/g3-encoding-example.txt gives the same check value 0x31C3) */
    assert_int_equal(plc_crc16_xmodem(check_input, 9), catalogue_check("CRC-16/XMODEM"));
    assert_int_equal(plc_crc16_xmodem(check_input, 9), 0x31C3);
    assert_int_equal(plc_crc32(check_input, 9), catalogue_check("CRC-32/ISO-HDLC"));
    assert_int_equal(plc_crc5_g3(check_input, 72), catalogue_check("G3-FCH-CRC5"));
    assert_int_equal(plc_crc_msb_bits(check_input, 72, 8, 0x07, 0, 0),
                     catalogue_check("CRC-8/SMBUS"));
    assert_int_equal(plc_crc_msb_bits(check_input, 72, 16, 0x1021, 0xFFFF, 0),
                     catalogue_check("CRC-16/IBM-3740"));
    assert_int_equal(plc_crc_msb_bits(check_input, 72, 16, 0x1021, 0, 0),
                     catalogue_check("CRC-16/XMODEM"));
    /* G3 FCC CRC-8 (init 0xFF, xorout 0xFF) has no catalogue entry; 0x04 comes from an
     * independent bit-serial implementation (Python, see vectors/README.md). */
    assert_int_equal(plc_crc8_g3(check_input, 72), 0x04);
}

static void test_crc_empty_and_single_bit_sensitivity(void **state)
{
    (void)state;
    assert_int_equal(plc_crc16_xmodem(check_input, 0), 0x0000);
    assert_int_equal(plc_crc32(check_input, 0), 0x00000000u);
    uint8_t buf[32];
    uint64_t rng = 1;
    tu_rand_bytes(&rng, buf, sizeof(buf));
    uint16_t c16 = plc_crc16_xmodem(buf, sizeof(buf));
    /* the nibble table agrees with the bit-serial definition on every prefix */
    for (size_t n = 0; n <= sizeof(buf); n++)
        assert_int_equal(plc_crc16_xmodem(buf, n), plc_crc_msb_bits(buf, 8 * n, 16, 0x1021, 0, 0));
    uint32_t c32 = plc_crc32(buf, sizeof(buf));
    uint8_t c5 = plc_crc5_g3(buf, 28), c8 = plc_crc8_g3(buf, 58);
    for (unsigned bit = 0; bit < 8 * sizeof(buf); bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(plc_crc16_xmodem(buf, sizeof(buf)), c16);
        assert_int_not_equal(plc_crc32(buf, sizeof(buf)), c32);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (unsigned k = 0; k < 28; k++) {
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
        assert_int_not_equal(plc_crc5_g3(buf, 28), c5);
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
    }
    for (unsigned k = 0; k < 58; k++) {
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
        assert_int_not_equal(plc_crc8_g3(buf, 58), c8);
        buf[k / 8] ^= (uint8_t)(0x80u >> (k % 8));
    }
}

static void test_fch_crc5_examples(void **state)
{
    (void)state;
    FILE *f = fopen(tu_vector_path("published/g3-cenelec-a-tables.txt"), "r");
    assert_non_null(f);
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned b0, b1, b2, b3hi, crc;
        char nib; /* "0x": the high nibble of byte 3 (read as a character: newlib-nano's %1x
                   * takes "0x" for a prefix) */
        if (sscanf(line, "fch_crc5 %x %x %x %cx -> %x", &b0, &b1, &b2, &nib, &crc) != 5 ||
            sscanf((char[2]){nib, 0}, "%x", &b3hi) != 1)
            continue;
        uint8_t hdr[4] = {(uint8_t)b0, (uint8_t)b1, (uint8_t)b2, (uint8_t)(b3hi << 4)};
        assert_int_equal(plc_crc5_g3(hdr, 28), crc);
        seen++;
    }
    fclose(f);
    assert_int_equal(seen, 3);
}

static void test_scrambler_sequence(void **state)
{
    (void)state;
    char rest[1024];
    uint8_t expect[127], bits[254];
    assert_int_equal(tu_vector_line("published/g3-cenelec-a-tables.txt", "scrambler_127", rest,
                                    sizeof(rest)), 0);
    assert_int_equal(plc_bits_from_string(rest, expect, 127), 127);
    memset(bits, 0, sizeof(bits));
    plc_scrambler s;
    plc_scrambler_init(&s, 0x7F);
    plc_scrambler_bits(&s, bits, 254);
    assert_memory_equal(bits, expect, 127);
    assert_memory_equal(bits + 127, expect, 127); /* period 127 */
    assert_int_equal(s.state, 0x7F);
}

static void test_scrambler_80211_annex_g(void **state)
{
    (void)state;
    char rest[1024];
    uint8_t in[18], out[18], bits[144], expect[144];
    assert_int_equal(tu_vector_line("published/ieee80211a-annex-g.txt", "G13_data_first144", rest,
                                    sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, in, 18), 18);
    assert_int_equal(tu_vector_line("published/ieee80211a-annex-g.txt", "G16_data_scrambled",
                                    rest, sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, out, 18), 18);
    /* The tables list the first transmitted bit as the MSB of each hex byte. */
    plc_bits_unpack_msb(in, 144, bits);
    plc_bits_unpack_msb(out, 144, expect);
    plc_scrambler s;
    plc_scrambler_init(&s, 0x5D); /* "1011101" */
    plc_scrambler_bits(&s, bits, 144);
    assert_memory_equal(bits, expect, 144);

    /* The PSDU of table G.1 is sent LSB first after 16 SERVICE bits: table G.13. */
    uint8_t psdu[100], g13bits[144], psdubits[128];
    assert_int_equal(tu_vector_line("published/ieee80211a-annex-g.txt", "G1_psdu", rest,
                                    sizeof(rest)), 0);
    assert_int_equal(tu_parse_hex(rest, psdu, 100), 100);
    plc_bits_unpack_msb(in, 144, g13bits);
    plc_bits_unpack_lsb(psdu, 128, psdubits);
    assert_memory_equal(g13bits + 16, psdubits, 128);
}

static void test_scrambler_bytes_matches_bits(void **state)
{
    (void)state;
    uint8_t bytes[40], bits[320], back[40];
    uint64_t rng = 7;
    tu_rand_bytes(&rng, bytes, sizeof(bytes));
    plc_bits_unpack_msb(bytes, 320, bits); /* PLC_PHY_BYTES_MSB_FIRST */
    plc_scrambler a, b;
    plc_scrambler_init(&a, 0x7F);
    plc_scrambler_init(&b, 0x7F);
    plc_scrambler_bits(&a, bits, 320);
    plc_scrambler_bytes(&b, bytes, sizeof(bytes));
    plc_bits_pack_msb(bits, 320, back);
    assert_memory_equal(back, bytes, sizeof(bytes));
    /* descrambling is the same operation */
    plc_scrambler_init(&b, 0x7F);
    plc_scrambler_bytes(&b, bytes, sizeof(bytes));
    rng = 7;
    tu_rand_bytes(&rng, back, sizeof(back));
    assert_memory_equal(back, bytes, sizeof(bytes));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_catalogue),
        cmocka_unit_test(test_crc_empty_and_single_bit_sensitivity),
        cmocka_unit_test(test_fch_crc5_examples),
        cmocka_unit_test(test_scrambler_sequence),
        cmocka_unit_test(test_scrambler_80211_annex_g),
        cmocka_unit_test(test_scrambler_bytes_matches_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
