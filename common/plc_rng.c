#include "plc_rng.h"

#include <math.h>

void plc_rng_seed(plc_rng *r, uint64_t seed)
{
    r->s = seed;
    r->has_spare = 0;
}

uint64_t plc_rng_next(plc_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double plc_rng_uniform(plc_rng *r)
{
    return ((double)(plc_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller: one pair of uniforms gives two independent normals; the second is kept. */
double plc_rng_gauss(plc_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    const double u1 = plc_rng_uniform(r), u2 = plc_rng_uniform(r);
    const double rad = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
    r->spare = rad * sin(a);
    r->has_spare = 1;
    return rad * cos(a);
}
