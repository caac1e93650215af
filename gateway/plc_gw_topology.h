/* The concentrator's picture of its mesh, from LOADng path discovery (plc_adp_path_request):
 * every gap_s it asks one meter of the store that has a short address (in address order,
 * round and round) for the path its route takes, both ways, and stores the meter's parent:
 * the first hop of the way back, the route the meter's own answers take to the
 * concentrator. One discovery at a time (a PREQ and a PREP go hop by hop, unicast: about
 * twice the meter's hops in frames, no broadcast). A meter the concentrator has no route to
 * yet is skipped (no flood for a picture; its traffic brings the route), one whose path
 * comes back incomplete or not at all keeps the parent it had. The parents are what the
 * upstream "topology" command reports. */
#ifndef PLC_GW_TOPOLOGY_H
#define PLC_GW_TOPOLOGY_H

#include <stdint.h>

#include "plc_adp.h"
#include "plc_gw_store.h"
#include "plc_loop.h"

typedef struct plc_gw_topology_counters {
    uint64_t asked,    /* path discoveries started */
        complete,      /* answered by the meter: parent stored */
        incomplete,    /* answered by a relay without a route on */
        failed,        /* no answer in adpPathDiscoveryTime, or the first hop failed */
        no_route;      /* meters skipped: no route to them at the concentrator yet */
} plc_gw_topology_counters;

typedef struct plc_gw_topology plc_gw_topology;

/* Surveys through the concentrator's adaptation layer adp, one meter every gap_s (> 0);
 * the ADP's path callback must reach plc_gw_topology_path. NULL on a bad argument. */
plc_gw_topology *plc_gw_topology_create(plc_loop *loop, plc_adp *adp, plc_gw_store *store,
                                        unsigned gap_s);
void plc_gw_topology_destroy(plc_gw_topology *t);
/* The end of a path discovery (plc_adp_callbacks.path's arguments). */
void plc_gw_topology_path(plc_gw_topology *t, uint16_t dst, int status,
                          const plc_loadng_path *reply);
void plc_gw_topology_get_counters(const plc_gw_topology *t, plc_gw_topology_counters *c);

#endif
