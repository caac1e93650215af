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
    case PLC_ERR_FULL: return "no room: table, queue or timer heap full";
    case PLC_ERR_BUSY: return "busy with an earlier request";
    case PLC_ERR_FRAME_SHORT: return "frame shorter than its fields";
    case PLC_ERR_FRAME_SEGLEN: return "segment length outside the PSDU";
    case PLC_ERR_FRAME_RESERVED: return "reserved segment control bits set";
    case PLC_ERR_FRAME_FCS: return "FCS mismatch";
    case PLC_ERR_FRAME_TYPE: return "unsupported frame type";
    case PLC_ERR_FRAME_VERSION: return "unsupported frame version";
    case PLC_ERR_FRAME_ADDR_MODE: return "reserved addressing mode";
    case PLC_ERR_FRAME_PANID_COMP: return "PAN id compression without both addresses";
    case PLC_ERR_FRAME_SEC_LEVEL: return "unsupported security level";
    case PLC_ERR_FRAME_KEY_MODE: return "unsupported key identifier mode";
    case PLC_ERR_FRAME_NO_MIC: return "secured payload shorter than its MIC";
    case PLC_ERR_FRAME_TOO_LONG: return "frame longer than the room given";
    case PLC_ERR_FRAME_ARG: return "invalid frame field";
    case PLC_ERR_FRAME_PAYLOAD: return "command or beacon payload of the wrong length";
    case PLC_ERR_NO_ACK: return "no ack";
    case PLC_ERR_CHANNEL_ACCESS: return "channel access failure";
    case PLC_ERR_QUEUE_FULL: return "transaction overflow: MAC queue full";
    case PLC_ERR_MSDU_TOO_LONG: return "MSDU too long for 64 segments";
    case PLC_ERR_NO_KEY: return "unavailable key";
    case PLC_ERR_COUNTER_EXHAUSTED: return "frame counter exhausted: rekey needed";
    case PLC_ERR_COUNTER_SAVE: return "frame counter could not be saved";
    case PLC_ERR_PHY_REFUSED: return "the PHY refused the frame";
    case PLC_ERR_ADP_SHORT: return "adaptation headers cut short";
    case PLC_ERR_ADP_ADDR: return "64-bit mesh address (G3 routes 16-bit ones)";
    case PLC_ERR_ADP_FRAG: return "fragment size or offset out of range";
    case PLC_ERR_ADP_LENGTH: return "LOADng message of the wrong length";
    case PLC_ERR_ADP_RESERVED: return "reserved bits set";
    case PLC_ERR_ADP_TYPE: return "unsupported LOADng message type";
    case PLC_ERR_LBP_FORMAT: return "malformed LBP, EAP or parameter field";
    case PLC_ERR_LBP_AUTH: return "authentication failed (MAC or protected-channel tag)";
    case PLC_ERR_LBP_STALE: return "message of another or an old exchange (replay)";
    case PLC_ERR_LBP_REFUSED: return "admission refused (not allowed, blocked, full or locked)";
    case PLC_ERR_STORE: return "store (SQLite) failure";
    case PLC_ERR_CONFIG: return "invalid configuration";
    case PLC_ERR_TIMEOUT: return "no answer in time";
    case PLC_ERR_METER: return "the meter answered with an error";
    case PLC_ERR_UNKNOWN_METER: return "no such meter in the archive";
    case PLC_ERR_UP_DECODE: return "upstream message does not unpack";
    case PLC_ERR_UP_INVALID: return "upstream message field missing or out of range";
    case PLC_ERR_UP_VERSION: return "upstream protocol version not supported";
    case PLC_ERR_UP_AUTH: return "upstream peer not allowed";
    case PLC_ERR_NO_ROUTE: return "no route to the destination";
    case PLC_ERR_HOPS: return "hops left ran out";
    case PLC_ERR_REASSEMBLY: return "datagram reassembly timed out";
    case PLC_ERR_ADP_PATH: return "path message: over 16 hops one way, or its originator not among them";
    default: return "unknown error";
    }
}
