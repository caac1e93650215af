/* Reed-Solomon over GF(256), field polynomial x^8+x^4+x^3+x^2+1 (0x11D), alpha = 2,
 * generator roots alpha^1 .. alpha^nroots, systematic with the parity after the data.
 * G3-PLC uses nroots = 16 (t = 8) for normal modes and 8 (t = 4) for ROBO, shortened to
 * the PSDU length: a codeword is k data bytes + nroots parity bytes, k + nroots <= 255.
 *
 * The decoder corrects e errors and s erasures when 2e + s <= nroots. Anything it can
 * detect beyond that (locator degree inconsistent with its roots, a root outside the
 * shortened codeword) is reported as PLC_ERR_UNCORRECTABLE and the buffer is left
 * untouched. All tables live in the object: no allocation after create. */
#ifndef PLC_RS_H
#define PLC_RS_H

#include <stddef.h>
#include <stdint.h>

#define PLC_RS_MAX_NROOTS 32

typedef struct plc_rs plc_rs;

/* nroots: even, 2..32. Returns NULL on bad argument or out of memory. */
plc_rs *plc_rs_create(unsigned nroots);
void plc_rs_destroy(plc_rs *rs);
unsigned plc_rs_nroots(const plc_rs *rs);

/* Generator polynomial coefficients, highest degree first (nroots + 1 values). */
void plc_rs_generator(const plc_rs *rs, uint8_t *coef);

/* Computes the nroots parity bytes of k data bytes (1 <= k <= 255 - nroots). */
int plc_rs_encode(const plc_rs *rs, const uint8_t *data, size_t k, uint8_t *parity);

/* Decodes a codeword of n bytes (data then parity) in place. erasures: positions
 * (0..n-1) of bytes known to be unreliable, may be NULL when n_erasures is 0.
 * error_pos, if not NULL, receives the corrected positions (room for nroots entries).
 * Returns the number of bytes corrected (>= 0), PLC_ERR_UNCORRECTABLE, or PLC_ERR_ARG /
 * PLC_ERR_LENGTH for bad arguments. */
int plc_rs_decode(const plc_rs *rs, uint8_t *codeword, size_t n, const int *erasures,
                  int n_erasures, int *error_pos);

#endif
