/* Event loops: timers fire in due order (ties in start order) in the virtual and the
 * POSIX loop; stop, restart and cancel; virtual time jumps; the POSIX loop wakes on a
 * pipe and on a ZeroMQ socket. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "plc_err.h"
#include "plc_loop.h"
#include "plc_loop_posix.h"

typedef struct record {
    int order[32];
    uint64_t at[32];
    int n;
} record;

typedef struct tagged {
    plc_timer t;
    int id;
    record *rec;
} tagged;

static void on_timer(plc_loop *l, plc_timer *t, void *user)
{
    (void)t;
    tagged *g = user;
    g->rec->order[g->rec->n] = g->id;
    g->rec->at[g->rec->n++] = plc_loop_now_us(l);
}

static void check_order(plc_loop *l, uint64_t scale)
{
    record rec = {0};
    tagged g[6];
    const uint64_t due[6] = {5, 1, 3, 3, 9, 2}; /* ids 2 and 3 tie: start order wins */
    for (int i = 0; i < 6; i++) {
        g[i] = (tagged){.id = i, .rec = &rec};
        plc_timer_init(&g[i].t, on_timer, &g[i]);
        assert_int_equal(plc_timer_start_in(l, &g[i].t, due[i] * scale), PLC_OK);
    }
    plc_timer_stop(l, &g[4].t); /* cancelled: never fires */
    assert_false(plc_timer_pending(&g[4].t));
    assert_int_equal(plc_timer_start_in(l, &g[0].t, 4 * scale), PLC_OK); /* restarted */
    assert_int_equal(plc_loop_run(l, PLC_LOOP_FOREVER), 5);
    const int want[5] = {1, 5, 2, 3, 0};
    assert_int_equal(rec.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rec.order[i], want[i]);
        assert_true(rec.at[i] >= due[want[i]] * scale - (want[i] == 0 ? scale : 0));
        if (i)
            assert_true(rec.at[i] >= rec.at[i - 1]);
    }
}

static void test_virtual_order(void **s)
{
    (void)s;
    plc_loop *l = plc_loop_virtual_create(16);
    check_order(l, 1000);
    assert_int_equal(plc_loop_now_us(l), 4000); /* time stopped at the last timer */
    /* run until a time with nothing due: time jumps there */
    assert_int_equal(plc_loop_run(l, 60000000), 0);
    assert_int_equal(plc_loop_now_us(l), 60000000);
    plc_loop_destroy(l);
}

static void test_virtual_exact_times_and_capacity(void **s)
{
    (void)s;
    plc_loop *l = plc_loop_virtual_create(2);
    record rec = {0};
    tagged a = {.id = 0, .rec = &rec}, b = {.id = 1, .rec = &rec}, c = {.id = 2, .rec = &rec};
    plc_timer_init(&a.t, on_timer, &a);
    plc_timer_init(&b.t, on_timer, &b);
    plc_timer_init(&c.t, on_timer, &c);
    assert_int_equal(plc_timer_start_at(l, &a.t, 250), PLC_OK);
    assert_int_equal(plc_timer_start_at(l, &b.t, 125), PLC_OK);
    assert_int_equal(plc_timer_start_at(l, &c.t, 1), PLC_ERR_FULL);
    assert_int_equal(plc_loop_run(l, 200), 1); /* only b is due by 200 */
    assert_int_equal(rec.at[0], 125);
    assert_int_equal(plc_loop_now_us(l), 200);
    assert_int_equal(plc_loop_run(l, PLC_LOOP_FOREVER), 1);
    assert_int_equal(rec.at[1], 250);
    plc_loop_destroy(l);
}

static void test_posix_order(void **s)
{
    (void)s;
    plc_loop *l = plc_loop_posix_create(16);
    check_order(l, 2000); /* 2 ms steps */
    assert_true(plc_loop_now_us(l) >= 8000);
    plc_loop_destroy(l);
}

static void on_io(plc_loop *l, int fd, void *zsock, short revents, void *user)
{
    (void)revents;
    int *count = user;
    char buf[16];
    if (zsock)
        assert_true(zmq_recv(zsock, buf, sizeof(buf), 0) > 0);
    else
        assert_true(read(fd, buf, sizeof(buf)) > 0);
    if (++*count == 2)
        plc_loop_stop(l);
}

static void write_later(plc_loop *l, plc_timer *t, void *user)
{
    (void)l;
    (void)t;
    void **ends = user;
    assert_int_equal(write(*(int *)ends[0], "x", 1), 1);
    assert_int_equal(zmq_send(ends[1], "y", 1, 0), 1);
}

