/* Error codes shared by every plcstack module: 0 is success, errors are negative. */
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
} plc_err;

/* Human-readable message for an error code; never NULL. */
const char *plc_strerror(int err);

#endif
