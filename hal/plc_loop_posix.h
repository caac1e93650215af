/* The real-time backend of the event loop (Linux): CLOCK_MONOTONIC, file descriptors and
 * ZeroMQ sockets waited on with zmq_poll, the next timer through a timerfd in the same poll
 * set (hal/plc_loop_posix.c has the precision it reaches). */
#ifndef PLC_LOOP_POSIX_H
#define PLC_LOOP_POSIX_H

#include "plc_loop.h"

plc_loop *plc_loop_posix_create(unsigned max_timers);

/* Calls fn when fd (zsock NULL) or the ZeroMQ socket zsock (fd ignored) has one of events
 * (ZMQ_POLLIN / ZMQ_POLLOUT, equal to POLLIN / POLLOUT). PLC_ERR_ARG on another backend. */
typedef void (*plc_io_fn)(plc_loop *loop, int fd, void *zsock, short revents, void *user);
int plc_loop_add_io(plc_loop *l, int fd, void *zsock, short events, plc_io_fn fn, void *user);
int plc_loop_remove_io(plc_loop *l, int fd, void *zsock);

#endif