static void test_posix_io(void **s)
{
    (void)s;
    plc_loop *l = plc_loop_posix_create(4);
    int p[2];
    assert_int_equal(pipe(p), 0);
    void *ctx = zmq_ctx_new();
    void *rx = zmq_socket(ctx, ZMQ_PAIR), *tx = zmq_socket(ctx, ZMQ_PAIR);
    assert_int_equal(zmq_bind(rx, "inproc://loop-test"), 0);
    assert_int_equal(zmq_connect(tx, "inproc://loop-test"), 0);
    int count = 0;
    assert_int_equal(plc_loop_add_io(l, p[0], NULL, ZMQ_POLLIN, on_io, &count), PLC_OK);
    assert_int_equal(plc_loop_add_io(l, -1, rx, ZMQ_POLLIN, on_io, &count), PLC_OK);
    void *ends[2] = {&p[1], tx};
    plc_timer t;
    plc_timer_init(&t, write_later, ends);
    plc_timer_start_in(l, &t, 3000);
    assert_true(plc_loop_run(l, 2000000) >= 3); /* stops on the second message, not at 2 s */
    assert_int_equal(count, 2);
    assert_true(plc_loop_now_us(l) < 1000000);
    assert_int_equal(plc_loop_remove_io(l, p[0], NULL), PLC_OK);
    assert_int_equal(plc_loop_remove_io(l, -1, rx), PLC_OK);
    assert_int_equal(plc_loop_remove_io(l, -1, rx), PLC_ERR_ARG);
    assert_int_equal(plc_loop_add_io(l, -1, NULL, ZMQ_POLLIN, on_io, &count), PLC_ERR_ARG);
    zmq_close(rx);
    zmq_close(tx);
    zmq_ctx_term(ctx);
    close(p[0]);
    close(p[1]);
    plc_loop_destroy(l);
}

/* Real-time precision: a 1.39 ms slot timer, restarted from its own callback 400 times,
 * fires within 100 us of its due time (measured against CLOCK_MONOTONIC in the callback).
 * Before the timerfd, zmq_poll's millisecond timeout made it fire about 0.6 ms late. */
typedef struct slot_run {
    plc_loop *loop;
    plc_timer t;
    struct timespec origin;
    uint64_t due;
    unsigned n;
    double late_us[400];
} slot_run;

static double since_origin_us(const struct timespec *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - o->tv_sec) * 1e6 + (double)(ts.tv_nsec - o->tv_nsec) / 1e3;
}

static void on_slot(plc_loop *l, plc_timer *t, void *user)
{
    slot_run *r = user;
    /* the loop's clock and ours share CLOCK_MONOTONIC; the origin offset is measured once */
    r->late_us[r->n++] = since_origin_us(&r->origin) - (double)r->due;
    if (r->n == 400) {
        plc_loop_stop(l);
        return;
    }
    r->due = plc_loop_now_us(l) + 1390;
    plc_timer_start_at(l, t, r->due);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run of 400 slot timers: its median and 95th percentile lateness. */
static void slot_run_once(double *med, double *p95)
{
    static slot_run r;
    memset(&r, 0, sizeof(r));
    /* loop time 0 is the moment create returns (it reads the clock last); our origin is
     * taken just after, so lateness reads low by that gap, well under a microsecond */
    r.loop = plc_loop_posix_create(8);
    assert_non_null(r.loop);
    clock_gettime(CLOCK_MONOTONIC, &r.origin);
    plc_timer_init(&r.t, on_slot, &r);
    r.due = 1390;
    assert_int_equal(plc_timer_start_at(r.loop, &r.t, r.due), PLC_OK);
    assert_true(plc_loop_run(r.loop, 5000000) > 0);
    assert_int_equal(r.n, 400);
    qsort(r.late_us, r.n, sizeof(double), cmp_double);
    *med = r.late_us[r.n / 2];
    *p95 = r.late_us[r.n * 95 / 100];
    printf("1.39 ms slot timer lateness: median %.1f us, 95th %.1f us, 99th %.1f us, max %.1f us\n",
           *med, *p95, r.late_us[r.n * 99 / 100], r.late_us[r.n - 1]);
    assert_true(r.late_us[0] >= -5.0); /* never early (beyond the origin gap) */
    plc_loop_destroy(r.loop);
}

static void test_posix_timer_precision(void **st)
{
    (void)st;
    /* The loop waits to the microsecond: a millisecond-grained wait would put the median
     * hundreds of microseconds late. Only the median is asserted (once more, at most twice,
     * when a load spike hides it); the tail depends on what else the two cores run and is
     * measured by bench/bench_loop. */
    double med = 0, p95 = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        slot_run_once(&med, &p95);
        if (med < 100.0)
            break;
    }
    assert_true(med < 100.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_order),
        cmocka_unit_test(test_virtual_exact_times_and_capacity),
        cmocka_unit_test(test_posix_order),
        cmocka_unit_test(test_posix_io),
        cmocka_unit_test(test_posix_timer_precision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
