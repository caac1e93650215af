/* The meter's registers as the node application sees them: the small interface real
 * metering firmware implements (the simulated meter, sim/plc_meter.h, is one). The node
 * speaks DL/T 645-2007 on the network (plc_meter_server.h) and calls these for the data:
 * values, writes, relay control, the clock, the password, the address, mains. now_us is the
 * event loop's clock, for meters that advance a model; real firmware may ignore it. */
#ifndef PLC_METER_REGS_H
#define PLC_METER_REGS_H

#include <stdint.h>

#include "plc_dlt645.h"
#include "plc_dlt645_profile.h"

typedef struct plc_meter_regs_ops {
    /* The address, 6 bytes in wire order. */
    const uint8_t *(*address)(void *meter);
    /* The value of data identifier di (its kind as plc_dlt645_di_lookup says): PLC_DLT645_OK,
     * or PLC_DLT645_E_UNKNOWN_DI for one the meter does not have. */
    int (*read)(void *meter, uint64_t now_us, uint32_t di, plc_dlt645_value *v);
    /* Writes di (the password already checked) for the operator code the frame carried
     * (kept in the meter's programming and clock setting records): 0, or a DL/T 645 error
     * byte (PLC_DLT645_ERR_OTHER: not writable or refused). */
    int (*write)(void *meter, uint64_t now_us, uint32_t di, const plc_dlt645_value *v,
                 uint32_t operator_code);
    /* Relay and alarm control, N0 of the 0x1C frame: 0x1A trip, 0x1B close allowed, 0x2A
     * and 0x2B alarm on and off, 0x3A keep power until `until`, 0x3B keep power off.
     * 0 or an error byte. */
    int (*control)(void *meter, uint64_t now_us, uint8_t command, const plc_dlt645_time *until);
    /* A broadcast time: the meter applies it when within its window (+/-5 min). */
    void (*sync_time)(void *meter, uint64_t now_us, const plc_dlt645_time *t);
    /* 1 when password (6 digits) of level (0x02 or 0x04) is the meter's. */
    int (*password_ok)(void *meter, uint8_t level, uint32_t password);
    void (*set_password)(void *meter, uint8_t level, uint32_t password);
    /* Clears demand (function 0x19), events (0x1B) or the whole meter (0x1A). */
    void (*clear)(void *meter, uint64_t now_us, uint8_t function);
    void (*set_address)(void *meter, const uint8_t addr[6]);
    /* Mains lost (0) or back (1): power-down events. */
    void (*mains)(void *meter, uint64_t now_us, int on);
    /* Optional (NULL: the meter keeps no load profile): record k (0: the first) of those
     * taken at or after `from`, with the classes it records among `classes` (a mask):
     * PLC_DLT645_OK, or PLC_DLT645_E_UNKNOWN_DI when there is no such record. */
    int (*profile)(void *meter, uint64_t now_us, const plc_dlt645_time *from, unsigned k,
                   uint8_t classes, plc_dlt645_profile_record *rec);
} plc_meter_regs_ops;

typedef struct plc_meter_regs {
    const plc_meter_regs_ops *ops;
    void *meter;
} plc_meter_regs;

#endif
