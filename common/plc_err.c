#include "plc_err.h"

const char *plc_strerror(int err)
{
    switch (err) {
    case PLC_OK: return "success";
    case PLC_ERR_ARG: return "invalid argument";
    case PLC_ERR_NOMEM: return "out of memory";
    case PLC_ERR_LENGTH: return "length out of range";
    case PLC_ERR_CRC: return "CRC check failed";
    case PLC_ERR_UNCORRECTABLE: return "uncorrectable: more errors than the code can correct";
    case PLC_ERR_BUFFER: return "output buffer too small";
    case PLC_ERR_FORMAT: return "malformed input";
    case PLC_ERR_IO: return "input/output error";
    case PLC_ERR_UNSUPPORTED: return "not supported";
    case PLC_ERR_LATE: return "too late: the transmission time has passed";
    default: return "unknown error";
    }
}
