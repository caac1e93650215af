/* [R] What the first byte of a datagram on the mesh's data service between the concentrator
 * and a meter says it carries (one place for every side: meter/plc_meter_modem.h,
 * gateway/plc_gw_modem.h, sim/plc_meshnet.h). */
#ifndef PLC_APP_DISPATCH_H
#define PLC_APP_DISPATCH_H

/* DL/T 645 frames start with 0x68, or 0xFE (the wake-up preamble) */
#define PLC_DISPATCH_DLT645(b) ((b) == 0x68 || (b) == 0xFE)
/* the meter's announce: PLC_HELLO and its DL/T 645 address (6 bytes, wire order) to the
 * concentrator, which answers PLC_HELLO_ACK (one byte), as an HPLC module reports its
 * meter's address when it joins */
#define PLC_HELLO 0x52
#define PLC_HELLO_ACK 0x53
/* firmware image transfer messages (meter/plc_fw_image.h) */
#define PLC_IMAGE_DISPATCH 0xF1

#endif
