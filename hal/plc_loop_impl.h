/* Shared internals of the loop backends: the timer heap and the loop header. The virtual
 * loop is in plc_loop.c (it is only the heap), the real-time one in plc_loop_posix.c. */
#ifndef PLC_LOOP_IMPL_H
#define PLC_LOOP_IMPL_H

#include "plc_loop.h"

enum plc_loop_kind { PLC_LOOP_VIRTUAL, PLC_LOOP_POSIX };

struct plc_loop {
    enum plc_loop_kind kind;
    uint64_t now_us;
    uint64_t seq;
    int stop;
    plc_timer **heap;
    unsigned n, cap;
    void *backend; /* POSIX: descriptors and clock origin */
};

int plc_loop_init(plc_loop *l, enum plc_loop_kind kind, unsigned max_timers);
void plc_loop_fini(plc_loop *l);
/* The earliest pending timer, or NULL. */
plc_timer *plc_loop_next(const plc_loop *l);
/* Removes the earliest timer, sets now to its due time and calls it. */
void plc_loop_fire_next(plc_loop *l);

long plc_loop_run_virtual(plc_loop *l, uint64_t until_us);
long plc_loop_run_posix(plc_loop *l, uint64_t until_us);
void plc_loop_destroy_posix(plc_loop *l);

#endif
