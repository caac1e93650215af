/* The gateway's clock against the head-end's, from heartbeat round trips (NTP's on-wire
 * arithmetic, RFC 5905 section 8): t1 the heartbeat leaves (our clock), t2 it arrives and
 * t3 the answer leaves (theirs), t4 the answer arrives (ours); offset = ((t2 - t1) +
 * (t3 - t4)) / 2, delay = (t4 - t1) - (t3 - t2). After `samples` round trips the largest
 * and the smallest offsets are dropped and the rest averaged [R]; the clock is stepped
 * only when that is beyond the threshold (a smaller error is left to the next estimate).
 * Pure arithmetic, no clock of its own. */
#ifndef PLC_UP_CLOCK_H
#define PLC_UP_CLOCK_H

#include <stdint.h>

#define PLC_UP_CLOCK_MAX_SAMPLES 32

typedef struct plc_up_clock {
    unsigned want, n;                     /* samples an estimate takes (3..32), have */
    int64_t threshold_ms;                 /* step only beyond */
    int64_t offset[PLC_UP_CLOCK_MAX_SAMPLES];
} plc_up_clock;

void plc_up_clock_init(plc_up_clock *c, unsigned samples, int64_t threshold_ms);
/* One round trip. 1 when an estimate is complete: *offset_ms (theirs minus ours) and *step
 * (1: step our clock by it); then the samples start again. 0 while collecting; -1 for a
 * round trip that cannot be (t4 before t1, or negative delay), not counted. */
int plc_up_clock_sample(plc_up_clock *c, int64_t t1, int64_t t2, int64_t t3, int64_t t4,
                        int64_t *offset_ms, int *step);

#endif
