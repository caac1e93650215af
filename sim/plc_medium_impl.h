/* Internals shared by the simulated medium's files: plc_medium.c (configuration, nodes,
 * the PHY service, timed transmission), plc_medium_wave.c (the waveform PHY: plc_tx, the
 * line, a plc_rx per node) and plc_medium_abstract.c (the abstract PHY: PER tables at each
 * receiver's SINR). Nothing outside sim/plc_medium*.c includes it. */
#ifndef PLC_MEDIUM_IMPL_H
#define PLC_MEDIUM_IMPL_H

#include "plc_line.h"
#include "plc_medium.h"
#include "plc_noise.h"
#include "plc_pertable.h"
#include "plc_rng.h"
#include "plc_rx.h"
#include "plc_topology.h"

#define BLOCK 256          /* waveform: line samples per receive step (0.64 ms, under a slot) */
#define SIGNAL_POWER 0.045 /* in-band power of a frame at the transmitter (plc_tx default) */
/* The LQI a receiver reports for a frame at this SNR (dB): 0 at -10 dB, 4 a dB, 255 at most */
static inline uint8_t medium_lqi_of_snr(double snr_db)
{
    const double q = (snr_db + 10.0) * 4.0;
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}
#define MAX_FRAMES 256     /* abstract: frames on the line at once */

typedef struct mnode {
    struct plc_medium *m;
    unsigned id;
    int near0;            /* node 0 hears it (stats): 1, 0, -1 not known yet */
    plc_phy_user user;
    plc_rx *rx;           /* waveform */
    plc_timer tx_done;
    uint64_t tx_end;      /* line sample where its transmission ends */
    int transmitting;
    plc_timer tx_start;   /* a transmission asked for a later time */
    plc_tx_request pending_rq;
    uint8_t pending_psdu[255];
    size_t pending_len;
} mnode;

typedef struct aframe { /* abstract: one frame on the line */
    struct plc_medium *m;
    unsigned from;
    uint64_t start, end;  /* line samples */
    plc_tx_request rq;
    uint8_t psdu[255];
    size_t len;           /* payload capacity sent (0 for ACK/NACK) */
    uint8_t active[PLC_PHY_CARRIERS];
    unsigned nactive;
    uint64_t active_mask; /* bit c: carrier c carries the payload */
    plc_timer done;
    int used;
} aframe;

typedef struct link_cache {
    uint32_t kind; /* frame_kind(), 0: empty */
    float per;     /* of the frame */
    float hdr_per; /* of its header alone */
} link_cache;

struct plc_medium {
    plc_medium_config cfg;
    unsigned n;
    plc_loop *loop;
    plc_topology *topo;
    plc_line *line;
    plc_tx *tx;
    plc_rng rng;
    plc_medium_stats stats;
    mnode *node;
    /* waveform */
    plc_timer block;
    uint64_t block_t; /* next line sample to process */
    int block_running;
    float *buf, *frame;
    size_t frame_cap;
    /* abstract */
    plc_pertable *per;
    aframe frames[MAX_FRAMES];
    float *gain;      /* power gain (dB) per link and carrier: [(from * n + to) * 36 + c] */
    float *gain_db;   /* per link: mean over the carriers of the gain in dB */
    float *gain_sd;   /* per link: standard deviation over the carriers of the gain in dB */
    float *gain_lin;  /* per link: mean over the carriers of the linear gain */
    float *snr_mean_db; /* per link: SNR of the mean linear gain (what a receiver reports) */
    link_cache *cache;  /* per link: PER of the last kind of frame received without interference */
    double cs_gain;   /* mean linear link gain above which a frame is sensed */
    double noise_pow; /* in-band noise power at a receiver */
    double snr0_db;   /* SNR over a 0 dB link */
};

uint64_t medium_now_sample(const plc_medium *m);
void medium_deliver(mnode *nd, const plc_phy_rx_ind *ind);
/* In-band noise power of a receiver noise model (the 36 carriers' share of it). */
double medium_inband_noise(const plc_noise_config *c);

/* plc_medium_wave.c */
int medium_wave_init(plc_medium *m);
void medium_block_step(plc_loop *loop, plc_timer *t, void *user); /* the receivers' step */
int medium_wave_send(plc_medium *m, mnode *nd, const plc_tx_request *rq, const uint8_t *psdu,
                     size_t len, uint64_t now);

/* plc_medium_abstract.c */
void medium_abstract_timers(plc_medium *m);
int medium_abstract_init(plc_medium *m, const plc_noise_config *noise, char *err, size_t errlen);
int medium_abstract_send(plc_medium *m, mnode *nd, const plc_tx_request *rq, const uint8_t *psdu,
                         size_t len, uint64_t now);
int medium_abstract_busy(const plc_medium *m, unsigned r, uint64_t now);
void medium_abstract_set_noise(plc_medium *m, double noise_pow);

#endif
