/* PER tables measured by the modem benchmark (docs/per/per_awgn.dat and per_sco.dat,
 * written by bench_per; regenerate with scripts/per.sh): packet error rate as a function of in-band
 * SINR, mode and PSDU length, for the abstract PHY. Between measured SNRs log10(PER) is
 * interpolated linearly; below the table PER is 1, above it 0; between two measured PSDU
 * sizes log10(PER) is interpolated linearly in the length (beyond them the nearest size). */
#ifndef PLC_PERTABLE_H
#define PLC_PERTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "plc_phy_params.h"

#define PLC_PERTABLE_MAX_CURVES 24
#define PLC_PERTABLE_MAX_POINTS 64

typedef struct plc_pertable_curve {
    plc_modulation mod;
    size_t len;
    unsigned n;
    double snr_db[PLC_PERTABLE_MAX_POINTS], per[PLC_PERTABLE_MAX_POINTS];
} plc_pertable_curve;

typedef struct plc_pertable {
    unsigned n;
    plc_pertable_curve curve[PLC_PERTABLE_MAX_CURVES];
} plc_pertable;

/* Reads the AWGN curves (blocks headed "<mode> <len> B awgn" or "... awgn-sco", the latter
 * with random clock offsets); other blocks are skipped. */
int plc_pertable_load(plc_pertable *t, const char *path, char *err, size_t errlen);
/* The same from an open stream (the message has no file name). A table that would lose
 * data (too many curves or points) or cannot be interpolated (PER outside 0..1, SNR not
 * increasing within a curve) is refused with its line. */
int plc_pertable_read(plc_pertable *t, FILE *f, char *err, size_t errlen);
/* PER for a frame; 1.0 when no curve covers the mode. */
double plc_pertable_per(const plc_pertable *t, plc_modulation mod, size_t len, double sinr_db);
/* The SINR below which plc_pertable_per gives 1 for such a frame (+inf without a curve). */
double plc_pertable_floor_db(const plc_pertable *t, plc_modulation mod, size_t len);

#endif
