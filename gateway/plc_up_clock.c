#include "plc_up_clock.h"

#include <stdlib.h>

void plc_up_clock_init(plc_up_clock *c, unsigned samples, int64_t threshold_ms)
{
    c->want = samples < 3 ? 3 : samples > PLC_UP_CLOCK_MAX_SAMPLES ? PLC_UP_CLOCK_MAX_SAMPLES
                                                                   : samples;
    c->n = 0;
    c->threshold_ms = threshold_ms;
}

static int cmp(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int plc_up_clock_sample(plc_up_clock *c, int64_t t1, int64_t t2, int64_t t3, int64_t t4,
                        int64_t *offset_ms, int *step)
{
    if (t4 < t1 || t3 < t2 || (t4 - t1) < (t3 - t2))
        return -1;
    c->offset[c->n++] = ((t2 - t1) + (t3 - t4)) / 2;
    if (c->n < c->want)
        return 0;
    qsort(c->offset, c->n, sizeof(c->offset[0]), cmp);
    int64_t sum = 0;
    for (unsigned i = 1; i + 1 < c->n; i++) /* the smallest and the largest dropped */
        sum += c->offset[i];
    *offset_ms = sum / (int64_t)(c->n - 2);
    *step = llabs(*offset_ms) > c->threshold_ms;
    c->n = 0;
    return 1;
}
