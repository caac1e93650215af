/* DL/T 645-2007 on the meter's side: a request frame in, the reply frame out, the data
 * from the meter's registers (plc_meter_regs.h). Reads (with a followup refused as having
 * no more data), writes and control with the password (level 02 or 04), read and write of
 * the address, freeze, baud rate change, password change, clears, broadcast time. */
#ifndef PLC_METER_SERVER_H
#define PLC_METER_SERVER_H

#include "plc_dlt645.h"
#include "plc_meter_regs.h"

/* 1 with *reply filled when the meter answers; 0 when it stays silent (not for it, a
 * broadcast, a reply frame). */
int plc_meter_serve(const plc_meter_regs *regs, uint64_t now_us, const plc_dlt645_frame *req,
                    plc_dlt645_frame *reply);

#endif
