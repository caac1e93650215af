/* The MPS2 AN386 board under QEMU: what firmware tests and measurements use. */
#ifndef PLC_BOARD_H
#define PLC_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"

/* Ends the program with an exit status QEMU returns to the host (semihosting). */
void board_exit(int status) __attribute__((noreturn));
/* Microseconds since reset, from the free-running hardware timer (25 MHz). */
uint64_t board_now_us(void);
/* Instructions executed since reset: under QEMU's -icount shift=0 one instruction is one
 * nanosecond of the machine's clock, so this reads the timer (a proxy for cycles on a
 * real M4: flash wait states and the pipeline are not modelled). */
uint64_t board_instructions(void);
/* Bytes of heap handed out so far (sbrk: its high-water mark), bytes allocated now
 * (malloc's count), and the deepest the stack has been (painted at reset, scanned now). */
size_t board_heap_used(void);
size_t board_heap_in_use(void);
size_t board_stack_peak(void);
/* The event loop on the hardware timer: time is board_now_us; between timers the core
 * sleeps (WFI) until the timer's interrupt. */
plc_loop *board_loop_create(unsigned max_timers);

#endif
