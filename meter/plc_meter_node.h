/* The meter node application: the meter's end of the PLC network. It speaks DL/T 645 on
 * the network (plc_meter_server.h) and reads and writes the meter through its registers
 * (plc_meter_regs.h: real metering firmware implements them; sim/plc_meter.h simulates).
 *  - An MSDU carrying a DL/T 645 frame for this meter (the whole MSDU is the frame, preamble
 *    allowed) is answered through the MAC to its sender; broadcasts (time sync) are applied
 *    and not answered; anything else is counted and dropped.
 *  - Last gasp [R]: when mains fails the node has the supercapacitor's hold-up time
 *    (holdup_ms, default 30000: ~30 s at 1.5 W, spec concentrator.md) before it goes dark; it sends at once, with high priority, a
 *    DL/T 645 frame in the reply direction carrying DI 03110001 (last power-down record,
 *    start time set, end time zero) to the concentrator, and answers nothing after the
 *    hold-up time. The node comes back when mains returns.
 * Nothing is allocated after create; time comes from the loop. */
#ifndef PLC_METER_NODE_H
#define PLC_METER_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"
#include "plc_mac.h"
#include "plc_meter_regs.h"

typedef struct plc_meter_node_config {
    uint16_t concentrator;   /* short address of the data collector: 0x0000 */
    unsigned holdup_ms;      /* supercapacitor hold-up time: 30000 (a mesh needs seconds) */
} plc_meter_node_config;

void plc_meter_node_config_default(plc_meter_node_config *cfg);

typedef struct plc_meter_node_counters {
    uint64_t requests, replies, broadcasts, not_for_us, malformed, send_failures;
    uint64_t last_gasps;
} plc_meter_node_counters;

typedef struct plc_meter_node plc_meter_node;

/* How the node sends a frame: over the MAC to a neighbour, or over the mesh's data service
 * (routing/plc_adp.h) to any short address. urgent: high priority (the last gasp). */
typedef struct plc_meter_node_link {
    int (*send)(void *user, uint16_t to, const uint8_t *frame, size_t len, int urgent);
    void *user;
} plc_meter_node_link;

/* regs is copied; the meter it points to stays the caller's. Frames go out over the MAC. */
plc_meter_node *plc_meter_node_create(const plc_meter_node_config *cfg, const plc_meter_regs *regs,
                                      plc_mac *mac, plc_loop *loop);
/* The same over any link (copied). */
plc_meter_node *plc_meter_node_create_link(const plc_meter_node_config *cfg,
                                           const plc_meter_regs *regs,
                                           const plc_meter_node_link *link, plc_loop *loop);
void plc_meter_node_destroy(plc_meter_node *n);
/* Hand every MAC data indication of this node to it. */
void plc_meter_node_indication(plc_meter_node *n, const plc_mac_data_indication *ind);
/* ... or the bytes a link delivered, from short address src. */
void plc_meter_node_input(plc_meter_node *n, uint16_t src, const uint8_t *msdu, size_t len);
/* Mains lost (last gasp) or back. */
void plc_meter_node_set_mains(plc_meter_node *n, int on);
int plc_meter_node_alive(const plc_meter_node *n);
void plc_meter_node_get_counters(const plc_meter_node *n, plc_meter_node_counters *c);

#endif
