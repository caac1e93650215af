/* DL/T 645-2007 frame codec (../shared/spec/dlt645-2007.md):
 *   FE x 0..4 | 68 | A0..A5 | 68 | C | L | DATA | CS | 16
 * Addresses are 6 BCD bytes, low byte first; DATA travels +0x33 per byte; CS is the byte
 * sum from the first 68 through the last DATA byte. A plc_dlt645_frame holds DATA as the
 * meter means it (0x33 already taken off).
 * Portable: no allocation, no I/O; every malformed case has its own error code. */
#ifndef PLC_DLT645_H
#define PLC_DLT645_H

#include <stddef.h>
#include <stdint.h>

#define PLC_DLT645_MAX_DATA 200   /* L of a read reply; writes are limited to 50 */
#define PLC_DLT645_MAX_WRITE_DATA 50
#define PLC_DLT645_MAX_PREAMBLE 4 /* FE bytes before a frame */
#define PLC_DLT645_OVERHEAD 12    /* 68 A(6) 68 C L CS 16 */
#define PLC_DLT645_MAX_FRAME (PLC_DLT645_MAX_PREAMBLE + PLC_DLT645_OVERHEAD + PLC_DLT645_MAX_DATA)

/* Function codes (C bits 4..0). */
enum {
    PLC_DLT645_BROADCAST_TIME = 0x08,
    PLC_DLT645_READ = 0x11,
    PLC_DLT645_READ_FOLLOWUP = 0x12,
    PLC_DLT645_READ_ADDRESS = 0x13,
    PLC_DLT645_WRITE = 0x14,
    PLC_DLT645_WRITE_ADDRESS = 0x15,
    PLC_DLT645_FREEZE = 0x16,
    PLC_DLT645_CHANGE_BAUD = 0x17,
    PLC_DLT645_CHANGE_PASSWORD = 0x18,
    PLC_DLT645_CLEAR_DEMAND = 0x19,
    PLC_DLT645_CLEAR_METER = 0x1A,
    PLC_DLT645_CLEAR_EVENTS = 0x1B,
    PLC_DLT645_RELAY = 0x1C,
};

/* Control byte bits. */
#define PLC_DLT645_C_REPLY 0x80
#define PLC_DLT645_C_ABNORMAL 0x40
#define PLC_DLT645_C_FOLLOWUP 0x20
#define PLC_DLT645_C_FUNC 0x1F

/* Error byte of an abnormal reply. */
#define PLC_DLT645_ERR_OTHER 0x01
#define PLC_DLT645_ERR_NO_DATA 0x02
#define PLC_DLT645_ERR_PASSWORD 0x04
#define PLC_DLT645_ERR_BAUD 0x08
#define PLC_DLT645_ERR_ZONES 0x10
#define PLC_DLT645_ERR_PERIODS 0x20
#define PLC_DLT645_ERR_TARIFFS 0x40

/* Decoder results: 0 ok, negative errors (plc_dlt645_strerror names them). */
typedef enum plc_dlt645_status {
    PLC_DLT645_OK = 0,
    PLC_DLT645_E_SHORT = -100,     /* the buffer ends before the frame does */
    PLC_DLT645_E_START = -101,     /* no 68 where a frame starts */
    PLC_DLT645_E_START2 = -102,    /* no second 68 after the address */
    PLC_DLT645_E_LENGTH = -103,    /* L beyond 200, or beyond 50 for a write request */
    PLC_DLT645_E_CHECKSUM = -104,  /* CS does not match */
    PLC_DLT645_E_END = -105,       /* no 16 after CS */
    PLC_DLT645_E_BCD = -106,       /* a nibble above 9 where BCD is required */
    PLC_DLT645_E_UNKNOWN_DI = -107,/* a data identifier this codec does not know */
    PLC_DLT645_E_OVERSIZE = -108,  /* an output buffer or a value too large */
    PLC_DLT645_E_FUNCTION = -109,  /* an undefined function code */
    PLC_DLT645_E_DATA = -110,      /* DATA too short or too long for the function / DI */
    PLC_DLT645_E_ARG = -111,       /* a bad argument (NULL, bad address text) */
} plc_dlt645_status;

const char *plc_dlt645_strerror(int status);

