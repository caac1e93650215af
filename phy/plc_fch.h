/* Frame control header (FCH) field packing.
 *
 * CENELEC-A, 33 bits, bytes MSB first (G3-PLC / IEEE 1901.2; field positions confirmed by
 * the Microchip ATPL250 code and the Renesas G3 dissector, vectors/published/
 * g3-encoding-example.txt):
 *   data (DT 0/1): b0 PDC[7:0] | b1 MOD[1:0] FL[5:0] | b2 reserved[1:0] TM[5:0] |
 *                  b3 PMS DT[2:0] FCCS[4:1] | b4 FCCS[0], then zeros
 *   ACK/NACK (DT 2/3): b0 FCS[7:0] | b1 SSCA, reserved[6:0] | b2 FCS[15:8] |
 *                  b3 reserved DT[2:0] FCCS[4:1] | b4 FCCS[0]
 *   FCCS = CRC-5 over the first 28 bits. The MAC matches acknowledgements by the FCS of
 *   the frame they acknowledge.
 *
 * FCC, 66 bits (layout OPEN, our choice, see docs/phy.md):
 *   PDC 8 | MOD 3 | PMS 1 | DT 3 | FL 9 | TM 24 | reserved 10 | FCCS 8
 *   FCCS = CRC-8 over the first 58 bits. ACK/NACK carry the FCS in place of FL/TM's
 *   first 16 bits.
 *
 * Packed headers are byte buffers (5 bytes CENELEC, 9 bytes FCC), unused trailing bits 0. */
#ifndef PLC_FCH_H
#define PLC_FCH_H

#include <stdint.h>

#define PLC_FCH_CENELEC_BITS 33
#define PLC_FCH_CENELEC_BYTES 5
#define PLC_FCH_FCC_BITS 66
#define PLC_FCH_FCC_BYTES 9

typedef enum plc_fch_dt {
    PLC_DT_SOF_NO_RESPONSE = 0,
    PLC_DT_SOF_RESPONSE = 1,
    PLC_DT_ACK = 2,
    PLC_DT_NACK = 3,
} plc_fch_dt;

typedef struct plc_fch {
    uint8_t pdc;  /* phase detection counter */
    uint8_t mod;  /* 0 ROBO, 1 DBPSK, 2 DQPSK, 3 D8PSK (FCC: up to 7) */
    uint8_t pms;  /* 0 differential, 1 coherent */
    uint8_t dt;   /* plc_fch_dt */
    uint16_t fl;  /* payload symbols / 4 (CENELEC 6 bits, FCC 9 bits) */
    uint32_t tm;  /* tone map (CENELEC 6 bits, FCC 24 bits) */
    uint16_t fcs; /* ACK/NACK only: FCS of the acknowledged frame */
    uint8_t ssca; /* ACK/NACK only: the SSCA bit, carried as is (we send 0) */
} plc_fch;

static inline int plc_fch_is_ack(const plc_fch *f)
{
    return f->dt == PLC_DT_ACK || f->dt == PLC_DT_NACK;
}

/* Packs the fields and computes the CRC. PLC_ERR_FORMAT if a field is out of range. */
int plc_fch_pack_cenelec(const plc_fch *f, uint8_t out[PLC_FCH_CENELEC_BYTES]);
/* Checks the CRC and unpacks. PLC_ERR_CRC on a CRC mismatch, PLC_ERR_FORMAT on a
 * reserved DT value. */
int plc_fch_unpack_cenelec(const uint8_t in[PLC_FCH_CENELEC_BYTES], plc_fch *f);

int plc_fch_pack_fcc(const plc_fch *f, uint8_t out[PLC_FCH_FCC_BYTES]);
int plc_fch_unpack_fcc(const uint8_t in[PLC_FCH_FCC_BYTES], plc_fch *f);

#endif
