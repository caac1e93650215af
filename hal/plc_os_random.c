#define _DEFAULT_SOURCE
#include <sys/random.h>

#include "plc_os_random.h"

void plc_os_random(void *user, uint8_t *out, size_t n)
{
    (void)user;
    while (n) { /* a signal may cut a large draw short: go on with the rest */
        const ssize_t k = getrandom(out, n, 0);
        if (k > 0) {
            out += k;
            n -= (size_t)k;
        }
    }
}
