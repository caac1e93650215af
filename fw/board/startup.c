/* Reset and vectors of the MPS2 AN386 (Cortex-M4F): FPU on, .data copied from the image,
 * .bss zeroed, the stack painted (for the peak-stack measurement), newlib's constructors,
 * main, then its status to the host. */
#include <stdint.h>
#include <string.h>

#include "board.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_limit, _estack;
extern int main(void);
extern void __libc_init_array(void);
void board_semihost_init(void);
void board_timer_init(void);
void board_timer0_irq(void);
void board_timer1_irq(void);

#define STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void);

static void fault(void)
{
    board_exit(3); /* a fault is a failed test */
}

static void unused(void)
{
    for (;;) {
    }
}

/* 16 system vectors, then the external interrupts: timer 0 is IRQ 8, timer 1 IRQ 9 */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 32])(void) = {
    [0] = (void (*)(void))&_estack,
    [1] = Reset_Handler,
    [2] = fault,  /* NMI */
    [3] = fault,  /* HardFault */
    [4] = fault,  /* MemManage */
    [5] = fault,  /* BusFault */
    [6] = fault,  /* UsageFault */
    [11] = unused, /* SVC */
    [14] = unused, /* PendSV */
    [15] = unused, /* SysTick */
    [16 + 8] = board_timer0_irq,
    [16 + 9] = board_timer1_irq,
};

void Reset_Handler(void)
{
    /* CP10/CP11 full access: the single-precision FPU */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm volatile("dsb\n isb");
    memcpy(&_sdata, &_sidata, (size_t)((char *)&_edata - (char *)&_sdata));
    memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
    /* paint the stack below us (a margin above what this function uses) */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &_stack_limit; p < sp - 64; p++)
        *p = STACK_PAINT;
    board_semihost_init();
    board_timer_init();
    __libc_init_array();
    board_exit(main());
}

size_t board_stack_peak(void)
{
    const uint32_t *p = &_stack_limit;
    while (p < &_estack && *p == STACK_PAINT)
        p++;
    return (size_t)((const char *)&_estack - (const char *)p);
}

/* newlib's __libc_init_array calls these (crti.o is not linked: -nostartfiles) */
void _init(void);
void _fini(void);
void _init(void)
{
}
void _fini(void)
{
}
