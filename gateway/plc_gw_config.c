#include "plc_gw_config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plc_gw_daemon_config_default(plc_gw_daemon_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->store, sizeof(c->store), "gateway.db");
    c->durable = 1;
    c->sim = 1;
    c->meters = 50;
    c->seed = 1;
    c->power_up_s = 120;
    c->path_survey_s = 20;
    c->sim_archive = 1;
    c->sdr_rate = 1e6;
    c->eui = 0x70B3D50000000000ull;
    snprintf(c->per_table, sizeof(c->per_table), "%s", PLC_GW_PER_TABLE);
    c->image_id = 1;
    c->image_block = 128;
    plc_gw_config_default(&c->gw);
    plc_gw_upstream_config_default(&c->up);
    c->gnss_baud = 9600;
}

int plc_gw_parse_time(const char *text, int64_t *out)
{
    int y, mo, d, h, mi, s = 0;
    char tail;
    const int n = sscanf(text, "%d-%d-%d %d:%d:%d%c", &y, &mo, &d, &h, &mi, &s, &tail);
    if (n != 5 && n != 6)
        return PLC_ERR_FORMAT;
    if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || s < 0 || s > 59)
        return PLC_ERR_FORMAT;
    *out = plc_gw_local_time(y, mo, d, h, mi, s);
    return PLC_OK;
}

typedef struct parse {
    plc_gw_daemon_config *c;
    char msg[200];          /* the first error */
    char task[32];          /* the [task NAME] being read */
    int tasks_seen;
} parse;

static int bad(parse *p, const char *section, const char *key, const char *fmt, const char *value)
{
    if (!p->msg[0]) {
        char what[120];
        snprintf(what, sizeof(what), fmt, value);
        snprintf(p->msg, sizeof(p->msg), "[%s] %s: %s", section, key, what);
    }
    return 0;
}

static int number(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    const double x = strtod(v, &end);
    if (errno || end == v || *end || x < lo || x > hi)
        return 0;
    *out = x;
    return 1;
}

/* An unsigned key in [lo, hi]. */
#define UINT_KEY(sec, name, field, lo, hi)                                                      \
    if (strcmp(section, sec) == 0 && strcmp(key, name) == 0) {                                 \
        double x;                                                                              \
        if (!number(value, lo, hi, &x) || x != (double)(unsigned)x)                            \
            return bad(p, section, key, "\"%s\" is not a whole number from " #lo " to " #hi,   \
                       value);                                                                 \
        field = (unsigned)x;                                                                   \
        return 1;                                                                              \
    }
