/* Network scenarios: the same seed gives the same run bit for bit (waveform and abstract
 * PHY), another seed another run; every frame is delivered on a short quiet line; the
 * abstract PHY follows the loss model; bad scenarios are refused with a message. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc_err.h"
#include "plc_pertable.h"
#include "plc_simnet.h"

static uint64_t run(int abstract, unsigned nodes, uint64_t seed, double secs,
                    unsigned long long *sent, unsigned long long *received)
{
    plc_simnet_config c;
    plc_simnet_config_default(&c);
    c.nodes = nodes;
    c.abstract_phy = abstract;
    c.seed = seed;
    c.per_table = PLC_SOURCE_DIR "/docs/per/per_awgn.dat";
    char err[128];
    plc_simnet *s = plc_simnet_create(&c, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(plc_simnet_run(s, secs, NULL, NULL), 0);
    *sent = *received = 0;
    for (unsigned a = 0; a < nodes; a++)
        for (unsigned b = 0; b < nodes; b++) {
            *sent += plc_simnet_link_stats(s, a, b).sent;
            *received += plc_simnet_link_stats(s, a, b).received;
        }
    const uint64_t d = plc_simnet_digest(s);
    plc_simnet_destroy(s);
    return d;
}

static void test_waveform_deterministic(void **st)
{
    (void)st;
    unsigned long long s1, r1, s2, r2, s3, r3;
    const uint64_t a = run(0, 5, 11, 40, &s1, &r1);
    const uint64_t b = run(0, 5, 11, 40, &s2, &r2);
    const uint64_t c = run(0, 5, 12, 40, &s3, &r3);
    assert_int_equal(a, b);
    assert_int_equal(r1, r2);
    assert_true(a != c);
    assert_int_equal(s1, 5 * 4 * 4); /* 4 frames per node in 40 s, 4 receivers each */
    assert_int_equal(r1, s1);        /* a short quiet feeder: every frame arrives */
}

static void test_abstract_deterministic(void **st)
{
    (void)st;
    unsigned long long s1, r1, s2, r2;
    const uint64_t a = run(1, 200, 5, 120, &s1, &r1);
    const uint64_t b = run(1, 200, 5, 120, &s2, &r2);
    assert_int_equal(a, b);
    assert_int_equal(r1, r2);
    assert_int_equal(s1, 200ull * 199 * 12);
    assert_true(r1 > 0 && r1 < s1); /* near links deliver, far ones (hundreds of dB) not */
}

static void test_bad_scenarios(void **st)
{
    (void)st;
    plc_simnet_config c;
    plc_simnet_config_default(&c);
    char err[128];
    c.nodes = 1;
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    c.nodes = 5;
    c.noise_profile = "fog";
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "fog"));
    c.noise_profile = "awgn";
    c.abstract_phy = 1;
    c.per_table = "/nonexistent/per.dat";
    assert_null(plc_simnet_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "per.dat"));
}

/* The PER tables: limits, monotonic in SNR, a length between two measured sizes between
 * their PERs; a file that is not a table is refused with its line. */
static void test_pertable(void **st)
{
    (void)st;
    static plc_pertable t;
    char err[256];
    assert_int_equal(plc_pertable_load(&t, PLC_SOURCE_DIR "/docs/per/per_awgn.dat", err,
                                       sizeof(err)), PLC_OK);
    assert_true(t.n >= 11);
    assert_true(plc_pertable_per(&t, PLC_MOD_DBPSK, 133, -10.0) == 1.0);
    assert_true(plc_pertable_per(&t, PLC_MOD_DBPSK, 133, 30.0) == 0.0);
    double prev = 1.0;
    for (double snr = 0.0; snr <= 4.0; snr += 0.25) {
        const double p = plc_pertable_per(&t, PLC_MOD_DBPSK, 133, snr);
        assert_true(p <= prev + 1e-12);
        prev = p;
    }
    const double p32 = plc_pertable_per(&t, PLC_MOD_DBPSK, 32, 1.75);
    const double p64 = plc_pertable_per(&t, PLC_MOD_DBPSK, 64, 1.75);
    const double p133 = plc_pertable_per(&t, PLC_MOD_DBPSK, 133, 1.75);
    assert_true(p32 < p64 && p64 < p133);
    FILE *f = fopen("bad_per.dat", "w");
    fputs("\"dbpsk 32 B awgn\" frames errors per false\n1.0 100 oops\n", f);
    fclose(f);
    assert_int_equal(plc_pertable_load(&t, "bad_per.dat", err, sizeof(err)), PLC_ERR_FORMAT);
    assert_non_null(strstr(err, "bad_per.dat: line 2"));
    remove("bad_per.dat");
}

/* A table that would be read wrongly or partly is refused, with the line. */
static void test_bad_pertables(void **st)
{
    (void)st;
    static plc_pertable t;
    static char many[8192];
    size_t k = 0;
    for (int c = 0; c <= PLC_PERTABLE_MAX_CURVES; c++)
        k += (size_t)snprintf(many + k, sizeof(many) - k, "\"dbpsk %d B awgn\"\n0 10 1 0.1 0\n",
                              c + 1);
    static char points[8192];
    k = (size_t)snprintf(points, sizeof(points), "\"dqpsk 64 B awgn\"\n");
    for (int i = 0; i <= PLC_PERTABLE_MAX_POINTS; i++)
        k += (size_t)snprintf(points + k, sizeof(points) - k, "%d 10 1 0.1 0\n", i);
    const struct {
        const char *text, *says;
    } bad[] = {
        {"\"dbpsk 32 B awgn\"\n1.0 100 50 1.5 0\n", "line 2: PER outside 0..1"},
        {"\"dbpsk 32 B awgn\"\n1.0 100 50 0.5 0\n0.5 100 90 0.9 0\n", "line 3: PER outside 0..1 or SNR not increasing"},
        {"\"dbpsk 32 B awgn\"\nnan 100 50 0.5 0\n", "line 2: PER outside"},
        {"\"dbpsk 32 B impulsive\"\n1.0 100 50 0.5 0\n", "no AWGN curve"},
        {many, "line 49: more than 24 AWGN curves"},
        {points, "line 66: more than 64 points"},
    };
    char err[160];
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fmemopen((void *)bad[i].text, strlen(bad[i].text), "r");
        assert_non_null(f);
        err[0] = 0;
        assert_int_equal(plc_pertable_read(&t, f, err, sizeof(err)), PLC_ERR_FORMAT);
        fclose(f);
        if (!strstr(err, bad[i].says))
            fail_msg("case %u: '%s' does not say '%s'", i, err, bad[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waveform_deterministic),
        cmocka_unit_test(test_abstract_deterministic),
        cmocka_unit_test(test_bad_scenarios),
        cmocka_unit_test(test_pertable),
        cmocka_unit_test(test_bad_pertables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
