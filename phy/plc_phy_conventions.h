/* Every convention the public G3-PLC material leaves OPEN is decided here, once.
 * docs/phy.md explains each choice; flipping one of these changes the golden vectors
 * (regenerate them with tools/plc-vectors) but not the published-vector tests. */
#ifndef PLC_PHY_CONVENTIONS_H
#define PLC_PHY_CONVENTIONS_H

/* PSDU and Reed-Solomon codeword bytes enter the scrambler and the convolutional
 * encoder most significant bit first (the same order the frame control header uses).
 * 1 = MSB first, 0 = LSB first (IEEE 802.11 style). */
#define PLC_PHY_BYTES_MSB_FIRST 1

/* Convolutional encoder output order per input bit: the 133 (octal) generator output
 * first, then the 171 output, as IEEE 802.11 Annex G. 0 swaps them. */
#define PLC_PHY_CONV_133_FIRST 1

/* Repetition (ROBO x4, FCH x6): the whole coded block is repeated back to back
 * (copy c of bit k sits at c*len + k); the 2-D interleaver then spreads the copies over
 * different carriers and symbols. */
#define PLC_PHY_REPEAT_WHOLE_BLOCK 1

/* Value of the pad bits that fill the last payload symbols after coding and repetition. */
#define PLC_PHY_PAD_BIT 0

/* Scrambler initial state at the start of each PSDU (all ones). */
#define PLC_PHY_SCRAMBLER_SEED 0x7Fu

#endif
