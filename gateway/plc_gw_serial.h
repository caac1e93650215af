/* A serial line (RS-485) to DL/T 645 meters, through termios: 2400 baud 8E1 by default (the
 * meters' default), raw, non-blocking. Frames written go out whole; bytes read go through the
 * DL/T 645 extractor, which skips line noise and wake-up preambles and hands on every whole
 * frame (checked: checksum and end byte). */
#ifndef PLC_GW_SERIAL_H
#define PLC_GW_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "plc_err.h"

typedef struct plc_gw_serial plc_gw_serial;

struct termios;
/* The line settings open applies: raw, 8 data bits, the parity, 1 stop bit, no flow control,
 * reads that never block. PLC_ERR_ARG for a baud rate or parity not supported. */
int plc_gw_serial_settings(unsigned baud, char parity, struct termios *t);

/* baud: 1200, 2400, 4800, 9600 or 19200; parity 'E', 'O' or 'N'; err says why on failure. */
plc_gw_serial *plc_gw_serial_open(const char *path, unsigned baud, char parity, char *err,
                                  size_t errlen);
void plc_gw_serial_close(plc_gw_serial *s);
int plc_gw_serial_fd(const plc_gw_serial *s);
/* The whole frame, or PLC_ERR_IO. */
int plc_gw_serial_write(plc_gw_serial *s, const uint8_t *frame, size_t len);
/* Reads what the line has now and calls fn for each whole frame (its bytes, preamble off).
 * Returns the frames found, or PLC_ERR_IO. */
typedef void (*plc_gw_serial_fn)(void *user, const uint8_t *frame, size_t len);
int plc_gw_serial_poll(plc_gw_serial *s, plc_gw_serial_fn fn, void *user);
/* Bytes the extractor threw away (noise, broken frames). */
uint64_t plc_gw_serial_skipped(const plc_gw_serial *s);

#endif
