/* libFuzzer target for the file parsers: the feeder topology, the PER table and the sample
 * files (f32, s16, WAV); the input's first byte picks one (modulo 5). Any input must be read
 * or refused with a message, never a crash or a sanitizer report. What is read must be
 * usable: a topology the distance walk can follow, PERs within 0..1, finite samples. Built
 * and run by scripts/fuzz.sh. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "plc_err.h"
#include "plc_pertable.h"
#include "plc_samplefile.h"
#include "plc_topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static plc_topology topo;
static plc_pertable table;

static void check_topology(FILE *f)
{
    char err[256] = "";
    const int rc = plc_topology_read(&topo, f, err, sizeof(err));
    if (rc != PLC_OK) {
        if (rc != PLC_ERR_FORMAT || !err[0])
            __builtin_trap();
        return;
    }
    unsigned branches;
    for (unsigned a = 0; a < topo.n_nodes; a++)
        if (!(plc_topology_distance(&topo, 0, a, &branches) >= 0.0))
            __builtin_trap();
}

static void check_pertable(FILE *f)
{
    char err[256] = "";
    const int rc = plc_pertable_read(&table, f, err, sizeof(err));
    if (rc != PLC_OK) {
        if (rc != PLC_ERR_FORMAT || !err[0])
            __builtin_trap();
        return;
    }
    for (double snr = -5.0; snr <= 30.0; snr += 2.5) {
        const double p = plc_pertable_per(&table, table.curve[0].mod, 100, snr);
        if (!(p >= 0.0 && p <= 1.0))
            __builtin_trap();
    }
}

static void check_samples(FILE *f, plc_sample_format fmt)
{
    float *x = NULL;
    size_t n = 0;
    const char *why = NULL;
    const int rc = plc_samplefile_read(f, fmt, &x, &n, &why);
    if (rc != PLC_OK) {
        if (rc != PLC_ERR_FORMAT || !why)
            __builtin_trap();
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            __builtin_trap();
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
    if (!f)
        return 0;
    switch (data[0] % 5) {
    case 0: check_topology(f); break;
    case 1: check_pertable(f); break;
    case 2: check_samples(f, PLC_FMT_F32); break;
    case 3: check_samples(f, PLC_FMT_S16); break;
    default: check_samples(f, PLC_FMT_WAV); break;
    }
    fclose(f);
    return 0;
}
