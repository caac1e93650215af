#include "plc_err.h"
#include "plc_port_impl.h"

int plc_port_start(plc_port *p, plc_loop *loop, plc_port_sink sink, void *user)
{
    if (!p || !loop || !sink)
        return PLC_ERR_ARG;
    return p->ops->start(p, loop, sink, user);
}

int plc_port_transmit(plc_port *p, uint64_t at, const float *x, size_t n)
{
    if (!p || (!x && n))
        return PLC_ERR_ARG;
    return p->ops->transmit(p, at, x, n);
}

int plc_port_close(plc_port *p)
{
    return p ? p->ops->close(p) : PLC_ERR_ARG;
}

plc_port_stats plc_port_get_stats(const plc_port *p)
{
    const plc_port_stats none = {0};
    return p ? p->stats : none;
}
