/* G3-style MAC frame codec.
 *
 *   PSDU = segment control (3 bytes) | IEEE 802.15.4 frame [| zero padding]
 *   802.15.4 frame = MHR (frame control, sequence, PAN ids, addresses, auxiliary security
 *                    header) | payload | FCS (CRC-16/XMODEM, low byte first)
 *
 * Segment control (MSB first): reserved:4 TMR:1 CC:1 CAP:1 LSF:1 | SC:6 SL:10, where SL is
 * the length of the 802.15.4 frame (MHR to FCS) in this PSDU: the PHY pads a PSDU up to the
 * capacity of its symbols and SL says where the frame ends.
 * Without the segment control and the FCS the bytes are a plain 802.15.4 frame (pcap link
 * type 230; the G3 FCS is not the 802.15.4 CRC).
 *
 * Supported subset, everything else is refused with its own error:
 *   types beacon (0), data (1), command (3); 802.15.4 ACK frames do not exist here (ACK and
 *   NACK are PHY header-only frames carrying the FCS);
 *   frame version 0 or 1; addressing modes none, short (2) or extended (3);
 *   security level 0 or 5 (ENC-MIC-32) with key identifier mode 1 (one key-index byte).
 * Decoding never reads outside the buffer and never allocates; the payload points into it. */
#ifndef PLC_MAC_FRAME_H
#define PLC_MAC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "plc_err.h"

#define PLC_MAC_SEGCTL_LEN 3
#define PLC_MAC_FCS_LEN 2
#define PLC_MAC_MIC_LEN 4          /* ENC-MIC-32 */
#define PLC_MAC_MAX_MSDU 400       /* MAC payload before segmentation */
#define PLC_MAC_MAX_HEADER 30      /* largest MHR with auxiliary header: 3+2+8+2+8+6 = 29 */
#define PLC_MAC_BROADCAST 0xFFFF   /* short broadcast address */

typedef enum plc_mac_frame_type {
    PLC_MAC_BEACON = 0,
    PLC_MAC_DATA = 1,
    PLC_MAC_COMMAND = 3,
} plc_mac_frame_type;

typedef enum plc_mac_addr_mode {
    PLC_MAC_ADDR_NONE = 0,
    PLC_MAC_ADDR_SHORT = 2,
    PLC_MAC_ADDR_EXT = 3,
} plc_mac_addr_mode;

typedef struct plc_mac_addr {
    uint8_t mode;    /* plc_mac_addr_mode */
    uint16_t short_addr;
    uint64_t ext;    /* written most significant byte last (802.15.4 order is little endian) */
} plc_mac_addr;

typedef struct plc_mac_segctl {
    uint8_t tmr; /* tone map request */
    uint8_t cc;  /* contention-free next segment */
    uint8_t cap; /* channel-access priority: 1 high */
    uint8_t lsf; /* last segment */
    uint8_t sc;  /* segment count (index of this segment, 0..63) */
    uint16_t sl; /* segment length: bytes of the 802.15.4 frame in this PSDU */
} plc_mac_segctl;

#define PLC_MAC_SEC_NONE 0
#define PLC_MAC_SEC_ENC_MIC32 5

typedef struct plc_mac_frame {
    plc_mac_segctl seg;
    uint8_t type;        /* plc_mac_frame_type */
    uint8_t security;    /* security enabled bit */
    uint8_t pending;     /* frame pending bit */
    uint8_t ack_request;
    uint8_t panid_compression;
    uint8_t version;     /* 0 or 1 */
    uint8_t seq;
    uint16_t dst_pan, src_pan; /* src_pan equals dst_pan when compressed */
    plc_mac_addr dst, src;
    /* auxiliary security header (security = 1) */
    uint8_t sec_level;   /* 5 */
    uint8_t key_index;   /* group master key 0 or 1 */
    uint32_t frame_counter;
    /* payload as it is on the air: ciphertext followed by the MIC when secured */
    const uint8_t *payload;
    size_t payload_len;
    uint16_t fcs;        /* decode: the FCS read (and checked); encode: the FCS written */
    size_t header_len;   /* decode/encode: bytes of MHR including the auxiliary header */
} plc_mac_frame;

