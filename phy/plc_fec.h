/* The PHY coding chain, transmit order:
 *   payload: PSDU (zero-padded to capacity) -> scrambler -> Reed-Solomon -> K=7 conv code
 *            (+6 tail) -> repetition (ROBO x4) -> pad bits -> 2-D interleaver
 *   header:  FCH bits -> conv code (+6 tail) -> repetition x6 -> pad -> 2-D interleaver
 * and the inverse on soft bits (int8 LLRs, positive = 0), in the interleaved order the
 * mapper uses (plc_interleaver.h). One plc_fec object holds the RS codecs, the Viterbi
 * decoder and scratch for the largest frame; nothing is allocated after create. */
#ifndef PLC_FEC_H
#define PLC_FEC_H

#include <stddef.h>
#include <stdint.h>

#include "plc_phy_params.h"

typedef struct plc_fec plc_fec;

plc_fec *plc_fec_create(void);
void plc_fec_destroy(plc_fec *fec);

/* Optional per-stage copies of the transmit chain, for golden vectors and debugging.
 * Any pointer may be NULL. Sizes: scrambled capacity bytes, rs_codeword rs_len bytes,
 * coded coded_bits bits, repeated repeated_bits bits (one bit per byte). */
typedef struct plc_fec_trace {
    uint8_t *scrambled;
    uint8_t *rs_codeword;
    uint8_t *coded;
    uint8_t *repeated;
} plc_fec_trace;

/* Encodes a PSDU for layout *lay (from plc_payload_layout_for_psdu) into
 * lay->total_bits interleaved bits. */
int plc_fec_encode_payload(plc_fec *fec, const plc_payload_layout *lay, const uint8_t *psdu,
                           size_t psdu_len, uint8_t *bits, const plc_fec_trace *trace);

/* Result of a payload decode. */
typedef struct plc_fec_result {
    int rs_corrected;     /* bytes corrected by Reed-Solomon (>= 0) */
    int rs_erasures_used; /* erasures handed to the RS decoder */
    int rs_positions[16]; /* codeword positions of the corrected bytes */
} plc_fec_result;

/* Decodes lay->total_bits soft bits into lay->capacity PSDU bytes. erasures: RS
 * codeword byte positions the receiver flagged as unreliable (may be NULL). They are
 * hints, used only when there are at most nroots/2 of them and the result keeps a
 * margin (2 * errors + erasures <= nroots - 2); otherwise the Reed-Solomon decode runs
 * with errors only. res->rs_erasures_used says which decode was kept. Returns PLC_OK or PLC_ERR_UNCORRECTABLE (psdu is then not written). */
int plc_fec_decode_payload(plc_fec *fec, const plc_payload_layout *lay, const int8_t *soft,
                           const int *erasures, int n_erasures, uint8_t *psdu,
                           plc_fec_result *res);

/* Erasure marking: given the payload symbols the receiver found destroyed (erased[s] != 0
 * for s < lay->symbols, e.g. hit by an impulse), lists the RS codeword positions whose
 * coded bits (after deinterleaving and repetition, over the byte's own 16 coded bits and
 * the 12 that follow it in the convolutional code's memory) came at least half from
 * destroyed symbols in every copy. Returns how many were written (at most max), or
 * PLC_ERR_ARG. */
int plc_fec_payload_erasures(plc_fec *fec, const plc_payload_layout *lay, const uint8_t *erased,
                             int *positions, int max);

/* Frame control header: header bits packed MSB first (plc_fch.h). trace may be NULL; only
 * its coded and repeated members are used. */
int plc_fec_encode_fch(plc_fec *fec, const plc_fch_layout *lay, const uint8_t *header,
                       uint8_t *bits, const plc_fec_trace *trace);
/* Decodes soft bits back to the packed header (the CRC is checked by plc_fch_unpack_*). */
int plc_fec_decode_fch(plc_fec *fec, const plc_fch_layout *lay, const int8_t *soft,
                       uint8_t *header);

#endif
