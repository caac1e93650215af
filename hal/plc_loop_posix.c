/* Real-time backend of plc_loop: CLOCK_MONOTONIC for time, zmq_poll to wait for the next
 * timer or for descriptors and ZeroMQ sockets (zmq_poll takes both). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "plc_err.h"
#include "plc_loop_impl.h"

#define MAX_IO 64

typedef struct io_entry {
    plc_io_fn fn;
    void *user;
} io_entry;

typedef struct posix_backend {
    struct timespec origin;
    zmq_pollitem_t items[MAX_IO];
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

plc_loop *plc_loop_posix_create(unsigned max_timers)
{
    plc_loop *l = calloc(1, sizeof(*l));
    posix_backend *b = calloc(1, sizeof(*b));
    if (!l || !b || plc_loop_init(l, PLC_LOOP_POSIX, max_timers) != PLC_OK) {
        free(l);
        free(b);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &b->origin);
    l->backend = b;
    return l;
}

void plc_loop_destroy_posix(plc_loop *l)
{
    free(l->backend);
}

int plc_loop_add_io(plc_loop *l, int fd, void *zsock, short events, plc_io_fn fn, void *user)
{
    if (!l || l->kind != PLC_LOOP_POSIX || !fn || (!zsock && fd < 0))
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
    if (!l || l->kind != PLC_LOOP_POSIX)
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

long plc_loop_run_posix(plc_loop *l, uint64_t until_us)
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
        long timeout_ms = -1;
        if (wake != PLC_LOOP_FOREVER)
            timeout_ms = (long)((wake - l->now_us + 999) / 1000);
        const unsigned n = b->nio;
        if (zmq_poll(b->items, (int)n, timeout_ms) < 0)
            return PLC_ERR_IO;
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
