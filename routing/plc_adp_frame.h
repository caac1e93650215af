/* The adaptation layer's headers (6LoWPAN, RFC 4944, as G3 uses them) and LOADng's messages
 * (G3's binary LOADng after the escape dispatch), as bytes. Facts from
 * ../shared/spec/routing-g3.md sections 1-2:
 *   mesh   10 V F HopsLeft(4) | originator | final; G3 routes 16-bit addresses only (V = F =
 *          1); HopsLeft 0xF takes an extra hops byte;
 *   BC0    0x50 | sequence (behind a mesh header to 0xFFFF);
 *   FRAG1  11000 size(11) | tag(16);   FRAGN  11100 size(11) | tag(16) | offset (8-byte units);
 *   ESC    0x40 | command: 0x01 LOADng, 0x02 LBP;  IPv6 0x41; the rest is the upper layer's.
 *   LOADng after 0x40 0x01: type (RREQ 0, RREP 1, RERR 2), then big endian
 *          RREQ/RREP: dest(2) orig(2) seq(2) [R:1 U:1 res:2 metric:4] cost(2) [limit:4 count:4]
 *                     [weak:4 res:4]
 *          RERR:      dest(2) orig(2) error(1) unreachable(2) [limit:4 res:4]
 *   path discovery after 0x40 0x01 (PREQ 0xFC, PREP 0xFD), big endian:
 *          PREQ:      dest(2) orig(2) [metric:4 res:12] hop...
 *          PREP:      dest(2) expected(2) [metric:4 res:12] orig(2) hop... (forward, then
 *                     reverse)
 *          hop:       addr(2) [MNS:1 phase:3 MRx:1 MTx:1 res:2] cost(1), at most 16 each way
 *          [R] the spec's row gives the fields, not their widths past the hops' nor where a
 *          PREP's forward hops end: the metric field is 16 bits in both (as the vendor's
 *          path descriptor keeps 16 reserved bits for both), every node on the way appends
 *          itself (the cost: of the link the message came in over), so the forward hops end
 *          with the PREP's originator (its last appearance: a loop on the way out shows it
 *          twice, the way back never holds it), which is how the decoder splits them.
 * Header order: mesh, BC0, FRAG, then the dispatch. Decoding never reads past the buffer;
 * every malformed case has its own plc_err code. */
#ifndef PLC_ADP_FRAME_H
#define PLC_ADP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "plc_err.h"

#define PLC_ADP_MTU 1280
#define PLC_ADP_BROADCAST 0xFFFF
#define PLC_ADP_DISPATCH_ESC 0x40
#define PLC_ADP_DISPATCH_IPV6 0x41
#define PLC_ADP_ESC_LOADNG 0x01
#define PLC_ADP_ESC_LBP 0x02
/* [R] our data service's payload (not IPv6): ESC with a command G3 does not assign, so the
 * bytes after the headers always start with a dispatch (a DL/T 645 frame's 0x68 would read
 * as IPHC) */
#define PLC_ADP_ESC_DATA 0x80
#define PLC_ADP_ESC_BEACON 0x81 /* [R] the coordinator's route beacon (plc_adp.h) */
#define PLC_ADP_MAX_DATA (PLC_ADP_MTU - 2)
#define PLC_ADP_MAX_HEADER 13 /* mesh with hops byte 6, BC0 2, FRAGN 5 */

typedef enum { PLC_ADP_NO_FRAG = 0, PLC_ADP_FRAG1 = 1, PLC_ADP_FRAGN = 2 } plc_adp_frag_kind;

typedef struct plc_adp_header {
    int mesh;              /* a mesh header is present */
    uint8_t hops_left;
    uint16_t orig, final;
    int bc0;               /* a broadcast header is present */
    uint8_t bc_seq;
    uint8_t frag;          /* plc_adp_frag_kind */
    uint16_t dgram_size;   /* the whole datagram, bytes (11 bits) */
    uint16_t dgram_tag;
    uint16_t offset;       /* FRAGN: bytes from the datagram's start (a multiple of 8) */
    const uint8_t *payload; /* decode: what follows the headers (dispatch byte first) */
    size_t len;
} plc_adp_header;

