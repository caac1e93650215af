/* Real-time backend of plc_loop: CLOCK_MONOTONIC for time, zmq_poll to wait for
 * descriptors and ZeroMQ sockets (zmq_poll takes both) and for the next timer through a
 * timerfd in the same poll set, armed at the timer's due time to the nanosecond: zmq_poll's
 * own timeout counts whole milliseconds, which made a 1.39 ms slot timer fire up to 1 ms
 * late. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "plc_err.h"
#include "plc_loop_impl.h"
#include "plc_loop_posix.h"

#define MAX_IO 64
/* The kernel wakes a sleeping thread some 70-150 us after a timer expires on a virtual
 * machine, now and then 200 us or more (measured by bench_loop): the timerfd is armed this
 * much before a timer is due and the rest is waited out on the clock. With 200 us the 99th
 * percentile of a slot timer's lateness was 76-153 us over runs, with 400 us 34-92 us. The
 * cost is up to this much CPU per timer. */
#define SPIN_US 400

typedef struct io_entry {
    plc_io_fn fn;
    void *user;
} io_entry;

typedef struct posix_backend {
    struct timespec origin;
    int tfd;                          /* timerfd of the next timer */
    zmq_pollitem_t items[MAX_IO + 1]; /* the descriptors, then the timerfd */
    io_entry io[MAX_IO];
    unsigned nio;
} posix_backend;

static uint64_t elapsed_us(const posix_backend *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)(ts.tv_sec - b->origin.tv_sec) * 1000000u +
           (uint64_t)((ts.tv_nsec - b->origin.tv_nsec) / 1000);
}

static long run_posix(plc_loop *l, uint64_t until_us);
static void destroy_posix(plc_loop *l);
static const plc_loop_ops posix_ops = {run_posix, destroy_posix};

plc_loop *plc_loop_posix_create(unsigned max_timers)
{
    posix_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    plc_loop *l = b->tfd >= 0 ? plc_loop_alloc(&posix_ops, max_timers) : NULL;
    if (!l) {
        if (b->tfd >= 0)
            close(b->tfd);
        free(b);
        return NULL;
    }
    /* the kernel's default timer slack (50 us) would add to every wake-up */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    l->backend = b;
    clock_gettime(CLOCK_MONOTONIC, &b->origin); /* the last thing: loop time 0 is the return */
    return l;
}

static void destroy_posix(plc_loop *l)
{
    posix_backend *b = l->backend;
    close(b->tfd);
    free(b);
}

/* Arms the timerfd at loop time wake_us (PLC_LOOP_FOREVER: disarms it). */
static int arm(posix_backend *b, uint64_t wake_us)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (wake_us != PLC_LOOP_FOREVER) {
        const uint64_t ns = (uint64_t)b->origin.tv_nsec + (wake_us % 1000000u) * 1000u;
        its.it_value.tv_sec = b->origin.tv_sec + (time_t)(wake_us / 1000000u + ns / 1000000000u);
        its.it_value.tv_nsec = (long)(ns % 1000000000u);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1; /* all zero would disarm */
    }
    return timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int plc_loop_add_io(plc_loop *l, int fd, void *zsock, short events, plc_io_fn fn, void *user)
{
    if (!l || l->ops != &posix_ops || !fn || (!zsock && fd < 0))
        return PLC_ERR_ARG;
    posix_backend *b = l->backend;
    if (b->nio == MAX_IO)
        return PLC_ERR_FULL;
    b->items[b->nio] = (zmq_pollitem_t){.socket = zsock, .fd = zsock ? 0 : fd, .events = events};
    b->io[b->nio] = (io_entry){fn, user};
    b->nio++;
    return PLC_OK;
}

int plc_loop_remove_io(plc_loop *l, int fd, void *zsock)
{
    if (!l || l->ops != &posix_ops)
        return PLC_ERR_ARG;
    posix_backend *b = l->backend;
    for (unsigned i = 0; i < b->nio; i++) {
        if (b->items[i].socket == zsock && (zsock || b->items[i].fd == fd)) {
            memmove(&b->items[i], &b->items[i + 1], (b->nio - i - 1) * sizeof(b->items[0]));
            memmove(&b->io[i], &b->io[i + 1], (b->nio - i - 1) * sizeof(b->io[0]));
            b->nio--;
            return PLC_OK;
        }
    }
    return PLC_ERR_ARG;
}

static long run_posix(plc_loop *l, uint64_t until_us)
{
    posix_backend *b = l->backend;
    long done = 0;
    while (!l->stop) {
        l->now_us = elapsed_us(b);
        while (!l->stop && plc_loop_next(l) && plc_loop_next(l)->due_us <= l->now_us) {
            plc_loop_fire_next(l);
            done++;
        }
        if (l->stop || l->now_us >= until_us || (!plc_loop_next(l) && b->nio == 0 &&
                                                 until_us == PLC_LOOP_FOREVER))
            break;
        uint64_t wake = until_us;
        if (plc_loop_next(l) && plc_loop_next(l)->due_us < wake)
            wake = plc_loop_next(l)->due_us;
        if (wake != PLC_LOOP_FOREVER && wake <= l->now_us + SPIN_US) {
            while (elapsed_us(b) < wake) {
                /* due within SPIN_US: wait it out on the clock (I/O is polled after) */
            }
            if (b->nio == 0)
                continue;
            wake = l->now_us; /* poll the descriptors without sleeping */
        } else if (wake != PLC_LOOP_FOREVER) {
            wake -= SPIN_US;
        }
        if (arm(b, wake) != 0)
            return PLC_ERR_IO;
        const unsigned n = b->nio;
        b->items[n] = (zmq_pollitem_t){.fd = b->tfd, .events = ZMQ_POLLIN};
        if (zmq_poll(b->items, (int)n + 1, -1) < 0)
            return PLC_ERR_IO;
        if (b->items[n].revents) { /* clear it; EAGAIN (already cleared) is harmless */
            uint64_t expirations;
            const ssize_t got = read(b->tfd, &expirations, sizeof(expirations));
            (void)got;
        }
        l->now_us = elapsed_us(b);
        for (unsigned i = 0; i < n && i < b->nio && !l->stop; i++) {
            if (b->items[i].revents) {
                b->io[i].fn(l, b->items[i].fd, b->items[i].socket, b->items[i].revents,
                            b->io[i].user);
                done++;
            }
        }
    }
    return done;
}