/* Decode outcomes: codes of the one error space (plc_err.h; plc_strerror prints them). */
typedef enum plc_mac_frame_status {
    PLC_MAC_FRAME_OK = PLC_OK,
    PLC_MAC_FRAME_SHORT = PLC_ERR_FRAME_SHORT,
    PLC_MAC_FRAME_SEGLEN = PLC_ERR_FRAME_SEGLEN,
    PLC_MAC_FRAME_RESERVED = PLC_ERR_FRAME_RESERVED,
    PLC_MAC_FRAME_FCS = PLC_ERR_FRAME_FCS,
    PLC_MAC_FRAME_TYPE = PLC_ERR_FRAME_TYPE,
    PLC_MAC_FRAME_VERSION = PLC_ERR_FRAME_VERSION,
    PLC_MAC_FRAME_ADDR_MODE = PLC_ERR_FRAME_ADDR_MODE,
    PLC_MAC_FRAME_PANID_COMP = PLC_ERR_FRAME_PANID_COMP,
    PLC_MAC_FRAME_SEC_LEVEL = PLC_ERR_FRAME_SEC_LEVEL,
    PLC_MAC_FRAME_KEY_MODE = PLC_ERR_FRAME_KEY_MODE,
    PLC_MAC_FRAME_NO_MIC = PLC_ERR_FRAME_NO_MIC,
    PLC_MAC_FRAME_TOO_LONG = PLC_ERR_FRAME_TOO_LONG,
    PLC_MAC_FRAME_ARG = PLC_ERR_FRAME_ARG,
    PLC_MAC_FRAME_PAYLOAD = PLC_ERR_FRAME_PAYLOAD,
} plc_mac_frame_status;

void plc_mac_segctl_write(const plc_mac_segctl *s, uint8_t out[PLC_MAC_SEGCTL_LEN]);
int plc_mac_segctl_read(const uint8_t in[PLC_MAC_SEGCTL_LEN], plc_mac_segctl *s);

/* Bytes of MHR (with auxiliary header) the frame's fields need. */
size_t plc_mac_header_len(const plc_mac_frame *f);

/* Writes the 802.15.4 frame (MHR, f->payload, FCS) at out; *len gets its length and f->fcs,
 * f->header_len are filled in. The payload is written as given (already secured). */
int plc_mac_frame_encode(plc_mac_frame *f, uint8_t *out, size_t max, size_t *len);

/* Writes the MHR only (for the security layer's authenticated data). */
int plc_mac_header_encode(const plc_mac_frame *f, uint8_t *out, size_t max, size_t *len);

/* Parses an 802.15.4 frame of exactly len bytes (MHR .. FCS), checking the FCS (f->seg is
 * left zero). */
int plc_mac_frame_decode(const uint8_t *in, size_t len, plc_mac_frame *f);

/* Parses a PSDU: segment control, then the 802.15.4 frame of SL bytes; the rest is padding. */
int plc_mac_psdu_decode(const uint8_t *psdu, size_t len, plc_mac_frame *f);

/* ---- MAC commands (payload of a command frame: command id, then its fields) ---- */
#define PLC_MAC_CMD_BEACON_REQUEST 0x07
#define PLC_MAC_CMD_TONEMAP_RESPONSE 0x0A

/* Tone map response (CENELEC-A), after the command id, 6 bytes (layout chosen here, the
 * fields are G3's): byte 0 PayModSch:1 (bit 0) Mod:2 TxGain:4 TxRes:1 (bit 7); byte 1
 * ToneMap (6 bits); byte 2 LQI; bytes 3..5 TX coefficients, 4 bits per tone-map group
 * (sent as 0: no pre-emphasis). mod uses plc_modulation's numbering. */
typedef struct plc_mac_tonemap_response {
    uint8_t mod;       /* 0 ROBO, 1 DBPSK, 2 DQPSK, 3 D8PSK */
    uint8_t tx_gain;   /* 4 bits */
    uint8_t tx_res;    /* 1 bit */
    uint8_t tonemap;   /* 6 bits */
    uint8_t lqi;
} plc_mac_tonemap_response;

#define PLC_MAC_TONEMAP_RESPONSE_LEN 6
/* Writes/reads the fields after the command id (PLC_MAC_TONEMAP_RESPONSE_LEN bytes). */
void plc_mac_tonemap_response_encode(const plc_mac_tonemap_response *r,
                                     uint8_t out[PLC_MAC_TONEMAP_RESPONSE_LEN]);
int plc_mac_tonemap_response_decode(const uint8_t *in, size_t len, plc_mac_tonemap_response *r);

/* Beacon payload, as 802.15.4 lays it out so analysers decode it: superframe specification
 * (2 bytes: beacon order 15, superframe order 15, final CAP slot 15, PAN coordinator bit,
 * association permit), GTS specification 0, pending addresses 0, then the G3 content: the
 * route cost to the coordinator (2 bytes, little endian). */
#define PLC_MAC_BEACON_LEN 6
void plc_mac_beacon_encode(uint16_t rc_coord, int pan_coordinator,
                           uint8_t out[PLC_MAC_BEACON_LEN]);
int plc_mac_beacon_decode(const uint8_t *in, size_t len, uint16_t *rc_coord);

#endif
