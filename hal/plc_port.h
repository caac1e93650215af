/* Sample port: where a PHY's samples meet the outside world. The receive side hands the
 * stream to a sink in chunks, each with the index of its first sample (n = 0 marks the end
 * of the stream); the transmit side takes bursts at a sample time. The port is driven by
 * the event loop it is started on, so the same code runs in real time (POSIX loop) or as
 * fast as possible (virtual loop). Backends: a sample file (plc_port_file_create), an SDR
 * through SoapySDR (plc_port_soapy_create); the simulated line plays this role in sim/. */
#ifndef PLC_PORT_H
#define PLC_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"
#include "plc_samplefile.h"
#include "plc_sdr_frontend.h"

/* Receive chunks arrive in order; `first` jumps forward where the backend lost samples
 * (an SDR's overflow), so the index stays the port's clock. */
typedef void (*plc_port_sink)(const float *x, size_t n, uint64_t first, void *user);
typedef struct plc_port plc_port;

typedef struct plc_port_stats {
    uint64_t received;     /* samples delivered to the sink */
    uint64_t bursts;       /* bursts sent */
    uint64_t gaps;         /* receive gaps (device overflows) */
    uint64_t lost;         /* samples lost in them (the index jumped over them) */
    uint64_t late;         /* bursts refused or reported late (their time had passed) */
    uint64_t underflows;   /* bursts the device reported cut short */
} plc_port_stats;

/* Starts delivering received samples to sink. */
int plc_port_start(plc_port *p, plc_loop *loop, plc_port_sink sink, void *user);
/* Queues a burst to go out at sample index `at` (400 kS/s, the receive stream's clock).
 * PLC_ERR_LATE when a timed backend has already received past `at`: nothing is sent. */
int plc_port_transmit(plc_port *p, uint64_t at, const float *x, size_t n);
/* Counters since create. */
plc_port_stats plc_port_get_stats(const plc_port *p);
/* Stops, writes what the backend must write, frees. Returns 0 or a plc_err. */
int plc_port_close(plc_port *p);

/* File backend: the stream comes from in_path (NULL: none) in chunks of `chunk` samples,
 * one chunk per chunk/400000 s of loop time; transmitted bursts are written on close to
 * out_path (NULL: discarded), placed at their sample index with silence between. */
plc_port *plc_port_file_create(const char *in_path, plc_sample_format in_fmt,
                               const char *out_path, plc_sample_format out_fmt, size_t chunk,
                               char *err, size_t errlen);

/* SoapySDR backend (built when libsoapysdr-dev is installed, PLC_HAVE_SOAPY): opens the
 * device matching args (e.g. "driver=uhd"; "" for the first), tuned to rf_hz with the
 * front end's rate; its baseband runs through plc_sdr_frontend. NULL with a message
 * ("no SoapySDR device found for ...") when there is none. With a device that keeps
 * hardware time, bursts go out at their sample index through the device's time stamps
 * and overflow gaps are measured by them; without, bursts go out when written (a warning
 * is logged once). */
plc_port *plc_port_soapy_create(const char *args, const plc_sdr_config *fe, double rf_hz,
                                double gain_db, char *err, size_t errlen);

#endif
