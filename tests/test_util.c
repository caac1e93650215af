#include "test_util.h"

#include "plc_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* plc_rng's state is the splitmix64 counter, so a uint64_t seed can be its state. */
uint64_t tu_rand(uint64_t *s)
{
    plc_rng r = {.s = *s};
    uint64_t v = plc_rng_next(&r);
    *s = r.s;
    return v;
}

unsigned tu_rand_below(uint64_t *s, unsigned n)
{
    return (unsigned)(tu_rand(s) % n);
}

double tu_gauss(uint64_t *s)
{
    plc_rng r = {.s = *s};
    double g = plc_rng_gauss(&r);
    *s = r.s;
    return g;
}

void tu_rand_bytes(uint64_t *s, uint8_t *buf, size_t n)
{
    for (size_t k = 0; k < n; k++)
        buf[k] = (uint8_t)tu_rand(s);
}

void tu_rand_bits(uint64_t *s, uint8_t *bits, size_t n)
{
    for (size_t k = 0; k < n; k++)
        bits[k] = (uint8_t)(tu_rand(s) & 1u);
}

const char *tu_vector_path(const char *relative)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", PLC_VECTORS_DIR, relative);
    return path;
}

int tu_vector_line(const char *file, const char *key, char *out, size_t outlen)
{
    FILE *f = fopen(tu_vector_path(file), "r");
    if (!f)
        return -1;
    static char line[65536];
    size_t klen = strlen(key);
    int rc = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t')) {
            snprintf(out, outlen, "%s", line + klen + 1);
            out[strcspn(out, "\r\n")] = 0;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t tu_hex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;
    int hi = -1;
    if (s[0] == '-' && s[1] == 0)
        return 0;
    for (; *s && n < max; s++) {
        const int v = nibble(*s);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int tu_parse_hex(const char *s, uint8_t *out, int max)
{
    int n = 0;
    char *end;
    while (n < max) {
        unsigned long v = strtoul(s, &end, 16);
        if (end == s)
            break;
        out[n++] = (uint8_t)v;
        s = end;
    }
    return n;
}

int tu_parse_dec(const char *s, int *out, int max)
{
    int n = 0;
    char *end;
    while (n < max) {
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        out[n++] = (int)v;
        s = end;
    }
    return n;
}

int8_t tu_awgn_llr(uint64_t *s, uint8_t bit, double sigma, double scale)
{
    double y = (bit ? -1.0 : 1.0) + sigma * tu_gauss(s);
    double q = round(y * scale);
    if (q > 127)
        q = 127;
    if (q < -127)
        q = -127;
    return (int8_t)q;
}
