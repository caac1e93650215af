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

typedef void (*plc_port_sink)(const float *x, size_t n, uint64_t first, void *user);
typedef struct plc_port plc_port;

/* Starts delivering received samples to sink. */
int plc_port_start(plc_port *p, plc_loop *loop, plc_port_sink sink, void *user);
/* Queues a burst to go out at sample index `at` (400 kS/s, the receive stream's clock). */
int plc_port_transmit(plc_port *p, uint64_t at, const float *x, size_t n);
/* Stops, writes what the backend must write, frees. Returns 0 or a plc_err. */
int plc_port_close(plc_port *p);

/* File backend: the stream comes from in_path (NULL: none) in chunks of `chunk` samples,
 * one chunk per chunk/400000 s of loop time; transmitted bursts are written on close to
 * out_path (NULL: discarded), placed at their sample index with silence between. */
plc_port *plc_port_file_create(const char *in_path, plc_sample_format in_fmt,
                               const char *out_path, plc_sample_format out_fmt, size_t chunk,
                               char *err, size_t errlen);

/* SoapySDR backend (built when libsoapysdr-dev is installed, PLC_HAVE_SOAPY): opens the
 * device matching args (e.g. "driver=rtlsdr"; "" for the first), tuned to rf_hz with the
 * front end's rate; its baseband runs through plc_sdr_frontend. NULL with a message
 * ("no SoapySDR device found for ...") when there is none. */
plc_port *plc_port_soapy_create(const char *args, const plc_sdr_config *fe, double rf_hz,
                                double gain_db, char *err, size_t errlen);

#endif
