/* File backend of plc_port. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_port_impl.h"

typedef struct file_port {
    plc_port base;
    float *in;
    size_t in_n, pos, chunk;
    char *out_path;
    plc_sample_format out_fmt;
    float *out;
    size_t out_n, out_cap;
    plc_loop *loop;
    plc_timer tick;
    plc_port_sink sink;
    void *user;
} file_port;

static int file_start(plc_port *base, plc_loop *loop, plc_port_sink sink, void *user);
static int file_transmit(plc_port *base, uint64_t at, const float *x, size_t n);
static int file_close(plc_port *base);
static const plc_port_ops file_ops = {file_start, file_transmit, file_close};

static void on_tick(plc_loop *loop, plc_timer *t, void *user)
{
    file_port *p = user;
    const size_t n = p->in_n - p->pos < p->chunk ? p->in_n - p->pos : p->chunk;
    p->sink(p->in + p->pos, n, p->pos, p->user);
    p->pos += n;
    p->base.stats.received += n;
    if (n > 0) /* the chunk after the last one is the end-of-stream call (n = 0) */
        plc_timer_start_in(loop, t, (uint64_t)p->chunk * 5 / 2);
}

plc_port *plc_port_file_create(const char *in_path, plc_sample_format in_fmt,
                               const char *out_path, plc_sample_format out_fmt, size_t chunk,
                               char *err, size_t errlen)
{
    if (chunk == 0 || chunk > 4000000 || chunk % 2) {
        snprintf(err, errlen, "chunk must be an even number of samples, 2..4000000");
        return NULL;
    }
    file_port *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->base.ops = &file_ops;
    p->chunk = chunk;
    p->out_fmt = out_fmt;
    if (in_path && plc_samplefile_load(in_path, in_fmt, &p->in, &p->in_n, err, errlen) != 0) {
        free(p);
        return NULL;
    }
    if (out_path && !(p->out_path = strdup(out_path))) {
        free(p->in);
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    plc_timer_init(&p->tick, on_tick, p);
    return &p->base;
}

static int file_start(plc_port *base, plc_loop *loop, plc_port_sink sink, void *user)
{
    file_port *p = (file_port *)base;
    p->loop = loop;
    p->sink = sink;
    p->user = user;
    /* the first chunk is complete once its duration has passed (2.5 us per sample) */
    return plc_timer_start_in(loop, &p->tick, (uint64_t)p->chunk * 5 / 2);
}

static int file_transmit(plc_port *base, uint64_t at, const float *x, size_t n)
{
    file_port *p = (file_port *)base;
    if (at > 400000ull * 3600 * 24)
        return PLC_ERR_ARG;
    p->base.stats.bursts++;
    if (!p->out_path)
        return PLC_OK;
    const size_t end = (size_t)at + n;
    if (end > p->out_cap) {
        size_t cap = p->out_cap ? p->out_cap : 65536;
        while (cap < end)
            cap *= 2;
        float *o = realloc(p->out, cap * sizeof(float));
        if (!o)
            return PLC_ERR_NOMEM;
        memset(o + p->out_cap, 0, (cap - p->out_cap) * sizeof(float));
        p->out = o;
        p->out_cap = cap;
    }
    for (size_t i = 0; i < n; i++) /* overlapping bursts add up, as on a line */
        p->out[at + i] += x[i];
    if (end > p->out_n)
        p->out_n = end;
    return PLC_OK;
}

static int file_close(plc_port *base)
{
    file_port *p = (file_port *)base;
    if (p->loop)
        plc_timer_stop(p->loop, &p->tick);
    int rc = PLC_OK;
    if (p->out_path)
        rc = plc_samplefile_write(p->out_path, p->out_fmt, p->out, p->out_n);
    free(p->in);
    free(p->out);
    free(p->out_path);
    free(p);
    return rc;
}
