/* Event loop: the one owner of time and timers, part of the portable core (common/). The
 * timers and the clock are here; how time passes is a backend's, behind an ops table
 * (plc_loop_impl.h): virtual time (plc_loop_virtual.c, used by sim/: time jumps from one
 * timer to the next), real time on Linux (hal/plc_loop_posix.h: monotonic clock, file
 * descriptors and ZeroMQ sockets), and an MCU's hardware timer (fw/board/). The core only
 * calls plc_loop_now_us and the timer functions, so it never reads a clock or sleeps.
 *
 * Timers are owned by the caller (no allocation); the loop keeps them in a heap of fixed
 * capacity given at create. Timers due at the same microsecond fire in the order they
 * were started, so a run is reproducible. */
#ifndef PLC_LOOP_H
#define PLC_LOOP_H

#include <stdint.h>

typedef struct plc_loop plc_loop;
typedef struct plc_timer plc_timer;
typedef void (*plc_timer_fn)(plc_loop *loop, plc_timer *timer, void *user);

struct plc_timer {
    uint64_t due_us;
    uint64_t seq;  /* start order, breaks ties */
    plc_timer_fn fn;
    void *user;
    int slot;      /* heap index, -1 when not pending */
};

#define PLC_LOOP_FOREVER UINT64_MAX

void plc_timer_init(plc_timer *t, plc_timer_fn fn, void *user);
/* (Re)starts t to fire at due_us (not before now). PLC_ERR_FULL when the heap is full. */
int plc_timer_start_at(plc_loop *l, plc_timer *t, uint64_t due_us);
int plc_timer_start_in(plc_loop *l, plc_timer *t, uint64_t delay_us);
void plc_timer_stop(plc_loop *l, plc_timer *t);
int plc_timer_pending(const plc_timer *t);

/* Microseconds since the loop was created. */
uint64_t plc_loop_now_us(const plc_loop *l);

/* Runs until until_us (PLC_LOOP_FOREVER: until plc_loop_stop, or, for the virtual loop,
 * until no timer is left). Returns the number of timer and I/O callbacks run, or a
 * negative plc_err. */
long plc_loop_run(plc_loop *l, uint64_t until_us);
void plc_loop_stop(plc_loop *l);
void plc_loop_destroy(plc_loop *l);

/* The virtual-time backend (the others have their own headers). */
plc_loop *plc_loop_virtual_create(unsigned max_timers);

#endif