typedef struct plc_dlt645_frame {
    uint8_t addr[6];   /* low byte first, as on the wire */
    uint8_t ctrl;
    uint8_t len;
    uint8_t data[PLC_DLT645_MAX_DATA]; /* without the +0x33 */
} plc_dlt645_frame;

/* ---- addresses ---- */
/* "123456789012" (12 digits, or the wildcard "AAAAAAAAAAAA") -> wire order. */
int plc_dlt645_addr_parse(const char *text, uint8_t addr[6]);
/* wire order -> 12 characters and a NUL. */
void plc_dlt645_addr_format(const uint8_t addr[6], char text[13]);
int plc_dlt645_addr_is_broadcast(const uint8_t addr[6]); /* 999999999999 */
int plc_dlt645_addr_is_wildcard(const uint8_t addr[6]);  /* AAAAAAAAAAAA */
/* Does a frame sent to `to` concern the meter `mine`? Exact, broadcast, wildcard, or a
 * shortened address (high bytes AA: "any meter whose low digits match"). */
int plc_dlt645_addr_matches(const uint8_t to[6], const uint8_t mine[6]);

/* ---- frames ---- */
/* Encodes with `preamble` FE bytes (0..4). Returns the length written or an error. */
int plc_dlt645_encode(const plc_dlt645_frame *f, unsigned preamble, uint8_t *out, size_t cap);
/* Decodes one frame starting at buf (FE bytes first allowed). On success *used is the
 * number of bytes the frame took (preamble included). */
int plc_dlt645_decode(const uint8_t *buf, size_t len, plc_dlt645_frame *f, size_t *used);

static inline uint8_t plc_dlt645_function(const plc_dlt645_frame *f)
{
    return f->ctrl & PLC_DLT645_C_FUNC;
}
const char *plc_dlt645_function_name(uint8_t func); /* NULL for an undefined code */

/* ---- data identifiers and values ---- */
typedef enum plc_dlt645_kind {
    PLC_DLT645_NUMBER,   /* BCD with decimals, maybe signed (top bit of the high byte) */
    PLC_DLT645_DATE,     /* YYMMDDWW */
    PLC_DLT645_TIME,     /* hhmmss */
    PLC_DLT645_DATETIME, /* ssmmhhDDMMYY (event records: YYMMDDhhmmss high byte first) */
    PLC_DLT645_DIGITS,   /* 12 BCD digits (address, meter number) */
    PLC_DLT645_RECORD,   /* event record: start and end, each ssmmhhDDMMYY */
    PLC_DLT645_HEX,      /* a status word: raw bits */
    PLC_DLT645_FREEZE_TIME, /* YYMMDDhhmm (sent mm hh DD MM YY): when a freeze was taken */
    PLC_DLT645_ENERGY_BLOCK, /* total and tariffs 1-4, each XXXXXX.XX (20 bytes) */
    PLC_DLT645_TOPUP,    /* [R] amount XXXXXX.XX and purchase count NNNN (6 bytes) */
    PLC_DLT645_TIMESET_RECORD, /* a clock setting: operator code (4 BCD bytes), the time
                                * before and after, each ssmmhhDDMMYY (16 bytes) */
    PLC_DLT645_PROGRAM_RECORD, /* a programming: its time (ssmmhhDDMMYY), the operator code,
                                * the DIs written, 10 slots of 4 bytes, unused ones FFFFFFFF
                                * (50 bytes) */
} plc_dlt645_kind;

typedef struct plc_dlt645_di_info {
    uint32_t di;
    const char *name;
    plc_dlt645_kind kind;
    uint8_t bytes;
    uint8_t decimals;
    uint8_t is_signed;
    const char *unit;
} plc_dlt645_di_info;

/* The table entry of a DI (tariff registers 0000xx00 / 0001xx00 / 0002xx00, xx 00..04,
 * map to their family; the daily freezes 050600nn and 050601nn, nn 01..3E the n-th last,
 * and the hourly ones 050400nn, 050401nn, 050402nn, nn 01..FE, to nn = 01), NULL if unknown. */
const plc_dlt645_di_info *plc_dlt645_di_lookup(uint32_t di);

typedef struct plc_dlt645_time {
    int year, month, day, weekday, hour, minute, second; /* year 2000..2099 */
} plc_dlt645_time;

