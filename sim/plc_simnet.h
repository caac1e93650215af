/* A network scenario on the simulated line: N nodes on a feeder, each broadcasting a PHY
 * frame once per period (random phase from the seed), every other node receiving. Two
 * PHYs behind the same traffic and statistics:
 *   waveform  real samples on plc_line, the real plc_tx / plc_rx at every node (quiet
 *             stretches are skipped);
 *   abstract  frame success drawn from the PER tables (plc_pertable) at the in-band SINR of
 *             each reception, overlapping frames counted as interference.
 * Runs on the virtual-time loop; the same seed gives the same run bit for bit. */
#ifndef PLC_SIMNET_H
#define PLC_SIMNET_H

#include <stddef.h>
#include <stdint.h>

#include "plc_phy_params.h"

typedef struct plc_simnet_config {
    unsigned nodes;            /* 10 */
    int abstract_phy;          /* 0: waveform */
    uint64_t seed;             /* 1 */
    double period_s;           /* 10: one broadcast per node per period */
    plc_modulation mod;        /* DBPSK */
    size_t psdu_len;           /* 64 (>= 8) */
    const char *topology_file; /* NULL: generated from the seed */
    const char *noise_profile; /* "awgn" (see plc_noise_profile) */
    double noise_level;        /* 0.002 */
    const char *per_table;     /* abstract PHY: "docs/per/per_sco.dat" (AWGN with the
                                * line's clock offsets) */
} plc_simnet_config;

typedef struct plc_simnet_link {
    uint64_t sent, received;
    double snr_sum, snr_min, snr_max; /* receiver's SNR estimate (waveform) or SINR */
} plc_simnet_link;

typedef struct plc_simnet plc_simnet;

void plc_simnet_config_default(plc_simnet_config *cfg);
/* The medium a scenario runs on (line, noise, PHY, seed), for other traffic on the same line. */
struct plc_medium_config;
void plc_simnet_medium_config(const plc_simnet_config *cfg, struct plc_medium_config *mc);
plc_simnet *plc_simnet_create(const plc_simnet_config *cfg, char *err, size_t errlen);
void plc_simnet_destroy(plc_simnet *s);
/* Runs until simulated time until_s; progress (may be NULL) is called about every
 * simulated second. */
int plc_simnet_run(plc_simnet *s, double until_s, void (*progress)(double now_s, void *user),
                   void *user);
unsigned plc_simnet_nodes(const plc_simnet *s);
plc_simnet_link plc_simnet_link_stats(const plc_simnet *s, unsigned from, unsigned to);
/* The medium underneath (link losses, gains, SNRs of the line model). */
const struct plc_medium *plc_simnet_medium(const plc_simnet *s);
/* A digest of every reception event (who, from, when, what SNR): equal for equal runs. */
uint64_t plc_simnet_digest(const plc_simnet *s);

#endif
