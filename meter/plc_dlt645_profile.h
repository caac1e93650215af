/* DL/T 645-2007 load profile (负荷记录): the records a meter takes every profile period
 * and the read that fetches them (../shared/spec/gateway-upstream.md section 4).
 *   request   read (0x11) of 06000001 (every class the meter records) or 060n0001 (class n
 *             only), L = 10: DI, N (records, 1 BCD byte, 01..99), the first record's time
 *             mm hh DD MM YY
 *   reply     DI, then whole records from that time on, oldest first, as many as N and the
 *             200-byte DATA allow [R] (no follow-up frames); none taken since: error reply
 *             "no data"
 *   record    A0 A0 | LEN | time mm hh DD MM YY | class 1 | AA | class 2 | AA | ... | class 6
 *             | AA | CS | E5. An absent class is empty (its AA stays). LEN counts the bytes from
 *             the time through the last AA, CS is their byte sum from the first A0 on [R]
 *   classes   1 voltage A, B, C (XXX.X V, 2 bytes each), current A, B, C (XXX.XXX A signed, 3),
 *             frequency (XX.XX Hz, 2): 17 bytes; 2 active power total, A, B, C then reactive
 *             total, A, B, C (XX.XXXX kW / kvar signed, 3 each): 24; 3 power factor total,
 *             A, B, C (X.XXX signed, 2 each): 8; 4 forward active, reverse active, combined
 *             reactive 1 and 2 energy (XXXXXX.XX kWh / kvarh, 4 each): 16; 5 reactive energy
 *             of quadrants I-IV (4 each): 16; 6 active and reactive demand (XX.XXXX, 3 each): 6
 *   absent    a quantity whose bytes are all FF is not measured (B and C on a single-phase
 *             meter) [R]
 * Portable: no allocation, no I/O; every malformed case has its own error code. */
#ifndef PLC_DLT645_PROFILE_H
#define PLC_DLT645_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_dlt645.h"

#define PLC_DLT645_PROFILE_DI 0x06000001u        /* every class; 060n0001: class n */
#define PLC_DLT645_PROFILE_CLASSES 6
#define PLC_DLT645_PROFILE_FIELDS 29             /* quantities over the 6 classes */
#define PLC_DLT645_PROFILE_MAX_N 99

/* The quantities in record order: class 1 fields 0-6, class 2 7-14, class 3 15-18,
 * class 4 19-22, class 5 23-26, class 6 27-28. */
typedef struct plc_dlt645_profile_record {
    plc_dlt645_time t;           /* second 0 */
    uint8_t classes;             /* bit n-1: class n is in the record */
    uint32_t present;            /* bit i: field i was measured (not FF) */
    int64_t field[PLC_DLT645_PROFILE_FIELDS]; /* each x 10^decimals of its field */
} plc_dlt645_profile_record;

typedef struct plc_dlt645_profile_field {
    uint8_t cls, bytes, decimals, is_signed;
    uint32_t curve_di;           /* [R] the State Grid curve DI it is kept under (0: none):
                                  * 061001xx voltage, 061002xx current, 061003xx active and
                                  * 061004xx reactive power, 061005xx power factor,
                                  * 061006/07xx energies */
    const char *name, *unit;
} plc_dlt645_profile_field;

/* Field i's layout (i < plc_dlt645_profile_field_count()). */
const plc_dlt645_profile_field *plc_dlt645_profile_field_info(unsigned i);
unsigned plc_dlt645_profile_field_count(void);
/* The bytes a record of these classes takes, framing included. */
size_t plc_dlt645_profile_record_size(uint8_t classes);

/* The request: cls 0 for 06000001, 1..6 for one class; n 1..99. */
int plc_dlt645_profile_request(const uint8_t addr[6], unsigned cls, unsigned n,
                               const plc_dlt645_time *from, plc_dlt645_frame *f);
/* A request's DATA (the meter's side): the classes asked for (a mask), N and the time. */
int plc_dlt645_profile_parse_request(const uint8_t *data, size_t len, uint8_t *classes,
                                     unsigned *n, plc_dlt645_time *from);
/* One record (r->classes say which, r->present which quantities): bytes written or an error. */
int plc_dlt645_profile_record_encode(const plc_dlt645_profile_record *r, uint8_t *out,
                                     size_t cap);
/* One record at p; *used: its bytes. */
int plc_dlt645_profile_record_decode(const uint8_t *p, size_t len, plc_dlt645_profile_record *r,
                                     size_t *used);

#endif
