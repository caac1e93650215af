/* The shared medium of a simulated network: N nodes on one simulated feeder, each with a
 * PHY data service (plc_phy_service.h) for its MAC or traffic source. Two PHYs:
 *   waveform  every frame is synthesised by plc_tx, put on plc_line (loss, echo, clock
 *             offsets, noise, physical summing) and every node's own plc_rx decodes what
 *             reaches it; stretches where nothing is on the line are skipped;
 *   abstract  frame success is drawn from the PER tables (plc_pertable) at the frame's
 *             effective SINR at each receiver: the per-carrier gains of the same line
 *             model, the noise of the same profile, overlapping frames as interference,
 *             averaged in dB over the frame's active carriers, less the receiver's measured
 *             loss on a link with that much spread across the carriers.
 * Carrier sense: waveform, the node's receiver is inside a frame (it found a preamble and
 * follows the length its header announced) or its last search window matched the preamble,
 * or the node transmits; abstract, a frame whose
 * SNR at the node is above PLC_MEDIUM_CS_SNR_DB has been on the line for the preamble
 * detection delay, or the node transmits.
 * Runs on the caller's virtual-time loop; all randomness comes from the seed. */
#ifndef PLC_MEDIUM_H
#define PLC_MEDIUM_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"
#include "plc_pertable.h"
#include "plc_phy_service.h"

#define PLC_MEDIUM_CS_SNR_DB (-4.0)   /* abstract PHY: weakest preamble the receiver detects */
#define PLC_MEDIUM_CS_DELAY 512       /* abstract PHY: samples of preamble before detection
                                       * (the waveform receiver: 256-512; a MAC slot: 556) */
#define PLC_MEDIUM_SPREADS 6           /* spread_loss_db columns: 0, 1, ... 5 dB */
#define PLC_MEDIUM_TIMERS(nodes) (3 * (nodes) + 300) /* loop timers the medium needs */

typedef struct plc_medium_config {
    unsigned nodes;            /* 10 (ignored with a topology file: it says) */
    uint64_t seed;             /* 1 */
    int abstract_phy;          /* 0: waveform */
    const char *topology_file; /* NULL: generated from the seed */
    const char *noise_profile; /* "awgn" (see plc_noise_profile) */
    double noise_level;        /* 0.002 */
    const char *per_table;     /* abstract PHY: "docs/per/per_sco.dat" (AWGN with the
                                * line's clock offsets, measured by bench_per) */
    int impulse_blanking;      /* waveform receivers' impulse defence: 0 */
    /* abstract PHY: what the waveform receiver loses, against the flat AWGN tables at the
     * same mean SNR (dB over the carriers), on a link whose per-carrier SINR spreads by
     * 0, 1, ... 5 dB (standard deviation over the frame's carriers; the cable's tilt grows
     * it with length), per modulation; linear between columns, the last beyond. Measured
     * by bench_sim on two-node lines (64-byte frames); defaults in plc_medium.c and
     * docs/sim.md. */
    float spread_loss_db[PLC_MOD_COUNT][PLC_MEDIUM_SPREADS];
} plc_medium_config;

typedef struct plc_medium plc_medium;

void plc_medium_config_default(plc_medium_config *cfg);
/* err receives a message on failure (bad topology file, unknown noise profile, ...). */
plc_medium *plc_medium_create(const plc_medium_config *cfg, plc_loop *loop, char *err,
                              size_t errlen);
void plc_medium_destroy(plc_medium *m);
unsigned plc_medium_nodes(const plc_medium *m);
/* The PHY service of one node. */
plc_phy_service plc_medium_phy(plc_medium *m, unsigned node);
/* Line time in samples (400 kS/s) of a loop time in microseconds, and back. */
uint64_t plc_medium_sample_of(uint64_t us);
uint64_t plc_medium_us_of(uint64_t sample);
/* Link loss at 60 kHz (dB), and the gain (dB) on each carrier, of the line model. */
double plc_medium_loss_db(const plc_medium *m, unsigned from, unsigned to);
void plc_medium_link_gain_db(const plc_medium *m, unsigned from, unsigned to,
                             double gain_db[PLC_PHY_CARRIERS]);
/* The abstract PHY's loss (dB) for a frame of modulation mod whose carriers' SINR spreads
 * by spread_db (standard deviation), from cfg->spread_loss_db. */
double plc_medium_spread_loss_db(const plc_medium_config *cfg, plc_modulation mod,
                                 double spread_db);
/* Changes the receivers' noise level from now on (abstract PHY; the waveform line's noise
 * is fixed at create: PLC_ERR_UNSUPPORTED). */
int plc_medium_set_noise_level(plc_medium *m, double level);
/* What went on the line: frames and their line time (samples) by modulation, ACKs (and
 * NACKs) in the last slot. */
/* What the frames were, read from the G3 MAC header in the PSDU (segment control, then the
 * 802.15.4 frame control): a diagnosis of where line time goes, not used by the PHYs. */
typedef enum plc_medium_kind {
    PLC_MEDIUM_KIND_BEACON,    /* MAC beacons */
    PLC_MEDIUM_KIND_COMMAND,   /* MAC commands: beacon requests, tone map responses */
    PLC_MEDIUM_KIND_EXT,       /* data to or from an EUI-64 (a joining device's hop) */
    PLC_MEDIUM_KIND_BROADCAST, /* data to 0xFFFF */
    PLC_MEDIUM_KIND_UNICAST,   /* data between short addresses */
    PLC_MEDIUM_KIND_ACK,       /* ACKs and NACKs */
    PLC_MEDIUM_KIND_OTHER,     /* not a MAC frame we know */
    PLC_MEDIUM_KINDS
} plc_medium_kind;

typedef struct plc_medium_stats {
    uint64_t frames[PLC_MOD_COUNT + 1];
    uint64_t samples[PLC_MOD_COUNT + 1];
    uint64_t kind_frames[PLC_MEDIUM_KINDS];
    uint64_t kind_samples[PLC_MEDIUM_KINDS];
    /* the same, of the frames node 0 (the concentrator) hears: sent by it, or by a node whose
     * link to it is above the carrier-sense threshold (at its first frame) */
    uint64_t near_kind_samples[PLC_MEDIUM_KINDS];
} plc_medium_stats;
void plc_medium_get_stats(const plc_medium *m, plc_medium_stats *s);
/* In-band SNR (dB) a frame from `from` has at `to` without interference. */
double plc_medium_link_snr_db(const plc_medium *m, unsigned from, unsigned to);
/* The PER of a frame (modulation, PSDU length, all carriers) from `from` at `to` with
 * nothing else on the line, as the abstract PHY draws it: the carriers' mean SNR in dB less
 * the receiver's loss on their spread, looked up in `per` (the link's true PER). */
double plc_medium_link_per(const plc_medium *m, const plc_pertable *per, unsigned from,
                           unsigned to, plc_modulation mod, size_t len);
/* The LQI the abstract PHY reports for a frame on the link with nothing else on the line. */
uint8_t plc_medium_link_lqi(const plc_medium *m, unsigned from, unsigned to);

#endif
