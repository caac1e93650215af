/* The board's clock and the event loop's MCU backend, on the two CMSDK APB timers of the
 * MPS2 (25 MHz): timer 0 free-runs (its wrap interrupt extends it to 64 bits), timer 1 is
 * the alarm armed for the next due timer. Between timers the core sleeps in WFI. */
#include <stdint.h>

#include "board.h"
#include "plc_loop_impl.h"

#define TIMER0 0x40000000u
#define TIMER1 0x40001000u
#define CTRL 0x0
#define VALUE 0x4
#define RELOAD 0x8
#define INTCLEAR 0xC
#define CTRL_ENABLE 0x1u
#define CTRL_IRQ 0x8u
#define NVIC_ISER 0xE000E100u
#define TICKS_PER_US 25u

static volatile uint32_t wraps; /* timer 0 wraps (2^32 ticks each) */
static volatile int alarm;

static volatile uint32_t *reg(uint32_t base, uint32_t off)
{
    return (volatile uint32_t *)(base + off);
}

void board_timer_init(void)
{
    *reg(TIMER0, RELOAD) = 0xFFFFFFFFu;
    *reg(TIMER0, VALUE) = 0xFFFFFFFFu;
    *reg(TIMER0, CTRL) = CTRL_ENABLE | CTRL_IRQ;
    *(volatile uint32_t *)NVIC_ISER = (1u << 8) | (1u << 9);
}

void board_timer0_irq(void)
{
    *reg(TIMER0, INTCLEAR) = 1;
    wraps++;
}

void board_timer1_irq(void)
{
    *reg(TIMER1, INTCLEAR) = 1;
    *reg(TIMER1, CTRL) = 0;
    alarm = 1;
}

static uint64_t ticks(void)
{
    for (;;) {
        const uint32_t w = wraps, v = *reg(TIMER0, VALUE);
        if (w == wraps) /* no wrap in between */
            return ((uint64_t)w << 32) + (0xFFFFFFFFu - v);
    }
}

uint64_t board_now_us(void)
{
    return ticks() / TICKS_PER_US;
}

uint64_t board_instructions(void)
{
    return ticks() * (1000u / TICKS_PER_US); /* 1 ns a instruction under -icount shift=0 */
}

static void arm_alarm(uint64_t in_us)
{
    uint64_t t = in_us * TICKS_PER_US;
    if (t == 0)
        t = 1;
    if (t > 0xFFFFFFFFu)
        t = 0xFFFFFFFFu; /* woken early, the loop re-arms */
    alarm = 0;
    *reg(TIMER1, CTRL) = 0;
    *reg(TIMER1, RELOAD) = (uint32_t)t;
    *reg(TIMER1, VALUE) = (uint32_t)t;
    *reg(TIMER1, CTRL) = CTRL_ENABLE | CTRL_IRQ;
}

static long run_mcu(plc_loop *l, uint64_t until_us)
{
    long fired = 0;
    while (!l->stop) {
        l->now_us = board_now_us();
        while (!l->stop && plc_loop_next(l) && plc_loop_next(l)->due_us <= l->now_us) {
            plc_loop_fire_next(l);
            fired++;
        }
        if (l->stop || l->now_us >= until_us || (!plc_loop_next(l) && until_us == PLC_LOOP_FOREVER))
            break;
        uint64_t wake = until_us;
        if (plc_loop_next(l) && plc_loop_next(l)->due_us < wake)
            wake = plc_loop_next(l)->due_us;
        /* with interrupts masked no alarm slips in between the test and the WFI (a pending
         * interrupt still ends the WFI; it is taken once unmasked) */
        __asm volatile("cpsid i" ::: "memory");
        arm_alarm(wake - l->now_us);
        while (!alarm) {
            __asm volatile("wfi\n cpsie i\n isb\n cpsid i" ::: "memory");
        }
        __asm volatile("cpsie i" ::: "memory");
    }
    return fired;
}

static const plc_loop_ops mcu_ops = {run_mcu, NULL};

plc_loop *board_loop_create(unsigned max_timers)
{
    plc_loop *l = plc_loop_alloc(&mcu_ops, max_timers);
    if (l)
        l->now_us = board_now_us();
    return l;
}
