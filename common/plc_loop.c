/* Timers and the clock of the event loop: a binary heap of fixed capacity, ties broken by
 * start order. */
#include "plc_loop_impl.h"

#include <stdlib.h>

#include "plc_err.h"

void plc_timer_init(plc_timer *t, plc_timer_fn fn, void *user)
{
    t->due_us = 0;
    t->seq = 0;
    t->fn = fn;
    t->user = user;
    t->slot = -1;
}

int plc_timer_pending(const plc_timer *t)
{
    return t->slot >= 0;
}

uint64_t plc_loop_now_us(const plc_loop *l)
{
    return l->now_us;
}

static int earlier(const plc_timer *a, const plc_timer *b)
{
    return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_set(plc_loop *l, unsigned i, plc_timer *t)
{
    l->heap[i] = t;
    t->slot = (int)i;
}

static void sift_up(plc_loop *l, unsigned i)
{
    plc_timer *t = l->heap[i];
    while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
        heap_set(l, i, l->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(l, i, t);
}

static void sift_down(plc_loop *l, unsigned i)
{
    plc_timer *t = l->heap[i];
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= l->n)
            break;
        if (c + 1 < l->n && earlier(l->heap[c + 1], l->heap[c]))
            c++;
        if (!earlier(l->heap[c], t))
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void plc_timer_stop(plc_loop *l, plc_timer *t)
{
    if (t->slot < 0)
        return;
    const unsigned i = (unsigned)t->slot;
    t->slot = -1;
    l->n--;
    if (i == l->n)
        return;
    plc_timer *moved = l->heap[l->n];
    heap_set(l, i, moved);
    sift_up(l, i);
    sift_down(l, (unsigned)moved->slot);
}

int plc_timer_start_at(plc_loop *l, plc_timer *t, uint64_t due_us)
{
    if (!l || !t || !t->fn)
        return PLC_ERR_ARG;
    plc_timer_stop(l, t);
    if (l->n == l->cap)
        return PLC_ERR_FULL;
    t->due_us = due_us < l->now_us ? l->now_us : due_us;
    t->seq = l->seq++;
    l->heap[l->n] = t;
    t->slot = (int)l->n++;
    sift_up(l, (unsigned)t->slot);
    return PLC_OK;
}

int plc_timer_start_in(plc_loop *l, plc_timer *t, uint64_t delay_us)
{
    if (!l)
        return PLC_ERR_ARG;
    return plc_timer_start_at(l, t, l->now_us + delay_us);
}

plc_timer *plc_loop_next(const plc_loop *l)
{
    return l->n ? l->heap[0] : NULL;
}

void plc_loop_fire_next(plc_loop *l)
{
    plc_timer *t = l->heap[0];
    plc_timer_stop(l, t);
    if (t->due_us > l->now_us)
        l->now_us = t->due_us;
    t->fn(l, t, t->user);
}

plc_loop *plc_loop_alloc(const plc_loop_ops *ops, unsigned max_timers)
{
    plc_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->ops = ops;
    l->cap = max_timers;
    l->heap = calloc(max_timers ? max_timers : 1, sizeof(plc_timer *));
    if (!l->heap) {
        free(l);
        return NULL;
    }
    return l;
}

long plc_loop_run(plc_loop *l, uint64_t until_us)
{
    if (!l)
        return PLC_ERR_ARG;
    l->stop = 0;
    return l->ops->run(l, until_us);
}

void plc_loop_stop(plc_loop *l)
{
    l->stop = 1;
}

void plc_loop_destroy(plc_loop *l)
{
    if (!l)
        return;
    if (l->ops->destroy)
        l->ops->destroy(l);
    free(l->heap);
    free(l);
}
