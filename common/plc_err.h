/* Error codes shared by every plcstack module: 0 is success, errors are negative. The MAC's
 * confirm statuses and the frame codec's decode outcomes are codes of this space too, so a
 * status travels from the codec through the MAC to its user and prints with plc_strerror. */
#ifndef PLC_ERR_H
#define PLC_ERR_H

typedef enum plc_err {
    PLC_OK = 0,
    PLC_ERR_ARG = -1,          /* invalid argument (NULL pointer, out-of-range parameter) */
    PLC_ERR_NOMEM = -2,        /* allocation failed (only at create time) */
    PLC_ERR_LENGTH = -3,       /* a length is outside what the block supports */
    PLC_ERR_CRC = -4,          /* checksum mismatch */
    PLC_ERR_UNCORRECTABLE = -5,/* FEC decoder detected more errors than it can correct */
    PLC_ERR_BUFFER = -6,       /* output buffer too small */
    PLC_ERR_FORMAT = -7,       /* malformed input (bad field value, bad syntax) */
    PLC_ERR_IO = -8,           /* file or device I/O failed */
    PLC_ERR_UNSUPPORTED = -9,  /* valid request this build or profile does not support */
    PLC_ERR_LATE = -10,        /* a timed transmission's time has already passed */
    PLC_ERR_FULL = -11,        /* a fixed-size table, queue or timer heap is full */
    PLC_ERR_BUSY = -12,        /* the block is busy with an earlier request */

    /* MAC frame codec (mac/plc_mac_frame.h) */
    PLC_ERR_FRAME_SHORT = -20,      /* fewer bytes than the fields need */
    PLC_ERR_FRAME_SEGLEN = -21,     /* segment length beyond the PSDU or below a minimum */
    PLC_ERR_FRAME_RESERVED = -22,   /* reserved segment control bits set */
    PLC_ERR_FRAME_FCS = -23,        /* FCS mismatch */
    PLC_ERR_FRAME_TYPE = -24,       /* frame type not beacon/data/command */
    PLC_ERR_FRAME_VERSION = -25,    /* frame version 2 or 3 */
    PLC_ERR_FRAME_ADDR_MODE = -26,  /* addressing mode 1 (reserved) */
    PLC_ERR_FRAME_PANID_COMP = -27, /* PAN id compression without both addresses */
    PLC_ERR_FRAME_SEC_LEVEL = -28,  /* security level other than ENC-MIC-32 */
    PLC_ERR_FRAME_KEY_MODE = -29,   /* key identifier mode other than 1 */
    PLC_ERR_FRAME_NO_MIC = -30,     /* secured payload shorter than the MIC */
    PLC_ERR_FRAME_TOO_LONG = -31,   /* encode: frame longer than the room given */
    PLC_ERR_FRAME_ARG = -32,        /* invalid field value */
    PLC_ERR_FRAME_PAYLOAD = -33,    /* command or beacon payload of the wrong length */

    /* MAC data service confirms (mac/plc_mac.h) */
    PLC_ERR_NO_ACK = -40,           /* no ACK after every retry (or NACKed every time) */
    PLC_ERR_CHANNEL_ACCESS = -41,   /* medium busy for macMaxCSMABackoffs + 1 attempts */
    PLC_ERR_QUEUE_FULL = -42,       /* transaction overflow: the MAC's queue is full */
    PLC_ERR_MSDU_TOO_LONG = -43,    /* the MSDU needs more than 64 segments */
    PLC_ERR_NO_KEY = -44,           /* security asked for without the key installed */
    PLC_ERR_COUNTER_EXHAUSTED = -45,/* frame counter at its end: a rekey is needed */
    PLC_ERR_COUNTER_SAVE = -46,     /* the frame counter could not be persisted */
    PLC_ERR_PHY_REFUSED = -47,      /* the PHY refused the frame (length, mode, tone map) */

    /* adaptation layer and routing (routing/) */
    PLC_ERR_ADP_SHORT = -60,        /* headers cut short, or no dispatch after them */
    PLC_ERR_ADP_ADDR = -61,         /* a 64-bit mesh address (G3 routes 16-bit ones) */
    PLC_ERR_ADP_FRAG = -62,         /* fragment size, offset or tag out of range */
    PLC_ERR_ADP_LENGTH = -63,       /* a LOADng message of the wrong length */
    PLC_ERR_ADP_RESERVED = -64,     /* reserved bits set */
    PLC_ERR_ADP_TYPE = -65,         /* a LOADng message type not supported */
    PLC_ERR_NO_ROUTE = -66,         /* no route to the destination was found */
    PLC_ERR_HOPS = -67,             /* hops left ran out */
    PLC_ERR_REASSEMBLY = -68,       /* a datagram's fragments did not all arrive in time */
    PLC_ERR_ADP_PATH = -69,         /* a path message with over 16 hops one way, or a path
                                     * reply whose originator is not among its hops */

    /* admission (LBP, EAP-PSK) */
    PLC_ERR_LBP_FORMAT = -70,       /* an LBP, EAP or parameter field malformed or cut short */
    PLC_ERR_LBP_AUTH = -71,         /* a MAC or protected-channel tag that does not check */
    PLC_ERR_LBP_STALE = -72,        /* a message of another or an old exchange (replay) */
    PLC_ERR_LBP_REFUSED = -73,      /* admission refused: not allowed, blocked, full, locked */

    /* the concentrator (gateway/, Linux) */
    PLC_ERR_STORE = -80,            /* the store (SQLite) failed: the message says why */
    PLC_ERR_CONFIG = -81,           /* a configuration key or value is not valid */
    PLC_ERR_TIMEOUT = -82,          /* no answer in time */
    PLC_ERR_METER = -83,            /* the meter answered with an error */
    PLC_ERR_UNKNOWN_METER = -84,    /* no such meter in the archive */

    /* the upstream link (gateway/plc_up*, Linux) */
    PLC_ERR_UP_DECODE = -90,        /* a message that does not unpack (protobuf) */
    PLC_ERR_UP_INVALID = -91,       /* unpacks, but a field is missing, out of range or unknown */
    PLC_ERR_UP_VERSION = -92,       /* another protocol version */
    PLC_ERR_UP_AUTH = -93,          /* a peer whose key or routing id is not allowed */
} plc_err;

/* Largest magnitude of a code above: arrays counted by -code have this many + 1 entries. */
#define PLC_ERR_MAX_CODE 93

/* Human-readable message for an error code; never NULL. */
const char *plc_strerror(int err);

#endif
