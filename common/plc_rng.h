/* The project's seeded random generator (splitmix64). Everything random in simulations,
 * tests, tools and benchmarks draws from one of these, so a seed reproduces a run bit for
 * bit. */
#ifndef PLC_RNG_H
#define PLC_RNG_H

#include <stdint.h>

typedef struct plc_rng {
    uint64_t s;
    double spare; /* second value of the last Box-Muller pair */
    int has_spare;
} plc_rng;

void plc_rng_seed(plc_rng *r, uint64_t seed);
uint64_t plc_rng_next(plc_rng *r);
double plc_rng_uniform(plc_rng *r); /* (0, 1) */
double plc_rng_gauss(plc_rng *r);   /* N(0, 1) */

#endif
