/* Logging with levels. The core formats a message and hands it to a sink set by the
 * application (none by default: logging costs nothing until enabled); Linux programs use
 * plc_log_stderr_sink. The loop's time, not the wall clock, stamps messages. */
#ifndef PLC_LOG_H
#define PLC_LOG_H

#include <stdint.h>

typedef enum plc_log_level {
    PLC_LOG_ERROR = 0,
    PLC_LOG_WARN = 1,
    PLC_LOG_INFO = 2,
    PLC_LOG_DEBUG = 3,
} plc_log_level;

typedef void (*plc_log_sink)(plc_log_level level, uint64_t time_us, const char *module,
                             const char *message, void *user);

/* Sets the sink and the most verbose level passed to it. */
void plc_log_configure(plc_log_sink sink, plc_log_level max_level, void *user);
/* Time stamp source for messages (NULL: 0). */
void plc_log_set_clock(uint64_t (*now_us)(const void *ctx), const void *ctx);
int plc_log_enabled(plc_log_level level);
void plc_log(plc_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "   12.345678 INFO  module: message" on stderr. */
void plc_log_stderr_sink(plc_log_level level, uint64_t time_us, const char *module,
                         const char *message, void *user);
/* "error", "warn", "info", "debug" -> level, or -1. */
int plc_log_level_parse(const char *name);

#endif