/* Decodes the headers at the front of an MSDU. PLC_OK or PLC_ERR_ADP_*; an MSDU without
 * any of them is PLC_OK with payload = the whole MSDU. */
int plc_adp_header_decode(const uint8_t *msdu, size_t len, plc_adp_header *h);
/* Writes the headers h asks for (not the payload) into out: PLC_OK with *used, or
 * PLC_ERR_ARG (a field out of range) / PLC_ERR_BUFFER. */
int plc_adp_header_encode(const plc_adp_header *h, uint8_t *out, size_t cap, size_t *used);

typedef enum { PLC_LOADNG_RREQ = 0, PLC_LOADNG_RREP = 1, PLC_LOADNG_RERR = 2 } plc_loadng_type;
#define PLC_LOADNG_FLAG_REPAIR 0x80
#define PLC_LOADNG_FLAG_UNICAST 0x40
#define PLC_LOADNG_METRIC_COMPOSITE 0x0F
#define PLC_LOADNG_METRIC_HOPS 0x00
#define PLC_LOADNG_RREQ_LEN 11 /* after the type byte */
#define PLC_LOADNG_RERR_LEN 8

typedef struct plc_loadng_msg {
    uint8_t type;          /* plc_loadng_type */
    uint16_t dest, orig;
    uint16_t seq;          /* RREQ/RREP */
    uint8_t flags;         /* R, U */
    uint8_t metric;        /* 4 bits */
    uint16_t cost;
    uint8_t hop_limit;     /* 4 bits */
    uint8_t hop_count;     /* 4 bits */
    uint8_t weak_links;    /* 4 bits */
    uint8_t error;         /* RERR */
    uint16_t unreachable;  /* RERR */
} plc_loadng_msg;

/* A LOADng message after the escape bytes (0x40 0x01): type, then its fields. */
int plc_loadng_decode(const uint8_t *p, size_t len, plc_loadng_msg *m);
/* Writes 0x40 0x01, the type and the fields; returns the length or a negative plc_err. */
int plc_loadng_encode(const plc_loadng_msg *m, uint8_t *out, size_t cap);


#define PLC_LOADNG_PREQ 0xFC
#define PLC_LOADNG_PREP 0xFD
#define PLC_LOADNG_PATH_HOPS 16
#define PLC_LOADNG_MAX_LEN (3 + 8 + 2 * PLC_LOADNG_PATH_HOPS * 4) /* the longest message */

typedef struct plc_loadng_hop {
    uint16_t addr;
    uint8_t mns;           /* 1: the hop does not support the path's metric type */
    uint8_t phase;         /* phase differential, 3 bits ([R] 0: not measured here) */
    uint8_t mrx, mtx;      /* media received on, sent on (hybrid; 0: PLC) */
    uint8_t cost;          /* of the link into this hop */
} plc_loadng_hop;

typedef struct plc_loadng_path {
    uint8_t type;          /* PLC_LOADNG_PREQ or PLC_LOADNG_PREP */
    uint16_t dest;         /* PREQ: the node sought; PREP: the PREQ's originator */
    uint16_t orig;         /* PREQ: who asks; PREP: who answers (the sought node, or the
                            * last node that could take the PREQ on) */
    uint16_t expected;     /* PREP: the PREQ's destination */
    uint8_t metric;        /* 4 bits */
    uint8_t n_fwd, n_rev;  /* PREQ: forward hops only */
    plc_loadng_hop fwd[PLC_LOADNG_PATH_HOPS], rev[PLC_LOADNG_PATH_HOPS];
} plc_loadng_path;

/* A PREQ or PREP after the escape bytes (type first). PLC_OK, PLC_ERR_ADP_LENGTH (cut
 * short or not whole hops), PLC_ERR_ADP_RESERVED, PLC_ERR_ADP_PATH (more than 16 hops one
 * way, or a PREP whose originator is not among its hops), PLC_ERR_ADP_TYPE. */
int plc_loadng_path_decode(const uint8_t *p, size_t len, plc_loadng_path *m);
/* Writes 0x40 0x01, the type and the fields; the length or a negative plc_err. */
int plc_loadng_path_encode(const plc_loadng_path *m, uint8_t *out, size_t cap);

#endif
