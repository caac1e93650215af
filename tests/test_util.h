/* Helpers shared by the cmocka tests: a seeded generator, Gaussian noise, and readers for
 * the "key value value ..." lines of the files in vectors/. */
#ifndef PLC_TEST_UTIL_H
#define PLC_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Thin wrappers over the project generator (sim/plc_rng) with the seed as the state:
 * tests are deterministic for a given seed. */
uint64_t tu_rand(uint64_t *state);
unsigned tu_rand_below(uint64_t *state, unsigned n);
double tu_gauss(uint64_t *state);
void tu_rand_bytes(uint64_t *state, uint8_t *buf, size_t n);
void tu_rand_bits(uint64_t *state, uint8_t *bits, size_t n);

/* Path of a file under the project's vectors/ directory. */
const char *tu_vector_path(const char *relative);

/* Finds the first line of file starting with key (followed by a space) and copies the
 * rest of the line to out. Returns 0 on success, -1 if not found. */
int tu_vector_line(const char *file, const char *key, char *out, size_t outlen);

/* Parses a string of hex digit pairs (spaces skipped, either case; "-" is empty) into at
 * most max bytes; returns the count. */
size_t tu_hex(const char *s, uint8_t *out, size_t max);

/* Parses whitespace-separated hex bytes / decimal numbers; returns the count. */
int tu_parse_hex(const char *s, uint8_t *out, int max);
int tu_parse_dec(const char *s, int *out, int max);

/* Soft value (int8 LLR, positive = 0) of a BPSK bit through AWGN: amplitude +/-1, noise
 * sigma, quantised as round(y * scale) saturated to +/-127. */
int8_t tu_awgn_llr(uint64_t *state, uint8_t bit, double sigma, double scale);

#endif
