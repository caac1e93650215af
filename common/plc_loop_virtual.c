/* The virtual-time backend: time jumps to each timer in turn. */
#include <stddef.h>

#include "plc_loop_impl.h"

static long run_virtual(plc_loop *l, uint64_t until_us)
{
    long fired = 0;
    while (!l->stop) {
        const plc_timer *t = plc_loop_next(l);
        if (!t || t->due_us > until_us)
            break;
        plc_loop_fire_next(l);
        fired++;
    }
    if (!l->stop && until_us != PLC_LOOP_FOREVER && until_us > l->now_us)
        l->now_us = until_us;
    return fired;
}

static const plc_loop_ops virtual_ops = {run_virtual, NULL};

plc_loop *plc_loop_virtual_create(unsigned max_timers)
{
    return plc_loop_alloc(&virtual_ops, max_timers);
}
