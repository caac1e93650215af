/* G3-PLC CENELEC-A numerology and per-mode coding parameters, and the layout of a
 * frame's coded bits. A payload of FL*4 symbols carries exactly one Reed-Solomon block:
 * the transmitter pads the PSDU with zero bytes up to the capacity of those symbols
 * (at most 255 - nroots bytes) and the receiver returns the whole capacity; the MAC's
 * segment length field says how much of it is the frame. */
#ifndef PLC_PHY_PARAMS_H
#define PLC_PHY_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define PLC_PHY_FFT_LEN 256
#define PLC_PHY_SAMPLE_RATE 400000
#define PLC_PHY_FIRST_CARRIER 23
#define PLC_PHY_CARRIERS 36
#define PLC_PHY_MAX_CARRIERS 72      /* FCC profile */
#define PLC_PHY_TONEMAP_GROUP 6      /* carriers per tone-map bit (CENELEC-A) */
#define PLC_PHY_MAX_SYMBOLS 252      /* FL is 6 bits: 63 * 4 */
#define PLC_PHY_FCH_SYMBOLS 13 /* CENELEC-A frame control header */
#define PLC_PHY_FCH_COPIES 6
#define PLC_PHY_ROBO_COPIES 4
#define PLC_PHY_MAX_RS_ROOTS 16      /* parity bytes of the normal modes (ROBO: 8) */
#define PLC_PHY_MAX_BITS_PER_CARRIER 3
/* Largest interleaver block: every symbol, every carrier, 3 bits. */
#define PLC_PHY_MAX_FRAME_BITS \
    ((size_t)PLC_PHY_MAX_SYMBOLS * PLC_PHY_MAX_CARRIERS * PLC_PHY_MAX_BITS_PER_CARRIER)

typedef enum plc_modulation {
    PLC_MOD_ROBO = 0, /* DBPSK with x4 repetition */
    PLC_MOD_DBPSK = 1,
    PLC_MOD_DQPSK = 2,
    PLC_MOD_D8PSK = 3,
} plc_modulation;
#define PLC_MOD_COUNT 4

typedef struct plc_mode_params {
    unsigned bits_per_carrier;
    unsigned copies;  /* repetition factor */
    unsigned nroots;  /* Reed-Solomon parity bytes */
    const char *name; /* "robo", "dbpsk", ... */
} plc_mode_params;

/* NULL for a value outside plc_modulation. */
const plc_mode_params *plc_mode_get(int mod);
/* Parses "robo", "dbpsk", "dqpsk", "d8psk" (case-insensitive); -1 if unknown. */
int plc_mode_parse(const char *name);

/* Layout of one payload. */
typedef struct plc_payload_layout {
    plc_modulation mod;
    unsigned carriers;    /* active carriers m */
    unsigned symbols;     /* payload symbols, a multiple of 4 */
    unsigned fl;          /* FCH length field: symbols / 4 */
    size_t capacity;      /* PSDU bytes the symbols carry */
    size_t rs_len;        /* capacity + nroots */
    size_t conv_in_bits;  /* 8 * rs_len */
    size_t coded_bits;    /* 2 * (conv_in_bits + 6) */
    size_t repeated_bits; /* coded_bits * copies */
    size_t total_bits;    /* symbols * carriers * bits_per_carrier = interleaver size */
} plc_payload_layout;

/* Smallest payload (in whole groups of 4 symbols) that carries psdu_len bytes.
 * PLC_ERR_LENGTH if it cannot (too long for FL or for one RS block). */
int plc_payload_layout_for_psdu(plc_modulation mod, unsigned carriers, size_t psdu_len,
                                plc_payload_layout *out);
/* Layout of a received payload from the FCH's MOD and FL fields. */
int plc_payload_layout_for_fl(plc_modulation mod, unsigned carriers, unsigned fl,
                              plc_payload_layout *out);

/* Frame control header layout: nbits header bits, x6 repetition, m carriers. */
typedef struct plc_fch_layout {
    unsigned carriers, symbols;
    size_t header_bits, coded_bits, repeated_bits, total_bits;
} plc_fch_layout;

int plc_fch_layout_get(unsigned header_bits, unsigned carriers, plc_fch_layout *out);

/* Active carriers of a CENELEC-A payload: bit g of tonemap enables carriers 6g..6g+5
 * (of the 36, counted from carrier 23); bit c of tonemask (36 bits) allows carrier c.
 * Writes the indices (0..35) of the active carriers and returns their number. */
unsigned plc_active_carriers(unsigned tonemap, uint64_t tonemask, uint8_t *index);
/* Frequency of carrier c (0..35) in Hz: (23 + c) x 400 kHz / 256. */
double plc_carrier_hz(unsigned c);

#define PLC_TONEMAP_ALL 0x3Fu
#define PLC_TONEMASK_ALL 0xFFFFFFFFFull

#endif
