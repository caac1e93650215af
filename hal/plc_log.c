#include "plc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static plc_log_sink g_sink;
static void *g_user;
static plc_log_level g_max = PLC_LOG_INFO;
static uint64_t (*g_now)(const void *);
static const void *g_ctx;

static const char *const names[] = {"error", "warn", "info", "debug"};

void plc_log_configure(plc_log_sink sink, plc_log_level max_level, void *user)
{
    g_sink = sink;
    g_max = max_level;
    g_user = user;
}

void plc_log_set_clock(uint64_t (*now_us)(const void *ctx), const void *ctx)
{
    g_now = now_us;
    g_ctx = ctx;
}

int plc_log_enabled(plc_log_level level)
{
    return g_sink && level <= g_max;
}

void plc_log(plc_log_level level, const char *module, const char *fmt, ...)
{
    if (!plc_log_enabled(level))
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g_sink(level, g_now ? g_now(g_ctx) : 0, module, msg, g_user);
}

void plc_log_stderr_sink(plc_log_level level, uint64_t time_us, const char *module,
                         const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "%6llu.%06llu %-5s %s: %s\n", (unsigned long long)(time_us / 1000000),
            (unsigned long long)(time_us % 1000000), names[level], module, message);
}

int plc_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}