typedef struct plc_dlt645_value {
    plc_dlt645_kind kind;
    int64_t raw; /* NUMBER: the value x 10^decimals; DIGITS: the number; HEX: the bits;
                  * ENERGY_BLOCK: the total */
    int64_t tariff[4]; /* ENERGY_BLOCK: tariffs 1-4 */
    int64_t count;     /* TOPUP: the purchase count this top-up makes */
    uint32_t dis[10];  /* PROGRAM_RECORD: the DIs written, n_dis of them */
    uint8_t n_dis;
    uint8_t decimals;
    plc_dlt645_time t, t_end; /* DATE / TIME / DATETIME / FREEZE_TIME; RECORD: start and end;
                               * TIMESET_RECORD: before and after (raw: the operator);
                               * PROGRAM_RECORD: t when (raw: the operator) */
} plc_dlt645_value;

/* A date and time as ssmmhhDDMMYY (6 bytes; weekday -1 on decode). */
int plc_dlt645_datetime_decode(const uint8_t *p, plc_dlt645_time *t);
void plc_dlt645_datetime_encode(const plc_dlt645_time *t, uint8_t *p);

/* BCD, low byte first; signed: the top bit of the high byte is the sign. */
int plc_dlt645_bcd_decode(const uint8_t *p, unsigned bytes, int is_signed, int64_t *v);
int plc_dlt645_bcd_encode(int64_t v, unsigned bytes, int is_signed, uint8_t *p);

/* Decodes the data of a DI (exactly info->bytes bytes). */
int plc_dlt645_value_decode(uint32_t di, const uint8_t *p, size_t len, plc_dlt645_value *v);
/* Encodes a value for a DI into info->bytes bytes; returns that count or an error. */
int plc_dlt645_value_encode(uint32_t di, const plc_dlt645_value *v, uint8_t *p, size_t cap);

/* DI <-> 4 bytes low byte first. */
static inline uint32_t plc_dlt645_di_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void plc_dlt645_di_put(uint32_t di, uint8_t *p)
{
    p[0] = (uint8_t)di;
    p[1] = (uint8_t)(di >> 8);
    p[2] = (uint8_t)(di >> 16);
    p[3] = (uint8_t)(di >> 24);
}

/* ---- request builders (a concentrator's side) ---- */
void plc_dlt645_read_request(const uint8_t addr[6], uint32_t di, plc_dlt645_frame *f);
/* Broadcast time sync: ssmmhhDDMMYY. */
void plc_dlt645_time_sync(const plc_dlt645_time *t, plc_dlt645_frame *f);
/* Write (0x14) of di with password level 02 or 04 and the operator code; PLC_DLT645_OK or
 * the value's encode error. */
int plc_dlt645_write_request(const uint8_t addr[6], uint32_t di, uint8_t level,
                             uint32_t password, uint32_t operator_code,
                             const plc_dlt645_value *v, plc_dlt645_frame *f);
/* Relay and alarm control (0x1C): N1 (0x1A trip, 0x1B close allowed, 0x2A/0x2B alarm on and
 * off, 0x3A/0x3B keep power on and off) with the expiry (keep power on: until). */
void plc_dlt645_control_request(const uint8_t addr[6], uint8_t level, uint32_t password,
                                uint32_t operator_code, uint8_t n1, const plc_dlt645_time *until,
                                plc_dlt645_frame *f);

/* ---- streaming extractor ----
 * Finds frames in a byte stream with garbage and split reads: feed bytes as they come, take
 * frames out one by one. Bytes that cannot start a frame, and frames that fail to decode,
 * are dropped and counted (never silently). */
typedef struct plc_dlt645_extractor {
    uint8_t buf[PLC_DLT645_MAX_FRAME * 2];
    size_t len;
    uint64_t frames, garbage_bytes, bad_frames;
    int last_error; /* of the last frame dropped */
} plc_dlt645_extractor;

void plc_dlt645_extractor_init(plc_dlt645_extractor *x);
/* Appends up to n bytes; returns how many were taken (less when the buffer is full: take
 * frames out and feed the rest again). */
size_t plc_dlt645_extractor_feed(plc_dlt645_extractor *x, const uint8_t *p, size_t n);
/* 1 and a frame when one is complete, 0 when more bytes are needed. */
int plc_dlt645_extractor_next(plc_dlt645_extractor *x, plc_dlt645_frame *f);

#endif
