/* The simulated power line (waveform level). Nodes sit on a feeder tree (plc_topology);
 * every transmission reaches every other node through its own link:
 *   loss(f, d) = d * (loss_db_per_m + loss_db_per_m_100khz * f / 100 kHz)
 *                + branch_loss_db per branch point passed               (our model, docs/sim.md)
 *   H(f) = 10^(-loss/20) * (e^{-j2pi f tau} + echo_gain e^{-j2pi f (tau + 2 s / v)})
 * with tau = d / v and s the shortest side cable along the path (a reflection), realised
 * as a 16-tap FIR (8 samples of delay added to every link), then resampled for the
 * sampling-clock offset between the transmitter's and the receiver's clocks (each node has
 * its own, uniform within +/- ppm_max). Transmissions overlapping in time add up at each
 * receiver, with that receiver's own noise (plc_noise), so collisions and capture happen
 * physically. Time is counted in line samples at 400 kS/s. */
#ifndef PLC_LINE_H
#define PLC_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_noise.h"
#include "plc_topology.h"

#define PLC_LINE_FIR_TAPS 16
#define PLC_LINE_FIR_DELAY 8

typedef struct plc_line_config {
    double loss_db_per_m;        /* 0.03 */
    double loss_db_per_m_100khz; /* 0.05: grows linearly with frequency */
    double branch_loss_db;       /* 2.0 per branch point passed */
    double echo_gain;            /* -0.3 */
    double velocity_m_s;         /* 1.5e8 */
    double ppm_max;              /* 50 */
    plc_noise_config noise;      /* at every receiver, independent seeds; default white,
                                  * sigma 0.002 (a quiet line) */
    uint64_t seed;
} plc_line_config;

typedef struct plc_line plc_line;

void plc_line_config_default(plc_line_config *cfg);
plc_line *plc_line_create(const plc_topology *topo, const plc_line_config *cfg);
void plc_line_destroy(plc_line *l);

unsigned plc_line_nodes(const plc_line *l);
/* Link loss between two nodes at frequency f (dB), and a node's clock offset (ppm). */
double plc_line_loss_db(const plc_line *l, unsigned a, unsigned b, double f_hz);
double plc_line_ppm(const plc_line *l, unsigned node);
/* Power gain |H(f)|^2 of a link in dB (loss and echo) at n frequencies. */
void plc_line_gain_db(const plc_line *l, unsigned a, unsigned b, const double *f_hz, unsigned n,
                      double *gain_db);

/* Node `from` puts n samples on the line from line time t on, scaled by gain (1: the
 * transmitter's nominal level). PLC_ERR_BUFFER when too many transmissions overlap. */
int plc_line_transmit(plc_line *l, unsigned from, uint64_t t, const float *x, size_t n,
                      double gain);
/* 1 when a transmission of another node reaches `node` somewhere in [t, t + n). */
int plc_line_signal_present(const plc_line *l, unsigned node, uint64_t t, size_t n);
/* 1 when `node` itself transmits at some time in [t, t + n) (it cannot receive then). */
int plc_line_transmitting(const plc_line *l, unsigned node, uint64_t t, size_t n);
/* What `node` receives in [t, t + n): every other node's signal plus its noise. */
void plc_line_receive(plc_line *l, unsigned node, uint64_t t, float *buf, size_t n);
/* Forgets transmissions that ended before t; returns the end of the last one left (or t). */
uint64_t plc_line_expire(plc_line *l, uint64_t t);

#endif
