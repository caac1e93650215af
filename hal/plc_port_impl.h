/* Backends of plc_port embed this header as their first member. */
#ifndef PLC_PORT_IMPL_H
#define PLC_PORT_IMPL_H

#include "plc_port.h"

typedef struct plc_port_ops {
    int (*start)(plc_port *p, plc_loop *loop, plc_port_sink sink, void *user);
    int (*transmit)(plc_port *p, uint64_t at, const float *x, size_t n);
    int (*close)(plc_port *p);
} plc_port_ops;

struct plc_port {
    const plc_port_ops *ops;
    plc_port_stats stats; /* kept up to date by the backend */
};

#endif