#define REAL_KEY(sec, name, field, lo, hi)                                                      \
    if (strcmp(section, sec) == 0 && strcmp(key, name) == 0) {                                 \
        double x;                                                                              \
        if (!number(value, lo, hi, &x))                                                        \
            return bad(p, section, key, "\"%s\" is not a number from " #lo " to " #hi, value); \
        field = x;                                                                             \
        return 1;                                                                              \
    }

/* A file name key into a char array field. */
#define PATH_KEY(sec, name, field)                                                              \
    if (strcmp(section, sec) == 0 && strcmp(key, name) == 0) {                                 \
        if (!value[0] || strlen(value) >= sizeof(field))                                       \
            return bad(p, section, key, "\"%s\" is not a file name", value);                    \
        snprintf(field, sizeof(field), "%s", value);                                           \
        return 1;                                                                              \
    }

/* "hh:mm" as seconds of the day (24:00 allowed as a window's end). */
static int time_of_day(const char *v, unsigned *out)
{
    int h, m;
    char tail;
    if (sscanf(v, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
        (h == 24 && m))
        return 0;
    *out = (unsigned)(h * 3600 + m * 60);
    return 1;
}

static plc_gw_task *task_of(parse *p, const char *name)
{
    plc_gw_config *g = &p->c->gw;
    if (!p->tasks_seen) { /* the first [task] replaces the default */
        g->n_tasks = 0;
        p->tasks_seen = 1;
    }
    for (unsigned t = 0; t < g->n_tasks; t++)
        if (strcmp(g->task[t].name, name) == 0)
            return &g->task[t];
    if (g->n_tasks == PLC_GW_MAX_TASKS)
        return NULL;
    plc_gw_task *t = &g->task[g->n_tasks++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->scheme = PLC_GW_DAILY;
    t->interval_s = 86400;
    t->window_start = 5 * 60;
    t->window_end = 86400 - 5 * 60;
    t->priority = 1;
    return t;
}

static int task_key(parse *p, const char *section, const char *key, const char *value)
{
    plc_gw_task *t = task_of(p, section + 5);
    if (!t)
        return bad(p, section, key, "more than %s tasks", "8");
    if (strcmp(key, "scheme") == 0) {
        static const char *const names[] = {"daily", "energy", "instant", "status", "clock",
                                            "curve", "profile"};
        for (unsigned k = 0; k < 7; k++)
            if (strcmp(value, names[k]) == 0) {
                t->scheme = (plc_gw_scheme)k;
                if (k != PLC_GW_DAILY && t->interval_s == 86400)
                    t->interval_s = 3600;
                return 1;
            }
        return bad(p, section, key, "\"%s\" is not daily, energy, instant, status, clock, curve or profile", value);
    }
    if (strcmp(key, "window") == 0) {
        char a[16], b[16];
        unsigned s, e;
        if (sscanf(value, "%15[^-]-%15s", a, b) != 2 || !time_of_day(a, &s) ||
            !time_of_day(b, &e) || s >= e)
            return bad(p, section, key, "\"%s\" is not hh:mm-hh:mm (start before end)", value);
        t->window_start = s;
        t->window_end = e;
        return 1;
    }
    UINT_KEY(section, "interval_s", t->interval_s, 60, 86400)
    UINT_KEY(section, "priority", t->priority, 0, 100)
    return bad(p, section, key, "unknown key%s", "");
}

static int line_key(parse *p, const char *section, const char *key, const char *value)
{
    plc_gw_daemon_config *c = p->c;
    const char *name = section + 6;
    plc_gw_line_config *l = NULL;
    for (unsigned i = 0; i < c->n_lines && !l; i++)
        if (strcmp(c->line[i].name, name) == 0)
            l = &c->line[i];
    if (!l) {
        if (c->n_lines == PLC_GW_MAX_LINES)
            return bad(p, section, key, "more than %s serial lines", "4");
        if (strlen(name) >= sizeof(l->name) || strcmp(name, "plc") == 0)
            return bad(p, section, key, "\"%s\" is not a line name (1-15 characters, not plc)", name);
        l = &c->line[c->n_lines++];
        memset(l, 0, sizeof(*l));
        snprintf(l->name, sizeof(l->name), "%s", name);
        l->baud = 2400;
        l->parity = 'E';
    }
    PATH_KEY(section, "device", l->device)
    if (strcmp(key, "baud") == 0) {
        double x;
        if (!number(value, 1200, 19200, &x) ||
            (x != 1200 && x != 2400 && x != 4800 && x != 9600 && x != 19200))
            return bad(p, section, key, "\"%s\" is not 1200, 2400, 4800, 9600 or 19200", value);
        l->baud = (unsigned)x;
        return 1;
    }
    if (strcmp(key, "parity") == 0) {
        if (strlen(value) != 1 || !strchr("EON", value[0]))
            return bad(p, section, key, "\"%s\" is not E, O or N", value);
        l->parity = value[0];
        return 1;
    }
    return bad(p, section, key, "unknown key%s", "");
}

int plc_gw_parse_hex(const char *t, uint8_t *out, size_t n)
{
    if (strlen(t) != 2 * n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        if (sscanf(t + 2 * i, "%2x", &b) != 1)
            return 0;
        out[i] = (uint8_t)b;
    }
    return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    parse *p = user;
    plc_gw_daemon_config *c = p->c;
    if (strncmp(section, "task ", 5) == 0 && section[5])
        return task_key(p, section, key, value);
    if (strncmp(section, "rs485 ", 6) == 0 && section[6])
        return line_key(p, section, key, value);
    PATH_KEY("gateway", "store", c->store)
    if (strcmp(section, "gateway") == 0 && strcmp(key, "clock") == 0) {
        if (strcmp(value, "now") == 0) {
            c->clock = 0;
            return 1;
        }
        if (plc_gw_parse_time(value, &c->clock) != PLC_OK)
            return bad(p, section, key, "\"%s\" is neither now nor YYYY-MM-DD hh:mm:ss", value);
        return 1;
    }
    UINT_KEY("gateway", "durable", c->durable, 0, 1)
    if (strcmp(section, "plc") == 0 && strcmp(key, "mode") == 0) {
        if (strcmp(value, "sim") == 0)
            c->sim = 1;
        else if (strcmp(value, "port") == 0)
            c->sim = 0;
        else
            return bad(p, section, key, "\"%s\" is not sim or port", value);
        return 1;
    }
    if (strcmp(section, "plc") == 0 && strcmp(key, "phy") == 0) {
        if (strcmp(value, "abstract") && strcmp(value, "waveform"))
            return bad(p, section, key, "\"%s\" is not abstract or waveform", value);
        c->waveform = strcmp(value, "waveform") == 0;
        return 1;
    }
    PATH_KEY("plc", "per_table", c->per_table)
    PATH_KEY("plc", "topology", c->topology)
    UINT_KEY("plc", "meters", c->meters, 1, 2000)
    UINT_KEY("plc", "seed", c->seed, 0, 4000000000.0)
    UINT_KEY("plc", "power_up_s", c->power_up_s, 0, 86400)
    UINT_KEY("plc", "path_survey_s", c->path_survey_s, 0, 86400)
    REAL_KEY("plc", "speed", c->speed, 0, 1e6)
    /* mode = port: the SDR and the concentrator modem's identity */
    if (strcmp(section, "plc") == 0 && strcmp(key, "soapy") == 0) {
        if (strlen(value) >= sizeof(c->soapy))
            return bad(p, section, key, "longer than 255 characters%s", "");
        snprintf(c->soapy, sizeof(c->soapy), "%s", value);
        return 1;
    }
    REAL_KEY("plc", "sdr_rate", c->sdr_rate, 250e3, 20e6)
    REAL_KEY("plc", "rf_hz", c->rf_hz, 0, 6e9)
    REAL_KEY("plc", "gain_db", c->gain_db, -100, 100)
    if (strcmp(section, "plc") == 0 && strcmp(key, "eui") == 0) {
        uint8_t e[8];
        if (!plc_gw_parse_hex(value, e, 8))
            return bad(p, section, key, "\"%s\" is not 16 hex digits", value);
        c->eui = 0;
        for (int i = 0; i < 8; i++)
            c->eui = c->eui << 8 | e[i];
        if (!c->eui)
            return bad(p, section, key, "\"%s\" is not an EUI-64 (all zero)", value);
        return 1;
    }
    if (strcmp(section, "plc") == 0 && strcmp(key, "gmk") == 0) {
        if (!plc_gw_parse_hex(value, c->gmk, 16))
            return bad(p, section, key, "\"%s\" is not 32 hex digits", value);
        c->has_gmk = 1;
        return 1;
    }
    UINT_KEY("reading", "parallel", c->gw.parallel, 1, 64)
    REAL_KEY("reading", "timeout_s", c->gw.timeout_s, 0.1, 600)
    REAL_KEY("reading", "per_hop_s", c->gw.per_hop_s, 0, 60)
    UINT_KEY("reading", "retries", c->gw.retries, 1, 100)
    UINT_KEY("reading", "retry_gap_s", c->gw.retry_gap_s, 0, 86400)
    UINT_KEY("reading", "catchup_s", c->gw.catchup_s, 0, 86400)
    if (strcmp(section, "reading") == 0 && strcmp(key, "deadline") == 0) {
        if (!time_of_day(value, &c->gw.deadline_s))
            return bad(p, section, key, "\"%s\" is not hh:mm", value);
        return 1;
    }
    UINT_KEY("events", "area_threshold", c->gw.area_threshold, 1, 10000)
    UINT_KEY("events", "area_window_s", c->gw.area_window_s, 1, 3600)
    UINT_KEY("events", "unreachable_passes", c->gw.unreachable_passes, 1, 1000)
    UINT_KEY("time", "sync", c->gw.time_sync, 0, 1)
    UINT_KEY("time", "clock_window_s", c->gw.clock_window_s, 1, 86400)
    UINT_KEY("time", "set_clocks", c->gw.set_clocks, 0, 1)
    if (strcmp(section, "time") == 0 && strcmp(key, "sync_at") == 0) {
        if (!time_of_day(value, &c->gw.sync_at) || !plc_gw_sync_time_ok(c->gw.sync_at))
            return bad(p, section, key,
                       "\"%s\" is not hh:mm at least 5 minutes from an hour or midnight", value);
        return 1;
    }
    UINT_KEY("control", "password", c->gw.password, 0, 999999)
    UINT_KEY("control", "operator_code", c->gw.operator_code, 0, 99999999)
    UINT_KEY("control", "command_s", c->gw.command_s, 1, 86400)
    PATH_KEY("firmware", "image", c->image)
    if (strcmp(section, "firmware") == 0 && strcmp(key, "signature") == 0) {
        if (!plc_gw_parse_hex(value, c->image_sig, 64))
            return bad(p, section, key, "not 128 hex digits (r || s)%s", "");
        c->has_sig = 1;
        return 1;
    }
    if (strcmp(section, "firmware") == 0 && strcmp(key, "key") == 0) {
        if (!plc_gw_parse_hex(value, c->key, 65) || c->key[0] != 0x04)
            return bad(p, section, key, "not an uncompressed P-256 point (130 hex digits, 04 first)%s", "");
        c->has_key = 1;
        return 1;
    }
    UINT_KEY("firmware", "id", c->image_id, 1, 4000000000.0)
    UINT_KEY("firmware", "block", c->image_block, 16, 200)
    PATH_KEY("upstream", "endpoint", c->up.endpoint)
    PATH_KEY("upstream", "key", c->up.key_file)
    PATH_KEY("upstream", "server_key", c->up.server_key_file)
    if (strcmp(section, "upstream") == 0 && strcmp(key, "gateway_id") == 0) {
        if (!value[0] || strlen(value) > 47 || strpbrk(value, " \t"))
            return bad(p, section, key, "\"%s\" is not 1-47 characters without spaces", value);
        snprintf(c->up.gateway_id, sizeof(c->up.gateway_id), "%s", value);
        return 1;
    }
    UINT_KEY("upstream", "heartbeat_s", c->up.heartbeat_s, 1, 86400)
    UINT_KEY("upstream", "heartbeat_misses", c->up.heartbeat_misses, 1, 100)
    UINT_KEY("upstream", "backoff_min_ms", c->up.backoff_min_ms, 10, 3600000)
    UINT_KEY("upstream", "backoff_max_ms", c->up.backoff_max_ms, 10, 3600000)
    UINT_KEY("upstream", "batch", c->up.batch, 1, 4096)
    UINT_KEY("upstream", "window", c->up.window, 1, 16)
    UINT_KEY("upstream", "ack_timeout_s", c->up.ack_timeout_s, 1, 3600)
    UINT_KEY("upstream", "clock_sync", c->up.clock_sync, 0, 1)
    UINT_KEY("upstream", "clock_samples", c->up.clock_samples, 3, 32)
    UINT_KEY("upstream", "clock_step_ms", c->up.clock_step_ms, 1, 86400000)
    if (strcmp(section, "upstream") == 0 &&
        (strcmp(key, "latitude") == 0 || strcmp(key, "longitude") == 0))
        c->up.has_location = 1; /* and on to the range check */
    REAL_KEY("upstream", "latitude", c->up.latitude, -90, 90)
    REAL_KEY("upstream", "longitude", c->up.longitude, -180, 180)
    REAL_KEY("upstream", "altitude_m", c->up.altitude_m, -1000, 10000)
    PATH_KEY("gnss", "device", c->gnss_device)
    if (strcmp(section, "gnss") == 0 && strcmp(key, "baud") == 0) {
        const unsigned b = (unsigned)atoi(value);
        if (b != 4800 && b != 9600 && b != 19200)
            return bad(p, section, key, "\"%s\" is not 4800, 9600 or 19200", value);
        c->gnss_baud = b;
        return 1;
    }
    UINT_KEY("archive", "sim_meters", c->sim_archive, 0, 1)
    UINT_KEY("archive", "search_s", c->gw.search_s, 0, 31536000)
    return bad(p, section, key, "unknown key%s", "");
}

int plc_gw_config_read(plc_gw_daemon_config *c, FILE *f, const char *name, char *err,
                       size_t errlen)
{
    parse p = {.c = c};
    const int line = ini_parse_file(f, on_key, &p);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", name, line,
                 p.msg[0] ? p.msg : "not an INI line ([section] or key = value)");
        return PLC_ERR_CONFIG;
    }
    if (c->image[0] && !c->has_sig) {
        snprintf(err, errlen, "%s: [firmware] signature: missing (the image is never sent unsigned)",
                 name);
        return PLC_ERR_CONFIG;
    }
    if (c->up.endpoint[0] && (!c->up.gateway_id[0] || !c->up.key_file[0] ||
                              !c->up.server_key_file[0])) {
        snprintf(err, errlen, "%s: [upstream] endpoint needs gateway_id, key and server_key", name);
        return PLC_ERR_CONFIG;
    }
    if (c->up.backoff_max_ms < c->up.backoff_min_ms) {
        snprintf(err, errlen, "%s: [upstream] backoff_max_ms: below backoff_min_ms", name);
        return PLC_ERR_CONFIG;
    }
    if (!c->sim && !c->soapy[0]) {
        snprintf(err, errlen, "%s: [plc] soapy: missing (mode = port needs the SDR's arguments)",
                 name);
        return PLC_ERR_CONFIG;
    }
    for (unsigned i = 0; i < c->n_lines; i++)
        if (!c->line[i].device[0]) {
            snprintf(err, errlen, "%s: [rs485 %s] device: missing", name, c->line[i].name);
            return PLC_ERR_CONFIG;
        }
    return PLC_OK;
}

int plc_gw_config_load(plc_gw_daemon_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PLC_ERR_IO;
    }
    const int rc = plc_gw_config_read(c, f, path, err, errlen);
    fclose(f);
    return rc;
}
