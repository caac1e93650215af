/* What a loop backend builds on: the loop header with its timer heap, and the ops a backend
 * provides. The heap is in plc_loop.c; the backends are plc_loop_virtual.c (common/),
 * hal/plc_loop_posix.c and fw/board/plc_loop_mcu.c. */
#ifndef PLC_LOOP_IMPL_H
#define PLC_LOOP_IMPL_H

#include "plc_loop.h"

typedef struct plc_loop_ops {
    /* Runs timers until until_us (see plc_loop_run); l->stop is cleared before. */
    long (*run)(plc_loop *l, uint64_t until_us);
    /* Frees what the backend holds (l->backend); the loop itself is freed after. */
    void (*destroy)(plc_loop *l);
} plc_loop_ops;

struct plc_loop {
    const plc_loop_ops *ops;
    uint64_t now_us;
    uint64_t seq;
    int stop;
    plc_timer **heap;
    unsigned n, cap;
    void *backend;
};

/* Allocates a loop with a heap of max_timers (the only allocation); NULL when out of memory. */
plc_loop *plc_loop_alloc(const plc_loop_ops *ops, unsigned max_timers);
/* The earliest pending timer, or NULL. */
plc_timer *plc_loop_next(const plc_loop *l);
/* Removes the earliest timer, sets now to its due time (never backwards) and calls it. */
void plc_loop_fire_next(plc_loop *l);

#endif
