/* A single-hop meter reading scenario: a concentrator (node 0) and N meter nodes (1..N,
 * DL/T 645 addresses 0000000000NN) on one simulated line, MAC + PHY (waveform or abstract).
 * Each meter node runs the node application on a simulated meter. The concentrator reads a
 * list of DIs from every meter in turn, one request at a time (as concentrators poll),
 * waiting up to reply_timeout_s for each answer and asking again up to app_retries times.
 * Results per meter and DI: the value, whether it came, the SNR of the reply, and the
 * retries it took (the concentrator MAC's retries to that meter plus the re-asks). */
#ifndef PLC_READNET_H
#define PLC_READNET_H

#include <stddef.h>
#include <stdint.h>

#include "plc_dlt645.h"
#include "plc_macnet.h"
#include "plc_meter.h"

#define PLC_READNET_MAX_DI 4

typedef struct plc_readnet_config {
    unsigned meters;          /* 20 */
    int waveform;             /* 1: waveform PHY, 0: abstract */
    int security;             /* 1 */
    uint64_t seed;            /* 1 */
    double reply_timeout_s;   /* 3.0 */
    unsigned app_retries;     /* 2 */
    double start_s;           /* reading starts at this simulated time: 1.0 */
    uint32_t di[PLC_READNET_MAX_DI];
    unsigned n_di;            /* 00010000 and 02010100 */
} plc_readnet_config;

void plc_readnet_config_default(plc_readnet_config *cfg);

typedef struct plc_readnet_result {
    char addr[13];
    int ok[PLC_READNET_MAX_DI];
    plc_dlt645_value value[PLC_READNET_MAX_DI];
    int64_t model[PLC_READNET_MAX_DI]; /* the meter model's register when it answered */
    float snr_db;             /* of the last reply */
    unsigned app_retries;     /* requests asked again */
    uint64_t mac_retries;     /* the concentrator MAC's retries to this meter */
} plc_readnet_result;

typedef struct plc_readnet plc_readnet;

plc_readnet *plc_readnet_create(const plc_readnet_config *cfg, char *err, size_t errlen);
void plc_readnet_destroy(plc_readnet *r);
/* Runs until every meter was read (or given up on) or until max_s; returns the simulated
 * time at the end. */
double plc_readnet_run(plc_readnet *r, double max_s);
const plc_readnet_result *plc_readnet_result_get(const plc_readnet *r, unsigned meter);
/* Readings that came / asked (meters x DIs). */
void plc_readnet_success(const plc_readnet *r, unsigned *ok, unsigned *asked);
plc_macnet *plc_readnet_net(plc_readnet *r);
plc_meter *plc_readnet_meter(plc_readnet *r, unsigned meter);

#endif
